"""Network and analytics endpoints through HTTP: a freshly deployed worker, then warm.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_graph \\
    REDIS_URL=redis://127.0.0.1:6379/4 \\
    python bench/bench_network_http.py [--workers 2] [--repeat 5]

The database must already hold the national world (as for ``bench_recommend_http.py``). The
registry's version is moved on first (as a write does), so nothing computed before counts; then
gunicorn starts (``gunicorn.conf.py``: each worker loads the snapshot before its first request —
the first reads it from PostgreSQL and stores it in Redis, the others load it from there) and
each endpoint is asked:

  * **fresh**: the first time on this version, from a worker that has only loaded the snapshot
    (the analysis is computed, the structures it needs built);
  * **warm**: the same request again ``--repeat`` times (median; the result kept per version);
  * **warm, other parameters**: a request not asked before, on the warm worker (computed again,
    the structures already built), where the endpoint has parameters.

Baseline in the same run: the registry's product detail (one indexed lookup). Targets: fresh
≤ 1 s, warm ≤ 300 ms. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

from bench.bench_recommend_http import HOST, PORT, get, memory_text, worker_memory  # noqa: E402
from linkage import graph_cache  # noqa: E402
from linkage.models import Product  # noqa: E402

ENDPOINTS = [
    ("network/hubs/", "network/hubs/?limit=20"),
    ("network/hubs/?measure=betweenness", "network/hubs/?measure=betweenness&limit=20"),
    ("network/communities/", "network/communities/?min_size=5"),
    ("network/dependence/", "network/dependence/?min_share=0.5"),
    ("network/critical-actors/", "network/critical-actors/?all_producers=true"),
    ("network/unlinked-producers/", "network/unlinked-producers/?direct=true"),
    ("network/paths/{product}/", "network/paths/{other}/"),
    ("analytics/coverage/", "analytics/coverage/?radius_km=10"),
    ("analytics/coverage/gaps/", "analytics/coverage/gaps/?radius_km=10"),
    ("analytics/siting/?k=5&background=never", "analytics/siting/?k=10&background=never"),
    ("analytics/statistics/summary/", None),
    ("analytics/statistics/by-area/", None),
    ("analytics/statistics/expiring/", "analytics/statistics/expiring/?months=3"),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    product, other = (
        Product.objects.filter(linkages__isnull=False)
        .order_by("code")
        .values_list("code", flat=True)[:2]
    )
    graph_cache.bump_version()
    env = {**os.environ, "DJANGO_DEBUG": "0", "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"{HOST}:{PORT}"]
        + ["--workers", str(args.workers), "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    rows = []
    try:
        for _ in range(600):
            try:
                get("/api/v1/products/?page_size=1", timeout=5)
                break
            except OSError:
                time.sleep(0.2)
        ready_s = time.perf_counter() - started
        memory_ready = worker_memory(server.pid)
        baseline = [get(f"/api/v1/products/{product}/")[1] for _ in range(args.repeat)]
        rows.append(("baseline: product detail", None, statistics.median(baseline), None))
        for path, other_path in ENDPOINTS:
            path = "/api/v1/" + path.format(product=product, other=other)
            status, fresh = get(path)
            warm = []
            for _ in range(args.repeat):
                status_again, seconds = get(path)
                warm.append(seconds)
            again = None
            if other_path:
                _, again = get("/api/v1/" + other_path.format(product=product, other=other))
            rows.append((path, fresh, statistics.median(warm), again, status, status_again))
        memory_end = worker_memory(server.pid)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    print(
        f"gunicorn {args.workers} sync workers, PostgreSQL + Redis; version moved on before the "
        f"start; every worker answering {ready_s:.1f} s after the start (snapshot read or "
        f"loaded, recommender built); load average {os.getloadavg()[0]:.1f}.\n"
        f"Web workers' memory when ready: {memory_text(memory_ready)}; at the end: "
        f"{memory_text(memory_end)}.\n"
    )
    print("| request | fresh ms | warm ms (median) | warm, other parameters ms | status |")
    print("| --- | ---: | ---: | ---: | --- |")
    ms = lambda s: "–" if s is None else f"{s * 1000:.0f}"  # noqa: E731
    for row in rows:
        name, fresh, warm, again = row[:4]
        status = f"{row[4]} / {row[5]}" if len(row) > 4 else "200"
        print(f"| `{name}` | {ms(fresh)} | {ms(warm)} | {ms(again)} | {status} |")


if __name__ == "__main__":
    main()
