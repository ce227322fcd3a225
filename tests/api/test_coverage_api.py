import io

import openpyxl
import pandas as pd
import pytest

from linkage.choices import AreaLevel, BuyerKind, Category
from tests.factories import (
    AreaFactory,
    BuyerFactory,
    ChainFactory,
    ProducerFactory,
    ProductFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/analytics/coverage/"
GAPS_URL = "/api/v1/analytics/coverage/gaps/"
SITING_URL = "/api/v1/analytics/siting/"
KM = 1 / 111.0


@pytest.fixture
def district(db):
    """Two communes of one district: Near (a sales point 2 km away) and Far (20 km away)."""
    parent = AreaFactory(
        code="D1", name="Huyện", level=AreaLevel.DISTRICT, lat=21.05, lon=105.8, population=None
    )
    near = AreaFactory(
        code="X1", name="Xã Gần", parent=parent, lat=21.0, lon=105.8, population=1000
    )
    far = AreaFactory(
        code="X2", name="Xã Xa", parent=parent, lat=21.0 + 20 * KM, lon=105.8, population=3000
    )
    AreaFactory(code="X3", name="Xã chưa rõ", parent=parent, lat=None, lon=None, population=None)
    BuyerFactory(code="SP1", lat=21.0 + 2 * KM, lon=105.8, categories="")
    chain = ChainFactory(code="WIN")
    StoreFactory(code="S1", chain=chain, lat=21.0 + 20 * KM, lon=105.8, categories="food")
    ProductFactory(
        producer=ProducerFactory(code="P1", area=near, lat=21.0, lon=105.8), category=Category.FOOD
    )
    ProductFactory(
        producer=ProducerFactory(code="P2", area=far, lat=21.0 + 20 * KM, lon=105.8),
        category=Category.HANDICRAFT,
    )
    return parent


def test_coverage_json_lists_areas_with_summary(client, district, django_assert_max_num_queries):
    # The registry's snapshot: six queries whatever its size.
    with django_assert_max_num_queries(6):
        response = client.get(URL, {"radius_km": 5})
    assert response.status_code == 200
    body = response.json()
    assert body["supply"] == "sales_points"
    areas = {row["code"]: row for row in body["areas"]}
    assert set(areas) == {"X1", "X2", "X3"}
    assert areas["X1"]["covered"] is True
    assert areas["X1"]["nearest_facility"] == "SP1"
    assert areas["X2"]["covered"] is False
    assert areas["X3"]["distance_km"] is None
    assert body["summary"]["population_share"] == pytest.approx(0.25)
    assert body["summary"]["producers_share"] == pytest.approx(0.5)


def test_coverage_of_a_chain_uses_its_stores(client, district):
    body = client.get(URL, {"supply": "chain:WIN"}).json()
    areas = {row["code"]: row for row in body["areas"]}
    assert areas["X2"]["covered"] is True
    assert areas["X2"]["nearest_facility"] == "S1"
    assert areas["X1"]["covered"] is False


def test_coverage_by_kinds_uses_every_listed_kind(client, district):
    body = client.get(URL, {"supply": "kinds:store,sales_point"}).json()
    assert body["summary"]["areas_covered"] == 2


def test_coverage_by_category_counts_facilities_taking_it(client, district):
    body = client.get(URL, {"supply": "chain:WIN", "category": "handicraft"}).json()
    assert body["summary"]["facilities"] == 0
    assert body["summary"]["producers"] == 1
    assert body["summary"]["producers_covered"] == 0


def test_coverage_at_district_level_rolls_producers_up(client, district):
    body = client.get(URL, {"level": "district"}).json()
    assert [row["code"] for row in body["areas"]] == ["D1"]
    assert body["areas"][0]["producers"] == 2


def test_coverage_geojson_has_a_point_per_located_area(client, district):
    response = client.get(URL, {"format": "geojson"})
    assert response["Content-Type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection"
    codes = {f["properties"]["code"]: f for f in body["features"]}
    assert set(codes) == {"X1", "X2"}
    assert codes["X1"]["geometry"] == {"type": "Point", "coordinates": [105.8, 21.0]}
    assert "summary" in body


def test_coverage_csv_download_names_its_file(client, district):
    response = client.get(URL, {"format": "csv", "radius_km": "7.5"})
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="ocop-coverage-commune-7.5km.csv"' in response["Content-Disposition"]
    frame = pd.read_csv(io.StringIO(response.content.decode()))
    assert list(frame["code"]) == ["X1", "X2", "X3"]
    assert "distance_km" in frame.columns


def test_coverage_xlsx_download_opens_in_excel(client, district):
    response = client.get(URL, {"format": "xlsx"})
    assert ".xlsx" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(1, 1).value == "code"
    assert sheet.max_row == 4


@pytest.mark.parametrize(
    "params, field",
    [
        ({"radius_km": "-1"}, "radius_km"),
        ({"radius_km": "far"}, "radius_km"),
        ({"radius_km": "nan"}, "radius_km"),
        ({"supply": "chain:NOPE"}, "supply"),
        ({"supply": "kinds:ecommerce"}, "supply"),
        ({"supply": "kinds:castle"}, "supply"),
        ({"supply": "everything"}, "supply"),
        ({"level": "village"}, "level"),
        ({"category": "cars"}, "category"),
        ({"format": "pdf"}, "format"),
    ],
)
def test_bad_coverage_parameters_answer_400_naming_them(client, district, params, field):
    response = client.get(URL, params)
    assert response.status_code == 400
    assert field in response.json()


def test_gaps_are_ranked_worst_first(client, district):
    body = client.get(GAPS_URL).json()
    assert [row["code"] for row in body["gaps"]] == ["X2"]
    assert body["gaps"][0]["rank"] == 1
    assert body["gaps"][0]["uncovered_population"] == 3000


def test_gaps_limit_and_formats(client, district):
    AreaFactory(code="X9", parent=district, lat=21.5, lon=105.8, population=100)
    body = client.get(GAPS_URL, {"limit": 1}).json()
    assert body["total"] == 2 and body["count"] == 1
    geo = client.get(GAPS_URL, {"format": "geojson"}).json()
    assert [f["properties"]["rank"] for f in geo["features"]] == [1, 2]
    csv = client.get(GAPS_URL, {"format": "csv"})
    assert "ocop-coverage-gaps-commune-5km.csv" in csv["Content-Disposition"]
    assert client.get(GAPS_URL, {"limit": 0}).status_code == 400
    assert "rank_by" in client.get(GAPS_URL, {"rank_by": "stars"}).json()


def test_siting_proposes_the_far_commune(client, district):
    response = client.get(SITING_URL, {"k": 1, "radius_km": 5})
    assert response.status_code == 200
    body = response.json()
    assert body["sites"][0]["code"] == "X2"
    assert body["sites"][0]["marginal_population"] == 3000
    assert body["before"]["population_covered"] == 1000
    assert body["after"]["population_covered"] == 4000
    assert body["supply"] == "sales_points"


def test_siting_geojson_and_csv(client, district):
    geo = client.get(SITING_URL, {"k": 1, "format": "geojson"}).json()
    assert geo["features"][0]["properties"]["code"] == "X2"
    assert geo["after"]["population_covered"] == 4000
    csv = client.get(SITING_URL, {"k": 1, "format": "csv"})
    assert "ocop-siting-commune-5km.csv" in csv["Content-Disposition"]
    assert "marginal_population" in csv.content.decode().splitlines()[0]


def test_siting_takes_candidate_points(client, district):
    body = client.get(SITING_URL, {"k": 1, "candidates": "points:21.18,105.8;22.5,105.8"}).json()
    assert body["sites"][0]["code"] == "C1"
    assert body["candidates_from"] == "points"


@pytest.mark.parametrize(
    "params, field",
    [
        ({"k": 3}, "k"),
        ({"k": 0}, "k"),
        ({"k": "two"}, "k"),
        ({"k": 1, "radius_km": -3}, "radius_km"),
        ({"k": 1, "supply": "chain:NOPE"}, "supply"),
        ({"k": 1, "candidates": "points:91,105"}, "candidates"),
        ({"k": 1, "candidates": "somewhere"}, "candidates"),
        ({"k": 1, "method": "guess"}, "method"),
        ({"k": 1, "producer_weight": -1}, "producer_weight"),
    ],
)
def test_bad_siting_parameters_answer_400_naming_them(client, district, params, field):
    response = client.get(SITING_URL, params)
    assert response.status_code == 400
    assert field in response.json()


@pytest.fixture
def fake_jobs(monkeypatch, settings):
    """A stand-in for linkage.jobs.enqueue with Redis configured."""
    settings.REDIS_URL = "redis://example.invalid:6379/0"
    calls = []

    def enqueue(func_path, **kwargs):
        calls.append((func_path, kwargs))
        return "job-1"

    monkeypatch.setattr("linkage.jobs.enqueue", enqueue)
    return calls


def test_large_siting_goes_to_the_job_queue_when_redis_is_configured(
    client, district, fake_jobs, monkeypatch
):
    monkeypatch.setattr("api.analytics_views.SITING_INLINE_PAIRS", 1)
    response = client.get(SITING_URL, {"k": 1, "radius_km": 4})
    assert response.status_code == 202
    body = response.json()
    assert body["job_id"] == "job-1"
    assert body["status_url"].endswith("/api/v1/jobs/job-1/")
    func_path, kwargs = fake_jobs[0]
    assert func_path == "analytics.siting_jobs.run_siting"
    assert kwargs["k"] == 1 and kwargs["radius_km"] == 4.0 and kwargs["supply"] == "sales_points"


def test_small_siting_answers_at_once_even_with_redis(client, district, fake_jobs):
    response = client.get(SITING_URL, {"k": 1})
    assert response.status_code == 200
    assert fake_jobs == []


def test_siting_without_redis_runs_in_process_and_is_followed_like_a_queued_job(
    client, district, settings
):
    settings.REDIS_URL = ""
    assert client.get(SITING_URL, {"k": 1}).status_code == 200
    response = client.get(SITING_URL, {"k": 1, "background": "always"})
    assert response.status_code == 202
    assert response["Location"] == response.json()["status_url"]
    job = client.get(response.json()["status_url"]).json()
    assert job["status"] == "finished"
    assert job["result"]["sites"][0]["code"] == "X2"


def test_queued_job_function_gives_the_same_answer(district):
    from analytics.siting_jobs import run_siting

    result = run_siting(k=1, radius_km=5.0)
    assert result["sites"][0]["code"] == "X2"
    assert result["level"] == "commune"


def test_buyers_without_a_place_are_not_facilities(client, district):
    BuyerFactory(code="E1", kind=BuyerKind.ECOMMERCE, lat=None, lon=None)
    body = client.get(URL, {"supply": "kinds:sales_point"}).json()
    assert body["summary"]["facilities"] == 1


def test_siting_job_runs_through_the_real_queue(client, district):
    """Queued on Redis when it is configured (synchronous in tests), in-process otherwise."""
    response = client.get(SITING_URL, {"k": 1, "background": "always"})
    if response.status_code == 202:
        state = client.get(response.json()["status_url"]).json()
        assert state["status"] == "finished"
        body = state["result"]
    else:
        assert response.status_code == 200
        body = response.json()
    assert body["sites"][0]["code"] == "X2"


def test_unknown_siting_job_is_404(client, db):
    assert client.get("/api/v1/analytics/siting/jobs/nope/").status_code == 404


@pytest.mark.parametrize("supply", ["chain:\x00", "chain:WIN\x00"])
def test_a_supply_with_a_nul_character_is_a_400_naming_it(client, district, supply):
    # PostgreSQL refuses NUL in a query: the chain lookup used to fail there with a 500.
    response = client.get(URL, {"supply": supply})
    assert response.status_code == 400
    assert "supply" in response.json()
