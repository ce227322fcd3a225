"""The allocation over the registry: which rows it reads, in how many queries, and the result."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from linkage.allocation import allocation_inputs, allocation_run, check_request_codes
from linkage.choices import RequestStatus
from linkage.distance import geodesic_km
from linkage.matching import NO_ELIGIBLE_SUPPLY, SUPPLY_USED_UP
from tests.factories import (
    BuyerFactory,
    ChainFactory,
    ProducerFactory,
    ProductFactory,
    SourcingRequestFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 1, 1)


def test_inputs_are_read_in_two_queries(django_assert_num_queries):
    chain = ChainFactory()
    for lat in (21.0, 21.1, 21.2):
        StoreFactory(chain=chain, lat=lat)
    SourcingRequestFactory(buyer=chain)
    SourcingRequestFactory.create_batch(3)
    ProductFactory.create_batch(5)
    with django_assert_num_queries(2):
        requests, supply = allocation_inputs(today=TODAY)
    assert len(requests) == 4
    assert len(supply) == 5


def test_a_chain_request_is_placed_at_its_stores():
    chain = ChainFactory()
    StoreFactory(chain=chain, lat=21.0, lon=105.8)
    StoreFactory(chain=chain, lat=20.0, lon=106.0)
    StoreFactory(chain=chain, lat=None, lon=None)
    SourcingRequestFactory(code="YC-CHAIN", buyer=chain)
    [request], _ = allocation_inputs(today=TODAY)
    assert sorted(request.points) == [(20.0, 106.0), (21.0, 105.8)]


def test_a_buyer_without_stores_is_placed_at_its_own_point():
    SourcingRequestFactory(buyer=BuyerFactory(lat=21.5, lon=105.5, categories="food,herbal"))
    [request], _ = allocation_inputs(today=TODAY)
    assert request.points == ((21.5, 105.5),)
    assert request.buyer_categories == ("food", "herbal")


def test_only_open_requests_are_read_and_a_code_list_narrows_them():
    SourcingRequestFactory(code="YC1")
    SourcingRequestFactory(code="YC2")
    SourcingRequestFactory(code="YC3", status=RequestStatus.CLOSED)
    everything, _ = allocation_inputs(today=TODAY)
    chosen, _ = allocation_inputs(request_codes=["YC2"], today=TODAY)
    assert [r.code for r in everything] == ["YC1", "YC2"]
    assert [r.code for r in chosen] == ["YC2"]


def test_expired_unrated_and_unplaced_products_are_not_read():
    SourcingRequestFactory()
    ProductFactory(code="ok")
    ProductFactory(code="expired", rated_on=TODAY - dt.timedelta(days=4 * 365))
    ProductFactory(code="unrated", stars=None)
    ProductFactory(code="unplaced", producer=ProducerFactory(lat=None, lon=None))
    ProductFactory(code="other-group", category="handicraft")
    _, supply = allocation_inputs(today=TODAY)
    assert [s.product for s in supply] == ["ok"]


def test_allocation_run_serves_from_the_nearest_supply_and_says_why_the_rest_is_unmet():
    buyer = BuyerFactory(lat=21.0, lon=105.8)
    near = ProductFactory(code="near", producer=ProducerFactory(code="HTX-near", lat=21.05))
    ProductFactory(code="far", producer=ProducerFactory(code="HTX-far", lat=21.3))
    SourcingRequestFactory(code="YC1", buyer=buyer, quantity_per_month=1500)
    SourcingRequestFactory(code="YC2", buyer=buyer, category="textiles")
    result = allocation_run()
    assert result["today"] == timezone.localdate().isoformat()
    first, second = result["requests"]
    assert first["served"] == 1500
    assert first["reason"] is None
    assert first["allocations"][0]["product"] == "near"
    assert first["allocations"][0]["producer"] == "HTX-near"
    assert first["allocations"][0]["quantity"] == near.capacity_per_month
    assert first["allocations"][0]["distance_km"] == pytest.approx(
        geodesic_km((21.0, 105.8), (21.05, 105.8)), abs=0.001
    )
    assert second["reason"] == NO_ELIGIBLE_SUPPLY
    assert result["served"] == 1500
    assert result["unmet"] == 500


def test_allocation_run_reports_supply_used_up():
    SourcingRequestFactory(code="YC1", quantity_per_month=5000)
    ProductFactory(capacity_per_month=1200)
    [outcome] = allocation_run()["requests"]
    assert outcome["reason"] == SUPPLY_USED_UP
    assert outcome["unmet"] == 3800


def test_a_store_request_follows_its_chains_rules_too():
    chain = ChainFactory(min_stars=5, categories="food")
    store = StoreFactory(chain=chain, min_stars=None, categories="")
    SourcingRequestFactory(code="YC1", buyer=store, min_stars=3, quantity_per_month=10)
    ProductFactory(stars=4, capacity_per_month=100)
    [outcome] = allocation_run()["requests"]
    assert outcome["served"] == 0
    assert outcome["reason"] == NO_ELIGIBLE_SUPPLY
    ProductFactory(stars=5, capacity_per_month=100)
    [outcome] = allocation_run()["requests"]
    assert outcome["served"] == 10


def test_check_request_codes_names_unknown_and_closed_codes():
    SourcingRequestFactory(code="YC1")
    SourcingRequestFactory(code="YC2", status=RequestStatus.CLOSED)
    with translation.override("en"), pytest.raises(ValidationError) as raised:
        check_request_codes(["YC1", "YC2", "NOPE"])
    messages = raised.value.messages
    assert any("NOPE" in m and "Unknown" in m for m in messages)
    assert any("YC2" in m and "not open" in m for m in messages)


def test_check_request_codes_drops_repeats():
    SourcingRequestFactory(code="YC1")
    assert check_request_codes(["YC1", "YC1"]) == ["YC1"]
