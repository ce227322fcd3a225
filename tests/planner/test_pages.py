"""The planners' pages answer, and load nothing from another host."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

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
