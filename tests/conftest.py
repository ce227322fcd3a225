"""Fixtures shared by the whole suite."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache, on the in-process cache and on Redis alike."""
    cache.clear()
    yield
    cache.clear()
