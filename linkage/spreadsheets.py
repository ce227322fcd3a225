"""Tables as the files planners open in Excel: CSV and XLSX bytes, written in one place.

Pure: DataFrames in, bytes out. Every download of the API (``api.renderers``) and every export to
disk (``linkage.exporter``) goes through here, so that each file is safe to open:

* text a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a carriage return)
  is quoted with a leading apostrophe, as OWASP advises against formula injection, in the cells
  and in the index labels alike;
* control characters a sheet cannot hold are dropped (tab and line breaks stay);
* CSV is UTF-8 with a byte-order mark: without it Excel reads the file as the local code page and
  shows "Hà Nội" as "HÃ  Ná»™i". The importer reads the mark back (``utf-8-sig``).
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .text import FORMULA_START

__all__ = ["BOM", "CSV_MEDIA_TYPE", "XLSX_MEDIA_TYPE", "csv_bytes", "excel_safe", "xlsx_bytes"]

BOM = "\ufeff"
CSV_MEDIA_TYPE = "text/csv"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel refuses longer sheet names.
_SHEET_NAME_LENGTH = 31


def _clean(value):
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(FORMULA_START) else value


def _textual(dtype) -> bool:
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


def _safe_index(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return index.set_levels(
            [_safe_index(level) for level in index.levels], verify_integrity=False
        )
    return index.map(_clean) if _textual(index.dtype) else index


def excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell and text index label made safe (see the module); numbers,
    dates and missing values unchanged. The input is not modified.

    Input is checked for such text, but rows written before that check, or by other means, must
    still export rather than fail the whole download.
    """
    out = frame.copy()
    for column in out.columns:
        if _textual(out[column].dtype):
            out[column] = out[column].map(_clean)
    out.index = _safe_index(out.index)
    return out


def csv_bytes(frame: pd.DataFrame, *, index: bool = False) -> bytes:
    """``frame`` as CSV, UTF-8 with a byte-order mark, ``\\n`` line ends; the index as the first
    columns when ``index``."""
    text = excel_safe(frame).to_csv(index=index, lineterminator="\n")
    return (BOM + text).encode("utf-8")


def xlsx_bytes(sheets: Mapping[str, pd.DataFrame], *, index: bool = False) -> bytes:
    """An .xlsx workbook with a sheet per entry of ``sheets`` (name → frame), in order."""
    stream = io.BytesIO()
    with pd.ExcelWriter(stream, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            excel_safe(frame).to_excel(writer, sheet_name=name[:_SHEET_NAME_LENGTH], index=index)
    return stream.getvalue()
