"""The staff admin site; foreign keys use raw ids or autocomplete to stay fast at 200k rows.

Saves and deletes go through ``linkage.services`` with the staff user's account, like every write.
"""

from django.contrib import admin
from django.db import models, transaction

from . import services
from .accounts import Account
from .models import (
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
from .text import fold


class _DryRun(Exception):
    """Rolls a checking write back."""


class RegistryAdmin(admin.ModelAdmin):
    """Search also on the folded name, so "bat trang" finds "Bát Tràng" as in the API."""

    # Counting every row for "x of 200,000" on each filtered page costs more than the page.
    show_full_result_count = False
    # The services that write it: <entity>_create, <entity>_update, <entity>_delete.
    entity = ""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        model_admin = self

        class ServiceCheckedForm(form_class):
            """Runs the write once and rolls it back, so that a rule only the service layer knows
            (a linkage already registered, a code a buyer holds) shows on the form, not as a 500.
            """

            def _post_clean(self):
                super()._post_clean()
                if self.errors:
                    return
                try:
                    with transaction.atomic():
                        model_admin._write(request, self, change=self.instance.pk is not None)
                        raise _DryRun
                except _DryRun:
                    pass
                except services.WriteRefused as refused:
                    for field, reasons in refused.errors.items():
                        for reason in reasons:
                            self.add_error(field if field in self.fields else None, reason)

        return ServiceCheckedForm

    def save_model(self, request, obj, form, change):
        saved = self._write(request, form, change=change)
        # The admin goes on with its own object: the log entry, the message, the redirect.
        vars(obj).update(vars(saved))

    def _write(self, request, form, *, change: bool):
        actor = Account.of_user(request.user)
        fields = {name: getattr(form.instance, name) for name in form.cleaned_data}
        if not change:
            return getattr(services, f"{self.entity}_create")(actor=actor, **fields)
        # The stored record, so that the service sees what the change changes.
        stored = self.model.objects.get(pk=form.instance.pk)
        changes = {name: fields[name] for name in form.changed_data if name in fields}
        return getattr(services, f"{self.entity}_update")(
            actor=actor, **{self.entity: stored}, **changes
        )

    def delete_model(self, request, obj):
        delete = getattr(services, f"{self.entity}_delete")
        delete(actor=Account.of_user(request.user), **{self.entity: obj})

    def delete_queryset(self, request, queryset):
        delete = getattr(services, f"{self.entity}_delete")
        actor = Account.of_user(request.user)
        # The admin has refused the whole selection already if a record in it is protected.
        with transaction.atomic():
            for obj in queryset:
                delete(actor=actor, **{self.entity: obj})

    def get_readonly_fields(self, request, obj=None):
        # A code is the stable key imports match on and linkages keep in their keys.
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and hasattr(obj, "code"):
            fields.append("code")
        return fields

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        folded = fold(search_term)
        if folded and hasattr(self.model, "name_folded"):
            found = found | queryset.filter(name_folded__contains=folded)
        return found, may_have_duplicates


@admin.register(Area)
class AreaAdmin(RegistryAdmin):
    entity = "area"
    list_display = [
        "code",
        "name",
        "level",
        "scheme",
        "official_code",
        "parent",
        "successor",
        "population",
        "lat",
        "lon",
    ]
    list_filter = ["level", "scheme"]
    search_fields = ["code", "name", "official_code"]
    autocomplete_fields = ["parent", "successor"]
    list_select_related = ["parent", "successor"]


@admin.register(Producer)
class ProducerAdmin(RegistryAdmin):
    entity = "producer"
    list_display = ["code", "name", "kind", "area", "members", "owner", "updated_at"]
    list_filter = ["kind", "area__level"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["area", "legacy_area"]
    raw_id_fields = ["owner"]
    list_select_related = ["area", "owner"]
    readonly_fields = ["updated_at"]


class RatingInline(admin.TabularInline):
    """The product's rating history, read only: ratings are recorded through the services
    (a changed rating on the product form, ``services.product_rate``, an import)."""

    model = Rating
    fields = ["rated_on", "stars", "potential_five_star", "expires_on", "decided_by", "note"]
    readonly_fields = fields
    ordering = ["-rated_on"]
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Product)
class ProductAdmin(RegistryAdmin):
    entity = "product"
    inlines = [RatingInline]
    # Traceability links typed without a scheme are taken as https (Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = [
        "code",
        "name",
        "producer",
        "category",
        "stars",
        "potential_five_star",
        "rated_on",
        "rating_expires_on",
    ]
    list_filter = ["category", "stars", "potential_five_star", "producer__kind"]
    search_fields = ["code", "name"]
    raw_id_fields = ["producer"]
    list_select_related = ["producer"]
    readonly_fields = ["rating_expires_on", "updated_at"]
    date_hierarchy = "rated_on"


@admin.register(Buyer)
class BuyerAdmin(RegistryAdmin):
    entity = "buyer"
    list_display = ["code", "name", "kind", "chain", "area", "categories", "min_stars", "owner"]
    list_filter = ["kind", "min_stars"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["chain", "area"]
    raw_id_fields = ["owner"]
    list_select_related = ["chain", "area", "owner"]
    readonly_fields = ["updated_at"]


@admin.register(Linkage)
class LinkageAdmin(RegistryAdmin):
    entity = "linkage"
    list_display = ["key", "kind", "volume_per_month", "started_on", "ended_on"]
    list_filter = ["kind"]
    search_fields = ["key"]
    raw_id_fields = [
        "source_producer",
        "source_buyer",
        "target_producer",
        "target_buyer",
        "product",
    ]
    readonly_fields = ["key"]


@admin.register(SourcingRequest)
class SourcingRequestAdmin(RegistryAdmin):
    entity = "sourcing_request"
    list_display = [
        "code",
        "buyer",
        "category",
        "min_stars",
        "quantity_per_month",
        "max_distance_km",
        "status",
    ]
    list_filter = ["status", "category", "min_stars"]
    search_fields = ["code", "buyer__name", "buyer__code"]
    raw_id_fields = ["buyer"]
    list_select_related = ["buyer"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(BuyerRequirements)
class BuyerRequirementsAdmin(RegistryAdmin):
    """A buyer's own requirements; removing them lets a store follow its chain's again."""

    list_display = ["buyer", "documents", "min_volume_per_month", "updated_at"]
    search_fields = ["buyer__code", "buyer__name"]
    raw_id_fields = ["buyer"]
    list_select_related = ["buyer"]
    readonly_fields = ["updated_at"]

    def _write(self, request, form, *, change: bool):
        data = form.cleaned_data
        return services.buyer_requirements_set(
            actor=Account.of_user(request.user),
            buyer=data["buyer"],
            documents=data.get("documents", ""),
            min_volume_per_month=data.get("min_volume_per_month"),
            packaging=data.get("packaging", ""),
            payment_terms=data.get("payment_terms", ""),
        )

    def delete_model(self, request, obj):
        services.buyer_requirements_clear(actor=Account.of_user(request.user), buyer=obj.buyer)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset.select_related("buyer"):
                self.delete_model(request, obj)


@admin.register(Credential)
class CredentialAdmin(RegistryAdmin):
    list_display = ["producer", "kind", "expires_on", "reference", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["producer__code", "producer__name", "reference"]
    raw_id_fields = ["producer"]
    list_select_related = ["producer"]
    readonly_fields = ["updated_at"]

    def _write(self, request, form, *, change: bool):
        data = form.cleaned_data
        return services.credential_set(
            actor=Account.of_user(request.user),
            producer=data["producer"],
            kind=data["kind"],
            expires_on=data.get("expires_on"),
            reference=data.get("reference", ""),
        )

    def delete_model(self, request, obj):
        services.credential_delete(actor=Account.of_user(request.user), credential=obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset.select_related("producer"):
                self.delete_model(request, obj)


class ProposalEventInline(admin.TabularInline):
    """The proposal's audit, read only: steps are taken through the services."""

    model = ProposalEvent
    fields = ["at", "by", "user", "from_state", "to_state", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Proposal)
class ProposalAdmin(RegistryAdmin):
    """Proposals: created through ``services.proposal_create``; a changed state is a step of
    ``services.proposal_transition`` (the table's rules hold here too). Never deleted: they are
    the workflow's record."""

    inlines = [ProposalEventInline]
    list_display = ["id", "product", "buyer", "proposed_by", "origin", "state", "proposed_on"]
    list_filter = ["state", "proposed_by", "origin"]
    search_fields = ["key", "product__name", "buyer__name"]
    raw_id_fields = ["product", "buyer", "sourcing_request"]
    list_select_related = ["product", "buyer"]
    date_hierarchy = "proposed_on"
    _ADD_FIELDS = ["product", "buyer", "proposed_by", "origin", "sourcing_request", "note"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return self._ADD_FIELDS
        return [
            "state",
            *self._ADD_FIELDS,
            "proposed_on",
            "accepted_on",
            "closed_on",
            "mou_signed_on",
            "trading_on",
            "ended_on",
            "linkage",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [name for name in self.get_fields(request, obj) if name != "state"]

    def has_delete_permission(self, request, obj=None):
        return False

    def _write(self, request, form, *, change: bool):
        actor = Account.of_user(request.user)
        data = form.cleaned_data
        if not change:
            return services.proposal_create(
                actor=actor, **{name: data.get(name) for name in self._ADD_FIELDS if name in data}
            )
        stored = Proposal.objects.get(pk=form.instance.pk)
        if "state" in form.changed_data:
            return services.proposal_transition(actor=actor, proposal=stored, to=data["state"])
        return stored
