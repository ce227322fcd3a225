"""Quality of the outlet recommendations over several worlds and seeds, against the baselines.

    python bench/bench_quality.py [--seeds 3] [--level outlet]

For the Hà Nội demo and each generated world of ``simulation.worlds`` (distance-, group-preference-,
popularity- and neighbourhood-dominated), and for each of ``--seeds`` world seeds (the demo has
one world, so there the seed varies the split), runs ``linkage.evaluation.evaluate`` with 20 % of
the outlet sale pairs hidden and prints the mean of every metric per world and method, with the
lowest and highest seed for recall@10, and how often the learned ranking beat the best baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

from linkage.evaluation import BASELINES, METRICS, evaluate  # noqa: E402
from simulation.demo import hanoi_demo_tables  # noqa: E402
from simulation.worlds import ASSUMPTIONS, world_tables  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--level", choices=("outlet", "chain"), default="outlet")
    args = parser.parse_args()
    demo = hanoi_demo_tables()
    print(
        "| world | method | recall@5 | recall@10 (lowest–highest seed) | MRR | nDCG@10 "
        "| queries | hidden pairs |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    wins = total = 0
    started = time.perf_counter()
    for world in ("demo", *ASSUMPTIONS):
        runs = []
        for seed in range(1, args.seeds + 1):
            if world == "demo":
                runs.append(evaluate(demo, seed=seed, level=args.level))
            else:
                runs.append(evaluate(world_tables(world, seed=seed), seed=0, level=args.level))
        for run in runs:
            best = max(run["methods"][b]["recall_at_10"] for b in BASELINES)
            wins += run["methods"]["learned"]["recall_at_10"] > best
            total += 1
        for method in runs[0]["methods"]:
            values = {m: [run["methods"][method][m] for run in runs] for m in METRICS}
            recall = values["recall_at_10"]
            cells = [
                f"{statistics.mean(values['recall_at_5']):.3f}",
                f"{statistics.mean(recall):.3f} ({min(recall):.3f}–{max(recall):.3f})",
                f"{statistics.mean(values['mrr']):.3f}",
                f"{statistics.mean(values['ndcg_at_10']):.3f}",
                str(sum(run["queries"] for run in runs) // len(runs)),
                str(sum(run["hidden_pairs"] for run in runs) // len(runs)),
            ]
            name = f"**{method}**" if method == "learned" else method
            print(f"| {world} | {name} | " + " | ".join(cells) + " |")
    print(
        f"\nLevel {args.level}; {args.seeds} seeds per world; the learned ranking beat the best "
        f"baseline on recall@10 in {wins} of {total} runs; {time.perf_counter() - started:.0f} s."
    )


if __name__ == "__main__":
    main()
