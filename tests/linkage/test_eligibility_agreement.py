"""The recommendations and the allocation obey one set of eligibility rules."""

import datetime as dt
import random

import pytest
from django.utils import timezone

from linkage.allocation import allocation_inputs
from linkage.choices import BuyerKind, Category
from linkage.matching import eligible_pairs
from linkage.models import SourcingRequest
from linkage.recommend import Recommender, recommend_suppliers
from linkage.selectors import snapshot_from_db
from tests.factories import (
    BuyerFactory,
    ChainFactory,
    ProducerFactory,
    ProductFactory,
    SourcingRequestFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db


def _groups(rng: random.Random) -> str:
    return ",".join(sorted(rng.sample(list(Category.values), rng.randint(0, 3))))


def _point(rng: random.Random) -> dict:
    return {"lat": 21.0 + rng.uniform(-0.5, 0.5), "lon": 105.8 + rng.uniform(-0.5, 0.5)}


def _registry(rng: random.Random, today: dt.date) -> None:
    """Chains, stores, sales points and a platform with random rules; producers, some with no
    place, and products with random groups, stars and rating dates; requests for every buyer."""
    stars = [None, 3, 4, 5]
    chains = [ChainFactory(categories=_groups(rng), min_stars=rng.choice(stars)) for _ in range(2)]
    buyers = [*chains]
    for _ in range(4):
        buyers.append(
            StoreFactory(
                chain=rng.choice(chains),
                categories=_groups(rng),
                min_stars=rng.choice(stars),
                **_point(rng),
            )
        )
    for _ in range(2):
        buyers.append(BuyerFactory(categories=_groups(rng), min_stars=3, **_point(rng)))
    buyers.append(BuyerFactory(kind=BuyerKind.ECOMMERCE, lat=None, lon=None, min_stars=3))
    producers = [
        ProducerFactory(**(_point(rng) if rng.random() < 0.7 else {"lat": None, "lon": None}))
        for _ in range(12)
    ]
    for _ in range(60):
        rated = rng.random()
        ProductFactory(
            producer=rng.choice(producers),
            category=rng.choice(list(Category.values)),
            stars=rng.choice([None, 3, 3, 4, 4, 5]),
            rated_on=(None if rated < 0.1 else today - dt.timedelta(days=rng.randint(0, 5 * 365))),
        )
    for buyer in buyers:
        for _ in range(2):
            SourcingRequestFactory(
                buyer=buyer,
                category=rng.choice(list(Category.values)),
                min_stars=rng.choice(stars),
                max_distance_km=rng.choice([None, 10.0, 25.0, 60.0]),
            )


@pytest.mark.parametrize("seed", range(4))
def test_recommendations_and_allocation_agree_on_who_may_supply_whom(seed):
    today = timezone.localdate()
    _registry(random.Random(seed), today)
    requests, supply = allocation_inputs(today=today)
    pairs = eligible_pairs(requests, supply, today=today)
    allocated = {
        (requests[i].code, supply[j].product)
        for i, j in zip(pairs.request.tolist(), pairs.supply.tolist(), strict=True)
    }
    recommender = Recommender.build(snapshot_from_db(today=today), today=today)
    recommended = set()
    for request in SourcingRequest.objects.select_related("buyer"):
        found = recommend_suppliers(
            recommender,
            buyer=request.buyer.code,
            category=request.category,
            min_stars=request.min_stars,
            max_distance_km=request.max_distance_km,
            k=10_000,
            include_linked=True,
            as_of=today,
        )
        recommended |= {(request.code, row["product"]["code"]) for row in found["results"]}
    assert allocated  # the random registries do allow some supply
    assert recommended == allocated
