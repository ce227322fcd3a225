"""The printable schedule pages: one page per participant, server-rendered, Vietnamese first
(English when the browser asks for it), laid out for A4 paper by the print style sheet.

Signed-in accounts (the workspace's sign-in). Planners print every participant's page; a producer
or buyer account prints the pages of its own participants.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from linkage import selectors as registry
from linkage.accounts import Account
from linkage.privacy import withheld_name

from . import selectors

__all__ = ["event_list", "schedule_pages"]


@login_required
def event_list(request):
    """The events the account may see, newest first, each with a link to its pages."""
    account = Account.of_user(request.user)
    events = selectors.events_for(account).order_by("-held_on", "code")[:200]
    return render(request, "events/list.html", {"events": events, "account": account})


def _page(kind, code, name, rows, slot_times, counterpart):
    """One participant's sheet: a line per slot, its meetings or a free line."""
    by_slot: dict[int, list[dict]] = {}
    for row in rows:
        by_slot.setdefault(row["slot"], []).append(row)
    lines = []
    for slot, (start, end) in enumerate(slot_times, start=1):
        meetings = sorted(by_slot.get(slot, []), key=lambda r: r["table"])
        lines.append(
            {
                "slot": slot,
                "start": start.strftime("%H:%M"),
                "end": end.strftime("%H:%M"),
                "meetings": [
                    {
                        "table": r["table"],
                        "with_name": r[f"{counterpart}_name"],
                        "with_code": r[f"{counterpart}_code"],
                        "product": r["product_name"],
                        "product_code": r["product_code"],
                        "buyer_name": r["buyer_name"],
                    }
                    for r in meetings
                ],
            }
        )
    return {
        "kind": kind,
        "code": code,
        "name": name,
        "lines": lines,
        "count": len(rows),
    }


def _withholding(account: Account, rows: list[dict]) -> list[dict]:
    """The rows with the households the account may not see in full named as withheld, as the
    API does (``linkage.privacy``): a buyer meets the household, but its name is the family's."""
    if account.is_planner:
        return rows
    hidden = registry.households_among({r["producer_code"] for r in rows})
    if hidden and account.producer_ids:
        hidden -= registry.households_linked_to(account.producer_ids)
    for row in rows:
        if row["producer_code"] in hidden:
            row["producer_name"] = withheld_name()
    return rows


@login_required
def schedule_pages(request, code: str):
    """Every page the account may print for the event; ``?producer=`` or ``?buyer=`` (a code)
    narrows to one participant."""
    account = Account.of_user(request.user)
    event = selectors.events_for(account).filter(code=code).first()
    if event is None:
        raise Http404
    rows = _withholding(
        account, selectors.meeting_rows(event, selectors.meetings_for(account, event))
    )
    slot_times = event.slot_times()
    wanted_producer = request.GET.get("producer")
    wanted_buyer = request.GET.get("buyer")
    pages = []
    buyers = event.buyers.select_related("buyer").order_by("buyer__code")
    producers = event.producers.select_related("producer").order_by("producer__code")
    if not account.is_planner:
        buyers = buyers.filter(account.buyer_q("buyer__"))
        producers = producers.filter(producer_id__in=account.producer_ids)
    if wanted_producer is None:
        for entry in buyers:
            if wanted_buyer not in (None, entry.buyer.code):
                continue
            mine = [r for r in rows if r["buyer_code"] == entry.buyer.code]
            pages.append(
                _page("buyer", entry.buyer.code, entry.buyer.name, mine, slot_times, "producer")
            )
    if wanted_buyer is None:
        for entry in producers:
            if wanted_producer not in (None, entry.producer.code):
                continue
            mine = [r for r in rows if r["producer_code"] == entry.producer.code]
            pages.append(
                _page(
                    "producer", entry.producer.code, entry.producer.name, mine, slot_times, "buyer"
                )
            )
    if (wanted_producer or wanted_buyer) and not pages:
        raise Http404
    return render(
        request,
        "events/schedule.html",
        {"event": event, "pages": pages, "account": account},
    )
