"""Sourcing request price ranges: given over the API, the lowest never above the highest,
filtered, carried by import and export, and a product priced above the highest left out of the
request's supplier recommendations (one of unknown price kept)."""

import pytest
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from linkage import graph_cache
from linkage.exporter import table_frame
from linkage.importing import import_tables
from linkage.models import SourcingRequest
from tests.factories import (
    BuyerFactory,
    ChainFactory,
    ProducerFactory,
    ProductFactory,
    SourcingRequestFactory,
    StoreFactory,
    UserFactory,
)

from .conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    user = UserFactory(username="mart")
    BuyerFactory(code="B-1", owner=user, lat=21.0, lon=105.8)
    return user


def _post(user, **changes):
    body = {"buyer": "B-1", "category": "food", "quantity_per_month": 100, **changes}
    return client_for(user).post("/api/v1/sourcing-requests/", body, format="json")


def test_a_price_range_is_written_and_read_back(owner):
    answer = _post(owner, code="YC-1", price_min_vnd=20000, price_max_vnd=50000)
    assert answer.status_code == 201, answer.json()
    assert (answer.json()["price_min_vnd"], answer.json()["price_max_vnd"]) == (20000, 50000)
    stored = SourcingRequest.objects.get()
    assert (stored.price_min_vnd, stored.price_max_vnd) == (20000, 50000)
    # Either end alone is a range too, and none at all stays allowed.
    assert _post(owner, code="YC-2", price_max_vnd=50000).status_code == 201
    assert _post(owner, code="YC-3").json()["price_max_vnd"] is None


def test_a_lowest_price_above_the_highest_answers_400_naming_it(owner):
    answer = _post(owner, code="YC-1", price_min_vnd=60000, price_max_vnd=50000)
    assert answer.status_code == 400
    assert list(answer.json()) == ["price_max_vnd"]
    assert not SourcingRequest.objects.exists()
    assert list(_post(owner, code="YC-2", price_max_vnd=-1).json()) == ["price_max_vnd"]


def test_an_edit_is_checked_against_the_end_it_leaves_alone(owner):
    made = _post(owner, code="YC-1", price_min_vnd=20000).json()
    client = client_for(owner)
    url = f"/api/v1/sourcing-requests/{made['code']}/"
    lowered = client.patch(url, {"price_max_vnd": 10000}, format="json")
    assert lowered.status_code == 400 and list(lowered.json()) == ["price_max_vnd"]
    assert SourcingRequest.objects.get().price_max_vnd is None
    assert client.patch(url, {"price_max_vnd": 20000}, format="json").status_code == 200


def test_the_database_refuses_a_reversed_range_too():
    request = SourcingRequestFactory(code="YC-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        SourcingRequest.objects.filter(pk=request.pk).update(price_min_vnd=9, price_max_vnd=8)


def test_requests_are_filtered_by_the_price_they_accept(anonymous):
    buyer = BuyerFactory(code="B-2")
    SourcingRequestFactory(code="YC-CHEAP", buyer=buyer, price_max_vnd=30000)
    SourcingRequestFactory(code="YC-DEAR", buyer=buyer, price_max_vnd=90000)
    SourcingRequestFactory(code="YC-ANY", buyer=buyer)

    def codes(query):
        answer = anonymous.get(f"/api/v1/sourcing-requests/?{query}")
        assert answer.status_code == 200
        return sorted(row["code"] for row in answer.json()["results"])

    assert codes("accepts_price_vnd=50000") == ["YC-ANY", "YC-DEAR"]
    assert codes("accepts_price_vnd=30000") == ["YC-ANY", "YC-CHEAP", "YC-DEAR"]
    for wrong in ("cheap", "-1", "1e30"):
        answer = anonymous.get(f"/api/v1/sourcing-requests/?accepts_price_vnd={wrong}")
        assert answer.status_code == 400 and list(answer.json()) == ["accepts_price_vnd"]


def test_the_price_range_travels_through_import_and_export():
    BuyerFactory(code="B-3")
    row = {
        "code": "YC-FILE",
        "buyer_code": "B-3",
        "category": "food",
        "quantity_per_month": 10,
        "Giá tối thiểu": "15000",
        "Giá tối đa": "45000",
    }
    report = import_tables({"sourcing_requests": [row]})
    assert not report.errors, report.errors
    stored = SourcingRequest.objects.get(code="YC-FILE")
    assert (stored.price_min_vnd, stored.price_max_vnd) == (15000, 45000)
    frame = table_frame("sourcing_requests")
    line = frame.loc[frame["code"] == "YC-FILE"].iloc[0]
    assert (int(line["price_min_vnd"]), int(line["price_max_vnd"])) == (15000, 45000)
    assert not import_tables({"sourcing_requests": [row]}).errors


def test_an_imported_row_with_a_reversed_range_is_refused_on_the_column():
    BuyerFactory(code="B-3")
    row = {
        "code": "YC-FILE",
        "buyer_code": "B-3",
        "category": "food",
        "quantity_per_month": 10,
        "Giá tối thiểu": "90000",
        "Giá tối đa": "45000",
    }
    report = import_tables({"sourcing_requests": [row]})
    assert [error.column for error in report.errors] == ["price_max_vnd"]
    assert not SourcingRequest.objects.exists()


def test_supplier_recommendations_leave_out_products_above_the_highest_price():
    graph_cache.reset()
    chain = ChainFactory(code="CHAIN", categories="food")
    StoreFactory(code="STORE1", chain=chain, lat=21.01, lon=105.81)
    producer = ProducerFactory(code="HTX1", lat=21.0, lon=105.8)
    ProductFactory(code="SP-CHEAP", producer=producer, price_vnd=40000)
    ProductFactory(code="SP-DEAR", producer=producer, price_vnd=80000)
    ProductFactory(code="SP-UNKNOWN", producer=producer, price_vnd=None)
    SourcingRequestFactory(code="YC1", buyer=chain, price_max_vnd=50000)
    SourcingRequestFactory(code="YC2", buyer=chain)

    def products(code):
        body = APIClient().get("/api/v1/recommendations/suppliers/", {"request": code}).json()
        return sorted(row["product"]["code"] for row in body["results"])

    assert products("YC1") == ["SP-CHEAP", "SP-UNKNOWN"]
    assert products("YC2") == ["SP-CHEAP", "SP-DEAR", "SP-UNKNOWN"]
