"""Outlet ranking at national scale: fitting time and memory, and in-process recommendation latency.

    python bench/bench_ranking.py [--scale 1.0] [--seed 1] [--queries 300]

Generates the national synthetic world (``simulation.demo.synthetic_tables`` at ``NATIONAL_SCALE``
times ``--scale``), builds the graph, then measures, each in the same run:
  * ``Recommender.build`` (outlet index, evidence of every sale) — what a process does per graph;
  * ``fit_ranking`` as a worker runs it: wall time, and the process's peak resident memory before
    and after (``ru_maxrss``), the fit being the last and largest step;
  * in-process recommendations over random producers, products, outlets and chains (p50 / p99),
    with ``build_graph`` of the same tables as the baseline of the run.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

import django  # noqa: E402

django.setup()

from linkage.graph import build_graph  # noqa: E402
from linkage.ranking import fit_ranking  # noqa: E402
from linkage.recommend import Recommender, recommend_buyers, recommend_suppliers  # noqa: E402
from simulation.demo import NATIONAL_SCALE, synthetic_tables  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    sizes = {name: max(2, round(n * args.scale)) for name, n in NATIONAL_SCALE.items()}
    tables = synthetic_tables(**sizes, seed=args.seed)
    today = dt.date(2025, 6, 30)
    graph, graph_s = timed(build_graph, tables, today=today)
    del tables
    rows = [("build_graph (baseline of the run)", f"{graph_s:.2f} s", "")]
    rec, build_s = timed(Recommender.build, graph, today=today)
    index = rec.index
    rows.append(
        (
            "Recommender.build (outlet index, evidence)",
            f"{build_s:.2f} s",
            f"{index.n_p:,} producers, {index.n_o:,} outlets, {len(index.sales):,} sale pairs",
        )
    )
    before = peak_mb()
    model, fit_s = timed(fit_ranking, index, as_of=today)
    rows.append(
        (
            "fit_ranking (4 folds, logistic regression)",
            f"{fit_s:.2f} s",
            f"{model.training_pairs:,} training pairs; "
            f"peak RSS {before:,.0f} → {peak_mb():,.0f} MB",
        )
    )
    rec.model = model
    rng = random.Random(args.seed)
    selling = sorted({index.p_codes[p] for p in index.sales[:, 0].tolist()})
    producers = rng.sample(selling, min(args.queries, len(selling)))
    products = rng.sample(index.item_codes, min(args.queries, len(index.item_codes)))
    outlets = rng.sample(index.o_codes, min(args.queries, len(index.o_codes)))
    chains = index.c_codes
    for label, calls in (
        ("recommend_buyers (producer)", [{"producer": c} for c in producers]),
        ("recommend_buyers (product)", [{"product": c} for c in products]),
    ):
        samples = [timed(recommend_buyers, rec, as_of=today, **call)[1] for call in calls]
        rows.append((label, percentiles(samples), f"{len(samples)} queries"))
    for label, codes in (
        ("recommend_suppliers (store or sales point)", outlets),
        ("recommend_suppliers (whole chain)", chains),
    ):
        samples = [timed(recommend_suppliers, rec, buyer=c, as_of=today)[1] for c in codes]
        rows.append((label, percentiles(samples), f"{len(samples)} queries"))
    print(f"Scale {args.scale}, seed {args.seed}\n")
    print("| step | time | notes |\n| --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
