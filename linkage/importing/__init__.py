"""Bulk import of the registry from the programme's spreadsheets (SPEC.md "Data interchange").

A workbook (a sheet per table), a folder of ``<table>.csv`` files, a single CSV or a zip of CSVs
goes in; an ``ImportReport`` comes out. Every row of every table is checked before anything is
written, and the writes happen in one transaction: an import with a bad row writes nothing unless
``skip_bad_rows``. Codes (and, for linkages, the key "kind:source>target:product") are the stable
keys, so importing the same file twice changes nothing.

The work is set-based so that the national dataset (about half a million rows) imports in well
under a minute: one query loads each table's existing rows, cells are parsed column by column
(low-cardinality columns through a per-value cache), unchanged rows are dropped by comparing
tuples, and the rest are written in batches: new rows inserted (on PostgreSQL, streamed with COPY),
changed rows upserted.

The modules follow the import: ``vocabulary`` (tables and columns), ``reading`` (files),
``checking`` (cells and rows of one table), ``converting`` (areas and places of either
administrative division, before or since 1 July 2025), ``references`` (rules between tables),
``locating`` (missing coordinates), ``writing`` (stored rows, diff, upserts), ``run`` (one import,
start to end) and ``report`` (what it found and did).
"""

from .reading import read_tables
from .report import ImportReport, RowError
from .run import import_path, import_tables, import_upload
from .vocabulary import TABLES, table_for_name
from .writing import fold_many

__all__ = [
    "TABLES",
    "RowError",
    "ImportReport",
    "read_tables",
    "import_tables",
    "import_path",
    "import_upload",
    "table_for_name",
    "fold_many",
]
