"""The staff admin of events: an event with its participants inline, its meetings apart, and an
action that computes the schedule through ``events.services``.

An event is not part of the registry's snapshot (no version moves, no domain event), so the
admin saves its rows directly; the schedule and the proposals go through the services.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from linkage.accounts import Account

from . import services
from .models import Event, EventBuyer, EventProducer, Meeting


class EventBuyerInline(admin.TabularInline):
    model = EventBuyer
    raw_id_fields = ["buyer"]
    extra = 0


class EventProducerInline(admin.TabularInline):
    model = EventProducer
    raw_id_fields = ["producer"]
    extra = 0


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "held_on", "place", "slot_count", "schedule_method"]
    search_fields = ["code", "name", "place"]
    date_hierarchy = "held_on"
    readonly_fields = ["scheduled_at", "schedule_method", "schedule_optimal"]
    inlines = [EventBuyerInline, EventProducerInline]
    actions = ["make_schedule"]

    @admin.action(description=_("Xếp lịch gặp (tối ưu)"))
    def make_schedule(self, request, queryset):
        actor = Account.of_user(request.user)
        for event in queryset:
            try:
                schedule = services.event_schedule(actor=actor, event=event)
            except ValidationError as refused:
                self.message_user(request, f"{event.code}: {refused}", messages.ERROR)
                continue
            self.message_user(
                request,
                _("%(code)s: %(n)s lượt gặp, %(met)s chủ thể được gặp ít nhất một lần.")
                % {"code": event.code, "n": len(schedule.meetings), "met": schedule.producers_met},
            )


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["event", "slot", "buyer", "table", "producer", "product", "score", "outcome"]
    list_filter = ["outcome", "event"]
    list_select_related = ["event", "buyer", "producer", "product"]
    raw_id_fields = ["buyer", "producer", "product", "proposal"]
    readonly_fields = [
        "event",
        "slot",
        "table",
        "buyer",
        "producer",
        "product",
        "score",
        "proposal",
    ]
