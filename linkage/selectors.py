"""Reads of the registry: querysets with the joins their readers need (no N+1 on lists)."""

import datetime as dt
import time

import networkx as nx
import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce

from . import readiness
from .accounts import Account
from .choices import ProducerKind
from .dates import add_months
from .graph import build_graph
from .models import (
    Area,
    Buyer,
    BuyerRequirements,
    Credential,
    Linkage,
    Producer,
    Product,
    Rating,
    SourcingRequest,
)
from .snapshot import GraphSnapshot, snapshot_from_frames

__all__ = [
    "households_among",
    "households_linked_to",
    "EXPIRING_WITHIN_MONTHS",
    "add_readiness_gaps",
    "area_list",
    "buyer_list",
    "graph_from_db",
    "snapshot_from_db",
    "snapshot_patched",
    "in_area",
    "linkage_list",
    "priced_above",
    "producer_list",
    "product_list",
    "rating_status",
    "sourcing_request_list",
    "tables_from_db",
]

EXPIRING_WITHIN_MONTHS = 6


def priced_above(price_max_vnd: int | None) -> frozenset[str]:
    """Codes of the products a sourcing request's highest price leaves out of its matching: a
    known price above it. A product of unknown price is kept (``SourcingRequest.price_fits``)."""
    if price_max_vnd is None:
        return frozenset()
    return frozenset(
        Product.objects.filter(price_vnd__gt=price_max_vnd).values_list("code", flat=True)
    )


def area_list() -> QuerySet[Area]:
    return Area.objects.select_related("parent", "successor")


def producer_list() -> QuerySet[Producer]:
    return Producer.objects.select_related("area", "legacy_area")


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


_RATING_PATHS = {
    "stars": "stars",
    "potential_five_star": "potential_five_star",
    "rated_on": "rated_on",
    "expires_on": "expires_on",
}


def snapshot_from_db(*, version: str | None = None, today: dt.date | None = None) -> GraphSnapshot:
    """The registry as a ``linkage.snapshot.GraphSnapshot``: six queries, whatever the size.

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
    ratings = _frame_of(Rating.objects, {"product_id": "product_id", **_RATING_PATHS})
    ratings.insert(0, "product_code", _code_of(product_codes, ratings.pop("product_id")))
    linkages = _frame_of(
        Linkage.objects.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=today)),
        {
            "id": "id",
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
        ratings=ratings,
    )


def snapshot_patched(
    snapshot: GraphSnapshot,
    *,
    linkage_ids: set[int],
    product_codes: set[str],
    version: str | None,
) -> GraphSnapshot | None:
    """``snapshot`` with the given linkages and products (and their ratings) read again from the
    registry (three small queries instead of six whole tables): what a small write changed. None
    when a row names an actor the snapshot does not hold (written some other way): then only a
    whole read will do."""
    read_at = time.time()
    linkages = products = ratings = None
    if linkage_ids:
        linkages = _frame_of(
            Linkage.objects.filter(id__in=linkage_ids),
            {
                "id": "id",
                "source_code": Coalesce(F("source_producer__code"), F("source_buyer__code")),
                "target_code": Coalesce(F("target_producer__code"), F("target_buyer__code")),
                "kind": "kind",
                "product_code": "product__code",
                "volume_per_month": "volume_per_month",
                "ended_on": "ended_on",
            },
        )
    if product_codes:
        products = _frame_of(
            Product.objects.filter(code__in=product_codes),
            {
                "code": "code",
                "name": "name",
                "producer_code": "producer__code",
                "category": "category",
                "stars": "stars",
                "potential_five_star": "potential_five_star",
                "rated_on": "rated_on",
                "rating_expires_on": "rating_expires_on",
                "capacity_per_month": "capacity_per_month",
            },
        )
        ratings = _frame_of(
            Rating.objects.filter(product__code__in=product_codes),
            {"product_code": "product__code", **_RATING_PATHS},
        )
    named = [
        *(() if linkages is None else (*linkages["source_code"], *linkages["target_code"])),
        *(() if products is None else products["producer_code"]),
    ]
    if any(code not in snapshot.position for code in named):
        return None
    return snapshot.patched(
        linkage_ids=linkage_ids,
        linkages=linkages,
        product_codes=product_codes,
        products=products,
        ratings=ratings,
        version=version,
        read_at=read_at,
    )


# Codes per query: well under SQLite's limit on the parameters of one statement.
_CODES_PER_QUERY = 5000


def households_among(codes) -> frozenset[str]:
    """Which of ``codes`` name household producers: read off the registry's snapshot when this
    process holds the current one (a warm recommendation or analysis runs no query), else a
    query per 5,000 codes."""
    from . import graph_cache

    snapshot = graph_cache.held_snapshot()
    if snapshot is not None:
        position, kinds, producer = snapshot.position, snapshot.kinds, snapshot.is_producer
        return frozenset(
            code
            for code in codes
            if (i := position.get(code)) is not None
            and producer[i]
            and kinds[i] == ProducerKind.HOUSEHOLD
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


def add_readiness_gaps(
    account: Account, result: dict, snapshot: GraphSnapshot, *, language: str
) -> None:
    """Each outlet of a ``recommend_buyers`` result gets ``readiness_gaps``: what it (or its
    chain) requires that the producer does not meet (``linkage.readiness``), in ``language``;
    null for accounts that may not see the producer's credentials. Two queries for the listed
    outlets, whatever their number.
    """
    rows = result["results"]
    if not rows:
        return
    producer = None
    # Anonymous readers and accounts that own nothing see no credentials: no query for them.
    if account.is_planner or account.buyer_ids or account.producer_ids:
        producer = Producer.objects.filter(code=result["producer"]["code"]).only("pk").first()
    if producer is None or not account.sees_contacts_of_producer(producer):
        for row in rows:
            row["readiness_gaps"] = None
        return
    codes = {row["buyer"]["code"] for row in rows}
    codes |= {row["buyer"]["chain"]["code"] for row in rows if row["buyer"].get("chain")}
    declared = {
        row["buyer__code"]: row
        for row in BuyerRequirements.objects.filter(buyer__code__in=codes).values(
            "buyer__code", "documents", "min_volume_per_month"
        )
    }
    held = dict(Credential.objects.filter(producer=producer).values_list("kind", "expires_on"))
    day = dt.date.fromisoformat(result["as_of"])
    for row in rows:
        chain = row["buyer"].get("chain")
        found, _source = readiness.effective_requirements(
            declared.get(row["buyer"]["code"]), declared.get(chain["code"]) if chain else None
        )
        wanted = None
        if found is not None:
            wanted = {
                "documents": [c for c in found["documents"].split(",") if c],
                "min_volume_per_month": found["min_volume_per_month"],
            }
        capacity = snapshot.product_table.get(row["product"], {}).get("capacity_per_month")
        gaps = readiness.readiness_gaps(wanted, held, capacity, day)
        row["readiness_gaps"] = readiness.with_text(gaps, language)
