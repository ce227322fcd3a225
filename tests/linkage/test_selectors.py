import datetime as dt

import pytest

from linkage import graph_cache
from linkage.selectors import households_among, rating_status
from tests.factories import BuyerFactory, ProducerFactory

TODAY = dt.date(2025, 6, 1)


def test_rating_expired_before_today_is_expired():
    assert rating_status(dt.date(2025, 5, 31), TODAY) == "expired"


def test_rating_expiring_within_six_months_is_expiring():
    assert rating_status(TODAY + dt.timedelta(days=1), TODAY) == "expiring"
    assert rating_status(dt.date(2025, 12, 1), TODAY) == "expiring"


def test_rating_expiring_after_six_months_is_valid():
    assert rating_status(dt.date(2025, 12, 2), TODAY) == "valid"


def test_on_its_expiry_day_a_rating_is_expired():
    assert rating_status(TODAY, TODAY) == "expired"


def test_never_rated_has_no_status():
    assert rating_status(None, TODAY) is None


@pytest.mark.django_db
def test_households_are_told_apart_alike_off_the_snapshot_and_by_a_query(
    django_assert_num_queries,
):
    for code, kind in [("H1", "household"), ("H3", "household"), ("C2", "cooperative")]:
        ProducerFactory(code=code, kind=kind)
    BuyerFactory(code="B1")
    asked = ["H1", "C2", "H3", "B1", "NOBODY", "A", "ZZZ"]
    by_query = households_among(asked)
    assert by_query == {"H1", "H3"}
    graph_cache.get_snapshot()
    with django_assert_num_queries(0):
        assert households_among(asked) == by_query
        assert households_among([]) == frozenset()
