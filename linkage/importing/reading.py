"""Reading the files people send: workbooks, CSV files, folders and zips of CSV files.

Each reader returns ``(tables, names, warnings)``: the frames keyed by table name, the sheet or
file each came from (for the errors), and the sheets or files ignored. CSV cells are read as
strings, workbook cells keep their types. Unreadable input raises ValueError (or the OSError,
BadZipFile or UnicodeDecodeError of the layer below); nothing here is checked or written.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd

from .vocabulary import TABLES, table_for_name

__all__ = [
    "MAX_ZIP_MEMBER_BYTES",
    "read_csv",
    "read_workbook",
    "read_zip",
    "read_path",
    "read_tables",
]

# Far above the national dataset (half a million rows in all): a larger member is a zip bomb.
MAX_ZIP_MEMBER_BYTES = 512 * 2**20


def read_csv(source) -> pd.DataFrame:
    """A CSV file (path or binary file object) as a frame of strings, blanks as ""."""
    # utf-8-sig: Excel, and our own exports, start a UTF-8 CSV with a byte-order mark, which
    # plain utf-8 would keep as part of the first heading ("\ufeffcode").
    return pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _excel_engine() -> str:
    # calamine (Rust) reads a national workbook about nine times faster than openpyxl; openpyxl
    # stays the fallback so that a missing optional wheel never stops an import.
    try:
        import python_calamine  # noqa: F401
    except ImportError:
        return "openpyxl"
    return "calamine"


def read_workbook(source, label: str) -> tuple[dict, dict, list[str]]:
    """The sheets of an .xlsx workbook that name a table; ``label`` names the file in warnings."""
    try:
        sheets = pd.read_excel(source, sheet_name=None, dtype=object, engine=_excel_engine())
    except Exception as error:  # each reader has its own errors for a broken file
        raise ValueError(f"not a readable .xlsx workbook ({error})") from error
    tables, names, warnings = {}, {}, []
    for sheet, frame in sheets.items():
        table = table_for_name(sheet)
        if table is None or table in tables:
            warnings.append(f"{label}: sheet {sheet!r} is not a table of the registry; ignored")
            continue
        tables[table], names[table] = frame, str(sheet)
    return tables, names, warnings


def read_path(path: str | Path) -> tuple[dict, dict, list[str]]:
    """The tables of a workbook, a CSV, a zip of CSVs or a folder of CSVs on disk."""
    path = Path(path)
    if path.is_dir():
        tables, names, warnings = {}, {}, []
        for csv in sorted(path.glob("*.csv")):
            table = table_for_name(csv.name)
            if table is None:
                warnings.append(f"{csv.name}: not a table of the registry; ignored")
                continue
            tables[table], names[table] = read_csv(csv), csv.name
        return tables, names, warnings
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return read_workbook(path, path.name)
    if suffix == ".csv":
        table = table_for_name(path.name)
        if table is None:
            raise ValueError(f"{path.name}: the file name names no table ({', '.join(TABLES)})")
        return {table: read_csv(path)}, {table: path.name}, []
    if suffix == ".zip":
        with path.open("rb") as handle:
            return read_zip(handle)
    raise ValueError(f"{path.name}: give an .xlsx workbook, a .csv, a .zip or a folder of CSVs")


def read_zip(fileobj) -> tuple[dict, dict, list[str]]:
    """The CSV files of a zip, in any folder, each named after its table.

    A member larger than MAX_ZIP_MEMBER_BYTES unpacked, encrypted or compressed in a way zipfile
    does not know raises ValueError.
    """
    tables, names, warnings = {}, {}, []
    with zipfile.ZipFile(fileobj) as archive:
        for info in archive.infolist():
            base = Path(info.filename).name
            if info.is_dir() or base.startswith((".", "__")):
                continue
            table = table_for_name(base) if base.lower().endswith(".csv") else None
            if table is None or table in tables:
                warnings.append(f"{info.filename}: not a table of the registry; ignored")
                continue
            if info.file_size > MAX_ZIP_MEMBER_BYTES:
                raise ValueError(
                    f"{info.filename}: larger than {MAX_ZIP_MEMBER_BYTES // 2**20} MB unpacked"
                )
            try:
                with archive.open(info) as member:
                    content = member.read(MAX_ZIP_MEMBER_BYTES + 1)
            except (RuntimeError, NotImplementedError) as error:
                # zipfile's words for an encrypted member or an unknown compression method.
                raise ValueError(f"{info.filename}: {error}") from None
            if len(content) > MAX_ZIP_MEMBER_BYTES:
                raise ValueError(
                    f"{info.filename}: larger than {MAX_ZIP_MEMBER_BYTES // 2**20} MB unpacked"
                )
            tables[table], names[table] = read_csv(io.BytesIO(content)), base
    return tables, names, warnings


def read_tables(path: str | Path) -> dict[str, pd.DataFrame]:
    """The tables in a workbook, a folder of ``<table>.csv``, a single CSV or a zip of CSVs.

    Sheet and file names are matched like headings ("Sản phẩm" → products). Cells keep their
    types as read (CSV cells are strings). Raises ValueError for a file that names no table.
    """
    return read_path(path)[0]
