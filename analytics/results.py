"""The planners' analytics, computed once per registry version and parameters.

Coverage, gaps, siting and the statistics depend on the registry and their parameters alone. Each
function here reads the registry's snapshot (``linkage.graph_cache.get_snapshot``, warm in every
process), computes its answer from the frames of ``analytics.frames`` and keeps it in the shared
cache under the snapshot's version and the parameters (``linkage.result_cache.computed_once``):
the first request after a write computes it, once across processes, and the others read it. A
write moves the version on, which is what retires the older answers.

What is kept is the table or dict the API turns into JSON, GeoJSON, CSV or XLSX, so the format of
an answer is not part of its key. Every function returns ``(result, stamp)``: the stamp
(``linkage.result_cache.Stamp``) says which version of the registry the answer comes from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Callable

import pandas as pd
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from linkage import graph_cache, jobs
from linkage.choices import AreaLevel
from linkage.result_cache import Stamp, cached, computed_once, result_key

from . import frames, selectors, statistics
from .coverage import coverage_report
from .frames import Supply
from .siting import site_selection

__all__ = [
    "EXPIRING_EXTRA_COLUMNS",
    "STATISTICS",
    "candidate_frame",
    "coverage",
    "held_siting",
    "siting",
    "siting_candidates",
    "siting_job",
    "statistics_table",
]

EXPIRING_EXTRA_COLUMNS = ["producer_code", "producer_name", "area_code", "area_name"]
# How long a queued siting run is followed before a request may queue it again.
SITING_JOB_TIMEOUT = 30 * 60


def _answer(name: str, params: dict, compute: Callable) -> tuple[object, Stamp]:
    """``compute(snapshot)`` for ``params``, computed once per registry version.

    An answer some process has kept for the registry's current version is read without the
    snapshot: a freshly started process answers it without loading the registry. Otherwise the
    snapshot's version keys the answer (it may be the version before the latest writes while
    the newer one is being read; the stamp then says so).
    """
    found = cached(name, params, version=graph_cache.current_version())
    if found is not None:
        return found
    snapshot = graph_cache.get_snapshot()

    def answer():
        try:
            return compute(snapshot)
        finally:
            # The answer is kept; the frames it was computed from would otherwise stay with the
            # snapshot in every process that ever computed one (tens of MB nationally).
            frames.let_go(snapshot)
            graph_cache.trim_memory()

    return computed_once(name, params, answer, version=snapshot.version, read_at=snapshot.read_at)


def _coverage_inputs(snapshot, supply: Supply, level: str):
    """(areas of ``level``, facilities of ``supply``, producers rolled up to ``level``)."""
    facilities = frames.facility_frame(snapshot, supply)
    return (
        frames.area_frame(snapshot, level),
        facilities,
        frames.producer_frame(snapshot, level),
    )


def coverage(
    *, supply: Supply, level: str, radius_km: float, category: str | None = None
) -> tuple[dict, Stamp]:
    """``{"table": area_coverage(...), "summary": coverage_summary(...)}`` of the areas of
    ``level`` by ``supply`` within ``radius_km`` (for ``category`` when given), and its stamp.
    Gaps are drawn from the same table. Raises ``frames.UnknownChain``."""

    def compute(snapshot) -> dict:
        areas, facilities, producers = _coverage_inputs(snapshot, supply, level)
        table, summary = coverage_report(
            areas, facilities, producers, radius_km=radius_km, category=category
        )
        return {"table": table, "summary": summary}

    params = {
        "supply": str(supply),
        "level": level,
        "radius_km": float(radius_km),
        "category": category or "",
    }
    return _answer("analytics.coverage", params, compute)


def candidate_frame(points: list[list[float]] | None) -> pd.DataFrame | None:
    """Given candidate points ``[[lat, lon], ...]`` as a frame indexed ``C1``, ``C2``, …; None
    (meaning the area centroids) when no points are given."""
    if not points:
        return None
    frame = pd.DataFrame([(float(lat), float(lon)) for lat, lon in points], columns=["lat", "lon"])
    frame.index = pd.Index([f"C{i}" for i in range(1, len(frame) + 1)], name="code")
    frame["name"] = [f"{lat:.5f}, {lon:.5f}" for lat, lon in zip(frame.lat, frame.lon, strict=True)]
    return frame


def siting_candidates(
    *, supply: Supply, level: str, points: list[list[float]] | None
) -> tuple[int, int]:
    """(candidates, located areas of ``level``) of a siting question: its size, checked before
    any run so that a queued one cannot fail on them later. Raises ``frames.UnknownChain``."""
    snapshot = graph_cache.get_snapshot()
    frames.facility_frame(snapshot, supply)
    located = frames.area_frame(snapshot, level).dropna(subset=["lat", "lon"])
    return (len(points) if points is not None else len(located)), len(located)


def _clean(value):
    """JSON has no NaN: missing numbers become None."""
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _siting_params(params: dict) -> dict:
    """The key's parameters of a siting run: the supply as ``parse_supply`` prints it back, the
    points as a digest (they can be many)."""
    points = params.get("points")
    digest = ""
    if points:
        digest = hashlib.sha256(json.dumps(points).encode()).hexdigest()[:24]
    return {
        "k": int(params["k"]),
        "radius_km": float(params["radius_km"]),
        "supply": str(frames.parse_supply(params.get("supply"))),
        "level": params.get("level", AreaLevel.COMMUNE.value),
        "points": digest,
        "producer_weight": float(params.get("producer_weight", 0.0)),
        "method": params.get("method", "auto"),
    }


def siting(
    *,
    k: int,
    radius_km: float,
    supply: str = frames.DEFAULT_SUPPLY,
    level: str = AreaLevel.COMMUNE.value,
    points: list[list[float]] | None = None,
    producer_weight: float = 0.0,
    method: str = "auto",
) -> tuple[dict, Stamp]:
    """``k`` new sites for ``supply`` (kept as it is) over the areas of ``level``, and the stamp.

    Candidates are the located areas' centroids, or ``points`` ([[lat, lon], ...]) when given.
    The result is the dict of ``analytics.siting.site_selection`` plus ``supply``, ``level`` and
    ``candidates_from`` ("centroids" or "points"), ready for JSON. Raises ValueError for bad
    parameters and ``frames.UnknownChain`` for an unknown chain code.
    """
    spec = frames.parse_supply(supply)

    def compute(snapshot) -> dict:
        areas, facilities, producers = _coverage_inputs(snapshot, spec, level)
        result = site_selection(
            areas,
            facilities,
            k=k,
            radius_km=radius_km,
            candidates=candidate_frame(points),
            producers=producers,
            producer_weight=producer_weight,
            method=method,
        )
        for site in result["sites"]:
            site["name"] = _clean(site["name"])
        result.update(
            supply=str(spec), level=level, candidates_from="points" if points else "centroids"
        )
        return result

    params = {
        "k": k,
        "radius_km": radius_km,
        "supply": supply,
        "level": level,
        "points": points,
        "producer_weight": producer_weight,
        "method": method,
    }
    return _answer("analytics.siting", _siting_params(params), compute)


def held_siting(**params) -> tuple[dict, Stamp] | None:
    """The siting run of ``params`` (``siting``'s) when some process has computed it for the
    registry's current version, else None: nothing is computed, nothing read."""
    version = graph_cache.current_version()
    return cached("analytics.siting", _siting_params(params), version=version)


def siting_job(**params) -> str:
    """The id of the job computing the siting run of ``params``: the one already queued for the
    same run of this registry when it is still alive, else a new one
    (``analytics.siting_jobs.run_siting``)."""
    version = graph_cache.get_snapshot().version
    key = None
    if version is not None:
        key = result_key("analytics.siting", version, _siting_params(params)) + ":job"
        queued = cache.get(key)
        if queued is not None:
            state = jobs.job_status(queued)
            if state is not None and state["status"] != "failed":
                return queued
    job_id = jobs.enqueue("analytics.siting_jobs.run_siting", **params)
    if key is not None:
        cache.set(key, job_id, timeout=SITING_JOB_TIMEOUT)
    return job_id


def _summary(products, areas, ratings, params):
    return statistics.summary(
        products,
        as_of=params["as_of"],
        expiring_months=params["months"],
        target=params["target"],
        ratings=ratings,
    )


def _by_year(products, areas, ratings, params):
    return statistics.by_year(products, as_of=params["as_of"], ratings=ratings)


def _by_basis(table: Callable) -> Callable:
    return lambda products, areas, ratings, params: table(
        products, as_of=params["as_of"], basis=params["basis"], ratings=ratings
    )


def _by_area(products, areas, ratings, params):
    # Schemes, successors and producers' old areas are not in the snapshot: read with the
    # answer, which is kept per registry version like the rest (their writes move it on).
    history, legacy_areas = selectors.area_history()
    return statistics.by_area(
        products,
        areas.join(history),
        level=params["level"],
        within=params.get("within"),
        as_of=params["as_of"],
        basis=params["basis"],
        scheme=params.get("scheme"),
        year=params.get("year"),
        legacy_areas=legacy_areas,
        ratings=ratings,
    )


def _expiring(products, areas, ratings, params):
    return statistics.expiring(
        products,
        months=params["months"],
        as_of=params["as_of"],
        extra_columns=EXPIRING_EXTRA_COLUMNS,
    )


def _targets(products, areas, ratings, params):
    return statistics.targets(
        products,
        target=params["target"],
        as_of=params["as_of"],
        first_year=params.get("first_year"),
        ratings=ratings,
    )


# Table name → (products, areas, ratings, params) → the table (a dict for the summary).
STATISTICS: dict[str, Callable] = {
    "summary": _summary,
    "by-year": _by_year,
    "by-group": _by_basis(statistics.by_group),
    "by-stars": _by_basis(statistics.by_stars),
    "by-producer-kind": _by_basis(statistics.by_producer_kind),
    "by-area": _by_area,
    "expiring": _expiring,
    "targets": _targets,
}


def statistics_table(name: str, params: dict) -> tuple[pd.DataFrame | dict, Stamp]:
    """The statistics table ``name`` (a key of ``STATISTICS``) with ``params`` (as the API's
    queries give them: ``as_of`` defaults to today) and its stamp. Raises ValueError as
    ``analytics.statistics`` does (an unknown ``within`` code)."""
    params = {**params, "as_of": params.get("as_of") or dt.date.today()}

    def compute(snapshot):
        products = frames.rated_product_frame(snapshot)
        areas = frames.area_frame(snapshot) if name == "by-area" else None
        return STATISTICS[name](products, areas, frames.rating_frame(snapshot), params)

    key = {field: "" if value is None else str(value) for field, value in params.items()}
    # The tables carry labels in the request's language (groups, star classes, kinds): one kept
    # answer per language, or the first reader's language would be everyone's.
    key["language"] = translation.get_language() or settings.LANGUAGE_CODE
    return _answer(f"analytics.statistics.{name}", key, compute)
