"""Fixtures shared by the whole suite."""

import pytest
from django.core.cache import cache, caches

from api.throttling import AnonRateThrottle


def _clear():
    cache.clear()
    caches["throttle-local"].clear()
    AnonRateThrottle.cache.down_until = 0.0


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache, on the in-process cache and on Redis alike, and with
    the throttles' counts (shared and per process) at zero."""
    _clear()
    yield
    _clear()


@pytest.fixture(autouse=True)
def _file_dirs(settings, tmp_path):
    """Exports and uploads waiting for their job go to the test's own folder."""
    settings.EXPORT_DIR = tmp_path / "exports"
    settings.IMPORT_UPLOAD_DIR = tmp_path / "imports"
