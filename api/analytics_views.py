"""The planners' analytics over HTTP, under /api/v1/analytics/: coverage, gaps, siting, statistics.

- ``coverage/``: each area's nearest facility, distance and coverage, with the summary shares;
- ``coverage/gaps/``: the uncovered areas, worst first;
- ``siting/``: the K new sites that would cover the most demand left out (large runs as a job,
  followed at ``/api/v1/jobs/<id>/``);
- ``statistics/…``: the programme's figures by year, group, stars, producer kind and area, the
  ratings expiring soon and the progress against the yearly target.

Parameters are checked by the serializers of ``api.queries`` (400 naming the parameter); the
answer's form by ``format`` or ``Accept`` (``api.renderers``): JSON, GeoJSON where the rows are
places, CSV and XLSX for every table.
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

from analytics import selectors, statistics
from analytics.coverage import AREA_COLUMNS, area_coverage, coverage_gaps, coverage_summary
from analytics.siting_jobs import run_siting
from linkage import jobs

from . import queries
from .job_views import JOB_ACCEPTED, job_accepted
from .renderers import (
    DOWNLOAD_RENDERERS,
    TABLE_RENDERERS,
    Download,
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


def _coverage_schema(query, summary, *, queued: bool = False):
    queued_response = {202: JOB_ACCEPTED} if queued else {}
    return extend_schema(
        summary=summary,
        parameters=[query, _format_parameter(_COVERAGE_FORMATS)],
        responses={200: OpenApiTypes.OBJECT, **queued_response, **_ERRORS},
    )


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as plain dicts with the index as the first key; missing values as null."""
    flat = frame.reset_index().astype(object)
    return flat.where(flat.notna(), None).to_dict(orient="records")


def _facilities(supply: selectors.Supply) -> pd.DataFrame:
    try:
        return selectors.facility_frame(supply)
    except selectors.UnknownChain:
        raise ValidationError(
            {"supply": [_("No retail chain has the code %s.") % supply.chain]}
        ) from None


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


def _coverage_inputs(params: dict):
    areas = selectors.area_frame()
    facilities = _facilities(params["supply"])
    producers = selectors.producer_frame(params["level"], areas)
    return areas[areas["level"] == params["level"]], facilities, producers


def _geojson(request) -> bool:
    return request.accepted_renderer.format == "geojson"


class CoverageView(APIView):
    """Each area's nearest facility and coverage, with the shares of population and producers."""

    renderer_classes = DOWNLOAD_RENDERERS

    @_coverage_schema(queries.CoverageQuery, "Coverage of areas by the sales network")
    def get(self, request):
        params = queries.read_query(queries.CoverageQuery, request)
        areas, facilities, producers = _coverage_inputs(params)
        radius, category = params["radius_km"], params.get("category")
        table = area_coverage(areas, facilities, producers, radius_km=radius, category=category)
        if file_format(request):
            return Response(Download.of(table, _file_stem("coverage", params), "coverage"))
        summary = coverage_summary(
            areas, facilities, producers, radius_km=radius, category=category
        )
        meta = {**_meta(params), "summary": summary}
        if _geojson(request):
            return Response(feature_collection(records(table), AREA_PROPERTIES, **meta))
        return Response({**meta, "count": len(table), "areas": records(table)})


class CoverageGapsView(APIView):
    """Areas with uncovered population or producers, ranked by what is left out."""

    renderer_classes = DOWNLOAD_RENDERERS

    @_coverage_schema(queries.GapsQuery, "Coverage gaps, worst first")
    def get(self, request):
        params = queries.read_query(queries.GapsQuery, request)
        areas, facilities, producers = _coverage_inputs(params)
        table = area_coverage(
            areas,
            facilities,
            producers,
            radius_km=params["radius_km"],
            category=params.get("category"),
        )
        gaps = coverage_gaps(table, rank_by=params["rank_by"])
        total = len(gaps)
        if params.get("limit"):
            gaps = gaps.head(params["limit"])
        if file_format(request):
            return Response(Download.of(gaps, _file_stem("coverage-gaps", params), "coverage_gaps"))
        meta = {**_meta(params), "rank_by": params["rank_by"], "total": total}
        if _geojson(request):
            return Response(feature_collection(records(gaps), ["rank", *AREA_PROPERTIES], **meta))
        return Response({**meta, "count": len(gaps), "gaps": records(gaps)})


class SitingView(APIView):
    """The chosen sites in pick order, each with its marginal gain, and coverage before/after."""

    renderer_classes = DOWNLOAD_RENDERERS

    @_coverage_schema(queries.SitingQuery, "Where K new sales points would cover most", queued=True)
    def get(self, request):
        params = queries.read_query(queries.SitingQuery, request)
        points = params["candidates"]
        # Checked before any run, so a queued job cannot fail on them later.
        _facilities(params["supply"])
        located = selectors.area_frame(params["level"]).dropna(subset=["lat", "lon"])
        candidates = len(points) if points is not None else len(located)
        if params["k"] > candidates:
            raise ValidationError(
                {
                    "k": [
                        _("Must be at most the number of candidates (%(candidates)d), not %(k)d.")
                        % {"candidates": candidates, "k": params["k"]}
                    ]
                }
            )
        job = {
            "k": params["k"],
            "radius_km": params["radius_km"],
            "supply": str(params["supply"]),
            "level": params["level"],
            "points": points,
            "producer_weight": params["producer_weight"],
            "method": params["method"],
        }
        if jobs.runs_as_job(
            size=candidates * len(located),
            inline_limit=SITING_INLINE_PAIRS,
            background=params["background"],
        ):
            return job_accepted(request, jobs.enqueue("analytics.siting_jobs.run_siting", **job))
        result = run_siting(**job)
        if file_format(request):
            sites = pd.DataFrame(result["sites"], columns=SITE_COLUMNS).set_index("code")
            return Response(Download.of(sites, _file_stem("siting", params), "siting"))
        if _geojson(request):
            meta = {key: value for key, value in result.items() if key != "sites"}
            return Response(feature_collection(result["sites"], SITE_PROPERTIES, **meta))
        return Response(result)


def _table_schema(query, summary):
    return extend_schema(
        summary=summary,
        parameters=[query, _format_parameter(_TABLE_FORMATS)],
        responses={200: OpenApiTypes.OBJECT, **_ERRORS},
    )


def _table(request, frame: pd.DataFrame, name: str, meta: dict) -> Response:
    if file_format(request):
        return Response(Download.of(frame, f"ocop-{name}-{meta['as_of']}", name))
    # JSON objects lose the order of integer-like keys ("3", "4", "5") in browsers, so the
    # column order travels separately.
    columns = [*frame.index.names, *frame.columns]
    return Response({**meta, "count": len(frame), "columns": columns, "results": records(frame)})


class StatisticsView(APIView):
    """One statistics table; subclasses say which query they take and how to build the table."""

    renderer_classes = TABLE_RENDERERS
    name = "statistics"
    query = queries.BasisQuery
    # A table of ``analytics.statistics`` taking (products, as_of=, basis=); or override build.
    table = None

    def build(self, params: dict) -> pd.DataFrame:
        return self.table(
            selectors.rated_product_frame(), as_of=params.get("as_of"), basis=params["basis"]
        )

    def get(self, request):
        params = queries.read_query(self.query, request)
        frame = self.build(params)
        meta = {"as_of": (params.get("as_of") or dt.date.today()).isoformat()}
        if "basis" in params:
            meta["basis"] = params["basis"]
        return _table(request, frame, self.name, meta)


class SummaryView(APIView):
    """Products rated 3–5 stars, in force, by star class, below 3 stars, expiring, this year."""

    renderer_classes = TABLE_RENDERERS

    @_table_schema(queries.SummaryQuery, "Headline figures")
    def get(self, request):
        params = queries.read_query(queries.SummaryQuery, request)
        figures = statistics.summary(
            selectors.rated_product_frame(),
            as_of=params.get("as_of"),
            expiring_months=params["months"],
            target=params["target"],
        )
        if not file_format(request):
            return Response(figures)
        stars = figures.pop("by_stars")
        rows = {**figures, **{f"stars_{key}": value for key, value in stars.items()}}
        frame = pd.Series(rows, name="value").rename_axis("figure").to_frame()
        return _table(request, frame, "summary", {"as_of": figures["as_of"]})


@extend_schema_view(get=_table_schema(queries.StatisticsQuery, "Products rated per year"))
class ByYearView(StatisticsView):
    """Rated per year, per star class, cumulative and in force at each year's end."""

    name = "by-year"
    query = queries.StatisticsQuery

    def build(self, params):
        return statistics.by_year(selectors.rated_product_frame(), as_of=params.get("as_of"))


@extend_schema_view(get=_table_schema(queries.BasisQuery, "Products per group"))
class ByGroupView(StatisticsView):
    name = "by-group"
    table = staticmethod(statistics.by_group)


@extend_schema_view(get=_table_schema(queries.BasisQuery, "Products per star class"))
class ByStarsView(StatisticsView):
    name = "by-stars"
    table = staticmethod(statistics.by_stars)


@extend_schema_view(get=_table_schema(queries.BasisQuery, "Products per producer kind"))
class ByProducerKindView(StatisticsView):
    name = "by-producer-kind"
    table = staticmethod(statistics.by_producer_kind)


@extend_schema_view(get=_table_schema(queries.ByAreaQuery, "Products per area"))
class ByAreaView(StatisticsView):
    name = "by-area"
    query = queries.ByAreaQuery

    def build(self, params):
        try:
            return statistics.by_area(
                selectors.rated_product_frame(),
                selectors.area_tree_frame(),
                level=params["level"],
                within=params.get("within"),
                as_of=params.get("as_of"),
                basis=params["basis"],
            )
        except ValueError as error:
            raise ValidationError({"within": [str(error)]}) from None


@extend_schema_view(get=_table_schema(queries.ExpiringQuery, "Ratings expiring soon"))
class ExpiringView(StatisticsView):
    """Ratings running out between as_of and as_of + months, soonest first."""

    name = "expiring"
    query = queries.ExpiringQuery

    def build(self, params):
        return statistics.expiring(
            selectors.rated_product_frame(),
            months=params["months"],
            as_of=params.get("as_of"),
            extra_columns=["producer_code", "producer_name", "area_code", "area_name"],
        )


@extend_schema_view(get=_table_schema(queries.TargetsQuery, "Progress against the yearly target"))
class TargetsView(StatisticsView):
    name = "targets"
    query = queries.TargetsQuery

    def build(self, params):
        return statistics.targets(
            selectors.rated_product_frame(),
            target=params["target"],
            as_of=params.get("as_of"),
            first_year=params.get("first_year"),
        )
