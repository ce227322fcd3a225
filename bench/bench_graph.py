"""Linkage graph at national scale: build time and memory, analytics and in-process recommendations.

    python bench/bench_graph.py [--scale 1.0] [--seed 2025] [--db]

Generates the national synthetic world (``simulation.demo.synthetic_tables`` at ``NATIONAL_SCALE``
times ``--scale``), then times, each in the same run:
  * baseline: a bare ``networkx.DiGraph`` of the same nodes and (source, target) pairs only;
  * ``build_graph`` (all attributes, products, links) and ``Recommender.build``;
  * the pickled graph shared through the cache: its size, and the load time of another process;
  * ``graph_from_db`` when ``--db`` is given (the registry of DATABASE_URL, already imported);
  * the analytics (recommendation latency and fitting: ``bench/bench_ranking.py``).
Memory is what tracemalloc sees retained after each build (a separate, slower pass).
Prints a Markdown table.
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--db", action="store_true", help="also build from DATABASE_URL")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()

    sizes = {name: max(2, round(n * args.scale)) for name, n in NATIONAL_SCALE.items()}
    tables, generated = timed(synthetic_tables, **sizes, seed=args.seed)
    counts = {name: len(rows) for name, rows in tables.items()}
    rows = []

    _, bare_s = timed(bare_graph, tables)
    rows.append(("baseline: bare DiGraph of the same nodes and edges", f"{bare_s:.2f} s", ""))
    graph, build_s = timed(g.build_graph, tables)
    rows.append(("build_graph from tables", f"{build_s:.2f} s", ""))
    _, index_s = timed(Recommender.build, graph)
    rows.append(("Recommender.build (outlet index, evidence)", f"{index_s:.2f} s", ""))
    payload, dump_s = timed(pickle.dumps, graph, pickle.HIGHEST_PROTOCOL)
    _, load_s = timed(pickle.loads, payload)
    rows.append(
        (
            "graph shared through the cache: pickle / unpickle",
            f"{dump_s:.2f} / {load_s:.2f} s",
            f"{len(payload) / 2**20:.0f} MB pickled",
        )
    )
    if args.db:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            _, db_s = timed(selectors.graph_from_db)
        rows.append(
            (f"graph_from_db ({connection.vendor})", f"{db_s:.2f} s", f"{len(queries)} queries")
        )

    for name, function in (
        ("dependence", lambda: g.dependence(graph)),
        ("critical_actors", lambda: g.critical_actors(graph)),
        ("unlinked_producers", lambda: g.unlinked_producers(graph)),
        ("hubs (degree)", lambda: g.hubs(graph)),
        (
            "hubs (betweenness, 20 sources)",
            lambda: g.hubs(graph, measure="betweenness", sample=20),
        ),
        ("communities (Louvain)", lambda: g.communities(graph)),
    ):
        _, seconds = timed(function)
        rows.append((name, f"{seconds:.2f} s", ""))

    graph_mb = retained_mb(g.build_graph, tables)
    bare_mb = retained_mb(bare_graph, tables)
    index_mb = retained_mb(Recommender.build, graph)
    rows.insert(0, ("baseline memory: bare DiGraph", "", f"{bare_mb:.0f} MB"))
    rows.insert(
        1,
        ("memory: linkage graph / recommender index", "", f"{graph_mb:.0f} MB / {index_mb:.0f} MB"),
    )

    print(
        f"World: {counts} (generated in {generated:.1f} s); graph {graph.number_of_nodes()} "
        f"nodes, {graph.number_of_edges()} edges; {os.cpu_count()} cores.\n"
    )
    print("| step | time | other |")
    print("| --- | ---: | ---: |")
    for name, seconds, other in rows:
        print(f"| {name} | {seconds} | {other} |")


if __name__ == "__main__":
    main()
