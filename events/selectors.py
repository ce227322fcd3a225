"""Reads of trade-connection events: the events and meetings an account may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from linkage.accounts import Account

from .models import Event, Meeting

__all__ = ["events_for", "meeting_rows", "meetings_for"]


def _mine(account: Account, prefix: str = "") -> Q:
    return Q(**{f"{prefix}producer_id__in": account.producer_ids}) | account.buyer_q(
        f"{prefix}buyer__"
    )


def events_for(account: Account) -> QuerySet[Event]:
    """Every event for planners; for others the events one of their producers or buyers (a
    chain: its stores too) takes part in."""
    events = Event.objects.all()
    if account.is_planner:
        return events
    return events.filter(
        Q(producers__producer_id__in=account.producer_ids)
        | Q(buyers__buyer_id__in=account.buyer_ids)
        | Q(buyers__buyer__chain_id__in=account.buyer_ids)
    ).distinct()


def meetings_for(account: Account, event: Event) -> QuerySet[Meeting]:
    """The event's meetings the account may see: all for planners, else its own, in slot,
    buyer and table order, with what they name, in one query."""
    meetings = event.meetings.select_related("buyer", "producer", "product").order_by(
        "slot", "buyer__code", "table"
    )
    return meetings if account.is_planner else meetings.filter(_mine(account))


def meeting_rows(event: Event, meetings) -> list[dict]:
    """Meetings as flat rows (``events.exports.MEETING_COLUMNS``), with their times."""
    times = event.slot_times()
    return [
        {
            "id": m.pk,
            "slot": m.slot,
            "starts_at": times[m.slot - 1][0].strftime("%H:%M") if m.slot <= len(times) else "",
            "ends_at": times[m.slot - 1][1].strftime("%H:%M") if m.slot <= len(times) else "",
            "buyer_code": m.buyer.code,
            "buyer_name": m.buyer.name,
            "table": m.table,
            "producer_code": m.producer.code,
            "producer_name": m.producer.name,
            "product_code": m.product.code,
            "product_name": m.product.name,
            "score": m.score,
            "outcome": m.outcome,
            "note": m.note,
            "proposal": m.proposal_id,
        }
        for m in meetings
    ]
