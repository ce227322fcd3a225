"""The OCOP rating is the council's: planners record it, producers read it, history as rows."""

import datetime as dt

import pytest
from django.utils import timezone

from linkage import services
from linkage.models import Product
from tests.factories import BuyerFactory, ProducerFactory

pytestmark = pytest.mark.django_db


def test_a_producer_setting_its_own_rating_is_forbidden_naming_the_field(producer_accounts):
    alice = producer_accounts[0]
    product = alice["product"]
    response = alice["client"].patch(
        f"/api/v1/products/{product.code}/",
        {"stars": 5, "rated_on": "2026-11-01"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 403
    assert response.json() == {
        "stars": ["Only planners may set the OCOP rating."],
        "rated_on": ["Only planners may set the OCOP rating."],
    }
    stored = Product.objects.get(pk=product.pk)
    assert (stored.stars, stored.rated_on) == (product.stars, product.rated_on)


def test_a_producer_creates_a_product_without_a_rating_but_not_with_one(producer_accounts):
    alice = producer_accounts[0]
    body = {"name": "Chè", "category": "beverages", "producer": alice["producer"].code}
    response = alice["client"].post("/api/v1/products/", {**body, "code": "SP-R", "stars": 4})
    assert response.status_code == 403
    assert "stars" in response.json()
    assert not Product.objects.filter(code="SP-R").exists()
    response = alice["client"].post("/api/v1/products/", {**body, "code": "SP-R"})
    assert response.status_code == 201, response.json()
    assert response.json()["stars"] is None


def test_a_buyer_may_not_rate_a_product(buyer_accounts, producer_accounts):
    product = producer_accounts[0]["product"]
    response = buyer_accounts[0]["client"].patch(f"/api/v1/products/{product.code}/", {"stars": 5})
    assert response.status_code == 403
    assert Product.objects.get(pk=product.pk).stars == product.stars


def test_a_planner_rates_and_the_history_is_listed_newest_first(planner, anonymous):
    product = services.product_create(
        actor=None,
        code="SP-H",
        name="Gốm",
        producer=ProducerFactory(),
        category="handicraft",
        stars=3,
        rated_on=dt.date(2021, 4, 1),
    )
    response = planner.patch(
        f"/api/v1/products/{product.code}/", {"stars": 4, "rated_on": "2024-04-01"}
    )
    assert response.status_code == 200, response.json()
    history = anonymous.get(f"/api/v1/products/{product.code}/ratings/")
    assert history.status_code == 200
    assert [(r["stars"], r["rated_on"], r["expires_on"]) for r in history.json()] == [
        (4, "2024-04-01", "2027-04-01"),
        (3, "2021-04-01", "2024-04-01"),
    ]
    assert "decided_by" not in history.json()[0]
    assert anonymous.get("/api/v1/products/NOPE/ratings/").status_code == 404


def test_a_rating_in_the_future_is_refused_naming_rated_on(planner, producer_accounts):
    product = producer_accounts[0]["product"]
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = planner.patch(f"/api/v1/products/{product.code}/", {"rated_on": str(tomorrow)})
    assert response.status_code == 400
    assert "rated_on" in response.json()
    assert not product.ratings.exists()


ENDPOINTS = {
    "areas": {"name": "X", "level": "commune"},
    "producers": {"name": "X", "kind": "cooperative"},
    "products": {"name": "X", "category": "food", "producer": "P-CODE"},
    "buyers": {"name": "X", "kind": "sales_point"},
    "sourcing-requests": {"buyer": "B-CODE", "category": "food", "quantity_per_month": 1},
}


@pytest.mark.parametrize("table", ENDPOINTS)
@pytest.mark.parametrize("code", ["REL/1", "A B", "a>b", ".."])
def test_a_code_that_cannot_be_opened_again_is_refused_naming_code(planner, table, code):
    ProducerFactory(code="P-CODE")
    BuyerFactory(code="B-CODE")
    response = planner.post(f"/api/v1/{table}/", {**ENDPOINTS[table], "code": code})
    assert response.status_code == 400, response.json()
    assert "code" in response.json()


def test_a_code_with_dots_and_underscores_is_created_and_opened(planner):
    code = "HN.DAN_PHUONG.LIEN_HA"
    response = planner.post("/api/v1/areas/", {"code": code, "name": "Liên Hà", "level": "commune"})
    assert response.status_code == 201, response.json()
    assert planner.get(f"/api/v1/areas/{code}/").status_code == 200
