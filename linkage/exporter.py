"""Export of the registry in the interchange format of SPEC.md, the same the importer reads.

A workbook (a sheet per table) or a folder of ``<table>.csv`` files (written by
``linkage.spreadsheets``: UTF-8 with a byte-order mark, formula-safe); importing the export
into an empty database gives the same records.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .importing import TABLES
from .interchange import COLUMNS
from .models import Area, Buyer, Linkage, Producer, Product, SourcingRequest
from .spreadsheets import csv_bytes, xlsx_bytes

__all__ = [
    "COLUMNS",
    "export_frames",
    "table_frame",
    "workbook_bytes",
    "write_csv_folder",
    "write_workbook",
]


# Interchange column → values() path; a column not listed is read under its own name.
_PATHS = {
    "areas": (Area, {"parent_code": "parent__code"}),
    "producers": (Producer, {"area_code": "area__code"}),
    "products": (Product, {"producer_code": "producer__code"}),
    "buyers": (Buyer, {"chain_code": "chain__code", "area_code": "area__code"}),
    "linkages": (Linkage, {"product_code": "product__code"}),
    "sourcing_requests": (SourcingRequest, {"buyer_code": "buyer__code"}),
}
_WHOLE_NUMBERS = {"population", "members", "stars", "price_vnd", "min_stars"}
_DATES = {"rated_on", "started_on", "ended_on"}


def table_frame(table: str) -> pd.DataFrame:
    """One table as a DataFrame: the interchange columns, codes for references, ISO dates."""
    model, paths = _PATHS[table]
    columns = COLUMNS[table]
    if table == "linkages":
        lookups = [
            "source_producer__code",
            "source_buyer__code",
            "target_producer__code",
            "target_buyer__code",
            *(paths.get(c, c) for c in columns[2:]),
        ]
        rows = [
            (sp or sb, tp or tb, *rest)
            for sp, sb, tp, tb, *rest in model.objects.order_by("key").values_list(*lookups)
        ]
    else:
        lookups = [paths.get(c, c) for c in columns]
        rows = list(model.objects.order_by("code").values_list(*lookups))
    frame = pd.DataFrame.from_records(rows, columns=list(columns))
    for column in columns:
        if column in _WHOLE_NUMBERS:
            frame[column] = frame[column].astype("Int64")
        elif column in _DATES:
            frame[column] = frame[column].map(lambda d: d.isoformat() if d else None)
    return frame


def export_frames() -> dict[str, pd.DataFrame]:
    """Every table as a DataFrame, keyed in TABLES order.

    Columns are exactly the interchange columns of SPEC.md (``COLUMNS``), codes for references,
    dates as ISO strings, a row per record ordered by code (linkages by their key); no index.
    """
    return {table: table_frame(table) for table in TABLES}


def workbook_bytes() -> bytes:
    """Every table in one .xlsx workbook, a sheet per table named after it."""
    return xlsx_bytes(export_frames())


def write_workbook(target) -> None:
    """Write the workbook of ``workbook_bytes`` to a path or a binary stream."""
    content = workbook_bytes()
    if hasattr(target, "write"):
        target.write(content)
    else:
        Path(target).write_bytes(content)


def write_csv_folder(path) -> None:
    """Write ``<table>.csv`` (UTF-8) for every table into the folder ``path``, made if missing."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    for table, frame in export_frames().items():
        (folder / f"{table}.csv").write_bytes(csv_bytes(frame))
