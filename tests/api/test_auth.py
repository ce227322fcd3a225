"""Signing in: expiring, revocable tokens; a lockout after repeated failures; the login's quota."""

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.factories import ProducerFactory, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"
PASSWORD = "secret-password"  # tests.factories.UserFactory's


def login(client, username, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def signed_in(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def carol():
    user = UserFactory(username="carol")
    ProducerFactory(code="HTX-carol", owner=user)
    return user


def test_login_gives_a_token_with_its_expiry(carol):
    before = timezone.now()
    answer = login(APIClient(), "carol")
    assert answer.status_code == 200
    body = answer.json()
    expiry = dt.datetime.fromisoformat(body["expiry"])
    ttl = dt.timedelta(hours=settings.TOKEN_TTL_HOURS)
    assert before + ttl - dt.timedelta(minutes=1) < expiry < timezone.now() + ttl
    answer = signed_in(body["token"]).patch("/api/v1/producers/HTX-carol/", {"members": 7})
    assert answer.status_code == 200
    # Only a hash is stored: the key itself is nowhere in the database.
    assert not AuthToken.objects.filter(digest=body["token"]).exists()


def test_the_former_token_address_still_signs_in(carol):
    answer = APIClient().post("/api/v1/auth/token/", {"username": "carol", "password": PASSWORD})
    assert answer.status_code == 200 and answer.json()["token"]


def test_an_expired_token_is_refused(carol):
    token = login(APIClient(), "carol").json()["token"]
    AuthToken.objects.filter(user=carol).update(expiry=timezone.now() - dt.timedelta(seconds=1))
    answer = signed_in(token).patch("/api/v1/producers/HTX-carol/", {"members": 7})
    assert answer.status_code == 401


def test_logout_revokes_the_token_sent_and_only_it(carol):
    first = login(APIClient(), "carol").json()["token"]
    second = login(APIClient(), "carol").json()["token"]
    assert signed_in(first).post("/api/v1/auth/logout/").status_code == 204
    assert signed_in(first).patch("/api/v1/producers/HTX-carol/", {"members": 7}).status_code == 401
    assert (
        signed_in(second).patch("/api/v1/producers/HTX-carol/", {"members": 7}).status_code == 200
    )


def test_logout_all_revokes_every_token_of_the_account_only(carol):
    UserFactory(username="dave")
    tokens = [login(APIClient(), "carol").json()["token"] for _ in range(3)]
    other = login(APIClient(), "dave").json()["token"]
    assert signed_in(tokens[0]).post("/api/v1/auth/logout-all/").status_code == 204
    for token in tokens:
        assert signed_in(token).get("/api/v1/auth/logout/").status_code == 401
    assert AuthToken.objects.filter(user=carol).count() == 0
    assert AuthToken.objects.filter(user__username="dave").count() == 1
    assert signed_in(other).post("/api/v1/auth/logout/").status_code == 204


def test_logout_without_a_token_is_refused():
    assert APIClient().post("/api/v1/auth/logout/").status_code == 401


def test_a_token_that_is_not_utf8_is_refused_not_a_server_error():
    answer = APIClient().get(
        "/api/v1/producers/", HTTP_AUTHORIZATION=b"Token \xff\xfe".decode("latin-1")
    )
    assert answer.status_code == 401


def test_repeated_failures_lock_the_account_out_even_for_the_right_password(carol):
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "carol", "wrong").status_code == 400
    answer = login(client, "carol", "wrong")
    assert answer.status_code == 429
    answer = login(client, "carol", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 429
    assert answer["Content-Type"].startswith("application/json")
    assert "locked" in answer.json()["detail"]
    assert int(answer["Retry-After"]) > 0
    assert not AuthToken.objects.filter(user=carol).exists()


def test_the_lockout_holds_for_an_account_tried_from_many_addresses(carol):
    for i in range(settings.AXES_FAILURE_LIMIT):
        login(APIClient(), "carol", "wrong", REMOTE_ADDR=f"10.0.0.{i + 1}")
    assert login(APIClient(), "carol", REMOTE_ADDR="10.0.9.9").status_code == 429


def test_the_lockout_holds_for_an_address_trying_many_accounts(carol):
    for i in range(settings.AXES_FAILURE_LIMIT):
        login(APIClient(), f"guess{i}", "wrong", REMOTE_ADDR="10.0.0.7")
    assert login(APIClient(), "carol", REMOTE_ADDR="10.0.0.7").status_code == 429
    assert login(APIClient(), "carol", REMOTE_ADDR="10.0.0.8").status_code == 200


def test_forwarded_headers_do_not_dodge_the_address_lockout(carol):
    # DJANGO_NUM_PROXIES=0 (the default): X-Forwarded-For is ignored, the socket's address counts.
    for i in range(settings.AXES_FAILURE_LIMIT):
        login(APIClient(), f"guess{i}", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    answer = login(APIClient(), "carol", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert answer.status_code == 429


def test_a_success_before_the_limit_resets_the_count(carol):
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "carol", "wrong")
    assert login(client, "carol").status_code == 200
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "carol", "wrong")
    assert login(client, "carol").status_code == 200


def test_the_admin_login_locks_out_too():
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "boss", "password": "wrong"})
    answer = client.post("/admin/login/?next=/admin/", {"username": "boss", "password": PASSWORD})
    assert answer.status_code in (403, 429)
    assert client.get("/admin/").status_code == 302  # still signed out


@override_settings(AXES_FAILURE_LIMIT=1000)
def test_the_login_has_its_own_quota_per_address(carol):
    rate = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])
    for i in range(rate):
        assert login(APIClient(), f"guess{i}", "wrong").status_code == 400
    answer = login(APIClient(), "carol")
    assert answer.status_code == 429
    assert answer.json()["detail"].startswith("Request was throttled")
    assert login(APIClient(), "carol", REMOTE_ADDR="10.1.1.1").status_code == 200


def test_the_lockout_reason_speaks_vietnamese_by_default():
    UserFactory(username="dung", password=PASSWORD)
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "dung", "wrong")
    detail = login(client, "dung").json()["detail"]
    assert "đăng nhập tạm bị khoá" in detail and "giây" in detail
