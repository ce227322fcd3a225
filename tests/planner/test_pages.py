"""The planners' pages answer, and load nothing from another host."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.staticfiles import finders

from linkage import services
from tests.factories import ProductFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGES = ["/planner/", "/planner/map/", "/planner/statistics/"]
REFERENCE = re.compile(r'\b(?:src|href)="([^"]*)"')


def references(html: str) -> list[str]:
    return REFERENCE.findall(html)


@pytest.mark.parametrize("url", PAGES)
def test_page_answers_html(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("url", PAGES)
def test_page_references_only_local_files_that_exist(client, url):
    html = client.get(url).content.decode()
    for reference in references(html):
        assert not re.match(r"^(?:[a-z]+:)?//", reference), reference
        if reference.startswith(settings.STATIC_URL) or reference.startswith("/static/"):
            name = reference.split("/static/", 1)[1]
            assert finders.find(name), f"{reference} is not a static file"


def test_map_page_loads_vendored_leaflet_and_names_its_data_sources(client):
    html = client.get("/planner/map/", {"radius_km": "3", "k": "4"}).content.decode()
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "/static/vendor/leaflet/leaflet.css" in html
    assert 'id="sales-point-count"' in html
    assert "/api/v1/buyers/geojson/?kind=sales_point" in html
    assert "coverage/?format=geojson&amp;radius_km=3" in html
    assert "siting/?format=geojson&amp;k=4" in html


def test_statistics_page_loads_vendored_chartjs_and_links_downloads(client):
    html = client.get("/planner/statistics/").content.decode()
    assert "/static/vendor/chartjs/chart.umd.min.js" in html
    assert "/api/v1/analytics/statistics/by-year/?format=csv" in html
    assert "/api/v1/analytics/statistics/by-year/?format=xlsx" in html


@pytest.mark.parametrize(
    ("params", "field"),
    [({"radius_km": "far"}, "radius_km"), ({"radius_km": "-1"}, "radius_km"), ({"k": "0"}, "k")],
)
def test_map_page_refuses_bad_parameters_naming_them(client, params, field):
    response = client.get("/planner/map/", params)
    assert response.status_code == 400
    assert field in response.content.decode()


def test_page_scripts_use_no_remote_address_except_the_optional_tile_layer():
    scripts = Path(settings.BASE_DIR, "static", "planner")
    for script in scripts.glob("*.js"):
        remote = re.findall(r"https?://[^\s\"']+", script.read_text())
        assert all(url.startswith("https://tile.openstreetmap.org/") for url in remote), remote


def test_vendored_libraries_come_with_their_licences():
    vendor = Path(settings.BASE_DIR, "static", "vendor")
    assert "BSD" in (vendor / "leaflet" / "LICENSE").read_text()
    assert "MIT" in (vendor / "chartjs" / "LICENSE.md").read_text()
    assert "npm pack" in (vendor / "README.md").read_text()


def test_map_page_writes_the_radius_as_machine_text_in_vietnamese(client):
    html = client.get("/planner/map/", {"radius_km": "2.5"}, HTTP_ACCEPT_LANGUAGE="vi").content
    html = html.decode()
    assert 'name="radius_km" value="2.5"' in html
    assert 'data-radius-km="2.5"' in html
    assert "2,5" not in html


def test_map_page_offers_each_chain_and_product_group_and_asks_for_them(client):
    from linkage.choices import BuyerKind
    from tests.factories import BuyerFactory

    BuyerFactory(kind=BuyerKind.RETAIL_CHAIN, code="CH-X", name="Chuỗi X")
    html = client.get("/planner/map/").content.decode()
    assert '<option value="chain:CH-X">Chuỗi X</option>' in html
    assert '<option value="tourism">' in html
    html = client.get("/planner/map/", {"supply": "chain:CH-X", "category": "food"}).content
    html = html.decode()
    assert "gaps/?format=geojson&amp;radius_km=5&amp;supply=chain%3ACH-X&amp;category=food" in html
    assert "/api/v1/buyers/geojson/?kind=store&amp;chain=CH-X&amp;category=food" in html


@pytest.mark.parametrize(
    ("page", "params", "field"),
    [
        ("/planner/map/", {"radius_km": "2,5"}, "radius_km"),
        ("/planner/map/", {"supply": "chain:NOPE"}, "supply"),
        ("/planner/statistics/", {"as_of": "2025-13-01"}, "as_of"),
        ("/planner/statistics/", {"target": "-1"}, "target"),
    ],
)
def test_a_bad_filter_is_one_message_beside_its_field(client, page, params, field):
    response = client.get(page, params, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 400
    assert html.count('class="field-error"') == 1
    assert f'id="error-{field}"' in html
    assert 'data-valid="0"' in html


def test_statistics_page_names_columns_in_the_language_asked_for(client):
    english = client.get("/planner/statistics/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    vietnamese = client.get("/planner/statistics/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert '"year": "Year"' in english and '"days_left": "Days left"' in english
    assert '"year": "N\\u0103m"' in vietnamese
    assert "producer_id" not in english and "area_id" not in english


def test_statistics_downloads_ask_for_what_each_table_shows(client):
    html = client.get("/planner/statistics/", {"as_of": "2024-06-30", "target": "500"}).content
    html = html.decode()
    assert "by-year/?as_of=2024-06-30&amp;format=csv" in html
    assert "targets/?as_of=2024-06-30&amp;target=500&amp;format=xlsx" in html
    assert "expiring/?as_of=2024-06-30&amp;months=6&amp;format=csv" in html


def test_the_base_layer_has_the_country_and_its_provinces_with_their_source():
    import json

    folder = Path(settings.BASE_DIR, "static", "planner", "boundaries")
    layer = json.loads((folder / "vietnam.geojson").read_text())
    kinds = [f["properties"]["kind"] for f in layer["features"]]
    names = {f["properties"]["name"] for f in layer["features"] if f["properties"]["name"]}
    assert kinds.count("country") == 1
    assert len(names) == 64  # Việt Nam and the 63 provinces of before July 2025
    assert {"Hà Nội", "Hồ Chí Minh", "Đồng Tháp", "Bắc Kạn"} <= names
    for feature in layer["features"]:
        lon, lat = feature["properties"]["label_at"]
        assert 102 < lon < 118 and 6 < lat < 24
    notes = (folder / "README.md").read_text()
    assert "Natural Earth" in notes and "public domain" in notes and "npm pack" in notes


def _planner_client(client):
    user = UserFactory(username="planner")
    user.groups.add(Group.objects.get_or_create(name="planners")[0])
    client.force_login(user)
    return client


def _funnel_proposals(count: int = 3) -> None:
    store = StoreFactory()
    for _ in range(count):
        services.proposal_create(
            actor=None, product=ProductFactory(), buyer=store, proposed_by="producer"
        )


def test_anonymous_statistics_page_offers_sign_in_and_no_funnel(client):
    _funnel_proposals()
    html = client.get("/planner/statistics/", {"by": "chain"}).content.decode()
    assert 'id="funnel-planners-only"' in html
    assert "/workspace/login/?next=%2Fplanner%2Fstatistics%2F%3Fby%3Dchain" in html
    assert "statistics/funnel/" not in html
    assert 'name="by"' not in html


def test_a_signed_in_stranger_sees_no_funnel_either(client):
    client.force_login(UserFactory(username="stranger"))
    html = client.get("/planner/statistics/").content.decode()
    assert 'id="funnel-planners-only"' in html and "statistics/funnel/" not in html


def test_planner_statistics_page_asks_the_funnel_api_and_links_its_downloads(client):
    planner = _planner_client(client)
    html = planner.get("/planner/statistics/", {"by": "group"}).content.decode()
    assert 'data-source="/api/v1/analytics/statistics/funnel/?by=group"' in html
    assert 'href="/api/v1/analytics/statistics/funnel/?by=group&amp;format=csv"' in html
    assert 'href="/api/v1/analytics/statistics/funnel/?by=group&amp;format=xlsx"' in html
    assert 'id="funnel-planners-only"' not in html


def test_planner_statistics_page_refuses_an_unknown_funnel_cut_beside_its_field(client):
    planner = _planner_client(client)
    response = planner.get("/planner/statistics/", {"by": "planet"}, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="error-by"' in html and html.count('class="field-error"') == 1


def test_planner_funnel_columns_are_named_in_the_page_language(client):
    planner = _planner_client(client)
    english = planner.get("/planner/statistics/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    vietnamese = planner.get("/planner/statistics/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert '"median_days_to_trading": "Median days from proposal to trading"' in english
    assert "Funnel by" in english
    assert '"proposals": "\\u0110\\u1ec1 xu\\u1ea5t"' in vietnamese
