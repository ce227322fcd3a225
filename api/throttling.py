"""Who a request comes from, and the throttles that count requests per client.

``client_address`` is the one rule for a client's address, used by the throttles and by the
sign-in lockout (django-axes, ``AXES_CLIENT_IP_CALLABLE``): the socket's address unless
``NUM_PROXIES`` (``DJANGO_NUM_PROXIES``) proxies are trusted to append to X-Forwarded-For, and then
the address the outermost trusted proxy saw. A client cannot reset its quota by sending a header.

The throttles count in the shared cache ("throttle": Redis in production). While it cannot be
reached they count in the process's own memory ("throttle-local"), so an outage of Redis leaves
each process limiting on its own instead of letting every request through.
"""

import logging
import time

from django.core.cache import caches
from rest_framework import throttling
from rest_framework.settings import api_settings

__all__ = [
    "AnonRateThrottle",
    "FallbackCache",
    "LoginRateThrottle",
    "UserRateThrottle",
    "client_address",
]

log = logging.getLogger(__name__)

SHARED_ALIAS = "throttle"
LOCAL_ALIAS = "throttle-local"
# After a failure of the shared cache, the throttles count locally this long before trying it
# again, so that an unreachable Redis does not cost each request a connection timeout.
RETRY_SHARED_AFTER_S = 5.0


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or the NUM_PROXIES-th address from the right of
    X-Forwarded-For when that many proxies are trusted (DRF's rule, with None read as 0)."""
    meta = request.META
    remote = meta.get("REMOTE_ADDR", "")
    proxies = api_settings.NUM_PROXIES or 0
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    if proxies <= 0 or not forwarded:
        return remote
    addresses = [part.strip() for part in forwarded.split(",")]
    return addresses[-min(proxies, len(addresses))] or remote


class FallbackCache:
    """The get and set the throttles use: the shared cache, or the local one while it fails."""

    def __init__(self, shared: str = SHARED_ALIAS, local: str = LOCAL_ALIAS):
        self.shared, self.local = shared, local
        self.down_until = 0.0

    def _call(self, method: str, *args):
        if time.monotonic() >= self.down_until:
            try:
                return getattr(caches[self.shared], method)(*args)
            except Exception as exc:  # noqa: BLE001 - any failure of the shared cache
                self.down_until = time.monotonic() + RETRY_SHARED_AFTER_S
                log.warning("throttle cache %r unreachable, counting locally: %s", self.shared, exc)
        return getattr(caches[self.local], method)(*args)

    def get(self, key, default=None):
        return self._call("get", key, default)

    def set(self, key, value, timeout=None):
        return self._call("set", key, value, timeout)


class _Counted:
    """Counts in the fallback cache; reads its rate from the settings at each request (so that
    ``DEFAULT_THROTTLE_RATES`` may change under test), and identifies clients by
    ``client_address``."""

    cache = FallbackCache()

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        return client_address(request)


class AnonRateThrottle(_Counted, throttling.AnonRateThrottle):
    """Anonymous requests, per client address ("anon")."""


class UserRateThrottle(_Counted, throttling.UserRateThrottle):
    """Signed-in requests per account, anonymous ones per address ("user")."""


class LoginRateThrottle(_Counted, throttling.SimpleRateThrottle):
    """Sign-in attempts per client address, signed in or not ("login")."""

    scope = "login"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
