"""Recommendations: buyers for a producer or a product, suppliers for a buyer or a sourcing request.

Data in, dicts out: the functions read a ``Recommender`` (the ``linkage.ranking`` index over the
registry's snapshot, the evidence of all current sales, and the fitted ranking) and never touch the
database.

Buyers come in three lists. ``results`` are outlets — stores and OCOP sales points — ranked one by
one, ``k`` of them; ``chains`` groups the listed stores under their chain (the chain's buying
office is the contact, the stores are where the product goes); ``platforms`` (e-commerce) and
``trade`` (wholesalers, distributors) are ranked apart and never take an outlet's place.

Hard rules come first, the same as the allocation's (``linkage.ranking.outlet_rules``):
  * the buyer takes the product's group (a store under its chain's rules too; a buyer listing no
    group takes every group);
  * the product has at least the buyer's (and the sourcing request's) minimum stars;
  * the product is rated and its rating has not expired as of ``as_of`` (one expiring within 6
    months is flagged);
  * the buyer is within ``max_distance_km`` when one is given; a producer with no place gets
    platforms and trade buyers only;
  * pairs already linked by a sale, a listing or an MOU are left out unless asked for.

The score is a weighted mean of parts in [0, 1], each returned with its value and weight:
  * ``learned``: the ranking learned from the registry's sales (``linkage.ranking``), or, while
    there are too few sales to learn from, the heuristic group fit × exp(−d / 10 km) ×
    (1 + ln(1 + suppliers)) scaled to [0, 1];
  * ``category``: the outlet's observed buying in the product's groups, smoothed to its declared
    groups; ``distance``: exp(−d / 10 km); ``capacity``: min(1, capacity / typical volume);
    ``stars``: 0.5 + 0.5 · (stars − minimum) / (5 − minimum); ``graph``: the share of the selling
    producers near the producer (same group counting fully) that sell there.
By default the learned part carries all the weight; a request may set each weight in [0, 1] and
they are normalised to sum 1, so the heuristic parts can be mixed in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext as _

from .dates import add_months
from .distance import HAVERSINE_TOLERANCE, PointIndex, haversine_km, within_km
from .ranking import (
    CATEGORIES,
    HEURISTIC_SCALE_KM,
    PLATFORM_KINDS,
    Evidence,
    Offers,
    OutletIndex,
    RankingModel,
    best_first,
    build_evidence,
    co_buyer_counts,
    eligible_outlets,
    heuristic_score,
    offers_of,
    outlet_rules,
    pair_features,
    producer_offer,
)
from .reasons import with_text
from .snapshot import GraphSnapshot

__all__ = [
    "DEFAULT_WEIGHTS",
    "PARTS",
    "Recommender",
    "pair_scores",
    "parse_weights",
    "recommend_buyers",
    "recommend_suppliers",
]

PARTS = ("learned", "category", "distance", "capacity", "stars", "graph")
DEFAULT_WEIGHTS = {
    "learned": 1.0,
    "category": 0.0,
    "distance": 0.0,
    "capacity": 0.0,
    "stars": 0.0,
    "graph": 0.0,
}
DEFAULT_MIN_STARS = 3
EXPIRY_WARNING_MONTHS = 6
NEUTRAL = 0.5
MAX_REASONS = 3
# Nationwide, buyer recommendations score the nearest outlets and those with evidence of sales,
# supplier recommendations the nearest products: the learned score falls with distance far
# faster than any other part can make up.
OUTLET_POOL = 3000
SUPPLIER_POOL = 3000


def parse_weights(raw: Mapping[str, object] | None) -> dict[str, float]:
    """Weights of the score parts, normalised to sum 1.

    ``raw`` maps part names (``PARTS``) to numbers or numeric strings; parts not given keep their
    default weight. Raises ``ValueError`` with ``(part, reason)`` as its args when a value is not
    a number in [0, 1], or when all weights are zero.
    """
    weights = dict(DEFAULT_WEIGHTS)
    for part, value in (raw or {}).items():
        if part not in weights:
            raise ValueError(part, _("Unknown part; use one of %s.") % ", ".join(PARTS))
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(part, _("Must be a number between 0 and 1.")) from None
        if not 0.0 <= number <= 1.0:
            raise ValueError(part, _("Must be between 0 and 1."))
        weights[part] = number
    total = sum(weights.values())
    if total <= 0:
        raise ValueError(next(iter(raw or PARTS)), _("The weights cannot all be zero."))
    return {part: weights[part] / total for part in PARTS}


@dataclass
class Recommender:
    """The index, the evidence of every current sale and the ranking, for one snapshot."""

    index: OutletIndex
    evidence: Evidence
    today: dt.date
    model: RankingModel | None = None

    @classmethod
    def build(
        cls,
        snapshot: GraphSnapshot,
        *,
        today: dt.date | None = None,
        previous: Recommender | None = None,
    ) -> Recommender:
        """The recommender of ``snapshot``; ``previous``, one of an earlier snapshot, lends what
        has not changed since."""
        today = today or dt.date.today()
        index = OutletIndex(snapshot, previous=previous.index if previous else None)
        offers = offers_of(index, today)
        evidence = build_evidence(index, index.sales, offers)
        return cls(
            index=index,
            evidence=evidence,
            today=today,
        )

    @property
    def snapshot(self) -> GraphSnapshot:
        return self.index.snapshot

    def learned(self, features: dict[str, np.ndarray]) -> np.ndarray:
        """The learned part: the model's score, or the heuristic scaled to [0, 1]."""
        if self.model is not None:
            return self.model.score(features)
        most = float(self.evidence.suppliers.max(initial=0))
        return features["heuristic"] / (1 + np.log1p(most))

    def ranking_info(self) -> dict:
        if self.model is None:
            return {"kind": "heuristic", "version": None, "sale_pairs": len(self.index.sales)}
        return {
            "kind": "logistic_regression",
            "version": self.model.version,
            "sale_pairs": self.model.sale_pairs,
            "training_pairs": self.model.training_pairs,
        }


def _parts(rec: Recommender, features: dict[str, np.ndarray], o: np.ndarray) -> dict:
    """The score parts of pairs whose features are given (outlets ``o``)."""
    distance = features["distance_km"]
    ratio = np.exp(features["capacity"])  # capacity / typical volume, clipped to e^±3
    known = features["capacity_known"]
    minimum = np.where(rec.index.o_min_stars[o] > 0, rec.index.o_min_stars[o], DEFAULT_MIN_STARS)
    return {
        "learned": rec.learned(features),
        "category": np.clip(np.exp(features["group_mix"]) - 0.01, 0, 1),
        "distance": np.where(
            np.isnan(distance), NEUTRAL, np.exp(-np.nan_to_num(distance) / HEURISTIC_SCALE_KM)
        ),
        "capacity": np.where(known, np.minimum(1.0, ratio), NEUTRAL),
        "stars": np.clip(
            0.5 + 0.5 * features["star_margin"] / np.maximum(1.0, 5.0 - minimum), 0.0, 1.0
        ),
        "graph": np.clip(features["nearby_sellers"], 0, 1),
    }


def _score(weights, parts) -> np.ndarray:
    return sum(weights[name] * parts[name] for name in PARTS)


def _explain(weights, parts, i) -> dict:
    return {
        name: {"value": round(float(parts[name][i]), 4), "weight": round(weights[name], 4)}
        for name in PARTS
    }


def _expiry(expires: dt.date | None, as_of: dt.date) -> tuple[list[str], dict | None]:
    """Flags of a rating's expiry, and the reason to give when it expires within 6 months."""
    if expires is None:
        return ["rating_date_unknown"], None
    if expires < add_months(as_of, EXPIRY_WARNING_MONTHS):
        months = max(1, (expires.year - as_of.year) * 12 + expires.month - as_of.month)
        return ["rating_expiring_soon"], {"code": "rating_expires", "months": months}
    return [], None


def _summary(snapshot: GraphSnapshot, code: str) -> dict:
    data = snapshot.nodes[code]
    return {
        "code": code,
        "name": data["name"],
        "kind": data["kind"],
        "lat": data["lat"],
        "lon": data["lon"],
        "area": data["area"],
    }


def _outlet_summary(rec: Recommender, o: int) -> dict:
    index = rec.index
    summary = _summary(index.snapshot, index.o_codes[o])
    chain = index.o_chain[o]
    own = index.snapshot.nodes[index.o_codes[o]]["kind"] == "retail_chain"
    summary["chain"] = (
        {"code": index.c_codes[chain], "name": index.snapshot.nodes[index.c_codes[chain]]["name"]}
        if chain >= 0 and not own
        else None
    )
    return summary


def _products_of(rec: Recommender, p: int, product: str | None) -> np.ndarray:
    items = rec.index.items
    if product is not None:
        return np.array([rec.index.item_pos[product]])
    return np.flatnonzero(items["producer"] == p)


def _best_product(rec: Recommender, candidates: np.ndarray, o: int, as_of: dt.date) -> int | None:
    """The producer's product to offer an outlet: a group it takes, rated high enough, the
    group it buys most of first, then the most stars."""
    index, items = rec.index, rec.index.items
    ok = index.rated_items(as_of)[candidates]
    groups = np.maximum(items["group"][candidates], 0)
    ok &= index.o_takes[o][groups] & (items["stars"][candidates] >= index.o_min_stars[o])
    if not ok.any():
        return None
    mix = rec.evidence.group_mix[o][groups]
    order = np.lexsort((candidates, -items["stars"][candidates], -mix))
    best = next(i for i in order if ok[i])
    return int(candidates[best])


def _outlet_reasons(
    rec, features, i, o, product_item, chain_name, rating_reason, *, sells_here
) -> list[dict]:
    """Two or three reasons, the evidence of sales first, then distance and the buyer's rules."""
    index = rec.index
    group = CATEGORIES[index.items["group"][product_item]]
    reasons = [{"code": "sells_here"}] if sells_here else []
    if features["nearby_count"][i] >= 1:
        reasons.append(
            {"code": "nearby_sellers", "count": int(features["nearby_count"][i]), "group": group}
        )
    if features["same_chain_count"][i] >= 1 and chain_name:
        reasons.append(
            {
                "code": "same_chain",
                "count": int(features["same_chain_count"][i]),
                "chain": chain_name,
            }
        )
    if len(reasons) < 2 and features["co_buyer_count"][i] >= 1:
        reasons.append({"code": "co_buyers", "count": int(features["co_buyer_count"][i])})
    if not np.isnan(features["distance_km"][i]):
        reasons.append({"code": "distance", "km": round(float(features["distance_km"][i]), 1)})
    minimum = int(index.o_min_stars[o]) or DEFAULT_MIN_STARS
    reasons.append({"code": "takes", "group": group, "stars": minimum})
    if len(reasons) < MAX_REASONS and features["suppliers_count"][i] >= 1:
        reasons.append({"code": "suppliers", "count": int(features["suppliers_count"][i])})
    reasons = reasons[:MAX_REASONS]
    if rating_reason:
        reasons.append(rating_reason)
    return reasons


def _outlet_pool(rec: Recommender, p: int, candidates: np.ndarray, co_buyers) -> np.ndarray:
    """The outlets worth scoring: all of them in a city, nationwide the ``OUTLET_POOL`` nearest
    and every outlet with evidence of sales for this producer (co-buyers, or another store of a
    chain it sells to), wherever they are."""
    if len(candidates) <= OUTLET_POOL:
        return candidates
    index = rec.index
    distance = haversine_km(
        index.p_lat[p], index.p_lon[p], index.o_lat[candidates], index.o_lon[candidates]
    )
    near = np.zeros(len(candidates), bool)
    near[np.argpartition(np.nan_to_num(distance, nan=np.inf), OUTLET_POOL)[:OUTLET_POOL]] = True
    chains = rec.evidence.chain_sells[p].indices
    evidence = (co_buyers[candidates] > 0) | np.isin(index.o_chain[candidates], chains)
    return candidates[near | evidence]


def _reached(lat, lon, to_lat, to_lon, km, max_distance_km: float) -> np.ndarray:
    """Which pairs (haversine ``km`` apart) lie within ``max_distance_km`` on the ellipsoid."""
    return within_km(
        lat, lon, to_lat, to_lon, max_distance_km, approx_km=km, tolerance=HAVERSINE_TOLERANCE
    )


def recommend_buyers(
    rec: Recommender,
    *,
    producer: str | None = None,
    product: str | None = None,
    k: int = 10,
    weights: Mapping[str, float] | None = None,
    include_linked: bool = False,
    max_distance_km: float | None = None,
    as_of: dt.date | None = None,
    language: str = "en",
) -> dict:
    """The best ``k`` outlets for a product, or for a producer (each with the product to offer),
    with their chains, and the platforms and trade buyers apart.

    Give exactly one of ``producer`` or ``product`` (codes). Returns ``{"producer", "product",
    "as_of", "ranking", "weights", "results", "chains", "platforms", "trade", "notes",
    "not_recommended"}``; each result has ``buyer`` (with its ``chain``), ``product``, ``score``,
    ``parts``, ``distance_km``, ``reasons`` (each with its ``text`` in ``language``),
    ``already_linked``, ``flags`` and ``rating_expires_on``. Raises ``KeyError`` for an unknown
    code and ``ValueError`` when neither or both are given.
    """
    if (producer is None) == (product is None):
        raise ValueError("give exactly one of producer or product")
    weights = weights or parse_weights(None)
    as_of = as_of or dt.date.today()
    index, snapshot = rec.index, rec.snapshot
    if product is not None:
        producer = index.snapshot.product_table[product]["producer"]
    p = index.p_pos[producer]
    offer = producer_offer(index, p, as_of, product)
    items = _products_of(rec, p, product)
    # A product's own sales, or sales naming no product: a store that already takes another of the
    # producer's products is a good place for this one too.
    sold_here = set(rec.evidence.sells[p].indices.tolist())
    linked = {o for o in sold_here if index.sells_product(p, o, product)}
    notes = [] if rec.model is not None else [{"code": "heuristic_ranking"}]
    results = []
    placed = not np.isnan(index.p_lat[p])
    if not placed:
        notes.append({"code": "no_location"})
    else:
        eligible = eligible_outlets(index, offer, 0)
        if not include_linked:
            eligible[list(linked)] = False
        co_buyers = co_buyer_counts(rec.evidence, p)
        candidates = _outlet_pool(rec, p, np.flatnonzero(eligible), co_buyers)
        features = pair_features(
            index,
            rec.evidence,
            offer,
            np.full(len(candidates), p),
            candidates,
            rows=np.zeros(len(candidates), np.int64),
        )
        if max_distance_km is not None:
            # NaN (an outlet with no place) is never near.
            near = _reached(
                index.p_lat[p],
                index.p_lon[p],
                index.o_lat[candidates],
                index.o_lon[candidates],
                features["distance_km"],
                max_distance_km,
            )
            candidates = candidates[near]
            features = {name: values[near] for name, values in features.items()}
        features["co_buyer_count"] = co_buyers[candidates]
        parts = _parts(rec, features, candidates)
        score = _score(weights, parts)
        for j in best_first(score, features["distance_km"], candidates):
            if len(results) == k:
                break
            o = int(candidates[j])
            distance = features["distance_km"][j]
            item = _best_product(rec, items, o, as_of)
            if item is None:
                continue
            code = index.item_codes[item]
            expires = index.snapshot.product_table[code]["rating_expires_on"]
            flags, rating_reason = _expiry(expires, as_of)
            summary = _outlet_summary(rec, o)
            chain_name = summary["chain"]["name"] if summary["chain"] else None
            reasons = _outlet_reasons(
                rec,
                features,
                j,
                o,
                item,
                chain_name,
                rating_reason,
                sells_here=product is not None and o not in linked and o in sold_here,
            )
            results.append(
                {
                    "rank": len(results) + 1,
                    "buyer": summary,
                    "product": code,
                    "score": round(float(score[j]), 4),
                    "parts": _explain(weights, parts, j),
                    "distance_km": None if np.isnan(distance) else round(float(distance), 2),
                    "reasons": with_text(reasons, language),
                    "already_linked": o in linked,
                    "flags": flags,
                    "rating_expires_on": expires.isoformat() if expires else None,
                }
            )
    platforms, trade = _others(
        rec, p, offer, items, include_linked, max_distance_km, k, as_of, product
    )
    found_any = bool(results or platforms or trade)
    return {
        "producer": _summary(snapshot, producer),
        "product": product,
        "as_of": as_of.isoformat(),
        "ranking": rec.ranking_info(),
        "weights": {name: round(w, 4) for name, w in weights.items()},
        "results": results,
        "chains": _chains(results),
        "platforms": platforms,
        "trade": trade,
        "notes": with_text(notes, language),
        "not_recommended": _not_recommended(rec, items, as_of, language, found_any=found_any),
    }


def _chains(results: list[dict]) -> list[dict]:
    """The listed stores grouped under their chains, in the order of each chain's best store."""
    chains: dict[str, dict] = {}
    for row in results:
        chain = row["buyer"]["chain"]
        if chain is None:
            continue
        entry = chains.setdefault(chain["code"], {"chain": chain, "stores": []})
        entry["stores"].append(
            {
                "code": row["buyer"]["code"],
                "name": row["buyer"]["name"],
                "rank": row["rank"],
                "score": row["score"],
                "distance_km": row["distance_km"],
            }
        )
    return list(chains.values())


def _others(rec, p, offer, items, include_linked, max_distance_km, k, as_of, product):
    """Platforms and trade buyers that take what the producer offers (``offer``, one row),
    ranked apart."""
    index = rec.index
    if not index.x_codes:
        return [], []
    stars = (offer.stars[0][None, :] * index.x_takes).max(axis=1)
    ok = (stars > 0) & (stars >= index.x_min_stars)
    sold = index.other_sales[index.other_sales[:, 0] == p, 1]
    linked = [x for x in sold.tolist() if index.sells_product(p, -1 - x, product)]
    if not include_linked:
        ok[linked] = False
    distance = haversine_km(index.p_lat[p], index.p_lon[p], index.x_lat, index.x_lon)
    platform = np.array([kind in PLATFORM_KINDS for kind in index.x_kind])
    if max_distance_km is not None:
        ok &= platform | _reached(
            index.p_lat[p], index.p_lon[p], index.x_lat, index.x_lon, distance, max_distance_km
        )
    fit = (offer.share[0][None, :] * index.x_takes).sum(axis=1)
    # A platform has no place: it is ranked by fit and by how many producers it already takes.
    decay = np.where(platform | np.isnan(distance), 1.0, np.exp(-np.nan_to_num(distance) / 10))
    score = heuristic_score(fit, np.zeros(len(fit)), index.x_suppliers) * decay
    score = score / (1 + np.log1p(index.x_suppliers.max(initial=0)))
    lists = {"platforms": [], "trade": []}
    rated = index.rated_items(as_of)
    for j in best_first(score[ok], distance[ok], np.flatnonzero(ok)):
        x = int(np.flatnonzero(ok)[j])
        name = "platforms" if platform[x] else "trade"
        if len(lists[name]) == k:
            continue
        stars_x = index.x_min_stars[x] or 0
        groups = index.x_takes[x]
        best = [
            i
            for i in items[rated[items]].tolist()
            if groups[index.items["group"][i]] and index.items["stars"][i] >= stars_x
        ]
        if not best:
            continue
        lists[name].append(
            {
                "buyer": _summary(index.snapshot, index.x_codes[x]),
                "product": index.item_codes[max(best, key=lambda i: (index.items["stars"][i], -i))],
                "score": round(float(score[x]), 4),
                "distance_km": None if np.isnan(distance[x]) else round(float(distance[x]), 2),
                "suppliers": int(index.x_suppliers[x]),
                "already_linked": bool(x in linked),
            }
        )
    return lists["platforms"], lists["trade"]


def _not_recommended(
    rec: Recommender, items: np.ndarray, as_of: dt.date, language: str, *, found_any: bool
) -> list[dict]:
    """The products that cannot be offered, and why, in the producer's terms: those without a
    rating in force always; the others too when no buyer at all passed the rules."""
    out = []
    for i in items.tolist():
        code = rec.index.item_codes[i]
        product = rec.snapshot.product_table[code]
        expires = product["rating_expires_on"]
        rated_on = product.get("rated_on")
        if not product["stars"] or (rated_on is not None and rated_on > as_of):
            reason = {"code": "not_rated"}
        elif expires is not None and expires <= as_of:
            reason = {"code": "rating_expired", "date": expires.isoformat()}
        elif found_any:
            continue
        else:
            reason = {"code": "no_buyer_within_rules"}
        said = with_text([reason], language)[0]
        out.append({"product": code, "code": reason["code"], "reason": said["text"]})
    return out


def _buyer_rules(rec: Recommender, buyer: str) -> tuple[np.ndarray, int]:
    nodes = rec.snapshot.nodes
    data = nodes[buyer]
    chain = nodes[data["chain"]] if data["chain"] and data["chain"] in nodes else None
    return outlet_rules(data, chain)


def recommend_suppliers(
    rec: Recommender,
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
    language: str = "en",
    priced_out: Collection[str] = (),
) -> dict:
    """The best ``k`` products (with their producers) for a buyer or one of its sourcing requests.

    The same hard rules as the allocation: a group the buyer takes (a store under its chain's
    rules too), at least the request's and the buyer's minimum stars, a valid rating as of
    ``as_of``, a producer with a known place within ``max_distance_km`` of the buyer (a store or
    sales point from itself, a chain from its nearest store). The score of an outlet (or of a
    chain's store nearest the producer) is the learned one, read from the buyer's side. Returns
    ``{"buyer", "request", "as_of", "ranking", "weights", "results", "notes"}``; ``notes``
    explains an empty list. Raises ``KeyError`` for an unknown buyer.

    ``priced_out`` are the codes of products above the request's highest price
    (``linkage.selectors.priced_above``): the graph snapshot carries no prices.
    """
    weights = weights or parse_weights(None)
    as_of = as_of or dt.date.today()
    index, snapshot = rec.index, rec.snapshot
    data = snapshot.nodes[buyer]
    takes, buyer_min = _buyer_rules(rec, buyer)
    minimum = max(min_stars or 0, buyer_min or 0)
    request = {
        "category": category,
        "min_stars": minimum or None,
        "quantity_per_month": quantity_per_month,
        "max_distance_km": max_distance_km,
    }
    answer = {
        "buyer": _summary(snapshot, buyer),
        "request": request,
        "as_of": as_of.isoformat(),
        "ranking": rec.ranking_info(),
        "weights": {name: round(w, 4) for name, w in weights.items()},
        "results": [],
        "notes": with_text([] if rec.model else [{"code": "heuristic_ranking"}], language),
    }
    if category is not None and not takes[CATEGORIES.index(category)]:
        answer["notes"] = with_text(
            [{"code": "buyer_does_not_take_group", "buyer": data["name"], "group": category}],
            language,
        )
        return answer
    groups = [CATEGORIES.index(category)] if category else np.flatnonzero(takes).tolist()
    items = index.items
    ok = np.isin(items["group"], groups) & (items["stars"] >= minimum) & index.rated_items(as_of)
    ok[[index.item_pos[code] for code in priced_out if code in index.item_pos]] = False
    outlets = _scored_at(index, buyer)
    placed_outlets = outlets[~np.isnan(index.o_lat[outlets])]
    producer = items["producer"]
    ok &= ~np.isnan(index.p_lat[producer])
    candidates = np.flatnonzero(ok)
    if len(placed_outlets) and len(candidates):
        stores = PointIndex(index.o_lat[placed_outlets], index.o_lon[placed_outlets])
        at, distance = stores.nearest(
            index.p_lat[producer[candidates]], index.p_lon[producer[candidates]]
        )
        nearest = placed_outlets[at]
    else:
        own = (data["lat"], data["lon"]) if data["lat"] is not None else None
        nearest = np.full(len(candidates), outlets[0] if len(outlets) else -1)
        distance = (
            haversine_km(
                own[0], own[1], index.p_lat[producer[candidates]], index.p_lon[producer[candidates]]
            )
            if own
            else np.full(len(candidates), np.nan)
        )
    if max_distance_km is not None:
        # A buyer with no place (NaN) holds no one to a distance, as in the allocation. A chain
        # reaches a producer when any of its stores does.
        p_lat, p_lon = index.p_lat[producer[candidates]], index.p_lon[producer[candidates]]
        if len(placed_outlets) and len(candidates):
            reached = stores.reaches(p_lat, p_lon, max_distance_km)
        elif own:
            reached = _reached(own[0], own[1], p_lat, p_lon, distance, max_distance_km)
        else:
            reached = np.zeros(len(candidates), bool)
        near = np.isnan(distance) | reached
        candidates, nearest, distance = candidates[near], nearest[near], distance[near]
    if len(candidates) > SUPPLIER_POOL:
        pool = np.argpartition(np.nan_to_num(distance, nan=np.inf), SUPPLIER_POOL)[:SUPPLIER_POOL]
        pool.sort()
        candidates, nearest, distance = candidates[pool], nearest[pool], distance[pool]
    already = _suppliers_of(rec, buyer, outlets)
    linked = np.isin(producer[candidates], already)
    if not include_linked:
        candidates, nearest, distance, linked = (
            candidates[~linked],
            nearest[~linked],
            distance[~linked],
            linked[~linked],
        )
    if not len(candidates):
        return answer
    offers = _item_offers(rec, candidates)
    rows = np.arange(len(candidates))
    if (nearest >= 0).all():
        features = pair_features(
            index, rec.evidence, offers, producer[candidates], nearest, rows=rows
        )
        parts = _parts(rec, features, nearest)
    else:
        features, parts = _unplaced_buyer_parts(rec, candidates, offers, distance)
    needed = quantity_per_month
    capacity = items["capacity"][candidates]
    if needed:
        parts["capacity"] = np.where(
            np.isnan(capacity), NEUTRAL, np.minimum(1.0, np.nan_to_num(capacity) / needed)
        )
    score = _score(weights, parts)
    products = snapshot.product_table
    for j in best_first(score, distance, candidates)[:k]:
        i = int(candidates[j])
        code = index.item_codes[i]
        product = products[code]
        km = distance[j]
        flags, rating_reason = _expiry(product["rating_expires_on"], as_of)
        reasons = _supplier_reasons(
            rec, features, j, nearest[j], km, product, minimum, needed, rating_reason
        )
        answer["results"].append(
            {
                "rank": len(answer["results"]) + 1,
                "product": {
                    "code": code,
                    "name": product["name"],
                    "category": product["category"],
                    "stars": product["stars"],
                    "capacity_per_month": product["capacity_per_month"],
                },
                "producer": _summary(snapshot, product["producer"]),
                "for_store": (
                    index.o_codes[nearest[j]]
                    if nearest[j] >= 0 and index.o_codes[nearest[j]] != buyer
                    else None
                ),
                "score": round(float(score[j]), 4),
                "parts": _explain(weights, parts, j),
                "distance_km": None if np.isnan(km) else round(float(km), 2),
                "reasons": with_text(reasons, language),
                "already_linked": bool(linked[j]),
                "flags": flags,
                "rating_expires_on": (
                    product["rating_expires_on"].isoformat()
                    if product["rating_expires_on"]
                    else None
                ),
            }
        )
    return answer


def _scored_at(index, buyer: str) -> np.ndarray:
    """The outlets a buyer's score is read at: the buyer itself, or a chain's stores."""
    if buyer in index.o_pos:
        return np.array([index.o_pos[buyer]])
    if buyer in index.c_pos:
        return np.flatnonzero(index.o_chain == index.c_pos[buyer])
    return np.zeros(0, np.int64)


def pair_scores(
    rec: Recommender,
    *,
    buyer: str,
    products: list[str],
    as_of: dt.date | None = None,
    weights: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """The score of each of ``products`` for ``buyer``, read as ``recommend_suppliers`` reads it
    (a chain at its store nearest the producer), for a trade-connection event's schedule.

    Only the products the buyer may take are scored: a group it takes, at least its minimum
    stars, a rating in force on ``as_of``, a producer with a place. Unlike the recommendations,
    no distance limit, no pool of the nearest and no leaving out of pairs already trading: the
    participants chose to come. Out: ``{product code: score in [0, 1]}``; unknown codes and
    products the buyer may not take are absent. Raises ``KeyError`` for an unknown buyer.
    """
    weights = weights or parse_weights(None)
    as_of = as_of or dt.date.today()
    index, items = rec.index, rec.index.items
    data = rec.snapshot.nodes[buyer]
    takes, minimum = _buyer_rules(rec, buyer)
    candidates = np.array(
        sorted({index.item_pos[code] for code in products if code in index.item_pos}), np.int64
    )
    if not len(candidates):
        return {}
    group = items["group"][candidates]
    producer = items["producer"][candidates]
    ok = (group >= 0) & takes[np.maximum(group, 0)] & (items["stars"][candidates] >= minimum)
    ok &= index.rated_items(as_of)[candidates] & ~np.isnan(index.p_lat[producer])
    candidates, producer = candidates[ok], producer[ok]
    if not len(candidates):
        return {}
    outlets = _scored_at(index, buyer)
    placed_outlets = outlets[~np.isnan(index.o_lat[outlets])]
    p_lat, p_lon = index.p_lat[producer], index.p_lon[producer]
    offers = _item_offers(rec, candidates)
    if len(placed_outlets):
        at, _distance = PointIndex(
            index.o_lat[placed_outlets], index.o_lon[placed_outlets]
        ).nearest(p_lat, p_lon)
        nearest = placed_outlets[at]
        features = pair_features(
            index, rec.evidence, offers, producer, nearest, rows=np.arange(len(candidates))
        )
        parts = _parts(rec, features, nearest)
    else:
        distance = (
            haversine_km(data["lat"], data["lon"], p_lat, p_lon)
            if data["lat"] is not None
            else np.full(len(candidates), np.nan)
        )
        _features, parts = _unplaced_buyer_parts(rec, candidates, offers, distance)
    score = _score(weights, parts)
    return {index.item_codes[i]: round(float(v), 4) for i, v in zip(candidates, score, strict=True)}


def _suppliers_of(rec: Recommender, buyer: str, outlets: np.ndarray) -> np.ndarray:
    """Producers already selling to the buyer (to any of its outlets, or to it directly)."""
    index = rec.index
    sellers = [rec.evidence.sells[:, outlets].nonzero()[0]] if len(outlets) else []
    if buyer in index.c_pos:
        sellers.append(index.chain_sales[index.chain_sales[:, 1] == index.c_pos[buyer], 0])
    if buyer in index.x_pos:
        sellers.append(index.other_sales[index.other_sales[:, 1] == index.x_pos[buyer], 0])
    return np.unique(np.concatenate(sellers)) if sellers else np.zeros(0, np.int64)


def _item_offers(rec: Recommender, items: np.ndarray) -> Offers:
    """One offer row per product: its group alone, its stars and its capacity."""
    n = len(CATEGORIES)
    group = rec.index.items["group"][items]
    share = np.zeros((len(items), n))
    share[np.arange(len(items)), group] = 1.0
    stars = share * rec.index.items["stars"][items][:, None]
    capacity = np.where(share > 0, rec.index.items["capacity"][items][:, None], np.nan)
    return Offers(share=share, stars=stars, capacity=capacity)


def _unplaced_buyer_parts(rec, candidates, offers, distance):
    """Parts for a buyer with no outlet to read the learned score at (a platform, a trader):
    the heuristic from the producer's side, its current buyers standing for popularity."""
    index = rec.index
    producer = index.items["producer"][candidates]
    sold = np.asarray(rec.evidence.sells.sum(axis=1)).ravel()[producer]
    zeros = np.zeros(len(candidates))
    near = np.where(np.isnan(distance), 0.0, distance)
    learned = heuristic_score(np.ones(len(candidates)), near, sold)
    learned = learned / max(1.0, float(learned.max(initial=0)))
    features = {
        "capacity_known": np.zeros(len(candidates), bool),
        "distance_km": distance,
        "nearby_count": zeros,
        "same_chain_count": zeros,
        "suppliers_count": zeros,
    }
    parts = {
        "learned": learned,
        "category": np.ones(len(candidates)),
        "distance": np.where(np.isnan(distance), NEUTRAL, np.exp(-near / HEURISTIC_SCALE_KM)),
        "capacity": np.full(len(candidates), NEUTRAL),
        "stars": np.clip(0.5 + 0.5 * (offers.stars.max(axis=1) - 3) / 2, 0, 1),
        "graph": zeros,
    }
    return features, parts


def _supplier_reasons(rec, features, j, outlet, km, product, minimum, needed, rating_reason):
    index = rec.index
    reasons = []
    if features["nearby_count"][j] >= 1:
        reasons.append(
            {"code": "supplier_nearby_sellers", "count": int(features["nearby_count"][j])}
        )
    if features["same_chain_count"][j] >= 1:
        reasons.append(
            {"code": "supplier_same_chain", "count": int(features["same_chain_count"][j])}
        )
    if not np.isnan(km):
        place = index.snapshot.nodes[index.o_codes[outlet]]["name"] if outlet >= 0 else ""
        reasons.append({"code": "supplier_distance", "km": round(float(km), 1), "place": place})
    reasons.append(
        {
            "code": "supplier_stars",
            "stars": product["stars"],
            "minimum": minimum or DEFAULT_MIN_STARS,
        }
    )
    capacity = product["capacity_per_month"]
    if needed and capacity is not None and capacity >= needed and len(reasons) < MAX_REASONS:
        reasons.append(
            {"code": "supplier_capacity", "capacity": float(capacity), "needed": float(needed)}
        )
    reasons = reasons[:MAX_REASONS]
    if rating_reason:
        reasons.append(rating_reason)
    return reasons
