"""JSON shapes of the registry. Relations are written and read by code; owners are never written.

Serializers check the shape of a body; the views hand the validated data to ``linkage.services``,
which applies the rules of the write (ownership, the model's rules, unique keys) and saves.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from rest_framework import serializers

from linkage.allocation import MAX_QUANTITY_PER_MONTH
from linkage.choices import Category
from linkage.dates import EARLIEST_DATE, LATEST_DATE
from linkage.jobs import BACKGROUND_CHOICES
from linkage.models import Area, Buyer, Linkage, Producer, Product, Rating, SourcingRequest
from linkage.selectors import rating_status
from linkage.text import looks_like_formula
from notifications import messages
from notifications.models import Notification, Webhook, WebhookAttempt, WebhookDelivery
from notifications.services import WEBHOOK_EVENTS

__all__ = [
    "AreaSerializer",
    "BuyerSerializer",
    "ImportUploadSerializer",
    "LinkageSerializer",
    "NotificationSerializer",
    "ProducerSerializer",
    "ProductSerializer",
    "RatingSerializer",
    "SourcingRequestSerializer",
    "WebhookCreatedSerializer",
    "WebhookDeliverySerializer",
    "WebhookSerializer",
]


def _date_in_range(value):
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise serializers.ValidationError(
            _("Must be between %(low)s and %(high)s.")
            % {"low": EARLIEST_DATE.isoformat(), "high": LATEST_DATE.isoformat()}
        )


def _not_in_the_future(value):
    if value is not None and value > timezone.localdate():
        raise serializers.ValidationError(_("A rating cannot be given on a day still to come."))


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


class SafeTextMixin:
    """Refuses text an Excel export or a spreadsheet would choke on or run.

    Only the shape of the input is checked here; the rules of the write itself (who may write it,
    the model's rules, unique keys) are the service layer's (``linkage.services``).
    """

    def validate(self, attrs):
        attrs = super().validate(attrs)
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
        return attrs


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


class AreaSerializer(SafeTextMixin, serializers.ModelSerializer):
    parent = _code_field(Area, required=False, allow_null=True)
    level_label = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = Area
        fields = ["code", "name", "level", "level_label", "parent", "lat", "lon", "population"]


class ProducerSerializer(SafeTextMixin, serializers.ModelSerializer):
    area = _code_field(Area, required=False, allow_null=True)
    area_name = serializers.SerializerMethodField()
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

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_area_name(self, record) -> str | None:
        return record.area.name if record.area_id else None


class ProductSerializer(SafeTextMixin, serializers.ModelSerializer):
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
        extra_kwargs = {"rated_on": {"validators": [_date_in_range, _not_in_the_future]}}

    @extend_schema_field(
        serializers.ChoiceField(choices=["valid", "expiring", "expired"], allow_null=True)
    )
    def get_rating_status(self, product) -> str | None:
        return rating_status(product.rating_expires_on, timezone.localdate())


class RatingSerializer(serializers.ModelSerializer):
    """One rating of a product's history, read only. Who recorded it is left out: the history
    is public, the accounts of the staff are not."""

    class Meta:
        model = Rating
        fields = [
            "stars",
            "potential_five_star",
            "rated_on",
            "expires_on",
            "note",
            "created_at",
        ]
        read_only_fields = fields


class BuyerSerializer(SafeTextMixin, serializers.ModelSerializer):
    chain = _code_field(Buyer, required=False, allow_null=True)
    chain_name = serializers.SerializerMethodField()
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

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_chain_name(self, record) -> str | None:
        return record.chain.name if record.chain_id else None


class SourcingRequestSerializer(SafeTextMixin, serializers.ModelSerializer):
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


class LinkageSerializer(SafeTextMixin, serializers.ModelSerializer):
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
        return super().validate(attrs)

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


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="An .xlsx workbook (a sheet per table), a .csv file named after its table, "
        "or a .zip of such CSV files."
    )
    dry_run = serializers.BooleanField(default=False, help_text="Check only; change nothing.")
    skip_bad_rows = serializers.BooleanField(
        default=False, help_text="Import the good rows even when some rows are bad."
    )
    background = serializers.ChoiceField(
        choices=BACKGROUND_CHOICES,
        default="auto",
        help_text="auto: a file larger than IMPORT_BACKGROUND_BYTES is imported by a job (202 "
        "and jobs/<id>/, with its progress, the report as its result) when a worker queue is "
        "configured; always: as a job; never: in this request.",
    )


class NotificationSerializer(serializers.ModelSerializer):
    """A notification of the inbox, its title and body in the request's language."""

    title = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "event",
            "title",
            "body",
            "subject_type",
            "subject_code",
            "link",
            "params",
            "created_at",
            "read_at",
        ]
        read_only_fields = fields

    def get_title(self, note) -> str:
        return messages.render(note.kind, note.params)[0]

    def get_body(self, note) -> str:
        return messages.render(note.kind, note.params)[1]


class WebhookSerializer(serializers.ModelSerializer):
    """A webhook: where events are posted and which. Its secret is in the answer to its creation
    only (``WebhookCreatedSerializer``)."""

    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WEBHOOK_EVENTS), allow_empty=False, max_length=20
    )

    class Meta:
        model = Webhook
        fields = ["id", "url", "events", "active", "created_at"]
        read_only_fields = ["id", "created_at"]


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="The key of the X-OCOP-Signature HMAC. Shown this once: keep it.",
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["attempt", "status_code", "error", "duration_ms", "at"]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """One event posted to a webhook, with each try."""

    tries = WebhookAttemptSerializer(many=True, read_only=True, source="attempt_log")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "data",
            "status",
            "attempts",
            "created_at",
            "delivered_at",
            "tries",
        ]
        read_only_fields = fields
