"""JSON shapes of the registry. Relations are written and read by code; owners are never written."""

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from rest_framework import serializers

from linkage.allocation import MAX_QUANTITY_PER_MONTH
from linkage.choices import Category
from linkage.dates import EARLIEST_DATE, LATEST_DATE
from linkage.models import Area, Buyer, Linkage, Producer, Product, SourcingRequest
from linkage.selectors import rating_status
from linkage.text import looks_like_formula

from .exceptions import django_error_detail
from .permissions import account_of

__all__ = [
    "AreaSerializer",
    "BuyerSerializer",
    "ImportUploadSerializer",
    "LinkageSerializer",
    "ProducerSerializer",
    "ProductSerializer",
    "SourcingRequestSerializer",
]


def _date_in_range(value):
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise serializers.ValidationError(
            _("Must be between %(low)s and %(high)s.")
            % {"low": EARLIEST_DATE.isoformat(), "high": LATEST_DATE.isoformat()}
        )


class CodeRelatedField(serializers.SlugRelatedField):
    """A related record named by its code; a code the database cannot hold is simply unknown.

    PostgreSQL refuses text holding NUL characters, so such a code is answered here instead of
    failing the query.
    """

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid")
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return super().to_internal_value(str(data))


def _code_field(model, source=None, **kwargs):
    if source:
        kwargs["source"] = source
    return CodeRelatedField(slug_field="code", queryset=model.objects.all(), **kwargs)


class ModelRulesMixin:
    """Runs the model's clean() and its database constraints on the would-be record.

    The same rules the database enforces answer 400 with the field and reason, instead of an
    IntegrityError deep inside save().
    """

    def validate(self, attrs):
        attrs = super().validate(attrs)
        stored_code = getattr(self.instance, "code", None)
        if stored_code is not None and attrs.get("code", stored_code) != stored_code:
            # Imports match rows on codes and linkages keep them in their keys.
            raise serializers.ValidationError(
                {"code": [_("A code is the record's stable key and cannot change.")]}
            )
        # Control characters other than tab and line breaks cannot go into an Excel export.
        control = {
            name: [_("Control characters are not allowed.")]
            for name, value in attrs.items()
            if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value)
        }
        if control:
            raise serializers.ValidationError(control)
        formulas = {
            name: [_("Text may not start with =, + or @: spreadsheets would run it as a formula.")]
            for name, value in attrs.items()
            if isinstance(value, str) and looks_like_formula(value)
        }
        if formulas:
            raise serializers.ValidationError(formulas)
        record = copy.copy(self.instance) if self.instance else self.Meta.model()
        for name, value in attrs.items():
            setattr(record, name, value)
        try:
            record.clean()
            record.validate_constraints()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(django_error_detail(exc)) from exc
        return attrs

    def _account(self):
        return account_of(self.context["request"])


@extend_schema_field({"type": "array", "items": {"type": "string", "enum": list(Category.values)}})
class CategoryListField(serializers.ListField):
    """A list of product-group codes in JSON, stored as one comma-separated column."""

    child = serializers.ChoiceField(choices=Category.choices)

    def to_representation(self, data):
        return [code for code in (data or "").split(",") if code]

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = [code.strip() for code in data.split(",") if code.strip()]
        return ",".join(dict.fromkeys(super().to_internal_value(data)))


class AreaSerializer(ModelRulesMixin, serializers.ModelSerializer):
    parent = _code_field(Area, required=False, allow_null=True)
    level_label = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = Area
        fields = ["code", "name", "level", "level_label", "parent", "lat", "lon", "population"]

    def validate_parent(self, parent):
        if self.instance is not None and _reaches(parent, self.instance, "parent"):
            raise serializers.ValidationError(_("An area cannot contain itself."))
        return parent


def _reaches(start, record, link: str) -> bool:
    """Whether following ``link`` (parent, chain) up from ``start`` comes back to ``record``."""
    seen = set()
    while start is not None and start.pk not in seen:
        if start.pk == record.pk:
            return True
        seen.add(start.pk)
        start = getattr(start, link)
    return False


def _code_not_used_by(model, code: str, label: str) -> str:
    """Linkages name their ends by code alone, so one code names one producer or buyer."""
    if model.objects.filter(code=code).exists():
        raise serializers.ValidationError(
            _("The code %(code)s already names a %(label)s; choose another.")
            % {"code": code, "label": label}
        )
    return code


class ProducerSerializer(ModelRulesMixin, serializers.ModelSerializer):
    area = _code_field(Area, required=False, allow_null=True)
    area_name = serializers.CharField(source="area.name", read_only=True, default=None)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Producer
        fields = [
            "code",
            "name",
            "kind",
            "kind_label",
            "area",
            "area_name",
            "address",
            "lat",
            "lon",
            "members",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]

    def validate_code(self, code):
        return _code_not_used_by(Buyer, code, _("buyer"))


class ProductSerializer(ModelRulesMixin, serializers.ModelSerializer):
    producer = _code_field(Producer)
    producer_name = serializers.CharField(source="producer.name", read_only=True)
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    rating_status = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = [
            "code",
            "name",
            "producer",
            "producer_name",
            "category",
            "category_label",
            "stars",
            "potential_five_star",
            "rated_on",
            "rating_expires_on",
            "rating_status",
            "capacity_per_month",
            "unit",
            "price_vnd",
            "traceability_url",
            "updated_at",
        ]
        read_only_fields = ["rating_expires_on", "updated_at"]
        extra_kwargs = {"rated_on": {"validators": [_date_in_range]}}

    @extend_schema_field(
        serializers.ChoiceField(choices=["valid", "expiring", "expired"], allow_null=True)
    )
    def get_rating_status(self, product) -> str | None:
        return rating_status(product.rating_expires_on, timezone.localdate())

    def validate_producer(self, producer):
        if not self._account().owns_producer(producer):
            raise serializers.ValidationError(_("You may only add products to your own producers."))
        return producer


class BuyerSerializer(ModelRulesMixin, serializers.ModelSerializer):
    chain = _code_field(Buyer, required=False, allow_null=True)
    chain_name = serializers.CharField(source="chain.name", read_only=True, default=None)
    area = _code_field(Area, required=False, allow_null=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    categories = CategoryListField(required=False, allow_empty=True)

    class Meta:
        model = Buyer
        fields = [
            "code",
            "name",
            "kind",
            "kind_label",
            "chain",
            "chain_name",
            "area",
            "address",
            "lat",
            "lon",
            "categories",
            "min_stars",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]

    def validate_code(self, code):
        return _code_not_used_by(Producer, code, _("producer"))

    def validate_chain(self, chain):
        account = self._account()
        if self.instance is not None and _reaches(chain, self.instance, "chain"):
            raise serializers.ValidationError(_("A buyer cannot be its own chain."))
        if account.is_planner:
            return chain
        # A buyer account adds and moves stores only within the chains it owns.
        unchanged = self.instance is not None and chain == self.instance.chain
        if not unchanged and (chain is None or chain.pk not in account.buyer_ids):
            raise serializers.ValidationError(_("You may only attach stores to your own chain."))
        return chain

    def validate(self, attrs):
        if self.instance is None and not self._account().is_planner and "chain" not in attrs:
            raise serializers.ValidationError(
                {"chain": [_("A buyer account adds stores of its own chain; name the chain.")]}
            )
        return super().validate(attrs)


class SourcingRequestSerializer(ModelRulesMixin, serializers.ModelSerializer):
    buyer = _code_field(Buyer)
    buyer_name = serializers.CharField(source="buyer.name", read_only=True)
    category_label = serializers.CharField(source="get_category_display", read_only=True)

    class Meta:
        model = SourcingRequest
        fields = [
            "code",
            "buyer",
            "buyer_name",
            "category",
            "category_label",
            "min_stars",
            "quantity_per_month",
            "max_distance_km",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"quantity_per_month": {"max_value": MAX_QUANTITY_PER_MONTH}}

    def validate_buyer(self, buyer):
        if not self._account().owns_buyer(buyer):
            raise serializers.ValidationError(_("You may only write requests of your own buyers."))
        return buyer


ACTOR_TYPES = ("producer", "buyer")


@extend_schema_field(OpenApiTypes.STR)
class ActorCodeField(serializers.CharField):
    """The code of one end of a linkage: read from whichever of the two columns is set."""

    def __init__(self, end: str, **kwargs):
        self.end = end
        super().__init__(source="*", max_length=40, **kwargs)

    def to_representation(self, linkage):
        actor = getattr(linkage, self.end)
        return actor.code if actor else None

    def to_internal_value(self, data):
        return {f"{self.end}_code": super().to_internal_value(data)}


# A pattern rather than an enum: two properties sharing one enum make the schema generator warn.
@extend_schema_field({"type": "string", "pattern": "^(producer|buyer)$"})
class ActorTypeField(serializers.ChoiceField):
    """Whether an end of a linkage is a producer or a buyer; only needed when a code names both."""

    def __init__(self, end: str, **kwargs):
        self.end = end
        super().__init__(
            choices=ACTOR_TYPES,
            source="*",
            required=False,
            help_text="producer or buyer; only needed when a producer and a buyer share the code.",
            **kwargs,
        )

    def to_representation(self, linkage):
        return "producer" if getattr(linkage, f"{self.end}_producer_id") else "buyer"

    def to_internal_value(self, data):
        return {f"{self.end}_type": super().to_internal_value(data)}


class LinkageSerializer(ModelRulesMixin, serializers.ModelSerializer):
    source_code = ActorCodeField("source", help_text="Code of a producer or a buyer.")
    target_code = ActorCodeField("target", help_text="Code of a producer or a buyer.")
    source_type = ActorTypeField("source")
    target_type = ActorTypeField("target")
    source_name = serializers.CharField(source="source.name", read_only=True)
    target_name = serializers.CharField(source="target.name", read_only=True)
    product_code = _code_field(Product, source="product", required=False, allow_null=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Linkage
        fields = [
            "id",
            "kind",
            "kind_label",
            "source_code",
            "source_type",
            "source_name",
            "target_code",
            "target_type",
            "target_name",
            "product_code",
            "volume_per_month",
            "started_on",
            "ended_on",
            "key",
        ]
        read_only_fields = ["id", "key"]
        extra_kwargs = {
            "started_on": {"validators": [_date_in_range]},
            "ended_on": {"validators": [_date_in_range]},
        }

    def validate(self, attrs):
        for end in ("source", "target"):
            code = attrs.pop(f"{end}_code", None)
            actor_type = attrs.pop(f"{end}_type", None)
            if code is not None:
                producer, buyer = self._resolve(end, code, actor_type)
                attrs[f"{end}_producer"], attrs[f"{end}_buyer"] = producer, buyer
            elif self.instance is None:
                raise serializers.ValidationError({f"{end}_code": [_("This field is required.")]})
        attrs = super().validate(attrs)
        self._check_ends_owned(attrs)
        self._check_unique(attrs)
        return attrs

    @staticmethod
    def _resolve(end, code, actor_type):
        producer = Producer.objects.filter(code=code).first() if actor_type != "buyer" else None
        buyer = Buyer.objects.filter(code=code).first() if actor_type != "producer" else None
        if producer is None and buyer is None:
            raise serializers.ValidationError(
                {f"{end}_code": [_("No producer or buyer has the code %s.") % code]}
            )
        if producer is not None and buyer is not None:
            raise serializers.ValidationError(
                {f"{end}_type": [_("Both a producer and a buyer have this code; say which.")]}
            )
        return producer, buyer

    def _ends(self, attrs):
        def end(name, kind):
            key = f"{name}_{kind}"
            if key in attrs:
                return attrs[key]
            return getattr(self.instance, key) if self.instance else None

        return (
            end("source", "producer"),
            end("source", "buyer"),
            end("target", "producer"),
            end("target", "buyer"),
        )

    def _check_ends_owned(self, attrs):
        account = self._account()
        if account.is_planner:
            return
        source_producer, _source_buyer, _target_producer, target_buyer = self._ends(attrs)
        if source_producer is not None and source_producer.pk in account.producer_ids:
            return
        if account.owns_buyer(target_buyer):
            return
        field = "source_code" if account.producer_ids else "target_code"
        raise serializers.ValidationError(
            {
                field: [
                    _(
                        "A producer account links from its own producers; "
                        "a buyer account links to its own buyers."
                    )
                ]
            }
        )

    def _check_unique(self, attrs):
        source_producer, source_buyer, target_producer, target_buyer = self._ends(attrs)
        product = attrs.get("product", getattr(self.instance, "product", None))
        kind = attrs.get("kind", getattr(self.instance, "kind", None))
        key = Linkage.make_key(
            kind,
            (source_producer or source_buyer).code,
            (target_producer or target_buyer).code,
            product.code if product else None,
        )
        clash = Linkage.objects.filter(key=key)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(
                {"non_field_errors": [_("This linkage is already registered.")]}
            )


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="An .xlsx workbook (a sheet per table), a .csv file named after its table, "
        "or a .zip of such CSV files."
    )
    dry_run = serializers.BooleanField(default=False, help_text="Check only; change nothing.")
    skip_bad_rows = serializers.BooleanField(
        default=False, help_text="Import the good rows even when some rows are bad."
    )
