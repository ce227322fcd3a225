"""The domain events the notifications listen to, and who each one is for.

- ``sourcing_request.created``: the owners of producers with a product meeting the request
  (``matching``), each told of their own products;
- ``proposal.created``: the other side's owners (the buyer's, with its chain's, when the
  producer proposed; the producer's when the buyer did);
- ``proposal.state_changed``: both sides' owners;
- ``rating.expiring`` (the daily job, ``expiry``): the product's producer's owner.

Never the actor of the event (``notify`` leaves it out).
"""

from __future__ import annotations

from linkage import events
from linkage.events import Event
from linkage.models import Buyer, Producer, Product

from . import messages
from .matching import matching_products
from .recipients import buyer_owners, producer_owners
from .services import notify

__all__ = ["HANDLERS", "connect"]


def on_sourcing_request_created(event: Event) -> None:
    request, by_owner = matching_products(event.code)
    if not by_owner:
        return
    base = {
        "request": request.code,
        "buyer": request.buyer.code,
        "buyer_name": request.buyer.name,
        "category": request.category,
        "min_stars": request.min_stars,
        "quantity_per_month": request.quantity_per_month,
        "max_distance_km": request.max_distance_km,
    }
    params_for = {
        user_id: {**base, "products": [{"code": p.code, "name": p.name} for p in products]}
        for user_id, products in by_owner.items()
    }
    notify(
        event=event,
        kind=messages.SOURCING_REQUEST_MATCHED,
        params_for=params_for,
        subject_type="sourcing_request",
        subject_code=request.code,
        link=f"/api/v1/sourcing-requests/{request.code}/",
        data_for=lambda user_id: {"products": [p.code for p in by_owner.get(user_id, [])]},
    )


def _proposal_params(event: Event) -> dict:
    data = event.data
    product = Product.objects.filter(code=data.get("product")).values_list("name", flat=True)
    producer = Producer.objects.filter(code=data.get("producer")).values_list("name", flat=True)
    buyer = Buyer.objects.filter(code=data.get("buyer")).values_list("name", flat=True)
    return {
        **data,
        "id": data.get("id", event.code),
        "product_name": product.first(),
        "producer_name": producer.first(),
        "buyer_name": buyer.first(),
    }


def _proposal_notify(event: Event, kind: str, recipients: set[int]) -> None:
    params = _proposal_params(event)
    notify(
        event=event,
        kind=kind,
        params_for=dict.fromkeys(recipients, params),
        subject_type="proposal",
        subject_code=str(params["id"]),
        link=f"/api/v1/proposals/{params['id']}/",
    )


def on_proposal_created(event: Event) -> None:
    data = event.data
    if data.get("proposed_by") == "buyer":
        recipients = producer_owners([data.get("producer")])
    else:
        recipients = buyer_owners([data.get("buyer")])
    _proposal_notify(event, messages.PROPOSAL_RECEIVED, recipients)


def on_proposal_state_changed(event: Event) -> None:
    data = event.data
    recipients = producer_owners([data.get("producer")]) | buyer_owners([data.get("buyer")])
    _proposal_notify(event, messages.PROPOSAL_STATE_CHANGED, recipients)


def on_rating_expiring(event: Event) -> None:
    recipients = producer_owners([event.data.get("producer")])
    params = dict(event.data)
    notify(
        event=event,
        kind=messages.RATING_EXPIRING,
        params_for=dict.fromkeys(recipients, params),
        subject_type="product",
        subject_code=event.code,
        link=f"/api/v1/products/{event.code}/",
    )


HANDLERS = {
    "sourcing_request.created": on_sourcing_request_created,
    "proposal.created": on_proposal_created,
    "proposal.state_changed": on_proposal_state_changed,
    "rating.expiring": on_rating_expiring,
}


def connect() -> None:
    """Listen to the events above (called once per process, from the app's ``ready``)."""
    for name, handler in HANDLERS.items():
        events.listen(name, handler)
