"""Reads of the registry: querysets with the joins their readers need (no N+1 on lists)."""

import datetime as dt

from django.db.models import Q, QuerySet

from .dates import add_months
from .models import Area, Buyer, Linkage, Producer, Product, SourcingRequest

__all__ = [
    "EXPIRING_WITHIN_MONTHS",
    "area_list",
    "buyer_list",
    "in_area",
    "linkage_list",
    "producer_list",
    "product_list",
    "rating_status",
    "sourcing_request_list",
]

EXPIRING_WITHIN_MONTHS = 6


def area_list() -> QuerySet[Area]:
    return Area.objects.select_related("parent")


def producer_list() -> QuerySet[Producer]:
    return Producer.objects.select_related("area")


def product_list() -> QuerySet[Product]:
    return Product.objects.select_related("producer")


def buyer_list() -> QuerySet[Buyer]:
    return Buyer.objects.select_related("chain", "area")


def linkage_list() -> QuerySet[Linkage]:
    return Linkage.objects.select_related(
        "source_producer", "source_buyer", "target_producer", "target_buyer", "product"
    )


def sourcing_request_list() -> QuerySet[SourcingRequest]:
    return SourcingRequest.objects.select_related("buyer")


def in_area(area_path: str, code: str) -> Q:
    """Records whose area (reached through ``area_path``) is ``code`` or lies inside it.

    Areas nest at most three deep (province > district > commune), so three joins reach every
    ancestor without a recursive query, on SQLite and PostgreSQL alike.
    """
    return (
        Q(**{f"{area_path}__code": code})
        | Q(**{f"{area_path}__parent__code": code})
        | Q(**{f"{area_path}__parent__parent__code": code})
    )


def rating_status(expires_on: dt.date | None, today: dt.date | None = None) -> str | None:
    """The rating's status on ``today``: "valid", "expiring" (within six months), "expired", or
    None when never rated."""
    if expires_on is None:
        return None
    today = today or dt.date.today()
    # The expiry day is the first day without a valid rating (36 months from the rating).
    if expires_on <= today:
        return "expired"
    if expires_on <= add_months(today, EXPIRING_WITHIN_MONTHS):
        return "expiring"
    return "valid"
