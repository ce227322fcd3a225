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

Proposals move through ``linkage.proposals.TRANSITIONS`` only (``proposal_transition``; a step
of the other party is ``WriteForbidden``), each step audited as a ``ProposalEvent``; reaching
``trading`` writes the ``sells_to`` linkage through ``linkage_create``/``linkage_update`` and
``ended`` ends it. Proposals, buyers' requirements and producers' credentials are not part of the
registry's snapshot: their writes emit their events (``proposal.created``,
``proposal.state_changed``, ``buyer_requirements.*``, ``credential.*``) without moving the
version; the linkage a proposal writes moves it as any linkage does.

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

from . import proposals as workflow
from .accounts import Account
from .choices import AreaScheme, LinkageKind, ProposalOrigin, ProposalSide, RequestStatus
from .events import Event, emit
from .graph_cache import bump_version
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
    "buyer_requirements_clear",
    "buyer_requirements_set",
    "buyer_update",
    "credential_delete",
    "credential_set",
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
    "proposal_create",
    "proposal_transition",
    "proposals_from_allocation",
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
    official_code: str = "",
    scheme: str = AreaScheme.CURRENT,
    successor: Area | None = None,
) -> Area:
    _require_planner(actor)
    area = Area(
        code=code,
        name=name,
        level=level,
        parent=parent,
        lat=lat,
        lon=lon,
        population=population,
        official_code=official_code,
        scheme=scheme,
        successor=successor,
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
    legacy_area: Area | None = None,
    address: str = "",
    lat: float | None = None,
    lon: float | None = None,
    members: int | None = None,
    owner: models.Model | None = None,
    contact_person: str = "",
    phone: str = "",
    email: str = "",
) -> Producer:
    _require_planner(actor)
    _code_not_used_by(Buyer, code, _("buyer"))
    producer = Producer(
        code=code,
        name=name,
        kind=kind,
        area=area,
        legacy_area=legacy_area,
        address=address,
        lat=lat,
        lon=lon,
        members=members,
        owner=owner,
        contact_person=contact_person,
        phone=phone,
        email=email,
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
    contact_person: str = "",
    phone: str = "",
    email: str = "",
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
        contact_person=contact_person,
        phone=phone,
        email=email,
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
    code: str = "",
    buyer: Buyer,
    category: str,
    quantity_per_month: float,
    min_stars: int | None = None,
    max_distance_km: float | None = None,
    status: str = RequestStatus.OPEN,
    deadline: dt.date | None = None,
    price_min_vnd: int | None = None,
    price_max_vnd: int | None = None,
) -> SourcingRequest:
    """A buyer's sourcing request; without a ``code``, the next free ``YC-<yyyymmdd>-<n>``.

    A ``deadline`` (the last day proposals are sought) may not be in the past; a price range
    (đồng) may not have its minimum above its maximum."""
    if not _owns_buyer(actor, buyer):
        _refuse("buyer", _NOT_YOUR_BUYER)
    _check_deadline(deadline)
    _check_price_range(price_min_vnd, price_max_vnd)
    request = SourcingRequest(
        code=code or _next_request_code(),
        buyer=buyer,
        category=category,
        quantity_per_month=quantity_per_month,
        min_stars=min_stars,
        max_distance_km=max_distance_km,
        status=status,
        deadline=deadline,
        price_min_vnd=price_min_vnd,
        price_max_vnd=price_max_vnd,
    )
    # What a notification needs to say without reading the request back.
    details = {
        "buyer": buyer.code,
        "category": category,
        "min_stars": min_stars,
        "quantity_per_month": quantity_per_month,
        "max_distance_km": max_distance_km,
        "deadline": deadline.isoformat() if deadline else None,
        "price_min_vnd": price_min_vnd,
        "price_max_vnd": price_max_vnd,
    }
    return _save(request, actor=actor, event="sourcing_request.created", data=details)


def _check_deadline(deadline: dt.date | None) -> None:
    # A deadline already passed would take the request out of matching the day it is written.
    if deadline is not None and deadline < timezone.localdate():
        _refuse("deadline", _("A deadline cannot be in the past."))


def _check_price_range(price_min_vnd: int | None, price_max_vnd: int | None) -> None:
    # Named on the maximum: it is the bound matching reads, and the one a user lowers by mistake.
    if price_min_vnd is not None and price_max_vnd is not None and price_min_vnd > price_max_vnd:
        _refuse("price_max_vnd", _("The highest price cannot be below the lowest."))


def _next_request_code() -> str:
    prefix = f"YC-{timezone.localdate():%Y%m%d}-"
    taken = set(
        SourcingRequest.objects.filter(code__startswith=prefix).values_list("code", flat=True)
    )
    number = len(taken) + 1
    while f"{prefix}{number}" in taken:
        number += 1
    return f"{prefix}{number}"


@transaction.atomic
def sourcing_request_update(
    *, actor: Account | None, sourcing_request: SourcingRequest, **changes: Any
) -> SourcingRequest:
    if not _owns_buyer(actor, sourcing_request.buyer):
        _refuse(NON_FIELD_ERRORS, _("You may only change the requests of your own buyers."))
    if "buyer" in changes and not _owns_buyer(actor, changes["buyer"]):
        _refuse("buyer", _NOT_YOUR_BUYER)
    if "deadline" in changes and changes["deadline"] != sourcing_request.deadline:
        _check_deadline(changes["deadline"])
    if "price_min_vnd" in changes or "price_max_vnd" in changes:
        _check_price_range(
            changes.get("price_min_vnd", sourcing_request.price_min_vnd),
            changes.get("price_max_vnd", sourcing_request.price_max_vnd),
        )
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


@transaction.atomic
def buyer_requirements_set(
    *,
    actor: Account | None,
    buyer: Buyer,
    documents: list[str] | str = (),
    min_volume_per_month: float | None = None,
    packaging: str = "",
    payment_terms: str = "",
) -> BuyerRequirements:
    """Declare ``buyer``'s requirements (replacing any it had); a chain's hold for its stores
    that declare none of their own."""
    if not _owns_buyer(actor, buyer):
        _refuse(NON_FIELD_ERRORS, _("You may only change your own buyers."))
    if not isinstance(documents, str):
        documents = ",".join(dict.fromkeys(documents))
    requirements = BuyerRequirements.objects.filter(buyer=buyer).first() or BuyerRequirements(
        buyer=buyer
    )
    requirements.documents = documents
    requirements.min_volume_per_month = min_volume_per_month
    requirements.packaging = packaging
    requirements.payment_terms = payment_terms
    _check_rules(requirements)
    requirements.save()
    _told("buyer_requirements.updated", buyer.code, actor, {"documents": documents})
    return requirements


@transaction.atomic
def buyer_requirements_clear(*, actor: Account | None, buyer: Buyer) -> None:
    """Remove ``buyer``'s own requirements: a store then follows its chain's again."""
    if not _owns_buyer(actor, buyer):
        _refuse(NON_FIELD_ERRORS, _("You may only change your own buyers."))
    BuyerRequirements.objects.filter(buyer=buyer).delete()
    _told("buyer_requirements.deleted", buyer.code, actor, {})


@transaction.atomic
def credential_set(
    *,
    actor: Account | None,
    producer: Producer,
    kind: str,
    expires_on: dt.date | None = None,
    reference: str = "",
) -> Credential:
    """Record that ``producer`` holds a ``kind`` of credential until ``expires_on`` (None: no
    expiry); one of each kind, a second one replaces the first."""
    if not _owns_producer_id(actor, producer.pk):
        _refuse(NON_FIELD_ERRORS, _("You may only change your own producers."))
    credential = Credential.objects.filter(producer=producer, kind=kind).first() or Credential(
        producer=producer, kind=kind
    )
    credential.expires_on = expires_on
    credential.reference = reference
    _check_rules(credential)
    credential.save()
    _told(
        "credential.updated",
        producer.code,
        actor,
        {"kind": kind, "expires_on": expires_on.isoformat() if expires_on else None},
    )
    return credential


@transaction.atomic
def credential_delete(*, actor: Account | None, credential: Credential) -> None:
    if not _owns_producer_id(actor, credential.producer_id):
        _refuse(NON_FIELD_ERRORS, _("You may only change your own producers."))
    code, kind = credential.producer.code, credential.kind
    credential.delete()
    _told("credential.deleted", code, actor, {"kind": kind})


def proposal_sides(actor: Account | None, *, product: Product, buyer: Buyer) -> set[str]:
    """The sides of a product–buyer pair ``actor`` is on: "producer" (it owns the product's
    producer), "buyer" (it owns the buyer or the buyer's chain), both, or none."""
    if actor is None:
        return set()
    sides = set()
    if product.producer_id in actor.producer_ids:
        sides.add(ProposalSide.PRODUCER.value)
    if buyer.pk in actor.buyer_ids or (
        buyer.chain_id is not None and buyer.chain_id in actor.buyer_ids
    ):
        sides.add(ProposalSide.BUYER.value)
    return sides


@transaction.atomic
def proposal_create(
    *,
    actor: Account | None,
    product: Product,
    buyer: Buyer,
    proposed_by: str | None = None,
    origin: str = ProposalOrigin.OTHER,
    sourcing_request: SourcingRequest | None = None,
    note: str = "",
    proposed_on: dt.date | None = None,
) -> Proposal:
    """Propose ``product`` to ``buyer`` (an outlet or a chain), from the actor's side.

    ``proposed_by`` defaults to the side the actor is on; planners (and the system) say which,
    and alone may date a proposal other than today. Refused: an actor on neither side (403), a
    side the actor is not on, a sourcing request of another buyer, or (but for planners and the
    system) one closed or past its deadline, a second open proposal of the same product to the
    same buyer.
    """
    planner = _plans(actor)
    sides = proposal_sides(actor, product=product, buyer=buyer)
    if not planner and not sides:
        raise WriteForbidden(
            {
                NON_FIELD_ERRORS: [
                    _("Only the product's producer or the buyer may propose this pair.")
                ]
            }
        )
    if proposed_by is None:
        if len(sides) != 1:
            _refuse("proposed_by", _("Say which side proposes: producer or buyer."))
        proposed_by = next(iter(sides))
    if proposed_by not in ProposalSide.values:
        _refuse("proposed_by", _("Must be producer or buyer."))
    if not planner and proposed_by not in sides:
        _refuse("proposed_by", _("You may only propose from your own side."))
    if sourcing_request is not None and sourcing_request.buyer_id not in (
        buyer.pk,
        buyer.chain_id,
    ):
        _refuse("sourcing_request", _("The sourcing request is not this buyer's."))
    if origin == ProposalOrigin.SOURCING_REQUEST and sourcing_request is None:
        _refuse("sourcing_request", _("Name the sourcing request the proposal answers."))
    today = timezone.localdate()
    if proposed_on is None or not planner:
        proposed_on = today
    # A request seeks proposals while open and until its deadline; planners and the system may
    # record proposals made before it closed.
    if (
        sourcing_request is not None
        and not planner
        and (sourcing_request.status != RequestStatus.OPEN or sourcing_request.is_overdue(today))
    ):
        _refuse(
            "sourcing_request",
            _("The sourcing request is closed or past its deadline: it takes no proposals."),
        )
    open_one = (
        Proposal.objects.filter(product=product, buyer=buyer)
        .exclude(state__in=workflow.FINAL)
        .values_list("pk", flat=True)
        .first()
    )
    if open_one is not None:
        _refuse(
            NON_FIELD_ERRORS,
            _("This product already has an open proposal to this buyer (%(id)s).")
            % {"id": open_one},
        )
    proposal = Proposal(
        product=product,
        buyer=buyer,
        proposed_by=proposed_by,
        origin=origin,
        sourcing_request=sourcing_request,
        note=note,
        proposed_on=proposed_on,
    )
    _check_rules(proposal)
    proposal.fill_derived()
    if Proposal.objects.filter(key=proposal.key).exists():
        _refuse(
            "proposed_on",
            _("This product was already proposed to this buyer on that day."),
        )
    proposal.save()
    ProposalEvent.objects.create(
        proposal=proposal,
        user_id=actor.user_id if actor else None,
        by="planner" if planner and actor is not None else (proposed_by if actor else "system"),
        to_state=proposal.state,
        note=note,
    )
    emit(
        Event(
            "proposal.created",
            code=str(proposal.pk),
            actor_id=actor.user_id if actor else None,
            data={
                "id": proposal.pk,
                "product": product.code,
                "producer": product.producer.code,
                "buyer": buyer.code,
                "proposed_by": proposed_by,
                "state": proposal.state,
            },
        )
    )
    return proposal


@transaction.atomic
def proposal_transition(
    *, actor: Account | None, proposal: Proposal, to: str, note: str = ""
) -> Proposal:
    """Move ``proposal`` to the state ``to``, as ``linkage.proposals.TRANSITIONS`` allows.

    Refused naming ``to``: a step outside the table (400), a step that belongs to the other
    party (``WriteForbidden``, 403). Reaching ``trading`` creates the ``sells_to`` linkage
    product → buyer, or reactivates it when it had ended; ``ended`` ends it. Both go through
    ``linkage_create`` / ``linkage_update``, so the registry's version moves on.
    """
    # Another request may be moving the same proposal: read it again, locked.
    proposal = (
        Proposal.objects.select_for_update()
        .select_related("product__producer", "buyer")
        .get(pk=proposal.pk)
    )
    planner = _plans(actor)
    sides = proposal_sides(actor, product=proposal.product, buyer=proposal.buyer)
    start = proposal.state
    try:
        by = workflow.decide(
            start, to, proposed_by=proposal.proposed_by, sides=sides, planner=planner
        )
    except workflow.IllegalTransition:
        allowed = ", ".join(workflow.allowed_next(start)) or _("none: the proposal is closed")
        _refuse(
            "to",
            _("A proposal in state %(state)s cannot move to %(to)s (allowed: %(allowed)s).")
            % {"state": start, "to": to, "allowed": allowed},
        )
    except workflow.WrongParty as refused:
        party = refused.party
        reason = {
            workflow.RECEIVER: _("Only the side that received the proposal may do this."),
            workflow.PROPOSER: _("Only the side that made the proposal may withdraw it."),
            workflow.BUYER: _("Only the buyer may mark the trade as started."),
        }.get(party, _("Only the producer or the buyer of this proposal may do this."))
        raise WriteForbidden({"to": [reason]}) from None
    if actor is None:
        by = "system"
    today = timezone.localdate()
    proposal.state = to
    setattr(proposal, workflow.STAGE_DATES[to], today)
    if to == workflow.TRADING:
        proposal.linkage = _trading_linkage(actor, proposal, today)
    elif to == workflow.ENDED and proposal.linkage_id is not None:
        linkage = Linkage.objects.select_related("source_producer", "target_buyer", "product").get(
            pk=proposal.linkage_id
        )
        if linkage.ended_on is None:
            ended = max(today, linkage.started_on) if linkage.started_on else today
            linkage_update(actor=actor, linkage=linkage, ended_on=ended)
    proposal.save()
    ProposalEvent.objects.create(
        proposal=proposal,
        user_id=actor.user_id if actor else None,
        by=by,
        from_state=start,
        to_state=to,
        note=note,
    )
    emit(
        Event(
            "proposal.state_changed",
            code=str(proposal.pk),
            actor_id=actor.user_id if actor else None,
            data={
                "id": proposal.pk,
                "product": proposal.product.code,
                "producer": proposal.product.producer.code,
                "buyer": proposal.buyer.code,
                "from": start,
                "to": to,
                "by": by,
            },
        )
    )
    return proposal


def _trading_linkage(actor: Account | None, proposal: Proposal, today: dt.date) -> Linkage:
    """The ``sells_to`` linkage product → buyer: created, or started again if it had ended."""
    producer, buyer, product = proposal.product.producer, proposal.buyer, proposal.product
    key = Linkage.make_key(LinkageKind.SELLS_TO, producer.code, buyer.code, product.code)
    linkage = (
        Linkage.objects.select_related("source_producer", "target_buyer", "product")
        .filter(key=key)
        .first()
    )
    if linkage is None:
        return linkage_create(
            actor=actor,
            kind=LinkageKind.SELLS_TO,
            source_producer=producer,
            target_buyer=buyer,
            product=product,
            started_on=today,
        )
    if linkage.ended_on is not None:
        linkage_update(actor=actor, linkage=linkage, started_on=today, ended_on=None)
    return linkage


@transaction.atomic
def proposals_from_allocation(*, actor: Account | None, lines: list[dict]) -> list[Proposal]:
    """Proposals from the lines of an allocation a buyer accepts, all or none.

    Each line is ``{"sourcing_request": SourcingRequest, "product": Product, "note": str}``: the
    product is proposed by the buyer side to the request's buyer, with origin ``allocation``. A
    refused line is named by its position (``lines``: "2: …").
    """
    made = []
    for position, line in enumerate(lines):
        request = line["sourcing_request"]
        try:
            made.append(
                proposal_create(
                    actor=actor,
                    product=line["product"],
                    buyer=request.buyer,
                    proposed_by=ProposalSide.BUYER,
                    origin=ProposalOrigin.ALLOCATION,
                    sourcing_request=request,
                    note=line.get("note", ""),
                )
            )
        except WriteRefused as refused:
            reasons = [
                f"{position}: {reason}"
                for messages in refused.errors.values()
                for reason in messages
            ]
            raise type(refused)({"lines": reasons}) from None
    return made


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


def _told(event: str, code: str, actor: Account | None, data: dict) -> None:
    """Emit the event of a write the registry's snapshot does not hold (requirements,
    credentials): nothing to read again, so the version stays."""
    emit(Event(event, code=code, actor_id=actor.user_id if actor else None, data=data))


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
