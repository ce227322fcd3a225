from django.contrib import admin

from .models import Notification, Webhook, WebhookDelivery


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "kind", "subject_code", "created_at", "read_at"]
    list_filter = ["kind"]
    raw_id_fields = ["recipient"]


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ["owner", "url", "active", "created_at"]
    raw_id_fields = ["owner"]
    exclude = ["secret"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "webhook", "event", "status", "attempts", "created_at"]
    list_filter = ["status", "event"]
    raw_id_fields = ["webhook"]
