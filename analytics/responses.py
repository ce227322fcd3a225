"""What the analytics views share: JSON content negotiation, frames as JSON rows, downloads."""

import io

import pandas as pd
from django.http import HttpResponse
from rest_framework.negotiation import BaseContentNegotiation

from linkage.exporter import excel_safe

__all__ = ["XLSX_MEDIA_TYPE", "JSONOnly", "download", "records"]

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class JSONOnly(BaseContentNegotiation):
    """JSON for the DRF response; ``format`` is this API's own parameter, read by the views."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as plain dicts with the index as the first key; missing values as null."""
    flat = frame.reset_index().astype(object)
    return flat.where(flat.notna(), None).to_dict(orient="records")


def download(frame: pd.DataFrame, *, output: str, filename: str, sheet: str) -> HttpResponse:
    """A frame as a CSV or XLSX attachment, its index kept as the first columns.

    Text a spreadsheet would run as a formula is quoted in both formats, as in the registry's
    exports: a planner opens these files in Excel.
    """
    names = list(frame.index.names)
    if all(name is not None for name in names):
        # Index labels are text too (area names, product names): quoted like the columns.
        frame = excel_safe(frame.reset_index()).set_index(names)
    else:
        frame = excel_safe(frame)
    if output == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        frame.to_csv(response, lineterminator="\n")
    else:
        buffer = io.BytesIO()
        # Excel sheet names are at most 31 characters.
        frame.to_excel(buffer, sheet_name=sheet[:31], engine="openpyxl")
        response = HttpResponse(buffer.getvalue(), content_type=XLSX_MEDIA_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
