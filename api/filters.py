"""Query-string filters of the registry lists, and the accent-free name search."""

import operator
from functools import reduce

import django_filters as df
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend

from linkage.choices import (
    AreaLevel,
    BuyerKind,
    Category,
    LinkageKind,
    ProducerKind,
    ProposalOrigin,
    ProposalSide,
    ProposalState,
    RequestStatus,
)
from linkage.models import Area, Buyer, Linkage, Producer, Product, Proposal, SourcingRequest
from linkage.selectors import in_area
from linkage.text import fold

from .permissions import hidden_households

__all__ = [
    "AreaFilter",
    "BuyerFilter",
    "FoldedSearchFilter",
    "LinkageFilter",
    "ProducerFilter",
    "ProductFilter",
    "ProposalFilter",
    "SourcingRequestFilter",
]

# OCOP ratings run from 1 to 5 stars; products below 3 are not certified but still rated.
STAR_CHOICES = [(stars, str(stars)) for stars in range(1, 6)]
AREA_HELP = _("Code of an area at any level: its communes, districts and the area itself match.")


class FoldedSearchFilter(BaseFilterBackend):
    """``?search=`` on folded names: "bat trang" finds "Bát Tràng" on SQLite and PostgreSQL.

    Names are stored folded (lower-case ASCII) in ``name_folded``, so the query is folded the same
    way and matched with a plain substring test: every word must appear in one of the view's
    ``search_fields``.
    """

    search_param = "search"

    def filter_queryset(self, request, queryset, view):
        text = request.query_params.get(self.search_param, "")
        if "\x00" in text:
            raise ValidationError({self.search_param: [_("Null characters are not allowed.")]})
        words = fold(text).split()
        fields = getattr(view, "search_fields", ())
        if not words or not fields:
            return queryset
        # A household's name is a person's: readers who may not see it cannot search by it either.
        private = (
            getattr(view, "household_name_fields", {})
            if hidden_households(request) is not None
            else {}
        )
        for word in words:
            queryset = queryset.filter(
                reduce(operator.or_, (self._matches(field, word, private) for field in fields))
            )
        return queryset

    @staticmethod
    def _matches(field: str, word: str, private: dict[str, str]) -> Q:
        found = Q(**{f"{field}__contains": word})
        if field in private:
            found &= ~Q(**{private[field]: ProducerKind.HOUSEHOLD})
        return found

    def get_schema_operation_parameters(self, view):
        if not getattr(view, "search_fields", ()):
            return []
        return [
            {
                "name": self.search_param,
                "required": False,
                "in": "query",
                "description": str(_("Words of the name; accents and case are ignored.")),
                "schema": {"type": "string"},
            }
        ]


class AreaCodeFilter(df.CharFilter):
    """An area code matching the record's area, its district or its province; with
    ``legacy_path``, also the producer's area before 1 July 2025 (so that an old district still
    finds the producers now in the new communes)."""

    def __init__(self, area_path: str = "area", legacy_path: str | None = None, **kwargs):
        self.area_path = area_path
        self.legacy_path = legacy_path
        kwargs.setdefault("help_text", AREA_HELP)
        super().__init__(**kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        if not Area.objects.filter(code=value).exists():
            # An unknown code is a mistake to report, like an unknown product group, not an
            # empty list that reads as "no products here".
            raise ValidationError({self.field_name: [_("No area has the code %s.") % value]})
        matches = in_area(self.area_path, value)
        if self.legacy_path:
            matches |= in_area(self.legacy_path, value)
        return qs.filter(matches)


class AreaFilter(df.FilterSet):
    level = df.ChoiceFilter(choices=AreaLevel.choices)
    parent = df.CharFilter(field_name="parent__code", help_text=_("Code of the parent area."))

    class Meta:
        model = Area
        fields = ["level", "parent"]


class ProducerFilter(df.FilterSet):
    kind = df.ChoiceFilter(choices=ProducerKind.choices)
    area = AreaCodeFilter(legacy_path="legacy_area")

    class Meta:
        model = Producer
        fields = ["kind", "area"]


class ProductFilter(df.FilterSet):
    category = df.ChoiceFilter(choices=Category.choices)
    stars = df.ChoiceFilter(field_name="stars", choices=STAR_CHOICES)
    stars_min = df.ChoiceFilter(field_name="stars", lookup_expr="gte", choices=STAR_CHOICES)
    potential_five_star = df.BooleanFilter()
    producer = df.CharFilter(field_name="producer__code", help_text=_("Code of the producer."))
    producer_kind = df.ChoiceFilter(field_name="producer__kind", choices=ProducerKind.choices)
    area = AreaCodeFilter("producer__area", legacy_path="producer__legacy_area")
    expiring_before = df.DateFilter(
        field_name="rating_expires_on",
        lookup_expr="lte",
        help_text=_("Ratings that expire on or before this date."),
    )
    rated_from = df.DateFilter(field_name="rated_on", lookup_expr="gte")
    rated_to = df.DateFilter(field_name="rated_on", lookup_expr="lte")

    class Meta:
        model = Product
        fields = [
            "category",
            "stars",
            "stars_min",
            "potential_five_star",
            "producer",
            "producer_kind",
            "area",
            "expiring_before",
            "rated_from",
            "rated_to",
        ]


class BuyerFilter(df.FilterSet):
    kind = df.ChoiceFilter(choices=BuyerKind.choices)
    chain = df.CharFilter(field_name="chain__code", help_text=_("Code of the retail chain."))
    category = df.ChoiceFilter(
        choices=Category.choices,
        method="filter_category",
        help_text=_("Buyers that take this product group (an empty list takes every group)."),
    )
    area = AreaCodeFilter()
    min_stars = df.ChoiceFilter(
        choices=STAR_CHOICES,
        method="filter_min_stars",
        help_text=_("Buyers that accept products of this many stars."),
    )

    class Meta:
        model = Buyer
        fields = ["kind", "chain", "category", "area", "min_stars"]

    def filter_category(self, queryset, name, value):
        # Whole codes only, so that one code never matches inside another.
        return queryset.filter(
            Q(categories="")
            | Q(categories=value)
            | Q(categories__startswith=f"{value},")
            | Q(categories__endswith=f",{value}")
            | Q(categories__contains=f",{value},")
        )

    def filter_min_stars(self, queryset, name, value):
        return queryset.filter(Q(min_stars__isnull=True) | Q(min_stars__lte=value))


class LinkageFilter(df.FilterSet):
    kind = df.ChoiceFilter(choices=LinkageKind.choices)
    source = df.CharFilter(method="filter_source", help_text=_("Code of the source actor."))
    target = df.CharFilter(method="filter_target", help_text=_("Code of the target actor."))
    product = df.CharFilter(field_name="product__code", help_text=_("Code of the product."))

    class Meta:
        model = Linkage
        fields = ["kind", "source", "target", "product"]

    def filter_source(self, queryset, name, value):
        return queryset.filter(Q(source_producer__code=value) | Q(source_buyer__code=value))

    def filter_target(self, queryset, name, value):
        return queryset.filter(Q(target_producer__code=value) | Q(target_buyer__code=value))


class SourcingRequestFilter(df.FilterSet):
    buyer = df.CharFilter(field_name="buyer__code", help_text=_("Code of the buyer."))
    category = df.ChoiceFilter(choices=Category.choices)
    status = df.ChoiceFilter(choices=RequestStatus.choices)
    deadline_after = df.DateFilter(
        field_name="deadline", lookup_expr="gte", help_text=_("Deadline on or after this day.")
    )
    deadline_before = df.DateFilter(
        field_name="deadline", lookup_expr="lte", help_text=_("Deadline on or before this day.")
    )
    overdue = df.BooleanFilter(
        method="filter_overdue",
        help_text=_("Open requests past their deadline (true), or every other one (false)."),
    )
    accepts_price_vnd = df.NumberFilter(
        method="filter_accepts_price",
        min_value=0,
        # The database's big integers: beyond them a comparison would overflow, not filter.
        max_value=2**63 - 1,
        help_text=_(
            "Requests that take a product at this price (đồng): no maximum, or one at or above it."
        ),
    )

    class Meta:
        model = SourcingRequest
        fields = ["buyer", "category", "status"]

    def filter_overdue(self, queryset, name, value):
        today = timezone.localdate()
        late = Q(status=RequestStatus.OPEN, deadline__lt=today)
        return queryset.filter(late) if value else queryset.exclude(late)

    def filter_accepts_price(self, queryset, name, value):
        return queryset.filter(Q(price_max_vnd__isnull=True) | Q(price_max_vnd__gte=value))


class ProposalFilter(df.FilterSet):
    state = df.ChoiceFilter(choices=ProposalState.choices)
    proposed_by = df.ChoiceFilter(choices=ProposalSide.choices)
    origin = df.ChoiceFilter(choices=ProposalOrigin.choices)
    product = df.CharFilter(field_name="product__code", help_text=_("Code of the product."))
    producer = df.CharFilter(
        field_name="product__producer__code", help_text=_("Code of the producer.")
    )
    buyer = df.CharFilter(
        method="filter_buyer", help_text=_("Code of the buyer (a chain: its stores too).")
    )

    class Meta:
        model = Proposal
        fields = ["state", "proposed_by", "origin", "product", "producer", "buyer"]

    def filter_buyer(self, queryset, name, value):
        return queryset.filter(Q(buyer__code=value) | Q(buyer__chain__code=value))
