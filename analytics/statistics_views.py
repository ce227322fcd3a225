"""Programme statistics over HTTP: JSON, CSV and Excel, under /api/v1/analytics/statistics/.

Every endpoint takes ``format`` (json, csv or xlsx; default json) and ``as_of`` (YYYY-MM-DD; default
today). The tables also take ``basis``: ``cumulative`` (every product rated 3–5 stars on or before
the date) or ``valid`` (ratings in force on the date); when ``as_of`` is given the default is
``valid``, otherwise ``cumulative``. Bad parameters answer 400 naming the parameter.
"""

import datetime as dt

import pandas as pd
from django.conf import settings
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.responses import JSONOnly, download, records
from linkage.choices import AreaLevel
from linkage.dates import EARLIEST_DATE, LATEST_DATE
from linkage.models import Area, Product

from . import statistics

__all__ = ["area_frame", "product_frame", "urlpatterns"]

FORMATS = ("json", "csv", "xlsx")
MAX_MONTHS = 120


def product_frame() -> pd.DataFrame:
    """Every product with its producer's kind and area, in one query (see ``statistics``)."""
    rows = Product.objects.values_list(
        "code",
        "name",
        "category",
        "stars",
        "potential_five_star",
        "rated_on",
        "rating_expires_on",
        "producer_id",
        "producer__kind",
        "producer__area_id",
        "producer__code",
        "producer__name",
        "producer__area__code",
        "producer__area__name",
    ).order_by()
    columns = [
        *statistics.PRODUCT_COLUMNS,
        "producer_code",
        "producer_name",
        "area_code",
        "area_name",
    ]
    return pd.DataFrame(list(rows), columns=columns)


def area_frame() -> pd.DataFrame:
    """Every area indexed by id, with code, name, level and parent_id, in one query."""
    rows = Area.objects.values_list("id", "code", "name", "level", "parent_id").order_by()
    frame = pd.DataFrame(list(rows), columns=["id", "code", "name", "level", "parent_id"])
    return frame.set_index("id")


def _date(value: str | None, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError({field: [f"Not a date in the form YYYY-MM-DD: {value!r}."]}) from None
    # Windows of up to MAX_MONTHS are counted from the date, and pandas holds dates up to 2262.
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValidationError(
            {field: [f"Must be between {EARLIEST_DATE} and {LATEST_DATE}, not {value!r}."]}
        )
    return day


def _integer(value: str | None, field: str, default: int, low: int, high: int) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValidationError({field: [f"Not a whole number: {value!r}."]}) from None
    if not low <= number <= high:
        raise ValidationError({field: [f"Must be between {low} and {high}, not {number}."]})
    return number


def _choice(value: str | None, field: str, choices, default: str) -> str:
    if value in (None, ""):
        return default
    if value not in choices:
        raise ValidationError({field: [f"Must be one of {', '.join(choices)}, not {value!r}."]})
    return value


COMMON_PARAMETERS = [
    OpenApiParameter("format", str, enum=list(FORMATS), description="json (default), csv or xlsx"),
    OpenApiParameter("as_of", OpenApiTypes.DATE, description="the date counted at (default today)"),
]
BASIS_PARAMETER = OpenApiParameter(
    "basis",
    str,
    enum=list(statistics.BASES),
    description="cumulative: rated on or before as_of; valid: rating in force on as_of "
    "(default valid when as_of is given, else cumulative)",
)


class StatisticsView(APIView):
    """One statistics table; subclasses say how to build it from the request's parameters."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnly
    name = "statistics"
    takes_basis = True

    def build(self, request, as_of: dt.date | None, basis: str) -> pd.DataFrame:
        raise NotImplementedError

    def get(self, request):
        params = request.query_params
        output = _choice(params.get("format"), "format", FORMATS, "json")
        as_of = _date(params.get("as_of"), "as_of")
        default_basis = "valid" if as_of else "cumulative"
        basis = _choice(params.get("basis"), "basis", statistics.BASES, default_basis)
        frame = self.build(request, as_of, basis)
        meta = {"as_of": (as_of or dt.date.today()).isoformat()}
        if self.takes_basis:
            meta["basis"] = basis
        return _respond(frame, output, self.name, meta)


def _respond(frame: pd.DataFrame, output: str, name: str, meta: dict):
    if output == "json":
        # JSON objects lose the order of integer-like keys ("3", "4", "5") in browsers, so the
        # column order travels separately.
        columns = [*frame.index.names, *frame.columns]
        return Response(
            {**meta, "count": len(frame), "columns": columns, "results": records(frame)}
        )
    return download(
        frame, output=output, filename=f"ocop-{name}-{meta['as_of']}.{output}", sheet=name
    )


@extend_schema(
    summary="Headline figures",
    parameters=[
        *COMMON_PARAMETERS,
        OpenApiParameter("months", int, description="expiry window in months (default 6)"),
        OpenApiParameter("target", int, description="yearly target (default the setting)"),
    ],
    responses=OpenApiTypes.OBJECT,
)
class SummaryView(APIView):
    """Products rated 3–5 stars, in force, by star class, below 3 stars, expiring, this year."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnly

    def get(self, request):
        params = request.query_params
        output = _choice(params.get("format"), "format", FORMATS, "json")
        as_of = _date(params.get("as_of"), "as_of")
        months = _integer(params.get("months"), "months", 6, 0, MAX_MONTHS)
        target = _integer(params.get("target"), "target", settings.OCOP_YEARLY_TARGET, 0, 1_000_000)
        figures = statistics.summary(
            product_frame(), as_of=as_of, expiring_months=months, target=target
        )
        if output == "json":
            return Response(figures)
        stars = figures.pop("by_stars")
        rows = {**figures, **{f"stars_{key}": value for key, value in stars.items()}}
        frame = pd.Series(rows, name="value").rename_axis("figure").to_frame()
        return _respond(frame, output, "summary", {"as_of": figures["as_of"]})


@extend_schema(
    summary="Products rated per year",
    parameters=COMMON_PARAMETERS,
    responses=OpenApiTypes.OBJECT,
)
class ByYearView(StatisticsView):
    """Rated per year, per star class, cumulative and in force at each year's end."""

    name = "by-year"
    takes_basis = False

    def build(self, request, as_of, basis):
        return statistics.by_year(product_frame(), as_of=as_of)


@extend_schema(
    summary="Products per group",
    parameters=[*COMMON_PARAMETERS, BASIS_PARAMETER],
    responses=OpenApiTypes.OBJECT,
)
class ByGroupView(StatisticsView):
    name = "by-group"

    def build(self, request, as_of, basis):
        return statistics.by_group(product_frame(), as_of=as_of, basis=basis)


@extend_schema(
    summary="Products per star class",
    parameters=[*COMMON_PARAMETERS, BASIS_PARAMETER],
    responses=OpenApiTypes.OBJECT,
)
class ByStarsView(StatisticsView):
    name = "by-stars"

    def build(self, request, as_of, basis):
        return statistics.by_stars(product_frame(), as_of=as_of, basis=basis)


@extend_schema(
    summary="Products per producer kind",
    parameters=[*COMMON_PARAMETERS, BASIS_PARAMETER],
    responses=OpenApiTypes.OBJECT,
)
class ByProducerKindView(StatisticsView):
    name = "by-producer-kind"

    def build(self, request, as_of, basis):
        return statistics.by_producer_kind(product_frame(), as_of=as_of, basis=basis)


@extend_schema(
    summary="Products per area",
    parameters=[
        *COMMON_PARAMETERS,
        BASIS_PARAMETER,
        OpenApiParameter("level", str, enum=list(AreaLevel.values), description="default district"),
        OpenApiParameter("within", str, description="code of an area to look inside"),
    ],
    responses=OpenApiTypes.OBJECT,
)
class ByAreaView(StatisticsView):
    name = "by-area"

    def build(self, request, as_of, basis):
        params = request.query_params
        level = _choice(params.get("level"), "level", AreaLevel.values, AreaLevel.DISTRICT)
        within = params.get("within") or None
        try:
            return statistics.by_area(
                product_frame(), area_frame(), level=level, within=within, as_of=as_of, basis=basis
            )
        except ValueError as error:
            raise ValidationError({"within": [str(error)]}) from None


@extend_schema(
    summary="Ratings expiring soon",
    parameters=[
        *COMMON_PARAMETERS,
        OpenApiParameter("months", int, description="window in months (default 6)"),
    ],
    responses=OpenApiTypes.OBJECT,
)
class ExpiringView(StatisticsView):
    """Ratings running out between as_of and as_of + months, soonest first."""

    name = "expiring"
    takes_basis = False

    def build(self, request, as_of, basis):
        months = _integer(request.query_params.get("months"), "months", 6, 0, MAX_MONTHS)
        return statistics.expiring(
            product_frame(),
            months=months,
            as_of=as_of,
            extra_columns=["producer_code", "producer_name", "area_code", "area_name"],
        )


@extend_schema(
    summary="Progress against the yearly target",
    parameters=[
        *COMMON_PARAMETERS,
        OpenApiParameter("target", int, description="products a year (default the setting)"),
        OpenApiParameter("first_year", int, description="first year shown"),
    ],
    responses=OpenApiTypes.OBJECT,
)
class TargetsView(StatisticsView):
    name = "targets"
    takes_basis = False

    def build(self, request, as_of, basis):
        params = request.query_params
        target = _integer(params.get("target"), "target", settings.OCOP_YEARLY_TARGET, 0, 1_000_000)
        last_year = (as_of or dt.date.today()).year
        first_year = params.get("first_year")
        first_year = _integer(first_year, "first_year", 0, 1990, last_year) or None
        return statistics.targets(
            product_frame(), target=target, as_of=as_of, first_year=first_year
        )


urlpatterns = [
    path("statistics/summary/", SummaryView.as_view(), name="statistics-summary"),
    path("statistics/by-year/", ByYearView.as_view(), name="statistics-by-year"),
    path("statistics/by-group/", ByGroupView.as_view(), name="statistics-by-group"),
    path("statistics/by-stars/", ByStarsView.as_view(), name="statistics-by-stars"),
    path("statistics/by-area/", ByAreaView.as_view(), name="statistics-by-area"),
    path(
        "statistics/by-producer-kind/",
        ByProducerKindView.as_view(),
        name="statistics-by-producer-kind",
    ),
    path("statistics/expiring/", ExpiringView.as_view(), name="statistics-expiring"),
    path("statistics/targets/", TargetsView.as_view(), name="statistics-targets"),
]
