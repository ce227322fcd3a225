"""Reads for coverage, siting and statistics: areas, facilities, producers and products as
DataFrames, in a few queries.

The frames are the ones ``analytics.coverage`` and ``analytics.siting`` take (see their docstrings).
The supply of a coverage question is one of:

- ``sales_points``: every located OCOP sales point (the default);
- ``chain:<CODE>``: the located stores of the retail chain with that code;
- ``kinds:<kind>,<kind>``: every located buyer of the given kinds
  (e.g. ``kinds:store,sales_point``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from django.utils.translation import gettext as _

from linkage.choices import NON_PHYSICAL_BUYER_KINDS, AreaLevel, BuyerKind
from linkage.models import Area, Buyer, Producer, Product

from .statistics import PRODUCT_COLUMNS

__all__ = [
    "DEFAULT_SUPPLY",
    "Supply",
    "UnknownChain",
    "area_frame",
    "area_tree_frame",
    "facility_frame",
    "parse_supply",
    "producer_frame",
    "rated_product_frame",
]

DEFAULT_SUPPLY = "sales_points"
_PHYSICAL_KINDS = [k for k in BuyerKind.values if k not in NON_PHYSICAL_BUYER_KINDS]


class UnknownChain(LookupError):
    """The supply names a retail chain code that is not in the registry."""


@dataclass(frozen=True)
class Supply:
    """Which buyers count as facilities: buyer kinds, or the stores of one chain."""

    kinds: tuple[str, ...] = (BuyerKind.SALES_POINT.value,)
    chain: str | None = None

    def __str__(self) -> str:
        if self.chain:
            return f"chain:{self.chain}"
        if self.kinds == (BuyerKind.SALES_POINT.value,):
            return DEFAULT_SUPPLY
        return "kinds:" + ",".join(self.kinds)


def parse_supply(text: str | None) -> Supply:
    """Parse ``sales_points``, ``chain:<CODE>`` or ``kinds:a,b``; raises ValueError saying why."""
    text = (text or DEFAULT_SUPPLY).strip()
    if text == DEFAULT_SUPPLY:
        return Supply()
    prefix, _colon, rest = text.partition(":")
    if prefix == "chain" and rest.strip():
        return Supply(kinds=(BuyerKind.STORE.value,), chain=rest.strip())
    if prefix == "kinds" and rest.strip():
        kinds = tuple(dict.fromkeys(k.strip() for k in rest.split(",") if k.strip()))
        unknown = [k for k in kinds if k not in BuyerKind.values]
        if unknown:
            raise ValueError(_("Unknown buyer kind: %s.") % ", ".join(unknown))
        placeless = [k for k in kinds if k in NON_PHYSICAL_BUYER_KINDS]
        if placeless:
            raise ValueError(_("%s buyers have no location to cover from.") % ", ".join(placeless))
        return Supply(kinds=kinds)
    raise ValueError(
        _("Expected sales_points, chain:<CODE> or kinds:<kind>,<kind> (kinds: %s).")
        % ", ".join(_PHYSICAL_KINDS)
    )


def area_frame(level: str | None = None) -> pd.DataFrame:
    """Areas (of ``level``, or all), index ``code``; columns name, level, parent_code, lat, lon,
    population. One query."""
    rows = Area.objects.order_by("code")
    if level:
        rows = rows.filter(level=level)
    columns = ["code", "name", "level", "parent_code", "lat", "lon", "population"]
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
    """Every product with its producer's kind and area, in one query: the frame
    ``analytics.statistics`` takes (``PRODUCT_COLUMNS``), plus ``producer_code``,
    ``producer_name``, ``area_code`` and ``area_name`` for the tables people read."""
    paths = {
        "producer_kind": "producer__kind",
        "area_id": "producer__area_id",
        "producer_code": "producer__code",
        "producer_name": "producer__name",
        "area_code": "producer__area__code",
        "area_name": "producer__area__name",
    }
    columns = [*PRODUCT_COLUMNS, "producer_code", "producer_name", "area_code", "area_name"]
    rows = Product.objects.values_list(*(paths.get(c, c) for c in columns)).order_by()
    return pd.DataFrame(list(rows), columns=columns)


def area_tree_frame() -> pd.DataFrame:
    """Every area indexed by id, with code, name, level and parent_id, in one query."""
    rows = Area.objects.values_list("id", "code", "name", "level", "parent_id").order_by()
    frame = pd.DataFrame(list(rows), columns=["id", "code", "name", "level", "parent_id"])
    return frame.set_index("id")
