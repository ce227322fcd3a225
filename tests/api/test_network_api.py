import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from linkage import graph_cache, services
from linkage.choices import LinkageKind, ProducerKind
from linkage.matching import BUYER_DOES_NOT_TAKE_GROUP
from linkage.ranking import FEATURES, RankingModel
from linkage.recommend import PARTS
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
        ("/api/v1/recommendations/buyers/", {"product": "SP1", "k": "101"}, "k"),
        ("/api/v1/recommendations/buyers/", {"product": "SP1", "as_of": "2025-13-01"}, "as_of"),
        ("/api/v1/recommendations/buyers/", {"product": "SP1", "w_learned": "-1"}, "w_learned"),
        ("/api/v1/recommendations/suppliers/", {"buyer": "CHAIN", "as_of": "soon"}, "as_of"),
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
    monkeypatch.setattr("linkage.jobs.queue_available", lambda: True)
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
        **{f"w_{part}": "0" for part in PARTS},
    }
    response = client.get("/api/v1/recommendations/buyers/", params)
    assert response.status_code == 400
    assert "w_learned" in response.json()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/recommendations/buyers/?producer=NOPE",
        "/api/v1/recommendations/buyers/?product=NOPE",
        "/api/v1/recommendations/suppliers/?buyer=NOPE",
        "/api/v1/recommendations/suppliers/?request=NOPE",
    ],
)
def test_unknown_codes_give_404_naming_the_code(client, world, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "NOPE" in response.json()["detail"]


def test_buyers_for_a_product_rank_outlets_with_chains_as_groupings(client, world):
    response = client.get(
        "/api/v1/recommendations/buyers/", {"product": "SP1", "w_distance": "0.5", "k": "5"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["weights"]["distance"] == pytest.approx(1 / 3, abs=1e-4)
    codes = [row["buyer"]["code"] for row in body["results"]]
    assert "POINT1" not in codes  # already linked
    assert set(codes) == {"STORE1", "POINT2"}  # stores and sales points, never the chain itself
    store = next(row for row in body["results"] if row["buyer"]["code"] == "STORE1")
    assert store["buyer"]["chain"]["code"] == "CHAIN"
    assert body["chains"][0]["chain"]["code"] == "CHAIN"
    assert [s["code"] for s in body["chains"][0]["stores"]] == ["STORE1"]
    assert set(store["parts"]) == {"learned", "category", "distance", "capacity", "stars", "graph"}
    assert body["as_of"] == timezone.localdate().isoformat()


def test_reasons_speak_the_requests_language(client, world):
    url = "/api/v1/recommendations/buyers/"
    english = client.get(url, {"product": "SP1"}, HTTP_ACCEPT_LANGUAGE="en").json()
    vietnamese = client.get(url, {"product": "SP1"}, HTTP_ACCEPT_LANGUAGE="vi").json()
    first_en = [reason["text"] for reason in english["results"][0]["reasons"]]
    first_vi = [reason["text"] for reason in vietnamese["results"][0]["reasons"]]
    assert any("km from you" in text for text in first_en)
    assert any(text.startswith("Cách bạn") for text in first_vi)


def test_as_of_decides_which_ratings_are_valid(client, world):
    url = "/api/v1/recommendations/buyers/"
    later = client.get(
        url, {"product": "SP1", "as_of": "2099-01-01"}, HTTP_ACCEPT_LANGUAGE="en"
    ).json()
    assert later["results"] == [] and later["platforms"] == []
    [why] = later["not_recommended"]
    assert why["code"] == "rating_expired" and "expired" in why["reason"]
    assert client.get(url, {"product": "SP1"}).json()["results"]


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
    services.linkage_create(
        actor=None,
        kind=LinkageKind.SELLS_TO,
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
    assert {"producer", "product", "k", "w_graph", "w_learned", "include_linked", "as_of"} <= names


def test_a_request_for_a_group_the_chain_does_not_take_gets_one_rule_and_one_reason(
    client, world, planner
):
    chain = BuyerFactory._meta.model.objects.get(code="CHAIN")
    SourcingRequestFactory(code="YC-TOUR", buyer=chain, category="tourism")
    ProductFactory(code="SP-TOUR", category="tourism", stars=5)
    suppliers = client.get(
        "/api/v1/recommendations/suppliers/", {"request": "YC-TOUR"}, HTTP_ACCEPT_LANGUAGE="en"
    ).json()
    assert suppliers["results"] == []
    assert suppliers["notes"][0]["code"] == "buyer_does_not_take_group"
    allocation = planner.post("/api/v1/allocations/", {"requests": ["YC-TOUR"]}, format="json")
    [request] = allocation.json()["requests"]
    assert request["served"] == 0
    assert request["reason"] == BUYER_DOES_NOT_TAKE_GROUP


def _embedded_with_a_previous_ranking(settings, monkeypatch, *, sale_pairs):
    """No Redis, fits in a thread (recorded, not run), and a ranking fitted on ``sale_pairs``."""
    settings.RANKING_FIT_IN_BACKGROUND = True
    settings.REDIS_URL = ""
    started = []
    monkeypatch.setattr(
        "linkage.graph_cache.threading.Thread",
        lambda **kwargs: started.append(kwargs) or type("T", (), {"start": lambda self: None})(),
    )
    previous = object.__new__(RankingModel)
    previous.__dict__.update(features=FEATURES, version="older", sale_pairs=sale_pairs)
    monkeypatch.setattr(graph_cache._warm, "model", previous)
    return started, previous


def test_requests_keep_the_previous_ranking_while_the_new_one_is_fitted(
    client, world, settings, monkeypatch
):
    started, previous = _embedded_with_a_previous_ranking(settings, monkeypatch, sale_pairs=1)
    recommender = graph_cache.get_recommender()
    assert recommender.model is previous
    assert len(started) == 1 and started[0]["name"] == "ranking-fit"


def test_a_ranking_learned_on_another_registry_is_not_kept_while_fitting(
    client, world, settings, monkeypatch
):
    started, previous = _embedded_with_a_previous_ranking(settings, monkeypatch, sale_pairs=5000)
    recommender = graph_cache.get_recommender()
    assert started == []  # fitted in the request instead
    assert recommender.model is not previous


def test_with_redis_the_ranking_is_fitted_on_a_worker_once_per_version(
    client, world, settings, monkeypatch
):
    settings.REDIS_URL = "redis://configured"
    queued = []
    monkeypatch.setattr(
        "linkage.jobs.enqueue", lambda path, **kwargs: queued.append((path, kwargs)) or "job-1"
    )
    graph_cache.get_recommender()
    graph_cache.get_recommender()
    version = graph_cache.current_version()
    assert queued == [("linkage.graph_cache.fit_ranking_job", {"version": version})]


def test_a_database_out_of_reach_answers_503_in_json(client, world, monkeypatch):
    from django.db import OperationalError

    def unreachable():
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(graph_cache, "get_recommender", unreachable)
    response = client.get("/api/v1/recommendations/buyers/", {"producer": "HTX1"})
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "database" in response.json()["detail"]
