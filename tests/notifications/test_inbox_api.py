"""The inbox over HTTP: mine only, the unread filter, marking read; 401 without an account."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from notifications import messages
from notifications.models import Notification
from tests.api.conftest import client_for

from .conftest import proposal_data

pytestmark = pytest.mark.django_db

LIST = "/api/v1/notifications/"


@pytest.fixture
def inbox(world, deliver):
    """A proposal to the store and its acceptance: two notifications each for the chain owner
    and the store manager, one for the cooperative."""
    deliver("proposal.created", code="7", actor=world["coop"], **proposal_data(world))
    deliver(
        "proposal.state_changed",
        code="7",
        actor=world["store_manager"],
        **proposal_data(world, **{"from": "proposed", "to": "accepted", "by": "buyer"}),
    )
    return world


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", LIST),
        ("post", "/api/v1/notifications/1/read/"),
        ("post", "/api/v1/notifications/read-all/"),
    ],
)
def test_the_inbox_answers_401_without_an_account(method, url):
    assert getattr(APIClient(), method)(url).status_code == 401


def test_the_inbox_lists_my_notifications_only(inbox, django_assert_max_num_queries):
    client = client_for(inbox["chain_owner"])
    with django_assert_max_num_queries(6):
        answer = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 200
    rows = answer.json()["results"]
    assert [row["kind"] for row in rows] == [
        messages.PROPOSAL_STATE_CHANGED,
        messages.PROPOSAL_RECEIVED,
    ]
    assert rows[0]["title"] == "Proposal 7: accepted"
    assert rows[1]["body"].startswith("HTX Bát Tràng proposes its product Gốm men lam (SP-1)")
    assert rows[0]["read_at"] is None
    stranger = client_for(inbox["stranger"]).get(LIST).json()
    assert stranger["count"] == 0


def test_the_inbox_speaks_vietnamese_by_default(inbox):
    rows = client_for(inbox["coop"]).get(LIST).json()["results"]
    assert rows[0]["title"] == "Đề xuất 7: đã chấp nhận"


def test_marking_read_and_the_unread_filter(inbox):
    client = client_for(inbox["chain_owner"])
    first = Notification.objects.filter(recipient=inbox["chain_owner"]).last()
    answer = client.post(reverse("notification-read", args=[first.pk]))
    assert answer.status_code == 200
    assert answer.json()["read_at"] is not None
    unread = client.get(LIST, {"unread": "true"}).json()["results"]
    assert [row["id"] for row in unread] != [first.pk] and len(unread) == 1
    assert client.get(LIST, {"unread": "false"}).json()["results"][0]["id"] == first.pk
    assert client.get(LIST, {"unread": "maybe"}).status_code == 400


def test_another_users_notification_cannot_be_marked(inbox):
    theirs = Notification.objects.filter(recipient=inbox["chain_owner"]).first()
    answer = client_for(inbox["stranger"]).post(reverse("notification-read", args=[theirs.pk]))
    assert answer.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_read_all_marks_mine_only(inbox):
    answer = client_for(inbox["chain_owner"]).post("/api/v1/notifications/read-all/")
    assert answer.json() == {"marked": 2}
    assert Notification.objects.filter(read_at__isnull=True).count() == 2  # the others'
    assert client_for(inbox["chain_owner"]).get(LIST, {"unread": "true"}).json()["count"] == 0
