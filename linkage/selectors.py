"""Reads of the registry: querysets with the joins their readers need (no N+1 on lists)."""

import datetime as dt
import time

import networkx as nx
import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce

from .choices import ProducerKind
from .dates import add_months
from .graph import build_graph
from .models import Area, Buyer, Linkage, Producer, Product, SourcingRequest
from .snapshot import GraphSnapshot, snapshot_from_frames

__all__ = [
    "households_among",
    "households_linked_to",
    "EXPIRING_WITHIN_MONTHS",
    "area_list",
    "buyer_list",
    "graph_from_db",
    "snapshot_from_db",
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


def _frame_of(queryset, columns: dict[str, str]) -> pd.DataFrame:
    """One query's rows as a frame named by the interchange columns (tuples, not dicts: at
    national scale a dict per row costs more than the query)."""
    sql, params = queryset.order_by().values_list(*columns.values()).query.sql_with_params()
    with connection.cursor() as cursor:
        # One fetch of every row: Django's iterator fetches a hundred rows per call.
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return pd.DataFrame.from_records(rows, columns=list(columns), coerce_float=False)


def _codes_by_id(frame: pd.DataFrame) -> np.ndarray:
    """An array whose item ``id`` is the code of the row with that id ("" elsewhere)."""
    ids = frame.pop("id").to_numpy(dtype=np.int64)
    codes = np.full(int(ids.max(initial=0)) + 1, "", dtype=object)
    codes[ids] = frame["code"].to_numpy(dtype=object)
    return codes


def _code_of(codes_by_id: np.ndarray, ids: pd.Series) -> np.ndarray:
    known = ids.notna().to_numpy()
    found = np.full(len(ids), "", dtype=object)
    found[known] = codes_by_id[ids[known].to_numpy(dtype=np.int64)]
    return found


def snapshot_from_db(*, version: str | None = None, today: dt.date | None = None) -> GraphSnapshot:
    """The registry as a ``linkage.snapshot.GraphSnapshot``: five queries, whatever the size.

    Linkages and products name their ends by id, turned into codes here: joining the code tables
    in SQL for every linkage costs more than the rest of the read.
    """
    today = today or dt.date.today()
    read_at = time.time()
    areas = _frame_of(
        Area.objects,
        {
            "code": "code",
            "name": "name",
            "level": "level",
            "parent_code": "parent__code",
            "lat": "lat",
            "lon": "lon",
            "population": "population",
        },
    )
    producers = _frame_of(
        Producer.objects,
        {
            "id": "id",
            "code": "code",
            "name": "name",
            "kind": "kind",
            "lat": "lat",
            "lon": "lon",
            "area_code": "area__code",
            "members": "members",
        },
    )
    producer_codes = _codes_by_id(producers)
    buyers = _frame_of(
        Buyer.objects,
        {
            "id": "id",
            "code": "code",
            "name": "name",
            "kind": "kind",
            "lat": "lat",
            "lon": "lon",
            "area_code": "area__code",
            "chain_code": "chain__code",
            "categories": "categories",
            "min_stars": "min_stars",
        },
    )
    buyer_codes = _codes_by_id(buyers)
    products = _frame_of(
        Product.objects,
        {
            "id": "id",
            "code": "code",
            "name": "name",
            "producer_id": "producer_id",
            "category": "category",
            "stars": "stars",
            "potential_five_star": "potential_five_star",
            "rated_on": "rated_on",
            "rating_expires_on": "rating_expires_on",
            "capacity_per_month": "capacity_per_month",
        },
    )
    product_codes = _codes_by_id(products)
    products.insert(2, "producer_code", _code_of(producer_codes, products.pop("producer_id")))
    linkages = _frame_of(
        Linkage.objects.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=today)),
        {
            "source_producer": "source_producer_id",
            "source_buyer": "source_buyer_id",
            "target_producer": "target_producer_id",
            "target_buyer": "target_buyer_id",
            "kind": "kind",
            "product": "product_id",
            "volume_per_month": "volume_per_month",
            "ended_on": "ended_on",
        },
    )
    for end in ("source", "target"):
        by_producer = _code_of(producer_codes, linkages.pop(f"{end}_producer"))
        by_buyer = _code_of(buyer_codes, linkages.pop(f"{end}_buyer"))
        linkages[f"{end}_code"] = np.where(by_producer != "", by_producer, by_buyer)
    linkages["product_code"] = _code_of(product_codes, linkages.pop("product"))
    return snapshot_from_frames(
        areas=areas,
        producers=producers,
        products=products,
        buyers=buyers,
        linkages=linkages,
        today=today,
        version=version,
        read_at=read_at,
        clean=False,
    )


# Codes per query: well under SQLite's limit on the parameters of one statement.
_CODES_PER_QUERY = 5000


def _households_in(snapshot: GraphSnapshot, codes) -> frozenset[str]:
    """Which of ``codes`` are households of ``snapshot``: its producers come first, by code, so a
    binary search finds each code without a lookup table of every actor."""
    count = int(snapshot.is_producer.sum())
    producers = snapshot.actors["code"].to_numpy(dtype=object)[:count]
    wanted = np.array([code for code in codes if isinstance(code, str)], dtype=object)
    if not count or not len(wanted):
        return frozenset()
    at = np.minimum(np.searchsorted(producers, wanted), count - 1)
    found = producers[at] == wanted
    household = snapshot.kinds[at[found]] == ProducerKind.HOUSEHOLD
    return frozenset(wanted[found][household].tolist())


def households_among(codes) -> frozenset[str]:
    """Which of ``codes`` name household producers: read off the linkage graph or the snapshot
    when this process holds the current one (a warm recommendation or analysis runs no query),
    else a query per 5,000 codes."""
    from . import graph_cache

    snapshot = graph_cache.held_snapshot()
    if snapshot is not None:
        return _households_in(snapshot, codes)
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
