"""Outlet-level ranking learned from the registry's own sales.

A cooperative gets its products onto the shelves of particular stores and sales points, so the
unit ranked here is the outlet: a store of a chain, an OCOP sales point, or a chain that lists no
store (it is then its own only outlet). Platforms and traders are not outlets; ``linkage.recommend``
lists them apart.

Data in, data out, no ORM:

* ``OutletIndex(snapshot)`` — arrays over the registry's snapshot (``linkage.snapshot``):
  producers with the groups, stars and capacities of their products, outlets with the groups they
  take and their minimum stars (a store under its chain's rules too), and the producer → outlet
  sale pairs.
* ``Evidence`` — what a set of sale pairs says about outlets: suppliers per outlet and per chain,
  observed group mix, co-supplier similarity between outlets, usual supplier distance.
  Training builds it from part of the sales only, serving from all of them.
* ``pair_features`` — one row of ``FEATURES`` per (producer, outlet) pair, from an ``Evidence``.
* ``fit_ranking`` — a logistic regression on edge-split folds: a share of the sale pairs is hidden,
  every feature is computed from the rest, the hidden pairs are the positives and eligible outlets
  the producer does not sell to are the negatives. No training pair sees its own sale.
* ``heuristic_score`` — group fit × exp(−d / 10 km) × (1 + ln(1 + suppliers)): the cold-start
  ranking when there are too few sales to learn from, and one of the features.

A ``RankingModel`` is plain numbers (standardisation, coefficients), fitted with a fixed seed:
the same registry gives the same model and the same ranking.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

from .distance import EARTH_MEAN_RADIUS_KM as EARTH_RADIUS_KM
from .distance import haversine_km, unit_vectors
from .eligibility import GROUPS, buyer_rules, ratings_in_force
from .graph import SALE_KINDS
from .snapshot import GraphSnapshot

__all__ = [
    "CATEGORIES",
    "FEATURES",
    "MIN_TRAINING_SALES",
    "OUTLET_KINDS",
    "PLATFORM_KINDS",
    "TRADE_KINDS",
    "Evidence",
    "OutletIndex",
    "RankingModel",
    "best_first",
    "build_evidence",
    "co_buyer_counts",
    "eligible_outlets",
    "fit_ranking",
    "heuristic_score",
    "offers_of",
    "outlet_rules",
    "pair_features",
    "producer_offer",
    "training_examples",
]

CATEGORIES = GROUPS
OUTLET_KINDS = ("store", "sales_point")
PLATFORM_KINDS = ("ecommerce",)
TRADE_KINDS = ("wholesaler", "distributor")
HEURISTIC_SCALE_KM = 10.0
# An outlet with no place (a chain that lists no store) is ranked as if it were this far.
UNPLACED_KM = 50.0
NEARBY_KM = 10.0
NEIGHBOUR_SCALE_KM = 5.0
NEIGHBOUR_RADIUS_KM = 20.0
OTHER_GROUP_FACTOR = 0.3
# A producer's distance rank of an outlet is counted among its nearest RANK_CAP outlets.
RANK_CAP = 200
# Below this many sale pairs there is too little to learn from: the heuristic ranks.
MIN_TRAINING_SALES = 30
FEATURES = (
    "distance",
    "log_distance",
    "distance_rank",
    "distance_vs_usual",
    "group_fit",
    "log_group_fit",
    "group_mix",
    "outlet_suppliers",
    "chain_suppliers",
    "same_chain",
    "co_buyers",
    "nearby_sellers",
    "star_margin",
    "capacity",
    "sales_point",
    "heuristic",
    "log_heuristic",
)


def outlet_rules(buyer: dict, chain: dict | None) -> tuple[np.ndarray, int]:
    """A buyer node's groups (as a mask over ``CATEGORIES``) and minimum stars, under its chain's
    rules too (``linkage.eligibility.buyer_rules``)."""
    rules = buyer_rules(
        buyer["categories"],
        buyer["min_stars"],
        chain["categories"] if chain else None,
        chain["min_stars"] if chain else None,
    )
    return rules.mask(), rules.min_stars


@dataclass
class Offers:
    """What producers can offer as of a date, per group: share of valid products, best stars,
    largest monthly capacity (NaN when unknown). Rows follow ``OutletIndex.p_codes``."""

    share: np.ndarray
    stars: np.ndarray
    capacity: np.ndarray


class OutletIndex:
    """Producers, outlets and their sale pairs as arrays, built once per snapshot of the registry
    (``linkage.snapshot.GraphSnapshot``)."""

    def __init__(self, snapshot: GraphSnapshot, previous: OutletIndex | None = None):
        """``previous``, the index of an earlier snapshot, lends what has not changed since (the
        nearest outlets of each producer, when nobody has moved)."""
        self.snapshot = snapshot
        self.products = snapshot.product_table
        actors = snapshot.actors
        code = actors["code"].to_numpy(dtype=object)
        kind = snapshot.kinds
        chain = actors["chain"].to_numpy()
        producer = snapshot.is_producer
        lat, lon = actors["lat"].to_numpy(float), actors["lon"].to_numpy(float)
        # Producers come first in the snapshot, by code: a producer's number is its position.
        # An array, not a list: the snapshot's own strings, 8 bytes each for 200,000 producers.
        self.p_codes = code[producer]
        self.p_pos = _Producers(snapshot.position, len(self.p_codes))
        self.p_lat, self.p_lon = lat[producer], lon[producer]
        buyers = np.flatnonzero(~producer)
        is_chain = kind[buyers] == "retail_chain"
        has_store = np.zeros(len(code), bool)
        has_store[chain[buyers][chain[buyers] >= 0]] = True
        chains = buyers[is_chain]
        self.c_codes = code[chains].tolist()
        self.c_pos = {c: i for i, c in enumerate(self.c_codes)}
        chain_number = np.full(len(code), -1, np.int64)
        chain_number[chains] = np.arange(len(chains))
        outlet = np.isin(kind[buyers], OUTLET_KINDS) | (is_chain & ~has_store[buyers])
        outlets = buyers[outlet]
        self.o_codes = code[outlets].tolist()
        self.o_pos = {c: i for i, c in enumerate(self.o_codes)}
        self.o_kind = kind[outlets].tolist()
        self.o_lat, self.o_lon = lat[outlets], lon[outlets]
        # A chain listing no store is its own outlet; a store answers to its chain.
        own_chain = np.where(kind[outlets] == "retail_chain", chain_number[outlets], -1)
        store_chain = np.where(chain[outlets] >= 0, chain_number[np.maximum(chain[outlets], 0)], -1)
        self.o_chain = np.where(own_chain >= 0, own_chain, store_chain).astype(np.int64)
        categories = actors["categories"].to_numpy(dtype=object)
        min_stars = actors["min_stars"].to_numpy(float)

        def rules_of(i: int) -> dict:
            stars = min_stars[i]
            return {"categories": categories[i], "min_stars": None if stars != stars else stars}

        # Stores of one chain mostly share their rules: each combination is worked out once.
        known_rules = {}

        def rules_for(i: int, chain_row: int | None):
            key = (
                categories[i],
                min_stars[i],
                *(() if chain_row is None else (categories[chain_row], min_stars[chain_row])),
            )
            if key not in known_rules:
                known_rules[key] = outlet_rules(
                    rules_of(i), None if chain_row is None else rules_of(chain_row)
                )
            return known_rules[key]

        rules = [
            rules_for(i, chains[self.o_chain[o]] if self.o_chain[o] >= 0 else None)
            for o, i in enumerate(outlets.tolist())
        ]
        self.o_takes = np.array([r[0] for r in rules], bool).reshape(-1, len(CATEGORIES))
        self.o_min_stars = np.array([r[1] for r in rules], float)
        # Platforms and traders: ranked apart, never in an outlet's place.
        others = buyers[np.isin(kind[buyers], PLATFORM_KINDS + TRADE_KINDS)]
        self.x_codes = code[others].tolist()
        self.x_pos = {c: i for i, c in enumerate(self.x_codes)}
        self.x_kind = kind[others].tolist()
        self.x_lat, self.x_lon = lat[others], lon[others]
        rules = [rules_for(i, None) for i in others.tolist()]
        self.x_takes = np.array([r[0] for r in rules], bool).reshape(-1, len(CATEGORIES))
        self.x_min_stars = np.array([r[1] for r in rules], float)
        self.o_sales_point = np.array([k == "sales_point" for k in self.o_kind], float)
        placed = np.flatnonzero(~np.isnan(self.o_lat))
        self.o_placed = placed
        self.o_tree = (
            cKDTree(unit_vectors(self.o_lat[placed], self.o_lon[placed])) if len(placed) else None
        )
        self._index_products()
        self._index_sales(outlets, chains, others)
        self._index_nearest_outlets(previous)

    def _index_products(self):
        """Products as arrays (producer position, group, stars, expiry day, capacity)."""
        products = self.snapshot.products
        self.item_codes = products["code"].tolist()
        self.item_pos = self.snapshot.product_position
        group = {c: g for g, c in enumerate(CATEGORIES)}
        self.items = {
            "producer": products["producer"].to_numpy(np.int64),
            "group": np.array([group.get(c, -1) for c in products["category"].tolist()], np.int64),
            "stars": products["stars"].fillna(0).to_numpy(float),
            "rated": np.array(
                [(d or dt.date.min).toordinal() for d in products["rated_on"].tolist()], np.int64
            ),
            "expires": np.array(
                [(d or dt.date.max).toordinal() for d in products["rating_expires_on"].tolist()],
                np.int64,
            ),
            "capacity": products["capacity_per_month"].to_numpy(float),
        }
        self.item_by_producer = np.argsort(self.items["producer"], kind="stable")
        self.item_start = np.searchsorted(
            self.items["producer"][self.item_by_producer], np.arange(self.n_p + 1)
        )

    def rated_items(self, as_of: dt.date) -> np.ndarray:
        """Which products hold a rating in force on ``as_of`` (``linkage.eligibility``), with
        stars in a known group."""
        items = self.items
        in_force = ratings_in_force(items["rated"], items["expires"], as_of)
        return in_force & (items["stars"] > 0) & (items["group"] >= 0)

    def sells_product(self, p: int, o: int, product: str | None) -> bool:
        """Whether producer ``p`` sells at outlet ``o`` (``-1 - x`` for platform or trader
        ``x``): any product when ``product`` is None, else that one or an unnamed one."""
        named = self.pair_products.get((p, o))
        if named is None:
            return False
        return product is None or product in named or None in named

    def items_of(self, p: int) -> np.ndarray:
        """Positions of producer ``p``'s products in ``items``."""
        return self.item_by_producer[self.item_start[p] : self.item_start[p + 1]]

    def _index_sales(self, outlets: np.ndarray, chains: np.ndarray, others: np.ndarray):
        """Sale pairs (producer, outlet), and producers' direct sales to chains."""
        snapshot = self.snapshot
        links = snapshot.links
        n = snapshot.size
        number_of = {}
        for name, rows in (("o", outlets), ("c", chains), ("x", others)):
            numbers = np.full(n, -1, np.int64)
            numbers[rows] = np.arange(len(rows))
            number_of[name] = numbers
        source = links["source"].to_numpy(np.int64)
        target = links["target"].to_numpy(np.int64)
        sale = (
            links["kind"].astype(object).isin(SALE_KINDS).to_numpy()
            & snapshot.is_producer[source]
            & ~snapshot.is_producer[target]
        )
        p, target = source[sale], target[sale]
        o, c, x = (number_of[name][target] for name in ("o", "c", "x"))
        product = links["product"].to_numpy()[sale]
        volume = links["volume"].to_numpy(float)[sale]
        product_codes = np.array([*self.item_codes, "?", None], dtype=object)
        named = product_codes[product]  # -1 → None, -2 → "?" (a product it does not hold)
        # Which products each pair's sales name (None: a sale naming no product); a platform or
        # trader ``x`` is keyed as outlet ``-1 - x``.
        self.pair_products: dict[tuple[int, int], set[str | None]] = {}
        counted = (o >= 0) | (x >= 0)
        place = np.where(o >= 0, o, -1 - x)
        pairs = zip(p[counted].tolist(), place[counted].tolist(), strict=True)
        for pair, code in zip(pairs, named[counted].tolist(), strict=True):
            self.pair_products.setdefault(pair, set()).add(code)
        to_outlet, to_chain, to_other = o >= 0, c >= 0, x >= 0
        self.sales = np.unique(np.column_stack([p[to_outlet], o[to_outlet]]), axis=0).reshape(-1, 2)
        self.chain_sales = np.unique(np.column_stack([p[to_chain], c[to_chain]]), axis=0).reshape(
            -1, 2
        )
        self.other_sales = np.unique(np.column_stack([p[to_other], x[to_other]]), axis=0).reshape(
            -1, 2
        )
        self.x_suppliers = np.bincount(self.other_sales[:, 1], minlength=len(self.x_codes))
        known = to_outlet & ~np.isnan(volume)
        typical = (
            pd.Series(volume[known]).groupby(o[known]).median()
            if known.any()
            else pd.Series(dtype=float)
        )
        self.o_typical_volume = typical.reindex(range(self.n_o)).to_numpy(float)

    @property
    def n_p(self) -> int:
        return len(self.p_codes)

    @property
    def n_o(self) -> int:
        return len(self.o_codes)

    def closer_outlets(self, p: np.ndarray, distance: np.ndarray) -> np.ndarray:
        """How many placed outlets lie within ``distance`` km of each producer ``p``, counted up
        to ``RANK_CAP``: past the nearest few hundred outlets a rank says nothing more."""
        counts = np.full(len(p), float(RANK_CAP))
        placed = ~np.isnan(distance) & (self.near_row[p] >= 0)
        if not placed.any():
            return counts
        reach = distance[placed] * (1 + 1e-9)
        rows = self.near_row[p[placed]]
        if (rows == rows[0]).all():
            # One producer against many outlets: one sorted row answers them all.
            counts[placed] = np.searchsorted(self.near_km[rows[0]], reach, side="right")
        else:
            counts[placed] = (self.near_km[rows] <= reach[:, None]).sum(axis=1)
        return counts

    def _index_nearest_outlets(self, previous: OutletIndex | None = None):
        """For each placed producer with a product, the distances to its ``RANK_CAP`` nearest
        outlets, ascending (inf past the last outlet); ``previous``'s when the same producers
        offer products at the same places and the outlets stand where they stood."""
        offering = np.zeros(self.n_p, bool)
        offering[self.items["producer"]] = True
        chosen = np.flatnonzero(offering & ~np.isnan(self.p_lat))
        if previous is not None and self._same_places(previous, chosen):
            self.near_row, self.near_km = previous.near_row, previous.near_km
            return
        self.near_row = np.full(self.n_p, -1, np.int64)
        self.near_row[chosen] = np.arange(len(chosen))
        self.near_km = np.full((len(chosen), RANK_CAP), np.inf, np.float32)
        if self.o_tree is None or not len(chosen):
            return
        k = min(RANK_CAP, len(self.o_placed))
        chord, _ = self.o_tree.query(unit_vectors(self.p_lat[chosen], self.p_lon[chosen]), k=k)
        chord = np.asarray(chord).reshape(len(chosen), k)
        self.near_km[:, :k] = 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2, 0, 1))

    def _same_places(self, previous: OutletIndex, chosen: np.ndarray) -> bool:
        same = np.array_equal
        return (
            previous.n_p == self.n_p
            and same(previous.near_row, self._rows_of(chosen))
            and same(previous.p_lat[chosen], self.p_lat[chosen])
            and same(previous.p_lon[chosen], self.p_lon[chosen])
            and same(previous.o_lat[previous.o_placed], self.o_lat[self.o_placed])
            and same(previous.o_lon[previous.o_placed], self.o_lon[self.o_placed])
        )

    def _rows_of(self, chosen: np.ndarray) -> np.ndarray:
        rows = np.full(self.n_p, -1, np.int64)
        rows[chosen] = np.arange(len(chosen))
        return rows


class _Producers(Mapping):
    """Producer code → number: the snapshot's own positions, producers being its first rows (a
    second dict of 200,000 codes would cost tens of MB per process)."""

    def __init__(self, position: Mapping[str, int], count: int):
        self._position, self._count = position, count

    def __getitem__(self, code: str) -> int:
        i = self._position[code]
        if i >= self._count:
            raise KeyError(code)
        return i

    def __contains__(self, code) -> bool:
        return self._position.get(code, self._count) < self._count

    def __iter__(self):
        return (code for code, i in self._position.items() if i < self._count)

    def __len__(self) -> int:
        return self._count


def _number(value) -> float:
    return np.nan if value is None else float(value)


def offers_of(index: OutletIndex, as_of: dt.date) -> Offers:
    """What each producer offers as of ``as_of``: its rated products whose rating is valid."""
    n = len(CATEGORIES)
    items = index.items
    valid = index.rated_items(as_of)
    owner = items["producer"]
    totals = np.bincount(owner, minlength=index.n_p).astype(float)
    cell = owner[valid] * n + items["group"][valid]
    counts = np.bincount(cell, minlength=index.n_p * n).reshape(index.n_p, n)
    stars = np.zeros(index.n_p * n)
    np.maximum.at(stars, cell, items["stars"][valid])
    capacity = np.full(index.n_p * n, -np.inf)
    known = ~np.isnan(items["capacity"][valid])
    np.maximum.at(capacity, cell[known], items["capacity"][valid][known])
    capacity = np.where(np.isinf(capacity), np.nan, capacity).reshape(index.n_p, n)
    # Group fit is a share of all the producer's products, expired ones included: a producer
    # mostly of another group is a weaker fit even while only its food product is rated.
    share = counts / np.maximum(totals, 1)[:, None]
    return Offers(share=share, stars=stars.reshape(index.n_p, n), capacity=capacity)


def producer_offer(
    index: OutletIndex, p: int, as_of: dt.date, product: str | None = None
) -> Offers:
    """``offers_of`` for one producer (or one of its products) alone: a single row."""
    items = index.items
    mine = index.items_of(p)
    if product is not None:
        mine = np.array([index.item_pos[product]])
    n = len(CATEGORIES)
    share, stars, capacity = np.zeros((1, n)), np.zeros((1, n)), np.full((1, n), np.nan)
    valid = mine[index.rated_items(as_of)[mine]]
    for i in valid.tolist():
        g = items["group"][i]
        share[0, g] += 1 / len(mine)
        stars[0, g] = max(stars[0, g], items["stars"][i])
        if not np.isnan(items["capacity"][i]):
            capacity[0, g] = np.fmax(capacity[0, g], items["capacity"][i])
    return Offers(share=share, stars=stars, capacity=capacity)


def eligible_outlets(index: OutletIndex, offers: Offers, p: int) -> np.ndarray:
    """Outlets that take a group the producer offers at the outlet's minimum stars."""
    stars = (offers.stars[p][None, :] * index.o_takes).max(axis=1)
    return (stars > 0) & (stars >= index.o_min_stars)


@dataclass
class Evidence:
    """What a set of sale pairs says about outlets, and who sells where."""

    sells: sparse.csr_matrix  # producer × outlet, 1 for a sale pair
    sells_by_outlet: sparse.csc_matrix  # the same, by column
    chain_sells: sparse.csr_matrix  # producer × chain: sales to any store of it or to it
    suppliers: np.ndarray  # per outlet
    chain_suppliers: np.ndarray  # per outlet: its chain's suppliers (its own when chainless)
    group_mix: np.ndarray  # outlet × group: smoothed share of its suppliers' products
    similarity: sparse.csc_matrix  # outlet × outlet co-supplier cosine, no diagonal
    usual_km: np.ndarray  # per outlet: median distance of its suppliers
    neighbours: sparse.csr_matrix  # producer × producer nearness, weighted by group likeness
    neighbour_total: np.ndarray
    nearby_same_group: sparse.csr_matrix  # producer × producer: same group within NEARBY_KM


def build_evidence(index: OutletIndex, sales: np.ndarray, offers: Offers) -> Evidence:
    """``Evidence`` from the sale pairs ``sales`` (rows of (producer, outlet) positions)."""
    n_p, n_o, n_c = index.n_p, index.n_o, len(index.c_codes)
    p, o = sales[:, 0], sales[:, 1]
    sells = sparse.csr_matrix((np.ones(len(p)), (p, o)), shape=(n_p, n_o))
    suppliers = np.asarray(sells.sum(axis=0)).ravel()
    chain_of = index.o_chain
    in_chain = chain_of[o] >= 0
    chain_rows = np.r_[p[in_chain], index.chain_sales[:, 0]]
    chain_cols = np.r_[chain_of[o][in_chain], index.chain_sales[:, 1]]
    chain_sells = sparse.csr_matrix(
        (np.ones(len(chain_rows)), (chain_rows, chain_cols)), shape=(n_p, max(n_c, 1))
    )
    chain_sells.data[:] = 1.0  # a producer selling to three stores is one supplier of the chain
    per_chain = np.asarray(chain_sells.sum(axis=0)).ravel()
    chain_suppliers = np.where(chain_of >= 0, per_chain[np.maximum(chain_of, 0)], suppliers)

    main_share = offers.share / np.maximum(offers.share.sum(axis=1, keepdims=True), 1e-9)
    observed = sells.T @ main_share  # outlet × group: suppliers' product shares summed
    prior = index.o_takes / index.o_takes.sum(axis=1, keepdims=True).clip(1)
    group_mix = (observed + 1.0 * prior) / (suppliers[:, None] + 1.0)

    degree = np.sqrt(np.maximum(suppliers, 1))
    co = (sells.T @ sells).tocsr()
    co.setdiag(0)
    co.eliminate_zeros()
    similarity = sparse.diags(1 / degree) @ co @ sparse.diags(1 / degree)

    distance = haversine_km(index.p_lat[p], index.p_lon[p], index.o_lat[o], index.o_lon[o])
    usual = np.full(n_o, np.nan)
    known = ~np.isnan(distance)
    if known.any():
        order = np.lexsort((distance[known], o[known]))
        by_outlet, dist_sorted = o[known][order], distance[known][order]
        starts = np.searchsorted(by_outlet, np.arange(n_o + 1))
        # Each outlet's median: the middle of its sorted run (the mean of the two middle ones).
        counts = np.diff(starts)
        has = counts > 0
        first, count = starts[:-1][has], counts[has]
        usual[has] = (dist_sorted[first + (count - 1) // 2] + dist_sorted[first + count // 2]) / 2
    overall = float(np.nanmedian(usual)) if np.isfinite(usual).any() else HEURISTIC_SCALE_KM
    usual = np.where(np.isnan(usual), overall, usual)

    neighbours, nearby = _neighbourhood(index, offers, suppliers_of=np.unique(p))
    return Evidence(
        sells=sells,
        sells_by_outlet=sells.tocsc(),
        chain_sells=chain_sells.tocsr(),
        suppliers=suppliers,
        chain_suppliers=chain_suppliers,
        group_mix=group_mix,
        similarity=similarity.tocsc(),
        usual_km=usual,
        neighbours=neighbours,
        neighbour_total=np.asarray(neighbours.sum(axis=1)).ravel(),
        nearby_same_group=nearby,
    )


def _neighbourhood(index: OutletIndex, offers: Offers, suppliers_of: np.ndarray):
    """Nearness from every producer to the selling producers around it (never itself).

    Nearness is exp(−d / 5 km) within 20 km, times 1 for the same main group and 0.3 otherwise;
    the second matrix marks selling producers of the same main group within 10 km, for reasons.
    """
    n = index.n_p
    main = np.where(offers.share.sum(axis=1) > 0, offers.share.argmax(axis=1), -1)
    sellers = suppliers_of[~np.isnan(index.p_lat[suppliers_of])]
    # Only producers with a product to offer are ever asked about: raw-material households are not.
    placed = np.flatnonzero(~np.isnan(index.p_lat) & (offers.share.sum(axis=1) > 0))
    empty = sparse.csr_matrix((n, n))
    if not len(sellers) or not len(placed):
        return empty, empty
    # Great-circle distance on a sphere of the mean radius, found as chords between unit vectors
    # (the chord grows with the arc): scipy's k-d tree, not scikit-learn's haversine ball tree,
    # so that a web process never loads scikit-learn (some 60 MB) to rank.
    angle = NEIGHBOUR_RADIUS_KM / EARTH_RADIUS_KM
    near = cKDTree(unit_vectors(index.p_lat[placed], index.p_lon[placed])).sparse_distance_matrix(
        cKDTree(unit_vectors(index.p_lat[sellers], index.p_lon[sellers])),
        max_distance=2 * np.sin(angle / 2),
        output_type="ndarray",
    )
    arcs = 2 * np.arcsin(np.minimum(near["v"] / 2, 1.0))
    within = arcs <= angle
    rows, cols = placed[near["i"][within]], sellers[near["j"][within]]
    km = arcs[within] * EARTH_RADIUS_KM
    keep = rows != cols
    rows, cols, km = rows[keep], cols[keep], km[keep]
    same = (main[rows] == main[cols]) & (main[rows] >= 0)
    weight = np.exp(-km / NEIGHBOUR_SCALE_KM) * np.where(same, 1.0, OTHER_GROUP_FACTOR)
    neighbours = sparse.csr_matrix((weight, (rows, cols)), shape=(n, n))
    close = same & (km <= NEARBY_KM)
    nearby = sparse.csr_matrix(
        (np.ones(int(close.sum())), (rows[close], cols[close])), shape=(n, n)
    )
    return neighbours, nearby


def co_buyer_counts(evidence: Evidence, p: int) -> np.ndarray:
    """Per outlet: how many producers that share an outlet with producer ``p`` sell there (the
    co-buyers baseline, and a reason)."""
    sells = evidence.sells
    shared = np.asarray((sells[p] @ sells.T).todense()).ravel() > 0
    shared[p] = False
    return np.asarray(sells.T @ shared.astype(float)).ravel()


def best_first(scores: np.ndarray, distance_km: np.ndarray, positions: np.ndarray) -> list[int]:
    """Indexes into ``scores`` best first; ties go to the nearer (no place last), then to the
    smaller position (codes are sorted, so the earlier code)."""
    near = np.where(np.isnan(distance_km), np.inf, distance_km)
    return np.lexsort((np.asarray(positions), near, -np.asarray(scores))).tolist()


def heuristic_score(fit: np.ndarray, distance_km: np.ndarray, suppliers: np.ndarray):
    """Group fit × exp(−d / 10 km) × (1 + ln(1 + current suppliers))."""
    return fit * np.exp(-distance_km / HEURISTIC_SCALE_KM) * (1 + np.log1p(suppliers))


def pair_features(
    index: OutletIndex,
    evidence: Evidence,
    offers: Offers,
    p: np.ndarray,
    o: np.ndarray,
    *,
    rows: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The features of (producer, outlet) pairs, by name (``FEATURES``), plus the raw figures
    the reasons and parts quote (``distance_km``, ``nearby_count``, ``same_chain_count``,
    ``suppliers_count``, ``capacity_known``). ``offers`` rows follow the producers, or ``rows``
    when given (one row per pair: a single product's offer, as a sourcing request sees it)."""
    p, o = np.asarray(p, np.int64), np.asarray(o, np.int64)
    r = p if rows is None else np.asarray(rows, np.int64)
    raw = haversine_km(index.p_lat[p], index.p_lon[p], index.o_lat[o], index.o_lon[o])
    distance = np.where(np.isnan(raw), UNPLACED_KM, raw)
    takes = index.o_takes[o]
    fit = (offers.share[r] * takes).sum(axis=1)
    best_stars = (offers.stars[r] * takes).max(axis=1)
    minimum = np.where(index.o_min_stars[o] > 0, index.o_min_stars[o], 3)
    capacity = np.nanmax(np.where(takes, offers.capacity[r], np.nan), axis=1, initial=-np.inf)
    volume = index.o_typical_volume[o]
    with np.errstate(divide="ignore", invalid="ignore"):
        capacity_ratio = np.log(capacity / volume)
    capacity_ratio = np.clip(np.nan_to_num(capacity_ratio, nan=0.0, posinf=3, neginf=-3), -3, 3)
    share = offers.share[r] / np.maximum(offers.share[r].sum(axis=1, keepdims=True), 1e-9)
    mix = (share * evidence.group_mix[o]).sum(axis=1)

    chain = index.o_chain[o]
    same_chain = np.zeros(len(p))
    in_chain = chain >= 0
    if in_chain.any():
        same_chain[in_chain] = _pick(evidence.chain_sells, p[in_chain], chain[in_chain])
    by_outlet = (evidence.sells, evidence.sells_by_outlet)
    # The similarity is symmetric: its transpose is the same matrix by rows.
    co_buyers = _pick_product(evidence.sells, (evidence.similarity.T, evidence.similarity), p, o)
    nearby_weight = _pick_product(evidence.neighbours, by_outlet, p, o)
    nearby_sellers = nearby_weight / (evidence.neighbour_total[p] + 1.0)
    nearby_count = _pick_product(evidence.nearby_same_group, by_outlet, p, o)
    suppliers = evidence.suppliers[o]
    closer = index.closer_outlets(p, raw)
    features = {
        "distance": distance / HEURISTIC_SCALE_KM,
        "log_distance": np.log1p(distance),
        "distance_rank": np.log1p(closer),
        "distance_vs_usual": np.log1p(distance) - np.log1p(evidence.usual_km[o]),
        "group_fit": fit,
        "log_group_fit": np.log(fit + 0.05),
        "group_mix": np.log(mix + 0.01),
        "outlet_suppliers": np.log1p(suppliers),
        "chain_suppliers": np.log1p(evidence.chain_suppliers[o]),
        "same_chain": np.log1p(same_chain),
        "co_buyers": np.log1p(co_buyers),
        "nearby_sellers": nearby_sellers,
        "star_margin": best_stars - minimum,
        "capacity": capacity_ratio,
        "sales_point": index.o_sales_point[o],
        "heuristic": heuristic_score(fit, distance, suppliers),
    }
    # The heuristic is a product: in logs the model can weigh its factors, or keep it whole.
    features["log_heuristic"] = np.log(features["heuristic"] + 1e-4)
    features["distance_km"] = raw
    features["nearby_count"] = nearby_count
    features["same_chain_count"] = same_chain
    features["suppliers_count"] = suppliers
    features["capacity_known"] = np.isfinite(capacity) & ~np.isnan(volume) & (volume > 0)
    return features


def _pick(matrix: sparse.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    return np.asarray(matrix[rows, cols]).ravel()


def _pick_product(left: sparse.csr_matrix, right, rows, cols) -> np.ndarray:
    """``(left @ right)[rows, cols]`` without forming the whole product: only the rows and the
    columns asked for take part (one producer against every outlet, or every producer against
    one outlet, stay cheap). ``right`` is the matrix by rows and by columns, ``(csr, csc)``."""
    if not len(rows):
        return np.zeros(0)
    by_row, by_col = right
    unique_rows, row_of = np.unique(rows, return_inverse=True)
    if len(unique_rows) == 1:
        # One producer: the weighted sum of the few rows of ``right`` its own row points at.
        own = left[unique_rows[0]]
        if not own.nnz:
            return np.zeros(len(rows))
        return np.asarray(by_row[own.indices].T @ own.data).ravel()[cols]
    unique_cols, col_of = np.unique(cols, return_inverse=True)
    # Selecting most of a matrix's rows or columns costs a copy of it: take it whole instead.
    if len(unique_rows) * 4 > left.shape[0]:
        unique_rows, row_of = np.arange(left.shape[0]), rows
    if len(unique_cols) * 4 > by_col.shape[1]:
        unique_cols, col_of = np.arange(by_col.shape[1]), cols
    block = left[unique_rows] @ by_col[:, unique_cols]
    if len(unique_cols) == 1:
        return np.asarray(block.toarray()).ravel()[row_of]
    return np.asarray(block.tocsr()[row_of, col_of]).ravel()


def feature_matrix(features: dict[str, np.ndarray]) -> np.ndarray:
    return np.column_stack([features[name] for name in FEATURES])


@dataclass
class RankingModel:
    """A fitted ranking: standardisation and logistic-regression coefficients over ``FEATURES``."""

    mean: np.ndarray
    scale: np.ndarray
    coefficients: np.ndarray
    intercept: float
    features: tuple[str, ...]
    seed: int
    training_pairs: int
    positives: int
    sale_pairs: int
    version: str | None = None

    def score(self, features: dict[str, np.ndarray]) -> np.ndarray:
        """The probability-like score in (0, 1) of each pair."""
        x = (feature_matrix(features) - self.mean) / self.scale
        return 1.0 / (1.0 + np.exp(-(x @ self.coefficients + self.intercept)))


def training_examples(
    index: OutletIndex,
    *,
    as_of: dt.date,
    folds: int = 4,
    hide: float = 0.2,
    negatives: int = 100,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """Edge-split training rows: ``(X, y, folds)``.

    In each fold a share ``hide`` of the sale pairs is hidden and every feature is computed from
    the remaining pairs alone; the hidden pairs are the positives, and up to ``negatives``
    eligible outlets per producer that it sells to in none of the pairs are the negatives. Each
    entry of ``folds`` holds the fold's ``visible`` pairs, ``pairs`` and ``labels`` (for checks).
    """
    rng = np.random.default_rng(seed)
    offers = offers_of(index, as_of)
    sales = index.sales
    sold = sparse.csr_matrix(
        (np.ones(len(sales)), (sales[:, 0], sales[:, 1])), shape=(index.n_p, index.n_o)
    )
    rows, labels, kept = [], [], []
    n_hide = max(1, round(len(sales) * hide))
    for _ in range(folds):
        order = rng.permutation(len(sales))
        hidden, visible = sales[order[:n_hide]], sales[order[n_hide:]]
        evidence = build_evidence(index, visible, offers)
        hidden = hidden[np.lexsort((hidden[:, 1], hidden[:, 0]))]
        starts = np.searchsorted(hidden[:, 0], np.arange(index.n_p + 1))
        ps, os_, ys = [], [], []
        for p in np.flatnonzero(np.diff(starts)):
            if np.isnan(index.p_lat[p]):
                continue
            eligible = eligible_outlets(index, offers, p)
            positives = hidden[starts[p] : starts[p + 1], 1]
            positives = positives[eligible[positives]]
            if not len(positives):
                continue
            eligible[sold[p].indices] = False  # sold to in any fold: never a negative
            pool = np.flatnonzero(eligible)
            if len(pool) > negatives:
                pool = np.sort(rng.choice(pool, size=negatives, replace=False))
            ps.append(np.full(len(positives) + len(pool), p))
            os_.append(np.r_[positives, pool])
            ys.append(np.r_[np.ones(len(positives)), np.zeros(len(pool))])
        if not ps:
            continue
        p_arr, o_arr, y = np.concatenate(ps), np.concatenate(os_), np.concatenate(ys)
        rows.append(feature_matrix(pair_features(index, evidence, offers, p_arr, o_arr)))
        labels.append(y)
        kept.append({"visible": visible, "pairs": np.c_[p_arr, o_arr], "labels": y})
    if not rows:
        return np.zeros((0, len(FEATURES))), np.zeros(0), kept
    return np.vstack(rows), np.concatenate(labels), kept


def fit_ranking(
    index: OutletIndex, *, as_of: dt.date, seed: int = 0, version: str | None = None
) -> RankingModel | None:
    """The ranking learned from the index's sales, or None when there are too few to learn from
    (fewer than ``MIN_TRAINING_SALES`` sale pairs, or no positive and negative examples)."""
    if len(index.sales) < MIN_TRAINING_SALES:
        return None
    x, y, _ = training_examples(index, as_of=as_of, seed=seed)
    if len(y) == 0 or y.min() == y.max():
        return None
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    # Imported here: web processes score with the coefficients and never load scikit-learn.
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0, max_iter=2000, random_state=seed)
    model.fit((x - mean) / scale, y)
    return RankingModel(
        mean=mean,
        scale=scale,
        coefficients=model.coef_[0].copy(),
        intercept=float(model.intercept_[0]),
        features=FEATURES,
        seed=seed,
        training_pairs=len(y),
        positives=int(y.sum()),
        sale_pairs=len(index.sales),
        version=version,
    )
