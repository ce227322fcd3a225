"""Export of the registry in the interchange format of SPEC.md, the same the importer reads.

A workbook (a sheet per table) or a folder of ``<table>.csv`` files, UTF-8; importing the export
into an empty database gives the same records.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .importing import TABLES
from .interchange import COLUMNS
from .models import Area, Buyer, Linkage, Producer, Product, SourcingRequest
from .text import FORMULA_START

__all__ = [
    "COLUMNS",
    "excel_safe",
    "export_frames",
    "table_frame",
    "write_workbook",
    "write_csv_folder",
    "table_csv",
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


def _clean(value):
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    # A leading apostrophe keeps a spreadsheet from running the text as a formula (OWASP's
    # advice against formula injection); input refuses such text, older rows may still hold it.
    return "'" + value if value.startswith(FORMULA_START) else value


def _textual(dtype) -> bool:
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


def excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the control characters a sheet cannot hold removed from its text cells and
    text index (tab, newline and carriage return stay), and text that a spreadsheet would run as
    a formula quoted. Other cells are unchanged; the input is not modified.

    Input is checked for these characters, but rows written before that check, or by other
    means, must still export rather than fail the whole download.
    """
    out = frame.copy()
    for column in out.columns:
        if _textual(out[column].dtype):
            out[column] = out[column].map(_clean)
    if _textual(out.index.dtype):
        out.index = out.index.map(_clean)
    return out


def write_workbook(target) -> None:
    """Write an .xlsx workbook, a sheet per table named after it, to a path or a binary stream."""
    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        for table, frame in export_frames().items():
            excel_safe(frame).to_excel(writer, sheet_name=table, index=False)


def write_csv_folder(path) -> None:
    """Write ``<table>.csv`` (UTF-8) for every table into the folder ``path``, made if missing."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    for table, frame in export_frames().items():
        excel_safe(frame).to_csv(folder / f"{table}.csv", index=False)


def table_csv(table: str) -> str:
    """One table as CSV text. Raises KeyError for a name that is not in TABLES."""
    if table not in COLUMNS:
        raise KeyError(table)
    return excel_safe(table_frame(table)).to_csv(index=False)
