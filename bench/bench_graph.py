"""The registry's snapshot at national scale: read, stored, loaded, and the recommender built on it.

    python bench/bench_graph.py [--scale 1.0] [--seed 2025] [--db] [--runs 3]

Generates the national synthetic world (``simulation.demo.synthetic_tables`` at ``NATIONAL_SCALE``
times ``--scale``), then times, each in the same run (best of ``--runs``, every run listed):
  * baseline: a bare ``networkx.DiGraph`` of the same nodes and (source, target) pairs only;
  * the networkx graph of ``build_graph`` (what each process built before the snapshot) and the
    snapshot (``linkage.snapshot``) from the same tables;
  * both through the cache: bytes, and the load time of another process;
  * ``Recommender.build`` on the loaded snapshot (what a process does per version);
  * with ``--db``, on the registry of DATABASE_URL (already imported): ``snapshot_from_db`` next to
    its floor (the same five queries fetched, no frames) and the networkx ``graph_from_db``.
Memory is what tracemalloc sees retained after each build (a separate, slower pass).
The network analytics are in ``bench/bench_network.py``. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

import django  # noqa: E402

django.setup()

import networkx as nx  # noqa: E402

from linkage import graph as g  # noqa: E402
from linkage import selectors  # noqa: E402
from linkage.recommend import Recommender  # noqa: E402
from linkage.snapshot import GraphSnapshot, snapshot_from_tables  # noqa: E402
from simulation.demo import NATIONAL_SCALE, synthetic_tables  # noqa: E402


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def retained_mb(function, *args):
    gc.collect()
    tracemalloc.start()
    result = function(*args)
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del result
    return current / 2**20


def bare_graph(tables):
    graph = nx.DiGraph()
    graph.add_nodes_from(row["code"] for row in tables["producers"])
    graph.add_nodes_from(row["code"] for row in tables["buyers"])
    graph.add_edges_from((row["source_code"], row["target_code"]) for row in tables["linkages"])
    return graph


def percentiles(samples):
    ordered = sorted(samples)
    return (
        statistics.median(ordered) * 1000,
        ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000,
    )


def fetch_only():
    """The floor of a read from the database: the snapshot's five queries, fetched, no frames."""
    from django.db import connection

    from linkage.models import Area, Buyer, Linkage, Producer, Product

    sizes = []
    for queryset in (
        Area.objects.values_list("code", "name", "level", "parent__code", "lat", "lon"),
        Producer.objects.values_list("id", "code", "name", "kind", "lat", "lon", "area__code"),
        Buyer.objects.values_list("id", "code", "name", "kind", "lat", "lon", "chain__code"),
        Product.objects.values_list("id", "code", "name", "producer_id", "stars", "rated_on"),
        Linkage.objects.values_list(
            "source_producer_id",
            "source_buyer_id",
            "target_producer_id",
            "target_buyer_id",
            "kind",
            "product_id",
            "volume_per_month",
            "ended_on",
        ),
    ):
        sql, params = queryset.order_by().query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            sizes.append(len(cursor.fetchall()))
    return sizes


def best_of(n, function, *args, **kwargs):
    """The result and the fastest of ``n`` runs, and all the times."""
    times = []
    for _ in range(n):
        result, seconds = timed(function, *args, **kwargs)
        times.append(seconds)
    return result, min(times), times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--db", action="store_true", help="also read from DATABASE_URL")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    sizes = {name: max(2, round(n * args.scale)) for name, n in NATIONAL_SCALE.items()}
    tables, generated = timed(synthetic_tables, **sizes, seed=args.seed)
    counts = {name: len(rows) for name, rows in tables.items()}
    rows = []
    spread = lambda times: " / ".join(f"{t:.2f}" for t in times)  # noqa: E731

    _, bare_s, times = best_of(args.runs, bare_graph, tables)
    rows.append(
        ("baseline: bare DiGraph of the same nodes and edges", f"{bare_s:.2f} s", spread(times))
    )
    graph, build_s, times = best_of(args.runs, g.build_graph, tables)
    rows.append(("networkx graph from tables (before)", f"{build_s:.2f} s", spread(times)))
    snap, snap_s, times = best_of(args.runs, snapshot_from_tables, tables)
    rows.append(("snapshot from tables", f"{snap_s:.2f} s", spread(times)))
    payload, dump_s = timed(pickle.dumps, graph, pickle.HIGHEST_PROTOCOL)
    _, load_s, times = best_of(args.runs, pickle.loads, payload)
    rows.append(
        (
            "networkx graph through the cache (before): pickle / unpickle",
            f"{dump_s:.2f} / {load_s:.2f} s",
            f"{len(payload) / 2**20:.0f} MB",
        )
    )
    stored, dump_s = timed(snap.dumps)
    loaded, load_s, times = best_of(args.runs, GraphSnapshot.loads, stored)
    rows.append(
        (
            "snapshot through the cache: dumps / loads",
            f"{dump_s:.2f} / {load_s:.2f} s",
            f"{len(stored) / 2**20:.0f} MB; loads {spread(times)}",
        )
    )
    _, index_s, times = best_of(args.runs, Recommender.build, loaded)
    rows.append(("Recommender.build on the loaded snapshot", f"{index_s:.2f} s", spread(times)))
    if args.db:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        _, floor_s, times = best_of(args.runs, fetch_only)
        rows.append(
            (
                f"floor: the five queries fetched, no frames ({connection.vendor})",
                f"{floor_s:.2f} s",
                spread(times),
            )
        )
        with CaptureQueriesContext(connection) as queries:
            _, db_s, times = best_of(args.runs, selectors.snapshot_from_db)
        rows.append(
            (
                f"snapshot_from_db ({connection.vendor})",
                f"{db_s:.2f} s",
                f"{len(queries) // args.runs} queries; {spread(times)}",
            )
        )
        _, db_s, times = best_of(1, selectors.graph_from_db)
        rows.append((f"graph_from_db, networkx (before, {connection.vendor})", f"{db_s:.2f} s", ""))

    graph_mb = retained_mb(g.build_graph, tables)
    bare_mb = retained_mb(bare_graph, tables)
    snapshot_mb = retained_mb(GraphSnapshot.loads, stored)
    index_mb = retained_mb(Recommender.build, loaded)
    rows.insert(0, ("baseline memory: bare DiGraph", "", f"{bare_mb:.0f} MB"))
    rows.insert(
        1,
        (
            "memory: networkx graph (before) / snapshot / recommender index",
            "",
            f"{graph_mb:.0f} / {snapshot_mb:.0f} / {index_mb:.0f} MB",
        ),
    )

    print(
        f"World: {counts} (generated in {generated:.1f} s); {snap.size} actors, "
        f"{len(snap.links)} current linkages; {os.cpu_count()} cores; load average "
        f"{os.getloadavg()[0]:.1f}; best of {args.runs} runs, all runs listed.\n"
    )
    print("| step | time | other |")
    print("| --- | ---: | ---: |")
    for name, seconds, other in rows:
        print(f"| {name} | {seconds} | {other} |")


if __name__ == "__main__":
    main()
