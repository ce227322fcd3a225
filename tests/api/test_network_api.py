import pytest
from rest_framework.test import APIClient

from linkage import graph_cache
from linkage.choices import LinkageKind, ProducerKind
from tests.factories import (
    BuyerFactory,
    ChainFactory,
    LinkageFactory,
    ProducerFactory,
    ProductFactory,
    SourcingRequestFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    graph_cache.reset()
    return APIClient()


@pytest.fixture
def world():
    household = ProducerFactory(code="HH1", kind=ProducerKind.HOUSEHOLD)
    coop = ProducerFactory(code="HTX1")
    product = ProductFactory(code="SP1", producer=coop)
    lone = ProducerFactory(code="LONE", kind=ProducerKind.HOUSEHOLD)
    chain = ChainFactory(code="CHAIN", categories="food")
    StoreFactory(code="STORE1", chain=chain, lat=21.01, lon=105.81)
    point = BuyerFactory(code="POINT1")
    BuyerFactory(code="POINT2", lat=21.2, lon=105.9)
    LinkageFactory(
        source_producer=household,
        target_producer=coop,
        target_buyer=None,
        kind=LinkageKind.SUPPLIES,
    )
    LinkageFactory(source_producer=coop, target_buyer=point, product=product, volume_per_month=80)
    SourcingRequestFactory(code="YC1", buyer=chain, max_distance_km=100)
    return {"lone": lone}


def test_supply_paths_of_a_product(client, world):
    response = client.get("/api/v1/network/paths/SP1/")
    assert response.status_code == 200
    assert [step["code"] for step in response.json()["paths"][0]] == ["HH1", "HTX1", "POINT1"]
    assert client.get("/api/v1/network/paths/NOPE/").status_code == 404


def test_analytics_endpoints_answer(client, world):
    hubs = client.get("/api/v1/network/hubs/", {"measure": "betweenness"}).json()
    assert hubs["cooperative"][0]["code"] == "HTX1"
    assert client.get("/api/v1/network/communities/", {"min_size": 2}).status_code == 200
    dependence = client.get("/api/v1/network/dependence/").json()
    assert dependence["results"][0]["largest_buyer"]["code"] == "POINT1"
    critical = client.get("/api/v1/network/critical-actors/").json()
    assert {row["actor"]["code"] for row in critical["results"]} == {"HTX1", "POINT1"}
    unlinked = client.get("/api/v1/network/unlinked-producers/", {"kind": "household"}).json()
    assert [row["code"] for row in unlinked["results"]] == ["LONE"]


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("/api/v1/network/hubs/", {"measure": "pagerank"}, "measure"),
        ("/api/v1/network/hubs/", {"limit": "0"}, "limit"),
        ("/api/v1/network/dependence/", {"min_share": "2"}, "min_share"),
        ("/api/v1/network/unlinked-producers/", {"direct": "maybe"}, "direct"),
        ("/api/v1/recommendations/buyers/", {"product": "SP1", "k": "0"}, "k"),
        ("/api/v1/recommendations/buyers/", {"product": "SP1", "w_graph": "1.5"}, "w_graph"),
        ("/api/v1/recommendations/buyers/", {"product": "SP1", "w_stars": "x"}, "w_stars"),
        ("/api/v1/recommendations/buyers/", {}, "producer"),
        ("/api/v1/recommendations/buyers/", {"product": "SP1", "producer": "HTX1"}, "producer"),
        ("/api/v1/recommendations/suppliers/", {"buyer": "CHAIN", "category": "gold"}, "category"),
        (
            "/api/v1/recommendations/suppliers/",
            {"buyer": "CHAIN", "max_distance_km": "-1"},
            "max_distance_km",
        ),
    ],
)
def test_bad_parameters_give_400_naming_the_parameter(client, world, url, params, field):
    response = client.get(url, params)
    assert response.status_code == 400
    assert field in response.json()


def test_a_slow_analysis_of_a_large_graph_goes_to_the_job_queue(client, world, monkeypatch):
    monkeypatch.setattr("api.network_views.HEAVY_ANALYSIS_NODES", 0)
    monkeypatch.setattr("api.network_views._background_available", lambda: True)
    queued = client.get("/api/v1/network/communities/", {"min_size": 2})
    assert queued.status_code == 202
    status = client.get(queued.json()["status_url"]).json()
    assert status["status"] == "finished"
    answered = client.get("/api/v1/network/communities/", {"min_size": 2})
    assert answered.status_code == 200
    assert answered.json()["communities"]
    assert client.get("/api/v1/network/hubs/").status_code == 200  # degree stays quick


def test_all_weights_zero_is_refused(client, world):
    params = {
        "product": "SP1",
        **{f"w_{p}": "0" for p in ("category", "distance", "capacity", "stars", "graph")},
    }
    response = client.get("/api/v1/recommendations/buyers/", params)
    assert response.status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/recommendations/buyers/?producer=NOPE",
        "/api/v1/recommendations/buyers/?product=NOPE",
        "/api/v1/recommendations/suppliers/?buyer=NOPE",
        "/api/v1/recommendations/suppliers/?request=NOPE",
    ],
)
def test_unknown_codes_give_404(client, world, url):
    assert client.get(url).status_code == 404


def test_buyers_for_a_product_with_parts_and_set_weights(client, world):
    response = client.get(
        "/api/v1/recommendations/buyers/", {"product": "SP1", "w_graph": "0", "k": "5"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["weights"]["graph"] == 0
    codes = [row["buyer"]["code"] for row in body["results"]]
    assert "POINT1" not in codes  # already linked
    assert set(codes) == {"CHAIN", "POINT2"}
    chain = next(row for row in body["results"] if row["buyer"]["code"] == "CHAIN")
    assert chain["nearest_stores"][0]["code"] == "STORE1"
    assert set(chain["parts"]) == {"category", "distance", "capacity", "stars", "graph"}


def test_include_linked_lists_the_current_buyers_too(client, world):
    body = client.get(
        "/api/v1/recommendations/buyers/", {"producer": "HTX1", "include_linked": "true"}
    ).json()
    linked = {row["buyer"]["code"]: row["already_linked"] for row in body["results"]}
    assert linked["POINT1"] is True


def test_suppliers_for_a_sourcing_request(client, world):
    body = client.get("/api/v1/recommendations/suppliers/", {"request": "YC1"}).json()
    assert body["request"]["code"] == "YC1"
    assert body["request"]["max_distance_km"] == 100
    assert [row["product"]["code"] for row in body["results"]] == ["SP1"]
    assert body["results"][0]["producer"]["code"] == "HTX1"


def test_a_write_is_seen_by_the_next_recommendation(client, world):
    url = "/api/v1/recommendations/buyers/"
    before = [row["buyer"]["code"] for row in client.get(url, {"product": "SP1"}).json()["results"]]
    assert "POINT2" in before
    LinkageFactory(
        source_producer=ProducerFactory._meta.model.objects.get(code="HTX1"),
        target_buyer=BuyerFactory._meta.model.objects.get(code="POINT2"),
        product=ProductFactory._meta.model.objects.get(code="SP1"),
    )
    after = [row["buyer"]["code"] for row in client.get(url, {"product": "SP1"}).json()["results"]]
    assert "POINT2" not in after


def test_a_warm_recommendation_runs_no_database_query(client, world, django_assert_num_queries):
    client.get("/api/v1/recommendations/buyers/", {"product": "SP1"})
    with django_assert_num_queries(0):
        response = client.get("/api/v1/recommendations/buyers/", {"product": "SP1"})
    assert response.status_code == 200


def test_the_schema_documents_the_network_endpoints(client):
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/recommendations/buyers/" in paths
    names = {p["name"] for p in paths["/api/v1/recommendations/buyers/"]["get"]["parameters"]}
    assert {"producer", "product", "k", "w_graph", "include_linked"} <= names
