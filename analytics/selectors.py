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
from linkage.models import Area, Buyer, Producer, Product

from .frames import (
    AREA_COLUMNS,
    DEFAULT_SUPPLY,
    RATED_PRODUCT_COLUMNS,
    Supply,
    UnknownChain,
    parse_supply,
)

__all__ = [
    "DEFAULT_SUPPLY",
    "Supply",
    "UnknownChain",
    "area_frame",
    "facility_frame",
    "parse_supply",
    "producer_frame",
    "rated_product_frame",
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
