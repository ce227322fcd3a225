"""Which producers' products a new sourcing request is for: the allocation's hard rules.

The request's product group, taken by its buyer (under its chain's rules for a store); stars at
least the request's minimum and the buyer's (``linkage.eligibility.buyer_rules``); the rating in
force today (``rating_in_force``); a price not above the request's highest, when it sets one
(``SourcingRequest.price_fits_q``: a product of unknown price is kept); and, when the request
sets ``max_distance_km``, the producer within that distance of the buyer, or for a chain of the
chain or any of its stores
(``linkage.distance.within_km``). A producer without coordinates is never within a distance.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from django.utils import timezone

from linkage.choices import BuyerKind, RequestStatus
from linkage.distance import within_km
from linkage.eligibility import buyer_rules, rating_in_force
from linkage.models import Buyer, Product, SourcingRequest

__all__ = ["matching_products"]


def matching_products(request_code: str) -> tuple[SourcingRequest | None, dict[int, list[Product]]]:
    """The open request with this code and, per owning user id, that user's products meeting it
    (products of producers without an account are left out: nobody to tell)."""
    request = (
        SourcingRequest.objects.select_related("buyer__chain").filter(code=request_code).first()
    )
    if request is None or request.status != RequestStatus.OPEN:
        return request, {}
    buyer, chain = request.buyer, request.buyer.chain
    rules = buyer_rules(
        buyer.categories,
        buyer.min_stars,
        chain.categories if chain else None,
        chain.min_stars if chain else None,
    )
    if not rules.takes(request.category):
        return request, {}
    min_stars = max(request.min_stars or 0, rules.min_stars, 1)
    today = timezone.localdate()
    products = [
        product
        for product in Product.objects.filter(
            request.price_fits_q(),
            category=request.category,
            stars__gte=min_stars,
            producer__owner__isnull=False,
        )
        .select_related("producer")
        .order_by("code")
        if rating_in_force(product.rated_on, product.rating_expires_on, today)
    ]
    if request.max_distance_km is not None:
        products = _within(products, _points_of(buyer), request.max_distance_km)
    by_owner: dict[int, list[Product]] = defaultdict(list)
    for product in products:
        by_owner[product.producer.owner_id].append(product)
    return request, dict(by_owner)


def _points_of(buyer: Buyer) -> list[tuple[float, float]]:
    points = [buyer.point] if buyer.point else []
    if buyer.kind == BuyerKind.RETAIL_CHAIN:
        stores = Buyer.objects.filter(chain=buyer, lat__isnull=False).values_list("lat", "lon")
        points += list(stores)
    return points


def _within(products: list[Product], points, radius_km: float) -> list[Product]:
    located = [p for p in products if p.producer.point is not None]
    if not located or not points:
        return []
    lat = np.array([p.producer.lat for p in located])[:, None]
    lon = np.array([p.producer.lon for p in located])[:, None]
    blat = np.array([pt[0] for pt in points])[None, :]
    blon = np.array([pt[1] for pt in points])[None, :]
    near = within_km(lat, lon, blat, blon, radius_km).any(axis=1)
    return [product for product, keep in zip(located, near, strict=True) if keep]
