"""The daily job: each product told once at 6, 3 and 1 months before its rating expires."""

import datetime as dt

import pytest
from django.core.management import call_command

from linkage.dates import add_months
from notifications import messages
from notifications.expiry import notify_expiring_ratings
from notifications.models import Notification, RatingExpiryNotice
from tests.factories import ProducerFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

EXPIRES = dt.date(2027, 6, 15)


@pytest.fixture
def product(world):
    return ProductFactory(
        code="SP-EXP",
        producer=world["producer"],
        stars=4,
        rated_on=add_months(EXPIRES, -36),
    )


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def _run(today):
        with django_capture_on_commit_callbacks(execute=True):
            return notify_expiring_ratings(today=today)

    return _run


def _told():
    notes = Notification.objects.filter(kind=messages.RATING_EXPIRING, subject_code="SP-EXP")
    return [(n.recipient.username, n.params["months"]) for n in notes.order_by("id")]


def test_each_threshold_is_told_once(product, run):
    assert run(dt.date(2026, 12, 1)) == 0  # more than 6 months before
    assert run(dt.date(2026, 12, 15)) == 1
    assert run(dt.date(2026, 12, 15)) == 0  # the same day again
    assert run(dt.date(2027, 1, 20)) == 0
    assert run(dt.date(2027, 3, 15)) == 1
    assert run(dt.date(2027, 4, 1)) == 0
    assert run(dt.date(2027, 5, 20)) == 1
    assert run(dt.date(2027, 6, 14)) == 0
    assert run(dt.date(2027, 6, 15)) == 0  # expired: nothing more to tell
    assert _told() == [("coop", 6), ("coop", 3), ("coop", 1)]


def test_a_product_first_seen_late_is_told_its_tightest_threshold_only(product, run):
    assert run(dt.date(2027, 4, 20)) == 1
    assert run(dt.date(2027, 4, 21)) == 0
    assert _told() == [("coop", 3)]
    assert sorted(RatingExpiryNotice.objects.values_list("months", flat=True)) == [3, 6]


def test_a_new_rating_starts_over(product, run):
    run(dt.date(2027, 5, 20))
    product.rated_on = dt.date(2027, 5, 1)  # re-rated: expires in 2030
    product.save()
    assert run(dt.date(2027, 5, 21)) == 0
    assert run(add_months(product.rating_expires_on, -6)) == 1
    assert [m for _, m in _told()] == [1, 6]


def test_only_the_producer_owner_is_told(product, run, world):
    ProductFactory(code="SP-ORPHAN", rated_on=add_months(EXPIRES, -36))  # no account
    other = UserFactory(username="other_coop")
    ProductFactory(
        code="SP-OTHER",
        producer=ProducerFactory(owner=other),
        rated_on=add_months(EXPIRES, -40),  # long expired
    )
    assert run(dt.date(2027, 5, 20)) == 1
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["coop"]


def test_the_command_runs_twice_without_duplicates(product, django_capture_on_commit_callbacks):
    product.rated_on = add_months(dt.date.today(), -34)  # expires in about two months
    product.save()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("notify_expiring_ratings")
    assert _told() == [("coop", 3)]
