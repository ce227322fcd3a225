"""The inbox, the webhooks and their deliveries, and the rating expiry notices already sent."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from linkage.models import Product


class Notification(models.Model):
    """One message to one user: its kind and parameters, rendered in the reader's language."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người nhận"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("loại"), max_length=40)
    # The message's figures and names (codes, dates as ISO text): the title and the body are
    # rendered from the kind and these at read time, in the language of whoever reads them.
    params = models.JSONField(default=dict)
    event = models.CharField(_("sự kiện"), max_length=60)
    subject_type = models.CharField(max_length=40)
    subject_code = models.CharField(max_length=60)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("đã đọc lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("thông báo")
        verbose_name_plural = _("thông báo")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return f"{self.kind} → {self.recipient_id}"


class Webhook(models.Model):
    """A URL of a user's to which the events about the records it owns are posted, signed."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tài khoản"),
        on_delete=models.CASCADE,
        related_name="webhooks",
    )
    url = models.URLField(_("địa chỉ"), max_length=500)
    # Kept as given: every delivery is signed with it. Shown to the owner once, at creation.
    secret = models.CharField(max_length=100, editable=False)
    events = models.JSONField(_("sự kiện"), default=list)
    active = models.BooleanField(_("đang dùng"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhook")
        ordering = ["id"]

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One event posted to one webhook, tried until it is taken (2xx) or the retries run out."""

    PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
    STATUSES = [(PENDING, PENDING), (DELIVERED, DELIVERED), (FAILED, FAILED)]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=60)
    data = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("lần gửi webhook")
        verbose_name_plural = _("lần gửi webhook")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.event} → {self.webhook_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One POST of a delivery: the answer's status code or the error, and how long it took."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    attempt = models.PositiveSmallIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("lần thử gửi webhook")
        verbose_name_plural = _("lần thử gửi webhook")
        ordering = ["delivery", "attempt"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "attempt"], name="webhook_attempt_once")
        ]

    def __str__(self):
        return f"{self.delivery_id} #{self.attempt}: {self.status_code or self.error}"


class RatingExpiryNotice(models.Model):
    """That a product's rating (until ``expires_on``) was announced as expiring in ``months``:
    the daily job announces each product and threshold once."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="expiry_notices")
    expires_on = models.DateField()
    months = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("báo hết hạn chứng nhận")
        verbose_name_plural = _("báo hết hạn chứng nhận")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "expires_on", "months"], name="expiry_notice_once"
            ),
            models.CheckConstraint(condition=Q(months__gte=1), name="expiry_notice_months"),
        ]

    def __str__(self):
        return f"{self.product_id} {self.expires_on} −{self.months}m"
