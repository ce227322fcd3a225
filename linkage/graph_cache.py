"""The linkage graph kept warm in each process, and rebuilt when the registry changes.

Every write to the registry (through ``linkage.services``) bumps a version token kept in the
Django cache (Redis in production, so all API processes share it). A process keeps its graph,
and the recommender built from it, together with the version they were built at; each read
compares that with the cache's version (one cache round trip) and rebuilds on a difference. The
rebuilt graph is also put in the cache under its version, so that the other processes load it
instead of querying the database again.

The version is a random token rather than a counter: a counter restarted by a cache flush could
reach a number a process has already seen with other data. A graph is also only good for the day
it was built on, since linkages that have ended leave it.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from dataclasses import dataclass, field

import networkx as nx
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache

from . import jobs
from .selectors import graph_from_db

__all__ = [
    "VERSION_KEY",
    "analysis_key",
    "bump_version",
    "current_version",
    "get_graph",
    "get_snapshot",
    "held_graph",
    "held_snapshot",
    "fit_ranking_job",
    "get_recommender",
    "reset",
    "run_analysis",
]

VERSION_KEY = "linkage:graph:version"
GRAPH_KEY = "linkage:graph:{version}:{day}"
# Long enough for the other processes to pick the graph up after a write, short enough that the
# copies of older versions do not pile up in Redis.
GRAPH_TIMEOUT = 15 * 60
# When the cache cannot be reached (Redis down, errors ignored) a process cannot learn of writes
# from others; it then rebuilds at most this often instead of on every request.
UNSHARED_MAX_AGE = 60.0


@dataclass
class _Warm:
    version: str | None = None
    graph: nx.DiGraph | None = None
    recommender: object | None = None
    model: object | None = None
    fitting: set = field(default_factory=set)
    unfit_version: str | None = None
    built_at: float = 0.0
    built_on: dt.date | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


_warm = _Warm()


def current_version() -> str | None:
    """The shared version token, created when missing; None when the cache cannot be reached."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def bump_version() -> str:
    """Mark every process's graph as stale; writes call it through ``services.registry_changed``."""
    version = uuid.uuid4().hex
    cache.set(VERSION_KEY, version, timeout=None)
    return version


def reset() -> None:
    """Forget this process's graph (tests, and after a bulk load in the same process)."""
    with _warm.lock:
        _warm.version, _warm.graph, _warm.recommender, _warm.built_at = None, None, None, 0.0
        _warm.built_on, _warm.model, _warm.unfit_version = None, None, None
        _warm.fitting.clear()


def _is_fresh(version: str | None) -> bool:
    if _warm.graph is None or _warm.built_on != dt.date.today():
        return False
    if version is None:
        return time.monotonic() - _warm.built_at < UNSHARED_MAX_AGE
    return _warm.version == version


def _local_cache() -> bool:
    return isinstance(caches["default"], LocMemCache)


def get_graph() -> nx.DiGraph:
    """The current linkage graph; built from the database (five queries) only when stale."""
    version = current_version()
    if _is_fresh(version):
        return _warm.graph
    with _warm.lock:
        if _is_fresh(version):
            return _warm.graph
        today = dt.date.today()
        # An in-process cache is this process's own: a copy there would only cost memory.
        shared = version is not None and not _local_cache()
        key = GRAPH_KEY.format(version=version, day=today.isoformat())
        graph = cache.get(key) if shared else None
        if graph is None:
            # The version is read before the build: a write during the build bumps it again, so
            # a graph that misses that write is never kept under the newer version.
            graph = graph_from_db()
            if shared:
                cache.set(key, graph, timeout=GRAPH_TIMEOUT)
        _warm.version, _warm.graph, _warm.recommender = version, graph, None
        _warm.built_at, _warm.built_on = time.monotonic(), today
        return graph


_snapshot_lock = threading.Lock()
_held_snapshot = None


def get_snapshot():
    """The registry as a ``linkage.snapshot.GraphSnapshot`` at the current version."""
    global _held_snapshot
    from .selectors import snapshot_from_db

    version = current_version()
    held = _held_snapshot
    if held is not None and held.version == version and held.day == dt.date.today():
        return held
    with _snapshot_lock:
        held = _held_snapshot
        if held is None or held.version != version or held.day != dt.date.today():
            held = _held_snapshot = snapshot_from_db(version=version)
        return held


def held_snapshot():
    """The current snapshot if this process already holds it, else None: never reads one."""
    held = _held_snapshot
    if held is not None and held.version == current_version() and held.day == dt.date.today():
        return held
    return None


def held_graph() -> nx.DiGraph | None:
    """The current graph if this process already holds it, else None: never builds one."""
    return _warm.graph if _is_fresh(current_version()) else None


def get_recommender():
    """The recommender over the current graph, built once per graph, with the newest ranking.

    The ranking is fitted once per graph version (``fit_ranking_job``): on a worker when Redis is
    configured, in this process otherwise. Until the new one is ready, requests keep the previous
    ranking; with none at all, this process fits it now (embedded) or the heuristic ranks (Redis).
    An embedded process also fits now when the previous ranking was learned on a registry of a
    quarter more or fewer sales (``ANOTHER_REGISTRY``).
    """
    from .recommend import Recommender

    version = current_version()
    graph = get_graph()
    recommender = _warm.recommender
    if recommender is None or recommender.graph is not graph:
        with _warm.lock:
            if _warm.recommender is None or _warm.recommender.graph is not graph:
                _warm.recommender = Recommender.build(graph)
            recommender = _warm.recommender
    model = _ranking_for(version, recommender)
    if model is not recommender.model:
        recommender.model = model
    return recommender


def _model_key(version: str | None) -> str:
    return f"linkage:ranking:{version}"


LATEST_MODEL_KEY = "linkage:ranking:latest"
MODEL_TIMEOUT = 7 * 24 * 3600


def _usable(model) -> bool:
    from .ranking import FEATURES

    return model is not None and tuple(model.features) == FEATURES


def _ranking_for(version: str | None, recommender):
    """The model for ``version`` if fitted, else the previous one while a fit is under way."""
    warm = _warm.model
    if warm is not None and warm.version == version and version is not None:
        return warm
    found = cache.get(_model_key(version)) if version is not None else None
    if _usable(found):
        _warm.model = found
        return found
    # The newest model any process has stored, else this process's own: with writes arriving
    # faster than fits, each finished fit is picked up while the next one runs.
    latest = cache.get(LATEST_MODEL_KEY)
    previous = latest if _usable(latest) else warm if _usable(warm) else None
    if jobs.queue_available():
        if cache.add(_model_key(version) + ":job", "queued", timeout=FIT_TIMEOUT):
            jobs.enqueue("linkage.graph_cache.fit_ranking_job", version=version)
            # A queue that runs jobs at once (tests, ASYNC False) has the model already.
            found = cache.get(_model_key(version))
            if _usable(found):
                _warm.model = found
                return found
        return previous
    if _warm.unfit_version == version and version is not None:
        return previous
    if (
        previous is None
        or not getattr(settings, "RANKING_FIT_IN_BACKGROUND", True)
        or _another_registry(previous, recommender)
    ):
        return _fit_here(version, recommender)
    with _warm.lock:
        start = version not in _warm.fitting
        _warm.fitting.add(version)
    if start:
        threading.Thread(
            target=_fit_here, args=(version, recommender), daemon=True, name="ranking-fit"
        ).start()
    return previous


# A previous ranking fitted on a quarter more or fewer sales than the registry now holds was
# learned on another registry (a bulk import, a reset): the embedded process fits anew first.
ANOTHER_REGISTRY = 0.25


def _another_registry(model, recommender) -> bool:
    now = len(recommender.index.sales)
    return abs(now - model.sale_pairs) > ANOTHER_REGISTRY * max(model.sale_pairs, 1)


# A fit that has not reported by then is tried again by the next request.
FIT_TIMEOUT = 10 * 60


def _fit_here(version, recommender):
    from .ranking import fit_ranking

    try:
        model = fit_ranking(recommender.index, as_of=recommender.today, version=version)
        if model is None:
            _warm.unfit_version = version
            return None
        _store_model(version, model)
        if version is None or current_version() == version:
            _warm.model = model
        return model
    finally:
        _warm.fitting.discard(version)


def _store_model(version, model) -> None:
    if version is not None:
        cache.set(_model_key(version), model, timeout=MODEL_TIMEOUT)
    cache.set(LATEST_MODEL_KEY, model, timeout=None)


def fit_ranking_job(*, version: str) -> dict:
    """Job: fit the outlet ranking on the current graph and keep it under its version.

    A version that is no longer current is skipped: a newer write has asked for its own fit.
    """
    from .ranking import fit_ranking
    from .recommend import Recommender

    if current_version() != version:
        return {"skipped": "a newer version of the registry exists"}
    recommender = Recommender.build(get_graph())
    model = fit_ranking(recommender.index, as_of=recommender.today, version=version)
    if model is None:
        cache.set(_model_key(version) + ":job", "too few sales", timeout=MODEL_TIMEOUT)
        return {"fitted": False, "sale_pairs": len(recommender.index.sales)}
    _store_model(version, model)
    return {"fitted": True, "training_pairs": model.training_pairs}


ANALYSIS_TIMEOUT = 24 * 3600
# Whole-graph analyses of linkage.graph a job may run.
_ANALYSES = frozenset(
    {"hubs", "communities", "dependence", "critical_actors", "unlinked_producers"}
)


def analysis_key(name: str, version: str, params: dict) -> str:
    """The cache key of an analysis of the graph at ``version`` on this day, with ``params``."""
    return f"linkage:network:{name}:{version}:{dt.date.today()}:" + ":".join(
        f"{k}={params[k]}" for k in sorted(params)
    )


def run_analysis(*, name: str, params: dict, key: str) -> dict:
    """Job: run ``linkage.graph.<name>(graph, **params)`` and keep the result under ``key``.

    The key was taken from the version read before the graph, as the views do, so a write in
    between only leaves a result nobody will ask for.
    """
    from . import graph as linkage_graph

    if name not in _ANALYSES:
        raise ValueError(f"unknown analysis {name!r}")
    result = getattr(linkage_graph, name)(get_graph(), **params)
    cache.set(key, result, timeout=ANALYSIS_TIMEOUT)
    return {"cached_as": key}
