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
