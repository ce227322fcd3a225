"""Date arithmetic of the rating rules."""

import calendar
import datetime as dt

from .choices import RATING_VALID_MONTHS

__all__ = ["EARLIEST_DATE", "LATEST_DATE", "add_months", "rating_expiry"]

# Dates the rating rules can count from: an expiry 36 months on, an expiring window of years,
# all inside what Python dates and pandas timestamps (up to 2262) can hold.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, clamped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def rating_expiry(rated_on: dt.date | None) -> dt.date | None:
    """A rating is valid for 36 months from the day it was given."""
    return add_months(rated_on, RATING_VALID_MONTHS) if rated_on else None
