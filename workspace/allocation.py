"""The chain's allocation proposal: the global allocation (``linkage.allocation.allocation_run``,
as the API runs it) over the account's open sourcing requests, with names, flags and what is
already proposed; and the accepted lines, turned into proposals by
``linkage.services.proposals_from_allocation`` (the API's ``proposals/from-allocation/``).

Flags of a line: the product's rating expires within the request's horizon (from today to
``HORIZON_MONTHS`` after the request's deadline, or after today without one), and the readiness
gaps of the producer for the request's buyer (``linkage.readiness``).
"""

from __future__ import annotations

import datetime as dt
import math

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linkage import matching, readiness, services
from linkage.accounts import Account
from linkage.allocation import allocation_run
from linkage.dates import add_months
from linkage.models import BuyerRequirements, Credential, Product, SourcingRequest

from . import selectors

__all__ = ["HORIZON_MONTHS", "MAX_REQUESTS", "accept_lines", "allocation_proposal", "line_value"]

# A first supply contract runs about half a year: a rating lapsing in that time needs re-rating
# before the chain can keep the product on its shelves.
HORIZON_MONTHS = 6
# The API runs up to this many requests in the request itself (``api.allocation_views``).
MAX_REQUESTS = 200

UNMET_REASONS = {
    matching.NO_ELIGIBLE_SUPPLY: gettext_lazy("no eligible supply within distance"),
    matching.SUPPLY_USED_UP: gettext_lazy("eligible supply used up"),
    matching.BUYER_DOES_NOT_TAKE_GROUP: gettext_lazy("the buyer does not take this product group"),
}


def _requests_of(account: Account, today: dt.date):
    found = SourcingRequest.objects.filter(SourcingRequest.matchable_q(today))
    if not account.is_planner:
        found = found.filter(account.buyer_q("buyer__"))
    return found.select_related("buyer__chain").order_by("code")[:MAX_REQUESTS]


def months_until(today: dt.date, day: dt.date) -> int:
    """Whole months from ``today`` to ``day``, at least 0."""
    months = (day.year - today.year) * 12 + day.month - today.month
    if add_months(today, months) > day:
        months -= 1
    return max(months, 0)


def horizon_of(request: SourcingRequest, today: dt.date) -> dt.date:
    """The last day the request's supply is planned for."""
    return add_months(max(request.deadline or today, today), HORIZON_MONTHS)


def line_value(request_code: str, product_code: str, quantity: float) -> str:
    """What an accept button posts for one line (codes never hold a space)."""
    return f"{request_code} {product_code} {quantity:g}"


def _requirements(requests: list[SourcingRequest]) -> dict[str, dict | None]:
    """Each request's buyer's requirements (its own, else its chain's), by request code, as
    ``linkage.readiness.readiness_gaps`` takes them."""
    buyer_ids = {r.buyer_id for r in requests} | {r.buyer.chain_id for r in requests}
    declared = {
        row["buyer_id"]: row
        for row in BuyerRequirements.objects.filter(buyer_id__in=buyer_ids - {None}).values(
            "buyer_id", "documents", "min_volume_per_month"
        )
    }
    out = {}
    for request in requests:
        found, _source = readiness.effective_requirements(
            declared.get(request.buyer_id), declared.get(request.buyer.chain_id)
        )
        out[request.code] = None
        if found is not None:
            out[request.code] = {
                "documents": [c for c in found["documents"].split(",") if c],
                "min_volume_per_month": found["min_volume_per_month"],
            }
    return out


def allocation_proposal(account: Account, *, today: dt.date, language: str) -> dict:
    """The allocation of the account's open requests (planners: every open request, the first
    ``MAX_REQUESTS`` by code), ready for the page.

    Out: ``{"requests": [...], "demand", "served", "unmet", "today"}``; each request is
    ``{"request": SourcingRequest, "quantity", "served", "unmet", "reason", "lines": [...]}`` and
    each line ``{"product": Product, "quantity", "distance_km", "expires_in_months" (None when
    the rating outlasts the horizon), "gaps": [{"code", "text"}], "open": bool, "value"}``.
    """
    requests = {r.code: r for r in _requests_of(account, today)}
    if not requests:
        return {"requests": [], "demand": 0, "served": 0, "unmet": 0, "today": today}
    result = allocation_run(request_codes=list(requests))
    product_codes = {row["product"] for r in result["requests"] for row in r["allocations"]}
    products = {
        p.code: p for p in Product.objects.filter(code__in=product_codes).select_related("producer")
    }
    held: dict[int, dict] = {}
    for producer_id, kind, expires_on in Credential.objects.filter(
        producer_id__in={p.producer_id for p in products.values()}
    ).values_list("producer_id", "kind", "expires_on"):
        held.setdefault(producer_id, {})[kind] = expires_on
    wanted = _requirements(list(requests.values()))
    pairs = selectors.open_pairs(account)
    rows = []
    for found in result["requests"]:
        request = requests[found["code"]]
        horizon = horizon_of(request, today)
        lines = []
        for row in found["allocations"]:
            product = products[row["product"]]
            expires = product.rating_expires_on
            gaps = readiness.readiness_gaps(
                wanted[request.code],
                held.get(product.producer_id, {}),
                product.capacity_per_month,
                today,
            )
            lines.append(
                {
                    "product": product,
                    "quantity": row["quantity"],
                    "distance_km": row.get("distance_km"),
                    "expires_in_months": months_until(today, expires)
                    if expires is not None and expires <= horizon
                    else None,
                    "expires_in_days": (expires - today).days if expires is not None else None,
                    "gaps": readiness.with_text(gaps, language),
                    "open": (product.code, request.buyer.code) in pairs,
                    "value": line_value(request.code, product.code, row["quantity"]),
                }
            )
        rows.append(
            {
                "request": request,
                "quantity": found["quantity"],
                "served": found["served"],
                "unmet": found["unmet"],
                "reason": UNMET_REASONS.get(found["reason"], found["reason"]),
                "lines": lines,
                "unproposed": [line["value"] for line in lines if not line["open"]],
            }
        )
    return {
        "requests": rows,
        "demand": result["demand"],
        "served": result["served"],
        "unmet": result["unmet"],
        "today": today,
    }


def accept_lines(account: Account, values: list[str]) -> list:
    """Proposals from the accepted lines (``line_value``s), all or none; ``WriteRefused``
    naming the lines the service refuses, or an unknown request or product."""
    parsed = []
    for value in values:
        parts = value.split()
        try:
            request_code, product_code, quantity = parts
            quantity = float(quantity)
        except ValueError:
            raise services.WriteRefused({"lines": [_("Unreadable allocation line.")]}) from None
        if not math.isfinite(quantity) or quantity < 0:
            raise services.WriteRefused({"lines": [_("Unreadable allocation line.")]})
        parsed.append((request_code, product_code, quantity))
    requests = SourcingRequest.objects.select_related("buyer").in_bulk(
        {p[0] for p in parsed}, field_name="code"
    )
    products = Product.objects.select_related("producer").in_bulk(
        {p[1] for p in parsed}, field_name="code"
    )
    lines = []
    for request_code, product_code, quantity in parsed:
        if request_code not in requests or product_code not in products:
            raise services.WriteRefused(
                {"lines": [_("Unknown request or product: %s.") % f"{request_code} {product_code}"]}
            )
        lines.append(
            {
                "sourcing_request": requests[request_code],
                "product": products[product_code],
                "note": _("From the allocation: %(quantity)s a month.")
                % {"quantity": formats.number_format(quantity, decimal_pos=0, use_l10n=True)},
            }
        )
    return services.proposals_from_allocation(actor=account, lines=lines)
