"""The synthetic worlds for the outlet-level recommender: format, rules, determinism, behaviour."""

import numpy as np
import pytest

from linkage.distance import haversine_km
from simulation.demo import CATEGORIES, TABLE_COLUMNS
from simulation.worlds import ASSUMPTIONS, world_tables


@pytest.fixture(scope="module")
def worlds():
    return {assumption: world_tables(assumption, seed=1) for assumption in ASSUMPTIONS}


def _sales(world):
    return [link for link in world["linkages"] if link["kind"] == "sells_to"]


def _sale_distances(world):
    buyers = {b["code"]: b for b in world["buyers"]}
    producers = {p["code"]: p for p in world["producers"]}
    pairs = [(producers[s["source_code"]], buyers[s["target_code"]]) for s in _sales(world)]
    return haversine_km(
        [p["lat"] for p, _ in pairs],
        [p["lon"] for p, _ in pairs],
        [b["lat"] for _, b in pairs],
        [b["lon"] for _, b in pairs],
    )


@pytest.mark.parametrize("assumption", ASSUMPTIONS)
def test_tables_have_the_interchange_columns_and_valid_references(worlds, assumption):
    world = worlds[assumption]
    assert set(TABLE_COLUMNS) <= set(world)
    for name, columns in TABLE_COLUMNS.items():
        assert world[name], name
        for row in world[name]:
            assert set(row) == set(columns), (name, row)
    codes = [r["code"] for t in ("areas", "producers", "products", "buyers") for r in world[t]]
    assert len(codes) == len(set(codes))
    actors = {r["code"] for t in ("producers", "buyers") for r in world[t]}
    products = {p["code"] for p in world["products"]}
    for link in world["linkages"]:
        assert link["source_code"] in actors and link["target_code"] in actors
        assert link["product_code"] is None or link["product_code"] in products
    assert {link["kind"] for link in world["linkages"]} == {"sells_to", "lists_on", "mou"}
    assert 3 <= len(world["sourcing_requests"]) <= 5
    assert all(
        2023 <= int(p["rated_on"][:4]) <= 2025 and p["stars"] in (3, 4, 5)
        for p in world["products"]
    )
    truth = world["_truth"]
    assert set(truth) == {p["producer_code"] for p in world["products"]}


@pytest.mark.parametrize("assumption", ASSUMPTIONS)
def test_sales_respect_the_outlet_rules(worlds, assumption):
    world = worlds[assumption]
    buyers = {b["code"]: b for b in world["buyers"]}
    products = {p["code"]: p for p in world["products"]}
    sales = _sales(world)
    assert 1500 <= len(sales) <= 3500
    kinds = {buyers[s["target_code"]]["kind"] for s in sales}
    assert (
        {"store", "sales_point"} <= kinds <= {"store", "sales_point", "wholesaler", "distributor"}
    )
    for sale in sales:
        buyer, product = buyers[sale["target_code"]], products[sale["product_code"]]
        assert product["producer_code"] == sale["source_code"]
        takes = buyer["categories"].split(";") if buyer["categories"] else CATEGORIES
        assert product["category"] in takes, sale
        assert product["stars"] >= buyer["min_stars"], sale
        if buyer["kind"] in ("store", "sales_point"):
            assert buyer["code"] in world["_truth"][sale["source_code"]]


def test_same_seed_same_world_other_seed_other_sales(worlds):
    again = world_tables("popularity", seed=1)
    assert again == worlds["popularity"]
    other = world_tables("popularity", seed=2)
    assert other["linkages"] != again["linkages"]


def test_unknown_assumption_is_refused():
    with pytest.raises(ValueError):
        world_tables("gravity")


def test_the_assumption_shapes_where_producers_sell(worlds):
    near = float(np.median(_sale_distances(worlds["distance"])))
    popular = float(np.median(_sale_distances(worlds["popularity"])))
    assert near < 0.5 * popular, (near, popular)
