"""The registry's snapshot kept warm in each process, refreshed in the background after a write.

Every write to the registry (through ``linkage.services``) bumps a version token kept in the
Django cache (Redis in production, so all API processes share it). A process keeps a snapshot of
the registry (``linkage.snapshot.GraphSnapshot``) and the recommender built from it, with the
version they were read at; each request compares that with the cache's version (one round trip).

No request waits on a rebuild (stale-while-revalidate): when the version has moved on, the request
is answered from the snapshot held and a thread of the process reads the new one and swaps it in
with its recommender, catching up with every write that arrived meanwhile in one read. Answers say
which version they come from and how old it is (``linkage.result_cache.Stamp``). Only a process
holding nothing yet (a fresh worker, which ``warm_up`` fills before it takes traffic) waits.

A snapshot is read from the database once per version across processes: the first process takes
a lock in the cache, reads it (five queries) and stores its bytes there; the others load those
(a fraction of a second at national scale) instead of querying the database again.

The version is a random token rather than a counter: a counter restarted by a cache flush could
reach a number a process has already seen with other data. A snapshot is also only good for the
day it was read on, since linkages that have ended leave it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import gc
import json
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection

from . import jobs
from .result_cache import Stamp
from .snapshot import GraphSnapshot

__all__ = [
    "bump_version",
    "changes_since",
    "current_version",
    "fit_ranking_job",
    "get_recommender",
    "get_snapshot",
    "held_snapshot",
    "network_analysis",
    "run_network_analysis",
    "reset",
    "stamp_of",
    "trim_memory",
    "warm_up",
]

logger = logging.getLogger(__name__)

SNAPSHOT_KEY = "linkage:snapshot:{version}:{day}"
# Long enough for the other processes to pick the snapshot up after a write, short enough that
# the copies of older versions do not pile up in Redis.
SNAPSHOT_TIMEOUT = 15 * 60
# A process reading a snapshot holds this lock; the others wait up to SNAPSHOT_WAIT for its bytes.
SNAPSHOT_LOCK_TIMEOUT = 60
SNAPSHOT_WAIT = 20.0
# When the cache cannot be reached (Redis down, errors ignored) a process cannot learn of writes
# from others; it then refreshes at most this often.
UNSHARED_MAX_AGE = 60.0
# Under a stream of writes a process spends at most this share of its time re-reading the
# registry: a refresh that took 1 s is followed by 4 s of answering from it (at national scale
# answers are then up to about 5 s behind the writes; on a city's registry, a fraction of that).
REFRESH_SHARE = 0.2
REFRESH_NICE = 10


@dataclass
class _Warm:
    snapshot: GraphSnapshot | None = None
    recommender: object | None = None
    model: object | None = None
    fitting: set = field(default_factory=set)
    unfit_version: str | None = None
    refreshing: bool = False
    # Moved on by ``reset``: a refresh thread of an earlier generation stops at its next step.
    generation: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Held while a snapshot is read or swapped in: one at a time per process.
    reading: threading.Lock = field(default_factory=threading.Lock)


_warm = _Warm()


def current_version() -> str | None:
    """The shared version token, created when missing; None when the cache cannot be reached."""
    entries = _log_tail(1)
    if entries == []:
        _log_append(WHOLE)  # the first version: nothing before it to patch from
        entries = _log_tail(1)
    return entries[-1][0] if entries else None


def bump_version(change: str = "*") -> str:
    """Mark every process's snapshot as stale, noting what changed (``"linkage:<id>"``,
    ``"product:<code>"``, ``"sourcing_request:<code>"``, or ``"*"`` for anything else, which
    makes processes read the whole registry again); writes call it through ``services``."""
    return _log_append(change)


def changes_since(version: str) -> list[str] | None:
    """What the writes after ``version`` changed, oldest first, or None when the log no longer
    reaches back to it (or cannot be read)."""
    entries = _log_tail(LOG_LENGTH)
    for i in range(len(entries or ()) - 1, -1, -1):
        if entries[i][0] == version:
            return [change for _, change in entries[i + 1 :]]
    return None


# The registry's change log: one entry per write, [version, change], newest last; the current
# version is the newest entry's. A list rather than a single key, appended to in one step, so
# that writes from several processes at once keep their order and none is lost from the log.
LOG_KEY = "linkage:graph:log"
LOG_LENGTH = 1000
WHOLE = "*"
_local_log_lock = threading.Lock()


def _redis():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def _log_in_redis() -> bool:
    return type(caches["default"]).__module__.startswith("django_redis")


def _log_tail(n: int) -> list[list[str]] | None:
    if not _log_in_redis():
        return list(cache.get(LOG_KEY) or [])[-n:]
    try:
        found = _redis().lrange(cache.make_key(LOG_KEY), -n, -1)
    except Exception:
        logger.warning("the registry's version cannot be read: the cache is unreachable")
        return None
    return [json.loads(entry) for entry in found]


def _log_append(change: str) -> str:
    version = uuid.uuid4().hex
    entry = [version, change]
    if not _log_in_redis():
        with _local_log_lock:
            log = list(cache.get(LOG_KEY) or [])
            log.append(entry)
            cache.set(LOG_KEY, log[-LOG_LENGTH:], timeout=None)
        return version
    key = cache.make_key(LOG_KEY)
    try:
        pipeline = _redis().pipeline()
        pipeline.rpush(key, json.dumps(entry))
        pipeline.ltrim(key, -LOG_LENGTH, -1)
        pipeline.execute()
    except Exception:
        # As with every cache write while Redis is down: the write itself stands.
        logger.warning("the registry's version cannot be moved on: the cache is unreachable")
    return version


def reset() -> None:
    """Forget this process's snapshot (tests, and after a bulk load in the same process)."""
    with _warm.lock:
        _warm.snapshot, _warm.recommender = None, None
        _warm.model, _warm.unfit_version = None, None
        _warm.fitting.clear()
        _warm.generation += 1
        _warm.refreshing = False


def _is_current(snapshot: GraphSnapshot | None, version: str | None) -> bool:
    if snapshot is None or snapshot.day != dt.date.today():
        return False
    if version is None:
        return snapshot.version is None and snapshot.age_seconds() < UNSHARED_MAX_AGE
    return snapshot.version == version


def _local_cache() -> bool:
    return isinstance(caches["default"], LocMemCache)


def _snapshot_key(version: str) -> str:
    return SNAPSHOT_KEY.format(version=version, day=dt.date.today().isoformat())


def _read(version: str | None) -> GraphSnapshot:
    """The snapshot at ``version``: from the shared cache if a process has stored it, else read
    from the database (by one process at a time across processes) and stored there."""
    from .selectors import snapshot_from_db

    # An in-process cache is this process's own: a copy there would only cost memory.
    if version is None or _local_cache():
        return _packed(snapshot_from_db(version=version).dumps())
    key = _snapshot_key(version)
    stored = cache.get(key)
    if stored is None:
        lock = key + ":lock"
        owned = bool(cache.add(lock, "reading", timeout=SNAPSHOT_LOCK_TIMEOUT))
        deadline = time.monotonic() + SNAPSHOT_WAIT
        while not owned and stored is None and time.monotonic() < deadline:
            if cache.get(lock) is None:
                break  # the reader failed, or the cache went away: read it here
            time.sleep(0.05)
            stored = cache.get(key)
        if stored is None:
            try:
                # The version was read before the database: a write during the read bumps it
                # again, so a snapshot missing that write is never kept under the newer version.
                stored = snapshot_from_db(version=version).dumps()
                cache.set(key, stored, timeout=SNAPSHOT_TIMEOUT)
                return _packed(stored)
            finally:
                if owned:
                    cache.delete(lock)
    return GraphSnapshot.loads(stored)


def _packed(stored: bytes) -> GraphSnapshot:
    """The snapshot of ``stored``, loaded once what read it from the database is gone.

    Read from the database, a snapshot's 400,000 strings lie scattered among the rows, tuples and
    strings the read made and dropped; the allocator cannot give back the pages they share (some
    80 MB nationally). Loaded from its bytes, the same strings are packed together.
    """
    gc.collect()
    return GraphSnapshot.loads(stored)


def _install(snapshot: GraphSnapshot) -> None:
    """Make ``snapshot`` and its recommender the ones this process answers from."""
    from .recommend import Recommender

    snapshot.prepare()
    recommender = Recommender.build(snapshot, today=snapshot.day, previous=_warm.recommender)
    # The ranking fitted for the new version, else the newest one, is found here rather than by
    # the first request answered from it (which asks for a fit if one is due).
    recommender.model = _known_ranking(snapshot.version)
    with _warm.lock:
        _warm.snapshot, _warm.recommender = snapshot, recommender
    recommender = snapshot = None
    _give_back_memory()


def _give_back_memory() -> None:
    """Return the memory of the snapshot replaced to the system: a national one and what reading
    it cost are a few hundred MB that the allocator would otherwise keep for the process."""
    gc.collect()
    if _malloc_trim is not None:
        _malloc_trim(0)


def trim_memory() -> None:
    """Give the pages the allocator holds free back to the system (glibc), without a collection:
    after large structures are dropped, a process otherwise keeps their memory."""
    if _malloc_trim is not None:
        _malloc_trim(0)


try:
    _malloc_trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
except (OSError, AttributeError):  # not glibc
    _malloc_trim = None


def _refresh(version: str | None) -> GraphSnapshot:
    """Read the snapshot at ``version`` and install it, unless it is installed already."""
    with _warm.reading:
        held = _warm.snapshot
        if _is_current(held, version):
            return held
        snapshot = _patched(held, version) or _read(version)
        _install(snapshot)
        return snapshot


# Past this many changed records a whole read is about as quick as patching.
PATCH_LIMIT = 500


def _patched(held: GraphSnapshot | None, version: str | None) -> GraphSnapshot | None:
    """``held`` brought to ``version`` by reading again only what the writes since changed, or
    None when that cannot be done (nothing held, another day, a write of anything but linkages,
    products and sourcing requests, too many changes, a log that no longer reaches back)."""
    from .selectors import snapshot_patched

    if held is None or held.version is None or version is None or held.day != dt.date.today():
        return None
    changes = changes_since(held.version)
    if changes is None:
        return None
    linkage_ids, product_codes = set(), set()
    for change in changes:
        entity, _, key = change.partition(":")
        if entity == "linkage" and key.isdigit():
            linkage_ids.add(int(key))
        elif entity == "product" and key:
            product_codes.add(key)
        elif entity != "sourcing_request":
            return None
    if len(linkage_ids) + len(product_codes) > PATCH_LIMIT:
        return None
    return snapshot_patched(
        held, linkage_ids=linkage_ids, product_codes=product_codes, version=version
    )


def _refresh_in_background() -> None:
    with _warm.lock:
        if _warm.refreshing:
            return
        _warm.refreshing = True
        generation = _warm.generation
    threading.Thread(
        target=_keep_refreshing, args=(generation,), daemon=True, name="registry-refresh"
    ).start()


def _keep_refreshing(generation: int) -> None:
    """Refresh until the installed snapshot is current: writes that arrive during a read are
    caught up with by the next read, not one read each. Under a stream of writes, refreshes are
    spaced so that they take at most ``REFRESH_SHARE`` of the process's time: the rest is for
    answering requests."""
    _yield_to_requests()
    try:
        while _warm.generation == generation:
            version = current_version()
            if _is_current(_warm.snapshot, version):
                return
            started = time.monotonic()
            _refresh(version)
            took = time.monotonic() - started
            time.sleep(max(0.0, took / REFRESH_SHARE - took))
    except Exception:
        logger.exception("refreshing the registry snapshot failed; the previous one is kept")
    finally:
        if _warm.generation == generation:
            _warm.refreshing = False
        # A thread of its own holds a connection of its own: give it back.
        connection.close()


def _yield_to_requests() -> None:
    """Lower this thread's scheduling priority (Linux: a thread has its own nice value), so that
    on a busy machine the requests of its process get the processor first."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), REFRESH_NICE)
    except (AttributeError, OSError):
        pass


def get_snapshot() -> GraphSnapshot:
    """The registry's snapshot this process answers from: the current one, or, while a newer
    version is read in the background, the previous one (``snapshot.version`` says which)."""
    version = current_version()
    held = _warm.snapshot
    if _is_current(held, version):
        return held
    if held is not None and getattr(settings, "REGISTRY_REFRESH_IN_BACKGROUND", True):
        _refresh_in_background()
        return held
    return _refresh(version)


def held_snapshot() -> GraphSnapshot | None:
    """The current snapshot if this process already holds it, else None: never reads one."""
    held = _warm.snapshot
    return held if _is_current(held, current_version()) else None


def stamp_of(snapshot: GraphSnapshot) -> dict:
    """Which registry an answer from ``snapshot`` comes from, for the API (``Stamp.as_json``)."""
    return Stamp(snapshot.version, snapshot.read_at).as_json(current_version())


def warm_up() -> None:
    """Load the snapshot and build the recommender now, before the process takes traffic
    (gunicorn's ``post_worker_init``, see gunicorn.conf.py)."""
    get_recommender()


def get_recommender():
    """The recommender over the snapshot this process answers from, with the newest ranking.

    The ranking is fitted once per registry version (``fit_ranking_job``): on a worker when Redis
    is configured, in this process otherwise. Until the new one is ready, requests keep the
    previous ranking; with none at all, this process fits it now (embedded) or the heuristic ranks
    (Redis). An embedded process also fits now when the previous ranking was learned on a
    registry of a quarter more or fewer sales (``ANOTHER_REGISTRY``).
    """
    get_snapshot()
    # Installed together (``_install``), so read together: a refresh may swap them meanwhile.
    with _warm.lock:
        snapshot, recommender = _warm.snapshot, _warm.recommender
    model = _ranking_for(snapshot.version, recommender)
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


def _known_ranking(version: str | None):
    """The ranking fitted for ``version`` if any process has stored it, else the newest one
    known; never starts a fit."""
    warm = _warm.model
    if warm is not None and version is not None and warm.version == version:
        return warm
    found = cache.get(_model_key(version)) if version is not None else None
    if _usable(found):
        return found
    latest = cache.get(LATEST_MODEL_KEY)
    return latest if _usable(latest) else warm if _usable(warm) else None


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
        # Too few sales to learn from: the previous ranking, unless learned on another registry.
        return None if previous is None or _another_registry(previous, recommender) else previous
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
    snapshot = _read(version)
    recommender = Recommender.build(snapshot, today=snapshot.day)
    model = fit_ranking(recommender.index, as_of=recommender.today, version=version)
    if model is None:
        cache.set(_model_key(version) + ":job", "too few sales", timeout=MODEL_TIMEOUT)
        return {"fitted": False, "sale_pairs": len(recommender.index.sales)}
    _store_model(version, model)
    return {"fitted": True, "training_pairs": model.training_pairs}


# Whole-graph analyses of the snapshot a job may run (``linkage.network``).
NETWORK_ANALYSES = frozenset(
    {
        "hubs",
        "communities",
        "dependence",
        "critical_actors",
        "unlinked_producers",
        "unlinked_positions",
    }
)


def network_analysis(name: str, params: dict) -> tuple[object, GraphSnapshot, Stamp]:
    """``linkage.network.<name>(snapshot, **params)`` over the snapshot this process answers from,
    computed once per version and parameters across processes (``linkage.result_cache``)."""
    from . import network
    from .result_cache import computed_once

    if name not in NETWORK_ANALYSES:
        raise ValueError(f"unknown analysis {name!r}")
    snapshot = get_snapshot()

    def compute():
        try:
            return getattr(network, name)(snapshot, **params)
        finally:
            # The answer is kept (``computed_once``); the structures it was found on would
            # otherwise stay with the snapshot in every process that ever computed one.
            network.let_go(snapshot)
            trim_memory()

    result, stamp = computed_once(f"network:{name}", params, compute, version=snapshot.version)
    return result, snapshot, stamp


def run_network_analysis(*, name: str, params: dict) -> dict:
    """Job: ``network_analysis`` on a worker, so that the next request finds the result."""
    _, snapshot, _ = network_analysis(name, params)
    return {"version": snapshot.version}
