"""The pure allocation: eligibility, exactness against an independent LP, capacities, reasons."""

import datetime as dt
import random

import numpy as np
import pytest
from geopy.distance import geodesic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from linkage.distance import geodesic_km
from linkage.matching import (
    BUYER_DOES_NOT_TAKE_GROUP,
    NO_ELIGIBLE_SUPPLY,
    QUANTITY_SCALE,
    SUPPLY_USED_UP,
    RequestRow,
    SupplyRow,
    allocate,
    eligible_pairs,
)

TODAY = dt.date(2026, 1, 1)
VALID = dt.date(2027, 1, 1)
CATEGORIES = ["food", "handicraft"]


def supply_row(
    code, point, capacity=100.0, category="food", stars=4, expires_on=VALID, producer=None
):
    return SupplyRow(code, producer or f"P-{code}", category, stars, capacity, point, expires_on)


def request_row(code, points, quantity=100.0, category="food", min_stars=3, max_km=None, **kw):
    return RequestRow(code, category, quantity, min_stars, max_km, tuple(points), **kw)


def random_instance(rng: random.Random, n_requests: int, n_supply: int):
    """Small instances around Hà Nội with every eligibility rule in play."""

    def point():
        return (rng.uniform(20.6, 21.4), rng.uniform(105.4, 106.2))

    producers = [point() for _ in range(max(1, n_supply // 2))]
    supply = []
    for i in range(n_supply):
        expires_on = rng.choice([VALID, VALID, VALID, TODAY, TODAY - dt.timedelta(days=1), None])
        supply.append(
            SupplyRow(
                product=f"SP{i}",
                producer=f"P{i % len(producers)}",
                category=rng.choice(CATEGORIES),
                stars=rng.choice([None, 3, 4, 4, 5]),
                # Round quantities and a few shared places make ties common.
                capacity=rng.choice([None, 0.0, 10.0, 25.0, 40.5, 100.0]),
                point=rng.choice([None, producers[i % len(producers)], *producers[:2]]),
                expires_on=expires_on,
            )
        )
    requests = []
    for j in range(n_requests):
        n_points = rng.choice([0, 1, 1, 1, 3])
        requests.append(
            RequestRow(
                code=f"YC{j}",
                category=rng.choice(CATEGORIES),
                quantity=rng.choice([0.0, 10.0, 30.0, 55.5, 120.0]),
                min_stars=rng.choice([None, 3, 4, 5]),
                max_distance_km=rng.choice([None, 15.0, 40.0, 80.0]),
                points=tuple(point() for _ in range(n_points)),
                buyer_categories=rng.choice([None, None, (), ("food",), ("handicraft",)]),
                buyer_min_stars=rng.choice([None, 3, 4]),
            )
        )
    return requests, supply


def brute_force_eligibility(requests, supply, today):
    """(request, product) -> geodesic km, written from the rules alone with geopy, pair by pair."""
    found = {}
    for j, r in enumerate(requests):
        least = max(r.min_stars or 1, r.buyer_min_stars or 1)
        for i, s in enumerate(supply):
            if s.category != r.category:
                continue
            if r.buyer_categories is not None and r.category not in r.buyer_categories:
                continue
            if s.stars is None or s.stars < least or s.point is None:
                continue
            if s.expires_on is not None and s.expires_on <= today:
                continue
            km = min((geodesic(p, s.point).km for p in r.points), default=0.0)
            if r.points and r.max_distance_km is not None and km > r.max_distance_km:
                continue
            found[(j, i)] = km
    return found


def lp_optimum(requests, supply, edges):
    """Most served, then least cost at that total: two LPs solved by HiGHS over dense matrices.

    ``edges`` maps (request, product) to km. Returns (served, cost) in units and quantity × km,
    on the same integer grain as the allocation (demand rounded, capacity rounded down).
    """
    keys = sorted(edges)
    if not keys:
        return 0.0, 0.0
    demand = [round(r.quantity * QUANTITY_SCALE) for r in requests]
    capacity = [int(np.floor((s.capacity or 0) * QUANTITY_SCALE + 1e-6)) for s in supply]
    a_ub = np.zeros((len(supply) + len(requests), len(keys)))
    for k, (j, i) in enumerate(keys):
        a_ub[i, k] = 1
        a_ub[len(supply) + j, k] = 1
    b_ub = np.array(capacity + demand, dtype=float)
    most = linprog(-np.ones(len(keys)), A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    served = -most.fun
    cost = np.array([edges[k] for k in keys])
    cheapest = linprog(
        cost,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=np.ones((1, len(keys))),
        b_eq=[served],
        bounds=(0, None),
        method="highs",
    )
    return served / QUANTITY_SCALE, cheapest.fun / QUANTITY_SCALE


def used_by_product(result):
    used = {}
    for request in result.requests:
        for row in request.allocations:
            used[row["product"]] = used.get(row["product"], 0.0) + row["quantity"]
    return used


# Eligibility


@pytest.mark.parametrize("seed", range(6))
def test_eligible_pairs_are_the_pairs_the_rules_allow(seed):
    requests, supply = random_instance(random.Random(seed), 25, 40)
    pairs = eligible_pairs(requests, supply, today=TODAY)
    expected = brute_force_eligibility(requests, supply, TODAY)
    got = {
        (int(j), int(i)): int(m)
        for j, i, m in zip(pairs.request, pairs.supply, pairs.metres, strict=True)
    }
    assert set(got) == set(expected)
    for key, metres in got.items():
        assert abs(metres - expected[key] * 1000) <= 1


@pytest.mark.parametrize("chain", [False, True])
def test_the_distance_limit_is_decided_by_the_geodesic_to_the_millimetre(chain):
    rng = random.Random(3)
    buyers = [(rng.uniform(8.5, 23), rng.uniform(102.5, 109.5)) for _ in range(60)]
    products = [(rng.uniform(8.5, 23), rng.uniform(102.5, 109.5)) for _ in range(60)]
    supply = [supply_row(f"SP{i}", p) for i, p in enumerate(products)]
    requests = []
    for j, (buyer, product) in enumerate(zip(buyers, products, strict=True)):
        km = geodesic_km(buyer, product)
        points = [(buyer[0], buyer[1] + 60), buyer] if chain else [buyer]
        requests.append(request_row(f"in{j}", points, max_km=km + 1e-6))
        requests.append(request_row(f"out{j}", points, max_km=km - 1e-6))
    pairs = eligible_pairs(requests, supply, today=TODAY)
    own = set(zip(pairs.request.tolist(), pairs.supply.tolist(), strict=True))
    for j in range(len(products)):
        assert (2 * j, j) in own
        assert (2 * j + 1, j) not in own


def test_an_expired_or_never_rated_product_is_not_eligible():
    requests = [request_row("YC1", [(21.0, 105.8)])]
    supply = [
        supply_row("expired", (21.0, 105.8), expires_on=TODAY - dt.timedelta(days=1)),
        supply_row("never-rated", (21.0, 105.8), stars=None),
        supply_row("expiry-day", (21.0, 105.8), expires_on=TODAY),
        supply_row("last-valid-day", (21.0, 105.8), expires_on=TODAY + dt.timedelta(days=1)),
        # Stars with no rating date count, as in the recommendations (flagged there).
        supply_row("date-unknown", (21.0, 105.8), expires_on=None),
    ]
    pairs = eligible_pairs(requests, supply, today=TODAY)
    assert pairs.supply.tolist() == [3, 4]


def test_a_buyer_that_does_not_take_the_group_gets_nothing():
    requests = [request_row("YC1", [(21.0, 105.8)], buyer_categories=("handicraft",))]
    result = allocate(requests, [supply_row("SP1", (21.0, 105.8))], today=TODAY)
    assert result.requests[0].served == 0
    # The supplier recommendations give the same reason for the same rule.
    assert result.requests[0].reason == BUYER_DOES_NOT_TAKE_GROUP


def test_the_buyer_minimum_stars_applies_on_top_of_the_request():
    requests = [request_row("YC1", [(21.0, 105.8)], min_stars=3, buyer_min_stars=5)]
    supply = [
        supply_row("four", (21.0, 105.8), stars=4),
        supply_row("five", (21.0, 105.9), stars=5),
    ]
    result = allocate(requests, supply, today=TODAY)
    assert [row["product"] for row in result.requests[0].allocations] == ["five"]


def test_a_chain_is_measured_from_its_nearest_store():
    product = (21.0, 105.8)
    stores = [(22.0, 105.8), (21.1, 105.8)]
    requests = [request_row("YC1", stores, max_km=20.0)]
    result = allocate(requests, [supply_row("SP1", product)], today=TODAY)
    [row] = result.requests[0].allocations
    assert row["distance_km"] == pytest.approx(geodesic_km(stores[1], product), abs=0.001)


def test_a_buyer_without_location_has_no_distance_limit_and_no_distance_cost():
    requests = [request_row("YC1", [], max_km=1.0)]
    result = allocate(requests, [supply_row("SP1", (10.8, 106.7))], today=TODAY)
    assert result.requests[0].served == 100
    assert result.cost == 0


# The two-level objective


def test_serving_more_comes_before_a_lower_cost():
    near_a, far = (21.0, 105.8), (21.0, 106.3)
    requests = [
        request_row("A", [near_a], quantity=10, max_km=100),
        request_row("B", [far], quantity=10, max_km=80),
    ]
    supply = [
        supply_row("shared", (21.0, 105.81), capacity=10),
        supply_row("only-A", (21.0, 105.35), capacity=10),
    ]
    # "only-A" is out of B's reach: serving both needs A to take the farther product.
    assert geodesic_km(far, supply[1].point) > 80
    result = allocate(requests, supply, today=TODAY)
    assert result.served == 20
    by_request = {r.code: r.allocations for r in result.requests}
    assert [row["product"] for row in by_request["A"]] == ["only-A"]
    assert [row["product"] for row in by_request["B"]] == ["shared"]


def test_among_equal_served_totals_the_cheapest_is_chosen():
    buyer = (21.0, 105.8)
    requests = [request_row("YC1", [buyer], quantity=50)]
    supply = [supply_row("far", (21.3, 105.8)), supply_row("near", (21.05, 105.8))]
    result = allocate(requests, supply, today=TODAY)
    assert [row["product"] for row in result.requests[0].allocations] == ["near"]
    assert result.cost == pytest.approx(50 * geodesic_km(buyer, (21.05, 105.8)), abs=0.05)


def test_ties_give_the_lp_cost_and_never_split_beyond_capacity():
    # Two buyers at one place, three identical products at one place: every split costs the same.
    buyer, place = (21.0, 105.8), (21.1, 105.9)
    requests = [request_row(f"YC{j}", [buyer], quantity=70) for j in range(2)]
    supply = [supply_row(f"SP{i}", place, capacity=50, producer="P1") for i in range(3)]
    result = allocate(requests, supply, today=TODAY)
    edges = brute_force_eligibility(requests, supply, TODAY)
    served, cost = lp_optimum(requests, supply, edges)
    assert result.served == served == 140
    assert result.cost == pytest.approx(cost, abs=140 * 0.001)
    assert all(q <= 50 for q in used_by_product(result).values())


# Unmet demand and its reasons


def test_unmet_demand_says_why():
    here = (21.0, 105.8)
    requests = [
        request_row("too-far", [(10.8, 106.7)], max_km=50),
        request_row("starved", [here], quantity=300),
        request_row("too-demanding", [here], min_stars=5),
        request_row("served", [here], quantity=0),
    ]
    result = allocate(requests, [supply_row("SP1", here, capacity=120)], today=TODAY)
    by_code = {r.code: r for r in result.requests}
    assert by_code["too-far"].reason == NO_ELIGIBLE_SUPPLY
    assert by_code["too-far"].unmet == 100
    assert by_code["too-demanding"].reason == NO_ELIGIBLE_SUPPLY
    assert by_code["starved"].reason == SUPPLY_USED_UP
    assert by_code["starved"].served == 120
    assert by_code["starved"].unmet == 180
    assert by_code["served"].reason is None
    assert result.demand == 500
    assert result.unmet == 380


def test_capacity_is_rounded_down_so_it_is_never_exceeded():
    requests = [request_row("YC1", [(21.0, 105.8)], quantity=1)]
    result = allocate(requests, [supply_row("SP1", (21.0, 105.8), capacity=0.3337)], today=TODAY)
    assert result.requests[0].served == 0.333


def test_unknown_capacity_counts_as_none_available():
    requests = [request_row("YC1", [(21.0, 105.8)])]
    result = allocate(requests, [supply_row("SP1", (21.0, 105.8), capacity=None)], today=TODAY)
    assert result.requests[0].served == 0
    assert result.requests[0].reason == SUPPLY_USED_UP


def test_no_requests_and_no_supply_give_empty_totals():
    result = allocate([], [], today=TODAY)
    assert (result.demand, result.served, result.cost, result.requests) == (0, 0, 0, [])


def test_a_negative_quantity_is_refused():
    with pytest.raises(ValueError, match="negative"):
        allocate([request_row("YC1", [], quantity=-1)], [], today=TODAY)


def test_an_unknown_solver_is_refused():
    requests = [request_row("YC1", [])]
    with pytest.raises(ValueError, match="solver"):
        allocate(requests, [supply_row("SP1", (21.0, 105.8))], today=TODAY, solver="greedy")


# Exactness against the independent LP, and the solvers against each other


@pytest.mark.parametrize("seed", range(8))
def test_allocation_matches_the_independent_lp(seed):
    requests, supply = random_instance(random.Random(100 + seed), 30, 50)
    result = allocate(requests, supply, today=TODAY)
    served, cost = lp_optimum(requests, supply, brute_force_eligibility(requests, supply, TODAY))
    assert result.served == pytest.approx(served, abs=1e-6)
    # Distances are kept to the metre: each unit served may differ by at most 1 m from the LP's.
    assert abs(result.cost - cost) <= result.served * 0.001 + 1e-6


@pytest.mark.parametrize("seed", range(4))
def test_the_three_solvers_agree_exactly(seed):
    requests, supply = random_instance(random.Random(200 + seed), 40, 60)
    results = [
        allocate(requests, supply, today=TODAY, solver=solver)
        for solver in ("ortools", "networkx", "highs")
    ]
    assert len({r.served for r in results}) == 1
    assert max(r.cost for r in results) - min(r.cost for r in results) < 1e-6


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), n_requests=st.integers(0, 12), n_supply=st.integers(0, 15))
def test_allocation_respects_capacity_demand_and_eligibility(seed, n_requests, n_supply):
    requests, supply = random_instance(random.Random(seed), n_requests, n_supply)
    result = allocate(requests, supply, today=TODAY)
    eligible = brute_force_eligibility(requests, supply, TODAY)
    capacity = {s.product: s.capacity or 0 for s in supply}
    for product, quantity in used_by_product(result).items():
        assert quantity <= capacity[product] + 1e-9
    index = {s.product: i for i, s in enumerate(supply)}
    for j, (request, outcome) in enumerate(zip(requests, result.requests, strict=True)):
        assert outcome.code == request.code
        assert outcome.served == pytest.approx(sum(r["quantity"] for r in outcome.allocations))
        assert outcome.served + outcome.unmet == pytest.approx(request.quantity)
        assert all((j, index[row["product"]]) in eligible for row in outcome.allocations)
        has_supply = any(key[0] == j for key in eligible)
        refused = request.buyer_categories is not None and (
            request.category not in request.buyer_categories
        )
        if outcome.unmet > 0 and refused:
            assert outcome.reason == BUYER_DOES_NOT_TAKE_GROUP
        elif outcome.unmet > 0:
            assert outcome.reason == (SUPPLY_USED_UP if has_supply else NO_ELIGIBLE_SUPPLY)
        else:
            assert outcome.reason is None
    served, cost = lp_optimum(requests, supply, eligible)
    assert result.served == pytest.approx(served, abs=1e-6)
    assert abs(result.cost - cost) <= result.served * 0.001 + 1e-6
