"""The planners' analytics through HTTP at national scale: a fresh worker and a warm one.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_graph \\
    REDIS_URL=redis://127.0.0.1:6379/5 \\
    python bench/bench_analytics_http.py [--repeat 20] [--before DIR]

The database must hold the national world (``manage.py generate_dataset --scale national`` then
``manage.py import_data``); it is only read. Redis holds the registry version, the snapshot and
the results, as in production; the script clears the results it made (``linkage:result:*``) and
the snapshot it stored before each measurement.

The parent process reads the registry's snapshot from the database once, stores it in Redis, and
times the core computations alone on its frames (the reference: what an answer cannot be faster
than). Then, for each question, a fresh Python process (as a freshly started worker, through
Django's test client, debug off, anonymous so the households check runs too) answers it:

- "cold, computed": nothing kept for this registry version yet; the worker loads the snapshot
  from Redis (as ``linkage.graph_cache.get_snapshot`` does for a worker that did not build it),
  derives the frames, computes, keeps the result and renders it;
- "cold, kept": a second fresh worker, the result kept by the first: read from Redis and rendered;
- "warm": the same worker asked again ``--repeat`` times (median and 95th percentile).

A fresh worker imports the views' modules (Django REST framework, pandas, scipy) and opens its
connections once, before its first answer of any kind; that is timed apart (the views' imports,
then a first request to the areas list), so that "cold" is the question's own cost in a worker
that has just started.

``--before DIR``: the same questions against another checkout of the code (``git archive <commit>
| tar -x -C DIR``), whose endpoints read the database on every call.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

QUESTIONS = [
    ("coverage (JSON)", "/api/v1/analytics/coverage/?radius_km=5"),
    ("coverage (GeoJSON)", "/api/v1/analytics/coverage/?radius_km=5&format=geojson"),
    ("coverage (CSV)", "/api/v1/analytics/coverage/?radius_km=5&format=csv"),
    ("gaps (JSON)", "/api/v1/analytics/coverage/gaps/?radius_km=5"),
    ("siting K=10 (JSON)", "/api/v1/analytics/siting/?k=10&radius_km=5&background=never"),
    ("statistics summary", "/api/v1/analytics/statistics/summary/"),
    ("statistics by-area (provinces)", "/api/v1/analytics/statistics/by-area/?level=province"),
    ("statistics expiring (6 months)", "/api/v1/analytics/statistics/expiring/?months=6"),
]
SNAPSHOT_KEY = "bench:analytics:snapshot"
FIRST_REQUEST = "/api/v1/areas/?page_size=1"


def _setup(root: Path) -> None:
    sys.path.insert(0, str(root))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ["DJANGO_DEBUG"] = "0"
    import django

    django.setup()


def _serve_snapshot_from_redis() -> dict:
    """Make this process's ``get_snapshot`` load the stored snapshot from Redis when it holds
    none for the current version, as a worker that did not build it does; returns the timings."""
    import datetime as dt

    from django.core.cache import cache

    from linkage import graph_cache
    from linkage.snapshot import GraphSnapshot

    timings = {}

    def get_snapshot():
        version = graph_cache.current_version()
        held = graph_cache._held_snapshot
        if held is not None and held.version == version and held.day == dt.date.today():
            return held
        started = time.perf_counter()
        snapshot = GraphSnapshot.loads(cache.get(SNAPSHOT_KEY))
        assert snapshot.version == version, "the stored snapshot is of another version"
        graph_cache._held_snapshot = snapshot
        timings["snapshot_load"] = time.perf_counter() - started
        return snapshot

    graph_cache.get_snapshot = get_snapshot
    return timings


def _stamp(response) -> str | None:
    """The registry version an answer names (None from code that names none)."""
    if response.has_header("X-Registry-Version"):
        return response["X-Registry-Version"]
    if response["Content-Type"].startswith(("application/json", "application/geo+json")):
        return json.loads(response.content).get("registry", {}).get("version")
    return None


def child(path: str, repeat: int, root: Path, from_redis: bool) -> None:
    """Answer ``path`` as a fresh worker; print the timings as JSON."""
    _setup(root)
    from django.test import Client
    from django.urls import get_resolver

    timings = _serve_snapshot_from_redis() if from_redis else {}
    started = time.perf_counter()
    get_resolver().url_patterns  # noqa: B018 - imports the views, as a worker's first request does
    imports = time.perf_counter() - started
    client = Client()
    # A worker's first request of any kind opens its connections and imports what requests use
    # lazily: timed apart from the question's.
    started = time.perf_counter()
    assert client.get(FIRST_REQUEST).status_code == 200
    first_request = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    response = client.get(path)
    cold, cold_cpu = time.perf_counter() - started, time.process_time() - cpu
    assert response.status_code == 200, (path, response.status_code, response.content[:300])
    body = response.content
    warm, warm_cpu = [], []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        again = client.get(path)
        warm.append(time.perf_counter() - started)
        warm_cpu.append(time.process_time() - cpu)
        assert again.status_code == 200
    print(
        json.dumps(
            {
                "imports": imports,
                "first_request": first_request,
                "cold": cold,
                "cold_cpu": cold_cpu,
                "warm_cpu": statistics.median(warm_cpu),
                "snapshot_load": timings.get("snapshot_load"),
                "warm_median": statistics.median(warm),
                "warm_p95": sorted(warm)[int(0.95 * (len(warm) - 1))],
                "bytes": len(body),
                "stamp": _stamp(response),
            }
        )
    )


def _run_child(path: str, repeat: int, root: Path, from_redis: bool) -> dict:
    command = [sys.executable, __file__, "--child", path, "--repeat", str(repeat)]
    command += ["--root", str(root)]
    if not from_redis:
        command.append("--from-db")
    output = subprocess.run(command, cwd=root, capture_output=True, text=True)
    if output.returncode:
        raise RuntimeError(f"{' '.join(command)}:\n{output.stderr[-2000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def _best(function, times: int = 3) -> float:
    best = float("inf")
    for _ in range(times):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


def references(snapshot) -> dict[str, float]:
    """The core computation of each question on frames already in memory (best of 3), and the
    frames themselves from the snapshot."""
    from analytics import frames, results
    from analytics import statistics as programme
    from analytics.coverage import coverage_gaps, coverage_report
    from analytics.siting import site_selection

    supply = frames.Supply()
    areas = frames.area_frame(snapshot, "commune")
    facilities = frames.facility_frame(snapshot, supply)
    producers = frames.producer_frame(snapshot, "commune")
    products = frames.rated_product_frame(snapshot)
    every_area = frames.area_frame(snapshot)

    def derive():
        frames._derived.clear()
        frames.area_frame(snapshot, "commune")
        frames.facility_frame(snapshot, supply)
        frames.producer_frame(snapshot, "commune")

    coverage = _best(lambda: coverage_report(areas, facilities, producers, radius_km=5.0))
    return {
        "frames": _best(derive),
        "products frame": _best(
            lambda: (frames._derived.clear(), frames.rated_product_frame(snapshot))
        ),
        "coverage": coverage,
        # The gaps are ranked from the coverage question's table.
        "gaps": _best(
            lambda: coverage_gaps(coverage_report(areas, facilities, producers, radius_km=5.0)[0])
        ),
        "siting": _best(
            lambda: site_selection(
                areas, facilities, k=10, radius_km=5.0, producers=producers, method="auto"
            )
        ),
        "summary": _best(lambda: programme.summary(products)),
        "by-area": _best(lambda: programme.by_area(products, every_area, level="province")),
        "expiring": _best(
            lambda: programme.expiring(
                products, months=6, extra_columns=results.EXPIRING_EXTRA_COLUMNS
            )
        ),
    }


REFERENCE_OF = {
    "coverage": "coverage",
    "gaps": "gaps",
    "siting": "siting",
    "statistics summary": "summary",
    "statistics by-area": "by-area",
    "statistics expiring": "expiring",
}


def _reference(name: str, timings: dict) -> float:
    for prefix, key in REFERENCE_OF.items():
        if name.startswith(prefix):
            return timings[key]
    raise KeyError(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--before", type=Path, help="another checkout to measure the same way")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    parser.add_argument("--from-db", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.repeat, args.root, not args.from_db)
        return

    _setup(ROOT)
    from django.core.cache import cache

    from linkage import graph_cache
    from linkage.models import Area, Buyer, Producer, Product
    from linkage.selectors import snapshot_from_db

    load = os.getloadavg()
    version = graph_cache.current_version()
    started = time.perf_counter()
    snapshot = snapshot_from_db(version=version)
    from_db = time.perf_counter() - started
    cache.set(SNAPSHOT_KEY, snapshot.dumps(), timeout=3600)
    timings = references(snapshot)
    print(
        f"Registry: {Area.objects.count():,} areas, {Producer.objects.count():,} producers, "
        f"{Product.objects.count():,} products, {Buyer.objects.count():,} buyers. Snapshot "
        f"from the database {from_db:.2f} s, {len(snapshot.dumps()) / 1e6:.1f} MB in Redis; "
        f"frames from it (areas, sales points, producers by commune) "
        f"{timings['frames'] * 1000:.0f} ms, products frame "
        f"{timings['products frame'] * 1000:.0f} ms. Load average at the start "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} cores.\n"
    )
    rows = []
    for name, path in QUESTIONS:
        cache.delete_pattern("linkage:result:*")
        computed = _run_child(path, args.repeat, ROOT, from_redis=True)
        kept = _run_child(path, args.repeat, ROOT, from_redis=True)
        before = _run_child(path, 3, args.before, from_redis=False) if args.before else None
        assert computed["stamp"] == version, computed
        rows.append((name, computed, kept, before))
    cache.delete_pattern("linkage:result:*")
    cache.delete(SNAPSHOT_KEY)

    header = (
        "| question | core computation alone (ms) | cold, computed: wall (CPU) ms | of which "
        "snapshot from Redis (ms) | cold, kept: wall (CPU) ms | warm: median / p95 (median CPU) "
        "ms | answer (kB) |"
    )
    if args.before:
        header += " before: first / repeated call (ms) |"
    print(header)
    print("| --- " * (header.count("|") - 1) + "|")
    imports, first = [], []
    for name, computed, kept, before in rows:
        imports += [computed["imports"], kept["imports"]]
        first += [computed["first_request"], kept["first_request"]]
        cells = [
            name,
            f"{_reference(name, timings) * 1000:.0f}",
            f"{computed['cold'] * 1000:.0f} ({computed['cold_cpu'] * 1000:.0f})",
            f"{(computed['snapshot_load'] or 0) * 1000:.0f}",
            f"{kept['cold'] * 1000:.0f} ({kept['cold_cpu'] * 1000:.0f})",
            f"{computed['warm_median'] * 1000:.0f} / {computed['warm_p95'] * 1000:.0f} "
            f"({computed['warm_cpu'] * 1000:.0f})",
            f"{computed['bytes'] / 1000:.0f}",
        ]
        if before is not None:
            cells.append(f"{before['cold'] * 1000:.0f} / {before['warm_median'] * 1000:.0f}")
        print("| " + " | ".join(cells) + " |")
    load = os.getloadavg()
    print(
        f"\nOnce per fresh worker, before the figures above: importing the views "
        f"{min(imports):.2f}–{max(imports):.2f} s, then its first request of any kind "
        f"({FIRST_REQUEST}: connections, lazy imports) {min(first) * 1000:.0f}–"
        f"{max(first) * 1000:.0f} ms. Load average at the end {load[0]:.1f} / {load[1]:.1f} / "
        f"{load[2]:.1f}."
    )


if __name__ == "__main__":
    main()
