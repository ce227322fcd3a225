"""A dry-run import of a zip that unpacks to 500 MB, with the default limits: time and peak RSS.

    DATABASE_URL=sqlite:////tmp/sec_io.sqlite3 python bench/bench_import_limits.py rows
    DATABASE_URL=sqlite:////tmp/sec_io.sqlite3 python bench/bench_import_limits.py cell

``rows``: producers.csv of 23 million short rows (1.2 MB zipped); ``cell``: one line of 500 MB
(0.5 MB zipped). Both declare their true size (under IMPORT_MAX_UNCOMPRESSED_BYTES' 1 GB), so
what stops them is the row limit, and the longest line a table may have.
"""

import os
import resource
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
import django  # noqa: E402

django.setup()
from linkage.importing.run import import_upload  # noqa: E402

kind = sys.argv[1]
path = f"/tmp/bench_bomb_{kind}.zip"
if not os.path.exists(path):
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z,
        z.open("producers.csv", "w", force_zip64=True) as m,
    ):
        m.write(b"code,name,kind\n")
        line = b"HTX-1,HTX,cooperative\n" if kind == "rows" else b"0"
        block = line * (2**20 // len(line))
        for _ in range(500):
            m.write(block)
print("zip", os.path.getsize(path) // 1024, "kB")
t, c = time.perf_counter(), time.process_time()
with open(path, "rb") as f:
    report = import_upload(f, filename="bomb.zip", dry_run=True)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
wall, cpu = time.perf_counter() - t, time.process_time() - c
print(f"{wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS {peak} MB")
print(report.errors)
