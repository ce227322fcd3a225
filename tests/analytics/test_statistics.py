"""Programme statistics: pure frames in, frames out."""

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics import statistics
from linkage.dates import rating_expiry

TODAY = dt.date(2025, 6, 30)


def product(
    code,
    *,
    stars=4,
    potential=False,
    rated_on=dt.date(2024, 3, 1),
    category="food",
    producer_code="P1",
    producer_kind="cooperative",
    area_code=None,
    name=None,
):
    return {
        "code": code,
        "name": name or f"Sản phẩm {code}",
        "category": category,
        "stars": stars,
        "potential_five_star": potential,
        "rated_on": rated_on,
        "rating_expires_on": rating_expiry(rated_on),
        "producer_code": producer_code,
        "producer_kind": producer_kind,
        "area_code": area_code,
    }


def frame(rows):
    return pd.DataFrame(rows, columns=list(statistics.PRODUCT_COLUMNS))


def hanoi_end_2021():
    """1,649 products shaped like the published Hà Nội figures at the end of 2021."""
    stars = [(5, False)] * 4 + [(4, True)] * 13 + [(4, False)] * 1098 + [(3, False)] * 534
    groups = (
        ["food"] * 1071
        + ["beverages"] * 35
        + ["herbal"] * 17
        + ["handicraft"] * 492
        + ["textiles"] * 34
    )
    rows = []
    for i, ((star, potential), group) in enumerate(zip(stars, groups, strict=True)):
        year = 2019 + i % 3
        rows.append(
            product(
                f"HN{i:05d}",
                stars=star,
                potential=potential,
                category=group,
                rated_on=dt.date(year, 1 + i % 12, 1 + i % 28),
                producer_code=f"P{i // 3}",
            )
        )
    return frame(rows)


def test_by_stars_reproduces_the_published_hanoi_star_counts():
    table = statistics.by_stars(hanoi_end_2021(), as_of=dt.date(2021, 12, 31))
    assert table["products"].to_dict() == {"5": 4, "potential_5": 13, "4": 1098, "3": 534}
    assert table["products"].sum() == 1649


def test_by_group_reproduces_the_published_hanoi_group_counts_and_lists_every_group():
    table = statistics.by_group(hanoi_end_2021(), as_of=dt.date(2021, 12, 31))
    assert table["products"].to_dict() == {
        "food": 1071,
        "beverages": 35,
        "herbal": 17,
        "textiles": 34,
        "handicraft": 492,
        "tourism": 0,
    }
    assert table.loc["food", "share"] == pytest.approx(1071 / 1649, abs=1e-4)
    assert table[list(statistics.STAR_CLASSES)].sum(axis=1).equals(table["products"])


def test_products_below_three_stars_and_unrated_products_are_left_out():
    products = frame(
        [
            product("A", stars=3),
            product("B", stars=2),
            product("C", stars=1),
            product("D", stars=None),
            product("E", stars=4, rated_on=None),
        ]
    )
    assert statistics.by_stars(products, as_of=TODAY)["products"].sum() == 1
    headline = statistics.summary(products, as_of=TODAY)
    assert headline["certified"] == 1
    assert headline["below_3"] == 2


def test_potential_five_star_counts_apart_from_plain_four_star():
    products = frame([product("A", stars=4, potential=True), product("B", stars=4)])
    counts = statistics.by_stars(products, as_of=TODAY)["products"]
    assert counts["potential_5"] == 1
    assert counts["4"] == 1


def test_valid_basis_counts_only_ratings_in_force_at_the_date():
    products = frame(
        [
            product("OLD", rated_on=dt.date(2021, 1, 10)),  # expired 2024-01-10
            product("NEW", rated_on=dt.date(2023, 5, 1)),
            product("LATER", rated_on=dt.date(2025, 1, 1)),
        ]
    )
    day = dt.date(2024, 6, 1)
    assert statistics.by_stars(products, as_of=day, basis="valid")["products"].sum() == 1
    assert statistics.by_stars(products, as_of=day, basis="cumulative")["products"].sum() == 2


def test_a_rating_is_no_longer_valid_on_its_expiry_day():
    products = frame([product("A", rated_on=dt.date(2021, 3, 1))])
    assert statistics.select(products, as_of=dt.date(2024, 2, 29), basis="valid").shape[0] == 1
    assert statistics.select(products, as_of=dt.date(2024, 3, 1), basis="valid").shape[0] == 0


def test_unknown_basis_is_refused():
    with pytest.raises(ValueError, match="basis"):
        statistics.by_stars(frame([product("A")]), basis="sometimes")


def test_by_year_counts_ratings_per_year_with_running_and_valid_totals():
    products = frame(
        [
            product("A", rated_on=dt.date(2019, 6, 1)),
            product("B", rated_on=dt.date(2019, 9, 1), stars=3),
            product("C", rated_on=dt.date(2021, 2, 1), stars=5),
            product("D", rated_on=dt.date(2023, 2, 1)),
            product("E", rated_on=dt.date(2025, 7, 1)),  # after as_of
        ]
    )
    table = statistics.by_year(products, as_of=TODAY)
    assert list(table.index) == [2019, 2020, 2021, 2022, 2023, 2024, 2025]
    assert table["rated"].tolist() == [2, 0, 1, 0, 1, 0, 0]
    assert table["cumulative"].tolist() == [2, 2, 3, 3, 4, 4, 4]
    # A and B expire in 2022; C in 2024; D in 2026.
    assert table["valid_at_year_end"].tolist() == [2, 2, 3, 1, 2, 1, 1]
    assert table.loc[2019, "3"] == 1
    assert table.loc[2021, "5"] == 1


def rating(code, rated_on, stars=4, potential=False):
    return {
        "code": code,
        "stars": stars,
        "potential_five_star": potential,
        "rated_on": rated_on,
        "rating_expires_on": rating_expiry(rated_on),
    }


def ratings_frame(rows):
    return pd.DataFrame(rows, columns=list(statistics.RATING_COLUMNS))


def test_a_re_rated_product_counts_in_the_year_it_was_first_certified():
    # A: 3 stars in 2019, re-rated 4 stars every 36 months; B: never re-rated; C: no history.
    first, second, third = dt.date(2019, 6, 1), dt.date(2022, 6, 1), dt.date(2025, 6, 1)
    products = frame(
        [
            product("A", rated_on=third),
            product("B", rated_on=dt.date(2020, 3, 1), stars=3),
            product("C", rated_on=dt.date(2021, 2, 1), stars=5),
        ]
    )
    history = ratings_frame(
        [
            rating("A", first, stars=3),
            rating("A", second),
            rating("A", third),
            rating("B", dt.date(2020, 3, 1), stars=3),
        ]
    )
    table = statistics.by_year(products, as_of=TODAY, ratings=history)
    assert table["rated"].tolist() == [1, 1, 1, 0, 0, 0, 0]
    assert table.loc[2019, "3"] == 1 and table.loc[2019, "4"] == 0
    assert table["cumulative"].tolist() == [1, 2, 3, 3, 3, 3, 3]
    # A in force throughout; B until March 2023; C until February 2024.
    assert table["valid_at_year_end"].tolist() == [1, 2, 3, 3, 2, 1, 1]
    # Without the history A counts in 2025, the year of the rating it holds now.
    assert statistics.by_year(products, as_of=TODAY)["rated"].tolist() == [1, 1, 0, 0, 0, 1]
    targets = statistics.targets(products, target=1, as_of=TODAY, ratings=history)
    assert targets.loc[2019, "met"] and not targets.loc[2025, "met"]
    summary = statistics.summary(products, as_of=TODAY, ratings=history)
    assert summary["rated_this_year"] == 0 and summary["certified"] == 3


def test_tables_on_a_day_count_the_rating_in_force_that_day():
    products = frame([product("A", rated_on=dt.date(2025, 6, 1), stars=5)])
    history = ratings_frame(
        [rating("A", dt.date(2019, 6, 1), stars=3), rating("A", dt.date(2025, 6, 1), stars=5)]
    )
    stars_2020 = statistics.by_stars(products, as_of=dt.date(2020, 12, 31), ratings=history)
    assert stars_2020.loc["3", "products"] == 1 and stars_2020.loc["5", "products"] == 0
    # The 2019 rating ran out in June 2022 and the next came in 2025: not valid in between.
    gap = statistics.select(products, as_of=dt.date(2023, 1, 1), basis="valid", ratings=history)
    assert gap.empty
    now = statistics.select(products, as_of=TODAY, basis="valid", ratings=history)
    assert now["star_class"].tolist() == ["5"]
    # Cumulative counts a product certified once, in the class of its latest certified rating.
    then = statistics.by_group(products, as_of=dt.date(2023, 1, 1), ratings=history)
    assert then.loc["food", "products"] == 1 and then.loc["food", "3"] == 1


def test_a_downgrade_below_3_stars_ends_the_product_s_validity():
    products = frame([product("A", rated_on=dt.date(2022, 6, 1), stars=2)])
    history = ratings_frame(
        [rating("A", dt.date(2020, 6, 1), stars=4), rating("A", dt.date(2022, 6, 1), stars=2)]
    )
    table = statistics.by_year(products, as_of=TODAY, ratings=history)
    assert table["rated"].tolist() == [1, 0, 0, 0, 0, 0]
    assert table["valid_at_year_end"].tolist() == [1, 1, 0, 0, 0, 0]


def test_products_missing_from_the_history_answer_from_their_own_rating():
    products = frame(
        [product("A", rated_on=dt.date(2019, 6, 1)), product("B", rated_on=dt.date(2023, 6, 1))]
    )
    with_rows = statistics.by_year(
        products, as_of=TODAY, ratings=ratings_frame([rating("A", dt.date(2019, 6, 1))])
    )
    empty = statistics.by_year(products, as_of=TODAY, ratings=ratings_frame([]))
    plain = statistics.by_year(products, as_of=TODAY)
    pd.testing.assert_frame_equal(with_rows, plain)
    pd.testing.assert_frame_equal(empty, plain)


def test_by_year_of_no_products_is_an_empty_table_with_its_columns():
    table = statistics.by_year(frame([]), as_of=TODAY)
    assert table.empty
    assert "cumulative" in table.columns


def test_targets_compare_each_year_with_the_target():
    rows = [product(f"A{i}", rated_on=dt.date(2022, 3, 1)) for i in range(5)]
    rows += [product(f"B{i}", rated_on=dt.date(2023, 3, 1)) for i in range(2)]
    table = statistics.targets(frame(rows), target=4, as_of=dt.date(2024, 1, 15))
    assert table["rated"].to_dict() == {2022: 5, 2023: 2, 2024: 0}
    assert table["met"].tolist() == [True, False, False]
    assert table["shortfall"].tolist() == [0, 2, 4]
    assert table.loc[2022, "share"] == pytest.approx(1.25)


def test_targets_take_a_target_per_year():
    rows = [product("A", rated_on=dt.date(2023, 3, 1))]
    table = statistics.targets(frame(rows), target={2023: 1, 2024: 10}, as_of=dt.date(2024, 2, 1))
    assert table["target"].tolist() == [1, 10]
    assert table.loc[2023, "met"]


def test_a_negative_target_is_refused():
    with pytest.raises(ValueError, match="negative"):
        statistics.targets(frame([product("A")]), target=-1, as_of=TODAY)


def test_expiring_lists_ratings_ending_within_the_months_soonest_first():
    products = frame(
        [
            product("GONE", rated_on=dt.date(2022, 6, 1)),  # expired 2025-06-01
            product("SOON", rated_on=dt.date(2022, 7, 15)),  # 2025-07-15
            product("EDGE", rated_on=dt.date(2022, 12, 30)),  # 2025-12-30: as_of + 6 months exactly
            product("TODAY", rated_on=dt.date(2022, 6, 30)),  # 2025-06-30: expired today
            product("FIRST", rated_on=dt.date(2022, 7, 1)),  # 2025-07-01: valid until today
            product("LATER", rated_on=dt.date(2023, 1, 2)),
            product("LOW", rated_on=dt.date(2022, 8, 1), stars=2),
        ]
    )
    table = statistics.expiring(products, months=6, as_of=TODAY)
    assert list(table.index) == ["FIRST", "SOON", "EDGE"]
    assert table.loc["SOON", "days_left"] == 15
    assert table.loc["SOON", "rating_expires_on"] == dt.date(2025, 7, 15)


def test_negative_months_are_refused():
    with pytest.raises(ValueError, match="months"):
        statistics.expiring(frame([]), months=-1)


def test_by_producer_kind_counts_products_and_distinct_producers():
    products = frame(
        [
            product("A", producer_code="P1", producer_kind="enterprise"),
            product("B", producer_code="P1", producer_kind="enterprise"),
            product("C", producer_code="P2", producer_kind="household"),
        ]
    )
    table = statistics.by_producer_kind(products, as_of=TODAY)
    assert table.loc["enterprise", "producers"] == 1
    assert table.loc["enterprise", "products"] == 2
    assert table.loc["cooperative", "products"] == 0
    assert list(table.index)[:4] == ["household", "cooperative", "cooperative_group", "enterprise"]


def areas_frame():
    rows = [
        ("HN", "Hà Nội", "province", None),
        ("GL", "Gia Lâm", "district", "HN"),
        ("BT", "Bát Tràng", "commune", "GL"),
        ("KL", "Kim Lan", "commune", "GL"),
        ("BV", "Ba Vì", "district", "HN"),
        ("HT", "Hà Tây cũ", "district", "HN"),
        ("SL", "Sơn La", "province", None),
        ("MC", "Mộc Châu", "district", "SL"),
    ]
    return pd.DataFrame(rows, columns=["code", "name", "level", "parent_code"]).set_index("code")


def area_products():
    return frame(
        [
            product("A", area_code="BT"),
            product("B", area_code="KL", stars=3),
            product("C", area_code="BV"),
            product("D", area_code="HN"),  # producer placed at province level only
            product("E", area_code=None),
            product("F", area_code="MC", stars=5),
        ]
    )


def test_by_area_rolls_communes_up_to_their_district():
    table = statistics.by_area(area_products(), areas_frame(), level="district", as_of=TODAY)
    assert table.loc["GL", "products"] == 2
    assert table.loc["GL", "3"] == 1
    assert table.loc["BV", "products"] == 1
    assert table.loc["HT", "products"] == 0
    assert table.loc["MC", "products"] == 1
    assert table.loc["", "products"] == 2  # province-only and no area
    assert table["products"].sum() == 6


def test_by_area_at_province_level_counts_every_located_product():
    table = statistics.by_area(area_products(), areas_frame(), level="province", as_of=TODAY)
    assert table.loc["HN", "products"] == 4
    assert table.loc["SL", "products"] == 1
    assert table.index[0] == "HN"


def test_by_area_within_keeps_only_the_areas_inside():
    table = statistics.by_area(
        area_products(), areas_frame(), level="district", within="HN", as_of=TODAY
    )
    assert set(table.index) == {"GL", "BV", "HT"}
    assert table["products"].sum() == 3


def test_by_area_refuses_an_unknown_within_code():
    with pytest.raises(ValueError, match="XX"):
        statistics.by_area(area_products(), areas_frame(), within="XX")


def test_by_area_survives_a_loop_in_the_parent_chain():
    areas = areas_frame()
    areas.loc["BT", "parent_code"] = "KL"  # bad data: two communes inside each other
    areas.loc["KL", "parent_code"] = "BT"
    table = statistics.by_area(area_products(), areas, level="district", as_of=TODAY)
    assert table.loc["GL", "products"] == 0
    assert table.loc["", "products"] == 4


def two_divisions():
    """Hà Nội before 1 July 2025 (districts GL and BV with their communes) and since (communes
    straight under the city), with the new commune each old one went into."""
    rows = [
        ("HN", "Hà Nội", "province", None, "current", None),
        ("GL", "Huyện Gia Lâm", "district", "HN", "legacy", None),
        ("GL.BT", "Xã Bát Tràng", "commune", "GL", "legacy", "XA_BT"),
        ("GL.KL", "Xã Kim Lan", "commune", "GL", "legacy", "XA_BT"),
        ("BV", "Huyện Ba Vì", "district", "HN", "legacy", None),
        ("BV.TD", "Thị trấn Tây Đằng", "commune", "BV", "legacy", "XA_QO"),
        ("XA_BT", "Xã Bát Tràng", "commune", "HN", "current", None),
        ("XA_QO", "Xã Quảng Oai", "commune", "HN", "current", None),
        ("XA_NEW", "Xã Mới", "commune", "HN", "current", None),
    ]
    columns = ["code", "name", "level", "parent_code", "scheme", "successor_code"]
    return pd.DataFrame(rows, columns=columns).set_index("code")


def two_division_products():
    return frame(
        [
            product("A", area_code="XA_BT", producer_code="P1"),  # old place kept: GL.BT
            product("B", area_code="XA_BT", producer_code="P2", rated_on=dt.date(2022, 5, 1)),
            product("C", area_code="GL.KL", producer_code="P3", rated_on=dt.date(2022, 6, 1)),
            product("D", area_code="XA_QO", producer_code="P4", rated_on=dt.date(2022, 7, 1)),
            product("E", area_code="XA_NEW", producer_code="P5"),  # no old area known
        ]
    )


def test_by_area_counts_old_districts_from_the_producers_old_places():
    table = statistics.by_area(
        two_division_products(),
        two_divisions(),
        level="district",
        as_of=TODAY,
        legacy_areas={"P1": "GL.BT", "P4": "BV"},
    )
    assert set(table.index) == {"GL", "BV", ""}
    # P2 has no old place kept, but Xã Bát Tràng came from Gia Lâm's communes alone.
    assert table.loc["GL", "products"] == 3
    assert table.loc["BV", "products"] == 1
    assert table.loc["", "products"] == 1
    in_2022 = statistics.by_area(
        two_division_products(), two_divisions(), level="district", year=2022, as_of=TODAY
    )
    assert in_2022["products"].sum() == 3 and (in_2022["products"] > 0).sum() == 2


def test_by_area_counts_new_communes_with_old_places_converted():
    table = statistics.by_area(
        two_division_products(), two_divisions(), level="commune", as_of=TODAY
    )
    assert set(table.index) == {"XA_BT", "XA_QO", "XA_NEW"}
    assert table.loc["XA_BT", "products"] == 3  # C's old commune Kim Lan went into it
    assert table.loc["XA_QO", "products"] == 1 and table.loc["XA_NEW", "products"] == 1
    legacy = statistics.by_area(
        two_division_products(), two_divisions(), level="commune", scheme="legacy", as_of=TODAY
    )
    assert set(legacy.index) == {"GL.BT", "GL.KL", "BV.TD", ""}
    assert legacy.loc["BV.TD", "products"] == 1  # Quảng Oai came from Tây Đằng alone


def test_by_area_has_no_districts_since_1_july_2025():
    with pytest.raises(ValueError, match="1/7/2025|no districts"):
        statistics.by_area(
            two_division_products(), two_divisions(), level="district", scheme="current"
        )
    provinces = statistics.by_area(
        two_division_products(), two_divisions(), level="province", scheme="legacy", as_of=TODAY
    )
    assert provinces.loc["HN", "products"] == 4  # E has no old place


def test_summary_gives_the_headline_figures():
    products = frame(
        [
            product("A", rated_on=dt.date(2025, 2, 1)),
            product("B", rated_on=dt.date(2022, 7, 1), producer_code="P2"),  # expires 2025-07-01
            product("C", rated_on=dt.date(2020, 1, 1), stars=5),  # expired
        ]
    )
    headline = statistics.summary(products, as_of=TODAY, target=4)
    assert headline["certified"] == 3
    assert headline["valid"] == 2
    assert headline["expiring"] == 1
    assert headline["rated_this_year"] == 1
    assert headline["target_share"] == 0.25
    assert headline["by_stars"]["5"] == 1
    assert headline["producers"] == 2


def test_a_frame_missing_columns_is_refused_naming_them():
    with pytest.raises(ValueError, match="rated_on"):
        statistics.by_stars(pd.DataFrame({"code": ["A"]}))


ratings = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=5),
        st.booleans(),
        st.dates(min_value=dt.date(2018, 1, 1), max_value=dt.date(2025, 12, 31)),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(ratings, st.dates(min_value=dt.date(2018, 1, 1), max_value=dt.date(2026, 12, 31)))
def test_counts_agree_across_tables_and_valid_never_exceeds_cumulative(rows, day):
    products = frame(
        [
            product(f"P{i}", stars=s, potential=p and s == 4, rated_on=d)
            for i, (s, p, d) in enumerate(rows)
        ]
    )
    cumulative = statistics.by_stars(products, as_of=day)["products"].sum()
    valid = statistics.by_stars(products, as_of=day, basis="valid")["products"].sum()
    years = statistics.by_year(products, as_of=day)
    assert valid <= cumulative
    assert statistics.by_group(products, as_of=day)["products"].sum() == cumulative
    assert (years["cumulative"].iloc[-1] if len(years) else 0) == cumulative
    assert (years["valid_at_year_end"].iloc[-1] if len(years) else 0) == valid
