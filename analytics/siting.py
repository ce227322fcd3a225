"""Where K new sales points would cover the most demand that the existing network leaves out.

Pure functions: frames and arrays in, dicts out; no database. This is the maximal covering location
problem. Demand is the population of the areas (at their centroids) and, when asked, the producers
(each worth ``producer_weight`` people); what the existing facilities already cover within the
radius does not count again. Candidates are the area centroids by default, or any given points.
Whether a site or facility reaches a demand point is decided on the WGS 84 ellipsoid
(``linkage.distance.within_km``), so the optimum here is the optimum under geodesic distances.

The solver works on a sparse site × demand matrix, reduced first (demand nobody can reach or that
weighs nothing is dropped, demand points reached by the same sites are merged, sites reaching
nothing are dropped). Then:

- greedy picks, with gains updated incrementally, and an iterated 1-swap local search (exchange a
  chosen site for another while that covers more, restarted from perturbed sets). Plain greedy can
  stop 2.5 % short of the optimum; dense instances still trap 1-swap 1-2 % short;
- so "auto" also solves the LP relaxation with HiGHS: its value bounds the optimum from above.
  When the LP answer is integral it is optimal; when the best set found is within ``tolerance``
  (0.5 %) of the bound the answer is certified; otherwise the exact MILP (scipy.optimize.milp,
  HiGHS) decides. On geographic instances the LP relaxation is almost always integral, so the MILP
  rarely runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from linkage.distance import PointIndex

__all__ = [
    "METHODS",
    "Selection",
    "coverage_matrix",
    "max_coverage",
    "max_coverage_exact",
    "site_selection",
]

METHODS = ("auto", "heuristic", "exact")
DEFAULT_TOLERANCE = 0.005
LOCAL_SEARCH_ROUNDS = 20
_EPS = 1e-9


@dataclass(frozen=True)
class Selection:
    """The chosen sites and how good they are.

    ``sites``: positions (rows of the cover matrix) in pick order; ``gains``: the weight each adds
    to those before it; ``covered``: their total; ``upper_bound``: a proven bound on the optimum
    (None when not computed); ``optimal``: proven optimal; ``method``: "greedy+swaps", "lp" or
    "milp", whichever produced the set.
    """

    sites: list[int]
    gains: list[float]
    covered: float
    method: str
    optimal: bool
    upper_bound: float | None


def coverage_matrix(
    demand_lat, demand_lon, site_lat, site_lon, radius_km: float
) -> sparse.csr_array:
    """Boolean sparse matrix, sites × demand points: True where the two are within ``radius_km``
    on the WGS 84 ellipsoid (decided as geopy's geodesic would)."""
    index = PointIndex(demand_lat, demand_lon)
    site_pos, demand_pos, _ = index.within(site_lat, site_lon, radius_km)
    shape = (len(np.asarray(site_lat)), len(index))
    data = np.ones(len(site_pos), dtype=bool)
    return sparse.csr_array((data, (site_pos, demand_pos)), shape=shape)


def _as_float(cover) -> sparse.csr_array:
    return sparse.csr_array(cover, dtype=float)


def _greedy(
    cover: sparse.csr_array, weight: np.ndarray, k: int, start: list[int] | None = None
) -> list[int]:
    """Greedy picks up to ``k`` sites, after those of ``start``; gains are updated incrementally."""
    chosen = list(start or [])
    uncovered = _counts(cover, chosen) == 0
    gains = cover @ (weight * uncovered)
    for _ in range(k - len(chosen)):
        gains_now = gains.copy()
        gains_now[chosen] = -np.inf
        best = int(np.argmax(gains_now))
        if gains_now[best] <= _EPS:
            break
        chosen.append(best)
        row = cover.indices[cover.indptr[best] : cover.indptr[best + 1]]
        newly = row[uncovered[row]]
        uncovered[newly] = False
        lost = np.zeros(cover.shape[1])
        lost[newly] = weight[newly]
        gains = gains - cover @ lost
    return chosen


def _counts(cover: sparse.csr_array, chosen: list[int]) -> np.ndarray:
    if not chosen:
        return np.zeros(cover.shape[1])
    return np.asarray(cover[chosen].sum(axis=0)).ravel()


def _one_swaps(cover: sparse.csr_array, weight: np.ndarray, chosen: list[int]) -> list[int]:
    """Best-improvement exchanges of one chosen site for one other until none helps."""
    chosen = list(chosen)
    n_sites = cover.shape[0]
    for _ in range(10 * n_sites):
        if not chosen:
            break
        counts = _counts(cover, chosen)
        gain = cover @ (weight * (counts == 0))
        only = weight * (counts == 1)
        picked = cover[chosen]
        loss = picked @ only
        # Demand that s alone covers is not lost when j also covers it: add that back for (j, s).
        overlap = (cover @ (picked.multiply(only[None, :])).T).toarray()
        delta = gain[:, None] + overlap - loss[None, :]
        delta[chosen, :] = -np.inf
        j, s = np.unravel_index(int(np.argmax(delta)), delta.shape)
        if delta[j, s] <= _EPS * max(1.0, float(weight.sum())):
            break
        chosen[s] = int(j)
    return chosen


def _covered_weight(cover: sparse.csr_array, weight: np.ndarray, chosen: list[int]) -> float:
    return float(weight[_counts(cover, chosen) > 0].sum())


def _local_search(
    cover: sparse.csr_array, weight: np.ndarray, chosen: list[int], rounds: int, seed: int
) -> list[int]:
    """Iterated 1-swap search: drop a few chosen sites at random, refill greedily, swap again.

    The best set seen is kept; 1-swap local optima are often a few percent short on dense
    instances, and the random restarts from near the incumbent escape them cheaply.
    """
    rng = np.random.default_rng(seed)
    best = _one_swaps(cover, weight, chosen)
    best_value = _covered_weight(cover, weight, best)
    reachable = float(weight.sum())
    k = len(best)
    for _ in range(rounds):
        if k < 2 or best_value >= reachable - _EPS:
            break
        drop = rng.choice(k, size=int(rng.integers(1, max(2, k // 3) + 1)), replace=False)
        kept = [c for i, c in enumerate(best) if i not in set(drop.tolist())]
        trial = _one_swaps(cover, weight, _greedy(cover, weight, k, start=kept))
        value = _covered_weight(cover, weight, trial)
        if value > best_value + _EPS * max(1.0, reachable):
            best, best_value = trial, value
    return best


def _pick_order(cover: sparse.csr_array, weight: np.ndarray, chosen: list[int]):
    """The chosen sites ordered greedily, each with the weight it adds to those before it."""
    remaining = list(chosen)
    free = weight.copy()
    order, gains = [], []
    while remaining:
        sub = cover[remaining]
        added = sub @ free
        best = int(np.argmax(added))
        site = remaining.pop(best)
        order.append(site)
        gains.append(float(added[best]))
        row = cover.indices[cover.indptr[site] : cover.indptr[site + 1]]
        free[row] = 0.0
    return order, gains


def _solve(cover: sparse.csr_array, weight: np.ndarray, k: int, integral: bool, time_limit: float):
    """HiGHS on max w·y s.t. y_i <= sum of x_j over the sites j reaching i, sum x <= k.

    Returns (x, objective value, proven optimal); x is None when HiGHS found nothing in time.
    """
    n_sites, n_demand = cover.shape
    # Variables: x (sites) then y (share of each demand point covered, continuous in [0, 1]).
    objective = np.concatenate([np.zeros(n_sites), -weight])
    link = sparse.hstack([-cover.T, sparse.identity(n_demand)], format="csr")
    budget = sparse.hstack(
        [sparse.csr_array(np.ones((1, n_sites))), sparse.csr_array((1, n_demand))], format="csr"
    )
    result = milp(
        objective,
        integrality=np.concatenate([np.full(n_sites, int(integral)), np.zeros(n_demand)]),
        bounds=Bounds(0, 1),
        constraints=[LinearConstraint(link, -np.inf, 0), LinearConstraint(budget, 0, k)],
        options={"time_limit": time_limit, "mip_rel_gap": 0.0},
    )
    if result.x is None:
        return None, None, False
    return result.x[:n_sites], -float(result.fun), result.status == 0


def _reduce(cover: sparse.csr_array, weight: np.ndarray):
    """Drop useless demand and sites and merge demand reached by the same sites.

    Returns (reduced cover, reduced weight, positions of the kept sites in ``cover``).
    """
    reached = np.asarray(cover.sum(axis=0)).ravel() > 0
    demand = np.flatnonzero((weight > 0) & reached)
    by_demand = cover[:, demand].T.tocsr()
    groups: dict[bytes, int] = {}
    group_of = np.empty(len(demand), dtype=np.int64)
    for i in range(len(demand)):
        key = by_demand.indices[by_demand.indptr[i] : by_demand.indptr[i + 1]].tobytes()
        group_of[i] = groups.setdefault(key, len(groups))
    merge = sparse.csr_array(
        (np.ones(len(demand)), (np.arange(len(demand)), group_of)), shape=(len(demand), len(groups))
    )
    merged = (cover[:, demand] @ merge).tocsr()
    merged.data[:] = 1.0
    merged_weight = merge.T @ weight[demand]
    sites = np.flatnonzero(np.asarray(merged.sum(axis=1)).ravel() > 0)
    return merged[sites], merged_weight, sites


def max_coverage_exact(
    cover, weight, k: int, *, time_limit: float = 60.0
) -> tuple[list[int], bool]:
    """The exact maximal covering MILP, solved by HiGHS (scipy.optimize.milp).

    ``cover`` is a sites × demand 0/1 matrix (sparse or dense), ``weight`` the demand weights.
    Returns (chosen site positions, proven optimal). Raises RuntimeError when HiGHS finds no
    solution within ``time_limit`` seconds.
    """
    x, _, optimal = _solve(_as_float(cover), np.asarray(weight, dtype=float), k, True, time_limit)
    if x is None:
        raise RuntimeError("HiGHS found no solution in the time allowed")
    return [int(j) for j in np.flatnonzero(x > 0.5)], optimal


def max_coverage(
    cover,
    weight,
    k: int,
    *,
    method: str = "auto",
    tolerance: float = DEFAULT_TOLERANCE,
    rounds: int = LOCAL_SEARCH_ROUNDS,
    seed: int = 0,
    time_limit: float = 60.0,
) -> Selection:
    """Choose at most ``k`` sites (rows of ``cover``) covering the most demand weight.

    ``cover``: sites × demand 0/1 matrix (sparse or dense); ``weight``: non-negative demand
    weights, one per column. Sites that would add nothing are not picked, so fewer than ``k`` may
    come back. ``method``: "heuristic" (greedy + iterated 1-swaps, no solver), "exact" (the
    MILP), or "auto" (the heuristic, certified within ``tolerance`` of the optimum by the LP
    bound, else the MILP). Raises ValueError for a negative ``k``, an unknown method or weights
    that do not match the matrix.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}")
    if k < 0:
        raise ValueError("k must be 0 or more")
    cover = _as_float(cover)
    weight = np.asarray(weight, dtype=float)
    if weight.shape != (cover.shape[1],):
        raise ValueError("weight must have one value per demand point (column of cover)")
    small, small_weight, sites = _reduce(cover, weight)
    total = float(small_weight.sum())
    if k == 0 or total <= 0:
        return Selection([], [], 0.0, "greedy+swaps", True, 0.0)

    chosen = _greedy(small, small_weight, k)
    used, optimal, bound = "greedy+swaps", False, None
    if len(chosen) < k or len(chosen) == small.shape[0]:
        optimal, bound = True, _covered_weight(small, small_weight, chosen)
    elif method == "exact":
        chosen, optimal = max_coverage_exact(small, small_weight, k, time_limit=time_limit)
        used = "milp"
    elif method == "heuristic":
        chosen = _local_search(small, small_weight, chosen, rounds, seed)
    else:
        chosen, used, optimal, bound = _certify(
            small,
            small_weight,
            k,
            _one_swaps(small, small_weight, chosen),
            tolerance,
            time_limit,
            rounds,
            seed,
        )
    order, gains = _pick_order(small, small_weight, chosen)
    picked = [(int(sites[o]), g) for o, g in zip(order, gains, strict=True) if g > _EPS]
    return Selection(
        [p for p, _ in picked],
        [g for _, g in picked],
        sum(g for _, g in picked),
        used,
        bool(optimal),
        bound,
    )


def _certify(cover, weight, k, chosen, tolerance, time_limit, rounds, seed):
    """Bound the optimum by the LP relaxation; search more, then solve the MILP, while the gap
    between the best set and the bound is wider than ``tolerance``."""
    value = _covered_weight(cover, weight, chosen)
    x, bound, _ = _solve(cover, weight, k, False, time_limit)
    if x is None:
        return chosen, "greedy+swaps", False, None
    if np.all(np.minimum(x, 1 - x) < 1e-6):
        lp_chosen = [int(j) for j in np.flatnonzero(x > 0.5)]
        if _covered_weight(cover, weight, lp_chosen) >= value - _EPS * max(1.0, value):
            return lp_chosen, "lp", True, bound
    # Rounding the LP answer is a second start for the local search, often better than greedy.
    rounded = _one_swaps(cover, weight, [int(j) for j in np.argsort(-x)[:k]])
    if _covered_weight(cover, weight, rounded) > value:
        chosen, value = rounded, _covered_weight(cover, weight, rounded)
    if value < (1 - tolerance) * bound:
        chosen = _local_search(cover, weight, chosen, rounds, seed)
        value = _covered_weight(cover, weight, chosen)
    if value >= (1 - tolerance) * bound:
        return chosen, "greedy+swaps", value >= bound - _EPS * max(1.0, bound), bound
    exact, optimal = max_coverage_exact(cover, weight, k, time_limit=time_limit)
    if _covered_weight(cover, weight, exact) >= value:
        return exact, "milp", optimal, bound
    return chosen, "greedy+swaps", False, bound


def _located(frame: pd.DataFrame | None) -> pd.DataFrame:
    if frame is None:
        return pd.DataFrame(columns=["lat", "lon"])
    return frame[frame["lat"].notna() & frame["lon"].notna()]


def _covered_by(lat, lon, facilities: pd.DataFrame, radius_km: float) -> np.ndarray:
    if len(facilities) == 0 or len(lat) == 0:
        return np.zeros(len(lat), dtype=bool)
    index = PointIndex(facilities["lat"].to_numpy(), facilities["lon"].to_numpy())
    return index.reaches(lat, lon, radius_km)


def _state(population: float, covered: float, producers: int, producers_covered: int) -> dict:
    return {
        "population_covered": covered,
        "population_share": None if population <= 0 else covered / population,
        "producers_covered": producers_covered,
        "producers_share": None if producers == 0 else producers_covered / producers,
    }


def site_selection(
    areas: pd.DataFrame,
    existing: pd.DataFrame,
    *,
    k: int,
    radius_km: float,
    candidates: pd.DataFrame | None = None,
    producers: pd.DataFrame | None = None,
    producer_weight: float = 0.0,
    method: str = "auto",
) -> dict:
    """The ``k`` new sites that cover the most demand not yet covered, existing facilities kept.

    ``areas``: index ``code``; columns ``lat``, ``lon``, ``population`` (NaN counts 0), ``name``.
    ``existing``: the facilities kept, columns ``lat``, ``lon`` (rows without them are ignored).
    ``candidates``: index ``code``; columns ``lat``, ``lon`` and optionally ``name``; the located
    areas themselves (their centroids) when None. ``producers``: columns ``lat``, ``lon``; each
    uncovered producer is worth ``producer_weight`` people in the objective (0 leaves them out of
    the choice, but their coverage is still reported).

    Returns ``{"k", "radius_km", "method", "optimal", "candidates", "before", "after", "sites"}``
    where before/after are ``{"population_covered", "population_share", "producers_covered",
    "producers_share"}`` plus ``population`` and ``producers`` totals at the top level, and
    ``sites`` is a list, in pick order, of ``{"rank", "code", "name", "lat", "lon",
    "marginal_population", "marginal_producers", "marginal_gain"}``. Fewer than ``k`` sites come
    back when no other candidate adds anything.
    Raises ValueError for a negative radius or weight, a bad ``k`` (negative or more than the
    candidates) or an unknown method.
    """
    if not np.isfinite(radius_km) or radius_km < 0:
        raise ValueError("radius_km must be a finite number of kilometres, 0 or more")
    if producer_weight < 0:
        raise ValueError("producer_weight must be 0 or more")
    located_areas = _located(areas)
    candidates = located_areas if candidates is None else _located(candidates)
    if k < 0 or k > len(candidates):
        raise ValueError(f"k must be between 0 and the number of candidates ({len(candidates)})")
    existing = _located(existing)
    producer_points = _located(producers)

    area_lat = located_areas["lat"].to_numpy(dtype=float)
    area_lon = located_areas["lon"].to_numpy(dtype=float)
    prod_lat = producer_points["lat"].to_numpy(dtype=float)
    prod_lon = producer_points["lon"].to_numpy(dtype=float)
    population = located_areas["population"].fillna(0).to_numpy(dtype=float)
    area_before = _covered_by(area_lat, area_lon, existing, radius_km)
    prod_before = _covered_by(prod_lat, prod_lon, existing, radius_km)

    demand_lat = np.concatenate([area_lat, prod_lat])
    demand_lon = np.concatenate([area_lon, prod_lon])
    is_area = np.concatenate([np.ones(len(area_lat), bool), np.zeros(len(prod_lat), bool)])
    weight = np.concatenate(
        [np.where(area_before, 0.0, population), np.where(prod_before, 0.0, producer_weight)]
    )
    cover = coverage_matrix(
        demand_lat,
        demand_lon,
        candidates["lat"].to_numpy(dtype=float),
        candidates["lon"].to_numpy(dtype=float),
        radius_km,
    )
    selection = max_coverage(cover, weight, k, method=method)

    uncovered_pop = np.where(area_before, 0.0, population)
    uncovered_prod = np.where(prod_before, 0.0, 1.0)
    free = np.concatenate([uncovered_pop, uncovered_prod])
    sites = []
    names = candidates["name"] if "name" in candidates else pd.Series(None, index=candidates.index)
    for rank, (site, gain) in enumerate(zip(selection.sites, selection.gains, strict=True), 1):
        reached = cover.indices[cover.indptr[site] : cover.indptr[site + 1]]
        new_pop = float(free[reached][is_area[reached]].sum())
        new_prod = int(free[reached][~is_area[reached]].sum())
        free[reached] = 0.0
        sites.append(
            {
                "rank": rank,
                "code": str(candidates.index[site]),
                "name": names.iloc[site],
                "lat": float(candidates["lat"].iloc[site]),
                "lon": float(candidates["lon"].iloc[site]),
                "marginal_population": new_pop,
                "marginal_producers": new_prod,
                "marginal_gain": gain,
            }
        )
    total_pop = float(areas["population"].fillna(0).sum())
    before_pop = float(population[area_before].sum())
    before_prod = int(prod_before.sum())
    after_pop = before_pop + sum(s["marginal_population"] for s in sites)
    after_prod = before_prod + sum(s["marginal_producers"] for s in sites)
    n_producers = len(producer_points)
    return {
        "k": k,
        "radius_km": float(radius_km),
        "method": selection.method,
        "optimal": selection.optimal,
        "upper_bound": selection.upper_bound,
        "candidates": int(len(candidates)),
        "existing_facilities": int(len(existing)),
        "population": total_pop,
        "producers": n_producers,
        "producer_weight": float(producer_weight),
        "before": _state(total_pop, before_pop, n_producers, before_prod),
        "after": _state(total_pop, after_pop, n_producers, after_prod),
        "sites": sites,
    }
