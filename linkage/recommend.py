"""Recommendations: buyers for a producer or a product, suppliers for a buyer or a sourcing request.

Data in, dicts out: the functions read a ``RecommenderIndex`` (numpy arrays and a BallTree built
once from the linkage graph of ``linkage.graph``) and never touch the database.

Candidates are "buyer units": a retail chain stands for its stores (it decides what they stock, and
is recommended together with its nearest stores); any other buyer stands for itself.

Hard rules come first; a candidate that breaks one is never listed:
  * the buyer takes the product's group (a buyer listing no group takes every group);
  * the product has at least the buyer's (and the sourcing request's) minimum stars;
  * the product's rating has not expired (one expiring within 6 months is flagged);
  * the buyer is within the maximum distance, when one is given (a buyer with no location — a
    platform, a chain with no store listed — is not held to it);
  * pairs already linked by a sale, a listing or an MOU are left out unless asked for.

The score of a candidate is a weighted mean of five parts, each in [0, 1]:
  * ``category``: how much of the buyer's current buying is in the product's group, smoothed
    towards its declared groups: (n_group + 2·prior) / (n_all + 2), prior = 1 / groups declared;
  * ``distance``: exp(−d / 25 km) for the distance d to the buyer (a chain's nearest store):
    great-circle (vectorised) to rank everyone, geodesic (geopy) for the rows listed; 0.5 when
    the buyer has no location;
  * ``capacity``: min(1, monthly capacity / quantity needed), where the quantity is the request's
    or the buyer's median monthly volume per supplier; 0.5 when either is unknown;
  * ``stars``: 0.5 + 0.5 · (stars − minimum) / (5 − minimum), the minimum being 3 when unset;
  * ``graph``: "buyers already take this kind of product from producers near you" — the share of
    the selling producers around the producer that sell to this buyer. Each neighbour q counts
    with its nearness exp(−d / 5 km) (within 20 km) plus 1 when in the same area, times 1 when
    it sells the buyer the same group and 0.3 otherwise; the sum is divided by the total
    nearness of all selling neighbours plus 1 (one imaginary neighbour who sells to nobody, so
    that one neighbour is weak evidence). The same sparse nearness matrix serves both directions.
Weights default to ``DEFAULT_WEIGHTS``; a request may set each in [0, 1] and they are normalised to
sum 1. Every result lists each part with its value and weight.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping

import networkx as nx
import numpy as np
from geopy.distance import geodesic
from scipy import sparse
from sklearn.neighbors import BallTree

from .dates import add_months
from .graph import SALE_KINDS

__all__ = [
    "DEFAULT_WEIGHTS",
    "PARTS",
    "RecommenderIndex",
    "geodesic_km",
    "haversine_km",
    "parse_weights",
    "recommend_buyers",
    "recommend_suppliers",
    "score_buyers_for_product",
]

EARTH_RADIUS_KM = 6371.0088
PARTS = ("category", "distance", "capacity", "stars", "graph")
DEFAULT_WEIGHTS = {
    "category": 0.15,
    "distance": 0.2,
    "capacity": 0.05,
    "stars": 0.05,
    "graph": 0.55,
}
DISTANCE_SCALE_KM = 25.0
GRAPH_SCALE_KM = 5.0
GRAPH_RADIUS_KM = 4 * GRAPH_SCALE_KM
OTHER_GROUP_FACTOR = 0.3
SIGNAL_SMOOTHING = 1.0
CATEGORY_SMOOTHING = 2.0
DEFAULT_MIN_STARS = 3
EXPIRY_WARNING_MONTHS = 6
NEUTRAL = 0.5
NEAREST_STORES = 3
CATEGORIES = ("food", "beverages", "herbal", "textiles", "handicraft", "tourism")


def haversine_km(lat, lon, lats, lons) -> np.ndarray:
    """Great-circle distances in km from one point to many; NaN where a point is missing."""
    lat1, lon1 = np.radians(lat), np.radians(lon)
    lat2, lon2 = np.radians(np.asarray(lats, float)), np.radians(np.asarray(lons, float))
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def geodesic_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance in km between two (lat, lon) points on the WGS 84 ellipsoid."""
    return geodesic(a, b).km


def parse_weights(raw: Mapping[str, object] | None) -> dict[str, float]:
    """Weights of the score parts, normalised to sum 1.

    ``raw`` maps part names (``category``, ``distance``, ``capacity``, ``stars``, ``graph``) to
    numbers or numeric strings; parts not given keep their default weight. Raises ``ValueError``
    with ``(part, reason)`` as its args when a value is not a number in [0, 1], or when all
    weights are zero.
    """
    weights = dict(DEFAULT_WEIGHTS)
    for part, value in (raw or {}).items():
        if part not in weights:
            raise ValueError(part, f"unknown part; use one of {', '.join(PARTS)}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(part, "must be a number between 0 and 1") from None
        if not 0.0 <= number <= 1.0:
            raise ValueError(part, "must be between 0 and 1")
        weights[part] = number
    total = sum(weights.values())
    if total <= 0:
        raise ValueError(next(iter(raw or PARTS)), "the weights cannot all be zero")
    return {part: weights[part] / total for part in PARTS}


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, e)`` for each pair, without a Python loop."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return np.arange(total) + offsets


class RecommenderIndex:
    """Arrays over the linkage graph for fast, vectorised scoring.

    Built once per graph (``linkage.graph_cache.get_index`` keeps it warm). Attributes are internal;
    use the module's functions.
    """

    def __init__(self, graph: nx.DiGraph):
        self.graph = graph
        self.products = graph.graph.get("products", {})
        producers = [n for n, d in graph.nodes(data=True) if d["type"] == "producer"]
        buyers = [n for n, d in graph.nodes(data=True) if d["type"] == "buyer"]
        self._index_producers(producers)
        self._index_units(buyers)
        self._index_sales()
        self._index_nearness()
        self._index_products()
        self._index_sale_products()
        self.unit_distances: dict[int, np.ndarray] = {}

    def _index_producers(self, producers):
        nodes = self.graph.nodes
        self.p_codes = producers
        self.p_pos = {code: i for i, code in enumerate(producers)}
        self.p_lat = np.array(
            [np.nan if nodes[c]["lat"] is None else nodes[c]["lat"] for c in producers]
        )
        self.p_lon = np.array(
            [np.nan if nodes[c]["lon"] is None else nodes[c]["lon"] for c in producers]
        )
        self.p_area = [nodes[c]["area"] for c in producers]
        self.p_offers = np.array([bool(nodes[c]["products"]) for c in producers], dtype=bool)

    def _index_units(self, buyers):
        nodes = self.graph.nodes
        units = [c for c in buyers if not (nodes[c]["chain"] and nodes[c]["chain"] in self.graph)]
        self.u_codes = units
        self.u_pos = {code: i for i, code in enumerate(units)}
        self.buyer_unit = {
            c: self.u_pos[nodes[c]["chain"] if nodes[c]["chain"] in self.u_pos else c]
            for c in buyers
            if c in self.u_pos or nodes[c]["chain"] in self.u_pos
        }
        self.u_min_stars = np.array([nodes[c]["min_stars"] or 0 for c in units], dtype=float)
        self.u_takes = {
            cat: np.array(
                [not nodes[c]["categories"] or cat in nodes[c]["categories"] for c in units],
                dtype=bool,
            )
            for cat in CATEGORIES
        }
        self.u_prior = np.array([1.0 / (len(nodes[c]["categories"]) or 6) for c in units])
        points = [
            (self.buyer_unit[c], c, nodes[c]["lat"], nodes[c]["lon"])
            for c in buyers
            if nodes[c]["lat"] is not None and c in self.buyer_unit
        ]
        points.sort(key=lambda p: (p[0], p[1]))
        self.pt_unit = np.array([p[0] for p in points], dtype=np.int64)
        self.pt_code = [p[1] for p in points]
        self.pt_lat = np.array([p[2] for p in points], dtype=float)
        self.pt_lon = np.array([p[3] for p in points], dtype=float)
        counts = np.bincount(self.pt_unit, minlength=len(units))
        self.pt_start = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        self.u_located = counts > 0

    def _index_sales(self):
        """One row per (producer, unit, product) sale; rows kept sorted by producer and by unit."""
        nodes, products = self.graph.nodes, self.products
        rows = {}
        for source, target, data in self.graph.edges(data=True):
            if nodes[source]["type"] != "producer" or target not in self.buyer_unit:
                continue
            p, u = self.p_pos[source], self.buyer_unit[target]
            for link in data["links"]:
                if link["kind"] not in SALE_KINDS:
                    continue
                product = link["product"] if link["product"] in products else None
                if product:
                    groups = {products[product]["category"]}
                else:
                    groups = {products[x]["category"] for x in nodes[source]["products"]}
                key = (p, u, product)
                entry = rows.setdefault(key, [0, [], set()])
                entry[0] |= sum(1 << CATEGORIES.index(g) for g in groups if g in CATEGORIES)
                if link["volume"] is not None:
                    entry[1].append(link["volume"])
        keys = sorted(rows, key=lambda key: (key[0], key[1], key[2] or ""))
        self.s_producer = np.array([k[0] for k in keys], dtype=np.int64)
        self.s_unit = np.array([k[1] for k in keys], dtype=np.int64)
        self.s_product = [k[2] for k in keys]
        self.s_groups = np.array([rows[k][0] for k in keys], dtype=np.int64)
        n_p, n_u = len(self.p_codes), len(self.u_codes)
        # A producer selling a buyer several products is still one supplier of it: each row
        # carries its share of the (producer, buyer) pair in the graph signal.
        pair = self.s_producer * max(1, n_u) + self.s_unit
        _, pair_id, pair_rows = np.unique(pair, return_inverse=True, return_counts=True)
        self.s_pair_share = 1.0 / pair_rows[pair_id] if len(pair) else np.zeros(0)
        self.s_p_start = np.searchsorted(self.s_producer, np.arange(n_p + 1)).astype(np.int64)
        self.p_sells = np.diff(self.s_p_start) > 0
        by_unit = np.argsort(self.s_unit, kind="stable")
        self.s_by_unit = by_unit
        self.s_u_start = np.searchsorted(self.s_unit[by_unit], np.arange(n_u + 1)).astype(np.int64)
        self.u_popularity = np.array(
            [
                len(set(self.s_producer[by_unit[a:b]]))
                for a, b in zip(self.s_u_start, self.s_u_start[1:], strict=False)
            ],
            dtype=float,
        )
        self.u_group_counts = np.zeros((n_u, len(CATEGORIES)))
        for bit in range(len(CATEGORIES)):
            has = (self.s_groups >> bit) & 1
            self.u_group_counts[:, bit] = np.bincount(self.s_unit, weights=has, minlength=n_u)
        self.u_links = np.bincount(self.s_unit, minlength=n_u).astype(float)
        volumes = defaultdict(list)
        for k in keys:
            volumes[k[1]].extend(rows[k][1])
        self.u_typical_volume = np.array(
            [float(np.median(volumes[u])) if volumes[u] else np.nan for u in range(n_u)]
        )

    def _index_nearness(self):
        """The sparse matrix of nearness from each producer with a product to each seller.

        ``nearness[p, q]`` = exp(−d / GRAPH_SCALE_KM) for d within GRAPH_RADIUS_KM, plus 1 when
        both are in the same area; q ranges over producers that sell to some buyer, never p
        itself. Both directions of the graph part read this one matrix, so they agree.
        """
        n = len(self.p_codes)
        offering, sellers = np.flatnonzero(self.p_offers), np.flatnonzero(self.p_sells)
        rows, cols, values = [], [], []
        located = offering[~np.isnan(self.p_lat[offering])]
        located_sellers = sellers[~np.isnan(self.p_lat[sellers])]
        if len(located) and len(located_sellers):
            tree = BallTree(
                np.radians(np.c_[self.p_lat[located_sellers], self.p_lon[located_sellers]]),
                metric="haversine",
            )
            found, dist = tree.query_radius(
                np.radians(np.c_[self.p_lat[located], self.p_lon[located]]),
                r=GRAPH_RADIUS_KM / EARTH_RADIUS_KM,
                return_distance=True,
            )
            counts = np.array([len(f) for f in found])
            if counts.sum():
                rows.append(np.repeat(located, counts))
                cols.append(located_sellers[np.concatenate(found)])
                values.append(np.exp(-np.concatenate(dist) * EARTH_RADIUS_KM / GRAPH_SCALE_KM))
        sellers_by_area = defaultdict(list)
        for q in sellers.tolist():
            if self.p_area[q]:
                sellers_by_area[self.p_area[q]].append(q)
        for p in offering.tolist():
            same = sellers_by_area.get(self.p_area[p]) if self.p_area[p] else None
            if same:
                rows.append(np.full(len(same), p))
                cols.append(np.array(same))
                values.append(np.ones(len(same)))
        if rows:
            rows, cols, values = np.concatenate(rows), np.concatenate(cols), np.concatenate(values)
            keep = rows != cols
            rows, cols, values = rows[keep], cols[keep], values[keep]
        else:
            rows = cols = np.zeros(0, dtype=np.int64)
            values = np.zeros(0)
        # Duplicate (p, q) entries, near and in the same area, are summed by the conversion.
        self.nearness = sparse.coo_matrix((values, (rows, cols)), shape=(n, n)).tocsr()
        self.nearness_by_seller = self.nearness.tocsc()
        self.nearness_total = np.asarray(self.nearness.sum(axis=1)).ravel()

    def _index_products(self):
        by_group = defaultdict(list)
        for code, product in self.products.items():
            if product["producer"] in self.p_pos:
                by_group[product["category"]].append(code)
        self.group_products = {}
        for group, codes in by_group.items():
            codes.sort()
            self.group_products[group] = {
                "codes": codes,
                "position": {code: i for i, code in enumerate(codes)},
                "producer": np.array([self.p_pos[self.products[c]["producer"]] for c in codes]),
                "stars": np.array([self.products[c]["stars"] or 0 for c in codes], dtype=float),
                "capacity": np.array(
                    [
                        np.nan
                        if self.products[c]["capacity_per_month"] is None
                        else self.products[c]["capacity_per_month"]
                        for c in codes
                    ]
                ),
                "expires": np.array(
                    [
                        self.products[c]["rating_expires_on"].toordinal()
                        if self.products[c]["rating_expires_on"]
                        else np.inf
                        for c in codes
                    ]
                ),
            }

    def _index_sale_products(self):
        """For each sale row: its product's group and position in that group's table, or -1."""
        group, position = [], []
        for code in self.s_product:
            product = self.products.get(code) if code else None
            table = self.group_products.get(product["category"]) if product else None
            if table is None or product["category"] not in CATEGORIES:
                group.append(-1)
                position.append(-1)
            else:
                group.append(CATEGORIES.index(product["category"]))
                position.append(table["position"][code])
        self.s_product_group = np.array(group, dtype=np.int64)
        self.s_product_pos = np.array(position, dtype=np.int64)

    def unit_points(self, unit: int) -> slice:
        return slice(self.pt_start[unit], self.pt_start[unit + 1])

    def sales_of_producer(self, p: int) -> np.ndarray:
        return np.arange(self.s_p_start[p], self.s_p_start[p + 1])

    def sales_of_unit(self, u: int) -> np.ndarray:
        return self.s_by_unit[self.s_u_start[u] : self.s_u_start[u + 1]]


def _group_bit(category: str) -> int:
    return 1 << CATEGORIES.index(category) if category in CATEGORIES else 0


def _decay(distance_km: np.ndarray, scale: float) -> np.ndarray:
    return np.where(np.isnan(distance_km), NEUTRAL, np.exp(-np.nan_to_num(distance_km) / scale))


def _category_part(index: RecommenderIndex, category: str, units: np.ndarray) -> np.ndarray:
    column = CATEGORIES.index(category) if category in CATEGORIES else None
    in_group = index.u_group_counts[units, column] if column is not None else 0.0
    prior = index.u_prior[units]
    return (in_group + CATEGORY_SMOOTHING * prior) / (index.u_links[units] + CATEGORY_SMOOTHING)


def _stars_part(stars: np.ndarray, minimum: np.ndarray) -> np.ndarray:
    minimum = np.where(minimum > 0, minimum, DEFAULT_MIN_STARS)
    return np.clip(0.5 + 0.5 * (stars - minimum) / np.maximum(1.0, 5.0 - minimum), 0.0, 1.0)


def _capacity_part(capacity, needed) -> np.ndarray:
    capacity, needed = np.asarray(capacity, float), np.asarray(needed, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.minimum(1.0, capacity / needed)
    known = ~np.isnan(capacity) & ~np.isnan(needed) & (needed > 0)
    return np.where(known, np.nan_to_num(ratio), NEUTRAL)


def _unit_distances(index: RecommenderIndex, lat: float | None, lon: float | None) -> np.ndarray:
    """Distance in km from a point to each unit's nearest location; NaN for units with none."""
    nearest = np.full(len(index.u_codes), np.nan)
    if lat is None or lon is None or not len(index.pt_lat):
        return nearest
    distances = haversine_km(lat, lon, index.pt_lat, index.pt_lon)
    located = np.flatnonzero(index.u_located)
    nearest[located] = np.minimum.reduceat(distances, index.pt_start[located])
    return nearest


def _seller_neighbours(index: RecommenderIndex, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Selling producers near ``p`` or in its area, with their nearness (``index.nearness``)."""
    start, end = index.nearness.indptr[p], index.nearness.indptr[p + 1]
    return index.nearness.indices[start:end].astype(np.int64), index.nearness.data[start:end]


def _graph_signal_for_buyers(index: RecommenderIndex, p: int, category: str) -> np.ndarray:
    """Per unit: the share of the selling producers like ``p`` that sell to it, in [0, 1).

    Likeness is nearness (see ``_seller_neighbours``) times 1 when the neighbour sells the unit
    the same group, else ``OTHER_GROUP_FACTOR``; the share is smoothed by one imaginary neighbour
    that sells to nobody, so that a single neighbour is weak evidence.
    """
    raw = np.zeros(len(index.u_codes))
    neighbours, weights = _seller_neighbours(index, p)
    if not len(neighbours):
        return raw
    rows = _ranges(index.s_p_start[neighbours], index.s_p_start[neighbours + 1])
    counts = index.s_p_start[neighbours + 1] - index.s_p_start[neighbours]
    factor = np.where(index.s_groups[rows] & _group_bit(category), 1.0, OTHER_GROUP_FACTOR)
    raw = np.bincount(
        index.s_unit[rows],
        weights=np.repeat(weights, counts) * factor * index.s_pair_share[rows],
        minlength=len(raw),
    )
    return raw / (index.nearness_total[p] + SIGNAL_SMOOTHING)


def _linked_units(index: RecommenderIndex, p: int, product: str | None) -> np.ndarray:
    """Units producer ``p`` already sells to: any sale, or with ``product`` that one or unnamed."""
    rows = index.sales_of_producer(p)
    if product is not None:
        rows = [r for r in rows if index.s_product[r] in (None, product)]
    return np.unique(index.s_unit[rows]).astype(np.int64)


def score_buyers_for_product(
    index: RecommenderIndex,
    product_code: str,
    *,
    weights: Mapping[str, float] | None = None,
    include_linked: bool = False,
    max_distance_km: float | None = None,
    as_of: dt.date | None = None,
) -> dict:
    """Every eligible buyer unit for a product, with the score parts as arrays.

    Returns ``{"units", "score", "parts" (name → array), "distance_km", "linked"}`` where
    ``units`` are unit positions (``index.u_codes``) passing the hard rules; empty when the
    product's rating has expired. Raises ``KeyError`` for an unknown product.
    """
    weights = weights or parse_weights(None)
    as_of = as_of or dt.date.today()
    product = index.products[product_code]
    p = index.p_pos[product["producer"]]
    category, stars = product["category"], product["stars"] or 0
    n_units = len(index.u_codes)
    eligible = index.u_takes.get(category, np.zeros(n_units, bool)).copy()
    eligible &= index.u_min_stars <= stars
    expires = product["rating_expires_on"]
    if not stars or (expires is not None and expires <= as_of):
        eligible[:] = False
    lat = None if np.isnan(index.p_lat[p]) else index.p_lat[p]
    lon = None if np.isnan(index.p_lon[p]) else index.p_lon[p]
    distance = _unit_distances(index, lat, lon)
    if max_distance_km is not None:
        if lat is None:
            # A producer with no place cannot show that a shop is near: only platforms stay.
            eligible &= ~index.u_located
        else:
            # NaN is a buyer with no place (a platform), within any reach.
            eligible &= np.isnan(distance) | (distance <= max_distance_km)
    linked = np.zeros(n_units, bool)
    linked[_linked_units(index, p, product_code)] = True
    if not include_linked:
        eligible &= ~linked
    units = np.flatnonzero(eligible)
    capacity = product["capacity_per_month"]
    parts = {
        "category": _category_part(index, category, units),
        "distance": _decay(distance[units], DISTANCE_SCALE_KM),
        "capacity": _capacity_part(
            np.full(len(units), np.nan if capacity is None else capacity),
            index.u_typical_volume[units],
        ),
        "stars": _stars_part(np.full(len(units), float(stars)), index.u_min_stars[units]),
        "graph": _graph_signal_for_buyers(index, p, category)[units],
    }
    score = sum(weights[name] * parts[name] for name in PARTS)
    return {
        "units": units,
        "score": score,
        "parts": parts,
        "distance_km": distance[units],
        "linked": linked[units],
    }


def _why_no_buyer(index: RecommenderIndex, code: str, as_of: dt.date) -> str:
    """Why no buyer passed the hard rules for a product, in the producer's terms."""
    product = index.products[code]
    expires = product["rating_expires_on"]
    if expires is not None and expires <= as_of:
        return f"rating expired on {expires.isoformat()}: the product must be re-rated"
    if not product["stars"]:
        return "no star rating: buyers take rated products only"
    return "no buyer takes this product group at this star level within the distance given"


def _expiry_flags(expires: dt.date | None, as_of: dt.date) -> list[str]:
    if expires is None:
        return ["rating_date_unknown"]
    if expires < add_months(as_of, EXPIRY_WARNING_MONTHS):
        return ["rating_expiring_soon"]
    return []


def _buyer_summary(index: RecommenderIndex, code: str) -> dict:
    data = index.graph.nodes[code]
    return {
        "code": code,
        "name": data["name"],
        "kind": data["kind"],
        "lat": data["lat"],
        "lon": data["lon"],
        "area": data["area"],
    }


def _producer_summary(index: RecommenderIndex, code: str) -> dict:
    data = index.graph.nodes[code]
    return {
        "code": code,
        "name": data["name"],
        "kind": data["kind"],
        "lat": data["lat"],
        "lon": data["lon"],
        "area": data["area"],
    }


def _nearest_locations(index: RecommenderIndex, unit: int, lat, lon) -> list[dict]:
    """A unit's locations nearest to a point, with great-circle distances and their points."""
    where = index.unit_points(unit)
    if lat is None or where.stop - where.start == 0:
        return []
    distances = haversine_km(lat, lon, index.pt_lat[where], index.pt_lon[where])
    order = np.argsort(distances, kind="stable")[:NEAREST_STORES]
    return [
        {
            "code": index.pt_code[where.start + i],
            "name": index.graph.nodes[index.pt_code[where.start + i]]["name"],
            "distance_km": round(float(distances[i]), 2),
            "point": (float(index.pt_lat[where.start + i]), float(index.pt_lon[where.start + i])),
        }
        for i in order
    ]


def _explain(weights, parts, i, score) -> tuple[float, dict]:
    explained = {
        name: {"value": round(float(parts[name][i]), 4), "weight": round(weights[name], 4)}
        for name in PARTS
    }
    return round(float(score), 4), explained


def _regeodesic(parts, i, distance, point_a, point_b) -> float:
    """The geodesic distance of a listed pair; the distance part and the score follow it."""
    if point_a is None or point_b is None or np.isnan(distance):
        return distance
    exact = geodesic_km(point_a, point_b)
    parts["distance"][i] = float(np.exp(-exact / DISTANCE_SCALE_KM))
    return exact


def recommend_buyers(
    index: RecommenderIndex,
    *,
    producer: str | None = None,
    product: str | None = None,
    k: int = 10,
    weights: Mapping[str, float] | None = None,
    include_linked: bool = False,
    max_distance_km: float | None = None,
    as_of: dt.date | None = None,
) -> dict:
    """The best ``k`` buyers for a product, or for a producer (each buyer with its best product).

    Give exactly one of ``producer`` or ``product`` (codes). ``weights`` are normalised weights
    (see ``parse_weights``). Returns ``{"producer", "product", "weights", "results": [{"buyer",
    "product", "score", "parts", "distance_km", "nearest_stores", "already_linked", "flags"}],
    "not_recommended": [{"product", "reason"}]}``, results best first; ``nearest_stores`` is
    filled for chains; ``not_recommended`` names the products no buyer passed the rules for.
    Raises ``KeyError`` for an unknown code and ``ValueError`` when neither or both are given.
    """
    if (producer is None) == (product is None):
        raise ValueError("give exactly one of producer or product")
    weights = weights or parse_weights(None)
    as_of = as_of or dt.date.today()
    if product is not None:
        producer = index.products[product]["producer"]
        codes = [product]
    else:
        if producer not in index.p_pos:
            raise KeyError(producer)
        codes = sorted(index.graph.nodes[producer]["products"])
    n_units = len(index.u_codes)
    best_score = np.full(n_units, -np.inf)
    best_product = np.full(n_units, -1)
    all_scored = []
    for j, code in enumerate(codes):
        scored = score_buyers_for_product(
            index,
            code,
            weights=weights,
            include_linked=include_linked,
            max_distance_km=max_distance_km,
            as_of=as_of,
        )
        all_scored.append(scored)
        score = np.full(n_units, -np.inf)
        score[scored["units"]] = scored["score"]
        better = score > best_score
        best_score[better], best_product[better] = score[better], j
    listed = np.flatnonzero(best_product >= 0)
    if len(listed) > k:
        threshold = np.partition(best_score[listed], len(listed) - k)[len(listed) - k]
        listed = listed[best_score[listed] >= threshold]
    ranked = []
    for unit in listed.tolist():
        scored = all_scored[best_product[unit]]
        i = int(np.searchsorted(scored["units"], unit))
        ranked.append((unit, (best_score[unit], codes[best_product[unit]], scored, i)))
    ranked = sorted(ranked, key=lambda kv: (-kv[1][0], index.u_codes[kv[0]]))[:k]
    data = index.graph.nodes[producer]
    origin = None if data["lat"] is None else (data["lat"], data["lon"])
    results = []
    for unit, (_, code, scored, i) in ranked:
        parts = {name: scored["parts"][name].copy() for name in PARTS}
        unit_code = index.u_codes[unit]
        stores = _nearest_locations(index, unit, *(origin or (None, None)))
        distance = float(scored["distance_km"][i])
        if stores:
            # The listed pair gets the ellipsoidal distance; ranking used the spherical one.
            distance = geodesic_km(origin, stores[0]["point"])
            if max_distance_km is not None and distance > max_distance_km:
                continue  # within reach on the sphere, a few metres past it on the ellipsoid
            parts["distance"][i] = float(np.exp(-distance / DISTANCE_SCALE_KM))
        for store in stores:
            del store["point"]
        score = sum(weights[name] * parts[name][i] for name in PARTS)
        score, explained = _explain(weights, parts, i, score)
        expires = index.products[code]["rating_expires_on"]
        is_chain = index.graph.nodes[unit_code]["kind"] == "retail_chain"
        results.append(
            {
                "buyer": _buyer_summary(index, unit_code),
                "product": code,
                "score": score,
                "parts": explained,
                "distance_km": None if np.isnan(distance) else round(distance, 2),
                "nearest_stores": stores if is_chain else [],
                "already_linked": bool(scored["linked"][i]),
                "flags": _expiry_flags(expires, as_of),
                "rating_expires_on": expires.isoformat() if expires else None,
            }
        )
    results.sort(key=lambda r: (-r["score"], r["buyer"]["code"]))
    return {
        "producer": _producer_summary(index, producer),
        "product": product,
        "weights": {name: round(w, 4) for name, w in weights.items()},
        "results": results[:k],
        "not_recommended": [
            {"product": code, "reason": _why_no_buyer(index, code, as_of)}
            for code, scored in zip(codes, all_scored, strict=True)
            if len(scored["units"]) == 0
        ],
    }


def _signals_for_suppliers(
    index: RecommenderIndex, unit: int, groups: list[str]
) -> dict[str, np.ndarray]:
    """Per group, per producer: the share of the selling producers like it that sell to ``unit``.

    The same quantity as ``_graph_signal_for_buyers``, read from the unit's side. Only the unit's
    suppliers' columns of the nearness matrix take part, read once for every group: the factor
    of a sale is 0.3 + 0.7 × [same group], so each group needs one more column of weights.
    """
    rows = index.sales_of_unit(unit)
    if not len(rows):
        return _GroupSignals(None, groups, None)
    share = index.s_pair_share[rows]
    weights = [share * OTHER_GROUP_FACTOR]
    for group in groups:
        in_group = (index.s_groups[rows] & _group_bit(group)) > 0
        weights.append(share * in_group * (1.0 - OTHER_GROUP_FACTOR))
    columns, position = np.unique(index.s_producer[rows], return_inverse=True)
    block = np.column_stack(
        [np.bincount(position, weights=column, minlength=len(columns)) for column in weights]
    )
    numerators = index.nearness_by_seller[:, columns] @ block
    return _GroupSignals(numerators, groups, index.nearness_total + SIGNAL_SMOOTHING)


class _GroupSignals:
    """Lazily divided signals: only the producers asked for are computed."""

    def __init__(self, numerators, groups, denominator):
        self.numerators, self.denominator = numerators, denominator
        self.column = {group: 1 + g for g, group in enumerate(groups)}

    def __getitem__(self, group):
        return _Signal(self, self.column[group])


class _Signal:
    def __init__(self, signals, column):
        self.signals, self.column = signals, column

    def __getitem__(self, producers):
        found = self.signals
        if found.numerators is None:
            return np.zeros(len(np.atleast_1d(producers)))
        return (
            found.numerators[producers, 0] + found.numerators[producers, self.column]
        ) / found.denominator[producers]


def _signal_for_suppliers(
    index: RecommenderIndex, unit: int, category: str, candidates: np.ndarray
) -> np.ndarray:
    """``_signals_for_suppliers`` of one group, for some producers."""
    return _signals_for_suppliers(index, unit, [category])[category][candidates]


def _producer_distances(index: RecommenderIndex, unit: int | None, points: np.ndarray):
    """Distance in km from every producer to the nearest of ``points``; NaN when unknown.

    For a whole unit (``unit`` given) the answer is kept on the index: a chain's stores are many
    and its nearest-store distances do not change until the graph does.
    """
    cache = index.unit_distances
    if unit is not None and unit in cache:
        return cache[unit]
    distance = np.full(len(index.p_codes), np.nan)
    offering = np.flatnonzero(index.p_offers & ~np.isnan(index.p_lat))
    if len(points) == 1:
        distance[offering] = haversine_km(
            points[0, 0], points[0, 1], index.p_lat[offering], index.p_lon[offering]
        )
    elif len(points) and len(offering):
        tree = BallTree(np.radians(points), metric="haversine")
        nearest, _ = tree.query(
            np.radians(np.c_[index.p_lat[offering], index.p_lon[offering]]), k=1
        )
        distance[offering] = nearest[:, 0] * EARTH_RADIUS_KM
    if unit is not None:
        cache[unit] = distance
    return distance


def recommend_suppliers(
    index: RecommenderIndex,
    *,
    buyer: str,
    category: str | None = None,
    min_stars: int | None = None,
    quantity_per_month: float | None = None,
    max_distance_km: float | None = None,
    k: int = 10,
    weights: Mapping[str, float] | None = None,
    include_linked: bool = False,
    as_of: dt.date | None = None,
) -> dict:
    """The best ``k`` products (with their producers) for a buyer or one of its sourcing requests.

    A request gives ``category``, ``min_stars``, ``quantity_per_month`` and ``max_distance_km``;
    without one, every group the buyer takes is searched and the quantity is the buyer's median
    volume per supplier. A store is measured from itself, under its chain's rules; a chain from
    its nearest store. Returns ``{"buyer", "request", "weights", "results": [{"product",
    "producer", "score", "parts", "distance_km", "already_linked", "flags"}]}``, best first.
    Raises ``KeyError`` for an unknown buyer.
    """
    weights = weights or parse_weights(None)
    as_of = as_of or dt.date.today()
    unit = index.buyer_unit[buyer]
    unit_code = index.u_codes[unit]
    unit_data = index.graph.nodes[unit_code]
    own = index.graph.nodes[buyer]
    if buyer != unit_code and own["lat"] is not None:
        points = np.array([[own["lat"], own["lon"]]])
    else:
        where = index.unit_points(unit)
        points = np.c_[index.pt_lat[where], index.pt_lon[where]]
    groups = [category] if category else (list(unit_data["categories"]) or list(CATEGORIES))
    minimum = max(min_stars or 0, unit_data["min_stars"] or 0)
    needed = quantity_per_month if quantity_per_month else index.u_typical_volume[unit]
    linked_rows = index.sales_of_unit(unit)
    distance_to = _producer_distances(index, unit if buyer == unit_code else None, points)
    named = index.s_product_pos[linked_rows] >= 0
    linked_any = index.s_producer[linked_rows[~named]]
    candidates = []
    signals = _signals_for_suppliers(index, unit, groups)
    for group in groups:
        table = index.group_products.get(group)
        if table is None:
            continue
        ok = (table["stars"] >= minimum) & (table["expires"] > as_of.toordinal())
        producers = table["producer"]
        distance = distance_to[producers]
        if max_distance_km is not None and len(points):
            ok &= ~np.isnan(distance) & (distance <= max_distance_km)
        linked = np.isin(producers, linked_any)
        in_group = named & (index.s_product_group[linked_rows] == CATEGORIES.index(group))
        linked[index.s_product_pos[linked_rows[in_group]]] = True
        if not include_linked:
            ok &= ~linked
        chosen = np.flatnonzero(ok)
        parts = {
            "category": np.full(len(chosen), _category_part(index, group, np.array([unit]))[0]),
            "distance": _decay(distance[chosen], DISTANCE_SCALE_KM),
            "capacity": _capacity_part(table["capacity"][chosen], np.full(len(chosen), needed)),
            "stars": _stars_part(table["stars"][chosen], np.full(len(chosen), float(minimum))),
            "graph": signals[group][producers[chosen]],
        }
        score = sum(weights[name] * parts[name] for name in PARTS)
        # Only the best k of a group can make the list: the rest never leave numpy.
        if len(chosen) > k:
            threshold = np.partition(score, len(score) - k)[len(score) - k]
            best = np.flatnonzero(score >= threshold)
        else:
            best = np.arange(len(chosen))
        for j in best.tolist():
            i = chosen[j]
            candidates.append((score[j], table["codes"][i], parts, j, distance[i], linked[i]))
    candidates.sort(key=lambda c: (-c[0], c[1]))
    results = []
    for _, code, parts, j, distance, linked in candidates[:k]:
        product = index.products[code]
        data = index.graph.nodes[product["producer"]]
        parts = {name: parts[name].copy() for name in PARTS}
        if data["lat"] is not None and len(points):
            nearest = points[
                np.argmin(haversine_km(data["lat"], data["lon"], points[:, 0], points[:, 1]))
            ]
            distance = _regeodesic(parts, j, distance, (data["lat"], data["lon"]), tuple(nearest))
            if max_distance_km is not None and distance > max_distance_km:
                continue  # within reach on the sphere, a few metres past it on the ellipsoid
        score = sum(weights[name] * parts[name][j] for name in PARTS)
        score, explained = _explain(weights, parts, j, score)
        expires = product["rating_expires_on"]
        results.append(
            {
                "product": {
                    "code": code,
                    "name": product["name"],
                    "category": product["category"],
                    "stars": product["stars"],
                    "capacity_per_month": product["capacity_per_month"],
                },
                "producer": _producer_summary(index, product["producer"]),
                "score": score,
                "parts": explained,
                "distance_km": None if np.isnan(distance) else round(float(distance), 2),
                "already_linked": bool(linked),
                "flags": _expiry_flags(expires, as_of),
                "rating_expires_on": expires.isoformat() if expires else None,
            }
        )
    results.sort(key=lambda r: (-r["score"], r["product"]["code"]))
    return {
        "buyer": _buyer_summary(index, buyer),
        "request": {
            "category": category,
            "min_stars": minimum or None,
            "quantity_per_month": quantity_per_month,
            "max_distance_km": max_distance_km,
        },
        "weights": {name: round(w, 4) for name, w in weights.items()},
        "results": results[:k],
    }
