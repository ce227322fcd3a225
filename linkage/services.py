"""Writes to the registry: every create, change and delete goes through here.

The API, the importer, the admin and the management commands all call these functions, so that
the rules of a write, the graph version (``linkage.graph_cache``) and the domain events
(``linkage.events``) are taken care of in one place. Functions are keyword-only and each runs in
``transaction.atomic`` (a savepoint inside a caller's transaction, so that a refused or failed
write rolls back alone).

A write is refused with ``WriteRefused`` naming the field and the reason when:
- the actor has no right to write that field at all: the OCOP rating (``stars``,
  ``potential_five_star``, ``rated_on``) is the rating council's, written by planners and the
  system only; this refusal is ``WriteForbidden``, which the API answers as 403;
- a rating would be given on a day still to come;
- the actor may not write the record or point it where asked (``linkage.accounts`` says who owns
  what; ``actor=None`` is the system: the importer, management commands, the demo loader);
- the model's own rules refuse it (field validators, ``clean()``, constraints, unique codes);
- a producer and a buyer would share a code (linkage ends are named by code alone), a code would
  change (imports match rows on it), an area or a chain would contain itself, or a linkage with
  the same natural key is already registered.

A product's ratings are kept as rows (``Rating``, its history); the product's own rating columns
hold the newest of them. ``product_rate`` appends a rating; a planner's ``product_create`` or
``product_update`` that sets a dated rating records it as a row too.

Every write bumps the graph version and emits ``"<entity>.created|updated|deleted"`` with the
record's code (a linkage's key) and the actor's user id; listeners hear of it after the commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any, NoReturn

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .accounts import Account
from .choices import RequestStatus
from .events import Event, emit
from .graph_cache import bump_version
from .models import Area, Buyer, Linkage, Producer, Product, Rating, SourcingRequest

__all__ = [
    "NON_FIELD_ERRORS",
    "RATING_FIELDS",
    "WriteForbidden",
    "WriteRefused",
    "area_create",
    "area_delete",
    "area_update",
    "buyer_create",
    "buyer_delete",
    "buyer_update",
    "linkage_create",
    "linkage_delete",
    "linkage_update",
    "producer_create",
    "producer_delete",
    "producer_update",
    "product_create",
    "product_delete",
    "product_rate",
    "product_update",
    "registry_changed",
    "registry_imported",
    "sourcing_request_create",
    "sourcing_request_delete",
    "sourcing_request_update",
]


class WriteRefused(ValidationError):
    """A write the registry's rules refuse; nothing was written.

    ``errors`` maps a field (``NON_FIELD_ERRORS`` for the record as a whole) to its reasons. A
    Django ``ValidationError``, so that forms and the API's error handler answer it as such.
    """

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__({field: list(reasons) for field, reasons in errors.items()})

    @property
    def errors(self) -> dict[str, list[str]]:
        return self.message_dict


class WriteForbidden(WriteRefused):
    """A write of a field the actor has no right to write whatever its value (the API: 403)."""


# What the rating council decides; planners (and the system) record it, producers do not.
RATING_FIELDS = ("stars", "potential_five_star", "rated_on")


def registry_changed(change: str = "*") -> None:
    """Mark the registry's snapshot stale in every process; ``change`` says what changed
    (``graph_cache.bump_version``), so that a small write is patched in rather than the whole
    registry read again.

    Bumped now, so this process sees its own write at once, and again after the commit, so that
    another process that read in between (the not yet committed state) reads again.
    """
    bump_version(change)
    transaction.on_commit(partial(bump_version, change))


def registry_imported(
    *, created: dict[str, int], updated: dict[str, int], actor_id: int | None = None
) -> None:
    """Record that a bulk import wrote rows (called inside the import's transaction)."""
    registry_changed()
    emit(
        Event("registry.imported", actor_id=actor_id, data={"created": created, "updated": updated})
    )


@transaction.atomic
def area_create(
    *,
    actor: Account | None,
    code: str,
    name: str,
    level: str,
    parent: Area | None = None,
    lat: float | None = None,
    lon: float | None = None,
    population: int | None = None,
) -> Area:
    _require_planner(actor)
    area = Area(
        code=code, name=name, level=level, parent=parent, lat=lat, lon=lon, population=population
    )
    return _save(area, actor=actor, event="area.created")


@transaction.atomic
def area_update(*, actor: Account | None, area: Area, **changes: Any) -> Area:
    _require_planner(actor)
    if "parent" in changes and _reaches(changes["parent"], area, "parent"):
        _refuse("parent", _("An area cannot contain itself."))
    return _update(area, actor=actor, entity="area", changes=changes)


@transaction.atomic
def area_delete(*, actor: Account | None, area: Area) -> None:
    _delete(area, actor=actor, entity="area")


@transaction.atomic
def producer_create(
    *,
    actor: Account | None,
    code: str,
    name: str,
    kind: str,
    area: Area | None = None,
    address: str = "",
    lat: float | None = None,
    lon: float | None = None,
    members: int | None = None,
    owner: models.Model | None = None,
) -> Producer:
    _require_planner(actor)
    _code_not_used_by(Buyer, code, _("buyer"))
    producer = Producer(
        code=code,
        name=name,
        kind=kind,
        area=area,
        address=address,
        lat=lat,
        lon=lon,
        members=members,
        owner=owner,
    )
    return _save(producer, actor=actor, event="producer.created")


@transaction.atomic
def producer_update(*, actor: Account | None, producer: Producer, **changes: Any) -> Producer:
    if not _owns_producer_id(actor, producer.pk):
        _refuse(NON_FIELD_ERRORS, _("You may only change your own producers."))
    _owner_set_by_planner(actor, changes)
    return _update(producer, actor=actor, entity="producer", changes=changes)


@transaction.atomic
def producer_delete(*, actor: Account | None, producer: Producer) -> None:
    _delete(producer, actor=actor, entity="producer")


_NOT_YOUR_PRODUCER = _("You may only add products to your own producers.")


@transaction.atomic
def product_create(
    *,
    actor: Account | None,
    code: str,
    name: str,
    producer: Producer,
    category: str,
    stars: int | None = None,
    potential_five_star: bool = False,
    rated_on: dt.date | None = None,
    capacity_per_month: float | None = None,
    unit: str = "",
    price_vnd: int | None = None,
    traceability_url: str = "",
) -> Product:
    if not _owns_producer_id(actor, producer.pk):
        _refuse("producer", _NOT_YOUR_PRODUCER)
    rating = {"stars": stars, "potential_five_star": potential_five_star, "rated_on": rated_on}
    _rating_set_by_planner(actor, {name: value for name, value in rating.items() if value})
    _rated_in_the_past(rated_on)
    product = Product(
        code=code,
        name=name,
        producer=producer,
        category=category,
        stars=stars,
        potential_five_star=potential_five_star,
        rated_on=rated_on,
        capacity_per_month=capacity_per_month,
        unit=unit,
        price_vnd=price_vnd,
        traceability_url=traceability_url,
    )
    _save(product, actor=actor, event="product.created")
    _record_rating(product, actor=actor)
    return product


@transaction.atomic
def product_update(*, actor: Account | None, product: Product, **changes: Any) -> Product:
    if not _owns_producer_id(actor, product.producer_id):
        _refuse(NON_FIELD_ERRORS, _("You may only change the products of your own producers."))
    if "producer" in changes and not _owns_producer_id(actor, _pk(changes["producer"])):
        _refuse("producer", _NOT_YOUR_PRODUCER)
    # Sending the rating back unchanged (a PUT of the whole record) is not setting it.
    rerated = {
        name: value
        for name, value in changes.items()
        if name in RATING_FIELDS and value != getattr(product, name)
    }
    _rating_set_by_planner(actor, rerated)
    if "rated_on" in rerated:
        _rated_in_the_past(rerated["rated_on"])
    _update(product, actor=actor, entity="product", changes=changes)
    if rerated:
        _record_rating(product, actor=actor)
    return product


@transaction.atomic
def product_rate(
    *,
    actor: Account | None,
    product: Product,
    stars: int,
    rated_on: dt.date,
    potential_five_star: bool = False,
    note: str = "",
) -> Rating:
    """Record a rating of ``product`` (planners and the system only) and return it.

    The rating is appended to the product's history; it becomes the product's own rating when it
    is the newest (no rating of the product has a later ``rated_on``). A second rating of the
    same product on the same day is refused, naming ``rated_on``.
    """
    _rating_set_by_planner(actor, dict.fromkeys(RATING_FIELDS, True))
    _rated_in_the_past(rated_on)
    rating = Rating(
        product=product,
        stars=stars,
        potential_five_star=potential_five_star,
        rated_on=rated_on,
        decided_by_id=actor.user_id if actor else None,
        note=note,
    )
    _check_rules(rating)
    if rated_on is not None and product.ratings.filter(rated_on=rated_on).exists():
        _refuse("rated_on", _("This product already has a rating given on that day."))
    rating.save()
    if product.rated_on is None or rated_on >= product.rated_on:
        before = {name: getattr(product, name) for name in RATING_FIELDS}
        try:
            product.stars, product.potential_five_star, product.rated_on = (
                stars,
                potential_five_star,
                rated_on,
            )
            _check_rules(product)
            product.save()
        except Exception:
            for name, value in before.items():
                setattr(product, name, value)
            raise
    _written(
        "product.rated",
        product.code,
        actor,
        {"stars": stars, "potential_five_star": potential_five_star, "rated_on": str(rated_on)},
    )
    return rating


@transaction.atomic
def product_delete(*, actor: Account | None, product: Product) -> None:
    _delete(product, actor=actor, entity="product")


_NOT_YOUR_CHAIN = _("You may only attach stores to your own chain.")


@transaction.atomic
def buyer_create(
    *,
    actor: Account | None,
    code: str,
    name: str,
    kind: str,
    chain: Buyer | None = None,
    area: Area | None = None,
    address: str = "",
    lat: float | None = None,
    lon: float | None = None,
    categories: str = "",
    min_stars: int | None = None,
    owner: models.Model | None = None,
) -> Buyer:
    if not _plans(actor):
        # A buyer account adds stores within the chains it owns, nothing else.
        if chain is None:
            _refuse("chain", _("A buyer account adds stores of its own chain; name the chain."))
        if chain.pk not in actor.buyer_ids:
            _refuse("chain", _NOT_YOUR_CHAIN)
    _owner_set_by_planner(actor, {"owner": owner} if owner is not None else {})
    _code_not_used_by(Producer, code, _("producer"))
    buyer = Buyer(
        code=code,
        name=name,
        kind=kind,
        chain=chain,
        area=area,
        address=address,
        lat=lat,
        lon=lon,
        categories=categories,
        min_stars=min_stars,
        owner=owner,
    )
    return _save(buyer, actor=actor, event="buyer.created")


@transaction.atomic
def buyer_update(*, actor: Account | None, buyer: Buyer, **changes: Any) -> Buyer:
    if not _owns_buyer(actor, buyer):
        _refuse(NON_FIELD_ERRORS, _("You may only change your own buyers."))
    if "chain" in changes:
        chain = changes["chain"]
        if _reaches(chain, buyer, "chain"):
            _refuse("chain", _("A buyer cannot be its own chain."))
        moved = _pk(chain) != buyer.chain_id
        if moved and not _plans(actor) and (chain is None or chain.pk not in actor.buyer_ids):
            _refuse("chain", _NOT_YOUR_CHAIN)
    _owner_set_by_planner(actor, changes)
    return _update(buyer, actor=actor, entity="buyer", changes=changes)


@transaction.atomic
def buyer_delete(*, actor: Account | None, buyer: Buyer) -> None:
    _delete(buyer, actor=actor, entity="buyer")


_NOT_YOUR_BUYER = _("You may only write requests of your own buyers.")


@transaction.atomic
def sourcing_request_create(
    *,
    actor: Account | None,
    code: str,
    buyer: Buyer,
    category: str,
    quantity_per_month: float,
    min_stars: int | None = None,
    max_distance_km: float | None = None,
    status: str = RequestStatus.OPEN,
) -> SourcingRequest:
    if not _owns_buyer(actor, buyer):
        _refuse("buyer", _NOT_YOUR_BUYER)
    request = SourcingRequest(
        code=code,
        buyer=buyer,
        category=category,
        quantity_per_month=quantity_per_month,
        min_stars=min_stars,
        max_distance_km=max_distance_km,
        status=status,
    )
    # What a notification needs to say without reading the request back.
    details = {
        "buyer": buyer.code,
        "category": category,
        "min_stars": min_stars,
        "quantity_per_month": quantity_per_month,
        "max_distance_km": max_distance_km,
    }
    return _save(request, actor=actor, event="sourcing_request.created", data=details)


@transaction.atomic
def sourcing_request_update(
    *, actor: Account | None, sourcing_request: SourcingRequest, **changes: Any
) -> SourcingRequest:
    if not _owns_buyer(actor, sourcing_request.buyer):
        _refuse(NON_FIELD_ERRORS, _("You may only change the requests of your own buyers."))
    if "buyer" in changes and not _owns_buyer(actor, changes["buyer"]):
        _refuse("buyer", _NOT_YOUR_BUYER)
    return _update(sourcing_request, actor=actor, entity="sourcing_request", changes=changes)


@transaction.atomic
def sourcing_request_delete(*, actor: Account | None, sourcing_request: SourcingRequest) -> None:
    _delete(sourcing_request, actor=actor, entity="sourcing_request")


@transaction.atomic
def linkage_create(
    *,
    actor: Account | None,
    kind: str,
    source_producer: Producer | None = None,
    source_buyer: Buyer | None = None,
    target_producer: Producer | None = None,
    target_buyer: Buyer | None = None,
    product: Product | None = None,
    volume_per_month: float | None = None,
    started_on: dt.date | None = None,
    ended_on: dt.date | None = None,
) -> Linkage:
    """A linkage from one producer or buyer to another; ``WriteRefused`` names a refused end as
    ``source_code`` or ``target_code``, as the API and the import files name them."""
    linkage = Linkage(
        kind=kind,
        source_producer=source_producer,
        source_buyer=source_buyer,
        target_producer=target_producer,
        target_buyer=target_buyer,
        product=product,
        volume_per_month=volume_per_month,
        started_on=started_on,
        ended_on=ended_on,
    )
    _check_ends_owned(actor, linkage)
    return _save(linkage, actor=actor, event="linkage.created", extra_rules=_check_key_free)


@transaction.atomic
def linkage_update(*, actor: Account | None, linkage: Linkage, **changes: Any) -> Linkage:
    if not _owns_linkage(actor, linkage):
        _refuse(NON_FIELD_ERRORS, _("You may only change your own linkages."))
    return _update(
        linkage,
        actor=actor,
        entity="linkage",
        changes=changes,
        check=lambda changed: _check_ends_owned(actor, changed),
        extra_rules=_check_key_free,
    )


@transaction.atomic
def linkage_delete(*, actor: Account | None, linkage: Linkage) -> None:
    _delete(linkage, actor=actor, entity="linkage")


def _owns_linkage(actor: Account | None, linkage: Linkage) -> bool:
    """A producer account's linkages leave its producers; a buyer account's reach its buyers."""
    if _plans(actor):
        return True
    if linkage.source_producer_id is not None and linkage.source_producer_id in actor.producer_ids:
        return True
    return linkage.target_buyer_id is not None and actor.owns_buyer(linkage.target_buyer)


def _check_ends_owned(actor: Account | None, linkage: Linkage) -> None:
    if not _owns_linkage(actor, linkage):
        field = "source_code" if actor.producer_ids else "target_code"
        _refuse(
            field,
            _(
                "A producer account links from its own producers; "
                "a buyer account links to its own buyers."
            ),
        )


def _check_key_free(linkage: Linkage) -> None:
    """Imports match linkages on their natural key, so one key names one linkage."""
    linkage.fill_derived()
    clash = Linkage.objects.filter(key=linkage.key)
    if linkage.pk is not None:
        clash = clash.exclude(pk=linkage.pk)
    if clash.exists():
        _refuse(NON_FIELD_ERRORS, _("This linkage is already registered."))


def _refuse(field: str, reason: str) -> NoReturn:
    raise WriteRefused({field: [reason]})


def _plans(actor: Account | None) -> bool:
    """The system and planners write everything."""
    return actor is None or actor.is_planner


def _require_planner(actor: Account | None) -> None:
    if not _plans(actor):
        _refuse(NON_FIELD_ERRORS, _("Only staff and planners may do this."))


def _pk(record: models.Model | None) -> int | None:
    return None if record is None else record.pk


def _owns_producer_id(actor: Account | None, producer_id: int | None) -> bool:
    return _plans(actor) or (producer_id is not None and producer_id in actor.producer_ids)


def _owns_buyer(actor: Account | None, buyer: Buyer | None) -> bool:
    return _plans(actor) or actor.owns_buyer(buyer)


def _owner_set_by_planner(actor: Account | None, changes: dict) -> None:
    # Accounts come from the programme's registry: nobody hands their records to someone else.
    if "owner" in changes and not _plans(actor):
        _refuse("owner", _("Only staff and planners may change who manages a record."))


def _rating_set_by_planner(actor: Account | None, rating: dict[str, Any]) -> None:
    """``rating`` holds the rating fields the write sets; only planners and the system set them."""
    if rating and not _plans(actor):
        raise WriteForbidden(
            {name: [_("Only planners may set the OCOP rating.")] for name in rating}
        )


def _rated_in_the_past(rated_on: dt.date | None) -> None:
    if rated_on is not None and rated_on > timezone.localdate():
        _refuse("rated_on", _("A rating cannot be given on a day still to come."))


def _record_rating(product: Product, *, actor: Account | None) -> None:
    """Keep the product's dated rating as a row of its history (that day's row is corrected)."""
    if product.stars is None or product.rated_on is None:
        return
    rating = Rating.objects.filter(product=product, rated_on=product.rated_on).first()
    if rating is None:
        rating = Rating(product=product, rated_on=product.rated_on)
    rating.stars = product.stars
    rating.potential_five_star = product.potential_five_star
    rating.decided_by_id = actor.user_id if actor else None
    rating.save()


def _code_not_used_by(model: type[models.Model], code: str, label: str) -> None:
    """Linkages name their ends by code alone, so one code names one producer or buyer."""
    if model.objects.filter(code=code).exists():
        _refuse(
            "code",
            _("The code %(code)s already names a %(label)s; choose another.")
            % {"code": code, "label": label},
        )


def _reaches(start: models.Model | None, record: models.Model, link: str) -> bool:
    """Whether following ``link`` (parent, chain) up from ``start`` comes back to ``record``."""
    seen = set()
    while start is not None and start.pk not in seen:
        if start.pk == record.pk:
            return True
        seen.add(start.pk)
        start = getattr(start, link)
    return False


def _check_rules(record: models.Model) -> None:
    """The model's own rules: field validators, ``clean()``, constraints and unique codes.

    Related records given as instances exist already (no query to look them up again), and the
    derived columns are only set by ``save()``, so both are left out of the field checks.
    """
    trusted = [
        field.name
        for field in record._meta.concrete_fields
        if not field.editable or (field.is_relation and getattr(record, field.attname) is not None)
    ]
    try:
        record.full_clean(exclude=trusted)
    except ValidationError as exc:
        raise WriteRefused(exc.message_dict) from exc


def _event_of(record: models.Model) -> tuple[str, dict]:
    """The code an event names the record by, and the details every event of it carries."""
    if isinstance(record, Linkage):
        return record.key, {"id": record.pk}
    return record.code, {}


# Writes whose record the snapshot can patch in by reading it again (``graph_cache._patched``).
_PATCHABLE = {"linkage", "product", "sourcing_request"}


def _written(event: str, code: str, actor: Account | None, data: dict) -> None:
    entity = event.partition(".")[0]
    key = data.get("id") if entity == "linkage" else code
    registry_changed(f"{entity}:{key}" if entity in _PATCHABLE and key is not None else "*")
    emit(Event(event, code=code, actor_id=actor.user_id if actor else None, data=data))


def _save(
    record: models.Model,
    *,
    actor: Account | None,
    event: str,
    data: dict | None = None,
    extra_rules: Callable[[models.Model], None] | None = None,
):
    _check_rules(record)
    if extra_rules is not None:
        extra_rules(record)
    record.save()
    code, details = _event_of(record)
    _written(event, code, actor, {**details, **(data or {})})
    return record


def _update(
    record: models.Model,
    *,
    actor: Account | None,
    entity: str,
    changes: dict[str, Any],
    check: Callable[[models.Model], None] | None = None,
    extra_rules: Callable[[models.Model], None] | None = None,
):
    """Apply ``changes`` (field name → value) to ``record`` and save it; on a refusal the record
    is left as it was, in the database and in memory."""
    writable = {f.name for f in record._meta.concrete_fields if f.editable and not f.primary_key}
    unknown = sorted(set(changes) - writable)
    if unknown:
        raise TypeError(f"{type(record).__name__} has no writable field {', '.join(unknown)}")
    if "code" in changes and changes["code"] != record.code:
        # Imports match rows on codes and linkages keep them in their keys.
        _refuse("code", _("A code is the record's stable key and cannot change."))
    before = {name: getattr(record, name) for name in changes}
    changed = sorted(name for name, value in changes.items() if before[name] != value)
    try:
        for name, value in changes.items():
            setattr(record, name, value)
        if check is not None:
            check(record)
        return _save(
            record,
            actor=actor,
            event=f"{entity}.updated",
            data={"fields": changed},
            extra_rules=extra_rules,
        )
    except Exception:
        for name, value in before.items():
            setattr(record, name, value)
        raise


def _delete(record: models.Model, *, actor: Account | None, entity: str) -> None:
    _require_planner(actor)
    code, details = _event_of(record)
    record.delete()
    _written(f"{entity}.deleted", code, actor, details)
