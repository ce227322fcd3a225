"""Coverage, coverage gaps and siting over HTTP, under /api/v1/analytics/.

- ``coverage/``: each area's nearest facility, distance and coverage, with the summary shares;
- ``coverage/gaps/``: the uncovered areas, worst first;
- ``siting/``: the K new sites that would cover the most demand left out;
- a siting run sent to the background queue is followed at ``/api/v1/jobs/<job_id>/``.

Common parameters: ``radius_km`` (default 5), ``supply`` (``sales_points``, ``chain:<CODE>`` or
``kinds:store,sales_point``), ``level`` (commune, district or province; default commune),
``category`` (a product group; optional) and ``format`` (json, geojson, csv or xlsx). Bad
parameters answer 400 naming the parameter and the reason.
"""

from __future__ import annotations

import math

import pandas as pd
from django.conf import settings
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.responses import JSONOnly, download, records
from api.geojson import MEDIA_TYPE as GEOJSON_MEDIA_TYPE
from api.geojson import feature_collection
from linkage.choices import AreaLevel, Category

from . import selectors
from .coverage import AREA_COLUMNS, GAP_RANKINGS, area_coverage, coverage_gaps, coverage_summary
from .siting import METHODS
from .siting_jobs import run_siting

__all__ = ["SITING_INLINE_PAIRS", "urlpatterns"]

FORMATS = ("json", "geojson", "csv", "xlsx")
DEFAULT_RADIUS_KM = 5.0
MAX_RADIUS_KM = 1000.0
DEFAULT_K = 10
BACKGROUND_CHOICES = ("auto", "always", "never")
# With Redis configured, siting runs with more candidate × area pairs than this go to the queue:
# national scale (3,321 × 3,321) does; a province (126 communes) answers at once.
SITING_INLINE_PAIRS = 250_000
MAX_POINTS = 5000
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


def _choice(params, field: str, choices, default: str | None) -> str | None:
    value = params.get(field)
    if value in (None, ""):
        return default
    if value not in choices:
        raise ValidationError({field: [f"Must be one of {', '.join(choices)}, not {value!r}."]})
    return value


def _number(params, field: str, default: float, low: float, high: float) -> float:
    value = params.get(field)
    if value in (None, ""):
        return default
    try:
        number = float(value)
    except ValueError:
        raise ValidationError({field: [f"Not a number: {value!r}."]}) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise ValidationError({field: [f"Must be between {low:g} and {high:g}, not {value}."]})
    return number


def _integer(params, field: str, default: int, low: int) -> int:
    value = params.get(field)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValidationError({field: [f"Not a whole number: {value!r}."]}) from None
    if number < low:
        raise ValidationError({field: [f"Must be {low} or more, not {number}."]})
    return number


def _supply(params) -> selectors.Supply:
    text = params.get("supply")
    if text and "\x00" in text:
        # PostgreSQL refuses a NUL character in a query; no chain code holds one.
        raise ValidationError({"supply": ["Null characters are not allowed."]})
    try:
        return selectors.parse_supply(text)
    except ValueError as error:
        raise ValidationError({"supply": [str(error)]}) from None


def _facilities(supply: selectors.Supply) -> pd.DataFrame:
    try:
        return selectors.facility_frame(supply)
    except selectors.UnknownChain:
        raise ValidationError(
            {"supply": [f"No retail chain has the code {supply.chain!r}."]}
        ) from None


def _common(params) -> dict:
    return {
        "format": _choice(params, "format", FORMATS, "json"),
        "radius_km": _number(params, "radius_km", DEFAULT_RADIUS_KM, 0.0, MAX_RADIUS_KM),
        "supply": _supply(params),
        "level": _choice(params, "level", AreaLevel.values, AreaLevel.COMMUNE.value),
        "category": _choice(params, "category", Category.values, None),
    }


def _meta(options: dict) -> dict:
    return {
        "radius_km": options["radius_km"],
        "supply": str(options["supply"]),
        "level": options["level"],
        "category": options["category"],
    }


def _file_stem(name: str, options: dict) -> str:
    parts = [f"ocop-{name}", options["level"], f"{options['radius_km']:g}km"]
    if options["supply"].chain:
        parts.append(options["supply"].chain)
    if options.get("category"):
        parts.append(options["category"])
    return "-".join(parts)


def _geojson(rows: list[dict], properties: list[str], **members) -> Response:
    return Response(
        feature_collection(rows, properties, **members), content_type=GEOJSON_MEDIA_TYPE
    )


def _coverage_inputs(options: dict):
    areas = selectors.area_frame()
    facilities = _facilities(options["supply"])
    producers = selectors.producer_frame(options["level"], areas)
    return areas[areas["level"] == options["level"]], facilities, producers


COMMON_PARAMETERS = [
    OpenApiParameter("radius_km", float, description="coverage radius in km (default 5)"),
    OpenApiParameter(
        "supply",
        str,
        description="sales_points (default), chain:<CODE> or kinds:<kind>,<kind>",
    ),
    OpenApiParameter("level", str, enum=list(AreaLevel.values), description="default commune"),
    OpenApiParameter("category", str, enum=list(Category.values), description="a product group"),
    OpenApiParameter("format", str, enum=list(FORMATS), description="default json"),
]


@extend_schema(
    summary="Coverage of areas by the sales network",
    parameters=COMMON_PARAMETERS,
    responses=OpenApiTypes.OBJECT,
)
class CoverageView(APIView):
    """Each area's nearest facility and coverage, with the shares of population and producers."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnly

    def get(self, request):
        options = _common(request.query_params)
        areas, facilities, producers = _coverage_inputs(options)
        radius, category = options["radius_km"], options["category"]
        table = area_coverage(areas, facilities, producers, radius_km=radius, category=category)
        output = options["format"]
        if output in ("csv", "xlsx"):
            return download(
                table,
                output=output,
                filename=f"{_file_stem('coverage', options)}.{output}",
                sheet="coverage",
            )
        summary = coverage_summary(
            areas, facilities, producers, radius_km=radius, category=category
        )
        meta = {**_meta(options), "summary": summary}
        if output == "geojson":
            return _geojson(records(table), AREA_PROPERTIES, **meta)
        return Response({**meta, "count": len(table), "areas": records(table)})


@extend_schema(
    summary="Coverage gaps, worst first",
    parameters=[
        *COMMON_PARAMETERS,
        OpenApiParameter("rank_by", str, enum=list(GAP_RANKINGS), description="default population"),
        OpenApiParameter("limit", int, description="at most this many gaps (default all)"),
    ],
    responses=OpenApiTypes.OBJECT,
)
class CoverageGapsView(APIView):
    """Areas with uncovered population or producers, ranked by what is left out."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnly

    def get(self, request):
        params = request.query_params
        options = _common(params)
        rank_by = _choice(params, "rank_by", GAP_RANKINGS, "population")
        limit = _integer(params, "limit", 0, 1) if params.get("limit") else None
        areas, facilities, producers = _coverage_inputs(options)
        table = area_coverage(
            areas,
            facilities,
            producers,
            radius_km=options["radius_km"],
            category=options["category"],
        )
        gaps = coverage_gaps(table, rank_by=rank_by)
        total = len(gaps)
        if limit:
            gaps = gaps.head(limit)
        output = options["format"]
        if output in ("csv", "xlsx"):
            return download(
                gaps,
                output=output,
                filename=f"{_file_stem('coverage-gaps', options)}.{output}",
                sheet="coverage_gaps",
            )
        meta = {**_meta(options), "rank_by": rank_by, "total": total}
        if output == "geojson":
            return _geojson(records(gaps), ["rank", *AREA_PROPERTIES], **meta)
        return Response({**meta, "count": len(gaps), "gaps": records(gaps)})


def _points(value: str | None) -> list[list[float]] | None:
    """``centroids`` (default) or ``points:lat,lon;lat,lon;…``."""
    if value in (None, "", "centroids"):
        return None
    prefix, _, rest = value.partition(":")
    if prefix != "points" or not rest.strip():
        raise ValidationError(
            {"candidates": ["Expected centroids or points:<lat>,<lon>;<lat>,<lon>;…"]}
        )
    points = []
    for item in rest.split(";"):
        try:
            lat, lon = (float(part) for part in item.split(","))
        except ValueError:
            raise ValidationError({"candidates": [f"Not a point <lat>,<lon>: {item!r}."]}) from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValidationError({"candidates": [f"Coordinates out of range: {item!r}."]})
        points.append([lat, lon])
    if len(points) > MAX_POINTS:
        raise ValidationError({"candidates": [f"At most {MAX_POINTS} points."]})
    return points


def _redis_configured() -> bool:
    return bool(getattr(settings, "REDIS_URL", ""))


@extend_schema(
    summary="Where K new sales points would cover most",
    parameters=[
        OpenApiParameter("k", int, description=f"sites to choose (default {DEFAULT_K})"),
        OpenApiParameter(
            "candidates", str, description="centroids (default) or points:<lat>,<lon>;…"
        ),
        OpenApiParameter(
            "producer_weight", float, description="people each uncovered producer counts as"
        ),
        OpenApiParameter("method", str, enum=list(METHODS), description="default auto"),
        OpenApiParameter(
            "background",
            str,
            enum=list(BACKGROUND_CHOICES),
            description="auto (default): large runs go to the job queue when Redis is set",
        ),
        *[p for p in COMMON_PARAMETERS if p.name != "category"],
    ],
    responses=OpenApiTypes.OBJECT,
)
class SitingView(APIView):
    """The chosen sites in pick order, each with its marginal gain, and coverage before/after."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnly

    def get(self, request):
        params = request.query_params
        options = _common(params)
        k = _integer(params, "k", DEFAULT_K, 1)
        points = _points(params.get("candidates"))
        producer_weight = _number(params, "producer_weight", 0.0, 0.0, 1e9)
        method = _choice(params, "method", METHODS, "auto")
        background = _choice(params, "background", BACKGROUND_CHOICES, "auto")
        # Checked before any run, so a queued job cannot fail on them later.
        _facilities(options["supply"])
        located = selectors.area_frame(options["level"]).dropna(subset=["lat", "lon"])
        candidates = len(points) if points is not None else len(located)
        if k > candidates:
            raise ValidationError(
                {"k": [f"Must be at most the number of candidates ({candidates}), not {k}."]}
            )
        job = {
            "k": k,
            "radius_km": options["radius_km"],
            "supply": str(options["supply"]),
            "level": options["level"],
            "points": points,
            "producer_weight": producer_weight,
            "method": method,
        }
        large = candidates * len(located) > SITING_INLINE_PAIRS
        if _redis_configured() and (background == "always" or (background == "auto" and large)):
            from linkage import jobs

            job_id = jobs.enqueue("analytics.siting_jobs.run_siting", **job)
            status_url = request.build_absolute_uri(
                reverse("job-status", kwargs={"job_id": job_id})
            )
            return Response(
                {"job_id": job_id, "status_url": status_url}, status=status.HTTP_202_ACCEPTED
            )
        result = run_siting(**job)
        output = options["format"]
        if output in ("csv", "xlsx"):
            sites = pd.DataFrame(result["sites"], columns=SITE_COLUMNS).set_index("code")
            return download(
                sites,
                output=output,
                filename=f"{_file_stem('siting', options)}.{output}",
                sheet="siting",
            )
        if output == "geojson":
            meta = {key: value for key, value in result.items() if key != "sites"}
            return _geojson(result["sites"], SITE_PROPERTIES, **meta)
        return Response(result)


urlpatterns = [
    path("coverage/", CoverageView.as_view(), name="analytics-coverage"),
    path("coverage/gaps/", CoverageGapsView.as_view(), name="analytics-coverage-gaps"),
    path("siting/", SitingView.as_view(), name="analytics-siting"),
]
