"""Posting events to the webhooks users register: signed, on the job queue, retried, logged.

Each delivery is one event for one webhook (``WebhookDelivery``, its id sent as
``X-OCOP-Delivery``); each POST of it is a ``WebhookAttempt`` (status code or error, duration).
The body is JSON ``{"event", "data", "delivered_at", "id"}``, signed with the webhook's secret:
``X-OCOP-Signature: sha256=<hex HMAC-SHA256 of the raw body>``. A 2xx answer delivers it; any
other answer, a timeout or a refused connection is tried again: on a worker by rq, after the
pauses of ``WEBHOOK_RETRY_INTERVALS`` (exponential); without one in the process, up to
``WEBHOOK_INLINE_ATTEMPTS`` times with pauses doubling from ``WEBHOOK_INLINE_BACKOFF_SECONDS``.

Only http(s) URLs, and, unless ``WEBHOOK_ALLOW_PRIVATE_ADDRESSES``, only hosts whose every
address is public: a webhook must not make the service call into its own network (SSRF). The
host is checked when the webhook is registered and again before each POST; redirects are not
followed and no proxy is used.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from linkage import jobs

from .models import WebhookAttempt, WebhookDelivery

__all__ = ["AddressRefused", "check_url", "deliver", "queue_delivery", "sign"]

logger = logging.getLogger(__name__)


class AddressRefused(ValueError):
    """A webhook URL the service may not call (scheme, or a host on a private network)."""


def sign(secret: str, body: bytes) -> str:
    """The ``X-OCOP-Signature`` value of ``body``: ``sha256=`` and the hex HMAC-SHA256."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def check_url(url: str) -> None:
    """Raise ``AddressRefused`` unless ``url`` is http(s) to a host the service may call."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressRefused(_("Only http and https URLs are accepted."))
    if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return
    host = parts.hostname.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        raise AddressRefused(_("The URL's host is on a private network."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError, UnicodeError) as exc:
        raise AddressRefused(_("The URL's host cannot be found.")) from exc
    for *_rest, sockaddr in found:
        address = ipaddress.ip_address(sockaddr[0].split("%")[0])
        mapped = getattr(address, "ipv4_mapped", None)
        address = mapped or address
        if not address.is_global or address.is_multicast:
            raise AddressRefused(_("The URL's host is on a private network."))


def queue_delivery(delivery: WebhookDelivery) -> None:
    """Hand ``delivery`` to the job queue (in-process without one)."""
    jobs.enqueue(
        "notifications.webhooks.deliver",
        retry_intervals=tuple(settings.WEBHOOK_RETRY_INTERVALS),
        delivery_id=str(delivery.pk),
    )


class DeliveryFailed(Exception):
    """This try failed; the queue will try again."""


def deliver(delivery_id: str) -> str:
    """Post the delivery; its status afterwards (pending while the queue will retry).

    On a worker each run is one try, and a failed try raises ``DeliveryFailed`` for rq to run it
    again after its pause; the last one marks the delivery failed. In the process, the tries are
    made here, one after another.
    """
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != WebhookDelivery.PENDING:
        return delivery.status if delivery else "gone"
    if not delivery.webhook.active:
        return _finish(delivery, WebhookDelivery.FAILED)
    if jobs.queue_retries():
        if _attempt(delivery):
            return delivery.status
        if delivery.attempts <= len(settings.WEBHOOK_RETRY_INTERVALS):
            raise DeliveryFailed(f"webhook delivery {delivery.pk}: try {delivery.attempts} failed")
        return _finish(delivery, WebhookDelivery.FAILED)
    pause = settings.WEBHOOK_INLINE_BACKOFF_SECONDS
    for n in range(settings.WEBHOOK_INLINE_ATTEMPTS):
        if n:
            time.sleep(pause * 2 ** (n - 1))
        if _attempt(delivery):
            return delivery.status
    return _finish(delivery, WebhookDelivery.FAILED)


def _finish(delivery: WebhookDelivery, status: str) -> str:
    delivery.status = status
    if status == WebhookDelivery.DELIVERED:
        delivery.delivered_at = timezone.now()
    delivery.save(update_fields=["status", "delivered_at", "attempts"])
    return status


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a redirect is an answer like any other non-2xx: not followed


# No proxy: a proxy would resolve the host itself, past the address check.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


def _attempt(delivery: WebhookDelivery) -> bool:
    """One POST of ``delivery``, logged; whether it was delivered."""
    webhook = delivery.webhook
    body = json.dumps(
        {
            "event": delivery.event,
            "data": delivery.data,
            "delivered_at": timezone.now().isoformat(),
            "id": str(delivery.pk),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    request = urllib.request.Request(
        webhook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "OCOP-Linkage-Webhooks/1",
            "X-OCOP-Event": delivery.event,
            "X-OCOP-Delivery": str(delivery.pk),
            "X-OCOP-Signature": sign(webhook.secret, body),
        },
    )
    status_code, error = None, ""
    started = time.monotonic()
    try:
        with translation.override("en"):  # the log's errors are in English, as the OS's are
            check_url(webhook.url)
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as answer:
            status_code = answer.status
    except urllib.error.HTTPError as exc:
        status_code = exc.code
    except (AddressRefused, OSError, ValueError) as exc:
        error = str(getattr(exc, "reason", exc))[:500] or type(exc).__name__
    duration_ms = round((time.monotonic() - started) * 1000)
    delivery.attempts += 1
    WebhookAttempt.objects.create(
        delivery=delivery,
        attempt=delivery.attempts,
        status_code=status_code,
        error=error,
        duration_ms=duration_ms,
    )
    if status_code is not None and 200 <= status_code < 300:
        _finish(delivery, WebhookDelivery.DELIVERED)
        return True
    delivery.save(update_fields=["attempts"])
    logger.info(
        "Webhook %s: try %s failed (%s)", webhook.pk, delivery.attempts, status_code or error
    )
    return False
