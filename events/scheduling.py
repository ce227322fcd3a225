"""The meeting schedule of a trade-connection event: who meets whom, in which slot, at which table.

Pure: participants, slots, tables, limits and scores in, meetings out; no Django.

The rules every schedule keeps (``check`` verifies them):
  * a meeting is a pair that may meet (it has a score: the producer has a product the buyer takes)
    in a slot both attend, at one of the buyer's tables;
  * one meeting per table per slot, so a buyer with k tables holds up to k meetings in a slot;
  * a producer meets at most one buyer per slot, and a pair meets at most once;
  * no participant has more meetings than its limit.

What ``schedule_exact`` maximises, in this order (lexicographically):
  1. the number of producers with at least one meeting: the fairness floor. When every producer
     can have one, every producer gets one; when not (too few tables, a producer no buyer takes),
     as many as possible get one, and the producers left out are named;
  2. the total score of the meetings (the recommender's learned score of each pair).

How, and why it is exact. With the slots set aside, choosing the pairs is a maximum-weight
b-matching (each producer at most min(limit, slots it attends) pairs, each buyer at most
min(limit, tables × slots it attends)), which a min-cost flow solves exactly; the fairness floor
is a first unit of each producer's flow worth more than every score together. Any schedule's pairs
form such a b-matching, so the flow's value bounds every schedule from above. Placing the chosen
pairs in slots is then an edge colouring of a bipartite graph whose buyer side is split into
tables: when everyone attends every slot, each vertex has at most as many edges as there are
slots, and König's theorem says that many colours (slots) suffice; the alternating-path algorithm
below finds them. The schedule then reaches the bound, so it is optimal. With the constraint of one
meeting per producer per slot the whole problem is not a flow (it is a three-index assignment),
which is why the slots come second.

When some participants attend only some slots, the colouring may not exist; the chosen pairs are
then placed by CP-SAT (OR-Tools), and if they cannot all be placed, the whole problem is solved as a
MILP with the same lexicographic objective by HiGHS (SciPy), within ``time_limit`` seconds
(``optimal`` says whether HiGHS proved its answer optimal).

``schedule_greedy`` is the baseline: pairs by score, highest first, each in the first slot where
both are free.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = [
    "SCORE_SCALE",
    "Instance",
    "Meeting",
    "Schedule",
    "check",
    "objective",
    "schedule_exact",
    "schedule_greedy",
    "schedule_milp",
]

# Scores are compared in millionths: integer arithmetic keeps the flow, CP-SAT and the checks
# agreeing to the last unit.
SCORE_SCALE = 1_000_000
# Placing the flow's pairs is a feasibility question CP-SAT answers in well under a second at
# 300 × 40 × 12; past this it gives up and the whole problem goes to the MILP.
PLACING_SECONDS = 5.0


@dataclass(frozen=True)
class Instance:
    """One event to schedule.

    ``slots`` slots numbered 0 … slots − 1. ``scores`` maps the (producer, buyer) pairs that may
    meet to a score ≥ 0; a pair missing from it never meets. ``tables`` is each buyer's number of
    tables (default 1); ``producer_limit`` and ``buyer_limit`` cap meetings (default: no cap
    beyond the slots and tables); ``producer_slots`` and ``buyer_slots`` are the slots each
    attends (default: all).
    """

    slots: int
    producers: Sequence[Hashable]
    buyers: Sequence[Hashable]
    scores: Mapping[tuple[Hashable, Hashable], float]
    tables: Mapping[Hashable, int] = field(default_factory=dict)
    producer_limit: Mapping[Hashable, int] = field(default_factory=dict)
    buyer_limit: Mapping[Hashable, int] = field(default_factory=dict)
    producer_slots: Mapping[Hashable, Iterable[int]] = field(default_factory=dict)
    buyer_slots: Mapping[Hashable, Iterable[int]] = field(default_factory=dict)


@dataclass(frozen=True, order=True)
class Meeting:
    """A producer and a buyer at one of the buyer's tables (numbered from 1) in a slot."""

    slot: int
    buyer: Hashable
    table: int
    producer: Hashable


@dataclass
class Schedule:
    """The meetings, their total score, and which producers have none.

    ``method`` is "flow" (the bound reached: optimal), "milp" or "greedy"; ``optimal`` whether
    the schedule is proved best for the objective above (always False for the greedy one).
    """

    meetings: list[Meeting]
    score: float
    producers_met: int
    producers_without: list[Hashable]
    method: str
    optimal: bool
    seconds: float


class _Prepared:
    """The instance in integer positions, with each participant's capacity and slots."""

    def __init__(self, instance: Instance):
        if instance.slots < 0:
            raise ValueError("slots must be ≥ 0")
        self.instance = instance
        self.S = instance.slots
        self.producers = list(instance.producers)
        self.buyers = list(instance.buyers)
        if len(set(self.producers)) != len(self.producers) or len(set(self.buyers)) != len(
            self.buyers
        ):
            raise ValueError("participants must be distinct")
        every = frozenset(range(self.S))
        self.p_slots = [
            frozenset(instance.producer_slots.get(p, every)) & every for p in self.producers
        ]
        self.b_slots = [frozenset(instance.buyer_slots.get(b, every)) & every for b in self.buyers]
        self.tables = [int(instance.tables.get(b, 1)) for b in self.buyers]
        if min(self.tables, default=1) < 1:
            raise ValueError("a buyer has at least one table")
        self.p_cap = [
            min(int(instance.producer_limit.get(p, self.S)), len(s))
            for p, s in zip(self.producers, self.p_slots, strict=True)
        ]
        self.b_cap = [
            min(int(instance.buyer_limit.get(b, self.S * t)), t * len(s))
            for b, t, s in zip(self.buyers, self.tables, self.b_slots, strict=True)
        ]
        p_pos = {p: i for i, p in enumerate(self.producers)}
        b_pos = {b: j for j, b in enumerate(self.buyers)}
        self.pairs: dict[tuple[int, int], int] = {}
        for (p, b), score in instance.scores.items():
            if score is None or score != score:  # None or NaN: the pair may not meet
                continue
            if score < 0:
                raise ValueError("scores must be ≥ 0")
            i, j = p_pos[p], b_pos[b]
            if self.p_slots[i] & self.b_slots[j] and self.p_cap[i] > 0 and self.b_cap[j] > 0:
                self.pairs[i, j] = round(score * SCORE_SCALE)
        # The first meeting of a producer is worth more than all scores together.
        self.floor = sum(self.pairs.values()) + 1
        self.full = all(s == every for s in self.p_slots) and all(s == every for s in self.b_slots)

    def schedule(self, placed: Iterable[tuple[int, int, int, int]], method, optimal, start):
        meetings = sorted(
            Meeting(slot=s, buyer=self.buyers[j], table=t, producer=self.producers[i])
            for i, j, s, t in placed
        )
        met = {m.producer for m in meetings}
        total = sum(self.pairs[self._pos(m)] for m in meetings) / SCORE_SCALE
        return Schedule(
            meetings=meetings,
            score=total,
            producers_met=len(met),
            producers_without=[p for p in self.producers if p not in met],
            method=method,
            optimal=optimal,
            seconds=time.perf_counter() - start,
        )

    def _pos(self, meeting: Meeting) -> tuple[int, int]:
        if not hasattr(self, "_index"):
            self._index = (
                {p: i for i, p in enumerate(self.producers)},
                {b: j for j, b in enumerate(self.buyers)},
            )
        return self._index[0][meeting.producer], self._index[1][meeting.buyer]


def objective(instance: Instance, meetings: Iterable[Meeting]) -> tuple[int, int]:
    """(producers with a meeting, total score in millionths): what the exact schedule maximises,
    compared as a tuple."""
    prepared = _Prepared(instance)
    meetings = list(meetings)
    return (
        len({m.producer for m in meetings}),
        sum(prepared.pairs[prepared._pos(m)] for m in meetings),
    )


def check(instance: Instance, meetings: Iterable[Meeting]) -> list[str]:
    """Every rule a schedule breaks, in words; [] for a valid schedule."""
    prepared = _Prepared(instance)
    p_pos = {p: i for i, p in enumerate(prepared.producers)}
    b_pos = {b: j for j, b in enumerate(prepared.buyers)}
    broken = []
    seen_table, seen_producer, seen_pair = set(), set(), set()
    p_count, b_count = [0] * len(p_pos), [0] * len(b_pos)
    for m in meetings:
        if m.producer not in p_pos or m.buyer not in b_pos:
            broken.append(f"{m}: not a participant")
            continue
        i, j = p_pos[m.producer], b_pos[m.buyer]
        if (i, j) not in prepared.pairs:
            broken.append(f"{m}: the pair may not meet")
        if m.slot not in prepared.p_slots[i] or m.slot not in prepared.b_slots[j]:
            broken.append(f"{m}: outside the slots attended")
        if not 1 <= m.table <= prepared.tables[j]:
            broken.append(f"{m}: no such table")
        for seen, key, rule in (
            (seen_table, (j, m.slot, m.table), "two meetings at one table in a slot"),
            (seen_producer, (i, m.slot), "a producer in two meetings in a slot"),
            (seen_pair, (i, j), "a pair meets twice"),
        ):
            if key in seen:
                broken.append(f"{m}: {rule}")
            seen.add(key)
        p_count[i] += 1
        b_count[j] += 1
    for i, n in enumerate(p_count):
        if n > prepared.p_cap[i]:
            broken.append(f"producer {prepared.producers[i]}: {n} meetings over its limit")
    for j, n in enumerate(b_count):
        if n > prepared.b_cap[j]:
            broken.append(f"buyer {prepared.buyers[j]}: {n} meetings over its limit")
    return broken


def schedule_greedy(instance: Instance) -> Schedule:
    """The baseline: pairs by score, highest first, each in the first slot both attend where the
    producer is free and the buyer has a free table, while both are under their limits."""
    start = time.perf_counter()
    prep = _Prepared(instance)
    p_busy = [set() for _ in prep.producers]
    b_used = [dict() for _ in prep.buyers]  # slot → tables taken
    p_count, b_count = [0] * len(prep.producers), [0] * len(prep.buyers)
    placed = []
    for (i, j), _w in sorted(prep.pairs.items(), key=lambda item: (-item[1], item[0])):
        if p_count[i] >= prep.p_cap[i] or b_count[j] >= prep.b_cap[j]:
            continue
        for s in sorted(prep.p_slots[i] & prep.b_slots[j]):
            taken = b_used[j].get(s, 0)
            if s not in p_busy[i] and taken < prep.tables[j]:
                p_busy[i].add(s)
                b_used[j][s] = taken + 1
                p_count[i] += 1
                b_count[j] += 1
                placed.append((i, j, s, taken + 1))
                break
    return prep.schedule(placed, "greedy", False, start)


def schedule_exact(instance: Instance, *, time_limit: float = 20.0, workers: int = 2) -> Schedule:
    """The schedule with the most producers met, then the highest total score (module docstring).

    ``time_limit`` bounds the MILP run needed only when some participants attend part of the
    event and the flow's pairs cannot all be placed; ``Schedule.optimal`` is False when it ran out
    before proving its answer. Raises ``ValueError`` for a negative score, repeated participants
    or a buyer with no table.
    """
    start = time.perf_counter()
    prep = _Prepared(instance)
    chosen = _best_pairs(prep)
    if prep.full:
        return prep.schedule(_colour(prep, chosen), "flow", True, start)
    placed = _place_cp_sat(prep, chosen, min(PLACING_SECONDS, time_limit), workers)
    if placed is not None:
        return prep.schedule(placed, "flow", True, start)
    placed, optimal = _solve_milp(prep, time_limit)
    return prep.schedule(placed, "milp", optimal, start)


def schedule_milp(instance: Instance, *, time_limit: float = 20.0) -> Schedule:
    """The same objective as ``schedule_exact``, solved as one MILP by HiGHS with no flow and no
    colouring: the fallback of ``schedule_exact``, and a check on it (far slower at scale)."""
    start = time.perf_counter()
    prep = _Prepared(instance)
    placed, optimal = _solve_milp(prep, time_limit)
    return prep.schedule(placed, "milp", optimal, start)


def _best_pairs(prep: _Prepared) -> list[tuple[int, int]]:
    """The pairs of the best b-matching (fairness floor first, then score), by min-cost flow."""
    from ortools.graph.python import min_cost_flow

    P, B = len(prep.producers), len(prep.buyers)
    source, sink = P + B, P + B + 1
    flow = min_cost_flow.SimpleMinCostFlow()
    total = sum(prep.p_cap)
    for i, cap in enumerate(prep.p_cap):
        if cap > 0:
            flow.add_arc_with_capacity_and_unit_cost(source, i, 1, -prep.floor)
        if cap > 1:
            flow.add_arc_with_capacity_and_unit_cost(source, i, cap - 1, 0)
    pair_arcs = {}
    for (i, j), w in prep.pairs.items():
        pair_arcs[i, j] = flow.add_arc_with_capacity_and_unit_cost(i, P + j, 1, -w)
    for j, cap in enumerate(prep.b_cap):
        if cap > 0:
            flow.add_arc_with_capacity_and_unit_cost(P + j, sink, cap, 0)
    # Flow that finds no worthwhile pair goes straight to the sink.
    flow.add_arc_with_capacity_and_unit_cost(source, sink, total, 0)
    flow.set_node_supply(source, total)
    flow.set_node_supply(sink, -total)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}")
    return [pair for pair, arc in pair_arcs.items() if flow.flow(arc) > 0]


def _colour(prep: _Prepared, chosen: list[tuple[int, int]]) -> list[tuple[int, int, int, int]]:
    """Slots and tables for the chosen pairs when everyone attends every slot.

    Each buyer's pairs are dealt round its tables, so no table has more pairs than slots; the
    bipartite graph producers × tables then has maximum degree ≤ slots and is coloured with that
    many colours by alternating (Kempe) paths: for an edge (u, v) take a colour a free at u and
    b free at v; if a is taken at v, swap a and b along the a/b path from v, which in a
    bipartite graph never reaches u, and a becomes free at v.
    """
    by_buyer: dict[int, list[int]] = {}
    for i, j in chosen:
        by_buyer.setdefault(j, []).append(i)
    # Vertex keys: ("p", i) and ("t", j, table). at[v][colour] = the vertex across that edge.
    at: dict[tuple, dict[int, tuple]] = {}
    edges = []
    for j, producers in by_buyer.items():
        for k, i in enumerate(sorted(producers)):
            edges.append((("p", i), ("t", j, k % prep.tables[j] + 1)))
    for u, v in edges:
        at.setdefault(u, {})
        at.setdefault(v, {})
    for u, v in edges:
        a = next(c for c in range(prep.S) if c not in at[u])
        b = next(c for c in range(prep.S) if c not in at[v])
        if a in at[v]:
            _swap_path(at, v, a, b)
        at[u][a] = v
        at[v][a] = u
    placed = []
    for u, colours in at.items():
        if u[0] == "p":
            for slot, (_t, j, table) in colours.items():
                placed.append((u[1], j, slot, table))
    return placed


def _swap_path(at: dict, start: tuple, a: int, b: int) -> None:
    """Swap colours a and b along the path from ``start`` that alternates a, b, a, …"""
    path = []
    vertex, colour = start, a
    while colour in at[vertex]:
        nxt = at[vertex][colour]
        path.append((vertex, nxt, colour))
        vertex, colour = nxt, (b if colour == a else a)
    for u, v, c in path:
        del at[u][c]
        del at[v][c]
    for u, v, c in path:
        other = b if c == a else a
        at[u][other] = v
        at[v][other] = u


def _tables_for(prep: _Prepared, slotted: Iterable[tuple[int, int, int]]):
    """Tables numbered from 1 in each buyer's slot, in producer order."""
    used: dict[tuple[int, int], int] = {}
    placed = []
    for i, j, s in sorted(slotted, key=lambda x: (x[1], x[2], x[0])):
        used[j, s] = used.get((j, s), 0) + 1
        placed.append((i, j, s, used[j, s]))
    return placed


def _slot_model(prep: _Prepared, pairs: Iterable[tuple[int, int]]):
    """CP-SAT variables x[i, j, s] for ``pairs`` in the slots both attend, with the rules of
    one meeting per pair, per producer per slot and per table per slot."""
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    x = {}
    for i, j in pairs:
        for s in sorted(prep.p_slots[i] & prep.b_slots[j]):
            x[i, j, s] = model.new_bool_var(f"x{i}_{j}_{s}")
    by_pair, by_p_slot, by_b_slot, by_p, by_b = {}, {}, {}, {}, {}
    for (i, j, s), var in x.items():
        by_pair.setdefault((i, j), []).append(var)
        by_p_slot.setdefault((i, s), []).append(var)
        by_b_slot.setdefault((j, s), []).append(var)
        by_p.setdefault(i, []).append(var)
        by_b.setdefault(j, []).append(var)
    for group in (by_pair, by_p_slot):
        for vars_ in group.values():
            model.add_at_most_one(vars_)
    for (j, _s), vars_ in by_b_slot.items():
        model.add(sum(vars_) <= prep.tables[j])
    for i, vars_ in by_p.items():
        model.add(sum(vars_) <= prep.p_cap[i])
    for j, vars_ in by_b.items():
        model.add(sum(vars_) <= prep.b_cap[j])
    return model, x, by_pair, by_p


def _solver(time_limit: float, workers: int):
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 0
    return solver


def _place_cp_sat(prep, chosen, time_limit, workers):
    """Slots for exactly the chosen pairs, or None when they cannot all be placed (or CP-SAT
    could not tell in time)."""
    from ortools.sat.python import cp_model

    model, x, by_pair, _ = _slot_model(prep, chosen)
    for pair in chosen:
        model.add_exactly_one(by_pair.get(pair, []))
    solver = _solver(time_limit, workers)
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return _tables_for(prep, [key for key, var in x.items() if solver.value(var)])


def _solve_milp(prep: _Prepared, time_limit: float):
    """The whole problem as one MILP over x[i, j, s] (and met[i]), solved by HiGHS; (placed,
    optimal). HiGHS proves these in a fraction of the time CP-SAT takes: its LP bound over the
    per-slot and per-pair rows is tight, where CP-SAT's search stalls on the huge fairness weight.
    """
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    keys = [(i, j, s) for (i, j) in prep.pairs for s in sorted(prep.p_slots[i] & prep.b_slots[j])]
    if not keys:
        return [], True
    P, n = len(prep.producers), len(keys)
    rows: dict[tuple, int] = {}
    upper: list[float] = []
    r_index, c_index, values = [], [], []

    def row(key, bound):
        if key not in rows:
            rows[key] = len(upper)
            upper.append(bound)
        return rows[key]

    for k, (i, j, s) in enumerate(keys):
        for key, bound in (
            (("pair", i, j), 1),
            (("producer_slot", i, s), 1),
            (("buyer_slot", j, s), prep.tables[j]),
            (("producer", i), prep.p_cap[i]),
            (("buyer", j), prep.b_cap[j]),
            (("met", i), 0),
        ):
            r_index.append(row(key, bound))
            c_index.append(k)
            values.append(-1.0 if key[0] == "met" else 1.0)
    for i in range(P):
        # met[i] ≤ the producer's meetings: met[i] − Σ x[i, ·, ·] ≤ 0.
        r_index.append(row(("met", i), 0))
        c_index.append(n + i)
        values.append(1.0)
    matrix = coo_matrix((values, (r_index, c_index)), shape=(len(upper), n + P)).tocsr()
    cost = np.concatenate(
        [-np.array([prep.pairs[i, j] for i, j, _s in keys], float), np.full(P, -float(prep.floor))]
    )
    result = milp(
        cost,
        constraints=LinearConstraint(matrix, -np.inf, np.array(upper, float)),
        integrality=np.ones(n + P),
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit, "mip_rel_gap": 0.0},
    )
    if result.x is None:
        return [], False
    chosen = np.flatnonzero(np.round(result.x[:n]) > 0)
    return _tables_for(prep, [keys[k] for k in chosen]), result.status == 0
