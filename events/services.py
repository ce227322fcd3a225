"""Writes of trade-connection events: the event and its participants, its schedule, the outcome
of each meeting, and proposals from the meetings held (through ``linkage.services``).

Keyword-only functions in ``transaction.atomic``, refusing with ``linkage.services.WriteRefused``
(the API answers 400 naming the field) as every write of the service does.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NoReturn

from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linkage import services as linkage_services
from linkage.accounts import Account
from linkage.choices import ProposalOrigin, ProposalSide
from linkage.models import Buyer, Producer, Product, Proposal
from linkage.services import WriteForbidden, WriteRefused
from linkage.text import some_of

from . import scheduling
from .inputs import event_inputs
from .models import Event, EventBuyer, EventProducer, Meeting, MeetingOutcome

__all__ = [
    "event_create",
    "event_delete",
    "event_schedule",
    "event_update",
    "meeting_mark",
    "meeting_propose",
]

EVENT_FIELDS = ("code", "name", "place", "held_on", "starts_at", "slot_minutes", "slot_count")


def _refuse(field: str, reason: str) -> NoReturn:
    raise WriteRefused({field: [reason]})


def _require_planner(actor: Account | None) -> None:
    if actor is not None and not actor.is_planner:
        raise WriteForbidden({NON_FIELD_ERRORS: [_("Only staff and planners may do this.")]})


@transaction.atomic
def event_create(
    *,
    actor: Account | None,
    buyers: list[dict] | None = None,
    producers: list[dict] | None = None,
    **fields: Any,
) -> Event:
    """A new event with its participants (planners). ``buyers``: ``{"buyer": code, "tables",
    "max_meetings", "slots"}``; ``producers``: ``{"producer": code, "max_meetings", "slots"}``;
    slots numbered from 1, none meaning all."""
    _require_planner(actor)
    if Event.objects.filter(code=fields.get("code")).exists():
        _refuse("code", _("An event with this code already exists."))
    event = Event(**{k: v for k, v in fields.items() if k in EVENT_FIELDS})
    event.full_clean()
    event.save()
    _set_participants(event, buyers or [], producers or [])
    return event


@transaction.atomic
def event_update(
    *,
    actor: Account | None,
    event: Event,
    buyers: list[dict] | None = None,
    producers: list[dict] | None = None,
    **changes: Any,
) -> Event:
    """Change an event (planners). Changing its slots or participants drops its schedule, and is
    refused once a meeting has been marked held or absent."""
    _require_planner(actor)
    if "code" in changes and changes["code"] != event.code:
        _refuse("code", _("An event's code cannot change."))
    reshapes = buyers is not None or producers is not None
    for name, value in changes.items():
        if name in EVENT_FIELDS and getattr(event, name) != value:
            reshapes |= name in ("slot_count",)
            setattr(event, name, value)
    event.full_clean()
    if reshapes:
        _drop_schedule(event)
    event.save()
    if reshapes:
        _set_participants(
            event,
            buyers if buyers is not None else _entries(event.buyers.all(), "buyer"),
            producers if producers is not None else _entries(event.producers.all(), "producer"),
        )
    return event


@transaction.atomic
def event_delete(*, actor: Account | None, event: Event) -> None:
    """Delete an event and its schedule (planners); refused once a meeting led to a proposal."""
    _require_planner(actor)
    if event.meetings.filter(proposal__isnull=False).exists():
        _refuse(NON_FIELD_ERRORS, _("Meetings of this event led to proposals; it is kept."))
    event.delete()


def _entries(queryset, side: str) -> list[dict]:
    return [
        {
            side: getattr(e, side).code,
            "max_meetings": e.max_meetings,
            "slots": e.slots,
            **({"tables": e.tables} if side == "buyer" else {}),
        }
        for e in queryset.select_related(side)
    ]


def _drop_schedule(event: Event) -> None:
    if event.meetings.exclude(outcome=MeetingOutcome.PLANNED).exists():
        _refuse(
            NON_FIELD_ERRORS,
            _("Meetings of this event have been marked; its schedule can no longer change."),
        )
    event.meetings.all().delete()
    event.scheduled_at, event.schedule_method, event.schedule_optimal = None, "", None


def _set_participants(event: Event, buyers: list[dict], producers: list[dict]) -> None:
    """Replace the event's participants, checking codes, repeats and slots."""
    event.buyers.all().delete()
    event.producers.all().delete()
    for field, rows, model, entry_model in (
        ("buyers", buyers, Buyer, EventBuyer),
        ("producers", producers, Producer, EventProducer),
    ):
        key = field[:-1]
        codes = [row[key] for row in rows]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            _refuse(field, _("Listed more than once: %s.") % some_of(repeated))
        known = {r.code: r for r in model.objects.filter(code__in=codes)}
        unknown = [c for c in codes if c not in known]
        if unknown:
            _refuse(field, _("Unknown code: %s.") % some_of(unknown))
        entries = []
        for row in rows:
            slots = sorted(set(row.get("slots") or []))
            outside = [s for s in slots if not 1 <= s <= event.slot_count]
            if outside:
                _refuse(
                    field,
                    _("%(code)s: slots run from 1 to %(n)s.")
                    % {"code": row[key], "n": event.slot_count},
                )
            entry = entry_model(
                event=event,
                **{key: known[row[key]]},
                max_meetings=row.get("max_meetings"),
                slots=slots,
                **({"tables": row.get("tables") or 1} if key == "buyer" else {}),
            )
            entries.append(entry)
        entry_model.objects.bulk_create(entries)


@transaction.atomic
def event_schedule(
    *, actor: Account | None, event: Event, method: str = "exact", time_limit: float = 20.0
) -> scheduling.Schedule:
    """Compute the event's schedule (``events.scheduling``) and store its meetings in place of
    the previous ones (planners). ``method`` "exact" (default) or "greedy". Refused once a
    meeting has been marked."""
    _require_planner(actor)
    event = Event.objects.select_for_update().get(pk=event.pk)
    _drop_schedule(event)
    inputs = event_inputs(event)
    if method == "greedy":
        schedule = scheduling.schedule_greedy(inputs.instance)
    else:
        schedule = scheduling.schedule_exact(inputs.instance, time_limit=time_limit)
    producers = dict(event.producers.values_list("producer__code", "producer_id"))
    buyers = dict(event.buyers.values_list("buyer__code", "buyer_id"))
    products = dict(
        Product.objects.filter(code__in=set(inputs.product_of.values())).values_list("code", "pk")
    )
    Meeting.objects.bulk_create(
        Meeting(
            event=event,
            slot=m.slot + 1,
            table=m.table,
            buyer_id=buyers[m.buyer],
            producer_id=producers[m.producer],
            product_id=products[inputs.product_of[m.producer, m.buyer]],
            score=inputs.instance.scores[m.producer, m.buyer],
        )
        for m in schedule.meetings
    )
    event.scheduled_at = timezone.now()
    event.schedule_method = schedule.method
    event.schedule_optimal = schedule.optimal
    event.save(update_fields=["scheduled_at", "schedule_method", "schedule_optimal"])
    return schedule


def _party(actor: Account | None, meeting: Meeting) -> bool:
    return (
        actor is None
        or actor.is_planner
        or meeting.producer_id in actor.producer_ids
        or actor.owns_buyer(meeting.buyer)
    )


@transaction.atomic
def meeting_mark(
    *, actor: Account | None, meeting: Meeting, outcome: str, note: str | None = None
) -> Meeting:
    """Record how a meeting went: held, no-show (or back to planned), with a note. Planners and
    the meeting's two parties; a meeting that led to a proposal stays held."""
    if not _party(actor, meeting):
        raise WriteForbidden({NON_FIELD_ERRORS: [_("Only the meeting's parties may mark it.")]})
    if outcome not in MeetingOutcome.values:
        _refuse("outcome", _("Must be one of: %s.") % ", ".join(MeetingOutcome.values))
    if meeting.proposal_id and outcome != MeetingOutcome.HELD:
        _refuse("outcome", _("This meeting led to a proposal: it was held."))
    meeting.outcome = outcome
    if note is not None:
        meeting.note = note
    meeting.save(update_fields=["outcome", "note"])
    return meeting


@transaction.atomic
def meeting_propose(
    *,
    actor: Account | None,
    meeting: Meeting,
    proposed_by: str | None = None,
    note: str = "",
    today: dt.date | None = None,
) -> Proposal:
    """Turn a held meeting into a proposal of its product to its buyer, through
    ``linkage.services.proposal_create`` (its rules, its events, its notifications). A planner
    proposes from the producer's side unless it says otherwise."""
    if meeting.outcome != MeetingOutcome.HELD:
        _refuse("outcome", _("Only a meeting that was held can become a proposal."))
    if meeting.proposal_id:
        _refuse(NON_FIELD_ERRORS, _("This meeting already led to a proposal."))
    if proposed_by is None and (actor is None or actor.is_planner):
        proposed_by = ProposalSide.PRODUCER
    event = meeting.event
    text = note or _("Met at %(event)s on %(day)s (slot %(slot)s, table %(table)s).") % {
        "event": event.name,
        "day": event.held_on.isoformat(),
        "slot": meeting.slot,
        "table": meeting.table,
    }
    proposal = linkage_services.proposal_create(
        actor=actor,
        product=meeting.product,
        buyer=meeting.buyer,
        proposed_by=proposed_by,
        origin=ProposalOrigin.OTHER,
        note=text,
    )
    meeting.proposal = proposal
    meeting.save(update_fields=["proposal"])
    return proposal
