"""The planners' analytics over HTTP, under /api/v1/analytics/: coverage, gaps, siting, statistics.

- ``coverage/``: each area's nearest facility, distance and coverage, with the summary shares;
- ``coverage/gaps/``: the uncovered areas, worst first;
- ``siting/``: the K new sites that would cover the most demand left out (large runs as a job,
  followed at ``/api/v1/jobs/<id>/``);
- ``statistics/…``: the programme's figures by year, group, stars, producer kind and area, the
  ratings expiring soon and the progress against the yearly target.

Parameters are checked by the serializers of ``api.queries`` (400 naming the parameter); the
answer's form by ``format`` or ``Accept`` (``api.renderers``): JSON, GeoJSON where the rows are
places, CSV and XLSX for every table. The tables come from ``analytics.results``, computed once per
registry version and parameters whatever the format; each answer says which registry it comes
from: ``registry`` in JSON and GeoJSON, the ``X-Registry-Version`` and ``X-Registry-Age`` headers
on downloads.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import frames, results
from analytics.coverage import AREA_COLUMNS, coverage_gaps
from linkage import graph_cache, jobs
from linkage.result_cache import Stamp

from . import queries
from .job_views import JOB_ACCEPTED, job_accepted
from .renderers import (
    DOWNLOAD_RENDERERS,
    GEOJSON_MEDIA_TYPE,
    TABLE_RENDERERS,
    CSVRenderer,
    Download,
    XLSXRenderer,
    feature_collection,
    file_format,
)

__all__ = [
    "ByAreaView",
    "ByGroupView",
    "ByProducerKindView",
    "ByStarsView",
    "ByYearView",
    "CoverageGapsView",
    "CoverageView",
    "ExpiringView",
    "SitingView",
    "SummaryView",
    "TargetsView",
]

# Siting runs with more candidate × area pairs than this go to the job queue when one exists:
# national scale (3,321 × 3,321) does; a province (126 communes) answers at once.
SITING_INLINE_PAIRS = 250_000
# A GeoJSON feature carries its point as geometry, not among its properties.
AREA_PROPERTIES = ["code", *(column for column in AREA_COLUMNS if column not in ("lat", "lon"))]
SITE_PROPERTIES = [
    "rank",
    "code",
    "name",
    "marginal_population",
    "marginal_producers",
    "marginal_gain",
]
SITE_COLUMNS = ["rank", "code", "name", "lat", "lon", *SITE_PROPERTIES[3:]]


def _format_parameter(formats: list[str]) -> OpenApiParameter:
    return OpenApiParameter(
        "format",
        str,
        enum=formats,
        description="json (default) or a download; the Accept header works too",
    )


_ERRORS = {400: OpenApiResponse(OpenApiTypes.OBJECT, description="a parameter and its reason")}
_COVERAGE_FORMATS = ["json", "geojson", "csv", "xlsx"]
_TABLE_FORMATS = ["json", "csv", "xlsx"]
REGISTRY_STAMP = {
    "type": "object",
    "description": "The registry the answer was computed from.",
    "properties": {
        "version": {
            "type": "string",
            "nullable": True,
            "description": "the registry version (every write moves it on); null when the "
            "cache could not be reached and the answer was computed for this request alone",
        },
        "read_at": {
            "type": "string",
            "format": "date-time",
            "description": "when the registry's data were read",
        },
        "age_seconds": {"type": "number", "description": "seconds since read_at"},
        "current": {
            "type": "boolean",
            "description": "false while a newer version of the registry is being read: the "
            "answer is from the one before the latest writes",
        },
    },
    "required": ["version", "read_at", "age_seconds", "current"],
}
_STAMPED = {
    "type": "object",
    "properties": {"registry": REGISTRY_STAMP},
    "required": ["registry"],
    "additionalProperties": {},
}
_REGISTRY_HEADERS = [
    OpenApiParameter(
        "X-Registry-Version",
        str,
        OpenApiParameter.HEADER,
        response=[200],
        description="CSV and XLSX downloads: the registry version the table was computed from",
    ),
    OpenApiParameter(
        "X-Registry-Age",
        float,
        OpenApiParameter.HEADER,
        response=[200],
        description="CSV and XLSX downloads: seconds since the registry's data were read",
    ),
]


def _answers(description: str, *, geojson: bool) -> dict:
    """The 200 answers of an analytics endpoint, by media type: JSON (and GeoJSON) objects with
    ``registry``; the downloads as files, with the registry in their headers."""
    answers = {
        (200, "application/json"): OpenApiResponse(_STAMPED, description=description),
        (200, CSVRenderer.media_type): OpenApiResponse(OpenApiTypes.STR),
        (200, XLSXRenderer.media_type): OpenApiResponse(OpenApiTypes.BINARY),
    }
    if geojson:
        answers[200, GEOJSON_MEDIA_TYPE] = OpenApiResponse(
            _STAMPED,
            description=description,
        )
    return answers


_REGISTRY_NOTE = (
    " Computed once per registry version and parameters, whatever the format; `registry` "
    "(a foreign member in GeoJSON) says which version of the registry the answer comes from, "
    "the X-Registry-Version and X-Registry-Age headers on CSV and XLSX downloads."
)


def _coverage_schema(query, summary, *, queued: bool = False):
    queued_response = {202: JOB_ACCEPTED} if queued else {}
    return extend_schema(
        summary=summary,
        parameters=[query, _format_parameter(_COVERAGE_FORMATS), *_REGISTRY_HEADERS],
        responses={
            **_answers(summary + "." + _REGISTRY_NOTE, geojson=True),
            **queued_response,
            **_ERRORS,
        },
    )


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as plain dicts with the index as the first key; missing values as null."""
    flat = frame.reset_index().astype(object)
    return flat.where(flat.notna(), None).to_dict(orient="records")


def _unknown_chain(supply: frames.Supply) -> ValidationError:
    return ValidationError({"supply": [_("No retail chain has the code %s.") % supply.chain]})


def _registry(stamp: Stamp) -> dict:
    """The ``registry`` member of an answer: its stamp against the registry's version now."""
    return stamp.as_json(graph_cache.current_version())


def _download(download: Download, stamp: Stamp) -> Response:
    """A file answer, with the registry it comes from in its headers."""
    stamped = stamp.as_json()
    headers = {"X-Registry-Age": str(stamped["age_seconds"])}
    if stamp.version is not None:
        headers["X-Registry-Version"] = stamp.version
    return Response(download, headers=headers)


def _meta(params: dict) -> dict:
    return {
        "radius_km": params["radius_km"],
        "supply": str(params["supply"]),
        "level": params["level"],
        "category": params.get("category"),
    }


def _file_stem(name: str, params: dict) -> str:
    parts = [f"ocop-{name}", params["level"], f"{params['radius_km']:g}km"]
    if params["supply"].chain:
        parts.append(params["supply"].chain)
    if params.get("category"):
        parts.append(params["category"])
    return "-".join(parts)


def _coverage(params: dict) -> tuple[dict, Stamp]:
    try:
        return results.coverage(
            supply=params["supply"],
            level=params["level"],
            radius_km=params["radius_km"],
            category=params.get("category"),
        )
    except frames.UnknownChain:
        raise _unknown_chain(params["supply"]) from None


def _geojson(request) -> bool:
    return request.accepted_renderer.format == "geojson"


class CoverageView(APIView):
    """Each area's nearest facility and coverage, with the shares of population and producers."""

    renderer_classes = DOWNLOAD_RENDERERS

    @_coverage_schema(queries.CoverageQuery, "Coverage of areas by the sales network")
    def get(self, request):
        params = queries.read_query(queries.CoverageQuery, request)
        found, stamp = _coverage(params)
        table = found["table"]
        if file_format(request):
            return _download(Download.of(table, _file_stem("coverage", params), "coverage"), stamp)
        meta = {**_meta(params), "summary": found["summary"], "registry": _registry(stamp)}
        if _geojson(request):
            return Response(feature_collection(records(table), AREA_PROPERTIES, **meta))
        return Response({**meta, "count": len(table), "areas": records(table)})


class CoverageGapsView(APIView):
    """Areas with uncovered population or producers, ranked by what is left out."""

    renderer_classes = DOWNLOAD_RENDERERS

    @_coverage_schema(queries.GapsQuery, "Coverage gaps, worst first")
    def get(self, request):
        params = queries.read_query(queries.GapsQuery, request)
        # The gaps are a ranking of the coverage table: the same cached table serves both.
        found, stamp = _coverage(params)
        gaps = coverage_gaps(found["table"], rank_by=params["rank_by"])
        total = len(gaps)
        if params.get("limit"):
            gaps = gaps.head(params["limit"])
        if file_format(request):
            download = Download.of(gaps, _file_stem("coverage-gaps", params), "coverage_gaps")
            return _download(download, stamp)
        meta = {
            **_meta(params),
            "rank_by": params["rank_by"],
            "total": total,
            "registry": _registry(stamp),
        }
        if _geojson(request):
            return Response(feature_collection(records(gaps), ["rank", *AREA_PROPERTIES], **meta))
        return Response({**meta, "count": len(gaps), "gaps": records(gaps)})


def _siting_pairs(params: dict) -> int:
    """Candidate × area pairs of a siting run; 400 for a supply or a ``k`` no run could take,
    checked before any run so that a queued job cannot fail on them later."""
    try:
        candidates, located = results.siting_candidates(
            supply=params["supply"], level=params["level"], points=params["candidates"]
        )
    except frames.UnknownChain:
        raise _unknown_chain(params["supply"]) from None
    if params["k"] > candidates:
        raise ValidationError(
            {
                "k": [
                    _("Must be at most the number of candidates (%(candidates)d), not %(k)d.")
                    % {"candidates": candidates, "k": params["k"]}
                ]
            }
        )
    return candidates * located


class SitingView(APIView):
    """The chosen sites in pick order, each with its marginal gain, and coverage before/after."""

    renderer_classes = DOWNLOAD_RENDERERS

    @_coverage_schema(queries.SitingQuery, "Where K new sales points would cover most", queued=True)
    def get(self, request):
        params = queries.read_query(queries.SitingQuery, request)
        points = params["candidates"]
        run = {
            "k": params["k"],
            "radius_km": params["radius_km"],
            "supply": str(params["supply"]),
            "level": params["level"],
            "points": points,
            "producer_weight": params["producer_weight"],
            "method": params["method"],
        }
        # A run some process has made (a finished job, say) answers at once, unless the client
        # asked for a job whatever the size; its parameters were good, or it would not be kept.
        held = results.held_siting(**run) if params["background"] != "always" else None
        if held is None:
            pairs = _siting_pairs(params)
            if jobs.runs_as_job(
                size=pairs,
                inline_limit=SITING_INLINE_PAIRS,
                background=params["background"],
            ):
                return job_accepted(request, results.siting_job(**run))
        result, stamp = held or results.siting(**run)
        if file_format(request):
            sites = pd.DataFrame(result["sites"], columns=SITE_COLUMNS).set_index("code")
            return _download(Download.of(sites, _file_stem("siting", params), "siting"), stamp)
        registry = _registry(stamp)
        if _geojson(request):
            meta = {key: value for key, value in result.items() if key != "sites"}
            return Response(
                feature_collection(result["sites"], SITE_PROPERTIES, **meta, registry=registry)
            )
        return Response({**result, "registry": registry})


def _table_schema(query, summary):
    return extend_schema(
        summary=summary,
        parameters=[query, _format_parameter(_TABLE_FORMATS), *_REGISTRY_HEADERS],
        responses={**_answers(summary + "." + _REGISTRY_NOTE, geojson=False), **_ERRORS},
    )


def _table(request, frame: pd.DataFrame, name: str, meta: dict, stamp: Stamp) -> Response:
    if file_format(request):
        return _download(Download.of(frame, f"ocop-{name}-{meta['as_of']}", name), stamp)
    # JSON objects lose the order of integer-like keys ("3", "4", "5") in browsers, so the
    # column order travels separately.
    columns = [*frame.index.names, *frame.columns]
    return Response(
        {
            **meta,
            "count": len(frame),
            "columns": columns,
            "results": records(frame),
            "registry": _registry(stamp),
        }
    )


class StatisticsView(APIView):
    """One statistics table: ``name`` says which (``analytics.results.STATISTICS``), ``query``
    which parameters it takes."""

    renderer_classes = TABLE_RENDERERS
    name = "statistics"
    query = queries.BasisQuery

    def build(self, params: dict) -> tuple[pd.DataFrame, Stamp]:
        return results.statistics_table(self.name, params)

    def get(self, request):
        params = queries.read_query(self.query, request)
        frame, stamp = self.build(params)
        meta = {"as_of": (params.get("as_of") or dt.date.today()).isoformat()}
        if "basis" in params:
            meta["basis"] = params["basis"]
        return _table(request, frame, self.name, meta, stamp)


class SummaryView(APIView):
    """Products rated 3–5 stars, in force, by star class, below 3 stars, expiring, this year."""

    renderer_classes = TABLE_RENDERERS

    @_table_schema(queries.SummaryQuery, "Headline figures")
    def get(self, request):
        params = queries.read_query(queries.SummaryQuery, request)
        figures, stamp = results.statistics_table("summary", params)
        if not file_format(request):
            return Response({**figures, "registry": _registry(stamp)})
        rows = {key: value for key, value in figures.items() if key != "by_stars"}
        rows.update({f"stars_{key}": value for key, value in figures["by_stars"].items()})
        frame = pd.Series(rows, name="value").rename_axis("figure").to_frame()
        return _table(request, frame, "summary", {"as_of": figures["as_of"]}, stamp)


@extend_schema_view(get=_table_schema(queries.StatisticsQuery, "Products rated per year"))
class ByYearView(StatisticsView):
    """Rated per year, per star class, cumulative and in force at each year's end."""

    name = "by-year"
    query = queries.StatisticsQuery


@extend_schema_view(get=_table_schema(queries.BasisQuery, "Products per group"))
class ByGroupView(StatisticsView):
    name = "by-group"


@extend_schema_view(get=_table_schema(queries.BasisQuery, "Products per star class"))
class ByStarsView(StatisticsView):
    name = "by-stars"


@extend_schema_view(get=_table_schema(queries.BasisQuery, "Products per producer kind"))
class ByProducerKindView(StatisticsView):
    name = "by-producer-kind"


@extend_schema_view(get=_table_schema(queries.ByAreaQuery, "Products per area"))
class ByAreaView(StatisticsView):
    name = "by-area"
    query = queries.ByAreaQuery

    def build(self, params):
        try:
            return super().build(params)
        except ValueError as error:
            raise ValidationError({"within": [str(error)]}) from None


@extend_schema_view(get=_table_schema(queries.ExpiringQuery, "Ratings expiring soon"))
class ExpiringView(StatisticsView):
    """Ratings running out between as_of and as_of + months, soonest first."""

    name = "expiring"
    query = queries.ExpiringQuery


@extend_schema_view(get=_table_schema(queries.TargetsQuery, "Progress against the yearly target"))
class TargetsView(StatisticsView):
    name = "targets"
    query = queries.TargetsQuery
