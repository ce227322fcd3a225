import datetime as dt

import numpy as np

from linkage.choices import Category
from linkage.eligibility import GROUPS, buyer_rules, rating_in_force, ratings_in_force


def test_the_groups_are_the_programmes_six():
    assert GROUPS == tuple(Category.values)


def test_a_buyer_listing_no_group_takes_every_group():
    rules = buyer_rules("", None)
    assert rules.groups == frozenset(GROUPS) and rules.min_stars == 0


def test_a_store_sells_under_its_chains_rules_too():
    both = buyer_rules("food,herbal", 3, "food;beverages", 4)
    assert both.groups == {"food"} and both.min_stars == 4
    chain_only = buyer_rules("", None, ["textiles"], 5)
    assert chain_only.groups == {"textiles"} and chain_only.min_stars == 5
    store_only = buyer_rules("tourism", 4, "", None)
    assert store_only.groups == {"tourism"} and store_only.min_stars == 4
    apart = buyer_rules("food", 3, "handicraft", 3)
    assert apart.groups == frozenset() and not apart.takes("food")
    assert not apart.mask().any()


def test_unknown_group_codes_are_not_taken():
    assert buyer_rules("food,gold", None).groups == {"food"}


def test_a_rating_holds_from_its_day_to_the_day_before_it_expires():
    rated, expires = dt.date(2023, 3, 1), dt.date(2026, 3, 1)
    assert not rating_in_force(rated, expires, dt.date(2023, 2, 28))
    assert rating_in_force(rated, expires, rated)
    assert rating_in_force(rated, expires, dt.date(2026, 2, 28))
    assert not rating_in_force(rated, expires, expires)
    # Unknown days do not count against a rating.
    assert rating_in_force(rated, None, dt.date(2024, 1, 1))
    assert rating_in_force(None, expires, dt.date(2024, 1, 1))
    assert rating_in_force(None, None, dt.date(2024, 1, 1))


def test_the_array_form_agrees_with_the_single_one():
    days = [dt.date(2023, 2, 28), dt.date(2023, 3, 1), dt.date(2026, 2, 28), dt.date(2026, 3, 1)]
    rated = np.array([dt.date(2023, 3, 1).toordinal()] * 4)
    expires = np.array([dt.date(2026, 3, 1).toordinal()] * 4)
    for day in days:
        assert (
            ratings_in_force(rated, expires, day).tolist()
            == [rating_in_force(dt.date(2023, 3, 1), dt.date(2026, 3, 1), day)] * 4
        )
