"""Benchmark: siting K=30 new sales points over the 3,321 commune centroids, 10,000 kept.

Run by hand: ``python bench/bench_siting.py``. Prints a Markdown table: ``analytics.siting``
("auto": greedy + swaps certified by the LP bound; "heuristic": no solver) against the exact MILP
(scipy HiGHS) and, when it is importable, PySAL spopt's MCLP (PuLP + CBC), all on the same
instance: demand = every commune, weighted by its population when no existing facility covers it
(0 otherwise); candidates = every commune centroid. spopt is not a project dependency: install it
in a separate environment to include it (``pip install spopt``).

``python bench/bench_siting.py --wgs84`` then checks the answer under true WGS 84 distances: it
builds the coverage matrix again with geopy's geodesic for every pair (and the existing facilities'
coverage the same way), solves that MILP exactly with OR-Tools (SCIP), and evaluates the sites
``site_selection`` chose under those same distances. The gap must stay within 0.5 %.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from geopy.distance import geodesic
from scipy import sparse
from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics.siting import (  # noqa: E402
    _covered_by,
    coverage_matrix,
    max_coverage_exact,
    site_selection,
)
from bench.bench_coverage import national_instance  # noqa: E402
from linkage.distance import haversine_km, unit_vectors  # noqa: E402


def _best_of(runs: int, func):
    best, result = np.inf, None
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def _spopt(lat, lon, weight, radius_km, k):
    try:
        import pulp
        import spopt
        from spopt.locate import MCLP
    except ImportError:
        return None
    cost = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    start = time.perf_counter()
    model = MCLP.from_cost_matrix(cost, weight, radius_km, p_facilities=k)
    model.solve(pulp.PULP_CBC_CMD(msg=False))
    elapsed = time.perf_counter() - start
    chosen = [j for j, var in enumerate(model.fac_vars) if var.value() and var.value() > 0.5]
    value = float(weight[(cost[:, chosen] <= radius_km).any(axis=1)].sum())
    return elapsed, value, spopt.__version__


def main(radius_km: float = 5.0, k: int = 30) -> None:
    areas, supply, _ = national_instance()
    lat = areas["lat"].to_numpy()
    lon = areas["lon"].to_numpy()
    population = areas["population"].to_numpy(dtype=float)
    weight = np.where(_covered_by(lat, lon, supply, radius_km), 0.0, population)

    auto_time, auto = _best_of(3, lambda: site_selection(areas, supply, k=k, radius_km=radius_km))
    heur_time, heur = _best_of(
        3, lambda: site_selection(areas, supply, k=k, radius_km=radius_km, method="heuristic")
    )

    def exact():
        cover = coverage_matrix(lat, lon, lat, lon, radius_km)
        chosen, optimal = max_coverage_exact(cover, weight, k, time_limit=600)
        counts = np.asarray(cover[chosen].sum(axis=0)).ravel()
        return float(weight[counts > 0].sum()), optimal

    exact_time, (optimum, proven) = _best_of(1, exact)
    before = auto["before"]["population_covered"]

    def gained(result):
        return result["after"]["population_covered"] - before

    spopt_run = _spopt(lat, lon, weight, radius_km, k)
    print(
        f"Instance: {len(areas):,} communes (demand and candidates), {len(supply):,} existing "
        f"facilities kept, K = {k}, radius {radius_km} km, {int((weight > 0).sum()):,} communes "
        f"not yet covered; 2 cores.\n"
    )
    print("| solver | time (s) | new population covered | share of optimum | vs spopt |")
    print("| --- | --- | --- | --- | --- |")
    reference = spopt_run[0] if spopt_run else exact_time
    for label, elapsed, result in (
        (f"site_selection auto ({auto['method']}, best of 3)", auto_time, auto),
        ("site_selection heuristic (best of 3)", heur_time, heur),
    ):
        print(
            f"| {label} | {elapsed:.3f} | {gained(result):,.0f} | "
            f"{gained(result) / optimum:.4%} | {reference / elapsed:,.0f}× faster |"
        )
    print(
        f"| exact MILP, scipy HiGHS, full matrix (proven optimal: {proven}) | {exact_time:.2f} | "
        f"{optimum:,.0f} | 100% | |"
    )
    if spopt_run:
        elapsed, value, version = spopt_run
        print(
            f"| PySAL spopt {version} MCLP, PuLP + CBC (model build + solve) | {elapsed:.2f} | "
            f"{value:,.0f} | {value / optimum:.4%} | 1× |"
        )
    else:
        print("| spopt not importable: speed-ups above are against the exact MILP | | | | |")


def quality(radii=(10.0, 20.0), k: int = 30) -> None:
    """Share of the MILP optimum at other radii (no spopt: quality only)."""
    areas, supply, _ = national_instance()
    lat = areas["lat"].to_numpy()
    lon = areas["lon"].to_numpy()
    print("\n| radius km | auto: share of optimum (method) | heuristic: share | MILP time (s) |")
    print("| --- | --- | --- | --- |")
    for radius_km in radii:
        weight = np.where(_covered_by(lat, lon, supply, radius_km), 0.0, areas["population"])
        cover = coverage_matrix(lat, lon, lat, lon, radius_km)
        start = time.perf_counter()
        chosen, _ = max_coverage_exact(cover, weight, k, time_limit=600)
        exact_time = time.perf_counter() - start
        optimum = float(weight[np.asarray(cover[chosen].sum(axis=0)).ravel() > 0].sum())
        shares = []
        for method in ("auto", "heuristic"):
            result = site_selection(areas, supply, k=k, radius_km=radius_km, method=method)
            gained = sum(site["marginal_population"] for site in result["sites"])
            shares.append(f"{gained / optimum:.4%} ({result['method']})")
        print(f"| {radius_km:g} | {shares[0]} | {shares[1]} | {exact_time:.2f} |")


# Pairs farther apart than this many radii on the sphere are not sent to geopy: the haversine is
# within 0.35 % of the geodesic, so they are out of reach by a factor of two.
_CANDIDATE_RADII = 2.0


def _close_pairs(from_lat, from_lon, to_lat, to_lon, radius_km):
    """(from, to) position pairs within ``_CANDIDATE_RADII`` radii, by chord on a plain sphere."""
    chord = 2 * np.sin(_CANDIDATE_RADII * radius_km / 6371.0 / 2)
    tree = cKDTree(unit_vectors(to_lat, to_lon))
    found = tree.query_ball_point(unit_vectors(from_lat, from_lon), r=chord)
    return [(i, j) for i, hits in enumerate(found) for j in hits]


def _geodesic_cover(lat, lon, radius_km):
    """Sites × demand 0/1 matrices (both the communes): (by geopy's geodesic pair by pair, by the
    haversine alone as the service decided before, number of pairs measured)."""
    pairs = np.array(_close_pairs(lat, lon, lat, lon, radius_km))
    i, j = pairs.T
    exact = np.array([geodesic((lat[a], lon[a]), (lat[b], lon[b])).km for a, b in pairs])
    sphere = haversine_km(lat[i], lon[i], lat[j], lon[j])

    def matrix(inside):
        data = np.ones(int(inside.sum()))
        return sparse.csr_array((data, (i[inside], j[inside])), shape=(len(lat), len(lat)))

    return matrix(exact <= radius_km), matrix(sphere <= radius_km), len(pairs)


def _geodesic_covered(lat, lon, supply, radius_km):
    """Communes within ``radius_km`` of an existing facility, by geopy's geodesic."""
    f_lat, f_lon = supply["lat"].to_numpy(), supply["lon"].to_numpy()
    covered = np.zeros(len(lat), dtype=bool)
    for i, j in _close_pairs(lat, lon, f_lat, f_lon, radius_km):
        if not covered[i]:
            covered[i] = geodesic((lat[i], lon[i]), (f_lat[j], f_lon[j])).km <= radius_km
    return covered


def _ortools_optimum(cover, weight, k):
    """Exact maximal covering on ``cover`` with OR-Tools' SCIP: (chosen sites, proven optimal)."""
    from ortools.linear_solver import pywraplp

    solver = pywraplp.Solver.CreateSolver("SCIP")
    sites = [solver.BoolVar(f"x{j}") for j in range(cover.shape[0])]
    by_demand = cover.T.tocsr()
    objective = solver.Objective()
    for i in np.flatnonzero(weight > 0):
        reach = by_demand.indices[by_demand.indptr[i] : by_demand.indptr[i + 1]]
        if len(reach) == 0:
            continue
        y = solver.NumVar(0, 1, f"y{i}")
        solver.Add(y <= sum(sites[j] for j in reach))
        objective.SetCoefficient(y, float(weight[i]))
    solver.Add(sum(sites) <= k)
    objective.SetMaximization()
    status = solver.Solve()
    chosen = [j for j, x in enumerate(sites) if x.solution_value() > 0.5]
    return chosen, status == pywraplp.Solver.OPTIMAL


WGS84_INSTANCES = ((0, 5.0, 30), (1, 5.0, 30), (2, 5.0, 30), (0, 5.0, 100), (0, 10.0, 30))


def _wgs84_row(seed: int, radius_km: float, k: int) -> tuple[float, str]:
    """One instance checked under WGS 84; returns (the service's gap, the table row)."""
    areas, supply, _ = national_instance(seed=seed)
    lat = areas["lat"].to_numpy()
    lon = areas["lon"].to_numpy()
    population = areas["population"].to_numpy(dtype=float)
    weight = np.where(_geodesic_covered(lat, lon, supply, radius_km), 0.0, population)
    cover, sphere, measured = _geodesic_cover(lat, lon, radius_km)
    start = time.perf_counter()
    optimum_sites, proven = _ortools_optimum(cover, weight, k)
    solve_time = time.perf_counter() - start

    def value(chosen):
        return float(weight[np.asarray(cover[chosen].sum(axis=0)).ravel() > 0].sum())

    optimum = value(optimum_sites)
    service_time, service = _best_of(
        3, lambda: site_selection(areas, supply, k=k, radius_km=radius_km)
    )
    chosen = [areas.index.get_loc(site["code"]) for site in service["sites"]]
    gap = 1 - value(chosen) / optimum
    used = coverage_matrix(lat, lon, lat, lon, radius_km)
    # Before: the optimum of the haversine-decided model (what site_selection solved exactly).
    sphere_weight = np.where(_covered_by_sphere(lat, lon, supply, radius_km), 0.0, population)
    before, _ = max_coverage_exact(sphere, sphere_weight, k, time_limit=600)
    row = (
        f"| {seed} | {radius_km:g} | {k} | {measured:,} | {_differ(sphere, cover)} | "
        f"{_differ(used, cover)} | {optimum:,.0f} ({proven}, {solve_time:.2f} s) | "
        f"{1 - value(before) / optimum:.4%} | {gap:.4%} ({service_time:.3f} s) |"
    )
    return gap, row


def _differ(a, b) -> int:
    return int((a.astype(bool) != b.astype(bool)).sum())


def _covered_by_sphere(lat, lon, supply, radius_km):
    f_lat, f_lon = supply["lat"].to_numpy(), supply["lon"].to_numpy()
    covered = np.zeros(len(lat), dtype=bool)
    for i, j in _close_pairs(lat, lon, f_lat, f_lon, radius_km):
        covered[i] |= bool(haversine_km(lat[i], lon[i], f_lat[j], f_lon[j]) <= radius_km)
    return covered


def wgs84(instances=WGS84_INSTANCES) -> None:
    """The service's sites against the exact optimum when every distance is geopy's geodesic."""
    print(
        "\nUnder WGS 84 (geopy geodesic for every commune pair within "
        f"{_CANDIDATE_RADII:g} radii on the sphere, and for the existing facilities):\n"
    )
    print(
        "| seed | radius km | K | pairs measured | pairs the haversine decides otherwise | "
        "pairs site_selection decides otherwise | WGS 84 optimum, OR-Tools SCIP (proven, time) | "
        "gap: exact optimum of the haversine model (before) | gap: site_selection auto (time, "
        "best of 3) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    worst = 0.0
    for seed, radius_km, k in instances:
        gap, row = _wgs84_row(seed, radius_km, k)
        worst = max(worst, gap)
        print(row)
    print(f"\nWorst gap of site_selection: {worst:.4%}; within 0.5 %: {worst <= 0.005}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wgs84", action="store_true", help="also check under WGS 84 distances")
    args = parser.parse_args()
    main()
    quality()
    if args.wgs84:
        wgs84()
