"""``manage.py generate_dataset``: write the Hà Nội demo or the national synthetic set as CSVs."""

import time

from django.core.management.base import BaseCommand

from simulation.demo import NATIONAL_SCALE, hanoi_demo_tables, synthetic_frames, write_csv_folder


class Command(BaseCommand):
    help = "Write a folder of interchange CSV files: the Hà Nội demo or a national synthetic set."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=("national", "hanoi"), default="hanoi")
        parser.add_argument("--seed", type=int, default=2025)
        parser.add_argument("--out", required=True, help="folder to write (created if missing)")

    def handle(self, *args, scale, seed, out, **options):
        started = time.perf_counter()
        if scale == "national":
            tables = synthetic_frames(**NATIONAL_SCALE, seed=seed)
        else:
            tables = hanoi_demo_tables(seed)
        for path in write_csv_folder(tables, out):
            rows = len(tables[path.stem])
            self.stdout.write(f"{path}  {rows} rows")
        self.stdout.write(f"done in {time.perf_counter() - started:.1f} s")
