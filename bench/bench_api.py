"""REST API benchmark: list, search, filter and GeoJSON endpoints over the national synthetic set.

    python bench/bench_api.py [--repeat N] [--db PATH]

Builds ``simulation.demo.NATIONAL_SCALE`` (210k producers with the households) into its own SQLite
file (default /tmp/api_bench.sqlite3; built once and reused, not timed), then times each request
through Django's test client, in process (no socket): the median of ``--repeat`` runs and the
number of SQL queries. The baseline, measured in the same run, is the ORM alone fetching the same
rows with ``values()`` (no permissions, filters, serializers or JSON): the floor the HTTP layer
adds to. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup(db: str) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ.setdefault("DJANGO_DEBUG", "false")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from linkage.models import Producer

    if Producer.objects.exists():
        return
    from linkage.importing import import_tables
    from simulation.demo import NATIONAL_SCALE, synthetic_frames

    started = time.perf_counter()
    report = import_tables(synthetic_frames(**NATIONAL_SCALE, seed=2025))
    assert report.ok, report.errors[:5]
    print(f"built {db} in {time.perf_counter() - started:.0f} s", file=sys.stderr)


class _Counter:
    """An execute wrapper listing the SQL run; queries_log is emptied at each request's start."""

    def __init__(self, executed: list[str]):
        self.executed = executed

    def __call__(self, execute, sql, params, many, context):
        self.executed.append(sql)
        return execute(sql, params, many, context)


def _median_ms(call, repeat: int) -> float:
    call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", default="/tmp/api_bench.sqlite3")
    args = parser.parse_args(argv)
    _setup(args.db)

    from django.db import connection
    from django.test import Client

    from linkage.models import Area, Buyer, Producer, Product
    from linkage.text import fold

    client = Client()
    province = Area.objects.filter(level="province").values_list("code", flat=True).first()
    sample = Producer.objects.filter(kind="cooperative").values_list("name", flat=True).first()
    words = " ".join(fold(sample).split()[-2:])
    floor = {
        "products": lambda: list(Product.objects.values()[:50]),
        "producers": lambda: list(Producer.objects.values()[:50]),
        "search": lambda: list(Producer.objects.filter(name__icontains=sample[-6:]).values()[:50]),
        "area": lambda: list(
            Product.objects.filter(producer__area__parent__code=province).values()[:50]
        ),
        "geojson": lambda: list(Producer.objects.values("lat", "lon", "code", "name")[:5000]),
        "buyers": lambda: list(Buyer.objects.filter(categories="").values()[:50]),
    }
    cases = [
        ("products, page 1", "/api/v1/products/", "products"),
        ("products, page_size=500", "/api/v1/products/?page_size=500", "products"),
        ("producers, page 1", "/api/v1/producers/", "producers"),
        (f"producers ?search={words}", f"/api/v1/producers/?search={words}", "search"),
        (f"products ?area={province} (province)", f"/api/v1/products/?area={province}", "area"),
        (
            "products ?expiring_before=2026-06-30",
            "/api/v1/products/?expiring_before=2026-06-30",
            "products",
        ),
        ("buyers ?category=food", "/api/v1/buyers/?category=food", "buyers"),
        ("producers/geojson (5000 features)", "/api/v1/producers/geojson/", "geojson"),
    ]
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, SQLite {connection.Database.sqlite_version}; "
        f"{Producer.objects.count():,} producers, {Product.objects.count():,} products, "
        f"{Buyer.objects.count():,} buyers; median of {args.repeat}.\n"
    )
    print("| request | API ms | SQL queries | ORM-only baseline ms |")
    print("| --- | ---: | ---: | ---: |")
    for label, url, base in cases:
        executed: list[str] = []
        with connection.execute_wrapper(_Counter(executed)):
            status = client.get(url).status_code
        assert status == 200, (url, status)
        api = _median_ms(lambda url=url: client.get(url), args.repeat)
        baseline = _median_ms(floor[base], args.repeat)
        print(f"| {label} | {api:.1f} | {len(executed)} | {baseline:.1f} |")


if __name__ == "__main__":
    main()
