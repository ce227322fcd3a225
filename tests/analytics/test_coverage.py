import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.coverage import (
    area_coverage,
    coverage_gaps,
    coverage_report,
    coverage_summary,
    facilities_taking,
    producer_coverage,
)
from linkage.distance import geodesic_km

# About 0.009° of latitude per km: offsets below are chosen well inside or outside 5 km.
KM = 1 / 111.0


def areas_frame(rows):
    frame = pd.DataFrame(rows, columns=["code", "name", "lat", "lon", "population"])
    frame["level"] = "commune"
    frame["parent_code"] = None
    return frame.set_index("code")


def facilities_frame(rows):
    frame = pd.DataFrame(rows, columns=["code", "lat", "lon", "categories"])
    frame["name"] = "Điểm bán " + frame["code"]
    frame["kind"] = "sales_point"
    return frame.set_index("code")


def producers_frame(rows):
    return pd.DataFrame(rows, columns=["code", "area_code", "lat", "lon", "categories"]).set_index(
        "code"
    )


@pytest.fixture
def town():
    areas = areas_frame(
        [
            ("X1", "Near", 21.0, 105.8, 1000),
            ("X2", "Far", 21.0 + 20 * KM, 105.8, 3000),
            ("X3", "Unknown population", 21.0 + 1 * KM, 105.8, np.nan),
            ("X4", "No centroid", np.nan, np.nan, 500),
        ]
    )
    facilities = facilities_frame(
        [("B1", 21.0 + 2 * KM, 105.8, ""), ("B2", 21.0 + 25.5 * KM, 105.8, "handicraft")]
    )
    producers = producers_frame(
        [
            ("P1", "X1", 21.0, 105.8, "food"),
            ("P2", "X2", 21.0 + 20 * KM, 105.8, "food"),
            ("P3", "X2", 21.0 + 21 * KM, 105.8, "handicraft"),
            ("P4", "X4", np.nan, np.nan, "food"),
        ]
    )
    return areas, facilities, producers


def test_area_coverage_finds_nearest_facility_and_distance(town):
    areas, facilities, producers = town
    table = area_coverage(areas, facilities, producers, radius_km=5)
    assert table.loc["X1", "nearest_facility"] == "B1"
    assert table.loc["X1", "distance_km"] == pytest.approx(
        geodesic_km((21.0, 105.8), (21.0 + 2 * KM, 105.8)), rel=0.005
    )
    assert table.loc["X2", "nearest_facility"] == "B2"
    assert list(table["covered"]) == [True, False, True, False]


def test_areas_without_population_or_centroid_still_appear(town):
    areas, facilities, producers = town
    table = area_coverage(areas, facilities, producers, radius_km=5)
    assert list(table.index) == ["X1", "X2", "X3", "X4"]
    assert np.isnan(table.loc["X4", "distance_km"])
    assert table.loc["X4", "uncovered_population"] == 500
    assert table.loc["X3", "uncovered_population"] == 0


def test_area_coverage_counts_producers_covered_at_their_own_point(town):
    areas, facilities, producers = town
    table = area_coverage(areas, facilities, producers, radius_km=5)
    # X2's centroid is 5.5 km from B2, P3 4.5 km: the producer's own point decides.
    assert table.loc["X2", "producers"] == 2
    assert table.loc["X2", "producers_covered"] == 1
    assert table.loc["X1", "producers_covered"] == 1
    # P4 has no coordinates: it cannot be measured and is not counted.
    assert table.loc["X4", "producers"] == 0


def test_summary_shares_leave_unknown_population_out(town):
    areas, facilities, producers = town
    summary = coverage_summary(areas, facilities, producers, radius_km=5)
    assert summary["population"] == 4500
    assert summary["population_covered"] == 1000
    assert summary["population_share"] == pytest.approx(1000 / 4500)
    assert summary["producers"] == 3
    assert summary["producers_unlocated"] == 1
    assert summary["producers_covered"] == 2


def test_group_coverage_counts_only_facilities_taking_the_group(town):
    areas, facilities, producers = town
    summary = coverage_summary(areas, facilities, producers, radius_km=5)
    groups = {row["category"]: row for row in summary["by_category"]}
    # P2 (food) is 5.5 km from B2, which takes handicraft only; P3 (handicraft) is 4.5 km from B2.
    assert groups["food"]["producers"] == 2
    assert groups["food"]["producers_covered"] == 1
    assert groups["handicraft"]["producers_covered"] == 1
    assert groups["handicraft"]["facilities"] == 2
    assert groups["food"]["facilities"] == 1
    assert groups["herbal"]["producers_share"] is None


def test_category_filter_changes_the_nearest_facility(town):
    areas, facilities, producers = town
    table = area_coverage(areas, facilities, producers, radius_km=5, category="food")
    assert table.loc["X2", "nearest_facility"] == "B1"
    assert not table.loc["X2", "covered"]


def test_facilities_taking_reads_comma_separated_groups():
    facilities = facilities_frame(
        [("B1", 21, 105, "food,herbal"), ("B2", 21, 105, ""), ("B3", 21, 105, "beverages")]
    )
    assert list(facilities_taking(facilities, "herbal").index) == ["B1", "B2"]
    assert list(facilities_taking(facilities, "food").index) == ["B1", "B2"]


def test_a_store_whose_chain_does_not_take_tourism_does_not_cover_tourism_producers():
    producers = producers_frame([("P1", "X1", 21.0, 105.8, "tourism,food")])
    facilities = facilities_frame(
        [("S1", 21.0 + 1 * KM, 105.8, ""), ("S2", 21.0 + 2 * KM, 105.8, "tourism,food")]
    )
    facilities["kind"] = "store"
    facilities["chain_categories"] = ["food", "food,herbal"]
    assert facilities_taking(facilities, "tourism").empty
    assert list(facilities_taking(facilities, "food").index) == ["S1", "S2"]
    table = producer_coverage(producers, facilities, radius_km=5, category="tourism")
    assert not table.loc["P1", "covered"]
    assert table.loc["P1", "nearest_facility"] is None
    assert producer_coverage(producers, facilities, radius_km=5, category="food").loc[
        "P1", "covered"
    ]


def test_a_store_takes_its_chains_groups_when_it_lists_none_and_only_shared_ones_otherwise():
    facilities = facilities_frame(
        [("S1", 21, 105, ""), ("S2", 21, 105, "herbal"), ("B1", 21, 105, "")]
    )
    facilities["chain_categories"] = ["tourism", "food", None]
    assert list(facilities_taking(facilities, "tourism").index) == ["S1", "B1"]
    assert list(facilities_taking(facilities, "herbal").index) == ["B1"]


def test_no_facility_leaves_every_area_uncovered(town):
    areas, _, producers = town
    table = area_coverage(areas, facilities_frame([]), producers, radius_km=50)
    assert not table["covered"].any()
    assert table["nearest_facility"].isna().all()


def test_gaps_ranked_by_uncovered_population_then_producers(town):
    areas, facilities, producers = town
    table = area_coverage(areas, facilities, producers, radius_km=5)
    gaps = coverage_gaps(table)
    assert list(gaps.index) == ["X2", "X4"]
    assert list(gaps["rank"]) == [1, 2]
    assert "X1" not in gaps.index


def test_gaps_can_rank_by_producers_first():
    table = pd.DataFrame(
        {
            "uncovered_population": [100.0, 10.0],
            "producers_uncovered": [0, 5],
            "distance_km": [9.0, 8.0],
        },
        index=pd.Index(["A", "B"], name="code"),
    )
    assert list(coverage_gaps(table, rank_by="producers").index) == ["B", "A"]
    assert list(coverage_gaps(table).index) == ["A", "B"]
    with pytest.raises(ValueError, match="rank_by"):
        coverage_gaps(table, rank_by="stars")


def test_negative_radius_is_refused(town):
    areas, facilities, producers = town
    with pytest.raises(ValueError, match="radius_km"):
        area_coverage(areas, facilities, producers, radius_km=-1)


def test_producer_coverage_marks_unlocated_producers(town):
    _, facilities, producers = town
    result = producer_coverage(producers, facilities, radius_km=5)
    assert list(result["located"]) == [True, True, True, False]
    assert not result.loc["P4", "covered"]


points = st.tuples(st.floats(20.5, 21.5), st.floats(105.3, 106.3))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(points, st.one_of(st.none(), st.integers(0, 100_000))), min_size=1, max_size=25
    ),
    st.lists(st.tuples(points, st.sampled_from(["", "food", "herbal,food"])), max_size=15),
    st.lists(st.tuples(points, st.sampled_from(["food", "herbal", "food,herbal"])), max_size=25),
    st.floats(0, 60),
)
def test_coverage_shares_never_exceed_one(area_rows, facility_rows, producer_rows, radius):
    areas = areas_frame(
        [(f"X{i}", "x", lat, lon, pop) for i, ((lat, lon), pop) in enumerate(area_rows)]
    )
    facilities = facilities_frame(
        [(f"B{i}", lat, lon, cats) for i, ((lat, lon), cats) in enumerate(facility_rows)]
    )
    producers = producers_frame(
        [
            (f"P{i}", f"X{i % len(areas)}", lat, lon, c)
            for i, ((lat, lon), c) in enumerate(producer_rows)
        ]
    )
    summary = coverage_summary(areas, facilities, producers, radius_km=radius)
    for row in [summary, *summary["by_category"]]:
        for key in ("population_share", "producers_share"):
            assert row[key] is None or 0 <= row[key] <= 1
        assert row["population_covered"] <= row["population"]
    table = area_coverage(areas, facilities, producers, radius_km=radius)
    assert (table["producers_covered"] <= table["producers"]).all()
    report_table, report_summary = coverage_report(areas, facilities, producers, radius_km=radius)
    pd.testing.assert_frame_equal(report_table, table)
    assert report_summary == summary


@pytest.mark.parametrize("category", [None, "food", "handicraft"])
def test_the_report_is_the_table_and_the_summary_measured_once(town, category):
    areas, facilities, producers = town
    table, summary = coverage_report(areas, facilities, producers, radius_km=5, category=category)
    expected = area_coverage(areas, facilities, producers, radius_km=5, category=category)
    pd.testing.assert_frame_equal(table, expected)
    assert summary == coverage_summary(areas, facilities, producers, radius_km=5, category=category)
