"""The daily look for ratings about to expire: 6, 3 and 1 months before, each told once.

A product is due at a threshold of m months from the day m months before its rating's expiry
until the expiry. On each run every due product whose tightest due threshold has not been told
yet gets a ``RatingExpiryNotice`` for each due threshold (the record that makes a second run, or
the same day twice, tell nobody again) and a ``rating.expiring`` event, which the listeners turn
into the producer owner's notification, e-mail and webhook deliveries. A product first seen two
months before expiry is told once, at 3 months, not also at 6. A new rating (a new expiry) starts
over.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from linkage.dates import add_months
from linkage.events import Event, emit
from linkage.models import Product

from .models import RatingExpiryNotice

__all__ = ["THRESHOLDS_MONTHS", "notify_expiring_ratings"]

THRESHOLDS_MONTHS = (6, 3, 1)


def notify_expiring_ratings(*, today: dt.date | None = None) -> int:
    """Tell the owners of products whose rating expires within 6, 3 or 1 months, once per
    product and threshold; returns how many products were told."""
    today = today or timezone.localdate()
    products = (
        Product.objects.filter(
            rating_expires_on__gt=today,
            rating_expires_on__lte=add_months(today, max(THRESHOLDS_MONTHS)),
            producer__owner__isnull=False,
        )
        .select_related("producer")
        .order_by("code")
    )
    told = 0
    for product in products:
        expires_on = product.rating_expires_on
        due = [m for m in THRESHOLDS_MONTHS if today >= add_months(expires_on, -m)]
        if due and _record(product, expires_on, due):
            told += 1
    return told


@transaction.atomic
def _record(product: Product, expires_on: dt.date, due: list[int]) -> bool:
    months = min(due)
    _, created = RatingExpiryNotice.objects.get_or_create(
        product=product, expires_on=expires_on, months=months
    )
    if not created:
        return False
    for other in due:
        if other != months:
            RatingExpiryNotice.objects.get_or_create(
                product=product, expires_on=expires_on, months=other
            )
    emit(
        Event(
            "rating.expiring",
            code=product.code,
            data={
                "product": product.code,
                "product_name": product.name,
                "producer": product.producer.code,
                "stars": product.stars,
                "rated_on": product.rated_on.isoformat() if product.rated_on else None,
                "expires_on": expires_on.isoformat(),
                "months": months,
            },
        )
    )
    return True
