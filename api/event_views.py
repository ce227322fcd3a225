"""HTTP views of trade-connection events (README, "Trade-connection events"): the events and their
participants, the schedule (computed by ``events.scheduling``, downloaded as CSV or XLSX), the
outcome of each meeting, and proposals from the meetings held.

Signed-in accounts only. Planners write and see everything; a producer's or buyer's account sees
the events it takes part in and only its own meetings. Every write goes through
``events.services``.
"""

from __future__ import annotations

from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from events import selectors, services
from events.exports import meeting_frame, schedule_grid
from events.models import (
    MAX_SLOTS,
    MAX_TABLES,
    Event,
    EventBuyer,
    EventProducer,
    MeetingOutcome,
)
from linkage.choices import ProposalSide
from linkage.models import CODE_VALIDATORS, Proposal

from . import serializers as s
from .permissions import IsPlanner, account_of
from .renderers import TABLE_RENDERERS, CSVRenderer, Download, XLSXRenderer, file_format

__all__ = ["EventViewSet"]


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
        "example": "08:30",
    }
)
class ClockField(serializers.TimeField):
    """A time of day on the event's own clock, "HH:MM" (no time zone: the event is where it is)."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", input_formats=["%H:%M", "%H:%M:%S"], **kwargs)


def _slots_field():
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_SLOTS),
        max_length=MAX_SLOTS,
        required=False,
        help_text="The slots attended, numbered from 1; none or [] for every slot.",
    )


class EventBuyerSerializer(serializers.Serializer):
    buyer = serializers.CharField(max_length=40, validators=CODE_VALIDATORS)
    tables = serializers.IntegerField(min_value=1, max_value=MAX_TABLES, default=1)
    max_meetings = serializers.IntegerField(
        min_value=0, max_value=MAX_SLOTS * MAX_TABLES, required=False, allow_null=True
    )
    slots = _slots_field()


class EventProducerSerializer(serializers.Serializer):
    producer = serializers.CharField(max_length=40, validators=CODE_VALIDATORS)
    max_meetings = serializers.IntegerField(
        min_value=0, max_value=MAX_SLOTS, required=False, allow_null=True
    )
    slots = _slots_field()


class EventSerializer(serializers.ModelSerializer):
    buyers = EventBuyerSerializer(many=True, required=False, max_length=500)
    producers = EventProducerSerializer(many=True, required=False, max_length=5000)
    starts_at = ClockField(required=False, help_text="When the first slot starts, HH:MM.")
    meetings = serializers.SerializerMethodField(help_text="How many meetings it schedules.")

    class Meta:
        model = Event
        fields = [
            "code",
            "name",
            "place",
            "held_on",
            "starts_at",
            "slot_minutes",
            "slot_count",
            "buyers",
            "producers",
            "scheduled_at",
            "schedule_method",
            "schedule_optimal",
            "meetings",
        ]
        read_only_fields = ["scheduled_at", "schedule_method", "schedule_optimal"]
        # Uniqueness is the service's to check (a clear 400 naming code), not the serializer's.
        extra_kwargs = {"code": {"validators": CODE_VALIDATORS}}

    def to_representation(self, event):
        data = super().to_representation(event)
        account = account_of(self.context["request"])
        # Read from the lists prefetched with the events (``EventViewSet.get_queryset``).
        buyers = sorted(event.buyers.all(), key=lambda e: e.buyer.code)
        producers = sorted(event.producers.all(), key=lambda e: e.producer.code)
        if not account.is_planner:
            producers = [e for e in producers if e.producer_id in account.producer_ids]
        data["buyers"] = [
            {
                "buyer": e.buyer.code,
                "buyer_name": e.buyer.name,
                "tables": e.tables,
                "max_meetings": e.max_meetings,
                "slots": e.slots,
            }
            for e in buyers
        ]
        data["producers"] = [
            {
                "producer": e.producer.code,
                "producer_name": e.producer.name,
                "max_meetings": e.max_meetings,
                "slots": e.slots,
            }
            for e in producers
        ]
        return data

    def get_meetings(self, event) -> int:
        counted = getattr(event, "meeting_count", None)
        return event.meetings.count() if counted is None else counted


class _Named(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class MeetingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slot = serializers.IntegerField()
    starts_at = serializers.CharField()
    ends_at = serializers.CharField()
    table = serializers.IntegerField()
    buyer = _Named()
    producer = _Named()
    product = _Named()
    score = serializers.FloatField()
    outcome = serializers.ChoiceField(choices=MeetingOutcome.choices)
    note = serializers.CharField()
    proposal = serializers.IntegerField(allow_null=True)


class ScheduleSerializer(serializers.Serializer):
    event = serializers.CharField()
    scheduled_at = serializers.DateTimeField(allow_null=True)
    method = serializers.CharField()
    optimal = serializers.BooleanField(allow_null=True)
    slots = serializers.ListField(child=serializers.DictField())
    count = serializers.IntegerField()
    meetings = MeetingSerializer(many=True)
    producers_without_meeting = serializers.ListField(
        child=serializers.CharField(), allow_null=True
    )


class ScheduleRunSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=["exact", "greedy"], default="exact")


class MeetingMarkSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=MeetingOutcome.choices)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True)


class MeetingProposeSerializer(serializers.Serializer):
    proposed_by = serializers.ChoiceField(choices=ProposalSide.choices, required=False)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True)


def _meeting_json(row: dict) -> dict:
    return {
        "id": row["id"],
        "slot": row["slot"],
        "starts_at": row["starts_at"],
        "ends_at": row["ends_at"],
        "table": row["table"],
        "buyer": {"code": row["buyer_code"], "name": row["buyer_name"]},
        "producer": {"code": row["producer_code"], "name": row["producer_name"]},
        "product": {"code": row["product_code"], "name": row["product_name"]},
        "score": row["score"],
        "outcome": row["outcome"],
        "note": row["note"],
        "proposal": row["proposal"],
    }


_REFUSED = {
    400: OpenApiResponse(description="A field and the reason."),
    403: OpenApiResponse(description="Planners only, or not a party of the meeting."),
}


class EventViewSet(viewsets.ModelViewSet):
    """Trade-connection events addressed by code; planners write, participants read their own."""

    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    serializer_class = EventSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_permissions(self):
        if self.action in ("create", "partial_update", "destroy") or (
            self.action == "schedule" and self.request.method == "POST"
        ):
            return [IsPlanner()]
        return [IsAuthenticated()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Event.objects.none()
        return (
            selectors.events_for(account_of(self.request))
            .annotate(meeting_count=Count("meetings", distinct=True))
            .prefetch_related(
                Prefetch("buyers", EventBuyer.objects.select_related("buyer")),
                Prefetch("producers", EventProducer.objects.select_related("producer")),
            )
            .order_by("-held_on", "code")
        )

    def get_object(self):
        if "\x00" in str(self.kwargs.get("code", "")):
            raise Http404
        return super().get_object()

    def perform_create(self, serializer):
        event = services.event_create(actor=account_of(self.request), **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=event.pk)

    def perform_update(self, serializer):
        event = services.event_update(
            actor=account_of(self.request), event=serializer.instance, **serializer.validated_data
        )
        # Read again: the participants prefetched with the event are those before the change.
        serializer.instance = self.get_queryset().get(pk=event.pk)

    def perform_destroy(self, instance):
        services.event_delete(actor=account_of(self.request), event=instance)

    def _schedule_answer(self, event: Event) -> dict:
        account = account_of(self.request)
        rows = selectors.meeting_rows(event, selectors.meetings_for(account, event))
        without = None
        if account.is_planner and event.scheduled_at is not None:
            met = {r["producer_code"] for r in rows}
            without = sorted(set(event.producers.values_list("producer__code", flat=True)) - met)
        return {
            "event": event.code,
            "scheduled_at": event.scheduled_at,
            "method": event.schedule_method,
            "optimal": event.schedule_optimal,
            "slots": [
                {"slot": i, "starts_at": a.strftime("%H:%M"), "ends_at": b.strftime("%H:%M")}
                for i, (a, b) in enumerate(event.slot_times(), start=1)
            ],
            "count": len(rows),
            "meetings": [_meeting_json(r) for r in rows],
            "producers_without_meeting": without,
        }

    @extend_schema(
        methods=["GET"],
        summary="The schedule: every meeting for planners, one's own for participants",
        parameters=[
            OpenApiParameter("format", str, enum=["json", "csv", "xlsx"], description="a download")
        ],
        responses={
            (200, "application/json"): ScheduleSerializer,
            (200, CSVRenderer.media_type): OpenApiResponse(OpenApiTypes.STR),
            (200, XLSXRenderer.media_type): OpenApiResponse(OpenApiTypes.BINARY),
        },
    )
    @extend_schema(
        methods=["POST"],
        summary="Compute the schedule (planners), replacing the previous one",
        request=ScheduleRunSerializer,
        responses={200: ScheduleSerializer, **_REFUSED},
    )
    @action(detail=True, methods=["get", "post"], renderer_classes=TABLE_RENDERERS)
    def schedule(self, request, code=None):
        event = self.get_object()
        if request.method == "POST":
            body = ScheduleRunSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            services.event_schedule(
                actor=account_of(request), event=event, method=body.validated_data["method"]
            )
            event.refresh_from_db()
            return Response(self._schedule_answer(event))
        if file_format(request):
            account = account_of(request)
            rows = selectors.meeting_rows(event, selectors.meetings_for(account, event))
            times = [(a.strftime("%H:%M"), b.strftime("%H:%M")) for a, b in event.slot_times()]
            frame = meeting_frame(rows)
            return Response(
                Download(
                    {
                        _("Lịch gặp")[:31]: frame,
                        _("Theo bàn")[:31]: schedule_grid(rows, times),
                    },
                    f"ocop-event-{event.code}",
                )
            )
        return Response(self._schedule_answer(event))

    def _meeting(self, event: Event, meeting_id: str):
        return get_object_or_404(
            selectors.meetings_for(account_of(self.request), event), pk=int(meeting_id)
        )

    @extend_schema(
        summary="Mark a meeting held or absent, with a note (planners and its parties)",
        request=MeetingMarkSerializer,
        responses={200: MeetingSerializer, **_REFUSED},
    )
    @action(detail=True, methods=["patch"], url_path=r"meetings/(?P<meeting_id>[0-9]{1,18})")
    def meeting(self, request, code=None, meeting_id=None):
        event = self.get_object()
        meeting = self._meeting(event, meeting_id)
        body = MeetingMarkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.meeting_mark(actor=account_of(request), meeting=meeting, **body.validated_data)
        return Response(_meeting_json(selectors.meeting_rows(event, [meeting])[0]))

    @extend_schema(
        summary="Turn a held meeting into a proposal of its product to its buyer",
        request=MeetingProposeSerializer,
        responses={201: s.ProposalDetailSerializer, **_REFUSED},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"meetings/(?P<meeting_id>[0-9]{1,18})/proposal",
    )
    def proposal(self, request, code=None, meeting_id=None):
        event = self.get_object()
        meeting = self._meeting(event, meeting_id)
        body = MeetingProposeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        made = services.meeting_propose(
            actor=account_of(request), meeting=meeting, **body.validated_data
        )
        fresh = (
            Proposal.objects.select_related("product__producer", "buyer", "sourcing_request")
            .prefetch_related("events")
            .get(pk=made.pk)
        )
        return Response(s.ProposalDetailSerializer(fresh).data, status=status.HTTP_201_CREATED)
