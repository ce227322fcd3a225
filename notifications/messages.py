"""What a notification says: its kinds, and their title and body in the reader's language.

A notification stores its kind and parameters (codes, names, figures, ISO dates), never text:
``render`` writes the title and body with gettext in the active language (the API's request
language, Vietnamese for e-mail with English below), so one notification reads in either.
"""

from __future__ import annotations

import datetime as dt

from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linkage.choices import Category

__all__ = [
    "KINDS",
    "PROPOSAL_RECEIVED",
    "PROPOSAL_STATE_CHANGED",
    "RATING_EXPIRING",
    "SOURCING_REQUEST_MATCHED",
    "render",
]

SOURCING_REQUEST_MATCHED = "sourcing_request_matched"
PROPOSAL_RECEIVED = "proposal_received"
PROPOSAL_STATE_CHANGED = "proposal_state_changed"
RATING_EXPIRING = "rating_expiring"
KINDS = (SOURCING_REQUEST_MATCHED, PROPOSAL_RECEIVED, PROPOSAL_STATE_CHANGED, RATING_EXPIRING)

_STATES = {
    "proposed": gettext_lazy("proposed"),
    "accepted": gettext_lazy("accepted"),
    "declined": gettext_lazy("declined"),
    "withdrawn": gettext_lazy("withdrawn"),
    "mou_signed": gettext_lazy("MOU signed"),
    "trading": gettext_lazy("trading"),
    "ended": gettext_lazy("ended"),
}
_PARTIES = {
    "producer": gettext_lazy("the producer"),
    "buyer": gettext_lazy("the buyer"),
    "planner": gettext_lazy("a planner"),
}


def _state(code) -> str:
    return str(_STATES.get(code, code or ""))


def _day(iso) -> str:
    try:
        return formats.date_format(dt.date.fromisoformat(iso), "SHORT_DATE_FORMAT")
    except (TypeError, ValueError):
        return str(iso or "")


def _group(code) -> str:
    try:
        return str(Category(code).label)
    except ValueError:
        return str(code or "")


def _products(params) -> str:
    names = params.get("products") or []
    shown = ", ".join(f"{p['name']} ({p['code']})" for p in names[:5])
    if len(names) > 5:
        shown = _("%(shown)s and %(count)d more") % {"shown": shown, "count": len(names) - 5}
    return shown


def _request_matched(p: dict) -> tuple[str, str]:
    title = _("New sourcing request for your products")
    body = _(
        "%(buyer)s is looking for %(group)s products, %(quantity)s a month, at least %(stars)s "
        "stars. Your products that qualify: %(products)s."
    ) % {
        "buyer": p.get("buyer_name") or p.get("buyer"),
        "group": _group(p.get("category")).lower(),
        "quantity": formats.number_format(p.get("quantity_per_month") or 0, use_l10n=True),
        "stars": p.get("min_stars") or 1,
        "products": _products(p),
    }
    if p.get("max_distance_km") is not None:
        body += " " + _("Within %(km)s km of the buyer.") % {"km": p["max_distance_km"]}
    return title, body


def _proposal_received(p: dict) -> tuple[str, str]:
    title = _("New proposal")
    if p.get("proposed_by") == "buyer":
        body = _("%(buyer)s proposes to sell your product %(product)s.")
    else:
        body = _("%(producer)s proposes its product %(product)s to %(buyer)s.")
    return title, body % _names(p)


def _proposal_state_changed(p: dict) -> tuple[str, str]:
    title = _("Proposal %(id)s: %(state)s") % {"id": p.get("id"), "state": _state(p.get("to"))}
    body = _(
        "The proposal of %(product)s from %(producer)s to %(buyer)s went from %(from)s to "
        "%(to)s (by %(by)s)."
    ) % {
        **_names(p),
        "from": _state(p.get("from")),
        "to": _state(p.get("to")),
        "by": str(_PARTIES.get(p.get("by"), p.get("by") or "")),
    }
    return title, body


def _rating_expiring(p: dict) -> tuple[str, str]:
    title = _("OCOP rating expires in %(months)d months") % {"months": p.get("months", 0)}
    body = _(
        "The %(stars)s-star OCOP rating of %(product)s expires on %(day)s: apply to have it "
        "re-rated before then."
    ) % {
        "stars": p.get("stars"),
        "product": f"{p.get('product_name') or p.get('product')} ({p.get('product')})",
        "day": _day(p.get("expires_on")),
    }
    return title, body


def _names(p: dict) -> dict:
    return {
        "product": f"{p.get('product_name') or p.get('product')} ({p.get('product')})",
        "producer": p.get("producer_name") or p.get("producer"),
        "buyer": p.get("buyer_name") or p.get("buyer"),
    }


_RENDERERS = {
    SOURCING_REQUEST_MATCHED: _request_matched,
    PROPOSAL_RECEIVED: _proposal_received,
    PROPOSAL_STATE_CHANGED: _proposal_state_changed,
    RATING_EXPIRING: _rating_expiring,
}


def render(kind: str, params: dict, language: str | None = None) -> tuple[str, str]:
    """(title, body) of a notification, in ``language`` (default: the active one)."""
    renderer = _RENDERERS.get(kind)
    if renderer is None:
        return kind, ""
    if language is None:
        return renderer(params)
    with translation.override(language):
        return renderer(params)
