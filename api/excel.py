"""Frames made safe for an Excel sheet: openpyxl refuses most control characters in a cell."""
import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

__all__ = ["ILLEGAL_CHARACTERS_RE", "excel_safe"]


def _clean(value):
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _textual(dtype) -> bool:
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


def excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the control characters a sheet cannot hold removed from its text cells and
    text index (tab, newline and carriage return stay). Other cells are unchanged; the input is
    not modified.

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
