"""Siting as a job: read the registry, choose the sites, answer with plain JSON-ready data.

``run_siting`` is what the siting endpoint calls in-process, and what the background queue runs for
national-scale instances (``linkage.jobs.enqueue("analytics.siting_jobs.run_siting", **params)``),
so its keyword arguments are plain JSON values.
"""

from __future__ import annotations

import math

import pandas as pd

from linkage.choices import AreaLevel

from . import selectors
from .siting import site_selection

__all__ = ["candidate_frame", "run_siting"]


def candidate_frame(points: list[list[float]] | None) -> pd.DataFrame | None:
    """Given candidate points ``[[lat, lon], ...]`` as a frame indexed ``C1``, ``C2``, …; None
    (meaning the area centroids) when no points are given."""
    if not points:
        return None
    frame = pd.DataFrame([(float(lat), float(lon)) for lat, lon in points], columns=["lat", "lon"])
    frame.index = pd.Index([f"C{i}" for i in range(1, len(frame) + 1)], name="code")
    frame["name"] = [f"{lat:.5f}, {lon:.5f}" for lat, lon in zip(frame.lat, frame.lon, strict=True)]
    return frame


def _clean(value):
    """JSON has no NaN: missing numbers become None."""
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def run_siting(
    *,
    k: int,
    radius_km: float,
    supply: str = selectors.DEFAULT_SUPPLY,
    level: str = AreaLevel.COMMUNE.value,
    points: list[list[float]] | None = None,
    producer_weight: float = 0.0,
    method: str = "auto",
) -> dict:
    """Choose ``k`` new sites for ``supply`` (kept as it is) over the areas of ``level``.

    Candidates are the located areas' centroids, or ``points`` ([[lat, lon], ...]) when given.
    Returns the dict of ``analytics.siting.site_selection`` plus ``supply``, ``level`` and
    ``candidates_from`` ("centroids" or "points"), ready for JSON. Raises ValueError for bad
    parameters and selectors.UnknownChain for an unknown chain code.
    """
    spec = selectors.parse_supply(supply)
    areas = selectors.area_frame()
    producers = selectors.producer_frame(level, areas)
    facilities = selectors.facility_frame(spec)
    at_level = areas[areas["level"] == level]
    result = site_selection(
        at_level,
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
