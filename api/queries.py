"""The query parameters of every read endpoint, as serializers: one place that checks them.

A view reads its parameters with ``read_query(SomeQuery, request)``: a bad value answers 400 with
the parameter and the reason, and drf-spectacular documents each field with its bounds. ``format``
is not among them: DRF's content negotiation reads it (``api.renderers``).
"""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import serializers

from analytics import selectors as analytics_selectors
from analytics.coverage import GAP_RANKINGS
from analytics.siting import METHODS
from analytics.statistics import BASES
from linkage.choices import AreaLevel, AreaScheme, Category, ProducerKind
from linkage.dates import EARLIEST_DATE, LATEST_DATE
from linkage.jobs import BACKGROUND_CHOICES
from linkage.recommend import PARTS, parse_weights

__all__ = [
    "AllocationInput",
    "BuyersQuery",
    "ByAreaQuery",
    "CommunitiesQuery",
    "CoverageQuery",
    "CriticalQuery",
    "DependenceQuery",
    "ExpiringQuery",
    "FunnelQuery",
    "GeoJSONQuery",
    "GapsQuery",
    "HubsQuery",
    "PathsQuery",
    "ReadinessQuery",
    "SitingQuery",
    "StatisticsQuery",
    "SummaryQuery",
    "SuppliersQuery",
    "TargetsQuery",
    "UnlinkedQuery",
    "read_query",
]

MAX_RADIUS_KM = 1000
DEFAULT_RADIUS_KM = 5.0
DEFAULT_SITES = 10
MAX_POINTS = 5000
MAX_MONTHS = 120
MAX_TARGET = 1_000_000
GEOJSON_MAX_LIMIT = 50_000
# Ten times the national set's open requests; a longer list is a mistake, and each code is a
# parameter of one query.
MAX_ALLOCATION_REQUESTS = 10_000


def read_query(serializer_class, request) -> dict:
    """The request's query parameters checked by ``serializer_class``; raises ValidationError."""
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _background_field(what: str):
    return serializers.ChoiceField(
        choices=BACKGROUND_CHOICES,
        default="auto",
        help_text=f"auto: {what} go to the job queue (202 and jobs/<id>/) when a worker queue "
        "is configured; always: as a job; never: in this request",
    )


class FiniteFloatField(serializers.FloatField):
    """A float that is a number: "nan" and "inf" are refused like any other non-number."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


class DateInRangeField(serializers.DateField):
    """A date the registry can hold (``linkage.dates``): counting windows of years from it stays
    within what pandas represents."""

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            raise serializers.ValidationError(
                _("Must be between %(low)s and %(high)s.")
                % {"low": EARLIEST_DATE, "high": LATEST_DATE}
            )
        return day


class NoNullCharField(serializers.CharField):
    """Text without NUL characters, which PostgreSQL refuses in a query and no code holds."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if "\x00" in value:
            raise serializers.ValidationError(_("Null characters are not allowed."))
        return value


class GeoJSONQuery(serializers.Serializer):
    """The registry's ``…/geojson/`` lists (their filters are the list's own)."""

    limit = serializers.IntegerField(
        min_value=1,
        default=5000,
        help_text="Most features to return (at most 50,000; more is cut to that). Records "
        "without coordinates are left out.",
    )

    def validate_limit(self, limit):
        return min(limit, GEOJSON_MAX_LIMIT)


class PageQuery(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=100)
    offset = serializers.IntegerField(min_value=0, default=0)


class PathsQuery(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=200)


class HubsQuery(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=100, default=10)
    measure = serializers.ChoiceField(choices=["degree", "betweenness"], default="degree")
    background = _background_field("betweenness on a national graph and other long analyses")


class CommunitiesQuery(serializers.Serializer):
    min_size = serializers.IntegerField(min_value=1, max_value=10000, default=3)
    background = _background_field("analyses of a national graph")


class DependenceQuery(PageQuery):
    min_share = serializers.FloatField(min_value=0, max_value=1, default=0.0)
    min_buyers = serializers.IntegerField(min_value=1, default=1)


class CriticalQuery(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=50)
    all_producers = serializers.BooleanField(
        default=False, help_text="count every producer cut off, not only households"
    )


class UnlinkedQuery(PageQuery):
    direct = serializers.BooleanField(
        default=False, help_text="a producer selling only through others counts as unlinked"
    )
    kind = serializers.ChoiceField(choices=ProducerKind.choices, required=False)


def _weight(part):
    return serializers.FloatField(
        min_value=0, max_value=1, required=False, help_text=f"weight of the {part} part, 0 to 1"
    )


class WeightsQuery(serializers.Serializer):
    w_learned = _weight("learned")
    w_category = _weight("category")
    w_distance = _weight("distance")
    w_capacity = _weight("capacity")
    w_stars = _weight("stars")
    w_graph = _weight("graph")
    k = serializers.IntegerField(
        min_value=1, max_value=100, default=10, help_text="how many outlets (or products) to list"
    )
    include_linked = serializers.BooleanField(default=False)
    max_distance_km = serializers.FloatField(min_value=0, max_value=5000, required=False)
    as_of = serializers.DateField(
        required=False, help_text="date the ratings are checked on (default today)"
    )

    def validate(self, attrs):
        raw = {part: attrs[f"w_{part}"] for part in PARTS if f"w_{part}" in attrs}
        try:
            attrs["weights"] = parse_weights(raw)
        except ValueError as exc:
            part, reason = exc.args
            raise serializers.ValidationError({f"w_{part}": [reason]}) from None
        return attrs


class BuyersQuery(WeightsQuery):
    producer = NoNullCharField(required=False)
    product = NoNullCharField(required=False)

    def validate(self, attrs):
        if ("producer" in attrs) == ("product" in attrs):
            raise serializers.ValidationError(
                {"producer": [_("Give exactly one of producer or product.")]}
            )
        return super().validate(attrs)


class SuppliersQuery(WeightsQuery):
    buyer = NoNullCharField(required=False)
    request = NoNullCharField(required=False, help_text="code of a sourcing request")
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    min_stars = serializers.IntegerField(min_value=1, max_value=5, required=False)
    quantity_per_month = serializers.FloatField(min_value=0, required=False)

    def validate(self, attrs):
        if ("buyer" in attrs) == ("request" in attrs):
            raise serializers.ValidationError(
                {"buyer": [_("Give exactly one of buyer or request.")]}
            )
        return super().validate(attrs)


class SupplyField(NoNullCharField):
    """``sales_points`` (default), ``chain:<CODE>`` or ``kinds:<kind>,<kind>``."""

    def __init__(self, **kwargs):
        super().__init__(
            default=analytics_selectors.Supply(),
            help_text="sales_points (default), chain:<CODE> or kinds:<kind>,<kind>",
            **kwargs,
        )

    def to_internal_value(self, data):
        try:
            return analytics_selectors.parse_supply(super().to_internal_value(data))
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None


class CoverageQuery(serializers.Serializer):
    radius_km = FiniteFloatField(
        min_value=0, max_value=MAX_RADIUS_KM, default=DEFAULT_RADIUS_KM, help_text="in km"
    )
    supply = SupplyField()
    level = serializers.ChoiceField(choices=AreaLevel.choices, default=AreaLevel.COMMUNE.value)
    category = serializers.ChoiceField(
        choices=Category.choices, required=False, help_text="a product group"
    )


class GapsQuery(CoverageQuery):
    rank_by = serializers.ChoiceField(choices=GAP_RANKINGS, default="population")
    limit = serializers.IntegerField(
        min_value=1, required=False, help_text="at most this many gaps (default all)"
    )


class CandidatesField(serializers.CharField):
    """``centroids`` (default) or ``points:<lat>,<lon>;<lat>,<lon>;…``, read as a list of
    [lat, lon] pairs (None for the centroids)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data).strip()
        if value in ("", "centroids"):
            return None
        prefix, _colon, rest = value.partition(":")
        if prefix != "points" or not rest.strip():
            raise serializers.ValidationError(
                _("Expected centroids or points:<lat>,<lon>;<lat>,<lon>;…")
            )
        points = []
        for item in rest.split(";"):
            try:
                lat, lon = (float(part) for part in item.split(","))
            except ValueError:
                raise serializers.ValidationError(
                    _("Not a point <lat>,<lon>: %s.") % item
                ) from None
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise serializers.ValidationError(_("Coordinates out of range: %s.") % item)
            points.append([lat, lon])
        if len(points) > MAX_POINTS:
            raise serializers.ValidationError(_("At most %d points.") % MAX_POINTS)
        return points


class SitingQuery(serializers.Serializer):
    k = serializers.IntegerField(
        min_value=1, default=DEFAULT_SITES, help_text="how many sites to choose"
    )
    radius_km = FiniteFloatField(
        min_value=0, max_value=MAX_RADIUS_KM, default=DEFAULT_RADIUS_KM, help_text="in km"
    )
    supply = SupplyField()
    level = serializers.ChoiceField(choices=AreaLevel.choices, default=AreaLevel.COMMUNE.value)
    candidates = CandidatesField(
        default=None,
        help_text="centroids (default) or points:<lat>,<lon>;<lat>,<lon>;…",
    )
    producer_weight = FiniteFloatField(
        min_value=0,
        max_value=1e9,
        default=0.0,
        help_text="people each uncovered producer counts as",
    )
    method = serializers.ChoiceField(choices=METHODS, default="auto")
    background = _background_field("national-scale runs")


class StatisticsQuery(serializers.Serializer):
    as_of = DateInRangeField(required=False, help_text="the date counted at (default today)")


class BasisQuery(StatisticsQuery):
    basis = serializers.ChoiceField(
        choices=BASES,
        required=False,
        help_text="cumulative: rated on or before as_of; valid: rating in force on as_of "
        "(default valid when as_of is given, else cumulative)",
    )

    def validate(self, attrs):
        attrs.setdefault("basis", "valid" if attrs.get("as_of") else "cumulative")
        return attrs


def _months():
    return serializers.IntegerField(
        min_value=0, max_value=MAX_MONTHS, default=6, help_text="window in months"
    )


def _target():
    return serializers.IntegerField(
        min_value=0,
        max_value=MAX_TARGET,
        required=False,
        help_text="products a year (default the programme's target, a setting)",
    )


class SummaryQuery(StatisticsQuery):
    months = _months()
    target = _target()

    def validate(self, attrs):
        attrs.setdefault("target", settings.OCOP_YEARLY_TARGET)
        return attrs


class ByAreaQuery(BasisQuery):
    level = serializers.ChoiceField(choices=AreaLevel.choices, default=AreaLevel.DISTRICT.value)
    within = NoNullCharField(required=False, help_text="code of an area to look inside")
    scheme = serializers.ChoiceField(
        choices=AreaScheme.choices,
        required=False,
        help_text="current: the division since 1 July 2025 (provinces, communes); legacy: the "
        "one before (provinces, districts, communes). Default legacy for level=district, "
        "else current",
    )
    year = serializers.IntegerField(
        min_value=1990,
        max_value=LATEST_DATE.year,
        required=False,
        help_text="only the products rated that year",
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        district = attrs["level"] == AreaLevel.DISTRICT
        attrs.setdefault("scheme", AreaScheme.LEGACY if district else AreaScheme.CURRENT)
        if district and attrs["scheme"] == AreaScheme.CURRENT:
            raise serializers.ValidationError(
                {
                    "level": [
                        _(
                            "The division since 1 July 2025 has no districts: "
                            "ask for scheme=legacy, or level=commune or province."
                        )
                    ]
                }
            )
        return attrs


class ExpiringQuery(StatisticsQuery):
    months = _months()


class TargetsQuery(StatisticsQuery):
    target = _target()
    first_year = serializers.IntegerField(
        min_value=1990, required=False, help_text="first year shown"
    )

    def validate(self, attrs):
        attrs.setdefault("target", settings.OCOP_YEARLY_TARGET)
        last_year = (attrs.get("as_of") or dt.date.today()).year
        first = attrs.get("first_year")
        if first is not None and first > last_year:
            raise serializers.ValidationError(
                {"first_year": [_("Must be at most %d, the year of as_of.") % last_year]}
            )
        return attrs


class ReadinessQuery(serializers.Serializer):
    area = NoNullCharField(
        required=False,
        max_length=40,
        help_text="code of an area: the producers within radius_km of its centroid (default all)",
    )
    radius_km = FiniteFloatField(min_value=0, max_value=1000, default=10.0)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    stars = serializers.IntegerField(min_value=1, max_value=5, required=False)
    min_volume = FiniteFloatField(
        min_value=0,
        max_value=1e12,
        required=False,
        help_text="also count the producers whose capacity per month is below this",
    )
    as_of = DateInRangeField(required=False, help_text="credentials in force on (default today)")


class FunnelQuery(serializers.Serializer):
    by = serializers.ChoiceField(choices=["year", "group", "chain", "area"], default="year")
    level = serializers.ChoiceField(
        choices=AreaLevel.choices,
        default=AreaLevel.DISTRICT.value,
        help_text="with by=area: the level producers' areas are counted at",
    )


class AllocationInput(serializers.Serializer):
    requests = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        allow_empty=False,
        max_length=MAX_ALLOCATION_REQUESTS,
        help_text="Codes of open sourcing requests; every open request when left out.",
    )
    background = _background_field("allocations of many requests")

    def get_fields(self):
        # "async" is a Python keyword, so it cannot be declared as a class attribute.
        fields = super().get_fields()
        fields["async"] = serializers.BooleanField(
            required=False,
            help_text="true is the same as background=always (kept for existing clients).",
        )
        return fields

    def validate_requests(self, codes):
        from linkage.allocation import check_request_codes

        return check_request_codes(codes)

    def validate(self, attrs):
        if attrs.pop("async", False):
            attrs["background"] = "always"
        return attrs


class ExportQuery(serializers.Serializer):
    background = _background_field("exports of a large registry")
    version = serializers.RegexField(
        r"^[A-Za-z0-9_-]{1,64}$",
        required=False,
        help_text="The registry version a job's download_url names. The answer is always the "
        "file of the current version: after a write, a new file (or a new job).",
    )


class NotificationQuery(serializers.Serializer):
    unread = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true: only the unread ones"
    )
