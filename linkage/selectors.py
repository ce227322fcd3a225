"""Reads of the registry: querysets with the joins their readers need (no N+1 on lists)."""

import datetime as dt

import networkx as nx
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce

from .choices import ProducerKind
from .dates import add_months
from .graph import build_graph
from .models import Area, Buyer, Linkage, Producer, Product, SourcingRequest

__all__ = [
    "households_among",
    "households_linked_to",
    "EXPIRING_WITHIN_MONTHS",
    "area_list",
    "buyer_list",
    "graph_from_db",
    "in_area",
    "linkage_list",
    "producer_list",
    "product_list",
    "rating_status",
    "sourcing_request_list",
    "tables_from_db",
]

EXPIRING_WITHIN_MONTHS = 6


def area_list() -> QuerySet[Area]:
    return Area.objects.select_related("parent")


def producer_list() -> QuerySet[Producer]:
    return Producer.objects.select_related("area")


def product_list() -> QuerySet[Product]:
    return Product.objects.select_related("producer")


def buyer_list() -> QuerySet[Buyer]:
    return Buyer.objects.select_related("chain", "area")


def linkage_list() -> QuerySet[Linkage]:
    return Linkage.objects.select_related(
        "source_producer", "source_buyer", "target_producer", "target_buyer", "product"
    )


def sourcing_request_list() -> QuerySet[SourcingRequest]:
    return SourcingRequest.objects.select_related("buyer")


def in_area(area_path: str, code: str) -> Q:
    """Records whose area (reached through ``area_path``) is ``code`` or lies inside it.

    Areas nest at most three deep (province > district > commune), so three joins reach every
    ancestor without a recursive query, on SQLite and PostgreSQL alike.
    """
    return (
        Q(**{f"{area_path}__code": code})
        | Q(**{f"{area_path}__parent__code": code})
        | Q(**{f"{area_path}__parent__parent__code": code})
    )


def rating_status(expires_on: dt.date | None, today: dt.date | None = None) -> str | None:
    """The rating's status on ``today``: "valid", "expiring" (within six months), "expired", or
    None when never rated."""
    if expires_on is None:
        return None
    today = today or dt.date.today()
    # The expiry day is the first day without a valid rating (36 months from the rating).
    if expires_on <= today:
        return "expired"
    if expires_on <= add_months(today, EXPIRING_WITHIN_MONTHS):
        return "expiring"
    return "valid"


def tables_from_db() -> dict[str, list[dict]]:
    """The registry as interchange tables, read with one ``values()`` query per table."""
    return {
        "areas": list(Area.objects.order_by().values("code", "lat", "lon")),
        "producers": list(
            Producer.objects.order_by().values(
                "code", "name", "kind", "lat", "lon", "members", area_code=F("area__code")
            )
        ),
        "products": list(
            Product.objects.order_by().values(
                "code",
                "name",
                "category",
                "stars",
                "potential_five_star",
                "rated_on",
                "rating_expires_on",
                "capacity_per_month",
                producer_code=F("producer__code"),
            )
        ),
        "buyers": list(
            Buyer.objects.order_by().values(
                "code",
                "name",
                "kind",
                "lat",
                "lon",
                "categories",
                "min_stars",
                chain_code=F("chain__code"),
                area_code=F("area__code"),
            )
        ),
        "linkages": list(
            Linkage.objects.order_by().values(
                "kind",
                "volume_per_month",
                "started_on",
                "ended_on",
                source_code=Coalesce(F("source_producer__code"), F("source_buyer__code")),
                target_code=Coalesce(F("target_producer__code"), F("target_buyer__code")),
                product_code=F("product__code"),
            )
        ),
    }


def graph_from_db(*, today: dt.date | None = None) -> nx.DiGraph:
    """The linkage graph of the registry: five queries, whatever the number of rows."""
    return build_graph(tables_from_db(), today=today)


# Codes per query: well under SQLite's limit on the parameters of one statement.
_CODES_PER_QUERY = 5000


def households_among(codes) -> frozenset[str]:
    """Which of ``codes`` name household producers: read off the linkage graph when this process
    holds the current one (a warm recommendation or analysis runs no query), else a query per
    5,000 codes."""
    from . import graph_cache

    graph = graph_cache.held_graph()
    if graph is not None:
        nodes = graph.nodes
        return frozenset(
            code
            for code in codes
            if code in nodes
            and nodes[code].get("type") == "producer"
            and nodes[code].get("kind") == ProducerKind.HOUSEHOLD
        )
    codes = sorted(set(codes))
    found = []
    for start in range(0, len(codes), _CODES_PER_QUERY):
        found += Producer.objects.filter(
            kind=ProducerKind.HOUSEHOLD, code__in=codes[start : start + _CODES_PER_QUERY]
        ).values_list("code", flat=True)
    return frozenset(found)


def households_linked_to(producer_ids) -> frozenset[str]:
    """The codes of the households tied to these producers by a linkage either way (members,
    raw-material suppliers): the households a cooperative works with."""
    if not producer_ids:
        return frozenset()
    ties = Linkage.objects.filter(
        Q(source_producer__kind=ProducerKind.HOUSEHOLD, target_producer_id__in=producer_ids)
        | Q(target_producer__kind=ProducerKind.HOUSEHOLD, source_producer_id__in=producer_ids)
    )
    sources = ties.filter(source_producer__kind=ProducerKind.HOUSEHOLD).values_list(
        "source_producer__code", flat=True
    )
    targets = ties.filter(target_producer__kind=ProducerKind.HOUSEHOLD).values_list(
        "target_producer__code", flat=True
    )
    own = Producer.objects.filter(id__in=producer_ids, kind=ProducerKind.HOUSEHOLD)
    return frozenset([*sources, *targets, *own.values_list("code", flat=True)])
