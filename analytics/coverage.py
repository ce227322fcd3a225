"""Coverage of areas and producers by the sales network, and the coverage gaps.

Pure functions: pandas frames in, frames and dicts out; no database. Demand is the areas (weighted
by population, measured at their centroid) and the producers (at their own point); supply is a set
of facilities: OCOP sales points, the stores of a chain, or any buyer kinds the caller selected.

An area is covered when its centroid lies within ``radius_km`` of a facility; a producer is covered
when its own point does. "Within" is decided on the WGS 84 ellipsoid (``linkage.distance``); the
distances reported are the haversine, within 0.35 % of it. For a product group, only facilities
that take that group count, and only producers that make it are counted.

The frames these functions take:

- areas: index ``code``; columns ``name``, ``level``, ``parent_code``, ``lat``, ``lon``,
  ``population`` (NaN when unknown: it counts 0 in population shares but the area still appears).
- facilities: index ``code``; columns ``name``, ``kind``, ``lat``, ``lon``, ``categories``
  (comma-separated group codes; empty means every group) and optionally ``chain_categories`` (the
  chain's list for a store of a chain). Which groups a facility takes is
  ``linkage.eligibility.buyer_rules``: a store takes what both it and its chain take. Rows without
  coordinates are ignored.
- producers: index ``code``; columns ``area_code`` (the reported area the producer belongs to, or
  None), ``lat``, ``lon``, ``categories`` (comma-separated groups of its products). Producers
  without coordinates cannot be measured: they are left out of the shares and counted as
  unlocated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linkage.choices import Category
from linkage.distance import PointIndex
from linkage.eligibility import buyer_rules

__all__ = [
    "AREA_COLUMNS",
    "CATEGORY_CODES",
    "GAP_RANKINGS",
    "area_coverage",
    "coverage_gaps",
    "coverage_report",
    "coverage_summary",
    "facilities_taking",
    "producer_coverage",
    "producers_making",
]

CATEGORY_CODES: tuple[str, ...] = tuple(Category.values)
GAP_RANKINGS = ("population", "producers")
AREA_COLUMNS = [
    "name",
    "level",
    "parent_code",
    "lat",
    "lon",
    "population",
    "nearest_facility",
    "nearest_facility_name",
    "distance_km",
    "covered",
    "uncovered_population",
    "producers",
    "producers_covered",
    "producers_uncovered",
]


def _check_radius(radius_km: float) -> None:
    if not np.isfinite(radius_km) or radius_km < 0:
        raise ValueError("radius_km must be a finite number of kilometres, 0 or more")


def _distinct(lists: pd.Series, decide) -> np.ndarray:
    """``decide`` applied once per distinct text, since thousands of rows share a handful."""
    texts = lists.fillna("").to_numpy(dtype=object)
    if len(texts) == 0:
        return np.zeros(0, dtype=bool)
    # Hashing finds the distinct texts in one pass; sorting a few hundred thousand Python
    # strings (np.unique) costs ten times more.
    position, distinct = pd.factorize(texts)
    return np.array([decide(str(text)) for text in distinct], dtype=bool)[position]


def _distances(supply: pd.DataFrame, points: pd.DataFrame, radius_km: float):
    """For the rows of ``points``: located or not, nearest facility position (-1 for none), its
    distance in km (NaN) and covered or not (within ``radius_km`` of some facility on WGS 84)."""
    located = (points["lat"].notna() & points["lon"].notna()).to_numpy()
    position = np.full(len(points), -1, dtype=np.int64)
    distance = np.full(len(points), np.nan)
    covered = np.zeros(len(points), dtype=bool)
    if located.any() and len(supply):
        index = PointIndex(supply["lat"].to_numpy(), supply["lon"].to_numpy())
        lat = points["lat"].to_numpy(dtype=float)[located]
        lon = points["lon"].to_numpy(dtype=float)[located]
        position[located], distance[located] = index.nearest(lat, lon)
        covered[located] = index.reaches(lat, lon, radius_km, distance[located])
    return located, position, distance, covered


def facilities_taking(facilities: pd.DataFrame, category: str | None) -> pd.DataFrame:
    """The located facilities that take ``category`` (all located ones when it is None), by
    ``linkage.eligibility.buyer_rules`` on their own and their chain's lists."""
    located = facilities[facilities["lat"].notna() & facilities["lon"].notna()]
    if category is None:
        return located
    lists = located["categories"]
    chain = located.get("chain_categories")
    if chain is not None and chain.notna().any():
        # The two lists travel as one text (a newline cannot appear in a group list) so that
        # each distinct pair is decided once.
        lists = lists.fillna("").astype(str) + "\n" + chain.fillna("").astype(str)
    return located[_distinct(lists, lambda text: _takes(text, category))]


def _takes(lists: str, category: str) -> bool:
    own, _, chain = lists.partition("\n")
    return buyer_rules(own, None, chain, None).takes(category)


def producers_making(producers: pd.DataFrame, category: str | None) -> pd.DataFrame:
    """The producers with a product of ``category`` (all of them when it is None)."""
    if category is None:
        return producers
    return producers[_distinct(producers["categories"], lambda text: category in text.split(","))]


class _Measures:
    """The measurements of one coverage question, each made once: which facilities take a group,
    which producers make it, and how far the areas and those producers are from the facilities.
    The table and the summary (overall and per group) share them."""

    def __init__(self, areas, facilities, producers, radius_km: float):
        _check_radius(radius_km)
        self.areas, self.facilities, self.producers = areas, facilities, producers
        self.radius_km = radius_km
        self._found: dict = {}
        self._groups = None

    def _once(self, key, measure):
        if key not in self._found:
            self._found[key] = measure()
        return self._found[key]

    def supply(self, category: str | None) -> pd.DataFrame:
        return self._once(
            ("supply", category), lambda: facilities_taking(self.facilities, category)
        )

    def area_distances(self, category: str | None):
        """``_distances`` of the areas to the facilities taking ``category``."""
        return self._once(
            ("areas", category),
            lambda: _distances(self.supply(category), self.areas, self.radius_km),
        )

    def makers(self, category: str | None) -> pd.DataFrame:
        if category is None:
            return self.producers
        if self._groups is None:
            # The producers' group lists, told apart once for every group asked about.
            self._groups = pd.factorize(self.producers["categories"].fillna("").to_numpy(object))
        position, distinct = self._groups
        makes = np.array([category in str(text).split(",") for text in distinct], dtype=bool)
        return self.producers[makes[position]]

    def producer_distances(self, category: str | None):
        """The producers making ``category`` and their ``_distances`` to the facilities taking
        it."""

        def measure():
            makers = self.makers(category)
            return makers, _distances(self.supply(category), makers, self.radius_km)

        return self._once(("producers", category), measure)


def producer_coverage(
    producers: pd.DataFrame,
    facilities: pd.DataFrame,
    *,
    radius_km: float,
    category: str | None = None,
) -> pd.DataFrame:
    """Nearest facility of each producer (of ``category``, by facilities taking it).

    Returns a frame indexed by producer ``code`` with columns ``area_code``, ``located`` (bool),
    ``nearest_facility`` (code or None), ``distance_km`` (NaN when unmeasurable) and ``covered``.
    Raises ValueError for a negative or infinite radius.
    """
    return _producer_table(_Measures(None, facilities, producers, radius_km), category)


def _producer_table(measures: _Measures, category: str | None) -> pd.DataFrame:
    producers, (located, position, distance, covered) = measures.producer_distances(category)
    supply = measures.supply(category)
    nearest = np.full(len(producers), None, dtype=object)
    nearest[position >= 0] = supply.index.to_numpy()[position[position >= 0]]
    return pd.DataFrame(
        {
            "area_code": producers["area_code"].to_numpy(),
            "located": located,
            "nearest_facility": nearest,
            "distance_km": distance,
            "covered": covered,
        },
        index=producers.index,
    )


def area_coverage(
    areas: pd.DataFrame,
    facilities: pd.DataFrame,
    producers: pd.DataFrame | None = None,
    *,
    radius_km: float,
    category: str | None = None,
) -> pd.DataFrame:
    """Coverage of each area: nearest facility, distance, covered or not, producers covered.

    Returns a frame indexed by area ``code`` with the columns of ``AREA_COLUMNS``:
    ``nearest_facility`` and ``nearest_facility_name`` (None without any facility),
    ``distance_km`` (centroid to the nearest facility; NaN when the area has no centroid or there is
    no facility), ``covered`` (bool), ``uncovered_population`` (its population when not covered,
    else 0), and ``producers`` / ``producers_covered`` / ``producers_uncovered``: counts of the
    located producers of the area (of ``category`` when given). Raises ValueError for a bad radius.
    """
    return _area_table(_Measures(areas, facilities, producers, radius_km), category)


def _area_table(measures: _Measures, category: str | None) -> pd.DataFrame:
    supply = measures.supply(category)
    table = measures.areas.reindex(
        columns=["name", "level", "parent_code", "lat", "lon", "population"]
    )
    _, position, distance, covered = measures.area_distances(category)
    found = position >= 0
    nearest = np.full(len(table), None, dtype=object)
    nearest_name = np.full(len(table), None, dtype=object)
    nearest[found] = supply.index.to_numpy()[position[found]]
    nearest_name[found] = supply["name"].to_numpy()[position[found]]
    population = table["population"].fillna(0).to_numpy(dtype=float)
    table = table.assign(
        nearest_facility=nearest,
        nearest_facility_name=nearest_name,
        distance_km=distance,
        covered=covered,
        uncovered_population=np.where(covered, 0.0, population),
    )
    counts = pd.DataFrame(0, index=table.index, columns=["producers", "producers_covered"])
    if measures.producers is not None and len(measures.producers):
        by_producer = _producer_table(measures, category)
        by_producer = by_producer[by_producer["located"]]
        grouped = by_producer.groupby("area_code")["covered"].agg(["size", "sum"])
        grouped.columns = ["producers", "producers_covered"]
        counts = grouped.reindex(table.index, fill_value=0).astype(int)
    table["producers"] = counts["producers"].to_numpy()
    table["producers_covered"] = counts["producers_covered"].to_numpy()
    table["producers_uncovered"] = table["producers"] - table["producers_covered"]
    table.index.name = "code"
    return table[AREA_COLUMNS]


def _share(part: float, whole: float) -> float | None:
    return None if whole <= 0 else float(part) / float(whole)


def _totals(measures: _Measures, category: str | None) -> dict:
    supply = measures.supply(category)
    _, _, _, covered = measures.area_distances(category)
    people = measures.areas["population"].fillna(0).to_numpy(dtype=float)
    population, population_covered = float(people.sum()), float(people[covered].sum())
    result = {
        "facilities": int(len(supply)),
        "areas": int(len(measures.areas)),
        "areas_covered": int(covered.sum()),
        "population": population,
        "population_covered": population_covered,
        "population_share": _share(population_covered, population),
    }
    if measures.producers is not None:
        _, (located, _, _, covered) = measures.producer_distances(category)
        reached = int(covered.sum())
        result.update(
            producers=int(located.sum()),
            producers_covered=reached,
            producers_share=_share(reached, located.sum()),
            producers_unlocated=int((~located).sum()),
        )
    return result


def coverage_summary(
    areas: pd.DataFrame,
    facilities: pd.DataFrame,
    producers: pd.DataFrame | None = None,
    *,
    radius_km: float,
    category: str | None = None,
    categories: tuple[str, ...] = CATEGORY_CODES,
) -> dict:
    """Shares of population and of producers covered, overall and for each product group.

    Returns ``{"radius_km", "category", "facilities", "areas", "areas_covered", "population",
    "population_covered", "population_share", "producers", "producers_covered",
    "producers_share", "producers_unlocated", "by_category": [{"category", ...same keys}]}``;
    shares are fractions in [0, 1], or None when there is nothing to share (no population, no
    located producer). The producer keys are present only when ``producers`` is given. With
    ``category``, the headline figures are for that group and ``by_category`` holds it alone.
    Raises ValueError for a bad radius.
    """
    measures = _Measures(areas, facilities, producers, radius_km)
    return _summary(measures, category, categories)


def _summary(measures: _Measures, category: str | None, categories: tuple[str, ...]) -> dict:
    summary = {"radius_km": float(measures.radius_km), "category": category}
    summary.update(_totals(measures, category))
    groups = categories if category is None else (category,)
    summary["by_category"] = [{"category": group, **_totals(measures, group)} for group in groups]
    return summary


def coverage_report(
    areas: pd.DataFrame,
    facilities: pd.DataFrame,
    producers: pd.DataFrame | None = None,
    *,
    radius_km: float,
    category: str | None = None,
    categories: tuple[str, ...] = CATEGORY_CODES,
) -> tuple[pd.DataFrame, dict]:
    """``(area_coverage(...), coverage_summary(...))`` of one question, each distance measured
    once for both: the cost of the two is about that of the summary alone. Raises ValueError for
    a bad radius."""
    measures = _Measures(areas, facilities, producers, radius_km)
    return _area_table(measures, category), _summary(measures, category, categories)


def coverage_gaps(table: pd.DataFrame, *, rank_by: str = "population") -> pd.DataFrame:
    """The coverage gaps of an ``area_coverage`` table, worst first.

    A gap is an area whose centroid is not covered (with population or producers left out) or
    that has uncovered producers. Ranked by uncovered population, then uncovered producers (the
    other way round with ``rank_by="producers"``), then distance to the nearest facility. Returns
    the same columns as the table plus ``rank`` (1 = worst), indexed by area ``code``.
    Raises ValueError for an unknown ``rank_by``.
    """
    if rank_by not in GAP_RANKINGS:
        raise ValueError(f"rank_by must be one of {', '.join(GAP_RANKINGS)}")
    gaps = table[(table["uncovered_population"] > 0) | (table["producers_uncovered"] > 0)].copy()
    keys = ["uncovered_population", "producers_uncovered"]
    if rank_by == "producers":
        keys.reverse()
    gaps["_distance"] = gaps["distance_km"].fillna(np.inf)
    gaps = gaps.sort_values([*keys, "_distance"], ascending=False, kind="mergesort")
    gaps = gaps.drop(columns="_distance")
    gaps.insert(0, "rank", np.arange(1, len(gaps) + 1))
    return gaps
