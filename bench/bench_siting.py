"""Benchmark: siting K=30 new sales points over the 3,321 commune centroids, 10,000 kept.

Run by hand: ``python bench/bench_siting.py``. Prints a Markdown table: ``analytics.siting``
("auto": greedy + swaps certified by the LP bound; "heuristic": no solver) against the exact MILP
(scipy HiGHS) and, when it is importable, PySAL spopt's MCLP (PuLP + CBC), all on the same
instance: demand = every commune, weighted by its population when no existing facility covers it
(0 otherwise); candidates = every commune centroid. spopt is not a project dependency: install it
in a separate environment to include it (``pip install spopt``).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics.geo import haversine_km  # noqa: E402
from analytics.siting import (  # noqa: E402
    _covered_by,
    coverage_matrix,
    max_coverage_exact,
    site_selection,
)
from bench.bench_coverage import national_instance  # noqa: E402


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


if __name__ == "__main__":
    main()
    quality()
