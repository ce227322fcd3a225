import datetime as dt

from linkage.selectors import rating_status

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
