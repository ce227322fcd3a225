"""Results computed once per registry version and parameters, and shared by every process.

An analysis of the registry (coverage, gaps, siting, statistics, the network analytics) depends on
nothing but the registry and its parameters, so its result is kept in the cache under the registry
version it was computed from (``linkage.graph_cache``: every write moves the version on, which is
what invalidates it) and the parameters. Two processes asked the same question at once do not both
compute it: the first takes a lock in the cache, the other waits for its result (up to
``LOCK_WAIT`` seconds, then computes it itself rather than fail the request).

Every result comes with a ``Stamp``: the version it was computed from and when its data were read,
which the API shows in every analytics and recommendation answer (``Stamp.as_json``).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from django.core.cache import cache

__all__ = ["LOCK_WAIT", "RESULT_TIMEOUT", "Stamp", "cached", "computed_once", "result_key"]

T = TypeVar("T")

RESULT_TIMEOUT = 24 * 3600
# A computation holding the lock longer than this is taken to have died with its process.
LOCK_TIMEOUT = 5 * 60
# How long a request waits for another process's computation of the same result.
LOCK_WAIT = 30.0
WAIT_STEP = 0.05


@dataclass(frozen=True)
class Stamp:
    """Which registry an answer was computed from: its ``version`` and when it was read."""

    version: str | None
    read_at: float

    def as_json(self, current: str | None = None) -> dict:
        """``{"version", "read_at", "age_seconds", "current"}``; ``current`` is the registry's
        version now, when known: an answer from an older one is still being refreshed."""
        return {
            "version": self.version,
            "read_at": dt.datetime.fromtimestamp(self.read_at, dt.UTC).isoformat(
                timespec="seconds"
            ),
            "age_seconds": round(max(0.0, time.time() - self.read_at), 1),
            "current": current is None or self.version == current,
        }


def result_key(name: str, version: str, params: Mapping) -> str:
    """The cache key of ``name`` over the registry at ``version`` on this day with ``params``
    (a day too: linkages that end leave the registry's current state without a write)."""
    return f"linkage:result:{name}:{version}:{dt.date.today()}:" + ":".join(
        f"{key}={params[key]}" for key in sorted(params)
    )


def cached(name: str, params: Mapping, *, version: str | None) -> tuple[object, Stamp] | None:
    """The result ``computed_once`` keeps for ``name`` at ``version`` with ``params``, and its
    stamp, when some process has computed it; else None (nothing is computed)."""
    if version is None:
        return None
    found = cache.get(result_key(name, version, params))
    return None if found is None else (found[0], Stamp(version, found[1]))


def computed_once(
    name: str,
    params: Mapping,
    compute: Callable[[], T],
    *,
    version: str | None,
    read_at: float | None = None,
    timeout: int = RESULT_TIMEOUT,
    wait: float = LOCK_WAIT,
) -> tuple[T, Stamp]:
    """``compute()``'s result for the registry at ``version`` with ``params``, computed at most
    once across processes, and its stamp.

    ``version`` must be read before the data ``compute`` reads: a write in between moves the
    version on, so a result that misses the write is never kept under the newer version. With no
    version (the cache cannot be reached) the result is computed and not kept. ``read_at`` is
    when the data ``compute`` reads were read (a snapshot's), by default when it starts.
    """
    if version is None:
        return compute(), Stamp(None, time.time() if read_at is None else read_at)
    key = result_key(name, version, params)
    found = cached(name, params, version=version)
    if found is not None:
        return found
    lock = key + ":lock"
    owned = bool(cache.add(lock, "computing", timeout=LOCK_TIMEOUT))
    if not owned:
        deadline = time.monotonic() + wait
        # While another process holds the lock its result is awaited; a lock gone without a
        # result (the holder failed, or the cache went away) ends the wait at once.
        while cache.get(lock) is not None and time.monotonic() < deadline:
            time.sleep(WAIT_STEP)
            found = cached(name, params, version=version)
            if found is not None:
                return found
        found = cached(name, params, version=version)
        if found is not None:
            return found
    try:
        read_at = time.time() if read_at is None else read_at
        result = compute()
        cache.set(key, (result, read_at), timeout=timeout)
        return result, Stamp(version, read_at)
    finally:
        if owned:
            cache.delete(lock)
