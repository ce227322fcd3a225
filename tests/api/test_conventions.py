"""What every endpoint shares: formats chosen by ``format`` or Accept, errors always JSON naming
the parameter, queued work answered the same way, parameters documented with their bounds."""

import io

import openpyxl
import pytest
import yaml

from tests.factories import AreaFactory, BuyerFactory, ProducerFactory, ProductFactory

pytestmark = pytest.mark.django_db

DOWNLOADS = [
    "/api/v1/analytics/coverage/",
    "/api/v1/analytics/coverage/gaps/",
    "/api/v1/analytics/statistics/by-stars/",
    "/api/v1/analytics/statistics/expiring/",
]


@pytest.fixture
def registry():
    AreaFactory(code="X1", level="commune", lat=21.0, lon=105.8, population=1000)
    BuyerFactory(code="DB1", kind="sales_point", lat=21.0, lon=105.81)
    ProductFactory(code="SP1", name="Mật ong Hà Nội")


@pytest.mark.parametrize("url", DOWNLOADS)
def test_format_csv_and_accept_text_csv_give_the_same_file(client, registry, url):
    by_parameter = client.get(url, {"format": "csv"})
    by_header = client.get(url, HTTP_ACCEPT="text/csv")
    assert by_parameter.status_code == by_header.status_code == 200
    assert by_parameter["Content-Type"].startswith("text/csv")
    assert by_parameter.content == by_header.content
    assert by_parameter.content.startswith("\ufeff".encode())
    assert "attachment" in by_parameter["Content-Disposition"]


@pytest.mark.parametrize("url", DOWNLOADS)
def test_xlsx_is_a_workbook(client, registry, url):
    response = client.get(url, {"format": "xlsx"})
    assert response.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(response.content)).sheetnames


@pytest.mark.parametrize("url", [*DOWNLOADS, "/api/v1/products/"])
def test_a_format_not_offered_answers_400_naming_format(client, registry, url):
    response = client.get(url, {"format": "pdf"})
    assert response.status_code == 400
    assert "format" in response.json()


def test_a_bad_parameter_of_a_download_answers_json_not_a_broken_file(client, registry):
    response = client.get(DOWNLOADS[0], {"format": "csv", "radius_km": "-1"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "radius_km" in response.json()


@pytest.mark.parametrize("value", ["nan", "inf", "abc"])
def test_numbers_that_are_not_numbers_are_refused(client, registry, value):
    response = client.get(DOWNLOADS[0], {"radius_km": value})
    assert response.status_code == 400 and "radius_km" in response.json()


def test_geojson_by_format_or_accept(client, registry):
    response = client.get(DOWNLOADS[0], HTTP_ACCEPT="application/geo+json")
    assert response["Content-Type"].startswith("application/geo+json")
    assert response.json()["type"] == "FeatureCollection"


def test_registry_geojson_still_answers_a_client_that_asks_for_json(client, registry):
    response = client.get("/api/v1/buyers/geojson/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json()["type"] == "FeatureCollection"


def test_registry_export_ignores_the_accept_header(stranger, registry):
    response = stranger.get("/api/v1/export/products.csv", HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")


def test_query_parameters_are_documented_with_their_bounds(client):
    schema = yaml.safe_load(client.get("/api/v1/schema/").content)
    coverage = schema["paths"]["/api/v1/analytics/coverage/"]["get"]
    radius = next(p for p in coverage["parameters"] if p["name"] == "radius_km")
    assert radius["schema"]["minimum"] == 0 and radius["schema"]["maximum"] == 1000
    assert "400" in coverage["responses"]
    siting = schema["paths"]["/api/v1/analytics/siting/"]["get"]
    assert "202" in siting["responses"]
    k = next(p for p in siting["parameters"] if p["name"] == "k")
    assert k["schema"]["minimum"] == 1


def test_a_delete_blocked_by_references_answers_409_naming_them(planner):
    cooperative = ProducerFactory(code="HTX-A")
    ProductFactory(code="SP-A", producer=cooperative)
    ProductFactory(code="SP-B", producer=cooperative)
    response = planner.delete("/api/v1/producers/HTX-A/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    [reason] = response.json()["non_field_errors"]
    assert "2" in reason and "SP-A" in reason and "SP-B" in reason


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page_size=-1", "page_size"),
        ("page_size=abc", "page_size"),
        ("stars=9", "stars"),
        ("stars_min=0", "stars_min"),
        ("area=NOPE", "area"),
        ("category=nope", "category"),
    ],
)
def test_a_filter_that_cannot_match_answers_400_naming_it(client, registry, query, field):
    response = client.get(f"/api/v1/products/?{query}")
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_many_unknown_codes_are_named_by_the_first_twenty_and_a_count(planner):
    codes = [f"NOPE-{i:05d}" for i in range(5000)]
    response = planner.post(
        "/api/v1/allocations/", {"requests": codes}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    [reason] = response.json()["requests"]
    assert isinstance(reason, str)
    assert "NOPE-00019" in reason and "NOPE-00020" not in reason and "4980 more" in reason


@pytest.mark.parametrize(
    ("language", "reason"),
    [
        (None, "Không có địa bàn nào mã NOPE."),
        ("vi", "Không có địa bàn nào mã NOPE."),
        ("en", "No area has the code NOPE."),
    ],
)
def test_errors_speak_the_requests_language_vietnamese_by_default(client, language, reason):
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    response = client.get("/api/v1/products/?area=NOPE", **headers)
    assert response.json() == {"area": [reason]}


def test_a_body_that_is_not_json_is_a_400_in_the_one_shape(planner):
    response = planner.generic(
        "POST", "/api/v1/allocations/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    [reason] = response.json()["non_field_errors"]
    assert isinstance(reason, str)
