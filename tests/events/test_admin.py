"""The events' admin: its pages open, and its action computes the schedule through the service."""

import pytest
from django.test import Client

from events import services
from events.models import Event, Meeting
from linkage import graph_cache
from tests.factories import BuyerFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    graph_cache.reset()
    client = Client()
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    yield client
    graph_cache.reset()


def test_the_event_and_meeting_pages_open(staff):
    for page in ("/admin/events/event/", "/admin/events/event/add/", "/admin/events/meeting/"):
        assert staff.get(page).status_code == 200


def test_the_schedule_action_makes_the_meetings(staff, settings):
    settings.REGISTRY_REFRESH_IN_BACKGROUND = False
    product = ProductFactory()
    buyer = BuyerFactory()
    event = services.event_create(
        actor=None,
        code="KNGT",
        name="Tuần hàng",
        held_on="2026-12-10",
        slot_count=2,
        buyers=[{"buyer": buyer.code}],
        producers=[{"producer": product.producer.code}],
    )
    answer = staff.post(
        "/admin/events/event/",
        {"action": "make_schedule", "_selected_action": [event.pk]},
        follow=True,
    )
    assert answer.status_code == 200
    assert Meeting.objects.filter(event=event).count() == 1
    assert Event.objects.get(pk=event.pk).schedule_method == "flow"
