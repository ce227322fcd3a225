"""Export of the registry in the interchange format of SPEC.md, the same the importer reads.

A workbook (a sheet per table) or a folder of ``<table>.csv`` files (written by
``linkage.spreadsheets``: UTF-8 with a byte-order mark, formula-safe); importing the export
into an empty database gives the same records.

The API's whole-registry downloads are files built once per registry version
(``graph_cache.current_version()``, moved on by every write) by ``build_export``, in a job or in
the request, into ``settings.EXPORT_DIR/<version>/``; ``export_file`` names the file a request
for that version is answered with, so a file is never rebuilt for the same data and a file of an
older version is never served.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from pathlib import Path

import pandas as pd
from django.conf import settings

from .importing import TABLES
from .interchange import COLUMNS
from .models import Area, Buyer, Linkage, Producer, Product, Proposal, SourcingRequest
from .spreadsheets import csv_bytes, xlsx_bytes

__all__ = [
    "COLUMNS",
    "PUBLIC_TABLES",
    "WORKBOOK",
    "build_export",
    "export_file",
    "export_rows",
    "export_frames",
    "table_frame",
    "workbook_bytes",
    "write_csv_folder",
    "write_workbook",
]


# Interchange column → values() path; a column not listed is read under its own name.
_PATHS = {
    "areas": (Area, {"parent_code": "parent__code", "successor_code": "successor__code"}),
    "producers": (
        Producer,
        {"area_code": "area__code", "legacy_area_code": "legacy_area__code"},
    ),
    "products": (Product, {"producer_code": "producer__code"}),
    "buyers": (Buyer, {"chain_code": "chain__code", "area_code": "area__code"}),
    "linkages": (Linkage, {"product_code": "product__code"}),
    "sourcing_requests": (SourcingRequest, {"buyer_code": "buyer__code"}),
    "proposals": (
        Proposal,
        {
            "product_code": "product__code",
            "buyer_code": "buyer__code",
            "request_code": "sourcing_request__code",
        },
    ),
}
_WHOLE_NUMBERS = {
    "population",
    "members",
    "stars",
    "price_vnd",
    "min_stars",
    "price_min_vnd",
    "price_max_vnd",
}
_DATES = {
    "rated_on",
    "started_on",
    "ended_on",
    "proposed_on",
    "accepted_on",
    "closed_on",
    "mou_signed_on",
    "trading_on",
}
# The tables of the public registry, which every signed-in account may download. Proposals are
# the business of their two sides: in the full export (``export_data``) and for planners only.
PUBLIC_TABLES = tuple(table for table in TABLES if table != "proposals")


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
        order = "key" if table == "proposals" else "code"
        rows = list(model.objects.order_by(order).values_list(*lookups))
    frame = pd.DataFrame.from_records(rows, columns=list(columns))
    for column in columns:
        if column in _WHOLE_NUMBERS:
            frame[column] = frame[column].astype("Int64")
        elif column in _DATES:
            frame[column] = frame[column].map(lambda d: d.isoformat() if d else None)
    return frame


def export_frames() -> dict[str, pd.DataFrame]:
    """Every table as a DataFrame, keyed in TABLES order (proposals included).

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


# The name of the whole-registry workbook (export.xlsx) among the exports, and its file name.
WORKBOOK = "ocop-linkage"
_VERSION = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Files of older versions stay this long for downloads already under way, then go.
_KEEP_OLD_SECONDS = 15 * 60


def _export_tables(name: str) -> tuple[str, ...]:
    if name == WORKBOOK:
        return PUBLIC_TABLES
    if name not in _PATHS:
        raise ValueError(f"no export named {name!r}")
    return (name,)


def export_rows(name: str) -> int:
    """How many rows the export ``name`` (a table, or WORKBOOK for all) holds: one count a table."""
    return sum(_PATHS[table][0].objects.count() for table in _export_tables(name))


def export_file(name: str, fmt: str, version: str) -> Path:
    """Where the export ``name`` (a table or WORKBOOK) as ``fmt`` (csv, xlsx) of the registry
    at ``version`` is kept; it exists once ``build_export`` has written it."""
    if fmt not in ("csv", "xlsx") or (fmt == "csv" and name == WORKBOOK):
        raise ValueError(f"no {fmt} export of {name}")
    if not _VERSION.match(version):
        raise ValueError(f"not a registry version: {version!r}")
    _export_tables(name)
    return Path(settings.EXPORT_DIR) / version / f"{name}.{fmt}"


def build_export(*, name: str, fmt: str, version: str, download_url: str = "") -> dict:
    """Write the export's file for ``version`` unless it is there already (a job, or called in
    the request). The version must have been read before the data: a write during the build moves
    the version on, and the file, kept under the older one, is then never served.

    Returns plain data for the job's result: the version, the file's name and size, and
    ``download_url`` as given (the API's URL of the same export, which answers with this file
    while the version holds).
    """
    path = export_file(name, fmt, version)
    if not path.exists():
        tables = _export_tables(name)
        frames = {table: table_frame(table) for table in tables}
        content = csv_bytes(frames[name]) if fmt == "csv" else xlsx_bytes(frames)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")
        partial.write_bytes(content)
        os.replace(partial, path)  # readers see the whole file or none
        _prune(path.parent.parent, keep=version)
    return {
        "version": version,
        "file": path.name,
        "bytes": path.stat().st_size,
        "download_url": download_url,
    }


def _prune(folder: Path, *, keep: str) -> None:
    """Remove the folders of other versions not touched for a while."""
    cutoff = time.time() - _KEEP_OLD_SECONDS
    for entry in folder.iterdir():
        try:
            if entry.name != keep and entry.is_dir() and entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:  # another process pruned it first
            continue
