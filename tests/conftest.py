"""Fixtures shared by the whole suite."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache, on the in-process cache and on Redis alike."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _file_dirs(settings, tmp_path):
    """Exports and uploads waiting for their job go to the test's own folder."""
    settings.EXPORT_DIR = tmp_path / "exports"
    settings.IMPORT_UPLOAD_DIR = tmp_path / "imports"
