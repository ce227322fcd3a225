"""Benchmark: the meeting schedule of a trade-connection event, exact against greedy.

Run by hand: ``python bench/bench_event_schedule.py [--seeds 3]``.

Random events of 300 producers × 40 buyers × 12 slots, and 60 × 10 × 6, each buyer with 1–3
tables and each producer at most 4 meetings, under two score generators:

* ``uniform``: 70 % of the pairs may meet, each with a score drawn uniformly from [0, 1];
* ``clustered``: producers of six product groups, buyers taking two or three of them (the pairs
  outside them may not meet), scores from a low-rank model (producer and buyer vectors of three
  factors, a logistic of their product plus noise), so a few buyers are everyone's favourites.

and, for each, the same event with every participant attending a random three quarters of the
slots (the path where CP-SAT places the flow's pairs). Prints a Markdown table: producers met,
total score and time of the exact schedule (``events.scheduling.schedule_exact``) and of the
greedy baseline (``schedule_greedy``) on the same instance in the same run. ``--milp`` also solves
each instance as one whole MILP by HiGHS (no flow, no colouring: the path the module takes only
when the flow's pairs cannot all be placed) and reports whether its proved optimum is the exact
schedule's objective (producers met, then score).
"""

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from events.scheduling import (  # noqa: E402
    Instance,
    check,
    objective,
    schedule_exact,
    schedule_greedy,
    schedule_milp,
)

SIZES = [(300, 40, 12), (60, 10, 6)]
GROUPS = 6


def uniform_scores(rng, producers, buyers):
    eligible = rng.random((len(producers), len(buyers))) < 0.7
    values = rng.random((len(producers), len(buyers)))
    return {
        (p, b): float(values[i, j])
        for i, p in enumerate(producers)
        for j, b in enumerate(buyers)
        if eligible[i, j]
    }


def clustered_scores(rng, producers, buyers):
    group = rng.integers(0, GROUPS, len(producers))
    takes = np.zeros((len(buyers), GROUPS), bool)
    for j in range(len(buyers)):
        takes[j, rng.choice(GROUPS, rng.integers(2, 4), replace=False)] = True
    u = rng.normal(size=(len(producers), 3))
    v = rng.normal(size=(len(buyers), 3)) + np.array([1.0, 0.0, 0.0])
    logits = u @ v.T + 0.3 * rng.normal(size=(len(producers), len(buyers)))
    values = 1 / (1 + np.exp(-logits))
    return {
        (p, b): float(values[i, j])
        for i, p in enumerate(producers)
        for j, b in enumerate(buyers)
        if takes[j, group[i]]
    }


def make_instance(rng, n_producers, n_buyers, slots, generator, partial):
    producers = [f"P{i}" for i in range(n_producers)]
    buyers = [f"B{j}" for j in range(n_buyers)]
    scores = generator(rng, producers, buyers)

    def attends():
        return set(rng.choice(slots, max(1, round(0.75 * slots)), replace=False).tolist())

    return Instance(
        slots=slots,
        producers=producers,
        buyers=buyers,
        scores=scores,
        tables={b: int(rng.integers(1, 4)) for b in buyers},
        producer_limit={p: 4 for p in producers},
        producer_slots={p: attends() for p in producers} if partial else {},
        buyer_slots={b: attends() for b in buyers} if partial else {},
    )


def whole_milp(instance):
    """(objective, seconds, proved) of the whole problem as one HiGHS MILP."""
    t = time.perf_counter()
    schedule = schedule_milp(instance, time_limit=300.0)
    seconds = time.perf_counter() - t
    return objective(instance, schedule.meetings), seconds, schedule.optimal


def run(seeds: int, milp: bool) -> list[dict]:
    rows = []
    for size in SIZES:
        for name, generator in (("uniform", uniform_scores), ("clustered", clustered_scores)):
            for partial in (False, True):
                for seed in range(seeds):
                    rng = np.random.default_rng(seed)
                    instance = make_instance(rng, *size, generator, partial)
                    t, cpu = time.perf_counter(), time.process_time()
                    exact = schedule_exact(instance)
                    exact_s, exact_cpu = time.perf_counter() - t, time.process_time() - cpu
                    t = time.perf_counter()
                    greedy = schedule_greedy(instance)
                    greedy_s = time.perf_counter() - t
                    for schedule in (exact, greedy):
                        assert check(instance, schedule.meetings) == [], schedule.method
                    check_milp = ""
                    if milp:
                        value, seconds, proved = whole_milp(instance)
                        same = value == objective(instance, exact.meetings)
                        check_milp = f"{'same' if same else 'DIFFERENT'}, {seconds:.1f} s" + (
                            "" if proved else " (not proved)"
                        )
                    rows.append(
                        {
                            "size": "×".join(map(str, size)),
                            "scores": name,
                            "attendance": "part" if partial else "all",
                            "seed": seed,
                            "pairs": len(instance.scores),
                            "exact_method": exact.method
                            + ("" if exact.optimal else " (not proved)"),
                            "exact_met": exact.producers_met,
                            "exact_score": exact.score,
                            "exact_meetings": len(exact.meetings),
                            "exact_s": exact_s,
                            "exact_cpu": exact_cpu,
                            "greedy_met": greedy.producers_met,
                            "greedy_score": greedy.score,
                            "greedy_meetings": len(greedy.meetings),
                            "greedy_s": greedy_s,
                            "milp": check_milp,
                        }
                    )
                    print(
                        f"{rows[-1]['size']} {name} {rows[-1]['attendance']} seed {seed}: "
                        f"exact {exact_s:.2f} s, greedy {greedy_s:.3f} s",
                        file=sys.stderr,
                    )
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--milp", action="store_true", help="check against one whole MILP")
    args = parser.parse_args()
    rows = run(args.seeds, args.milp)
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} cores, {platform.machine()}, "
        f"load average at the end {os.getloadavg()[0]:.1f}\n"
    )
    print(
        "| size (P×B×slots) | scores | attend | seed | pairs | exact: how | producers met "
        "exact / greedy of P | meetings exact / greedy | score exact / greedy | "
        "exact wall / CPU (s) | greedy (s) | whole MILP (HiGHS) |"
    )
    print("| --- | --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in rows:
        print(
            f"| {r['size']} | {r['scores']} | {r['attendance']} | {r['seed']} | {r['pairs']:,} | "
            f"{r['exact_method']} | {r['exact_met']} / {r['greedy_met']} | "
            f"{r['exact_meetings']} / {r['greedy_meetings']} | "
            f"{r['exact_score']:.2f} / {r['greedy_score']:.2f} | "
            f"{r['exact_s']:.2f} / {r['exact_cpu']:.2f} | {r['greedy_s']:.3f} | "
            f"{r['milp'] or '—'} |"
        )


if __name__ == "__main__":
    main()
