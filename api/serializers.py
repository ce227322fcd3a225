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

from linkage.accounts import ANONYMOUS, Account
from linkage.allocation import MAX_QUANTITY_PER_MONTH
from linkage.choices import Category, ProposalOrigin, ProposalSide, ProposalState, Requirement
from linkage.dates import EARLIEST_DATE, LATEST_DATE
from linkage.jobs import BACKGROUND_CHOICES
from linkage.models import (
    Area,
    Buyer,
    BuyerRequirements,
    Credential,
    Linkage,
    Producer,
    Product,
    Proposal,
    ProposalEvent,
    Rating,
    SourcingRequest,
)
from linkage.proposals import allowed_next
from linkage.selectors import rating_status
from linkage.text import looks_like_formula
from notifications import messages
from notifications.models import Notification, Webhook, WebhookAttempt, WebhookDelivery
from notifications.services import WEBHOOK_EVENTS

__all__ = [
    "AllocationLinesSerializer",
    "AreaSerializer",
    "BuyerRequirementsSerializer",
    "BuyerSerializer",
    "CredentialSerializer",
    "ImportUploadSerializer",
    "LinkageSerializer",
    "NotificationSerializer",
    "ProducerSerializer",
    "ProductSerializer",
    "ProposalCreateSerializer",
    "ProposalDetailSerializer",
    "ProposalSerializer",
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


CONTACT_FIELDS = ("contact_person", "phone", "email")


def _account(serializer) -> Account:
    request = serializer.context.get("request")
    if request is None:
        return ANONYMOUS
    from .permissions import account_of

    return account_of(request)


class ContactsMixin:
    """Contacts only for the counterparts ``linkage.accounts`` names; null for anyone else."""

    def sees_contacts(self, account: Account, record) -> bool:
        raise NotImplementedError

    def to_representation(self, record):
        data = super().to_representation(record)
        if not self.sees_contacts(_account(self), record):
            for name in CONTACT_FIELDS:
                data[name] = None
        return data


class AreaSerializer(SafeTextMixin, serializers.ModelSerializer):
    parent = _code_field(Area, required=False, allow_null=True)
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    successor = _code_field(Area, required=False, allow_null=True)

    class Meta:
        model = Area
        fields = [
            "code",
            "name",
            "level",
            "level_label",
            "parent",
            "lat",
            "lon",
            "population",
            "official_code",
            "scheme",
            "successor",
        ]


class ProducerSerializer(ContactsMixin, SafeTextMixin, serializers.ModelSerializer):
    area = _code_field(Area, required=False, allow_null=True)
    area_name = serializers.SerializerMethodField()
    legacy_area = _code_field(Area, required=False, allow_null=True)
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
            "legacy_area",
            "address",
            "lat",
            "lon",
            "members",
            *CONTACT_FIELDS,
            "updated_at",
        ]
        read_only_fields = ["updated_at"]

    def sees_contacts(self, account, record):
        return account.sees_contacts_of_producer(record)

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


class BuyerSerializer(ContactsMixin, SafeTextMixin, serializers.ModelSerializer):
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
            *CONTACT_FIELDS,
            "updated_at",
        ]
        read_only_fields = ["updated_at"]

    def sees_contacts(self, account, record):
        return account.sees_contacts_of_buyer(record)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_chain_name(self, record) -> str | None:
        return record.chain.name if record.chain_id else None


class SourcingRequestSerializer(SafeTextMixin, serializers.ModelSerializer):
    buyer = _code_field(Buyer)
    buyer_name = serializers.CharField(source="buyer.name", read_only=True)
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    overdue = serializers.SerializerMethodField(
        help_text="Open but past its deadline: left out of matching and allocation."
    )

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
            "deadline",
            "price_min_vnd",
            "price_max_vnd",
            "overdue",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            "quantity_per_month": {"max_value": MAX_QUANTITY_PER_MONTH},
            "deadline": {"validators": [_date_in_range]},
        }

    def get_overdue(self, record) -> bool:
        return record.is_overdue(timezone.localdate())


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


@extend_schema_field(
    {"type": "array", "items": {"type": "string", "enum": list(Requirement.values)}}
)
class RequirementListField(CategoryListField):
    """A list of requirement codes in JSON, stored as one comma-separated column."""

    child = serializers.ChoiceField(choices=Requirement.choices)


class BuyerRequirementsSerializer(SafeTextMixin, serializers.ModelSerializer):
    """What a buyer requires; ``source`` says whether they are its own or its chain's."""

    documents = RequirementListField(required=False, allow_empty=True)

    class Meta:
        model = BuyerRequirements
        fields = ["documents", "min_volume_per_month", "packaging", "payment_terms", "updated_at"]
        read_only_fields = ["updated_at"]


class CredentialSerializer(SafeTextMixin, serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Credential
        fields = ["kind", "kind_label", "expires_on", "reference", "updated_at"]
        read_only_fields = ["updated_at"]
        extra_kwargs = {"expires_on": {"validators": [_date_in_range]}}


class ProposalSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.code", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    producer_code = serializers.CharField(source="product.producer.code", read_only=True)
    buyer = serializers.CharField(source="buyer.code", read_only=True)
    buyer_name = serializers.CharField(source="buyer.name", read_only=True)
    sourcing_request = serializers.SerializerMethodField()
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    next_states = serializers.SerializerMethodField(
        help_text="The states the table allows next, whoever's step they are."
    )

    class Meta:
        model = Proposal
        fields = [
            "id",
            "product",
            "product_name",
            "producer_code",
            "buyer",
            "buyer_name",
            "proposed_by",
            "origin",
            "sourcing_request",
            "state",
            "state_label",
            "next_states",
            "note",
            "proposed_on",
            "accepted_on",
            "closed_on",
            "mou_signed_on",
            "trading_on",
            "ended_on",
            "linkage",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_sourcing_request(self, proposal) -> str | None:
        return proposal.sourcing_request.code if proposal.sourcing_request_id else None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_next_states(self, proposal) -> list[str]:
        return allowed_next(proposal.state)


class ProposalEventSerializer(serializers.ModelSerializer):
    from_state = serializers.SerializerMethodField()

    class Meta:
        model = ProposalEvent
        fields = ["at", "by", "from_state", "to_state", "note"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_from_state(self, event) -> str | None:
        return event.from_state or None


class ProposalDetailSerializer(ProposalSerializer):
    events = ProposalEventSerializer(many=True, read_only=True)

    class Meta(ProposalSerializer.Meta):
        fields = [*ProposalSerializer.Meta.fields, "events"]
        read_only_fields = fields


class ProposalCreateSerializer(SafeTextMixin, serializers.Serializer):
    product = _code_field(Product)
    buyer = _code_field(Buyer)
    proposed_by = serializers.ChoiceField(
        choices=ProposalSide.choices,
        required=False,
        help_text="Which side proposes; by default the side the account is on (planners say).",
    )
    origin = serializers.ChoiceField(choices=ProposalOrigin.choices, default=ProposalOrigin.OTHER)
    sourcing_request = _code_field(SourcingRequest, required=False, allow_null=True)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class TransitionSerializer(SafeTextMixin, serializers.Serializer):
    to = serializers.ChoiceField(choices=ProposalState.choices)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class AllocationLineSerializer(SafeTextMixin, serializers.Serializer):
    request = _code_field(SourcingRequest, source="sourcing_request")
    product = _code_field(Product)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class AllocationLinesSerializer(serializers.Serializer):
    lines = AllocationLineSerializer(many=True, allow_empty=False, max_length=500)


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
