"""The inputs of coverage, siting and statistics, taken from the registry's snapshot.

Pure functions: a ``linkage.snapshot.GraphSnapshot`` in, the frames of ``analytics.coverage``,
``analytics.siting`` and ``analytics.statistics`` out; no database. They give what the selectors
of ``analytics.selectors`` read from the database (the tests hold the two equal), in tens of
milliseconds from a snapshot each process keeps warm, where the database reads took seconds at
national scale.

Two differences of form, none of content: a buyer's groups are in the snapshot's order (sorted)
rather than as they were typed, and the rows of the products frame are ordered by code.

The supply of a coverage question is one of:

- ``sales_points``: every located OCOP sales point (the default);
- ``chain:<CODE>``: the located stores of the retail chain with that code;
- ``kinds:<kind>,<kind>``: every located buyer of the given kinds
  (e.g. ``kinds:store,sales_point``).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from linkage.choices import NON_PHYSICAL_BUYER_KINDS, AreaLevel, BuyerKind
from linkage.snapshot import GraphSnapshot

from .statistics import PRODUCT_COLUMNS, RATING_COLUMNS

__all__ = [
    "AREA_COLUMNS",
    "DEFAULT_SUPPLY",
    "FACILITY_COLUMNS",
    "PRODUCER_COLUMNS",
    "RATED_PRODUCT_COLUMNS",
    "Supply",
    "UnknownChain",
    "area_frame",
    "facility_frame",
    "let_go",
    "parse_supply",
    "producer_frame",
    "rated_product_frame",
    "rating_frame",
    "roll_up",
]

DEFAULT_SUPPLY = "sales_points"
_PHYSICAL_KINDS = [k for k in BuyerKind.values if k not in NON_PHYSICAL_BUYER_KINDS]
AREA_COLUMNS = ["name", "level", "parent_code", "lat", "lon", "population"]
FACILITY_COLUMNS = [
    "name",
    "kind",
    "chain_code",
    "lat",
    "lon",
    "categories",
    "chain_categories",
]
PRODUCER_COLUMNS = ["area_code", "lat", "lon", "categories"]
RATED_PRODUCT_COLUMNS = [*PRODUCT_COLUMNS, "producer_name", "area_name"]


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


# Frames derived from a snapshot, kept while the snapshot lives: coverage, gaps and siting of
# one map ask for the same inputs at once, and a snapshot is never changed once built. Callers
# get shallow copies: under pandas' copy-on-write a change to one copies the data it changes, so
# no caller can change what another gets.
_derived: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def let_go(snapshot: GraphSnapshot) -> None:
    """Forget the frames derived from ``snapshot`` so far; the next caller builds them again."""
    _derived.pop(snapshot, None)


def _memo(snapshot: GraphSnapshot, key: Hashable, build: Callable[[], pd.DataFrame]):
    held = _derived.setdefault(snapshot, {})
    if key not in held:
        held[key] = build()
    return held[key].copy(deep=False)


def _or_none(values: pd.Series) -> np.ndarray:
    """Text with "" (the snapshot's "none") as None."""
    array = values.to_numpy(dtype=object)
    return np.where(array == "", None, array)


def _objects(values, index: pd.Index) -> pd.Series:
    """A column of Python objects: text read as pandas' string type costs a conversion of every
    value, which a few hundred thousand producers feel."""
    return pd.Series(values, index=index, dtype=object)


def _joined(groups: pd.Series) -> list[str]:
    return [",".join(value) for value in groups.tolist()]


def area_frame(snapshot: GraphSnapshot, level: str | None = None) -> pd.DataFrame:
    """Areas (of ``level``, or all), index ``code`` (by code); columns ``AREA_COLUMNS``: name,
    level, parent_code (None for none), lat, lon, population (NaN when unknown)."""
    return _memo(snapshot, ("areas", level), lambda: _area_frame(snapshot, level))


def _area_frame(snapshot: GraphSnapshot, level: str | None) -> pd.DataFrame:
    areas = snapshot.areas
    if level:
        areas = areas[areas["level"] == level]
    return pd.DataFrame(
        {
            "name": areas["name"].to_numpy(dtype=object),
            "level": areas["level"].to_numpy(dtype=object),
            "parent_code": _or_none(areas["parent"]),
            "lat": areas["lat"].to_numpy(dtype=float),
            "lon": areas["lon"].to_numpy(dtype=float),
            "population": areas["population"].to_numpy(dtype=float),
        },
        index=pd.Index(areas["code"].to_numpy(dtype=object), name="code"),
    )


def facility_frame(snapshot: GraphSnapshot, supply: Supply) -> pd.DataFrame:
    """The located facilities of ``supply`` (buyers at a point of their own), index ``code``;
    columns ``FACILITY_COLUMNS``: name, kind, chain_code (None outside a chain), lat, lon,
    categories (comma-separated, "" for every group) and chain_categories (the chain's, None
    outside a chain). Raises UnknownChain for a chain code no retail chain has."""
    return _memo(snapshot, ("facilities", supply), lambda: _facility_frame(snapshot, supply))


def _facility_frame(snapshot: GraphSnapshot, supply: Supply) -> pd.DataFrame:
    actors = snapshot.actors
    kinds = actors["kind"].astype(object).to_numpy()
    chains = actors["chain"].to_numpy()
    chosen = (~snapshot.is_producer) & actors["own_place"].to_numpy(dtype=bool)
    chosen &= np.isin(kinds, list(supply.kinds))
    if supply.chain:
        at = snapshot.position.get(supply.chain)
        if at is None or snapshot.is_producer[at] or kinds[at] != BuyerKind.RETAIL_CHAIN:
            raise UnknownChain(supply.chain)
        chosen &= chains == at
    rows = actors[chosen]
    chain = chains[chosen]
    in_chain = chain >= 0
    chain_code = np.full(len(rows), None, dtype=object)
    chain_code[in_chain] = actors["code"].to_numpy(dtype=object)[chain[in_chain]]
    chain_groups = np.full(len(rows), None, dtype=object)
    groups = actors["categories"].to_numpy(dtype=object)
    chain_groups[in_chain] = [",".join(value) for value in groups[chain[in_chain]]]
    return pd.DataFrame(
        {
            "name": rows["name"].to_numpy(dtype=object),
            "kind": kinds[chosen],
            "chain_code": chain_code,
            "lat": rows["lat"].to_numpy(dtype=float),
            "lon": rows["lon"].to_numpy(dtype=float),
            "categories": _joined(rows["categories"]),
            "chain_categories": chain_groups,
        },
        index=pd.Index(rows["code"].to_numpy(dtype=object), name="code"),
    )


def roll_up(area_codes: pd.Series, areas: pd.DataFrame, level: str | None) -> pd.Series:
    """Each area code replaced by the code of the area at ``level`` that holds it (itself
    included), None when there is none; unchanged without ``level``. ``areas``: an
    ``area_frame`` of every level."""
    if not level:
        return area_codes
    holder = _holders(areas, level).to_numpy(dtype=object)
    # One hash lookup per code into the few thousand areas, then arrays: mapping a series of a
    # few hundred thousand codes costs several times more.
    at = areas.index.get_indexer(area_codes)
    found = np.full(len(area_codes), None, dtype=object)
    known = at >= 0
    found[known] = holder[at[known]]
    return _objects(found, area_codes.index)


def _holders(areas: pd.DataFrame, level: str) -> pd.Series:
    """For each area code, the code of the area at ``level`` holding it (None for none)."""
    parent = areas["parent_code"]
    current = pd.Series(areas.index.to_numpy(dtype=object), index=areas.index, dtype=object)
    result = pd.Series(None, index=areas.index, dtype=object)
    # Areas nest at most three deep (province > district > commune).
    for _level in range(len(AreaLevel.values)):
        levels = current.map(areas["level"])
        hit = (levels == level).to_numpy() & result.isna().to_numpy()
        result[hit] = current[hit]
        current = current.map(parent)
    return result


def _groups_made(products: pd.DataFrame, count: int) -> np.ndarray:
    """For each of the ``count`` first actors, the groups of its products, sorted and
    comma-separated ("" for none)."""
    group, names = pd.factorize(products["category"], sort=True)
    # A bit per group: a producer's set of groups is the OR of its products' bits, spelt out
    # through a table of every set (six groups make 64 sets).
    sets = np.zeros(count, dtype=np.int64)
    np.bitwise_or.at(sets, products["producer"].to_numpy(), np.left_shift(1, group))
    spelt = [
        ",".join(name for bit, name in enumerate(names) if value >> bit & 1)
        for value in range(1 << len(names))
    ]
    return np.array(spelt, dtype=object)[sets]


def producer_frame(snapshot: GraphSnapshot, level: str | None = None) -> pd.DataFrame:
    """Producers by code, index ``code``; columns ``PRODUCER_COLUMNS``: area_code (their area
    rolled up to ``level``, None for none), lat, lon (their own point, else their area's
    centroid), categories (groups of their products, sorted and comma-separated)."""
    producers = _memo(snapshot, ("producers",), lambda: _producer_frame(snapshot))
    if not level:
        return producers
    # Rolled up in each call (some 20 ms nationally) rather than kept per level: each kept
    # frame of 200,000 producers is about 8 MB in every process.
    return producers.assign(area_code=roll_up(producers["area_code"], area_frame(snapshot), level))


def _producer_frame(snapshot: GraphSnapshot) -> pd.DataFrame:
    # Producers come first among the actors, by code.
    count = int(snapshot.is_producer.sum())
    producers = snapshot.actors.iloc[:count]
    categories = _groups_made(snapshot.products, count)
    index = pd.Index(producers["code"].to_numpy(dtype=object), name="code")
    area_code = _objects(_or_none(producers["area"]), index)
    return pd.DataFrame(
        {
            "area_code": area_code,
            "lat": producers["lat"].to_numpy(dtype=float),
            "lon": producers["lon"].to_numpy(dtype=float),
            "categories": _objects(categories, index),
        },
        index=index,
    )


def rated_product_frame(snapshot: GraphSnapshot) -> pd.DataFrame:
    """Every product, by code, with its producer's code, kind and area: the frame
    ``analytics.statistics`` takes (``PRODUCT_COLUMNS``), plus ``producer_name`` and
    ``area_name`` for the tables people read (``RATED_PRODUCT_COLUMNS``). Stars are numbers
    (NaN unrated), dates ``datetime.date`` or None, a missing area None."""
    return _memo(snapshot, ("products",), lambda: _rated_product_frame(snapshot))


def rating_frame(snapshot: GraphSnapshot) -> pd.DataFrame | None:
    """The products' rating history, the ``ratings`` frame ``analytics.statistics`` takes
    (``RATING_COLUMNS``: code, stars, potential_five_star, rated_on, rating_expires_on), ordered
    by product code and day; None for a snapshot read without history."""
    if snapshot.ratings is None:
        return None
    return _memo(snapshot, ("ratings",), lambda: _rating_frame(snapshot.ratings))


def _rating_frame(ratings: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ratings["product"].to_numpy(dtype=object),
            "stars": ratings["stars"].to_numpy(dtype=float),
            "potential_five_star": ratings["potential_five_star"].to_numpy(dtype=bool),
            "rated_on": ratings["rated_on"].to_numpy(dtype=object),
            "rating_expires_on": ratings["expires_on"].to_numpy(dtype=object),
        },
        columns=list(RATING_COLUMNS),
    )


def _rated_product_frame(snapshot: GraphSnapshot) -> pd.DataFrame:
    products = snapshot.products
    actors = snapshot.actors
    producer = products["producer"].to_numpy()
    area = actors["area"].to_numpy(dtype=object)[producer]
    names = snapshot.areas.set_index("code")["name"]
    area_code = np.where(area == "", None, area)
    frame = pd.DataFrame(
        {
            "code": products["code"].to_numpy(dtype=object),
            "name": products["name"].to_numpy(dtype=object),
            "category": products["category"].to_numpy(dtype=object),
            "stars": products["stars"].to_numpy(dtype=float),
            "potential_five_star": products["potential_five_star"].to_numpy(dtype=bool),
            "rated_on": products["rated_on"].to_numpy(dtype=object),
            "rating_expires_on": products["rating_expires_on"].to_numpy(dtype=object),
            "producer_code": actors["code"].to_numpy(dtype=object)[producer],
            "producer_kind": actors["kind"].astype(object).to_numpy()[producer],
            "area_code": area_code,
            "producer_name": actors["name"].to_numpy(dtype=object)[producer],
        }
    )
    area_name = pd.Series(area_code, dtype=object).map(names)
    frame["area_name"] = area_name.where(area_name.notna(), None).to_numpy(dtype=object)
    return frame[RATED_PRODUCT_COLUMNS]
