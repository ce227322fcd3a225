"""Contacts, requirements and credentials: visible to counterparts and planners only."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group

from linkage import services
from linkage.models import BuyerRequirements, Credential
from tests.api.conftest import client_for
from tests.factories import (
    BuyerFactory,
    ChainFactory,
    ProducerFactory,
    ProductFactory,
    StoreFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CONTACT = {"contact_person": "Nguyễn Văn An", "phone": "+84 912 345 678", "email": "an@htx.vn"}
FIELDS = list(CONTACT)


@pytest.fixture
def world():
    coop_user, mart_user = UserFactory(username="coop"), UserFactory(username="mart")
    other_coop, other_mart = UserFactory(username="coop2"), UserFactory(username="mart2")
    producer = ProducerFactory(owner=coop_user, **CONTACT)
    ProducerFactory(owner=other_coop)
    chain = ChainFactory(owner=mart_user, **CONTACT)
    store = StoreFactory(chain=chain, **CONTACT)
    BuyerFactory(owner=other_mart)
    planner = UserFactory(username="plan")
    planner.groups.add(Group.objects.get_or_create(name="planners")[0])
    return {
        "producer": producer,
        "chain": chain,
        "store": store,
        "clients": {
            "anonymous": client_for(None),
            "stranger": client_for(UserFactory(username="stranger")),
            "planner": client_for(planner),
            "own producer": client_for(coop_user),
            "own buyer": client_for(mart_user),
            "other producer": client_for(other_coop),
            "other buyer": client_for(other_mart),
        },
    }


# Who sees a producer's contacts, and who a buyer's.
SEES_PRODUCER = {"planner", "own producer", "own buyer", "other buyer"}
SEES_BUYER = {"planner", "own producer", "own buyer", "other producer"}


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize(
    "reader",
    [
        "anonymous",
        "stranger",
        "planner",
        "own producer",
        "own buyer",
        "other producer",
        "other buyer",
    ],
)
def test_each_contact_field_only_for_counterparts(world, reader, field):
    client = world["clients"][reader]
    producer = client.get(f"/api/v1/producers/{world['producer'].code}/").json()
    expected = CONTACT[field] if reader in SEES_PRODUCER else None
    assert producer[field] == expected
    listed = client.get("/api/v1/producers/", {"search": world["producer"].name}).json()
    assert [row[field] for row in listed["results"]] == [expected]
    for buyer in ("chain", "store"):
        answer = client.get(f"/api/v1/buyers/{world[buyer].code}/").json()
        assert answer[field] == (CONTACT[field] if reader in SEES_BUYER else None), buyer


def test_a_household_contact_is_withheld_from_buyers(world):
    household = ProducerFactory(kind="household", **CONTACT)
    answer = world["clients"]["own buyer"].get(f"/api/v1/producers/{household.code}/").json()
    assert all(not answer[field] for field in FIELDS)
    answer = world["clients"]["planner"].get(f"/api/v1/producers/{household.code}/").json()
    assert answer["email"] == CONTACT["email"]


def test_contacts_are_written_by_the_owner_and_checked(world):
    client = world["clients"]["own producer"]
    url = f"/api/v1/producers/{world['producer'].code}/"
    answer = client.patch(url, {"phone": "call me", "email": "not-an-address"}, format="json")
    assert answer.status_code == 400 and set(answer.json()) == {"phone", "email"}
    answer = client.patch(url, {"phone": "024 3826 1234", "email": ""}, format="json")
    assert answer.status_code == 200
    assert (answer.json()["phone"], answer.json()["email"]) == ("024 3826 1234", "")
    other = world["clients"]["other producer"].patch(url, {"phone": "0912345678"}, format="json")
    assert other.status_code == 404


def test_a_store_follows_its_chains_requirements_unless_it_has_its_own(world):
    chain, store = world["chain"], world["store"]
    mart = world["clients"]["own buyer"]
    body = {
        "documents": ["barcode", "vat_invoice"],
        "min_volume_per_month": 200,
        "packaging": "Hộp",
    }
    assert (
        mart.put(f"/api/v1/buyers/{chain.code}/requirements/", body, format="json").status_code
        == 200
    )
    answer = client_for(None).get(f"/api/v1/buyers/{store.code}/requirements/").json()
    assert answer["source"] == "chain"
    assert answer["requirements"]["documents"] == ["barcode", "vat_invoice"]
    own = {"documents": ["food_safety"], "payment_terms": "30 ngày"}
    assert (
        mart.put(f"/api/v1/buyers/{store.code}/requirements/", own, format="json").status_code
        == 200
    )
    answer = client_for(None).get(f"/api/v1/buyers/{store.code}/requirements/").json()
    assert (answer["source"], answer["requirements"]["documents"]) == ("own", ["food_safety"])
    assert mart.delete(f"/api/v1/buyers/{store.code}/requirements/").json()["source"] == "chain"
    refused = world["clients"]["other buyer"].put(
        f"/api/v1/buyers/{chain.code}/requirements/", own, format="json"
    )
    assert refused.status_code == 400
    bad = mart.put(
        f"/api/v1/buyers/{chain.code}/requirements/", {"documents": ["halal"]}, format="json"
    )
    assert bad.status_code == 400 and "documents" in bad.json()
    assert BuyerRequirements.objects.count() == 1


@pytest.mark.parametrize(
    ("reader", "status"),
    [
        ("anonymous", 403),
        ("stranger", 403),
        ("other producer", 403),
        ("own buyer", 200),
        ("own producer", 200),
        ("planner", 200),
    ],
)
def test_credentials_only_for_counterparts(world, reader, status):
    Credential.objects.create(producer=world["producer"], kind="barcode")
    answer = world["clients"][reader].get(
        f"/api/v1/producers/{world['producer'].code}/credentials/"
    )
    assert answer.status_code in ((401, 403) if status == 403 else (status,))


def test_a_producer_declares_its_credentials(world):
    client = world["clients"]["own producer"]
    url = f"/api/v1/producers/{world['producer'].code}/credentials/"
    answer = client.post(url, {"kind": "food_safety", "expires_on": "2030-01-01"}, format="json")
    assert answer.status_code == 200
    assert [row["kind"] for row in answer.json()] == ["food_safety"]
    client.post(url, {"kind": "food_safety", "expires_on": "2031-01-01"}, format="json")
    assert Credential.objects.get().expires_on == dt.date(2031, 1, 1)
    assert client.delete(url + "?kind=food_safety").json() == []
    assert (
        world["clients"]["own buyer"].post(url, {"kind": "barcode"}, format="json").status_code
        == 403
    )


def test_recommendations_show_the_readiness_gaps(world, settings):
    product = ProductFactory(producer=world["producer"], capacity_per_month=100)
    outlet = BuyerFactory(lat=21.01, lon=105.81, categories="food")
    services.buyer_requirements_set(
        actor=None, buyer=outlet, documents=["barcode", "food_safety"], min_volume_per_month=500
    )
    services.credential_set(
        actor=None, producer=world["producer"], kind="food_safety", expires_on=dt.date(2020, 1, 1)
    )
    url = "/api/v1/recommendations/buyers/"
    answer = world["clients"]["own producer"].get(
        url, {"product": product.code}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert answer.status_code == 200, answer.json()
    (row,) = [r for r in answer.json()["results"] if r["buyer"]["code"] == outlet.code]
    assert [gap["code"] for gap in row["readiness_gaps"]] == [
        "food_safety",
        "barcode",
        "min_volume",
    ]
    assert "expired on 2020-01-01" in row["readiness_gaps"][0]["text"]
    anonymous = client_for(None).get(url, {"product": product.code}).json()
    assert all(r["readiness_gaps"] is None for r in anonymous["results"])
