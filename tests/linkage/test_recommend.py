import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage import recommend as r
from linkage.graph import build_graph

TODAY = dt.date(2025, 6, 1)
FRESH = "2024-01-01"  # rated 17 months before TODAY: valid until 2027


def _world(*, buyers=(), linkages=(), producers=None, products=None):
    """A small world around producer P (food, 4 stars) at Hà Nội's centre."""
    producers = producers or [
        {"code": "P", "kind": "cooperative", "area_code": "A1", "lat": 21.0, "lon": 105.80},
    ]
    products = products or [
        {
            "code": "SP",
            "producer_code": "P",
            "category": "food",
            "stars": 4,
            "rated_on": FRESH,
            "capacity_per_month": 500,
        },
    ]
    return r.RecommenderIndex(
        build_graph(
            {
                "producers": producers,
                "products": products,
                "buyers": list(buyers),
                "linkages": list(linkages),
            },
            today=TODAY,
        )
    )


def _buyer(code, lat=21.0, lon=105.85, kind="sales_point", **extra):
    return {"code": code, "name": code, "kind": kind, "lat": lat, "lon": lon, **extra}


def _codes(result):
    return [row["buyer"]["code"] for row in result["results"]]


def test_buyers_must_take_the_products_group_and_accept_its_stars():
    index = _world(
        buyers=[
            _buyer("FOOD", categories="food"),
            _buyer("CRAFT", categories="handicraft"),
            _buyer("ANY"),
            _buyer("FIVE_ONLY", min_stars=5),
        ]
    )
    assert sorted(_codes(r.recommend_buyers(index, product="SP", as_of=TODAY))) == ["ANY", "FOOD"]


def test_an_expired_rating_has_no_buyer_and_one_expiring_soon_is_flagged():
    index = _world(buyers=[_buyer("B1")])
    expired = r.recommend_buyers(index, product="SP", as_of=dt.date(2027, 1, 2))
    assert expired["results"] == []
    [why] = expired["not_recommended"]
    assert why["product"] == "SP" and why["reason"].startswith("rating expired on")
    soon = r.recommend_buyers(index, product="SP", as_of=dt.date(2026, 9, 1))
    assert soon["results"][0]["flags"] == ["rating_expiring_soon"]
    valid = r.recommend_buyers(index, product="SP", as_of=TODAY)
    assert valid["results"][0]["flags"] == []
    assert valid["not_recommended"] == []


def test_the_maximum_distance_excludes_far_buyers_but_not_platforms():
    index = _world(
        buyers=[
            _buyer("NEAR", lon=105.85),
            _buyer("FAR", lat=10.8, lon=106.7),
            _buyer("SHOP", kind="ecommerce", lat=None, lon=None),
        ]
    )
    found = r.recommend_buyers(index, product="SP", max_distance_km=50, as_of=TODAY)
    assert sorted(_codes(found)) == ["NEAR", "SHOP"]


def test_already_linked_buyers_are_left_out_unless_asked_for():
    index = _world(
        buyers=[_buyer("B1"), _buyer("B2")],
        linkages=[
            {"source_code": "P", "target_code": "B1", "kind": "sells_to", "product_code": "SP"}
        ],
    )
    assert _codes(r.recommend_buyers(index, product="SP", as_of=TODAY)) == ["B2"]
    found = r.recommend_buyers(index, product="SP", include_linked=True, as_of=TODAY)
    linked = {row["buyer"]["code"]: row["already_linked"] for row in found["results"]}
    assert linked == {"B1": True, "B2": False}


def test_a_chain_is_recommended_once_with_its_nearest_stores():
    index = _world(
        buyers=[
            _buyer("CHAIN", kind="retail_chain", lat=None, lon=None),
            _buyer("S-FAR", kind="store", chain_code="CHAIN", lon=106.2),
            _buyer("S-NEAR", kind="store", chain_code="CHAIN", lon=105.81),
        ]
    )
    [row] = r.recommend_buyers(index, product="SP", as_of=TODAY)["results"]
    assert row["buyer"]["code"] == "CHAIN"
    assert [s["code"] for s in row["nearest_stores"]] == ["S-NEAR", "S-FAR"]
    assert row["distance_km"] == pytest.approx(row["nearest_stores"][0]["distance_km"], rel=0.006)


def test_score_is_the_weighted_sum_of_its_parts_and_lies_in_zero_one():
    index = _world(buyers=[_buyer("B1"), _buyer("B2", lon=106.5, min_stars=4)])
    for row in r.recommend_buyers(index, product="SP", as_of=TODAY)["results"]:
        parts = row["parts"]
        assert set(parts) == set(r.PARTS)
        total = sum(part["value"] * part["weight"] for part in parts.values())
        assert row["score"] == pytest.approx(total, abs=1e-3)
        assert 0 <= row["score"] <= 1


def test_buyers_of_producers_nearby_in_the_same_group_rank_first():
    neighbours = [
        {"code": f"N{i}", "kind": "household", "area_code": "A1", "lat": 21.0, "lon": 105.80}
        for i in range(3)
    ]
    products = [
        {"code": "SP", "producer_code": "P", "category": "food", "stars": 4, "rated_on": FRESH},
        *[
            {
                "code": f"NP{i}",
                "producer_code": f"N{i}",
                "category": "food",
                "stars": 4,
                "rated_on": FRESH,
            }
            for i in range(3)
        ],
    ]
    index = _world(
        producers=[
            {"code": "P", "kind": "cooperative", "area_code": "A1", "lat": 21.0, "lon": 105.80},
            *neighbours,
        ],
        products=products,
        # Two buyers at the same distance; only the second buys from P's neighbours.
        buyers=[_buyer("LONELY", lon=105.9), _buyer("LOCAL", lon=105.9)],
        linkages=[
            {
                "source_code": f"N{i}",
                "target_code": "LOCAL",
                "kind": "sells_to",
                "product_code": f"NP{i}",
            }
            for i in range(3)
        ],
    )
    found = r.recommend_buyers(index, product="SP", as_of=TODAY)["results"]
    assert [row["buyer"]["code"] for row in found] == ["LOCAL", "LONELY"]
    assert found[0]["parts"]["graph"]["value"] > 0.5
    assert found[1]["parts"]["graph"]["value"] == 0


def test_the_graph_part_is_the_same_seen_from_the_buyer_or_the_producer():
    rng = np.random.default_rng(3)
    producers = [
        {
            "code": f"P{i}",
            "kind": "household",
            "area_code": f"A{i % 3}",
            "lat": 21 + rng.normal(0, 0.05),
            "lon": 105.8 + rng.normal(0, 0.05),
        }
        for i in range(12)
    ]
    products = [
        {
            "code": f"SP{i}",
            "producer_code": f"P{i}",
            "category": ["food", "herbal"][i % 2],
            "stars": 4,
            "rated_on": FRESH,
        }
        for i in range(12)
    ]
    linkages = [
        {
            "source_code": f"P{i}",
            "target_code": f"B{i % 2}",
            "kind": "sells_to",
            "product_code": f"SP{i}",
        }
        for i in range(1, 12, 2)
    ]
    index = _world(
        producers=producers,
        products=products,
        linkages=linkages,
        buyers=[_buyer("B0"), _buyer("B1")],
    )
    for p in range(12):
        from_producer = r._graph_signal_for_buyers(index, p, "food")
        for unit in range(2):
            from_buyer = r._signal_for_suppliers(index, unit, "food", np.array([p]))
            assert from_buyer[0] == pytest.approx(from_producer[unit])


def test_buyers_for_a_producer_list_each_buyer_with_its_best_product():
    index = _world(
        products=[
            {"code": "SP", "producer_code": "P", "category": "food", "stars": 3, "rated_on": FRESH},
            {
                "code": "SP5",
                "producer_code": "P",
                "category": "food",
                "stars": 5,
                "rated_on": FRESH,
            },
        ],
        buyers=[_buyer("B1")],
    )
    [row] = r.recommend_buyers(index, producer="P", as_of=TODAY)["results"]
    assert row["product"] == "SP5"
    with pytest.raises(ValueError):
        r.recommend_buyers(index, producer="P", product="SP")
    with pytest.raises(KeyError):
        r.recommend_buyers(index, producer="NOBODY")


def test_weights_are_normalised_and_checked():
    weights = r.parse_weights(
        {"graph": "1", "distance": 1, "category": 0, "capacity": 0, "stars": 0}
    )
    assert weights == {"category": 0, "distance": 0.5, "capacity": 0, "stars": 0, "graph": 0.5}
    assert sum(r.parse_weights(None).values()) == pytest.approx(1)
    for bad in ({"graph": 1.5}, {"graph": -0.1}, {"graph": "x"}, {"colour": 1}):
        with pytest.raises(ValueError) as error:
            r.parse_weights(bad)
        assert error.value.args[0] == next(iter(bad))
    with pytest.raises(ValueError):
        r.parse_weights(dict.fromkeys(r.PARTS, 0))


def test_changing_the_weights_changes_the_order():
    index = _world(
        buyers=[
            _buyer("NEAR_STRICT", lon=105.81, min_stars=4),
            _buyer("FAR_EASY", lon=106.3, min_stars=1),
        ]
    )
    by_distance = r.parse_weights({"distance": 1, "stars": 0, "graph": 0, "category": 0})
    by_stars = r.parse_weights({"distance": 0, "stars": 1, "graph": 0, "category": 0})
    first = r.recommend_buyers(index, product="SP", weights=by_distance, as_of=TODAY)
    second = r.recommend_buyers(index, product="SP", weights=by_stars, as_of=TODAY)
    assert _codes(first)[0] == "NEAR_STRICT"
    assert _codes(second)[0] == "FAR_EASY"


def _supplier_world():
    producers = [
        {"code": "NEAR", "kind": "cooperative", "lat": 21.0, "lon": 105.81},
        {"code": "FAR", "kind": "cooperative", "lat": 10.8, "lon": 106.7},
        {"code": "SMALL", "kind": "household", "lat": 21.0, "lon": 105.82},
    ]
    products = [
        {
            "code": "X-NEAR",
            "producer_code": "NEAR",
            "category": "food",
            "stars": 4,
            "rated_on": FRESH,
            "capacity_per_month": 1000,
        },
        {
            "code": "X-FAR",
            "producer_code": "FAR",
            "category": "food",
            "stars": 5,
            "rated_on": FRESH,
            "capacity_per_month": 1000,
        },
        {
            "code": "X-SMALL",
            "producer_code": "SMALL",
            "category": "food",
            "stars": 4,
            "rated_on": FRESH,
            "capacity_per_month": 50,
        },
        {
            "code": "X-CRAFT",
            "producer_code": "NEAR",
            "category": "handicraft",
            "stars": 5,
            "rated_on": FRESH,
        },
        {
            "code": "X-THREE",
            "producer_code": "NEAR",
            "category": "food",
            "stars": 3,
            "rated_on": FRESH,
        },
    ]
    return _world(
        producers=producers,
        products=products,
        buyers=[
            _buyer(
                "CHAIN", kind="retail_chain", lat=None, lon=None, categories="food", min_stars=4
            ),
            _buyer("STORE", kind="store", chain_code="CHAIN", lon=105.8),
        ],
    )


def test_suppliers_follow_the_buyers_rules_and_the_requests_reach():
    index = _supplier_world()
    found = r.recommend_suppliers(index, buyer="CHAIN", as_of=TODAY)
    assert sorted(row["product"]["code"] for row in found["results"]) == [
        "X-FAR",
        "X-NEAR",
        "X-SMALL",
    ]
    near = r.recommend_suppliers(
        index,
        buyer="CHAIN",
        category="food",
        max_distance_km=100,
        quantity_per_month=500,
        as_of=TODAY,
    )
    rows = {row["product"]["code"]: row for row in near["results"]}
    assert set(rows) == {"X-NEAR", "X-SMALL"}
    assert rows["X-SMALL"]["parts"]["capacity"]["value"] == pytest.approx(0.1)
    assert rows["X-NEAR"]["parts"]["capacity"]["value"] == 1
    assert _first(near) == "X-NEAR"


def _first(result):
    return result["results"][0]["product"]["code"]


def test_a_store_is_measured_from_itself_under_its_chains_rules():
    found = r.recommend_suppliers(_supplier_world(), buyer="STORE", as_of=TODAY)
    rows = {row["product"]["code"]: row for row in found["results"]}
    assert "X-THREE" not in rows and "X-CRAFT" not in rows
    assert rows["X-NEAR"]["distance_km"] == pytest.approx(1.04, abs=0.01)


@settings(max_examples=60, deadline=None)
@given(
    st.floats(-60, 60),
    st.floats(-179, 179),
    st.floats(-60, 60),
    st.floats(-179, 179),
)
def test_bulk_haversine_agrees_with_geodesic_within_the_spheres_error(lat1, lon1, lat2, lon2):
    bulk = r.haversine_km(lat1, lon1, np.array([lat2]), np.array([lon2]))[0]
    exact = r.geodesic_km((lat1, lon1), (lat2, lon2))
    assert bulk == pytest.approx(exact, rel=0.006, abs=0.01)


def test_no_buyer_at_all_gives_an_empty_answer_not_an_error():
    result = r.recommend_buyers(_world(), product="SP", as_of=TODAY)
    assert result["results"] == []
    assert result["not_recommended"][0]["product"] == "SP"


def test_an_unrated_product_has_no_buyer():
    products = [{"code": "SP", "producer_code": "P", "category": "food", "stars": None}]
    index = _world(buyers=[_buyer("B1")], products=products)
    result = r.recommend_buyers(index, product="SP", as_of=TODAY)
    assert result["results"] == []
    assert "no star rating" in result["not_recommended"][0]["reason"]


def test_a_producer_without_a_place_keeps_only_platforms_under_a_maximum_distance():
    producers = [{"code": "P", "kind": "cooperative"}]
    buyers = [_buyer("NEAR"), _buyer("SHOPEE", lat=None, lon=None, kind="ecommerce")]
    index = _world(buyers=buyers, producers=producers)
    assert _codes(r.recommend_buyers(index, product="SP", as_of=TODAY)) == ["NEAR", "SHOPEE"] or (
        sorted(_codes(r.recommend_buyers(index, product="SP", as_of=TODAY)))
        == ["NEAR", "SHOPEE"]
    )
    limited = r.recommend_buyers(index, product="SP", max_distance_km=5, as_of=TODAY)
    assert _codes(limited) == ["SHOPEE"]
