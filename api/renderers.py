"""Every answer the API gives as a file, rendered in one place: JSON, GeoJSON, CSV and XLSX.

DRF chooses the renderer from ``?format=`` (json, geojson, csv, xlsx) or the ``Accept`` header; a
format the endpoint does not offer answers 400 naming ``format``. Views build plain data: a dict
for JSON and GeoJSON, a ``Download`` (tables and a file name) for CSV and XLSX. The bytes of the
spreadsheets come from ``linkage.spreadsheets`` (formula-safe cells, CSV with a byte-order mark).
Errors are always JSON, whatever format was asked for (``api.exceptions``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer

from linkage.privacy import codes_named, frame_codes, withhold_frame, withhold_households
from linkage.spreadsheets import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, csv_bytes, xlsx_bytes

from .permissions import hidden_households

__all__ = [
    "DOWNLOAD_RENDERERS",
    "GEOJSON_MEDIA_TYPE",
    "TABLE_RENDERERS",
    "CSVRenderer",
    "Download",
    "FileNegotiation",
    "FormatNegotiation",
    "GeoJSONRenderer",
    "JSONRenderer",
    "XLSXRenderer",
    "feature_collection",
    "file_format",
]

GEOJSON_MEDIA_TYPE = "application/geo+json"


@dataclass(frozen=True)
class Download:
    """Tables to be sent as a file: ``sheets`` (sheet name → frame; CSV takes the first),
    ``filename`` without its extension, and whether each frame's index is written as columns."""

    sheets: Mapping[str, pd.DataFrame]
    filename: str
    index: bool = False

    @classmethod
    def of(cls, frame: pd.DataFrame, filename: str, sheet: str, *, index: bool = True):
        return cls({sheet: frame}, filename, index)


def _hidden(renderer_context, codes: Callable[[], set[str]]) -> frozenset[str]:
    """The households named in the answer that its reader may not see in full."""
    request = (renderer_context or {}).get("request")
    response = (renderer_context or {}).get("response")
    if request is None or (response is not None and response.status_code >= 400):
        return frozenset()
    rule = hidden_households(request)
    return frozenset() if rule is None else rule.among(codes())


class JSONRenderer(DRFJSONRenderer):
    """DRF's JSON, with the households the reader may not see withheld (``linkage.privacy``)."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is not None:
            hidden = _hidden(renderer_context, lambda: codes_named(data))
            if hidden:
                # Views may answer objects they keep (a cached analysis): change a copy.
                data = withhold_households(copy.deepcopy(data), hidden)
        return super().render(data, accepted_media_type, renderer_context)


class _FileRenderer(BaseRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if not isinstance(data, Download):
            # Not a table (an OPTIONS description, say): JSON, and the answer says so.
            response = (renderer_context or {}).get("response")
            if response is not None:
                response["Content-Type"] = JSONRenderer.media_type
            return JSONRenderer().render(data, JSONRenderer.media_type, renderer_context)
        hidden = _hidden(
            renderer_context,
            lambda: set().union(*(frame_codes(frame) for frame in data.sheets.values())),
        )
        if hidden:
            data = Download(
                {name: withhold_frame(frame, hidden) for name, frame in data.sheets.items()},
                data.filename,
                data.index,
            )
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Disposition"] = (
                f'attachment; filename="{data.filename}.{self.format}"'
            )
        return self.file_bytes(data)


class CSVRenderer(_FileRenderer):
    """The first table as CSV (UTF-8 with a byte-order mark, formula-safe)."""

    media_type = CSV_MEDIA_TYPE
    format = "csv"
    charset = "utf-8"

    def file_bytes(self, data: Download) -> bytes:
        return csv_bytes(next(iter(data.sheets.values())), index=data.index)


class XLSXRenderer(_FileRenderer):
    """The tables as an Excel workbook, a sheet per table."""

    media_type = XLSX_MEDIA_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def file_bytes(self, data: Download) -> bytes:
        return xlsx_bytes(data.sheets, index=data.index)


def feature_collection(
    rows: Iterable[Mapping],
    properties: Sequence[str],
    *,
    lat: str = "lat",
    lon: str = "lon",
    **members,
) -> dict:
    """A FeatureCollection with one Point feature per row that has coordinates.

    ``rows`` are mappings holding ``lat`` and ``lon`` keys (WGS 84 degrees) and the keys named in
    ``properties``, which become each feature's properties. Rows without both coordinates are left
    out, since a feature with a null geometry draws nothing on a map. Positions are [longitude,
    latitude], the order RFC 7946 fixes. ``members`` are added at the top level (RFC 7946 §6.1
    foreign members), e.g. ``truncated=True``.
    """
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [row[lon], row[lat]]},
            "properties": {name: row.get(name) for name in properties},
        }
        for row in rows
        if row.get(lat) is not None and row.get(lon) is not None
    ]
    return {"type": "FeatureCollection", "features": features, **members}


class GeoJSONRenderer(JSONRenderer):
    """A FeatureCollection (RFC 7946), as ``feature_collection`` builds it."""

    media_type = GEOJSON_MEDIA_TYPE
    format = "geojson"


TABLE_RENDERERS = [JSONRenderer, CSVRenderer, XLSXRenderer]
DOWNLOAD_RENDERERS = [JSONRenderer, GeoJSONRenderer, CSVRenderer, XLSXRenderer]


def file_format(request) -> str | None:
    """ "csv" or "xlsx" when the request asked for a spreadsheet, else None."""
    chosen = getattr(getattr(request, "accepted_renderer", None), "format", None)
    return chosen if chosen in ("csv", "xlsx") else None


class FormatNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, with an unknown ``format`` answered 400 (naming the parameter and what
    the endpoint offers) instead of 404."""

    def filter_renderers(self, renderers, format):
        found = [renderer for renderer in renderers if renderer.format == format]
        if not found:
            offered = ", ".join(renderer.format for renderer in renderers if renderer.format)
            raise ValidationError(
                {
                    "format": [
                        _("Must be one of %(offered)s, not %(given)s.")
                        % {"offered": offered, "given": format}
                    ]
                }
            )
        return found


class FileNegotiation(FormatNegotiation):
    """For endpoints whose URL names the file (``export.xlsx``, ``export/<table>.csv``): the
    renderer of the URL's format, else the first one, whatever the Accept header says."""

    def select_renderer(self, request, renderers, format_suffix=None):
        chosen = self.filter_renderers(renderers, format_suffix) if format_suffix else renderers
        return chosen[0], chosen[0].media_type
