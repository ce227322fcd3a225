"""Every HTML page and its static files answer under the production static storage.

``collectstatic`` runs into a temporary STATIC_ROOT with the production settings' storage (the
hashed manifest, compressed by WhiteNoise), then each page is fetched with DEBUG off, as gunicorn
serves it, and so is every static file it names (and every file its style sheets name).
"""

import importlib
import re
import sys
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

PAGES = [
    "/",
    "/planner/",
    "/planner/map/",
    "/planner/statistics/",
    "/admin/login/",
    "/api/v1/docs/",
    "/api/v1/redoc/",
    "/api/v1/schema/",
]
_ASSET = re.compile(r"""(?:src|href)=["']([^"']*/static/[^"']+)["']""")
_CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)""")


def _production_settings(monkeypatch):
    """The production settings module, read with a throwaway key (it refuses to load without)."""
    monkeypatch.setenv("DJANGO_SECRET_KEY", "throwaway-" + "k" * 60)
    monkeypatch.setenv("DJANGO_SECURE_SSL_REDIRECT", "0")
    sys.modules.pop("config.settings.production", None)
    try:
        return importlib.import_module("config.settings.production")
    finally:
        sys.modules.pop("config.settings.production", None)


@pytest.fixture
def production_static(tmp_path, monkeypatch):
    production = _production_settings(monkeypatch)
    assert "Manifest" in production.STORAGES["staticfiles"]["BACKEND"]
    with override_settings(
        DEBUG=False,
        STATIC_ROOT=tmp_path / "static",
        STORAGES=production.STORAGES,
        WHITENOISE_USE_FINDERS=production.WHITENOISE_USE_FINDERS,
        WHITENOISE_AUTOREFRESH=False,
    ):
        call_command("collectstatic", "--noinput", verbosity=0)
        yield Client(raise_request_exception=False)


def _assets(client, page: str, html: str) -> set[str]:
    found = {urlsplit(urljoin(page, url)).path for url in _ASSET.findall(html)}
    for sheet in [url for url in found if url.endswith(".css")]:
        css = b"".join(client.get(sheet).streaming_content).decode()
        found |= {
            urlsplit(urljoin(sheet, url)).path
            for url in _CSS_URL.findall(css)
            if not url.startswith(("data:", "#"))
        }
    return found


@pytest.mark.django_db
def test_every_page_and_its_static_files_answer_in_production(production_static):
    client = production_static
    failures = []
    assets = set()
    for page in PAGES:
        response = client.get(page, follow=True)
        if response.status_code != 200:
            failures.append(f"{page}: {response.status_code}")
            continue
        if response["Content-Type"].startswith("text/html"):
            assets |= _assets(client, page, response.content.decode())
    assert any("/static/vendor/leaflet/" in path for path in assets)
    assert any("/static/vendor/chartjs/" in path for path in assets)
    assert any("swagger" in path for path in assets)
    for path in sorted(assets):
        response = client.get(path)
        if response.status_code != 200:
            failures.append(f"{path}: {response.status_code}")
    assert not failures


def test_the_vendored_scripts_name_no_source_map_that_is_not_shipped():
    from pathlib import Path

    vendor = Path(__file__).resolve().parents[2] / "static" / "vendor"
    for script in vendor.rglob("*.js"):
        for name in re.findall(r"sourceMappingURL=(\S+)", script.read_text(encoding="utf-8")):
            assert (script.parent / name).exists(), f"{script.name} names {name}"
