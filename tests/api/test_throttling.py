"""The throttles: a client's address is not its to choose, and a Redis outage still limits."""

from unittest import mock

import pytest
from django.core.cache import caches
from django.test import override_settings
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from api.throttling import AnonRateThrottle, FallbackCache, client_address
from config.settings.base import locmem_cache, redis_cache

DEAD_REDIS = "redis://127.0.0.1:1/0"  # port 1: nothing listens, connections are refused at once
QUOTA = 3


class Probe(APIView):
    """An endpoint throttled like production's anonymous requests."""

    authentication_classes = ()
    permission_classes = ()
    throttle_classes = (AnonRateThrottle,)

    def get(self, request):
        return Response({"ok": True})


def rest_framework(**changes):
    from django.conf import settings

    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": f"{QUOTA}/minute"}
    return override_settings(
        REST_FRAMEWORK={
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": rates,
            **changes,
        }
    )


def answers(*headers: dict) -> list[int]:
    factory, view = APIRequestFactory(), Probe.as_view()
    return [view(factory.get("/probe/", **h)).status_code for h in headers]


def test_forwarded_for_does_not_reset_the_anonymous_quota_by_default():
    # The project's default (DJANGO_NUM_PROXIES unset): no proxy trusted, the socket counts.
    with rest_framework():
        codes = answers(*({"HTTP_X_FORWARDED_FOR": f"192.0.2.{i}"} for i in range(QUOTA + 2)))
        request = APIRequestFactory().get("/", HTTP_X_FORWARDED_FOR="192.0.2.1")
        assert client_address(request) == "127.0.0.1"
    assert codes == [200] * QUOTA + [429, 429]


def test_behind_one_proxy_the_address_it_appended_counts():
    with rest_framework(NUM_PROXIES=1):
        # The client writes what it likes on the left; the proxy appends the address it saw.
        spoofed = [{"HTTP_X_FORWARDED_FOR": f"192.0.2.{i}, 203.0.113.5"} for i in range(QUOTA + 1)]
        assert answers(*spoofed) == [200] * QUOTA + [429]
        assert answers({"HTTP_X_FORWARDED_FOR": "203.0.113.6"}) == [200]
        request = APIRequestFactory().get("/", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7")
        assert client_address(request) == "203.0.113.7"
        # Without the header (a request that did not come through the proxy): the socket.
        assert client_address(APIRequestFactory().get("/")) == "127.0.0.1"


def test_two_trusted_proxies_take_the_second_address_from_the_right():
    with rest_framework(NUM_PROXIES=2):
        request = APIRequestFactory().get(
            "/", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.2, 10.0.0.1"
        )
        assert client_address(request) == "198.51.100.2"


def test_the_limit_holds_with_the_shared_cache_unreachable():
    dead = redis_cache(DEAD_REDIS)
    dead["OPTIONS"] = {**dead["OPTIONS"], "IGNORE_EXCEPTIONS": False}
    caches_ = {
        "default": locmem_cache("probe-default"),
        "throttle": dead,
        "throttle-local": locmem_cache("probe-local"),
    }
    with rest_framework(NUM_PROXIES=0), override_settings(CACHES=caches_):
        assert answers(*({} for _ in range(QUOTA + 2))) == [200] * QUOTA + [429, 429]
        caches["throttle-local"].clear()


def test_the_limit_holds_when_the_shared_cache_raises():
    failing = mock.Mock()
    failing.get.side_effect = ConnectionError("redis down")
    failing.set.side_effect = ConnectionError("redis down")
    real = caches.__getitem__

    def lookup(alias):
        return failing if alias == "throttle" else real(alias)

    with rest_framework(NUM_PROXIES=0), mock.patch.object(type(caches), "__getitem__") as get:
        get.side_effect = lookup
        assert answers(*({} for _ in range(QUOTA + 1))) == [200] * QUOTA + [429]
    assert failing.get.call_count == 1  # then counted locally without retrying at each request


def test_the_shared_cache_is_used_again_once_it_answers():
    fallback = FallbackCache(shared="default", local="throttle-local")
    fallback.down_until = 0.0
    fallback.set("k", [1], 60)
    assert caches["default"].get("k") == [1]
    assert caches["throttle-local"].get("k") is None


@pytest.mark.parametrize("proxies", [None, 0])
def test_an_unset_proxy_count_reads_as_none_trusted(proxies):
    with rest_framework(NUM_PROXIES=proxies):
        request = APIRequestFactory().get("/", HTTP_X_FORWARDED_FOR="6.6.6.6")
        assert client_address(request) == "127.0.0.1"
