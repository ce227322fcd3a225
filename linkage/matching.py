"""Global allocation of sourcing requests over all supply: an exact min-cost flow.

Plain data in, plain result out; no ORM here (``linkage.allocation`` reads the database).

The objective has two levels, in this order: serve as much demand as possible, then, at that
served total, minimise the sum of quantity × distance (km). Both levels are solved exactly as one
maximum flow of minimum cost (OR-Tools ``SolveMaxFlowWithMinCost``), on integer data:

* quantities are kept to ``1 / QUANTITY_SCALE`` of a unit (0.001): demand is rounded to that grain
  and capacity rounded *down*, so an allocation never promises more than a producer can make;
* distances are kept to the metre.

On that integer data the solution is exact (the flow polytope is integral, so the LP optimum and
the integer optimum coincide; the tests check this against an independent HiGHS LP). Against the
un-rounded distances the cost is within served quantity × 0.001 km of the true optimum.

Eligibility of a product for a request: the same product group, a buyer that takes the group,
stars at least the request's and the buyer's minimum, a rating in force (``linkage.eligibility``:
stars with no rating date count), a known location of the producer, and a distance within the
request's ``max_distance_km``. A request is measured from its buyer's point, or from the nearest
of the points given (a chain's stores; "nearest" by the angle between the points, which can differ
from the geodesic order only between stores within a few per mille of each other's distance). A
request with no point at all has no distance limit applied and costs nothing per km: nothing can be
measured from it. Capacity ``None`` (unknown) counts as 0; an eligible product with nothing to
give still makes unmet demand "supply used up" rather than "no eligible supply".

Distances (``linkage.distance``): Lambert's ellipsoidal formula on WGS 84, within a few metres of
the geodesic over Vietnam's extent, for the costs; whether a pair is within a request's reach is
decided by ``within_km``, which equals the geodesic decision.

Among allocations that tie on both levels, which one is returned is unspecified.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from .distance import (
    LAMBERT_TOLERANCE,
    WGS84_A_M,
    WGS84_F,
    lambert_m,
    reduced_unit_vectors,
    settle_within,
)
from .eligibility import rating_in_force

__all__ = [
    "BUYER_DOES_NOT_TAKE_GROUP",
    "NO_ELIGIBLE_SUPPLY",
    "QUANTITY_SCALE",
    "SOLVERS",
    "SUPPLY_USED_UP",
    "AllocationResult",
    "EligiblePairs",
    "RequestAllocation",
    "RequestRow",
    "SupplyRow",
    "allocate",
    "eligible_pairs",
    "solve_flow",
]

QUANTITY_SCALE = 1000
NO_ELIGIBLE_SUPPLY = "no eligible supply within distance"
SUPPLY_USED_UP = "eligible supply used up"
BUYER_DOES_NOT_TAKE_GROUP = "the buyer does not take this product group"
SOLVERS = ("ortools", "networkx", "highs")

# Pairs per block of the distance matrix: bounds memory at ~100 MB of float64 temporaries.
_BLOCK = 2_000_000


@dataclass(frozen=True)
class RequestRow:
    """One open sourcing request with what eligibility needs from its buyer.

    ``points``: (lat, lon) of the buyer, or of each store of a chain; empty when unknown.
    ``buyer_categories``: the groups the buyer takes (``linkage.eligibility.buyer_rules``); None
    means every group, an empty tuple none.
    """

    code: str
    category: str
    quantity: float
    min_stars: int | None = None
    max_distance_km: float | None = None
    points: tuple[tuple[float, float], ...] = ()
    buyer_categories: tuple[str, ...] | None = None
    buyer_min_stars: int | None = None


@dataclass(frozen=True)
class SupplyRow:
    """One product on offer: its producer, group, stars, monthly capacity, place, rating expiry."""

    product: str
    producer: str
    category: str
    stars: int | None
    capacity: float | None
    point: tuple[float, float] | None
    expires_on: dt.date | None


@dataclass(frozen=True)
class EligiblePairs:
    """The eligible (request, supply) pairs as parallel arrays; distances in whole metres."""

    request: np.ndarray
    supply: np.ndarray
    metres: np.ndarray


@dataclass
class RequestAllocation:
    """What one request gets; each ``allocations`` row: product, producer, quantity, distance_km."""

    code: str
    quantity: float
    served: float
    unmet: float
    reason: str | None
    allocations: list[dict] = field(default_factory=list)


@dataclass
class AllocationResult:
    """Per-request allocations and the totals; ``cost`` is the sum of quantity × km.

    ``eligible_pairs`` counts (request, product) pairs; ``flow_arcs`` the arcs of the network
    actually solved, where interchangeable products share one node.
    """

    requests: list[RequestAllocation]
    demand: float
    served: float
    unmet: float
    cost: float
    eligible_pairs: int
    flow_arcs: int
    solver: str

    def as_dict(self) -> dict:
        return asdict(self)


def _requests_arrays(requests: Sequence[RequestRow]):
    min_stars = np.array(
        [max(r.min_stars or 1, r.buyer_min_stars or 1) for r in requests], dtype=np.int64
    )
    takes = np.array(
        [r.buyer_categories is None or r.category in r.buyer_categories for r in requests],
        dtype=bool,
    )
    return min_stars, takes


def eligible_pairs(
    requests: Sequence[RequestRow], supply: Sequence[SupplyRow], *, today: dt.date
) -> EligiblePairs:
    """Every (request, product) pair that may be allocated, with its distance in metres.

    Vectorised per product group and minimum stars: one matrix product gives the angle between
    every buyer point and every product, which bounds the ellipsoidal distance from below, so only
    pairs that can be within reach get the exact formula. For a chain, the store nearest a product
    (by that angle) is the one measured.
    """
    min_stars, takes = _requests_arrays(requests)
    usable = np.array([_usable(s, today) for s in supply], dtype=bool)
    supply_category = np.array([s.category for s in supply], dtype=object)
    supply_stars = np.array([s.stars or 0 for s in supply], dtype=np.int64)
    supply_points = np.array([s.point or (0.0, 0.0) for s in supply], dtype=float).reshape(-1, 2)
    supply_vectors = reduced_unit_vectors(supply_points[:, 0], supply_points[:, 1])
    request_category = np.array([r.category for r in requests], dtype=object)
    has_points = np.array([bool(r.points) for r in requests], dtype=bool)

    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for category in sorted(set(request_category.tolist())):
        in_group = usable & (supply_category == category)
        for stars in sorted(set(min_stars.tolist())):
            members = np.flatnonzero((request_category == category) & takes & (min_stars == stars))
            products = np.flatnonzero(in_group & (supply_stars >= stars))
            if not len(products) or not len(members):
                continue
            for i in members[~has_points[members]]:
                found.append(
                    (
                        np.full(len(products), i, dtype=np.int64),
                        products,
                        np.zeros(len(products), dtype=np.int64),
                    )
                )
            single = [i for i in members if len(requests[i].points) == 1]
            if single:
                found.append(
                    _single_point_pairs(requests, single, products, supply_points, supply_vectors)
                )
            for i in members:
                if len(requests[i].points) > 1:
                    found.append(
                        _chain_pairs(requests[i], i, products, supply_points, supply_vectors)
                    )
    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return EligiblePairs(empty, empty.copy(), empty.copy())
    request, supply_index, metres = (np.concatenate(part) for part in zip(*found, strict=True))
    return EligiblePairs(request, supply_index, metres)


def _limit_m(request: RequestRow) -> float:
    return np.inf if request.max_distance_km is None else request.max_distance_km * 1000.0


def _min_dot(limit_m: np.ndarray) -> np.ndarray:
    """The least cos σ a pair within ``limit_m`` can have.

    The ellipsoidal distance is at least a(1 - f)·σ (σ on the sphere of reduced latitudes, up to
    σ ≈ 2.5), so pairs at a larger angle are out of reach in any direction; another f of margin.
    """
    return np.cos(np.minimum(limit_m / (WGS84_A_M * (1 - 2 * WGS84_F)), np.pi))


def _reached(origins, targets, metres, limit_m):
    """Which pairs lie within their limit: decided on the geodesic, Lambert's metres settling all
    but the pairs within a few metres of it. ``origins`` and ``targets`` give each pair's points
    as (points, rows): only the pairs that need them are gathered."""

    def coordinates(edge):
        a, b = (_rows(end, edge) for end in (origins, targets))
        return a[:, 0], a[:, 1], b[:, 0], b[:, 1]

    return settle_within(metres / 1000.0, limit_m / 1000.0, LAMBERT_TOLERANCE, coordinates)


def _rows(end, edge):
    points, rows = end
    return points[rows[edge]]


def _single_point_pairs(requests, members, products, supply_points, supply_vectors):
    """Pairs of requests with one point each: a block of the angle matrix at a time."""
    points = np.array([requests[i].points[0] for i in members], dtype=float)
    vectors = reduced_unit_vectors(points[:, 0], points[:, 1])
    limit_m = np.array([_limit_m(requests[i]) for i in members])
    min_dot = _min_dot(limit_m)
    members = np.asarray(members, dtype=np.int64)
    supply_v = supply_vectors[products]
    out_request, out_supply, out_metres = [], [], []
    block = max(1, _BLOCK // len(products))
    for start in range(0, len(members), block):
        stop = min(start + block, len(members))
        dot = vectors[start:stop] @ supply_v.T
        rows, cols = np.nonzero(dot >= min_dot[start:stop, None])
        metres = lambert_m(dot[rows, cols], vectors[start + rows, 2], supply_v[cols, 2])
        within = _reached(
            (points, start + rows), (supply_points, products[cols]), metres, limit_m[start + rows]
        )
        out_request.append(members[start + rows[within]])
        out_supply.append(products[cols[within]])
        out_metres.append(np.rint(metres[within]).astype(np.int64))
    return np.concatenate(out_request), np.concatenate(out_supply), np.concatenate(out_metres)


def _chain_pairs(request, index, products, supply_points, supply_vectors):
    """Pairs of a request with several points (a chain's stores): each product's nearest store."""
    points = np.array(request.points, dtype=float)
    vectors = reduced_unit_vectors(points[:, 0], points[:, 1])
    supply_v = supply_vectors[products]
    dot = supply_v @ vectors.T
    limit_m = _limit_m(request)
    # Products beyond reach of every store in any direction are left before measuring.
    cols = np.flatnonzero(dot.max(axis=1) >= _min_dot(np.array(limit_m)))
    _nearest, metres = _nearest_on_ellipsoid(dot[cols], vectors, supply_v[cols])
    nearest = np.zeros(len(products), dtype=np.int64)
    nearest[cols] = _nearest
    keep = metres <= limit_m * (1 + LAMBERT_TOLERANCE) + 1
    cols, metres = cols[keep], metres[keep]
    within = _reached(
        (points, nearest[cols]),
        (supply_points, products[cols]),
        metres,
        np.full(len(cols), limit_m),
    )
    cols = cols[within]
    return (
        np.full(len(cols), index, dtype=np.int64),
        products[cols],
        np.rint(metres[within]).astype(np.int64),
    )


def _nearest_on_ellipsoid(dot, vectors, supply_v):
    """For each product (row of ``dot``, the unit vectors' dot products with the stores): its
    nearest store on the ellipsoid and Lambert's metres to it.

    The nearest by angle on the sphere of reduced latitudes is not always the nearest on the
    ellipsoid: the two distances differ by at most 2f, so only stores within that margin of the
    best angle are measured.
    """
    best = dot.max(axis=1)
    angle = np.arccos(np.clip(best, -1.0, 1.0))
    margin = np.cos(np.minimum(angle * (1 + 2 * WGS84_F) / (1 - 2 * WGS84_F) + 1e-12, np.pi))
    rows, stores = np.nonzero(dot >= margin[:, None])
    metres = lambert_m(dot[rows, stores], vectors[stores, 2], supply_v[rows, 2])
    order = np.lexsort((metres, rows))
    first = np.ones(len(order), dtype=bool)
    first[1:] = rows[order][1:] != rows[order][:-1]
    chosen = order[first]
    nearest = np.zeros(len(dot), dtype=np.int64)
    distance = np.full(len(dot), np.inf)
    nearest[rows[chosen]] = stores[chosen]
    distance[rows[chosen]] = metres[chosen]
    return nearest, distance


def solve_flow(
    capacity: np.ndarray,
    demand: np.ndarray,
    pair_supply: np.ndarray,
    pair_request: np.ndarray,
    pair_cost: np.ndarray,
    *,
    solver: str = "ortools",
) -> np.ndarray:
    """The flow on each pair of a maximum flow of minimum cost.

    In: integer ``capacity`` per supply, ``demand`` per request, and pairs (supply index,
    request index, integer unit cost). Out: the flow per pair (int64; float for "highs").
    ``solver``: "ortools" (production), "networkx" (network simplex, reference for small cases)
    or "highs" (two LPs with scipy: maximise the served total, then minimise the cost at it).
    Raises ValueError for an unknown solver, RuntimeError when a solver fails.
    """
    capacity = np.asarray(capacity, dtype=np.int64)
    demand = np.asarray(demand, dtype=np.int64)
    pair_supply = np.asarray(pair_supply, dtype=np.int64)
    pair_request = np.asarray(pair_request, dtype=np.int64)
    pair_cost = np.asarray(pair_cost, dtype=np.int64)
    if solver not in SOLVERS:
        raise ValueError(f"Unknown solver {solver!r}; expected one of {', '.join(SOLVERS)}.")
    if not len(pair_supply):
        return np.zeros(0, dtype=np.int64)
    if solver == "ortools":
        return _solve_ortools(capacity, demand, pair_supply, pair_request, pair_cost)
    if solver == "networkx":
        return _solve_networkx(capacity, demand, pair_supply, pair_request, pair_cost)
    return _solve_highs(capacity, demand, pair_supply, pair_request, pair_cost)


def _solve_ortools(capacity, demand, pair_supply, pair_request, pair_cost):
    """One OR-Tools solve per connected part of the network (at least one per product group).

    The parts share nothing, so their optima add up to the whole's; the solver's work grows
    faster than linearly with size, so the parts together solve ~25 % faster than the whole.
    """
    from ortools.graph.python import min_cost_flow
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n_supply, n_nodes = len(capacity), len(capacity) + len(demand)
    heads = pair_request + n_supply
    network = coo_matrix(
        (np.ones(len(pair_supply), dtype=np.int8), (pair_supply, heads)), shape=(n_nodes, n_nodes)
    )
    n_parts, part = connected_components(network, directed=False)
    node_order = np.argsort(part, kind="stable")
    node_count = np.bincount(part, minlength=n_parts)
    node_start = np.cumsum(node_count) - node_count
    local = np.empty(n_nodes, dtype=np.int64)
    local[node_order] = np.arange(n_nodes) - np.repeat(node_start, node_count)
    supplies = np.concatenate([capacity, -demand])
    # An arc never carries more than both ends allow; the tighter bound speeds the solve ~20 %.
    arc_capacity = np.minimum(demand[pair_request], capacity[pair_supply])
    arc_part = part[pair_supply]
    arc_order = np.argsort(arc_part, kind="stable")
    arc_count = np.bincount(arc_part, minlength=n_parts)
    arc_start = np.cumsum(arc_count) - arc_count
    flows = np.zeros(len(pair_supply), dtype=np.int64)
    for p in np.flatnonzero(arc_count).tolist():
        arcs = arc_order[arc_start[p] : arc_start[p] + arc_count[p]]
        nodes = node_order[node_start[p] : node_start[p] + node_count[p]]
        flow = min_cost_flow.SimpleMinCostFlow()
        handles = flow.add_arcs_with_capacity_and_unit_cost(
            local[pair_supply[arcs]], local[heads[arcs]], arc_capacity[arcs], pair_cost[arcs]
        )
        flow.set_nodes_supplies(local[nodes], supplies[nodes])
        status = flow.solve_max_flow_with_min_cost()
        if status != flow.OPTIMAL:
            raise RuntimeError(f"OR-Tools min-cost flow ended with status {status}.")
        flows[arcs] = flow.flows(handles)
    return flows


def _solve_networkx(capacity, demand, pair_supply, pair_request, pair_cost):
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_edges_from(("source", ("s", i), {"capacity": int(c)}) for i, c in enumerate(capacity))
    graph.add_edges_from((("r", j), "sink", {"capacity": int(d)}) for j, d in enumerate(demand))
    graph.add_edges_from(
        (("s", i), ("r", j), {"capacity": int(demand[j]), "weight": c})
        for i, j, c in zip(
            pair_supply.tolist(), pair_request.tolist(), pair_cost.tolist(), strict=True
        )
    )
    flows = nx.max_flow_min_cost(graph, "source", "sink")
    pairs = zip(pair_supply.tolist(), pair_request.tolist(), strict=True)
    return np.array([flows[("s", i)][("r", j)] for i, j in pairs], dtype=np.int64)


def _solve_highs(capacity, demand, pair_supply, pair_request, pair_cost):
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix, vstack

    n = len(pair_supply)
    ones = np.ones(n)
    by_supply = coo_matrix((ones, (pair_supply, np.arange(n))), shape=(len(capacity), n))
    by_request = coo_matrix((ones, (pair_request, np.arange(n))), shape=(len(demand), n))
    a_ub = vstack([by_supply, by_request]).tocsr()
    b_ub = np.concatenate([capacity, demand]).astype(float)
    most = linprog(-ones, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    if not most.success:
        raise RuntimeError(f"HiGHS (served) failed: {most.message}")
    served = round(-most.fun)  # integral: the flow polytope has integer vertices
    cheapest = linprog(
        pair_cost.astype(float),
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=ones.reshape(1, -1),
        b_eq=[served],
        bounds=(0, None),
        method="highs",
    )
    if not cheapest.success:
        raise RuntimeError(f"HiGHS (cost) failed: {cheapest.message}")
    return cheapest.x


def allocate(
    requests: Sequence[RequestRow],
    supply: Sequence[SupplyRow],
    *,
    today: dt.date,
    solver: str = "ortools",
) -> AllocationResult:
    """Assign monthly quantities from ``supply`` to ``requests``: most served, then least cost.

    Out: an ``AllocationResult`` whose requests follow the input order; each unmet quantity has
    its reason (``NO_ELIGIBLE_SUPPLY`` or ``SUPPLY_USED_UP``). Raises ValueError for an unknown
    solver or a negative quantity.

    Products with the same group, stars and place (a producer's range) are eligible for exactly
    the same requests at the same distance, so the flow runs over one node per such set, with
    their capacities summed, and each set's flow is then shared out over its products. The
    optimum is unchanged; the network is smaller.
    """
    if any(r.quantity < 0 for r in requests):
        raise ValueError("A request quantity cannot be negative.")
    demand = np.array(
        [round(r.quantity * QUANTITY_SCALE) for r in requests], dtype=np.int64
    ).reshape(-1)
    # Capacity is rounded down (with a hair of slack for float noise such as 0.3 * 1000).
    capacity = np.array(
        [int(np.floor((s.capacity or 0) * QUANTITY_SCALE + 1e-6)) for s in supply], dtype=np.int64
    ).reshape(-1)
    sets, members = _interchangeable_sets(supply, today)
    set_capacity = np.array([int(capacity[m].sum()) for m in members], dtype=np.int64)
    pairs = eligible_pairs(requests, sets, today=today)
    flows = solve_flow(
        set_capacity, demand, pairs.supply, pairs.request, pairs.metres, solver=solver
    )
    flows = np.rint(flows).astype(np.int64)
    return _result(requests, supply, capacity, members, pairs, demand, flows, solver)


def _usable(supply: SupplyRow, today: dt.date) -> bool:
    """Rated, placed, and its rating in force today."""
    return (
        supply.stars is not None
        and supply.point is not None
        and rating_in_force(None, supply.expires_on, today)
    )


def _interchangeable_sets(supply, today):
    """Usable products grouped by (group, stars, point): one representative row per set."""
    keyed: dict[tuple, list[int]] = {}
    for index, s in enumerate(supply):
        if not _usable(s, today):
            continue
        keyed.setdefault((s.category, s.stars, s.point), []).append(index)
    sets = [
        # Every member is usable today; the set stands for them with the latest expiry.
        SupplyRow(
            "",
            "",
            category,
            stars,
            None,
            point,
            max(supply[i].expires_on or dt.date.max for i in rows),
        )
        for (category, stars, point), rows in keyed.items()
    ]
    return sets, [np.array(indices, dtype=np.int64) for indices in keyed.values()]


def _share_out(flows, pairs, members, capacity):
    """Per used pair, the (product index, quantity) rows that fill its flow from the set."""
    left = capacity.copy()
    shares: dict[int, list[tuple[int, int]]] = {}
    for k in np.flatnonzero(flows > 0).tolist():
        need = int(flows[k])
        rows = shares.setdefault(k, [])
        for product in members[pairs.supply[k]].tolist():
            if not need:
                break
            take = min(need, int(left[product]))
            if take:
                rows.append((product, take))
                left[product] -= take
                need -= take
    return shares


def _result(requests, supply, capacity, members, pairs, demand, flows, solver):
    has_pair = np.zeros(len(requests), dtype=bool)
    has_pair[pairs.request] = True
    served = np.zeros(len(requests), dtype=np.int64)
    np.add.at(served, pairs.request, flows)
    shares = _share_out(flows, pairs, members, capacity)
    rows: list[list[dict]] = [[] for _ in requests]
    used = np.array(sorted(shares), dtype=np.int64)
    for k in used[np.lexsort((pairs.metres[used], pairs.request[used]))].tolist():
        for product, quantity in shares[k]:
            rows[pairs.request[k]].append(
                {
                    "product": supply[product].product,
                    "producer": supply[product].producer,
                    "quantity": quantity / QUANTITY_SCALE,
                    "distance_km": int(pairs.metres[k]) / 1000,
                }
            )
    results = []
    for i, request in enumerate(requests):
        unmet = int(demand[i] - served[i])
        reason = None
        refused = request.buyer_categories is not None and (
            request.category not in request.buyer_categories
        )
        if unmet and refused:
            # The same rule and the same reason as the supplier recommendations give.
            reason = BUYER_DOES_NOT_TAKE_GROUP
        elif unmet:
            reason = SUPPLY_USED_UP if has_pair[i] else NO_ELIGIBLE_SUPPLY
        results.append(
            RequestAllocation(
                code=request.code,
                quantity=int(demand[i]) / QUANTITY_SCALE,
                served=int(served[i]) / QUANTITY_SCALE,
                unmet=unmet / QUANTITY_SCALE,
                reason=reason,
                allocations=rows[i],
            )
        )
    # Exact integer sum (milli-units × metres), then one division.
    cost = int(np.dot(flows, pairs.metres)) if len(flows) else 0
    set_size = np.array([len(m) for m in members], dtype=np.int64)
    total_demand, total_served = int(demand.sum()), int(served.sum())
    return AllocationResult(
        requests=results,
        demand=total_demand / QUANTITY_SCALE,
        served=total_served / QUANTITY_SCALE,
        unmet=(total_demand - total_served) / QUANTITY_SCALE,
        cost=cost / (QUANTITY_SCALE * 1000),
        eligible_pairs=int(set_size[pairs.supply].sum()) if len(pairs.supply) else 0,
        flow_arcs=len(pairs.request),
        solver=solver,
    )
