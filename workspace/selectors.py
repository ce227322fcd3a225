"""Reads for the workspaces: an account's own records, its proposals, what matches its products.

Each function takes an ``linkage.accounts.Account`` and returns a list or a queryset with the
joins its template needs.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from linkage import graph_cache, proposals, readiness
from linkage.accounts import Account
from linkage.choices import Requirement
from linkage.models import Buyer, BuyerRequirements, Product, Proposal, SourcingRequest
from linkage.recommend import recommend_buyers, recommend_suppliers
from linkage.selectors import add_readiness_gaps, priced_above, rating_status
from linkage.services import proposal_sides

__all__ = [
    "matching_requests",
    "my_buyers",
    "my_products",
    "my_proposals",
    "my_requests",
    "next_steps",
    "open_pairs",
    "outlets_for",
    "requirements_of",
    "suppliers_for",
]

SHORTLIST = 5


def my_products(account: Account, today: dt.date) -> list[Product]:
    """The account's products with their producer, each with ``status`` of its rating."""
    found = list(
        Product.objects.filter(producer_id__in=account.producer_ids)
        .select_related("producer")
        .order_by("producer__name", "name")
    )
    for product in found:
        product.status = rating_status(product.rating_expires_on, today)
    return found


def my_buyers(account: Account) -> QuerySet[Buyer]:
    """The buyers the account owns and the stores of its chains."""
    return Buyer.objects.filter(account.buyer_q()).select_related("chain").order_by("kind", "name")


def my_requests(account: Account) -> QuerySet[SourcingRequest]:
    return (
        SourcingRequest.objects.filter(account.buyer_q("buyer__"))
        .select_related("buyer")
        .order_by("status", "-created_at")
    )


def my_proposals(account: Account) -> QuerySet[Proposal]:
    """Proposals of the account's products or to its buyers (every one for planners)."""
    found = Proposal.objects.select_related("product__producer", "buyer__chain")
    if not account.is_planner:
        found = found.filter(
            Q(product__producer_id__in=account.producer_ids) | account.buyer_q("buyer__")
        )
    return found.order_by("-proposed_on", "-pk")


def next_steps(account: Account, proposal: Proposal) -> list[str]:
    """The states the account may move ``proposal`` to, as the transitions table allows."""
    sides = proposal_sides(account, product=proposal.product, buyer=proposal.buyer)
    steps = []
    for to in proposals.allowed_next(proposal.state):
        try:
            proposals.decide(
                proposal.state,
                to,
                proposed_by=proposal.proposed_by,
                sides=sides,
                planner=account.is_planner,
            )
        except proposals.WrongParty:
            continue
        steps.append(to)
    return steps


def matching_requests(products: list[Product], today: dt.date) -> list[dict]:
    """Open sourcing requests, not past their deadline, that one of ``products`` answers: its
    group, at least the stars asked for, a rating in force today, a price not above the
    request's highest (an unknown price fits). Each is
    ``{"request", "products"}``."""
    usable = [
        p for p in products if p.stars and p.rating_expires_on and p.rating_expires_on > today
    ]
    if not usable:
        return []
    found = SourcingRequest.objects.filter(
        SourcingRequest.matchable_q(today), category__in={p.category for p in usable}
    ).select_related("buyer")
    matches = []
    for request in found.order_by("-created_at")[:50]:
        fits = [
            p
            for p in usable
            if p.category == request.category
            and p.stars >= (request.min_stars or 0)
            and request.price_fits(p.price_vnd)
        ]
        if fits:
            matches.append({"request": request, "products": fits})
    return matches


def requirements_of(codes: set[str]) -> dict[str, dict]:
    """Each buyer's requirements (its own, else its chain's), by the buyer's code: the
    documents' labels, the minimum monthly volume, packaging and payment terms."""
    buyers = Buyer.objects.filter(code__in=codes).values_list("code", "chain__code")
    chains = {code: chain for code, chain in buyers}
    wanted = set(chains) | {c for c in chains.values() if c}
    declared = {
        row["buyer__code"]: row
        for row in BuyerRequirements.objects.filter(buyer__code__in=wanted).values(
            "buyer__code", "documents", "min_volume_per_month", "packaging", "payment_terms"
        )
    }
    labels = dict(Requirement.choices)
    out = {}
    for code, chain in chains.items():
        found, _source = readiness.effective_requirements(
            declared.get(code), declared.get(chain) if chain else None
        )
        if found is not None:
            out[code] = {
                **found,
                "documents": [labels.get(c, c) for c in found["documents"].split(",") if c],
            }
    return out


def outlets_for(
    account: Account, products: list[Product], *, today: dt.date, language: str
) -> dict[str, list[dict]]:
    """The top outlets for each of ``products`` with a rating in force, by product code: the
    recommendation's rows with ``readiness_gaps`` and ``requirements``."""
    recommender = graph_cache.get_recommender()
    out = {}
    for product in products:
        if product.status not in ("valid", "expiring"):
            continue
        if product.code not in recommender.index.item_pos:
            continue
        result = recommend_buyers(
            recommender, product=product.code, k=SHORTLIST, as_of=today, language=language
        )
        add_readiness_gaps(account, result, recommender.snapshot, language=language)
        out[product.code] = result["results"]
    codes = {row["buyer"]["code"] for rows in out.values() for row in rows}
    required = requirements_of(codes) if codes else {}
    for rows in out.values():
        for row in rows:
            row["requirements"] = required.get(row["buyer"]["code"])
    return out


def suppliers_for(request: SourcingRequest, *, today: dt.date, language: str) -> list[dict]:
    """The supplier shortlist of an open sourcing request (``recommend_suppliers``)."""
    recommender = graph_cache.get_recommender()
    node = recommender.snapshot.nodes.get(request.buyer.code)
    if node is None or node["type"] != "buyer":
        return []
    result = recommend_suppliers(
        recommender,
        buyer=request.buyer.code,
        category=request.category,
        min_stars=request.min_stars,
        quantity_per_month=request.quantity_per_month,
        max_distance_km=request.max_distance_km,
        k=SHORTLIST,
        as_of=today,
        language=language,
        priced_out=priced_above(request.price_max_vnd),
    )
    return result["results"]


def open_pairs(account: Account) -> set[tuple[str, str]]:
    """(product code, buyer code) of the account's proposals still open: no second proposal."""
    return set(
        my_proposals(account)
        .exclude(state__in=proposals.FINAL)
        .values_list("product__code", "buyer__code")
    )
