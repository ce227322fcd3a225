"""The layout of docs/architecture.md, enforced: each app imports only what it may."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# app → the project's apps it may import (besides itself). Management commands are entry points:
# those of linkage load the simulated registries.
ALLOWED = {
    "linkage": set(),
    "analytics": {"linkage"},
    "simulation": {"linkage", "events"},
    "api": {"linkage", "analytics", "notifications", "events"},
    "events": {"linkage"},
    "notifications": {"linkage"},
    "planner": {"linkage", "analytics"},
    "workspace": {"linkage", "notifications"},
}
PURE = [
    "linkage/graph.py",
    "linkage/snapshot.py",
    "linkage/network.py",
    "linkage/recommend.py",
    "linkage/ranking.py",
    "linkage/matching.py",
    "linkage/eligibility.py",
    "linkage/distance.py",
    "linkage/spreadsheets.py",
    "linkage/privacy.py",
    "analytics/coverage.py",
    "analytics/frames.py",
    "analytics/siting.py",
    "analytics/statistics.py",
    "events/scheduling.py",
    "events/exports.py",
]


def _imported(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
    return found


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_an_app_imports_only_the_apps_it_may(app):
    others = set(ALLOWED) - {app} - ALLOWED[app]
    wrong = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and "management" not in path.parts
        for name in _imported(path)
        if name.split(".")[0] in others
    }
    assert not wrong


@pytest.mark.parametrize("module", PURE)
def test_pure_modules_touch_neither_the_database_nor_http(module):
    names = _imported(ROOT / module)
    assert not {n for n in names if n.startswith(("django.db", "rest_framework", "django.http"))}
    assert not {n for n in names if n.endswith(".models") or n.endswith("selectors")}
