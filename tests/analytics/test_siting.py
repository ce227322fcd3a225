import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from analytics.siting import coverage_matrix, max_coverage, max_coverage_exact, site_selection

KM = 1 / 111.0


def covered_weight(cover, weight, sites):
    if not sites:
        return 0.0
    return float(weight[np.asarray(cover[sites].sum(axis=0)).ravel() > 0].sum())


def random_instance(seed):
    """Dense random instances (a site reaches up to a fifth of the demand): greedy's hard case."""
    rng = np.random.default_rng(seed)
    n_sites, n_demand = rng.integers(20, 120), rng.integers(50, 300)
    k = int(rng.integers(2, 12))
    demand = rng.uniform(0, 1, (n_demand, 2))
    sites = rng.uniform(0, 1, (n_sites, 2))
    radius = rng.uniform(0.05, 0.25)
    cover = np.linalg.norm(sites[:, None] - demand[None], axis=2) <= radius
    return sparse.csr_array(cover), rng.lognormal(8, 1, n_demand), k


@pytest.mark.parametrize("seed", range(25))
def test_auto_is_within_half_a_percent_of_the_exact_milp(seed):
    cover, weight, k = random_instance(seed)
    exact, optimal = max_coverage_exact(cover, weight, k)
    assert optimal
    optimum = covered_weight(cover, weight, exact)
    chosen = max_coverage(cover, weight, k)
    assert chosen.covered >= 0.995 * optimum
    assert chosen.covered == pytest.approx(covered_weight(cover, weight, chosen.sites))
    assert chosen.upper_bound >= optimum - 1e-6


def test_greedy_alone_falls_short_where_auto_does_not():
    """The instances above are hard: the check would pass a weaker solver only by luck."""
    shortfalls = []
    for seed in range(25):
        cover, weight, k = random_instance(seed)
        optimum = covered_weight(cover, weight, max_coverage_exact(cover, weight, k)[0])
        greedy = max_coverage(cover, weight, k, method="heuristic", rounds=0)
        shortfalls.append(1 - greedy.covered / optimum)
    assert max(shortfalls) > 0.005


@pytest.mark.parametrize("seed", range(5))
def test_exact_method_matches_the_milp(seed):
    cover, weight, k = random_instance(seed)
    optimum = covered_weight(cover, weight, max_coverage_exact(cover, weight, k)[0])
    result = max_coverage(cover, weight, k, method="exact")
    assert result.covered == pytest.approx(optimum)
    assert result.optimal


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["auto", "heuristic"]))
def test_marginal_gains_are_non_increasing_and_sum_to_the_total(seed, method):
    cover, weight, k = random_instance(seed)
    result = max_coverage(cover, weight, k, method=method)
    assert len(result.sites) <= k
    assert len(set(result.sites)) == len(result.sites)
    assert sum(result.gains) == pytest.approx(result.covered)
    assert all(a >= b - 1e-6 for a, b in zip(result.gains, result.gains[1:], strict=False))
    assert result.covered <= weight.sum() + 1e-6


def test_sites_that_add_nothing_are_not_picked():
    cover = sparse.csr_array(np.array([[1, 1, 0], [1, 0, 0], [0, 0, 0]], dtype=bool))
    result = max_coverage(cover, np.array([5.0, 3.0, 7.0]), 3)
    assert result.sites == [0]
    assert result.covered == 8.0


def test_max_coverage_refuses_bad_arguments():
    cover = sparse.csr_array(np.ones((2, 2), dtype=bool))
    with pytest.raises(ValueError, match="method"):
        max_coverage(cover, np.ones(2), 1, method="magic")
    with pytest.raises(ValueError, match="k"):
        max_coverage(cover, np.ones(2), -1)
    with pytest.raises(ValueError, match="weight"):
        max_coverage(cover, np.ones(3), 1)


def test_coverage_matrix_links_points_within_the_radius():
    matrix = coverage_matrix([21.0, 21.0 + 10 * KM], [105.8, 105.8], [21.0 + 2 * KM], [105.8], 5)
    assert matrix.toarray().tolist() == [[True, False]]


def frames():
    areas = pd.DataFrame(
        {
            "name": ["Kept", "West", "West 2", "East", "Lonely"],
            "lat": [21.0, 21.0, 21.0, 21.0, 21.0],
            "lon": [105.0, 105.3, 105.3 + 2 * KM, 105.6, np.nan],
            "population": [900.0, 1000.0, 1500.0, 2000.0, 50.0],
        },
        index=pd.Index(["X0", "X1", "X2", "X3", "X4"], name="code"),
    )
    existing = pd.DataFrame({"lat": [21.0], "lon": [105.0]}, index=["B1"])
    producers = pd.DataFrame({"lat": [21.0, 21.0], "lon": [105.3, 105.0]}, index=["P1", "P2"])
    return areas, existing, producers


def test_site_selection_keeps_existing_and_reports_gains_and_before_after():
    areas, existing, producers = frames()
    result = site_selection(areas, existing, k=2, radius_km=5, producers=producers)
    sites = result["sites"]
    assert [s["code"] for s in sites] == ["X1", "X3"] or [s["code"] for s in sites] == [
        "X2",
        "X3",
    ]
    assert sites[0]["marginal_population"] == 2500
    assert sites[1]["marginal_population"] == 2000
    assert result["before"]["population_covered"] == 900
    assert result["after"]["population_covered"] == 900 + 2500 + 2000
    assert result["after"]["population_share"] == pytest.approx(5400 / 5450)
    assert result["before"]["producers_covered"] == 1
    assert result["after"]["producers_covered"] == 2
    # The kept facility's commune is never proposed again: it adds nothing.
    assert "X0" not in [s["code"] for s in sites]


def test_site_selection_can_weigh_producers():
    areas, existing, producers = frames()
    many = pd.DataFrame({"lat": [21.0] * 30, "lon": [105.6] * 30})
    result = site_selection(areas, existing, k=1, radius_km=5, producers=many, producer_weight=100)
    assert result["sites"][0]["code"] == "X3"
    assert result["sites"][0]["marginal_producers"] == 30


def test_site_selection_takes_given_candidate_points():
    areas, existing, _ = frames()
    candidates = pd.DataFrame(
        {"lat": [21.0], "lon": [105.3 + 1 * KM], "name": ["Chợ"]},
        index=pd.Index(["C1"], name="code"),
    )
    result = site_selection(areas, existing, k=1, radius_km=5, candidates=candidates)
    assert result["sites"][0]["code"] == "C1"
    assert result["sites"][0]["marginal_population"] == 2500


def test_site_selection_refuses_more_sites_than_candidates():
    areas, existing, _ = frames()
    with pytest.raises(ValueError, match="k must be between 0 and the number of candidates"):
        site_selection(areas, existing, k=5, radius_km=5)


def test_site_selection_refuses_negative_radius():
    areas, existing, _ = frames()
    with pytest.raises(ValueError, match="radius_km"):
        site_selection(areas, existing, k=1, radius_km=-2)
