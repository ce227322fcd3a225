"""Write a synthetic dataset as CSVs: ``python bench/generate.py [national|hanoi] OUT [--seed N]``.

A thin command line over ``simulation.demo`` that needs no Django settings.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulation.demo import (  # noqa: E402
    NATIONAL_SCALE,
    hanoi_demo_tables,
    synthetic_frames,
    write_csv_folder,
)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scale", choices=("national", "hanoi"))
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.scale == "national":
        tables = synthetic_frames(**NATIONAL_SCALE, seed=args.seed)
    else:
        tables = hanoi_demo_tables(args.seed)
    generated = time.perf_counter() - started
    write_csv_folder(tables, args.out)
    print(
        f"{args.scale}: {sum(len(t) for t in tables.values())} rows, generated in "
        f"{generated:.1f} s, written in {time.perf_counter() - started - generated:.1f} s"
    )


if __name__ == "__main__":
    main()
