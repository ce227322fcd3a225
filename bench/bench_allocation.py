"""Benchmark: global allocation of 1,000 sourcing requests over national-scale supply.

Run by hand: ``python bench/bench_allocation.py [--requests 1000] [--products 17000]``.
Prints a Markdown table: the OR-Tools path end to end (eligibility + solve) against the independent
HiGHS LP (two LPs: most served, then least cost) on the same eligible pairs, in the same run; and
networkx's network simplex against OR-Tools on a smaller instance as a reference.
"""

import argparse
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from linkage.matching import (  # noqa: E402
    QUANTITY_SCALE,
    RequestRow,
    SupplyRow,
    allocate,
    eligible_pairs,
    solve_flow,
)

TODAY = dt.date(2026, 1, 1)
# Provincial centres from north to south: supply and buyers cluster around them.
CENTRES = [
    (22.48, 103.97),
    (21.39, 103.02),
    (21.85, 106.76),
    (21.59, 105.85),
    (21.03, 105.85),
    (20.86, 106.68),
    (20.43, 106.17),
    (19.81, 105.78),
    (18.68, 105.68),
    (17.47, 106.60),
    (16.46, 107.59),
    (16.05, 108.20),
    (15.12, 108.80),
    (13.78, 109.22),
    (13.98, 108.00),
    (12.67, 108.04),
    (12.24, 109.19),
    (11.94, 108.44),
    (10.95, 106.82),
    (10.78, 106.70),
    (10.36, 106.36),
    (10.03, 105.78),
    (10.38, 105.44),
    (9.60, 105.97),
    (9.18, 105.15),
]
CATEGORIES = ["food", "beverages", "herbal", "textiles", "handicraft", "tourism"]
CATEGORY_SHARE = [0.62, 0.06, 0.05, 0.03, 0.22, 0.02]


def _points(rng, n):
    centre = np.asarray(CENTRES)[rng.integers(0, len(CENTRES), n)]
    return centre + rng.normal(0, 0.25, (n, 2))


def synthetic_instance(n_requests: int, n_products: int, seed: int = 0, dense: bool = False):
    """Requests and supply shaped like the programme: mostly food and handicraft, 3–4 stars.

    Default: reach 20–150 km, 2 % of requests without a limit, 2 % from buyers with no location
    (e-commerce), 10 % from regional chains (3–20 stores around one or two centres).
    ``dense``: a stress case, reach 30–250 km, 5 % unlimited, 3 % unplaced, 10 % national chains
    (5–40 stores anywhere): about five times as many eligible pairs.
    """
    rng = np.random.default_rng(seed)
    # About two products per producer (≈16,000 products from ≈8,000 producers nationally); a
    # producer's products share its place, mostly its main group and often its stars.
    per_producer = 1 + rng.poisson(1.0, n_products)
    producer_of = np.repeat(np.arange(n_products), per_producer)[:n_products]
    n_producers = int(producer_of[-1]) + 1
    producer_points = _points(rng, n_producers)
    main_category = rng.choice(CATEGORIES, n_producers, p=CATEGORY_SHARE)
    base_stars = rng.choice([3, 4, 5], n_producers, p=[0.35, 0.6, 0.05])
    categories = np.where(
        rng.random(n_products) < 0.85,
        main_category[producer_of],
        rng.choice(CATEGORIES, n_products, p=CATEGORY_SHARE),
    )
    stars = np.where(
        rng.random(n_products) < 0.7,
        base_stars[producer_of],
        rng.choice([3, 4, 5], n_products, p=[0.35, 0.6, 0.05]),
    )
    capacity = np.round(rng.lognormal(5.5, 1.0, n_products), 1)
    expired = rng.random(n_products) < 0.1
    expiry_days = np.where(
        expired, -rng.integers(1, 700, n_products), rng.integers(0, 1000, n_products)
    )
    supply = [
        SupplyRow(
            product=f"SP{i:06d}",
            producer=f"P{producer_of[i]:06d}",
            category=str(categories[i]),
            stars=int(stars[i]),
            capacity=float(capacity[i]),
            point=tuple(producer_points[producer_of[i]].tolist()),
            expires_on=TODAY + dt.timedelta(days=int(expiry_days[i])),
        )
        for i in range(n_products)
    ]
    reach = (30, 250) if dense else (20, 150)
    unlimited, unplaced = (0.05, 0.03) if dense else (0.02, 0.02)
    request_categories = rng.choice(CATEGORIES, n_requests, p=CATEGORY_SHARE)
    requests = []
    for j in range(n_requests):
        kind = rng.random()
        if kind < 0.1:
            if dense:
                stores = _points(rng, int(rng.integers(5, 41)))
            else:
                home = np.asarray(CENTRES)[rng.integers(0, len(CENTRES), int(rng.integers(1, 3)))]
                n_stores = int(rng.integers(3, 21))
                stores = home[rng.integers(0, len(home), n_stores)] + rng.normal(
                    0, 0.15, (n_stores, 2)
                )
            points = tuple(map(tuple, stores.tolist()))
        elif kind < 0.1 + unplaced:
            points = ()
        else:
            points = (tuple(_points(rng, 1)[0].tolist()),)
        requests.append(
            RequestRow(
                code=f"YC{j:05d}",
                category=str(request_categories[j]),
                quantity=float(np.round(rng.lognormal(7.0, 0.8), 0)),
                min_stars=int(rng.choice([3, 4], p=[0.7, 0.3])),
                max_distance_km=None if rng.random() < unlimited else float(rng.uniform(*reach)),
                points=points,
                buyer_categories=None,
                buyer_min_stars=3,
            )
        )
    return requests, supply


def _timed(func):
    """The value and the wall-clock seconds; the process CPU seconds go to ``CPU[func]``.

    On a shared machine the wall clock counts the waits for a core; the CPU time does not.
    """
    start, cpu = time.perf_counter(), time.process_time()
    value = func()
    wall = time.perf_counter() - start
    _timed.cpu = time.process_time() - cpu
    return value, wall


def _flow_cost(flows, pairs):
    return float(np.dot(np.asarray(flows, dtype=float), pairs.metres)) / (QUANTITY_SCALE * 1000)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--products", type=int, default=17000)
    parser.add_argument("--small-requests", type=int, default=200)
    parser.add_argument("--small-products", type=int, default=3000)
    parser.add_argument("--skip-lp", action="store_true", help="leave out the slow HiGHS baseline")
    args = parser.parse_args()
    load = os.getloadavg()[0]

    requests, supply = synthetic_instance(args.requests, args.products)
    allocate(requests[:10], supply[:100], today=TODAY)  # imports and first-call set-up
    result, t_ortools = _timed(lambda: allocate(requests, supply, today=TODAY))
    cpu_ortools = _timed.cpu
    # The baseline works on the product-level pairs: neither the interchangeable-product sets
    # nor OR-Tools are involved in its answer.
    pairs, t_pairs = _timed(lambda: eligible_pairs(requests, supply, today=TODAY))
    cpu_pairs = _timed.cpu
    demand = np.array([round(r.quantity * QUANTITY_SCALE) for r in requests], dtype=np.int64)
    capacity = np.array(
        [int(np.floor(s.capacity * QUANTITY_SCALE + 1e-6)) for s in supply], dtype=np.int64
    )
    if not args.skip_lp:
        lp_flows, t_lp = _timed(
            lambda: solve_flow(
                capacity, demand, pairs.supply, pairs.request, pairs.metres, solver="highs"
            )
        )
        cpu_lp = _timed.cpu
        lp_served = float(np.sum(lp_flows)) / QUANTITY_SCALE
        lp_cost = _flow_cost(lp_flows, pairs)
    dense_requests, dense_supply = synthetic_instance(args.requests, args.products, dense=True)
    dense, t_dense = _timed(lambda: allocate(dense_requests, dense_supply, today=TODAY))
    cpu_dense = _timed.cpu

    small_requests, small_supply = synthetic_instance(args.small_requests, args.small_products, 1)
    small_or, t_small_or = _timed(lambda: allocate(small_requests, small_supply, today=TODAY))
    cpu_small_or = _timed.cpu
    small_nx, t_small_nx = _timed(
        lambda: allocate(small_requests, small_supply, today=TODAY, solver="networkx")
    )
    cpu_small_nx = _timed.cpu

    print(
        f"Machine: {platform.machine()}, 2 cores (shared); Python {platform.python_version()}; "
        f"command: python bench/bench_allocation.py; load average before the run "
        f"{load:.1f}"
    )
    print()

    def row(instance, pairs_text, method, wall, cpu, served="", cost=""):
        served = f"{served:,.3f}" if served != "" else ""
        cost = f"{cost:,.3f}" if cost != "" else ""
        print(
            f"| {instance} | {pairs_text} | {method} | {wall:.2f} | {cpu:.2f} | {served} | {cost} |"
        )

    print(
        "| instance | eligible pairs (flow arcs) | method | wall s | CPU s | served "
        "| cost (qty × km) |"
    )
    print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
    big = f"{args.requests:,} requests × {args.products:,} products"
    arcs = f"{result.eligible_pairs:,} ({result.flow_arcs:,})"
    row(
        big,
        arcs,
        "OR-Tools, end to end (eligibility + solve + result)",
        t_ortools,
        cpu_ortools,
        result.served,
        result.cost,
    )
    row(big, f"{len(pairs.request):,}", "eligibility alone, per product", t_pairs, cpu_pairs)
    if not args.skip_lp:
        row(
            big,
            f"{len(pairs.request):,}",
            "HiGHS LP ×2 (solve only, baseline)",
            t_lp,
            cpu_lp,
            lp_served,
            lp_cost,
        )
    row(
        f"{big}, dense stress case",
        f"{dense.eligible_pairs:,} ({dense.flow_arcs:,})",
        "OR-Tools, end to end",
        t_dense,
        cpu_dense,
        dense.served,
        dense.cost,
    )
    small = f"{args.small_requests:,} requests × {args.small_products:,} products"
    small_arcs = f"{small_or.eligible_pairs:,} ({small_or.flow_arcs:,})"
    row(
        small,
        small_arcs,
        "OR-Tools, end to end",
        t_small_or,
        cpu_small_or,
        small_or.served,
        small_or.cost,
    )
    row(
        small,
        small_arcs,
        "networkx max_flow_min_cost, end to end",
        t_small_nx,
        cpu_small_nx,
        small_nx.served,
        small_nx.cost,
    )
    print()
    if not args.skip_lp:
        same = result.served == lp_served and abs(result.cost - lp_cost) <= 1e-6 * max(1, lp_cost)
        print(
            f"- OR-Tools and HiGHS agree on served and cost: {same} "
            f"(cost difference {result.cost - lp_cost:+.6f})."
        )
    print(
        f"- Demand {result.demand:,.3f}, unmet {result.unmet:,.3f}; networkx agrees on the small "
        f"instance: {small_or.cost == small_nx.cost and small_or.served == small_nx.served}."
    )
    print(
        f"- OR-Tools end to end within 2 s: wall clock {t_ortools <= 2.0}, CPU time "
        f"{cpu_ortools <= 2.0} (the wall clock includes waiting for a core on a shared machine)."
    )


if __name__ == "__main__":
    main()
