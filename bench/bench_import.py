"""Import benchmark: the national synthetic set into SQLite and PostgreSQL, and a re-import.

    python bench/bench_import.py [--seed N] [--skip-postgres] [--profile]

Generates ``simulation.demo.NATIONAL_SCALE`` into bench/data/national (gitignored), then times
``python manage.py import_data DIR --no-progress`` in a child process (wall time, peak RSS from
/usr/bin/time or, failing that, getrusage of the children) into a fresh SQLite file and a fresh
PostgreSQL database (created and dropped here; migrate is run first and not timed), and a
re-import of the same folder, which must change nothing. The baseline is a plain pandas read_csv
of all files, measured the same way in the same run. ``--profile`` adds the top of a cProfile of
the SQLite import. Prints a Markdown table; targets: under 60 s and under 2 GB each.

The PostgreSQL floor is what the server needs to store the same rows with nothing else to do: the
rows the import stored (every table it writes, the rating history included, foreign keys as ids)
are copied out of ``bench_import`` with ``COPY (SELECT …) TO STDOUT`` before timing starts, then a
child (Python and psycopg 3, no Django) loads them with ``COPY … FROM STDIN`` into a fresh
database migrated like the other (same tables, indexes, constraints), table by table in
dependency order, in one transaction, and commits, which runs the deferred foreign-key checks.
The child is timed like the import; ``× floor`` is each PostgreSQL case's wall time over the
floor's, target at most 5.
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
PG_FLOOR = "bench_import_floor"
# Every table an import writes, parents before children.
FLOOR_TABLES = (
    "linkage_area",
    "linkage_producer",
    "linkage_product",
    "linkage_rating",
    "linkage_buyer",
    "linkage_linkage",
    "linkage_sourcingrequest",
)
TARGET_RATIO = 5.0
TIME_BIN = "/usr/bin/time"
TARGET_S, TARGET_MB = 60.0, 2048.0

READ_ALL = (
    "import pathlib, sys, pandas as pd\n"
    "frames = [pd.read_csv(p, dtype=str, keep_default_na=False, encoding='utf-8-sig')\n"
    "          for p in sorted(pathlib.Path(sys.argv[1]).glob('*.csv'))]\n"
    "print(sum(len(f) for f in frames), 'rows read')\n"
)

# The floor's child: the database URL, the folder of <table>.copy and <table>.columns, the tables.
# One transaction; the commit runs the deferred foreign-key checks.
COPY_ALL = (
    "import pathlib, sys, psycopg\n"
    "folder = pathlib.Path(sys.argv[2])\n"
    "with psycopg.connect(sys.argv[1]) as conn, conn.cursor() as cursor:\n"
    "    for table in sys.argv[3:]:\n"
    "        columns = (folder / f'{table}.columns').read_text()\n"
    "        with (folder / f'{table}.copy').open('rb') as rows:\n"
    "            with cursor.copy(f'COPY {table} ({columns}) FROM STDIN') as copy:\n"
    "                while block := rows.read(1 << 20):\n"
    "                    copy.write(block)\n"
    "    conn.commit()\n"
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


def import_cases(label: str, env: dict[str, str], rows: list[list[str]]) -> list[float]:
    """Time an import and a re-import into the database of ``env``; their wall times."""
    subprocess.run(manage("migrate", "-v0"), cwd=ROOT, env=env, check=True)
    walls = []
    for case in ("import", "re-import"):  # the second pass must find every row unchanged
        wall, cpu, rss, out = run(manage("import_data", str(DATA), "--no-progress"), env)
        walls.append(wall)
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
    return walls


def dump_tables(url: str, folder: Path) -> dict[str, int]:
    """Copy every table of FLOOR_TABLES out of ``url`` into ``folder`` (COPY text format, with
    its column list beside it); the rows per table."""
    import psycopg

    counts = {}
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        for table in FLOOR_TABLES:
            cursor.execute(
                "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                [table],
            )
            columns = cursor.fetchone()[0]
            (folder / f"{table}.columns").write_text(columns)
            with (folder / f"{table}.copy").open("wb") as out:
                with cursor.copy(
                    f"COPY (SELECT {columns} FROM {table} ORDER BY id) TO STDOUT"
                ) as copy:
                    for block in copy:
                        out.write(block)
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    return counts


def floor_case(env: dict[str, str], folder: Path, stored: dict[str, int]) -> list[str]:
    """Time COPY … FROM STDIN of the dumped tables into a fresh migrated database; its row."""
    psql(f"DROP DATABASE IF EXISTS {PG_FLOOR}")
    psql(f"CREATE DATABASE {PG_FLOOR}")
    try:
        url = f"{PG_SERVER}/{PG_FLOOR}"
        subprocess.run(
            manage("migrate", "-v0"), cwd=ROOT, env={**env, "DATABASE_URL": url}, check=True
        )
        wall, cpu, rss, _ = run(
            [sys.executable, "-c", COPY_ALL, url, str(folder), *FLOOR_TABLES], env
        )
    finally:
        psql(f"DROP DATABASE IF EXISTS {PG_FLOOR}")
    ratings = stored["linkage_rating"]
    print(f"  PostgreSQL floor: {wall:.1f} s", flush=True)
    return [
        "PostgreSQL floor: COPY of the same rows",
        f"{wall:.1f}",
        f"{cpu:.1f}",
        f"{rss:.0f}",
        f"{sum(stored.values()) - ratings:,} / 0 / 0 and {ratings:,} ratings",
        "–",
    ]


def postgres_cases(env: dict[str, str], rows: list[list[str]], total: int) -> dict[str, str]:
    """Import and re-import into a fresh ``bench_import``, then the floor from the rows the
    import stored; the ratio import / floor of each PostgreSQL case, by case name."""
    url = f"{PG_SERVER}/{PG_NAME}"
    psql(f"DROP DATABASE IF EXISTS {PG_NAME}")
    psql(f"CREATE DATABASE {PG_NAME}")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            walls = import_cases("PostgreSQL", {**env, "DATABASE_URL": url}, rows)
            stored = dump_tables(url, Path(tmp))
        finally:
            # Dropped before the floor, so that no autovacuum of it runs meanwhile.
            psql(f"DROP DATABASE IF EXISTS {PG_NAME}")
        if sum(stored.values()) - stored["linkage_rating"] != total:
            raise RuntimeError(f"the import stored {stored}, not {total:,} rows")
        floor = floor_case(env, Path(tmp), stored)
    rows.append(floor)
    walls_floor = float(floor[1])
    return {
        f"PostgreSQL {case}": f"{wall / walls_floor:.1f}"
        for case, wall in zip(("import", "re-import"), walls, strict=True)
    }


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
    ratios = {} if args.skip_postgres else postgres_cases(env, rows, total)

    table = [
        f"National synthetic set (seed {args.seed}): "
        + ", ".join(f"{name} {n:,}" for name, n in counts.items())
        + f" — {total:,} rows. "
        f"Generated in {generated:.1f} s, CSVs written in {written:.1f} s.",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}.",
        "",
        "| case | wall s | CPU s | peak RSS MB | created / updated / unchanged "
        f"| < 60 s and < 2 GB | × floor (≤ {TARGET_RATIO:g}) |",
        "| --- | ---: | ---: | ---: | --- | --- | ---: |",
        *(f"| {' | '.join(row)} | {ratios.get(row[0], '–')} |" for row in rows),
    ]
    print("\n".join(table))
    if args.profile:
        print("\ncProfile of the SQLite import (top 25 by cumulative time):\n")
        print(profile(env))


if __name__ == "__main__":
    main()
