"""Who may supply whom: the hard rules the recommendations and the allocation share.

Pure: plain values in, plain values out. Two rules live here and nowhere else:

* ``buyer_rules`` — the product groups a buyer takes and its minimum stars. A buyer listing no
  group takes every group; a store sells under its chain's rules too: the groups both take (either
  one's list when the other lists none) and the higher of the two minimums.
* ``rating_in_force`` / ``ratings_in_force`` — a rating counts from the day it was given until the
  day before it expires (the expiry day is the first day without it, ``linkage.dates``). Stars
  with no rating date count as in force: spreadsheets often leave the date out, and hiding such a
  product from every buyer would be worse than recommending it flagged ("rating_date_unknown").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

__all__ = ["GROUPS", "BuyerRules", "buyer_rules", "rating_in_force", "ratings_in_force"]

GROUPS = ("food", "beverages", "herbal", "textiles", "handicraft", "tourism")


@dataclass(frozen=True)
class BuyerRules:
    """The groups a buyer takes (never empty-means-all: every group is listed) and its minimum
    stars (0 when it sets none)."""

    groups: frozenset[str]
    min_stars: int

    def takes(self, group: str) -> bool:
        return group in self.groups

    def mask(self) -> np.ndarray:
        """The groups as booleans in ``GROUPS`` order."""
        return np.array([group in self.groups for group in GROUPS], dtype=bool)


def _listed(categories: str | Iterable[str] | None) -> frozenset[str]:
    if not categories:
        return frozenset()
    if isinstance(categories, str):
        categories = categories.replace(";", ",").split(",")
    return frozenset(c.strip() for c in categories if c and c.strip() in GROUPS)


def buyer_rules(
    categories: str | Iterable[str] | None,
    min_stars: int | None,
    chain_categories: str | Iterable[str] | None = None,
    chain_min_stars: int | None = None,
) -> BuyerRules:
    """The rules of a buyer, a store under its chain's (``chain_*``) too.

    ``categories`` are group codes, as a list or comma- (or semicolon-) separated text.
    """
    own, chain = _listed(categories), _listed(chain_categories)
    if own and chain:
        groups = own & chain  # groups that do not overlap leave a store that takes nothing
    else:
        groups = own or chain or frozenset(GROUPS)
    stars = max(min_stars or 0, chain_min_stars or 0)
    return BuyerRules(groups=frozenset(groups), min_stars=stars)


def rating_in_force(rated_on: dt.date | None, expires_on: dt.date | None, day: dt.date) -> bool:
    """Whether a rating holds on ``day``: given by then and not yet expired; an unknown day of
    either kind does not count against it."""
    return (rated_on is None or rated_on <= day) and (expires_on is None or day < expires_on)


def ratings_in_force(rated: np.ndarray, expires: np.ndarray, day: dt.date) -> np.ndarray:
    """``rating_in_force`` over arrays of day ordinals: an unknown rating day is
    ``date.min``'s ordinal, an unknown expiry ``date.max``'s."""
    ordinal = day.toordinal()
    return (rated <= ordinal) & (ordinal < expires)
