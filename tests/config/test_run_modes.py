"""The two run modes: the API answers without Redis; production settings pass the deploy check."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import override_settings

from config.settings.base import redis_cache
from tests.factories import ProductFactory

ROOT = Path(__file__).resolve().parents[2]
DEAD_REDIS = "redis://127.0.0.1:1/0"  # port 1: nothing listens, connections are refused at once


@pytest.mark.django_db
def test_api_answers_with_redis_down(client):
    ProductFactory(name="Gốm Bát Tràng")
    with override_settings(CACHES={"default": redis_cache(DEAD_REDIS)}):
        cache.set("probe", 1)
        assert cache.get("probe") is None
        response = client.get("/api/v1/products/")
        assert response.status_code == 200
        assert response.json()["count"] == 1
        assert client.get("/api/v1/schema/").status_code == 200


def test_production_settings_pass_the_deploy_check():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "k" * 20 + "-production-check-0123456789-abcdefghij",
        "DJANGO_ALLOWED_HOSTS": "ocop.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_a_missing_secret_key():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production"}
    env.pop("DJANGO_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
