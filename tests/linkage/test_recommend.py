import datetime as dt

import numpy as np
import pytest

from linkage import recommend as r
from linkage.ranking import fit_ranking
from linkage.snapshot import snapshot_from_tables
from simulation.worlds import world_tables

TODAY = dt.date(2025, 6, 1)
FRESH = "2024-01-01"  # rated 17 months before TODAY: valid until 2027


def _recommender(*, buyers=(), linkages=(), producers=None, products=None):
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
    tables = {
        "producers": producers,
        "products": products,
        "buyers": list(buyers),
        "linkages": list(linkages),
    }
    return r.Recommender.build(snapshot_from_tables(tables, today=TODAY), today=TODAY)


def _buyer(code, lat=21.0, lon=105.85, kind="sales_point", **extra):
    return {"code": code, "name": code, "kind": kind, "lat": lat, "lon": lon, **extra}


def _codes(result, listing="results"):
    return [row["buyer"]["code"] for row in result[listing]]


def test_outlets_must_take_the_products_group_and_accept_its_stars():
    rec = _recommender(
        buyers=[
            _buyer("FOOD", categories="food"),
            _buyer("CRAFT", categories="handicraft"),
            _buyer("ANY"),
            _buyer("FIVE_ONLY", min_stars=5),
            _buyer("CRAFT_CHAIN", kind="retail_chain", lat=None, lon=None, categories="handicraft"),
            # The store lists no group of its own: its chain's rules hold.
            _buyer("CRAFT_STORE", kind="store", chain_code="CRAFT_CHAIN"),
        ]
    )
    found = r.recommend_buyers(rec, product="SP", as_of=TODAY)
    assert sorted(_codes(found)) == ["ANY", "FOOD"]


def test_an_expired_rating_has_no_buyer_and_one_expiring_soon_is_flagged_with_a_reason():
    rec = _recommender(buyers=[_buyer("B1")])
    expired = r.recommend_buyers(rec, product="SP", as_of=dt.date(2027, 1, 2), language="en")
    assert expired["results"] == []
    [why] = expired["not_recommended"]
    assert why["product"] == "SP" and why["code"] == "rating_expired"
    assert why["reason"].startswith("The rating expired on 2027-01-01")
    soon = r.recommend_buyers(rec, product="SP", as_of=dt.date(2026, 9, 1), language="en")
    [row] = soon["results"]
    assert row["flags"] == ["rating_expiring_soon"]
    assert row["reasons"][-1]["code"] == "rating_expires"
    assert "expires in 4 months" in row["reasons"][-1]["text"]
    valid = r.recommend_buyers(rec, product="SP", as_of=TODAY)
    assert valid["results"][0]["flags"] == []
    assert valid["not_recommended"] == []


def test_the_maximum_distance_excludes_far_outlets_but_not_platforms():
    rec = _recommender(
        buyers=[
            _buyer("NEAR", lon=105.85),
            _buyer("FAR", lat=10.8, lon=106.7),
            _buyer("SHOP", kind="ecommerce", lat=None, lon=None),
            _buyer("WHOLE", kind="wholesaler", lat=10.8, lon=106.7),
        ]
    )
    found = r.recommend_buyers(rec, product="SP", max_distance_km=50, as_of=TODAY)
    assert _codes(found) == ["NEAR"]
    assert _codes(found, "platforms") == ["SHOP"]
    assert _codes(found, "trade") == []
    unlimited = r.recommend_buyers(rec, product="SP", as_of=TODAY)
    assert _codes(unlimited, "trade") == ["WHOLE"]


def test_a_producer_without_a_place_gets_platforms_and_trade_only_with_a_reason():
    rec = _recommender(
        producers=[{"code": "P", "kind": "household"}],
        buyers=[_buyer("NEAR"), _buyer("SHOP", kind="ecommerce", lat=None, lon=None)],
    )
    found = r.recommend_buyers(rec, producer="P", as_of=TODAY, language="en")
    assert found["results"] == []
    assert _codes(found, "platforms") == ["SHOP"]
    [note] = [note for note in found["notes"] if note["code"] == "no_location"]
    assert "coordinates" in note["text"]


def test_already_linked_outlets_are_left_out_unless_asked_for():
    rec = _recommender(
        buyers=[_buyer("B1"), _buyer("B2")],
        linkages=[
            {"source_code": "P", "target_code": "B1", "kind": "sells_to", "product_code": "SP"}
        ],
    )
    assert _codes(r.recommend_buyers(rec, product="SP", as_of=TODAY)) == ["B2"]
    found = r.recommend_buyers(rec, product="SP", include_linked=True, as_of=TODAY)
    linked = {row["buyer"]["code"]: row["already_linked"] for row in found["results"]}
    assert linked == {"B1": True, "B2": False}


def test_stores_are_ranked_one_by_one_and_grouped_under_their_chain():
    rec = _recommender(
        buyers=[
            _buyer("CHAIN", kind="retail_chain", lat=None, lon=None),
            _buyer("S-FAR", kind="store", chain_code="CHAIN", lon=106.2),
            _buyer("S-NEAR", kind="store", chain_code="CHAIN", lon=105.81),
            _buyer("POINT", lon=105.9),
            _buyer("SHOP", kind="ecommerce", lat=None, lon=None),
        ]
    )
    found = r.recommend_buyers(rec, product="SP", k=2, as_of=TODAY)
    # k counts outlets; the chain itself and the platform never take an outlet's place.
    assert _codes(found) == ["S-NEAR", "POINT"]
    assert found["results"][0]["buyer"]["chain"] == {"code": "CHAIN", "name": "CHAIN"}
    assert [chain["chain"]["code"] for chain in found["chains"]] == ["CHAIN"]
    assert [store["code"] for store in found["chains"][0]["stores"]] == ["S-NEAR"]
    assert _codes(found, "platforms") == ["SHOP"]
    everything = r.recommend_buyers(rec, product="SP", k=10, as_of=TODAY)
    assert [s["code"] for s in everything["chains"][0]["stores"]] == ["S-NEAR", "S-FAR"]


def test_score_is_the_weighted_sum_of_its_parts_and_lies_in_zero_one():
    rec = _recommender(buyers=[_buyer("B1"), _buyer("B2", lon=106.5, min_stars=4)])
    weights = r.parse_weights({"distance": 0.5, "stars": 0.2})
    for row in r.recommend_buyers(rec, product="SP", weights=weights, as_of=TODAY)["results"]:
        parts = row["parts"]
        assert set(parts) == set(r.PARTS)
        total = sum(part["value"] * part["weight"] for part in parts.values())
        assert row["score"] == pytest.approx(total, abs=1e-3)
        assert all(0 <= part["value"] <= 1 for part in parts.values())


def test_weights_are_normalised_and_checked():
    weights = r.parse_weights({"distance": "1", "learned": 1})
    assert weights["distance"] == pytest.approx(0.5) and weights["learned"] == pytest.approx(0.5)
    assert sum(weights.values()) == pytest.approx(1)
    for bad, part in (({"distance": 2}, "distance"), ({"speed": 1}, "speed")):
        with pytest.raises(ValueError) as caught:
            r.parse_weights(bad)
        assert caught.value.args[0] == part
    with pytest.raises(ValueError):
        r.parse_weights({part: 0 for part in r.PARTS})


def test_distance_weight_alone_ranks_the_nearest_first():
    rec = _recommender(
        buyers=[_buyer("FAR", lon=106.2), _buyer("MID", lon=105.95), _buyer("NEAR", lon=105.81)]
    )
    weights = r.parse_weights({"learned": 0, "distance": 1})
    assert _codes(r.recommend_buyers(rec, product="SP", weights=weights, as_of=TODAY)) == [
        "NEAR",
        "MID",
        "FAR",
    ]


def test_reasons_come_in_vietnamese_and_in_english():
    rec = _recommender(
        producers=[
            {"code": "P", "kind": "cooperative", "lat": 21.0, "lon": 105.80},
            {"code": "Q", "kind": "cooperative", "lat": 21.01, "lon": 105.80},
        ],
        products=[
            {"code": "SP", "producer_code": "P", "category": "food", "stars": 4, "rated_on": FRESH},
            {"code": "SQ", "producer_code": "Q", "category": "food", "stars": 4, "rated_on": FRESH},
        ],
        buyers=[_buyer("B1")],
        linkages=[{"source_code": "Q", "target_code": "B1", "kind": "sells_to"}],
    )
    english = r.recommend_buyers(rec, product="SP", as_of=TODAY, language="en")["results"][0]
    vietnamese = r.recommend_buyers(rec, product="SP", as_of=TODAY, language="vi")["results"][0]
    assert english["reasons"][0] == {
        "code": "nearby_sellers",
        "count": 1,
        "group": "food",
        "text": "1 nearby producer of food products already sells here",
    }
    assert vietnamese["reasons"][0]["text"] == "1 cơ sở sản xuất thực phẩm gần bạn đã bán ở đây"
    assert [x["code"] for x in english["reasons"]] == [x["code"] for x in vietnamese["reasons"]]
    assert 2 <= len(english["reasons"]) <= 3


def test_no_outlet_at_all_gives_an_empty_answer_not_an_error():
    found = r.recommend_buyers(_recommender(), producer="P", as_of=TODAY)
    assert found["results"] == [] and found["platforms"] == [] and found["trade"] == []
    assert found["not_recommended"][0]["code"] == "no_buyer_within_rules"


def test_an_unrated_product_has_no_buyer():
    rec = _recommender(
        products=[{"code": "SP", "producer_code": "P", "category": "food"}],
        buyers=[_buyer("B1")],
    )
    found = r.recommend_buyers(rec, product="SP", as_of=TODAY)
    assert found["results"] == []
    assert found["not_recommended"][0]["code"] == "not_rated"


def test_suppliers_follow_the_allocations_rules_one_rule_one_reason():
    rec = _recommender(
        producers=[
            {"code": "P", "kind": "cooperative", "lat": 21.0, "lon": 105.80},
            {"code": "FARP", "kind": "cooperative", "lat": 10.8, "lon": 106.7},
        ],
        products=[
            {"code": "SP", "producer_code": "P", "category": "food", "stars": 4, "rated_on": FRESH},
            {"code": "S3", "producer_code": "P", "category": "food", "stars": 3, "rated_on": FRESH},
            {
                "code": "ST",
                "producer_code": "P",
                "category": "tourism",
                "stars": 5,
                "rated_on": FRESH,
            },
            {
                "code": "SF",
                "producer_code": "FARP",
                "category": "food",
                "stars": 4,
                "rated_on": FRESH,
            },
        ],
        buyers=[
            _buyer(
                "CHAIN", kind="retail_chain", lat=None, lon=None, categories="food", min_stars=4
            ),
            _buyer("STORE", kind="store", chain_code="CHAIN", lon=105.81),
        ],
    )
    found = r.recommend_suppliers(rec, buyer="STORE", max_distance_km=100, as_of=TODAY)
    assert [row["product"]["code"] for row in found["results"]] == ["SP"]
    tourism = r.recommend_suppliers(
        rec, buyer="CHAIN", category="tourism", as_of=TODAY, language="en"
    )
    assert tourism["results"] == []
    assert tourism["notes"][0]["code"] == "buyer_does_not_take_group"
    assert tourism["notes"][0]["text"] == "CHAIN does not take community and rural tourism products"
    from_chain = r.recommend_suppliers(rec, buyer="CHAIN", as_of=TODAY)
    assert {row["product"]["code"] for row in from_chain["results"]} == {"SP", "SF"}
    assert from_chain["results"][0]["for_store"] == "STORE"


def test_a_store_is_measured_from_itself():
    rec = _recommender(
        buyers=[
            _buyer("CHAIN", kind="retail_chain", lat=None, lon=None),
            _buyer("NEAR", kind="store", chain_code="CHAIN", lon=105.81),
            _buyer("FAR", kind="store", chain_code="CHAIN", lat=10.8, lon=106.7),
        ]
    )
    assert r.recommend_suppliers(rec, buyer="FAR", max_distance_km=50, as_of=TODAY)["results"] == []
    [row] = r.recommend_suppliers(rec, buyer="NEAR", max_distance_km=50, as_of=TODAY)["results"]
    assert row["distance_km"] == pytest.approx(1.04, abs=0.01)


def test_without_enough_sales_the_heuristic_ranks_and_says_so():
    rec = _recommender(buyers=[_buyer("NEAR", lon=105.81), _buyer("FAR", lon=106.1)])
    found = r.recommend_buyers(rec, product="SP", as_of=TODAY, language="en")
    assert found["ranking"]["kind"] == "heuristic"
    assert found["notes"][0]["code"] == "heuristic_ranking"
    assert "not ready" in found["notes"][0]["text"]
    assert _codes(found) == ["NEAR", "FAR"]


@pytest.fixture(scope="module")
def learned():
    tables = world_tables("neighbourhood", seed=3, producers=300, outlets=80)
    graph = snapshot_from_tables(
        {k: v for k, v in tables.items() if not k.startswith("_")}, today=TODAY
    )
    rec = r.Recommender.build(graph, today=TODAY)
    rec.model = fit_ranking(rec.index, as_of=TODAY, seed=0)
    return rec, graph


def test_a_learned_ranking_is_reported_and_ranks_outlets(learned):
    rec, _ = learned
    producer = rec.index.p_codes[int(rec.index.sales[0, 0])]
    found = r.recommend_buyers(rec, producer=producer, as_of=TODAY, k=5)
    assert found["ranking"]["kind"] == "logistic_regression"
    assert found["notes"] == []
    assert len(found["results"]) == 5
    scores = [row["score"] for row in found["results"]]
    assert scores == sorted(scores, reverse=True)
    assert {row["buyer"]["kind"] for row in found["results"]} <= {"store", "sales_point"}


def test_the_same_registry_gives_the_same_ranking(learned):
    rec, graph = learned
    again = r.Recommender.build(graph, today=TODAY)
    again.model = fit_ranking(again.index, as_of=TODAY, seed=0)
    assert np.array_equal(again.model.coefficients, rec.model.coefficients)
    for producer in rec.index.p_codes[:20]:
        first = r.recommend_buyers(rec, producer=producer, as_of=TODAY)
        second = r.recommend_buyers(again, producer=producer, as_of=TODAY)
        assert first == second


def test_the_capacity_part_compares_capacity_with_the_outlets_typical_volume():
    def capacity_part(capacity):
        rec = _recommender(
            producers=[
                {"code": "P", "kind": "cooperative", "lat": 21.0, "lon": 105.80},
                {"code": "Q", "kind": "cooperative", "lat": 21.2, "lon": 105.80},
            ],
            products=[
                {
                    "code": "SP",
                    "producer_code": "P",
                    "category": "food",
                    "stars": 4,
                    "rated_on": FRESH,
                    "capacity_per_month": capacity,
                },
                {
                    "code": "SQ",
                    "producer_code": "Q",
                    "category": "food",
                    "stars": 4,
                    "rated_on": FRESH,
                },
            ],
            buyers=[_buyer("B1")],
            linkages=[
                {
                    "source_code": "Q",
                    "target_code": "B1",
                    "kind": "sells_to",
                    "product_code": "SQ",
                    "volume_per_month": 200,
                }
            ],
        )
        [row] = r.recommend_buyers(rec, product="SP", as_of=TODAY)["results"]
        return row["parts"]["capacity"]["value"]

    assert capacity_part(200) == 1.0  # exactly the typical volume
    assert capacity_part(50) == 0.25
    assert capacity_part(None) == 0.5  # unknown: neither for nor against


def test_a_product_rated_after_as_of_had_no_rating_then():
    rec = _recommender(buyers=[_buyer("B1")])
    before = r.recommend_buyers(rec, product="SP", as_of=dt.date(2023, 12, 31))
    assert before["results"] == []
    assert before["not_recommended"][0]["code"] == "not_rated"
    assert _codes(r.recommend_buyers(rec, product="SP", as_of=dt.date(2024, 1, 1))) == ["B1"]


def test_a_producers_expired_product_is_named_even_when_another_finds_buyers():
    rec = _recommender(
        products=[
            {"code": "SP", "producer_code": "P", "category": "food", "stars": 4, "rated_on": FRESH},
            {
                "code": "OLD",
                "producer_code": "P",
                "category": "food",
                "stars": 4,
                "rated_on": "2020-01-01",
            },
        ],
        buyers=[_buyer("B1")],
    )
    found = r.recommend_buyers(rec, producer="P", as_of=TODAY, language="en")
    assert _codes(found) == ["B1"] and found["results"][0]["product"] == "SP"
    assert [(row["product"], row["code"]) for row in found["not_recommended"]] == [
        ("OLD", "rating_expired")
    ]


def test_a_products_recommendations_keep_outlets_taking_the_producers_other_products():
    rec = _recommender(
        products=[
            {"code": "SP", "producer_code": "P", "category": "food", "stars": 4, "rated_on": FRESH},
            {
                "code": "SP2",
                "producer_code": "P",
                "category": "food",
                "stars": 4,
                "rated_on": FRESH,
            },
        ],
        buyers=[_buyer("B1"), _buyer("B2", lon=106.0)],
        linkages=[
            {"source_code": "P", "target_code": "B1", "kind": "sells_to", "product_code": "SP"}
        ],
    )
    assert _codes(r.recommend_buyers(rec, product="SP", as_of=TODAY)) == ["B2"]
    other = r.recommend_buyers(rec, product="SP2", as_of=TODAY, language="en")
    assert "B1" in _codes(other)
    row = next(row for row in other["results"] if row["buyer"]["code"] == "B1")
    assert row["already_linked"] is False
    assert row["reasons"][0]["text"] == "You already sell another of your products here"
    # A producer's own recommendations leave out every outlet it sells to.
    assert _codes(r.recommend_buyers(rec, producer="P", as_of=TODAY)) == ["B2"]


def test_stars_without_a_rating_date_are_recommended_flagged():
    rec = _recommender(
        products=[{"code": "SP", "producer_code": "P", "category": "food", "stars": 4}],
        buyers=[_buyer("B1")],
    )
    [row] = r.recommend_buyers(rec, product="SP", as_of=TODAY)["results"]
    assert row["flags"] == ["rating_date_unknown"]
    assert row["rating_expires_on"] is None
