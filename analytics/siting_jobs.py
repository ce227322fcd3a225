"""Siting as a job: the background queue's entry to ``analytics.results.siting``.

The siting endpoint queues national-scale runs (``linkage.jobs.enqueue(
"analytics.siting_jobs.run_siting", **params)``), so the keyword arguments are plain JSON values.
The run goes through the same cache as the endpoint's own: once a job has finished, the same
request answers at once from what it computed.
"""

from __future__ import annotations

from linkage import graph_cache
from linkage.choices import AreaLevel

from . import results
from .frames import DEFAULT_SUPPLY

__all__ = ["run_siting"]


def run_siting(
    *,
    k: int,
    radius_km: float,
    supply: str = DEFAULT_SUPPLY,
    level: str = AreaLevel.COMMUNE.value,
    points: list[list[float]] | None = None,
    producer_weight: float = 0.0,
    method: str = "auto",
) -> dict:
    """Choose ``k`` new sites for ``supply`` (kept as it is) over the areas of ``level``.

    Returns the dict of ``analytics.results.siting`` with ``registry``, the stamp of the registry
    it was computed from (``Stamp.as_json``), ready for JSON. Raises ValueError for bad parameters
    and ``analytics.frames.UnknownChain`` for an unknown chain code.
    """
    result, stamp = results.siting(
        k=k,
        radius_km=radius_km,
        supply=supply,
        level=level,
        points=points,
        producer_weight=producer_weight,
        method=method,
    )
    return {**result, "registry": stamp.as_json(graph_cache.current_version())}
