"""Import speed and memory at national scale: ``python bench/importer_bench.py [--scale 1.0]``.

Writes a synthetic national dataset (≈3,400 areas, 230,000 producers of which 200,000 households,
17,000 products, 10,000 buyers, 250,000 linkages) as CSV files into a scratch folder, then into the
database of DATABASE_URL (default: a fresh SQLite file in /tmp) times: a first import into an empty
registry, a second import of the same files (everything unchanged), and an import with 1% of
products changed. Baseline in the same run: pandas reading the same CSV files, which any import
has to do. Prints a Markdown table. Memory is the peak resident size of this process.
"""

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def generate(folder: Path, scale: float, seed: int = 7) -> dict[str, int]:
    import pandas as pd

    rng = random.Random(seed)

    def n(count):
        return max(1, int(count * scale))

    provinces = [f"P{i:02d}" for i in range(34)]
    districts = [f"D{i:04d}" for i in range(n(300))]
    communes = [f"C{i:05d}" for i in range(n(3066))]
    area_rows = [
        (c, f"Tỉnh {c}", "province", "", 10 + i * 0.4, 103 + i * 0.1, 1_500_000)
        for i, c in enumerate(provinces)
    ]
    area_rows += [
        (
            c,
            f"Huyện {c}",
            "district",
            provinces[i % 34],
            10 + rng.random() * 13,
            103 + rng.random() * 6,
            150_000,
        )
        for i, c in enumerate(districts)
    ]
    area_rows += [
        (
            c,
            f"Xã {c}",
            "commune",
            districts[i % len(districts)],
            10 + rng.random() * 13,
            103 + rng.random() * 6,
            9_000,
        )
        for i, c in enumerate(communes)
    ]
    areas = pd.DataFrame(
        area_rows, columns=["code", "name", "level", "parent_code", "lat", "lon", "population"]
    )
    households = [f"H{i:06d}" for i in range(n(200_000))]
    cooperatives = [f"HTX{i:05d}" for i in range(n(20_000))]
    enterprises = [f"DN{i:05d}" for i in range(n(10_000))]
    producer_rows = [
        (c, f"Hộ sản xuất {c}", "household", communes[i % len(communes)], "", "", "", "")
        for i, c in enumerate(households)
    ]
    producer_rows += [
        (
            c,
            f"Hợp tác xã {c}",
            "cooperative",
            communes[i % len(communes)],
            f"Xã {communes[i % len(communes)]}",
            round(10 + rng.random() * 13, 5),
            round(103 + rng.random() * 6, 5),
            rng.randint(7, 200),
        )
        for i, c in enumerate(cooperatives)
    ]
    producer_rows += [
        (
            c,
            f"Công ty {c}",
            "enterprise",
            communes[i % len(communes)],
            "",
            round(10 + rng.random() * 13, 5),
            round(103 + rng.random() * 6, 5),
            "",
        )
        for i, c in enumerate(enterprises)
    ]
    producers = pd.DataFrame(
        producer_rows,
        columns=["code", "name", "kind", "area_code", "address", "lat", "lon", "members"],
    )
    makers = cooperatives + enterprises
    categories = ["food", "beverages", "herbal", "textiles", "handicraft", "tourism"]
    product_rows = []
    for i in range(n(17_000)):
        stars = rng.choice([3, 3, 4, 4, 4, 5])
        product_rows.append(
            (
                f"SP{i:06d}",
                f"Sản phẩm {i}",
                makers[i % len(makers)],
                rng.choice(categories),
                stars,
                stars == 4 and rng.random() < 0.02,
                f"20{rng.randint(19, 25)}-0{rng.randint(1, 9)}-15",
                rng.randint(10, 5000),
                "kg",
                rng.randint(20, 2000) * 1000,
                "",
            )
        )
    products = pd.DataFrame(
        product_rows,
        columns=[
            "code",
            "name",
            "producer_code",
            "category",
            "stars",
            "potential_five_star",
            "rated_on",
            "capacity_per_month",
            "unit",
            "price_vnd",
            "traceability_url",
        ],
    )
    chains = [f"CH{i:03d}" for i in range(50)]
    buyer_rows = [
        (c, f"Chuỗi {c}", "retail_chain", "", "", "", "", "", "food,beverages", 3) for c in chains
    ]
    kinds = ["store"] * 6 + ["sales_point"] * 2 + ["wholesaler", "distributor"]
    for i in range(n(10_000) - 70):
        kind = kinds[i % len(kinds)]
        buyer_rows.append(
            (
                f"BM{i:05d}",
                f"Bên mua {i}",
                kind,
                chains[i % 50] if kind == "store" else "",
                communes[i % len(communes)],
                "",
                round(10 + rng.random() * 13, 5),
                round(103 + rng.random() * 6, 5),
                "",
                3,
            )
        )
    buyer_rows += [
        (f"ECOM{i:02d}", f"Sàn {i}", "ecommerce", "", "", "", "", "", "", 3) for i in range(20)
    ]
    buyers = pd.DataFrame(
        buyer_rows,
        columns=[
            "code",
            "name",
            "kind",
            "chain_code",
            "area_code",
            "address",
            "lat",
            "lon",
            "categories",
            "min_stars",
        ],
    )
    physical = [row[0] for row in buyer_rows if row[2] != "retail_chain"]
    linkage_rows = [
        (h, cooperatives[i % len(cooperatives)], "supplies", "", 50, "2022-01-01", "")
        for i, h in enumerate(households)
    ]
    for i in range(n(250_000) - len(households)):
        product = product_rows[i % len(product_rows)]
        linkage_rows.append(
            (
                product[2],
                physical[(i * 7919) % len(physical)],
                "sells_to",
                product[0],
                100,
                "2023-01-01",
                "",
            )
        )
    linkages = pd.DataFrame(
        linkage_rows,
        columns=[
            "source_code",
            "target_code",
            "kind",
            "product_code",
            "volume_per_month",
            "started_on",
            "ended_on",
        ],
    ).drop_duplicates(["source_code", "target_code", "kind", "product_code"])
    requests = pd.DataFrame(
        [(f"YC{i:05d}", chains[i % 50], rng.choice(categories), 3, 500, 50) for i in range(2000)],
        columns=[
            "code",
            "buyer_code",
            "category",
            "min_stars",
            "quantity_per_month",
            "max_distance_km",
        ],
    )
    frames = {
        "areas": areas,
        "producers": producers,
        "products": products,
        "buyers": buyers,
        "linkages": linkages,
        "sourcing_requests": requests,
    }
    folder.mkdir(parents=True, exist_ok=True)
    for table, frame in frames.items():
        frame.to_csv(folder / f"{table}.csv", index=False)
    return {table: len(frame) for table, frame in frames.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="importer_bench_"))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch / 'bench.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from linkage.importer import import_path, read_tables
    from linkage.models import Product

    call_command("migrate", verbosity=0)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    rows = generate(scratch / "csv", args.scale)
    lines = [
        "| step | wall s | CPU s (this process) | created | updated | unchanged |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    start, cpu = time.perf_counter(), time.process_time()
    read_tables(scratch / "csv")
    lines.append(
        f"| baseline: pandas reads the CSVs | {time.perf_counter() - start:.1f} | "
        f"{time.process_time() - cpu:.1f} | | | |"
    )

    def step(label):
        start, cpu = time.perf_counter(), time.process_time()
        report = import_path(scratch / "csv")
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        assert report.ok, report.errors[:5]
        lines.append(
            f"| {label} | {seconds:.1f} | {cpu:.1f} | {sum(report.created.values()):,} | "
            f"{sum(report.updated.values()):,} | {sum(report.unchanged.values()):,} |"
        )

    step("first import, empty registry")
    step("same files again")
    products = scratch / "csv" / "products.csv"
    import pandas as pd

    frame = pd.read_csv(products, dtype=str, keep_default_na=False)
    frame.loc[frame.index[::100], "price_vnd"] = "99000"
    frame.to_csv(products, index=False)
    step("1% of products changed")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"rows: {sum(rows.values()):,} ({', '.join(f'{t} {n:,}' for t, n in rows.items())}); "
        f"database: {connection.vendor}; products stored: {Product.objects.count():,}; "
        f"peak memory {peak_mb:,.0f} MB; load average before: {load}\n"
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
