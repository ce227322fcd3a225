"""Webhooks: registered over the API, posted signed to a local receiver, retried, logged; never
to a private address unless allowed."""

import hashlib
import hmac
import json

import pytest
from django.urls import reverse

from notifications import webhooks
from notifications.models import Webhook, WebhookDelivery
from notifications.services import webhook_create
from tests.api.conftest import client_for

from .conftest import proposal_data

pytestmark = pytest.mark.django_db


def _register(user, url, events=("proposal.created",)):
    answer = client_for(user).post(
        "/api/v1/webhooks/", {"url": url, "events": list(events)}, format="json"
    )
    assert answer.status_code == 201, answer.json()
    return answer.json()


def _verify(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does (README): HMAC-SHA256 of the raw body, compared in constant time."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


def test_a_delivery_is_signed_and_names_itself(world, deliver, receiver):
    created = _register(world["chain_owner"], receiver.url)
    assert len(created["secret"]) == 64
    deliver("proposal.created", code="7", actor=world["coop"], **proposal_data(world))

    [received] = receiver.received
    headers = received["headers"]
    assert _verify(created["secret"], received["body"], headers["X-OCOP-Signature"])
    assert not _verify("another-secret", received["body"], headers["X-OCOP-Signature"])
    payload = json.loads(received["body"])
    assert set(payload) == {"event", "data", "delivered_at", "id"}
    assert payload["event"] == "proposal.created"
    assert payload["data"]["product"] == "SP-1" and payload["data"]["code"] == "7"
    assert headers["X-OCOP-Delivery"] == payload["id"]
    assert headers["Content-Type"] == "application/json"
    delivery = WebhookDelivery.objects.get(pk=payload["id"])
    assert (delivery.status, delivery.attempts) == ("delivered", 1)


def test_the_secret_is_shown_once(world):
    created = _register(world["chain_owner"], "http://127.0.0.1:9/hook")
    client = client_for(world["chain_owner"])
    listed = client.get("/api/v1/webhooks/").json()["results"]
    assert listed == [{k: v for k, v in created.items() if k != "secret"}]
    assert "secret" not in client.get(f"/api/v1/webhooks/{created['id']}/").json()


def test_a_webhook_hears_only_of_its_owners_records_and_subscribed_events(world, deliver, receiver):
    _register(world["stranger"], receiver.url)
    _register(world["coop"], receiver.url, events=["proposal.state_changed"])
    deliver("proposal.created", code="7", actor=world["coop"], **proposal_data(world))
    assert receiver.received == []


def test_a_failed_post_is_tried_again_until_taken(world, deliver, receiver):
    created = _register(world["chain_owner"], receiver.url)
    receiver.statuses = [500]
    deliver("proposal.created", code="7", actor=world["coop"], **proposal_data(world))

    assert len(receiver.received) == 2
    first, second = receiver.payloads()
    assert first["id"] == second["id"]
    for received in receiver.received:
        assert _verify(created["secret"], received["body"], received["headers"]["X-OCOP-Signature"])
    log = client_for(world["chain_owner"]).get(reverse("webhook-deliveries", args=[created["id"]]))
    [delivery] = log.json()["results"]
    assert delivery["status"] == "delivered" and delivery["attempts"] == 2
    assert [t["status_code"] for t in delivery["tries"]] == [500, 200]
    assert all(t["duration_ms"] >= 0 for t in delivery["tries"])


def test_a_delivery_fails_after_its_tries(world, deliver, receiver, settings):
    _register(world["chain_owner"], receiver.url)
    receiver.statuses = [500] * 10
    deliver("proposal.created", code="7", actor=world["coop"], **proposal_data(world))
    assert len(receiver.received) == settings.WEBHOOK_INLINE_ATTEMPTS
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", settings.WEBHOOK_INLINE_ATTEMPTS)


def test_on_a_worker_each_try_is_one_run_and_a_failure_asks_for_another(
    world, receiver, monkeypatch, settings
):
    """With a queue that retries (rq on a worker), a failed try raises for rq to run the job again
    after its pause; the last one gives up."""
    monkeypatch.setattr(webhooks.jobs, "queue_retries", lambda: True)
    settings.WEBHOOK_RETRY_INTERVALS = (30, 60)
    hook = webhook_create(owner=world["chain_owner"], url=receiver.url, events=["proposal.created"])
    delivery = WebhookDelivery.objects.create(webhook=hook, event="proposal.created", data={})
    receiver.statuses = [500, 503, 500]
    for _ in range(2):
        with pytest.raises(webhooks.DeliveryFailed):
            webhooks.deliver(str(delivery.pk))
    assert webhooks.deliver(str(delivery.pk)) == "failed"
    assert len(receiver.received) == 3
    again = WebhookDelivery.objects.create(webhook=hook, event="proposal.created", data={})
    assert webhooks.deliver(str(again.pk)) == "delivered"


def test_a_receiver_that_does_not_answer_is_logged(world, deliver, settings):
    # Nothing listens on port 9 of this machine: the connection is refused.
    _register(world["chain_owner"], "http://127.0.0.1:9/hook")
    deliver("proposal.created", code="7", actor=world["coop"], **proposal_data(world))
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert all(t.status_code is None and t.error for t in delivery.attempt_log.all())


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "ftp://example.org/hook",
        "file:///etc/passwd",
    ],
)
def test_private_addresses_and_other_schemes_are_refused(world, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    answer = client_for(world["coop"]).post(
        "/api/v1/webhooks/", {"url": url, "events": ["proposal.created"]}, format="json"
    )
    assert answer.status_code == 400
    assert "url" in answer.json()
    assert not Webhook.objects.exists()


def test_a_public_address_is_accepted(world, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    webhooks.check_url("https://93.184.215.14/hook")


def test_a_private_address_is_refused_at_delivery_too(world, deliver, receiver, settings):
    """A webhook registered while allowed (or a host that now resolves privately) is not posted."""
    _register(world["chain_owner"], receiver.url)
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    deliver("proposal.created", code="7", actor=world["coop"], **proposal_data(world))
    assert receiver.received == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert "private network" in delivery.attempt_log.first().error


def test_unknown_events_are_refused(world):
    answer = client_for(world["coop"]).post(
        "/api/v1/webhooks/",
        {"url": "http://127.0.0.1:9/", "events": ["product.deleted"]},
        format="json",
    )
    assert answer.status_code == 400 and "events" in answer.json()


def test_webhooks_are_their_owners_alone(world, anonymous_client):
    created = _register(world["coop"], "http://127.0.0.1:9/hook")
    other = client_for(world["stranger"])
    assert other.get("/api/v1/webhooks/").json()["count"] == 0
    assert other.get(f"/api/v1/webhooks/{created['id']}/").status_code == 404
    assert other.delete(f"/api/v1/webhooks/{created['id']}/").status_code == 404
    assert anonymous_client.get("/api/v1/webhooks/").status_code == 401
    assert anonymous_client.post("/api/v1/webhooks/", {}).status_code == 401
    owner = client_for(world["coop"])
    changed = owner.patch(f"/api/v1/webhooks/{created['id']}/", {"active": False}, format="json")
    assert changed.json()["active"] is False
    assert owner.delete(f"/api/v1/webhooks/{created['id']}/").status_code == 204
    assert not Webhook.objects.exists()


def test_a_sourcing_request_delivery_names_the_owners_matching_products(
    world, receiver, django_capture_on_commit_callbacks
):
    from linkage import services

    _register(world["coop"], receiver.url, events=["sourcing_request.created"])
    with django_capture_on_commit_callbacks(execute=True):
        services.sourcing_request_create(
            actor=None,
            code="YC-9",
            buyer=world["point"],
            category="food",
            quantity_per_month=100,
        )
    [payload] = receiver.payloads()
    assert payload["event"] == "sourcing_request.created"
    assert payload["data"]["code"] == "YC-9"
    assert payload["data"]["products"] == ["SP-1"]
