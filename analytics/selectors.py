"""Reads for coverage, siting and statistics straight from the database: areas, facilities,
producers and products as DataFrames, in a few queries.

The frames are the ones ``analytics.coverage``, ``analytics.siting`` and ``analytics.statistics``
take (see their docstrings). The API and the pages take the same frames from the registry's
snapshot instead (``analytics.frames``, through ``analytics.results``): these reads are the
reference the tests hold those to, and serve scripts that want the database as it is now. The
supply of a coverage question is ``analytics.frames.Supply`` (``parse_supply``).
"""

from __future__ import annotations

import pandas as pd

from linkage.choices import AreaLevel, BuyerKind
from linkage.distance import within_km
from linkage.models import Area, Buyer, Credential, Producer, Product, Proposal, Rating

from .frames import (
    AREA_COLUMNS,
    DEFAULT_SUPPLY,
    RATED_PRODUCT_COLUMNS,
    Supply,
    UnknownChain,
    parse_supply,
)
from .funnel import PROPOSAL_COLUMNS
from .statistics import RATING_COLUMNS

__all__ = [
    "DEFAULT_SUPPLY",
    "Supply",
    "UnknownChain",
    "area_frame",
    "area_history",
    "facility_frame",
    "parse_supply",
    "producer_frame",
    "proposal_frame",
    "rated_product_frame",
    "rating_frame",
    "readiness_frames",
]


def area_frame(level: str | None = None) -> pd.DataFrame:
    """Areas (of ``level``, or all), index ``code``; columns name, level, parent_code, lat, lon,
    population. One query."""
    rows = Area.objects.order_by("code")
    if level:
        rows = rows.filter(level=level)
    columns = ["code", *AREA_COLUMNS]
    values = rows.values_list("code", "name", "level", "parent__code", "lat", "lon", "population")
    frame = pd.DataFrame(list(values), columns=columns).set_index("code")
    frame["population"] = frame["population"].astype(float)
    frame[["lat", "lon"]] = frame[["lat", "lon"]].astype(float)
    return frame


def area_history() -> tuple[pd.DataFrame, dict[str, str]]:
    """What the statistics by area need beyond the snapshot's areas to count in either division:
    a frame indexed by area code with ``scheme`` and ``successor_code`` (None for none), and each
    producer's area before 1 July 2025 where kept (producer code → area code). Two queries."""
    values = Area.objects.order_by("code").values_list("code", "scheme", "successor__code")
    frame = pd.DataFrame(list(values), columns=["code", "scheme", "successor_code"])
    legacy = dict(
        Producer.objects.order_by()
        .filter(legacy_area__isnull=False)
        .values_list("code", "legacy_area__code")
    )
    return frame.set_index("code"), legacy


def facility_frame(supply: Supply) -> pd.DataFrame:
    """The located facilities of ``supply``, index ``code``; columns name, kind, chain_code, lat,
    lon, categories, chain_categories (the chain's list, None for a buyer outside a chain). One
    query (two for a chain). Raises UnknownChain for an unknown chain code."""
    rows = Buyer.objects.filter(lat__isnull=False, lon__isnull=False, kind__in=supply.kinds)
    if supply.chain:
        if not Buyer.objects.filter(code=supply.chain, kind=BuyerKind.RETAIL_CHAIN).exists():
            raise UnknownChain(supply.chain)
        rows = rows.filter(chain__code=supply.chain)
    columns = ["code", "name", "kind", "chain_code", "lat", "lon", "categories", "chain_categories"]
    values = rows.order_by("code").values_list(
        "code", "name", "kind", "chain__code", "lat", "lon", "categories", "chain__categories"
    )
    return pd.DataFrame(list(values), columns=columns).set_index("code")


def _roll_up(area_codes: pd.Series, areas: pd.DataFrame, level: str | None) -> pd.Series:
    """Each area code replaced by its ancestor (or itself) at ``level``; None when there is none."""
    if not level:
        return area_codes
    parent = areas["parent_code"]
    current = area_codes.copy()
    result = pd.Series(None, index=area_codes.index, dtype=object)
    # Areas nest at most three deep (province > district > commune).
    for _level in range(len(AreaLevel.values)):
        levels = current.map(areas["level"])
        hit = (levels == level) & result.isna()
        result[hit] = current[hit]
        current = current.map(parent)
    result = result.astype(object)
    return result.where(result.notna(), None)


def producer_frame(level: str | None = None, areas: pd.DataFrame | None = None) -> pd.DataFrame:
    """Producers, index ``code``; columns area_code (their area rolled up to ``level``), lat, lon
    (their own point, else their area's centroid), categories (groups of their products,
    comma-separated). Two queries, three when ``areas`` (an ``area_frame()`` of all levels) is not
    given and ``level`` is."""
    values = Producer.objects.order_by("code").values_list(
        "code", "area__code", "lat", "lon", "area__lat", "area__lon"
    )
    frame = pd.DataFrame(
        list(values), columns=["code", "area_code", "lat", "lon", "area_lat", "area_lon"]
    ).set_index("code")
    own = frame["lat"].notna()
    frame["lat"] = frame["lat"].where(own, frame["area_lat"]).astype(float)
    frame["lon"] = frame["lon"].where(own, frame["area_lon"]).astype(float)
    made = pd.DataFrame(
        list(Product.objects.order_by().values_list("producer__code", "category").distinct()),
        columns=["code", "category"],
    )
    groups = made.sort_values("category").groupby("code")["category"].agg(",".join)
    frame["categories"] = groups.reindex(frame.index).fillna("")
    if level:
        areas = area_frame() if areas is None else areas
        frame["area_code"] = _roll_up(frame["area_code"], areas, level)
    return frame[["area_code", "lat", "lon", "categories"]]


def rated_product_frame() -> pd.DataFrame:
    """Every product with its producer's code, kind and area, in one query: the frame
    ``analytics.statistics`` takes (``PRODUCT_COLUMNS``), plus ``producer_name`` and
    ``area_name`` for the tables people read."""
    paths = {
        "producer_code": "producer__code",
        "producer_kind": "producer__kind",
        "area_code": "producer__area__code",
        "producer_name": "producer__name",
        "area_name": "producer__area__name",
    }
    columns = RATED_PRODUCT_COLUMNS
    rows = Product.objects.values_list(*(paths.get(c, c) for c in columns)).order_by()
    return pd.DataFrame(list(rows), columns=columns)


def rating_frame() -> pd.DataFrame:
    """Every rating of every product (``RATING_COLUMNS``), by product code and day: the
    ``ratings`` frame ``analytics.statistics`` takes. One query."""
    rows = Rating.objects.order_by("product__code", "rated_on").values_list(
        "product__code", "stars", "potential_five_star", "rated_on", "expires_on"
    )
    frame = pd.DataFrame(list(rows), columns=list(RATING_COLUMNS))
    frame["stars"] = frame["stars"].astype(float)
    return frame


def proposal_frame(level: str | None = None) -> pd.DataFrame:
    """Every proposal, the frame ``analytics.funnel`` takes (``PROPOSAL_COLUMNS``): its state and
    stage dates, the product's group, the buyer's chain (the buyer itself when it is a chain) and
    the producer's area rolled up to ``level`` (for districts its area before 1 July 2025 where
    kept). One query (two with ``level``)."""
    paths = {
        "category": "product__category",
        "area_code": "product__producer__area__code",
    }
    names = [c for c in PROPOSAL_COLUMNS if c != "chain_code"]
    rows = Proposal.objects.order_by("id").values_list(
        *(paths.get(c, c) for c in names),
        "buyer__code",
        "buyer__kind",
        "buyer__chain__code",
        "product__producer__legacy_area__code",
    )
    frame = pd.DataFrame(
        list(rows), columns=[*names, "buyer_code", "buyer_kind", "chain", "legacy_area_code"]
    )
    is_chain = frame["buyer_kind"] == BuyerKind.RETAIL_CHAIN
    frame["chain_code"] = frame["chain"].where(~is_chain, frame["buyer_code"])
    if level == AreaLevel.DISTRICT:
        # Districts are of the division before 1 July 2025: the producer's place then, if kept.
        legacy = frame["legacy_area_code"]
        frame["area_code"] = legacy.where(legacy.notna(), frame["area_code"])
    if level:
        frame["area_code"] = _roll_up(frame["area_code"], area_frame(), level)
    return frame[list(PROPOSAL_COLUMNS)]


def readiness_frames(
    *,
    category: str | None = None,
    stars: int | None = None,
    near: tuple[float, float] | None = None,
    radius_km: float | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The producers ``linkage.readiness.readiness_shares`` counts, and their credentials.

    Producers with a product of ``category`` and ``stars`` (each optional), within
    ``radius_km`` of ``near`` (lat, lon) when given (a producer without a point of its own at its
    area's centroid); index ``code``, column ``capacity_per_month`` (the largest of those
    products). Credentials: ``producer_code``, ``kind``, ``expires_on``. Two queries.
    """
    products = Product.objects.order_by()
    if category:
        products = products.filter(category=category)
    if stars:
        products = products.filter(stars=stars)
    rows = products.values_list(
        "producer__code",
        "capacity_per_month",
        "producer__lat",
        "producer__lon",
        "producer__area__lat",
        "producer__area__lon",
    )
    frame = pd.DataFrame(
        list(rows), columns=["code", "capacity_per_month", "lat", "lon", "area_lat", "area_lon"]
    )
    own = frame["lat"].notna()
    frame["lat"] = frame["lat"].where(own, frame["area_lat"]).astype(float)
    frame["lon"] = frame["lon"].where(own, frame["area_lon"]).astype(float)
    if near is not None and radius_km is not None and len(frame):
        inside = within_km(frame["lat"], frame["lon"], near[0], near[1], radius_km)
        frame = frame[inside]
    producers = (
        frame.astype({"capacity_per_month": float})
        .groupby("code")
        .agg(capacity_per_month=("capacity_per_month", "max"))
    )
    credentials = pd.DataFrame(
        list(
            Credential.objects.filter(producer__code__in=list(producers.index))
            .order_by()
            .values_list("producer__code", "kind", "expires_on")
        ),
        columns=["producer_code", "kind", "expires_on"],
    )
    return producers, credentials
