"""Whole-graph network analytics on the compact snapshot, at compiled speed.

The functions of ``linkage.graph`` (``hubs``, ``communities``, ``dependence``,
``critical_actors``, ``unlinked_producers``, ``supply_paths``) with the same parameters and the
same answers, but taking a ``linkage.snapshot.GraphSnapshot`` and computing on its arrays: igraph
for betweenness, Louvain and dominators, scipy for reachability, numpy for counts and shares.
``linkage.graph`` stays the reference: every function here is tested against it on random
registries (``graph.f(snapshot.to_networkx())``).

The structures the analytics share (the undirected ties, the flow graph toward the market, the
flow links by end) are built on the first call and kept on the snapshot itself, under private
names that ``GraphSnapshot.__getstate__`` leaves out of the cache's copy.

What differs from the reference, on purpose:

- ``hubs`` by betweenness sums the same shortest paths in another order, so scores agree to about
  1e-12 rather than bit for bit; actors are ranked on scores rounded to 12 places, so that actors
  tied in exact arithmetic are ranked by code here, as the reference does when its float sums
  happen to agree.
- ``communities`` runs igraph's multilevel (Louvain) algorithm, seeded through igraph's random
  generator: the partition is one of equal quality, not necessarily the reference's (the same
  modularity on average; on one small graph within a few hundredths, as networkx's own runs with
  other seeds are; the same communities where they are plain).
- ``supply_paths`` walks at most ``PATH_NEIGHBOURHOOD`` actors around the product's producer and
  hands that small graph to ``linkage.graph.supply_paths``; when the cap cuts the walk short the
  answer says so (``truncated`` and ``neighbourhood_limit``).
"""

from __future__ import annotations

import random
import threading
from collections import deque
from dataclasses import dataclass

import igraph
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse import csgraph

from . import graph as reference
from .graph import BETWEENNESS_MIN_SAMPLE, BETWEENNESS_WORK, FLOW_KINDS, SALE_KINDS
from .snapshot import GraphSnapshot

__all__ = [
    "PATH_NEIGHBOURHOOD",
    "critical_actors",
    "communities",
    "dependence",
    "hubs",
    "supply_paths",
    "unlinked_positions",
    "unlinked_producers",
    "unlinked_rows",
]

PATH_NEIGHBOURHOOD = 5_000
"""Most actors ``supply_paths`` visits around a product's producer (nationally at most 40)."""

# igraph draws its random numbers from one process-wide generator: seeding it for a Louvain run
# must not interleave with another thread's run.
_IGRAPH_RANDOM = threading.Lock()


def _cached(snapshot: GraphSnapshot, name: str, build):
    """``build(snapshot)``, computed once per snapshot and kept in its ``__dict__``."""
    key = f"_network_{name}"
    value = snapshot.__dict__.get(key)
    if value is None:
        value = snapshot.__dict__[key] = build(snapshot)
    return value


def _distinct(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys, sorted, and how often each occurs. (``np.unique`` without an index
    hashes integers, ten times slower than this sort at national size.)"""
    ordered = np.sort(keys)
    fresh = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if len(keys) else keys
    return ordered[fresh], np.diff(np.r_[fresh, len(keys)])


@dataclass(frozen=True)
class _Labels:
    code: np.ndarray
    kind_code: np.ndarray  # per actor: its kind's number in ``kind_names`` (sorted)
    kind_names: np.ndarray
    area_code: np.ndarray  # per actor: its area's number in ``area_names`` (sorted)
    area_names: np.ndarray
    code_rank: np.ndarray  # each actor's place among all codes in sorted order
    # Read one by one, as Python lists (several times faster to index than arrays):
    rows: tuple[list, list, list, list, list]  # code, name, type, kind, area per actor
    product_code: list  # products' codes, producer by producer (each's by code) ...
    product_starts: np.ndarray  # ... from here per actor

    def summary(self, i: int) -> dict:
        code, name, type_, kind, _ = self.rows
        return {"code": code[i], "name": name[i], "type": type_[i], "kind": kind[i]}


def _labels(snapshot: GraphSnapshot) -> _Labels:
    actors = snapshot.actors
    code = actors["code"].to_numpy(dtype=object)
    producers = int(snapshot.is_producer.sum())
    # Producers and buyers are each sorted by code: merging the two runs ranks every code with
    # one binary search per buyer instead of a sort of all of them.
    producer_codes, buyer_codes = code[:producers], code[producers:]
    before = np.searchsorted(producer_codes, buyer_codes) if len(buyer_codes) else np.zeros(0, int)
    rank = np.empty(len(code), np.int64)
    rank[producers:] = np.arange(len(buyer_codes)) + before
    rank[:producers] = np.arange(producers) + np.searchsorted(
        before, np.arange(producers), side="right"
    )
    name = actors["name"].to_numpy(dtype=object)
    type_ = np.asarray(actors["type"].astype(str), dtype=object)
    kind = np.asarray(actors["kind"].astype(str), dtype=object)
    kind_code, kind_names = pd.factorize(kind, sort=True)
    area = actors["area"].to_numpy(dtype=object)
    area_code, area_names = pd.factorize(area, sort=True)
    made_by = snapshot.products["producer"].to_numpy()
    by_producer = np.argsort(made_by, kind="stable")
    return _Labels(
        code=code,
        kind_code=kind_code,
        kind_names=np.asarray(kind_names, dtype=object),
        area_code=area_code,
        area_names=np.asarray(area_names, dtype=object),
        code_rank=rank,
        rows=(code.tolist(), name.tolist(), type_.tolist(), kind.tolist(), area.tolist()),
        product_code=snapshot.products["code"].to_numpy(dtype=object)[by_producer].tolist(),
        product_starts=_starts(made_by[by_producer], len(code)),
    )


@dataclass(frozen=True)
class _Ties:
    """Linkages as undirected ties, one per pair of actors, over the actors with any tie."""

    nodes: np.ndarray  # actor position of each igraph vertex
    graph: igraph.Graph
    ends: tuple[np.ndarray, np.ndarray]  # per igraph edge: its two vertices
    weight: np.ndarray  # per igraph edge: linkages between the pair, both ways (a store's chain: 1)
    degree: np.ndarray  # per actor: actors tied to it
    strength: np.ndarray  # per actor: sum of its ties' weights
    directed_edges: int  # edges of the networkx DiGraph (ordered pairs)


def _ordered_pairs(snapshot: GraphSnapshot) -> tuple[np.ndarray, np.ndarray]:
    """Every linkage as (source, target), then every store's tie to its chain."""
    chain = snapshot.actors["chain"].to_numpy()
    stores = np.flatnonzero(chain >= 0)
    source = np.concatenate([snapshot.links["source"].to_numpy(np.int64), stores])
    target = np.concatenate([snapshot.links["target"].to_numpy(np.int64), chain[stores]])
    return source, target


def _ties(snapshot: GraphSnapshot) -> _Ties:
    n = snapshot.size
    source, target = _ordered_pairs(snapshot)
    directed_edges = len(_distinct(source * n + target)[0])
    low, high = np.minimum(source, target), np.maximum(source, target)
    pairs, weight = _distinct(low * n + high)
    low, high = pairs // n, pairs % n
    degree = np.bincount(low, minlength=n) + np.bincount(high, minlength=n)
    strength = np.bincount(low, weight, minlength=n) + np.bincount(high, weight, minlength=n)
    nodes = np.flatnonzero(degree > 0)
    vertex = np.full(n, -1, np.int64)
    vertex[nodes] = np.arange(len(nodes))
    ends = vertex[low], vertex[high]
    graph = igraph.Graph(
        n=len(nodes), edges=list(zip(*(end.tolist() for end in ends), strict=True))
    )
    return _Ties(nodes, graph, ends, weight.astype(float), degree, strength, directed_edges)


@dataclass(frozen=True)
class _Flow:
    """The flow graph reversed, from one extra "market" node (position ``size``) to every buyer,
    as ``linkage.graph._market_reach`` builds it; and what each linkage is."""

    market: int
    matrix: sparse.csr_matrix
    graph: igraph.Graph
    is_flow: np.ndarray  # per link
    is_sale: np.ndarray  # per link
    sells: np.ndarray  # per actor: a producer with a sale linkage to a buyer


def _is_flow(snapshot: GraphSnapshot) -> np.ndarray:
    return np.isin(snapshot.links["kind"].astype(object).to_numpy(), list(FLOW_KINDS))


def _flow(snapshot: GraphSnapshot) -> _Flow:
    n = snapshot.size
    links = snapshot.links
    is_flow = _is_flow(snapshot)
    is_sale = np.isin(links["kind"].astype(object).to_numpy(), list(SALE_KINDS))
    is_producer = snapshot.is_producer
    link_source = links["source"].to_numpy(np.int64)
    link_target = links["target"].to_numpy(np.int64)
    sells = np.zeros(n, bool)
    sells[link_source[is_sale & is_producer[link_source] & ~is_producer[link_target]]] = True
    buyers = np.flatnonzero(~is_producer)
    source = np.concatenate([link_target[is_flow], np.full(len(buyers), n)])
    target = np.concatenate([link_source[is_flow], buyers])
    pairs = _distinct(source * (n + 1) + target)[0]
    source, target = pairs // (n + 1), pairs % (n + 1)
    matrix = sparse.csr_matrix(
        (np.ones(len(pairs), np.int8), (source, target)), shape=(n + 1, n + 1)
    )
    graph = igraph.Graph(
        n=n + 1, edges=list(zip(source.tolist(), target.tolist(), strict=True)), directed=True
    )
    return _Flow(n, matrix, graph, is_flow, is_sale, sells)


@dataclass(frozen=True)
class _Supplies:
    """The codes of the producers each producer has a linkage to, sorted, from ``starts[p]``."""

    supplied: np.ndarray
    starts: np.ndarray


def _supplies(snapshot: GraphSnapshot) -> _Supplies:
    n = snapshot.size
    links = snapshot.links
    source = links["source"].to_numpy(np.int64)
    target = links["target"].to_numpy(np.int64)
    between = snapshot.is_producer[source] & snapshot.is_producer[target]
    # Producers are by code in the snapshot, so sorted positions are sorted codes.
    pairs = _distinct(source[between] * n + target[between])[0]
    supplied = snapshot.actors["code"].to_numpy(dtype=object)[pairs % n]
    return _Supplies(supplied, _starts(pairs // n, n))


def _starts(sorted_keys: np.ndarray, count: int) -> np.ndarray:
    """Where each of ``count`` keys begins in ``sorted_keys`` (and where the last ends), as
    32-bit numbers: 0.9 MB, not 1.8, per array over the national registry's actors."""
    return np.searchsorted(sorted_keys, np.arange(count + 1)).astype(np.int32)


# Built for one whole-graph analysis and let go after it (``let_go``): its answer is kept by the
# caller, and together these are some 40 MB nationally in every process that computed one
# (building them again costs 0.1-0.2 s of the next analysis). What pages ask for row by row
# (labels, supplies, flow links) stays with the snapshot.
WHOLE_GRAPH_STRUCTURES = ("ties", "flow", "sales")


def let_go(snapshot: GraphSnapshot) -> None:
    """Drop the structures whole-graph analyses built on ``snapshot``; the next one builds them
    again."""
    for name in WHOLE_GRAPH_STRUCTURES:
        snapshot.__dict__.pop(f"_network_{name}", None)


def hubs(
    snapshot: GraphSnapshot,
    *,
    limit: int = 10,
    measure: str = "degree",
    sample: int | None = 500,
    seed: int = 0,
) -> dict[str, list[dict]]:
    """``linkage.graph.hubs`` on a snapshot: the most central actors of each kind, over linkages
    taken as undirected ties.

    Betweenness is estimated from the same sources networkx samples with ``seed`` (the same
    budget: ``BETWEENNESS_WORK``, at least ``BETWEENNESS_MIN_SAMPLE``) and scaled as networkx's
    ``betweenness_centrality`` scales it. Returns kind → up to ``limit`` ``{"code", "name",
    "type", "kind", "score", "degree"}``, best first. Raises ``ValueError`` for an unknown measure.
    """
    n = snapshot.size
    ties = _cached(snapshot, "ties", _ties)
    if measure == "degree":
        scores = ties.degree * (1.0 / (n - 1)) if n > 1 else np.zeros(n)
        ranked_on = scores
    elif measure == "betweenness":
        budget = max(BETWEENNESS_MIN_SAMPLE, BETWEENNESS_WORK // max(1, n + ties.directed_edges))
        k = min(sample or n, budget)
        scores = _betweenness(snapshot, k if k < n else None, seed)
        ranked_on = np.round(scores, 12)
    else:
        raise ValueError(f"unknown measure {measure!r}: use degree or betweenness")
    labels = _cached(snapshot, "labels", _labels)
    result = {}
    for code, kind in enumerate(labels.kind_names):
        members = np.flatnonzero(labels.kind_code == code)
        best = members[np.lexsort((labels.code_rank[members], -ranked_on[members]))[:limit]]
        result[kind] = [
            {
                **labels.summary(i),
                "score": round(float(scores[i]), 6),
                "degree": int(ties.degree[i]),
            }
            for i in best
            if scores[i] > 0
        ]
    return result


def _betweenness(snapshot: GraphSnapshot, k: int | None, seed: int) -> np.ndarray:
    """Each actor's betweenness as ``networkx.betweenness_centrality(undirected, k=k,
    seed=seed)`` computes it (normalised, endpoints left out)."""
    n = snapshot.size
    ties = _cached(snapshot, "ties", _ties)
    vertex = np.full(n, -1, np.int64)
    vertex[ties.nodes] = np.arange(len(ties.nodes))
    if k is None:
        sources = None
    else:
        # networkx samples the graph's nodes, in the snapshot's order, with random.Random(seed).
        sampled = np.array(random.Random(seed).sample(range(n), k), np.int64)
        sources = [int(v) for v in vertex[sampled] if v >= 0]
    scores = np.zeros(n)
    if ties.graph.ecount() and (sources is None or sources):
        # igraph counts each unordered pair of an undirected graph once, networkx twice.
        found = ties.graph.betweenness(directed=False, sources=sources)
        scores[ties.nodes] = 2 * np.asarray(found, float)
    if n - 1 < 2:
        return scores
    if k is None:
        return scores * (1 / ((n - 1) * (n - 2)))
    # Sampled sources are never the inner node of their own paths (networkx's _rescale).
    scale = np.full(n, 1 / (k * (n - 2)))
    scale[sampled] = 1 / ((k - 1) * (n - 2)) if k > 1 else np.nan
    return scores * scale


def communities(snapshot: GraphSnapshot, *, min_size: int = 3, seed: int = 0, top: int = 5) -> dict:
    """``linkage.graph.communities`` on a snapshot: groups of actors more tied to each other than
    to the rest (Louvain on ties weighted by their linkages, through igraph's multilevel method).

    Returns ``{"modularity", "communities": [{"id", "size", "producers", "buyers", "kinds",
    "areas", "top_members"}]}`` for communities of at least ``min_size`` actors, largest first
    (then by smallest code); modularity is of the weighted undirected graph of tied actors.
    """
    ties = _cached(snapshot, "ties", _ties)
    if not ties.graph.ecount():
        return {"modularity": 0.0, "communities": []}
    found = _membership(snapshot, seed)
    modularity = _modularity(ties, found)
    labels = _cached(snapshot, "labels", _labels)
    nodes = ties.nodes
    sizes = np.bincount(found)
    first = np.full(len(sizes), np.iinfo(np.int64).max)
    np.minimum.at(first, found, labels.code_rank[nodes])
    order = np.lexsort((first, -sizes))
    order = order[sizes[order] >= min_size]
    # Renumber the listed communities 0.. in their listed order; the others become -1.
    listed = np.full(len(sizes), -1, np.int64)
    listed[order] = np.arange(len(order))
    group = listed[found]
    inside = group >= 0
    members, group = nodes[inside], group[inside]
    count = len(order)

    is_producer = snapshot.is_producer[members]
    producers = np.bincount(group, is_producer, minlength=count).astype(int)
    kind_names = labels.kind_names
    kinds = np.bincount(
        group * len(kind_names) + labels.kind_code[members], minlength=count * len(kind_names)
    ).reshape(count, len(kind_names))

    area_names, area_codes = labels.area_names, labels.area_code[members]
    placed = area_names[area_codes] != ""
    area_keys, area_counts = _distinct(group[placed] * len(area_names) + area_codes[placed])
    area_group, area_code = area_keys // len(area_names), area_keys % len(area_names)
    area_rows = np.lexsort((area_code, -area_counts, area_group))
    area_starts = np.searchsorted(area_group[area_rows], np.arange(count + 1))

    ranked = np.lexsort((labels.code_rank[members], -ties.strength[members], group))
    starts = np.searchsorted(group[ranked], np.arange(count + 1))

    result = []
    for c in range(count):
        size = int(starts[c + 1] - starts[c])
        areas = area_rows[area_starts[c] : area_starts[c + 1]][:top]
        result.append(
            {
                "id": c + 1,
                "size": size,
                "producers": int(producers[c]),
                "buyers": size - int(producers[c]),
                "kinds": {kind_names[k]: int(kinds[c, k]) for k in np.flatnonzero(kinds[c])},
                "areas": {area_names[area_code[a]]: int(area_counts[a]) for a in areas},
                "top_members": [
                    labels.summary(i)
                    for i in members[ranked[starts[c] : starts[c] + min(top, size)]]
                ],
            }
        )
    return {"modularity": round(modularity, 4), "communities": result}


def _membership(snapshot: GraphSnapshot, seed: int) -> np.ndarray:
    """The community of each tied actor (``_Ties.nodes``), by igraph's multilevel method."""
    ties = _cached(snapshot, "ties", _ties)
    with _IGRAPH_RANDOM:
        igraph.set_random_number_generator(random.Random(seed))
        try:
            # GraphBase's method: the wrapper's clustering object costs a pass over every actor.
            membership = igraph.GraphBase.community_multilevel(ties.graph, ties.weight.tolist())
        finally:
            igraph.set_random_number_generator(random)
    return np.asarray(membership, np.int64)


def _sales(snapshot: GraphSnapshot) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sale linkages from a producer to a buyer: the producer, the buyer unit (a store's chain,
    else the buyer) and the volume (NaN unknown), in the order ``linkage.graph.dependence`` meets
    them (buyers in the order of their first linkage, then linkage by linkage), so that sums are
    taken in the same order and shares agree to the last bit."""
    n = snapshot.size
    links = snapshot.links
    flow = _cached(snapshot, "flow", _flow)
    source = links["source"].to_numpy(np.int64)
    target = links["target"].to_numpy(np.int64)
    to_buyer = np.flatnonzero(snapshot.is_producer[source] & ~snapshot.is_producer[target])
    _, first, pair = np.unique(
        source[to_buyer] * n + target[to_buyer], return_index=True, return_inverse=True
    )
    first_row = to_buyer[first][pair.reshape(-1)]
    sale = flow.is_sale[to_buyer]
    rows, first_row = to_buyer[sale], first_row[sale]
    rows = rows[np.lexsort((rows, first_row))]
    chain = snapshot.actors["chain"].to_numpy().astype(np.int64)
    unit = np.where(chain[target[rows]] >= 0, chain[target[rows]], target[rows])
    return source[rows], unit, links["volume"].to_numpy(float)[rows]


def _modularity(ties: _Ties, membership: np.ndarray) -> float:
    """The modularity of a partition of the weighted ties, computed as
    ``networkx.community.modularity`` computes it (community by community, in the order of their
    numbers): modularity is a ratio of small integers, often exactly halfway between two rounded
    values, and then the order of the float operations decides its rounding."""
    low, high = (membership[end] for end in ties.ends)
    weight = ties.weight
    inside = low == high
    count = int(membership.max()) + 1
    inner = np.bincount(low[inside], weight[inside], minlength=count)
    degree = np.bincount(membership, ties.strength[ties.nodes], minlength=count)
    degree_sum = int(ties.strength.sum())
    m, norm = degree_sum / 2, 1 / degree_sum**2
    return sum((inner / m - degree * degree * norm).tolist())


def dependence(
    snapshot: GraphSnapshot, *, min_share: float = 0.0, min_buyers: int = 1
) -> list[dict]:
    """``linkage.graph.dependence`` on a snapshot: how much each selling producer depends on its
    largest buyer (a store's sales counting as its chain's).

    Shares are of monthly volume when every sale of the producer states one, otherwise of the
    number of linkages. Returns ``{"producer", "buyers", "largest_buyer", "largest_share",
    "herfindahl", "basis"}`` for producers with at least ``min_buyers`` buyers and a largest share
    of at least ``min_share``, most dependent first.
    """
    n = snapshot.size
    producer, unit, volume = _cached(snapshot, "sales", _sales)
    if not len(producer):
        return []
    keys, first_seen, group = np.unique(producer * n + unit, return_index=True, return_inverse=True)
    group = group.reshape(-1)
    counts = np.bincount(group).astype(float)
    volumes = np.bincount(group, np.nan_to_num(volume, nan=0.0))
    group_producer, group_unit = keys // n, keys % n
    unknown = np.zeros(n, bool)
    unknown[producer[np.isnan(volume)]] = True
    # Units in the order the reference meets them, producer by producer.
    order = np.lexsort((first_seen, group_producer))
    group_producer, group_unit = group_producer[order], group_unit[order]
    counts, volumes = counts[order], volumes[order]
    volume_total = np.bincount(group_producer, volumes, minlength=n)
    by_volume = ~unknown & (volume_total > 0)
    amounts = np.where(by_volume[group_producer], volumes, counts)
    total = np.bincount(group_producer, amounts, minlength=n)
    shares = amounts / total[group_producer]
    herfindahl = np.bincount(group_producer, shares * shares, minlength=n)
    units = np.bincount(group_producer, minlength=n)

    labels = _cached(snapshot, "labels", _labels)
    best = np.lexsort((labels.code_rank[group_unit], -shares, group_producer))
    leaders = best[np.r_[True, group_producer[best][1:] != group_producer[best][:-1]]]
    producer_of = group_producer[leaders]
    kept = (units[producer_of] >= max(1, min_buyers)) & (shares[leaders] >= min_share)
    leaders, producer_of = leaders[kept], producer_of[kept]
    share = _rounded(shares[leaders], 4)
    concentration = _rounded(herfindahl[producer_of], 4)
    ranked = np.lexsort((labels.code_rank[producer_of], -share, -concentration))
    code, name, type_, kind, _ = labels.rows
    return [
        {
            "producer": {"code": code[p], "name": name[p], "type": type_[p], "kind": kind[p]},
            "buyers": buyers,
            "largest_buyer": {"code": code[b], "name": name[b], "type": type_[b], "kind": kind[b]},
            "largest_share": largest,
            "herfindahl": index,
            "basis": "volume" if volume else "linkages",
        }
        for p, buyers, b, largest, index, volume in zip(
            producer_of[ranked].tolist(),
            units[producer_of][ranked].tolist(),
            group_unit[leaders][ranked].tolist(),
            share[ranked].tolist(),
            concentration[ranked].tolist(),
            by_volume[producer_of][ranked].tolist(),
            strict=True,
        )
    ]


def _rounded(values: np.ndarray, digits: int) -> np.ndarray:
    """``round(value, digits)`` of each value, as Python rounds (correctly, half to even).

    Scaling and ``rint`` give the same result except where the scaled value lies within float
    error of a half, which is then left to Python's ``round``: Python's own ``round`` on every
    value would cost a microsecond each.
    """
    scale = 10.0**digits
    scaled = values * scale
    result = np.rint(scaled) / scale
    for i in np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6):
        result[i] = round(float(values[i]), digits)
    return result


def critical_actors(
    snapshot: GraphSnapshot, *, households_only: bool = True, limit: int = 50
) -> list[dict]:
    """``linkage.graph.critical_actors`` on a snapshot: actors whose loss cuts households off from
    every buyer (they dominate the household in the flow graph reversed from the market; igraph's
    Lengauer–Tarjan dominator tree).

    With ``households_only`` false every producer counts. Returns up to ``limit`` ``{"actor",
    "households_cut_off", "households"}`` (at most 20 codes, by code), most households first.
    """
    n = snapshot.size
    flow = _cached(snapshot, "flow", _flow)
    tree = np.asarray(flow.graph.dominator(flow.market, mode="out"), float)
    reached = ~np.isnan(tree)
    parent = np.where(reached, tree, -1).astype(np.int64)
    counted = snapshot.is_producer & reached[:n]
    if households_only:
        counted &= (snapshot.actors["kind"] == "household").to_numpy()
    walker = np.flatnonzero(counted)
    step = parent[walker]
    cut, held = [], []
    while len(walker):
        inside = step != flow.market
        walker, step = walker[inside], step[inside]
        cut.append(step)
        held.append(walker)
        step = parent[step]
    cut = np.concatenate(cut) if cut else np.zeros(0, np.int64)
    held = np.concatenate(held) if held else np.zeros(0, np.int64)
    if not len(cut):
        return []
    labels = _cached(snapshot, "labels", _labels)
    counts = np.bincount(cut, minlength=n)
    actors = np.flatnonzero(counts)
    actors = actors[np.lexsort((labels.code_rank[actors], -counts[actors]))][:limit]
    # Producers are by code in the snapshot, so position order is code order.
    order = np.lexsort((held, cut))
    starts = np.searchsorted(cut[order], actors)
    return [
        {
            "actor": labels.summary(a),
            "households_cut_off": int(counts[a]),
            "households": labels.code[held[order[s : s + min(20, counts[a])]]].tolist(),
        }
        for a, s in zip(actors, starts, strict=True)
    ]


def unlinked_producers(snapshot: GraphSnapshot, *, direct: bool = False) -> list[dict]:
    """``linkage.graph.unlinked_producers`` on a snapshot: producers with no buyer at all.

    By default a producer is linked when its goods reach some buyer, directly or through the
    producers it supplies (breadth-first search from the market over the reversed flow graph);
    with ``direct`` it must sell to a buyer itself. Returns ``{"code", "name", "type", "kind",
    "area", "products", "supplies"}`` per producer, by code.
    """
    return unlinked_rows(snapshot, unlinked_positions(snapshot, direct=direct))


def unlinked_positions(snapshot: GraphSnapshot, *, direct: bool = False) -> np.ndarray:
    """The positions of ``unlinked_producers`` in the snapshot, by code: a few bytes each, where
    the rows of the national registry's 200,000 households take tens of MB."""
    n = snapshot.size
    flow = _cached(snapshot, "flow", _flow)
    linked = flow.sells.copy()
    if not direct:
        reached = csgraph.breadth_first_order(
            flow.matrix, flow.market, directed=True, return_predecessors=False
        )
        linked[reached[reached < n]] = True
    return np.flatnonzero(snapshot.is_producer & ~linked)


def unlinked_rows(snapshot: GraphSnapshot, positions: np.ndarray) -> list[dict]:
    """The rows of ``unlinked_producers`` for producers at ``positions``."""
    supplies = _cached(snapshot, "supplies", _supplies)
    labels = _cached(snapshot, "labels", _labels)
    code, name, type_, kind, area = labels.rows
    products, supplied = labels.product_code, supplies.supplied
    positions = np.asarray(positions, dtype=np.int64)
    made = np.c_[labels.product_starts[positions], labels.product_starts[positions + 1]]
    starts = np.c_[supplies.starts[positions], supplies.starts[positions + 1]]
    return [
        {
            "code": code[p],
            "name": name[p],
            "type": type_[p],
            "kind": kind[p],
            "area": area[p],
            "products": products[made_from:made_to],
            "supplies": supplied[supplied_from:supplied_to].tolist(),
        }
        for p, (made_from, made_to), (supplied_from, supplied_to) in zip(
            positions.tolist(), made.tolist(), starts.tolist(), strict=True
        )
    ]


@dataclass(frozen=True)
class _FlowLinks:
    """Flow linkages by their source (``down_*``) and, between producers, by their target
    (``up_*``), with the product each names (-1 none, -2 unknown)."""

    down_starts: np.ndarray
    down_target: np.ndarray
    down_product: np.ndarray
    up_starts: np.ndarray
    up_source: np.ndarray
    up_product: np.ndarray


def _flow_links(snapshot: GraphSnapshot) -> _FlowLinks:
    n = snapshot.size
    is_flow = _is_flow(snapshot)
    links = snapshot.links
    source = links["source"].to_numpy(np.int64)[is_flow]
    target = links["target"].to_numpy(np.int64)[is_flow]
    product = links["product"].to_numpy(np.int64)[is_flow]
    down = np.argsort(source, kind="stable")
    up = np.flatnonzero(snapshot.is_producer[source] & snapshot.is_producer[target])
    up = up[np.argsort(target[up], kind="stable")]
    return _FlowLinks(
        down_starts=_starts(source[down], n),
        down_target=target[down].astype(np.int32),
        down_product=product[down].astype(np.int32),
        up_starts=_starts(target[up], n),
        up_source=source[up].astype(np.int32),
        up_product=product[up].astype(np.int32),
    )


def supply_paths(snapshot: GraphSnapshot, product_code: str, *, limit: int = 200) -> dict:
    """``linkage.graph.supply_paths`` on a snapshot: the supply-chain paths through the producer
    of a product.

    Only the actors such paths can pass are read: the producers that supply the product's
    producer (directly or through others, by flow linkages for the product or for none), those it
    supplies in turn, the buyers of all of these and the buyers' chains; at most
    ``PATH_NEIGHBOURHOOD`` of them. Their graph goes to ``linkage.graph.supply_paths``, so the
    answer is the reference's: ``{"product", "producer", "paths", "truncated", "upstream",
    "buyers"}``. When the cap cut the walk short, ``truncated`` is true and the answer also holds
    ``"neighbourhood_limit": PATH_NEIGHBOURHOOD``. Raises ``KeyError`` for an unknown product.
    """
    product = snapshot.product_position[product_code]
    producer = int(snapshot.products["producer"].iat[product])
    links = _cached(snapshot, "flow_links", _flow_links)
    is_producer = snapshot.is_producer
    chain = snapshot.actors["chain"].to_numpy()
    seen = {producer}
    capped = False

    def walk(starts, ends_of, products, downstream):
        # Each direction keeps its own visits: a producer met downstream may also lie upstream.
        nonlocal capped
        visited, queue = {producer}, deque([producer])
        while queue:
            node = queue.popleft()
            span = slice(starts[node], starts[node + 1])
            named = products[span]
            for other in ends_of[span][(named == -1) | (named == product)].tolist():
                if other in visited:
                    continue
                if other not in seen and len(seen) >= PATH_NEIGHBOURHOOD:
                    capped = True
                    return
                visited.add(other)
                seen.add(other)
                if is_producer[other]:
                    queue.append(other)
                elif downstream and chain[other] >= 0:
                    seen.add(int(chain[other]))

    walk(links.down_starts, links.down_target, links.down_product, downstream=True)
    if not capped:
        walk(links.up_starts, links.up_source, links.up_product, downstream=False)
    labels = _cached(snapshot, "labels", _labels)
    small = snapshot.to_networkx(codes=labels.code[sorted(seen)].tolist())
    answer = reference.supply_paths(small, product_code, limit=limit)
    if capped:
        answer["truncated"] = True
        answer["neighbourhood_limit"] = PATH_NEIGHBOURHOOD
    return answer
