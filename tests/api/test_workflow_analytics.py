"""The planners' readiness counts and funnel over HTTP."""

import datetime as dt

import pytest

from linkage import services
from tests.factories import AreaFactory, ProducerFactory, ProductFactory, StoreFactory

pytestmark = pytest.mark.django_db


def test_readiness_counts_producers_near_an_area(planner):
    area = AreaFactory(code="HN.HA_DONG", name="Hà Đông", lat=20.97, lon=105.78)
    near = [ProducerFactory(lat=20.98, lon=105.78) for _ in range(3)]
    far = ProducerFactory(lat=22.0, lon=106.5)
    for producer in [*near, far]:
        ProductFactory(producer=producer, category="food", stars=4)
    services.credential_set(actor=None, producer=near[0], kind="barcode")
    services.credential_set(actor=None, producer=far, kind="barcode")
    answer = planner.get(
        "/api/v1/analytics/readiness/",
        {"area": area.code, "radius_km": 10, "category": "food", "stars": 4},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 200, answer.json()
    rows = {row["requirement"]: row for row in answer.json()["results"]}
    assert answer.json()["producers"] == 3
    assert rows["barcode"]["lacking"] == 2
    assert rows["barcode"]["text"] == "67 % of 4-star food producers near Hà Đông lack: a barcode"
    csv = planner.get("/api/v1/analytics/readiness/", {"format": "csv"})
    assert csv.status_code == 200 and b"requirement" in csv.content


def test_readiness_and_funnel_are_for_planners(anonymous, stranger, producer_accounts):
    for client in (anonymous, stranger, producer_accounts[0]["client"]):
        for url in ("/api/v1/analytics/readiness/", "/api/v1/analytics/statistics/funnel/"):
            assert client.get(url).status_code in (401, 403)


def test_readiness_names_an_unknown_area(planner):
    assert planner.get("/api/v1/analytics/readiness/", {"area": "NOWHERE"}).status_code == 404
    answer = planner.get("/api/v1/analytics/readiness/", {"radius_km": -1})
    assert answer.status_code == 400 and "radius_km" in answer.json()


def test_funnel_by_chain_in_json_and_xlsx(planner):
    store = StoreFactory()
    products = [ProductFactory() for _ in range(3)]
    proposals = [
        services.proposal_create(actor=None, product=p, buyer=store, proposed_by="producer")
        for p in products
    ]
    for step in ("accepted", "mou_signed", "trading"):
        services.proposal_transition(actor=None, proposal=proposals[0], to=step)
    services.proposal_transition(actor=None, proposal=proposals[1], to="declined")
    answer = planner.get("/api/v1/analytics/statistics/funnel/", {"by": "chain"})
    assert answer.status_code == 200, answer.json()
    (row,) = answer.json()["results"]
    assert row["chain"] == store.chain.code
    assert (row["proposals"], row["accepted"], row["mou_signed"], row["trading"]) == (3, 1, 1, 1)
    assert row["median_days_to_trading"] == 0
    assert answer.json()["total"]["proposals"] == 3
    xlsx = planner.get("/api/v1/analytics/statistics/funnel/", {"by": "year", "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    by_area = planner.get("/api/v1/analytics/statistics/funnel/", {"by": "area"}).json()
    assert by_area["level"] == "district"
    assert planner.get("/api/v1/analytics/statistics/funnel/", {"by": "x"}).status_code == 400
    assert dt.date.today().year in [
        r["year"] for r in planner.get("/api/v1/analytics/statistics/funnel/").json()["results"]
    ]
