"""The global allocation over the registry: read the rows, run ``linkage.matching.allocate``.

Two queries: the open sourcing requests with their buyers and the buyers' stores (one row per
store), and the rated, unexpired, placed products of the groups asked for with their producers.
A request is measured from its buyer's stores when the buyer has placed stores (a chain is where
its nearest store is), else from the buyer's own point; a buyer with neither has no distance limit
applied and no distance cost (see ``linkage.matching``).
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import RequestStatus
from .eligibility import GROUPS, buyer_rules
from .matching import RequestRow, SupplyRow, allocate
from .models import Product, SourcingRequest
from .text import some_of

__all__ = ["MAX_QUANTITY_PER_MONTH", "allocation_inputs", "allocation_run", "check_request_codes"]

# The solver works in int64 thousandths of a unit times metres: a million units a month per
# request keeps a national run's total cost far below 2**63 (larger asks overflow it silently).
MAX_QUANTITY_PER_MONTH = 1_000_000


def check_request_codes(codes: list[str]) -> list[str]:
    """The codes, without repeats, if each names an open sourcing request.

    Raises ValidationError naming the unknown and the closed codes (the first few of each and
    how many more).
    """
    codes = list(dict.fromkeys(codes))
    found = {
        code: (status, deadline)
        for code, status, deadline in SourcingRequest.objects.filter(code__in=codes).values_list(
            "code", "status", "deadline"
        )
    }
    today = timezone.localdate()
    unknown = [code for code in codes if code not in found]
    closed = [code for code in found if found[code][0] != RequestStatus.OPEN]
    overdue = [
        code
        for code, (status, deadline) in found.items()
        if status == RequestStatus.OPEN and deadline is not None and deadline < today
    ]
    errors = []
    if unknown:
        errors.append(_("Unknown sourcing request: %s.") % some_of(unknown))
    if closed:
        errors.append(_("Sourcing request not open: %s.") % some_of(closed))
    if overdue:
        errors.append(_("Sourcing request past its deadline: %s.") % some_of(overdue))
    if errors:
        raise ValidationError(errors)
    return codes


def allocation_inputs(
    *, request_codes: list[str] | None = None, today: dt.date
) -> tuple[list[RequestRow], list[SupplyRow]]:
    """The open sourcing requests not past their deadline (all, or those of ``request_codes``)
    and the supply they may use.

    Out: requests in code order and supply rows, ready for ``linkage.matching.allocate``.
    Raises ValidationError on "requests" naming any request that asks for more than
    ``MAX_QUANTITY_PER_MONTH`` (rows written before that limit, e.g. by hand in the database).
    """
    # Past its deadline a request seeks no more proposals (``SourcingRequest.matchable_q``).
    rows = SourcingRequest.objects.filter(SourcingRequest.matchable_q(today))
    if request_codes is not None:
        rows = rows.filter(code__in=request_codes)
    rows = rows.order_by("code").values_list(
        "code",
        "category",
        "min_stars",
        "quantity_per_month",
        "max_distance_km",
        "buyer__lat",
        "buyer__lon",
        "buyer__categories",
        "buyer__min_stars",
        "buyer__chain__categories",
        "buyer__chain__min_stars",
        "buyer__stores__lat",
        "buyer__stores__lon",
    )
    by_code: dict[str, dict] = {}
    for row in rows:
        code, category, min_stars, quantity, reach, lat, lon, takes, buyer_stars = row[:9]
        rules = buyer_rules(takes, buyer_stars, *row[9:11])
        request = by_code.setdefault(
            code,
            {
                "code": code,
                "category": category,
                "quantity": quantity,
                "min_stars": min_stars,
                "max_distance_km": reach,
                "own": () if lat is None else ((lat, lon),),
                "stores": [],
                "buyer_categories": tuple(g for g in GROUPS if rules.takes(g)),
                "buyer_min_stars": rules.min_stars or None,
            },
        )
        store_lat, store_lon = row[11:]
        if store_lat is not None:
            request["stores"].append((store_lat, store_lon))
    requests = [
        RequestRow(
            code=r["code"],
            category=r["category"],
            quantity=r["quantity"],
            min_stars=r["min_stars"],
            max_distance_km=r["max_distance_km"],
            points=tuple(r["stores"]) or r["own"],
            buyer_categories=r["buyer_categories"],
            buyer_min_stars=r["buyer_min_stars"],
        )
        for r in by_code.values()
    ]
    too_large = [r.code for r in requests if not 0 <= r.quantity <= MAX_QUANTITY_PER_MONTH]
    if too_large:
        raise ValidationError(
            {
                "requests": [
                    _("Sourcing request asks for more than %(max)s a month: %(codes)s.")
                    % {"max": f"{MAX_QUANTITY_PER_MONTH:,}", "codes": ", ".join(too_large)}
                ]
            }
        )
    # No product can hand out more than is asked in all; a larger stated capacity (even inf)
    # changes nothing but would overflow the solver's integers.
    ceiling = float(sum(r.quantity for r in requests))
    categories = {r.category for r in requests}
    products = Product.objects.filter(
        # A rating in force today (linkage.eligibility): stars with no date count.
        Q(rating_expires_on__gt=today) | Q(rating_expires_on__isnull=True),
        category__in=categories,
        stars__isnull=False,
        producer__lat__isnull=False,
    ).values_list(
        "code",
        "producer__code",
        "category",
        "stars",
        "capacity_per_month",
        "producer__lat",
        "producer__lon",
        "rating_expires_on",
    )
    # No request, no group to read: skip the second query.
    supply = [
        SupplyRow(
            code,
            producer,
            category,
            stars,
            None if capacity is None else min(capacity, ceiling),
            (lat, lon),
            expires_on,
        )
        for code, producer, category, stars, capacity, lat, lon, expires_on in (
            products if categories else ()
        )
    ]
    return requests, supply


def allocation_run(*, request_codes: list[str] | None = None) -> dict:
    """Allocate the open sourcing requests (all, or ``request_codes``) as of today.

    Out: ``AllocationResult.as_dict()`` plus "today" (ISO date). The background-job entry point.
    """
    today = timezone.localdate()
    requests, supply = allocation_inputs(request_codes=request_codes, today=today)
    return {"today": today.isoformat(), **allocate(requests, supply, today=today).as_dict()}
