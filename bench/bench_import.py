"""Import benchmark: the national synthetic set into SQLite and PostgreSQL, and a re-import.

    python bench/bench_import.py [--seed N] [--skip-postgres] [--profile]

Generates ``simulation.demo.NATIONAL_SCALE`` into bench/data/national (gitignored), then times
``python manage.py import_data DIR --no-progress`` in a child process (wall time, peak RSS from
/usr/bin/time or, failing that, getrusage of the children) into a fresh SQLite file and a fresh
PostgreSQL database (created and dropped here; migrate is run first and not timed), and a
re-import of the same folder, which must change nothing. The floor is a plain pandas read_csv of
all files, measured the same way in the same run. ``--profile`` adds the top of a cProfile of the
SQLite import. Prints a Markdown table; targets: under 60 s and under 2 GB each.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation.demo import NATIONAL_SCALE, synthetic_frames, write_csv_folder  # noqa: E402

DATA = ROOT / "bench" / "data" / "national"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_NAME = "bench_import"
TIME_BIN = "/usr/bin/time"
TARGET_S, TARGET_MB = 60.0, 2048.0

READ_ALL = (
    "import pathlib, sys, pandas as pd\n"
    "frames = [pd.read_csv(p, dtype=str, keep_default_na=False, encoding='utf-8-sig')\n"
    "          for p in sorted(pathlib.Path(sys.argv[1]).glob('*.csv'))]\n"
    "print(sum(len(f) for f in frames), 'rows read')\n"
)


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """Run a child; (wall s, CPU s, peak RSS in MB of that child, stdout). Raises on failure."""
    use_time = Path(TIME_BIN).exists()
    command = [TIME_BIN, "-f", "@@rss %M @@cpu %U %S", *args] if use_time else args
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(
            f"{' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    match = re.search(r"@@rss (\d+) @@cpu ([\d.]+) ([\d.]+)", done.stderr)
    if match:
        rss_mb = int(match.group(1)) / 1024
        cpu = float(match.group(2)) + float(match.group(3))
    else:
        # ru_maxrss of the children is the largest child so far: exact only when this one is it.
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        rss_mb = max(before.ru_maxrss, after.ru_maxrss) / 1024
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu, rss_mb, done.stdout


def manage(*args: str) -> list[str]:
    return [sys.executable, "manage.py", *args]


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    )


def summary(output: str) -> str:
    """created/updated/unchanged totals from the import_data report."""
    totals = [0, 0, 0]
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 4 and all(p.isdigit() for p in parts[1:]):
            for i in range(3):
                totals[i] += int(parts[i + 1])
    return f"{totals[0]:,} / {totals[1]:,} / {totals[2]:,}"


def import_cases(label: str, env: dict[str, str], rows: list[list[str]]) -> None:
    subprocess.run(manage("migrate", "-v0"), cwd=ROOT, env=env, check=True)
    for case in ("import", "re-import"):  # the second pass must find every row unchanged
        wall, cpu, rss, out = run(manage("import_data", str(DATA), "--no-progress"), env)
        rows.append(
            [
                f"{label} {case}",
                f"{wall:.1f}",
                f"{cpu:.1f}",
                f"{rss:.0f}",
                summary(out),
                "yes" if wall < TARGET_S and rss < TARGET_MB else "**no**",
            ]
        )
        print(f"  {label} {case}: {wall:.1f} s, {rss:.0f} MB", flush=True)


def profile(env: dict[str, str]) -> str:
    """Top of a cProfile of an import into a fresh SQLite file, sorted by cumulative time."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**env, "DATABASE_URL": f"sqlite:///{tmp}/profile.sqlite3"}
        subprocess.run(manage("migrate", "-v0"), cwd=ROOT, env=env, check=True)
        stats = Path(tmp) / "import.prof"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "cProfile",
                "-o",
                str(stats),
                "manage.py",
                "import_data",
                str(DATA),
                "--no-progress",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        script = (
            f"import pstats; pstats.Stats({str(stats)!r}).sort_stats('cumulative').print_stats(25)"
        )
        return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True).stdout


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    tables = synthetic_frames(**NATIONAL_SCALE, seed=args.seed)
    generated = time.perf_counter() - started
    if DATA.exists():
        shutil.rmtree(DATA)
    write_csv_folder(tables, DATA)
    written = time.perf_counter() - started - generated
    counts = {name: len(frame) for name, frame in tables.items()}
    del tables
    total = sum(counts.values())
    print(
        f"generated {total:,} rows in {generated:.1f} s, wrote CSVs in {written:.1f} s", flush=True
    )

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    env.pop("REDIS_URL", None)
    rows: list[list[str]] = []
    wall, cpu, rss, _ = run([sys.executable, "-c", READ_ALL, str(DATA)], env)
    rows.append(
        [
            "baseline: pandas read_csv of all files",
            f"{wall:.1f}",
            f"{cpu:.1f}",
            f"{rss:.0f}",
            "–",
            "–",
        ]
    )

    with tempfile.TemporaryDirectory() as tmp:
        import_cases("SQLite", {**env, "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3"}, rows)
    if not args.skip_postgres:
        psql(f"DROP DATABASE IF EXISTS {PG_NAME}")
        psql(f"CREATE DATABASE {PG_NAME}")
        try:
            import_cases("PostgreSQL", {**env, "DATABASE_URL": f"{PG_SERVER}/{PG_NAME}"}, rows)
        finally:
            psql(f"DROP DATABASE IF EXISTS {PG_NAME}")

    table = [
        f"National synthetic set (seed {args.seed}): "
        + ", ".join(f"{name} {n:,}" for name, n in counts.items())
        + f" — {total:,} rows. "
        f"Generated in {generated:.1f} s, CSVs written in {written:.1f} s.",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}.",
        "",
        "| case | wall s | CPU s | peak RSS MB | created / updated / unchanged "
        "| < 60 s and < 2 GB |",
        "| --- | ---: | ---: | ---: | --- | --- |",
        *(f"| {' | '.join(row)} |" for row in rows),
    ]
    print("\n".join(table))
    if args.profile:
        print("\ncProfile of the SQLite import (top 25 by cumulative time):\n")
        print(profile(env))


if __name__ == "__main__":
    main()
