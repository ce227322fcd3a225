"""The analytics endpoints answer from results computed once per registry version and
parameters: a repeated question reads nothing, a write is seen by the next answer, every answer
names the registry it comes from, and an unreachable cache still answers."""

import datetime as dt
import io

import openpyxl
import pytest
import yaml
from django.core.cache import caches

from analytics import results
from linkage import graph_cache, services
from linkage.choices import AreaLevel, Category
from linkage.models import Product
from tests.factories import AreaFactory, BuyerFactory, ProducerFactory, ProductFactory

pytestmark = pytest.mark.django_db

ANALYTICS = "/api/v1/analytics/"
KM = 1 / 111.0
QUESTIONS = [
    ("coverage/", {"radius_km": 5}),
    ("coverage/gaps/", {"radius_km": 5}),
    ("siting/", {"k": 1}),
    ("statistics/summary/", {}),
    ("statistics/by-year/", {}),
    ("statistics/by-group/", {}),
    ("statistics/by-stars/", {"as_of": "2024-06-01"}),
    ("statistics/by-producer-kind/", {}),
    ("statistics/by-area/", {"level": "district"}),
    ("statistics/expiring/", {"months": 24}),
    ("statistics/targets/", {"target": 10}),
]
DOWNLOADS = [path for path, _ in QUESTIONS if path != "statistics/summary/"]


@pytest.fixture
def district(db):
    """Two communes of one district: Near (a sales point 2 km away) and Far (20 km away), and a
    producer in each with a rated product."""
    parent = AreaFactory(code="D1", name="Huyện", level=AreaLevel.DISTRICT, lat=21.05, lon=105.8)
    near = AreaFactory(code="X1", parent=parent, lat=21.0, lon=105.8, population=1000)
    far = AreaFactory(code="X2", parent=parent, lat=21.0 + 20 * KM, lon=105.8, population=3000)
    BuyerFactory(code="SP1", lat=21.0 + 2 * KM, lon=105.8)
    for code, area in (("P1", near), ("P2", far)):
        ProductFactory(
            code=f"SP-{code}",
            producer=ProducerFactory(code=code, area=area, lat=area.lat, lon=area.lon),
            category=Category.FOOD,
            stars=4,
            rated_on=dt.date(2023, 3, 1),
        )
    return parent


@pytest.fixture
def computations(monkeypatch):
    """How many times each analytics computation ran."""
    counts = {}

    def counted(name, function):
        def run(*args, **kwargs):
            counts[name] = counts.get(name, 0) + 1
            return function(*args, **kwargs)

        return run

    monkeypatch.setattr(results, "coverage_report", counted("coverage", results.coverage_report))
    monkeypatch.setattr(results, "site_selection", counted("siting", results.site_selection))
    for name, table in list(results.STATISTICS.items()):
        monkeypatch.setitem(results.STATISTICS, name, counted(name, table))
    return counts


@pytest.mark.parametrize("path, query", QUESTIONS)
def test_a_second_identical_request_computes_and_reads_nothing(
    client, district, computations, django_assert_num_queries, path, query
):
    first = client.get(ANALYTICS + path, query)
    assert first.status_code == 200, first.content
    assert sum(computations.values()) == 1
    with django_assert_num_queries(0):
        second = client.get(ANALYTICS + path, query)
    assert second.status_code == 200
    assert sum(computations.values()) == 1
    assert second.json()["registry"]["version"] == first.json()["registry"]["version"]


@pytest.mark.parametrize("path", ["coverage/", "coverage/gaps/", "siting/"])
def test_a_question_asked_in_every_format_is_computed_once(client, district, computations, path):
    for output in ("json", "geojson", "csv", "xlsx"):
        response = client.get(ANALYTICS + path, {"format": output, "k": 1})
        assert response.status_code == 200, (output, response.content[:200])
    assert sum(computations.values()) == 1


def test_coverage_and_its_gaps_share_one_computation(client, district, computations):
    client.get(ANALYTICS + "coverage/")
    client.get(ANALYTICS + "coverage/gaps/", {"rank_by": "producers", "limit": 1})
    assert computations == {"coverage": 1}


def test_other_parameters_are_another_question(client, district, computations):
    client.get(ANALYTICS + "coverage/", {"radius_km": 5})
    client.get(ANALYTICS + "coverage/", {"radius_km": 25})
    client.get(ANALYTICS + "coverage/", {"radius_km": 5, "category": "food"})
    assert computations == {"coverage": 3}


def _covered(client) -> dict:
    body = client.get(ANALYTICS + "coverage/", {"radius_km": 5}).json()
    return body, {row["code"]: row["covered"] for row in body["areas"]}


def test_a_write_through_the_api_is_in_the_next_answer(client, planner, district):
    before, covered = _covered(client)
    assert covered == {"X1": True, "X2": False}
    created = planner.post(
        "/api/v1/buyers/",
        {"code": "SP2", "name": "Điểm bán mới", "kind": "sales_point", "lat": 21.18, "lon": 105.8},
        format="json",
    )
    assert created.status_code == 201, created.content
    after, covered = _covered(client)
    assert covered == {"X1": True, "X2": True}
    assert after["registry"]["version"] != before["registry"]["version"]
    assert after["registry"]["version"] == graph_cache.current_version()
    assert after["registry"]["current"] is True


def test_a_write_through_the_services_is_in_the_next_answer(client, district):
    stars = client.get(ANALYTICS + "statistics/by-stars/").json()
    assert {row["star_class"]: row["products"] for row in stars["results"]}["5"] == 0
    product = Product.objects.get(code="SP-P1")
    services.product_rate(actor=None, product=product, stars=5, rated_on=dt.date(2024, 5, 1))
    stars = client.get(ANALYTICS + "statistics/by-stars/").json()
    assert {row["star_class"]: row["products"] for row in stars["results"]}["5"] == 1
    assert stars["registry"]["version"] == graph_cache.current_version()


@pytest.mark.parametrize("path, query", QUESTIONS)
def test_every_json_answer_names_its_registry_current_after_a_fresh_compute(
    client, district, path, query
):
    body = client.get(ANALYTICS + path, query).json()
    stamp = body["registry"]
    assert set(stamp) == {"version", "read_at", "age_seconds", "current"}
    assert stamp["version"] == graph_cache.current_version()
    assert stamp["current"] is True
    assert 0 <= stamp["age_seconds"] < 60
    dt.datetime.fromisoformat(stamp["read_at"])


@pytest.mark.parametrize("path", ["coverage/", "coverage/gaps/", "siting/"])
def test_geojson_names_its_registry_beside_the_features(client, district, path):
    body = client.get(ANALYTICS + path, {"format": "geojson", "k": 1}).json()
    assert body["type"] == "FeatureCollection" and body["features"]
    assert body["registry"]["version"] == graph_cache.current_version()
    assert all("registry" not in feature["properties"] for feature in body["features"])


@pytest.mark.parametrize("path", DOWNLOADS)
@pytest.mark.parametrize("output", ["csv", "xlsx"])
def test_downloads_name_their_registry_in_headers(client, district, path, output):
    response = client.get(ANALYTICS + path, {"format": output, "k": 1})
    assert response.status_code == 200
    assert response["X-Registry-Version"] == graph_cache.current_version()
    assert 0 <= float(response["X-Registry-Age"]) < 60
    if output == "xlsx":
        assert openpyxl.load_workbook(io.BytesIO(response.content)).sheetnames


def test_an_answer_from_the_snapshot_before_the_latest_write_says_so(client, district, monkeypatch):
    older = graph_cache.get_snapshot()
    graph_cache.bump_version()
    # As a snapshot refreshed in the background would: the older one answers meanwhile.
    monkeypatch.setattr(graph_cache, "get_snapshot", lambda: older)
    body = client.get(ANALYTICS + "coverage/").json()
    assert body["registry"]["version"] == older.version
    assert body["registry"]["current"] is False


@pytest.fixture
def cache_down(monkeypatch):
    """The shared cache unreachable, as django-redis answers with its errors ignored."""
    default = caches["default"]
    monkeypatch.setattr(default, "get", lambda *args, **kwargs: None)
    monkeypatch.setattr(default, "add", lambda *args, **kwargs: False)
    monkeypatch.setattr(default, "set", lambda *args, **kwargs: None)

    def unreachable():
        raise ConnectionError("the cache cannot be reached")

    # With Redis the registry's version log is read through the client, not the cache API.
    monkeypatch.setattr("linkage.graph_cache._redis", unreachable)


@pytest.mark.parametrize("path, query", QUESTIONS)
def test_an_unreachable_cache_still_answers(client, district, cache_down, path, query):
    response = client.get(ANALYTICS + path, query)
    assert response.status_code == 200, response.content
    assert response.json()["registry"]["version"] is None
    assert response.json()["registry"]["current"] is True
    download = client.get(ANALYTICS + path, {**query, "format": "csv"})
    assert download.status_code == 200
    assert "X-Registry-Version" not in download


def test_a_queued_siting_run_answers_the_next_request(client, district, computations):
    queued = client.get(ANALYTICS + "siting/", {"k": 1, "background": "always"})
    assert queued.status_code == 202
    job = client.get(queued.json()["status_url"]).json()
    assert job["status"] == "finished"
    assert job["result"]["registry"]["version"] == graph_cache.current_version()
    response = client.get(ANALYTICS + "siting/", {"k": 1})
    assert response.status_code == 200
    assert response.json()["sites"] == job["result"]["sites"]
    assert computations == {"siting": 1}


def test_a_siting_run_queued_once_is_followed_by_every_request_for_it(
    client, district, monkeypatch, settings
):
    settings.REDIS_URL = "redis://example.invalid:6379/0"
    monkeypatch.setattr("api.analytics_views.SITING_INLINE_PAIRS", 1)
    monkeypatch.setattr("linkage.jobs.queue_reachable", lambda: True)
    queued = []

    def enqueue(path, **kwargs):
        # Reading the registry's snapshot with a queue refits the ranking as a job of its own.
        if path == "linkage.graph_cache.fit_ranking_job":
            return "job-ranking"
        queued.append(kwargs)
        return f"job-{len(queued)}"

    monkeypatch.setattr("linkage.jobs.enqueue", enqueue)
    monkeypatch.setattr(
        "linkage.jobs.job_status", lambda job_id: {"id": job_id, "status": "started"}
    )
    answers = [client.get(ANALYTICS + "siting/", {"k": 1}) for _ in range(2)]
    assert [answer.status_code for answer in answers] == [202, 202]
    assert {answer.json()["job_id"] for answer in answers} == {"job-1"}
    assert len(queued) == 1
    monkeypatch.setattr(
        "linkage.jobs.job_status", lambda job_id: {"id": job_id, "status": "failed"}
    )
    assert client.get(ANALYTICS + "siting/", {"k": 1}).json()["job_id"] == "job-2"


@pytest.mark.parametrize("path", ["coverage/", "siting/", "statistics/by-area/"])
def test_the_schema_documents_the_registry_of_each_answer(client, path):
    schema = yaml.safe_load(client.get("/api/v1/schema/").content)
    answer = schema["paths"][f"/api/v1/analytics/{path}"]["get"]["responses"]["200"]
    stamp = answer["content"]["application/json"]["schema"]["properties"]["registry"]
    assert set(stamp["required"]) == {"version", "read_at", "age_seconds", "current"}
    assert {"X-Registry-Version", "X-Registry-Age"} <= set(answer["headers"])
