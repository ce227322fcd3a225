"""Every page is served with a Content-Security-Policy that allows no inline script."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/planner/", "/planner/map/", "/planner/statistics/", "/api/v1/docs/", "/admin/login/"]
)
def test_pages_forbid_inline_scripts_and_outside_sources(client, path):
    response = client.get(path)
    assert response.status_code == 200
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    # The one outside source: OpenStreetMap's tiles, for the map's optional online layer.
    assert [v for v in directives["img-src"] if v.startswith("http")] == [
        "https://tile.openstreetmap.org"
    ]


def test_our_templates_have_no_inline_script_or_handler_without_the_nonce():
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or "csp_nonce" in tag, (template, tag)
        assert not re.search(r"\son[a-z]+\s*=", text), template
