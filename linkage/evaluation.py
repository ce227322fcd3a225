"""Offline quality of the buyer recommender: hide some sales, recommend, see where they rank.

Works on interchange tables (``linkage.demo`` worlds, or ``linkage.graph.tables_from_db()``):
a share of the sales (``sells_to`` linkages from a producer to a buyer) is hidden, the graph is
built from the rest, and for every product (or producer, for sales naming no product) whose sales
were hidden, each method ranks the eligible buyers — the same hard rules and the same candidates
for every method, so only the ordering is compared. A sale to a store counts as a sale to its
chain, as chains are what the recommender lists.

Methods: ``recommender`` (``linkage.recommend``), and the baselines ``popularity`` (most current
suppliers first), ``nearest`` (nearest eligible buyer first) and ``group_fit_x_distance`` (the
recommender's category part times its distance part). Metrics, averaged over queries: recall@k
(share of a query's hidden buyers in its top k) and MRR (1 / rank of its first hidden buyer).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Mapping

import numpy as np

from .graph import build_graph
from .recommend import RecommenderIndex, parse_weights, score_buyers_for_product

__all__ = ["METHODS", "data_date", "evaluate", "format_table", "metrics", "split_sales"]

METHODS = ("recommender", "popularity", "nearest", "group_fit_x_distance")


def _unit_of(tables: Mapping) -> dict[str, str]:
    chains = {str(b["code"]): str(b.get("chain_code") or "") for b in tables.get("buyers", ())}
    return {code: chain if chain in chains else code for code, chain in chains.items()}


def split_sales(
    tables: Mapping, *, share: float = 0.2, seed: int = 0, as_of: dt.date | None = None
) -> tuple[dict, dict[tuple[str, str | None], set[str]]]:
    """Tables with a share of the current sales hidden, and what was hidden.

    Sales are grouped by (producer, product, buyer unit) so that a hidden pair leaves no trace in
    the training tables; sales that ended before ``as_of`` (default today) are never hidden, as
    the graph leaves them out anyway. Returns ``(training_tables, hidden)`` where ``hidden`` maps
    ``(producer_code, product_code or None)`` to the set of hidden buyer units. Raises
    ``ValueError`` unless 0 < share < 1.
    """
    if not 0 < share < 1:
        raise ValueError("share must be between 0 and 1")
    as_of = (as_of or dt.date.today()).isoformat()
    producers = {str(p["code"]) for p in tables.get("producers", ())}
    unit_of = _unit_of(tables)
    groups = defaultdict(list)
    for i, row in enumerate(tables.get("linkages", ())):
        source, target = str(row.get("source_code")), str(row.get("target_code"))
        ended = str(row.get("ended_on") or "")[:10]
        if ended and ended < as_of:
            continue
        if row.get("kind") == "sells_to" and source in producers and target in unit_of:
            product = str(row.get("product_code") or "") or None
            groups[(source, product, unit_of[target])].append(i)
    keys = sorted(groups, key=lambda key: (key[0], key[1] or "", key[2]))
    chosen = random.Random(seed).sample(keys, round(len(keys) * share))
    hidden_rows = {i for key in chosen for i in groups[key]}
    hidden = defaultdict(set)
    for producer, product, unit in chosen:
        hidden[(producer, product)].add(unit)
    training = dict(tables)
    training["linkages"] = [
        row for i, row in enumerate(tables.get("linkages", ())) if i not in hidden_rows
    ]
    return training, dict(hidden)


def data_date(tables: Mapping) -> dt.date:
    """The latest rating or linkage date in the tables, or today when that is earlier or absent.

    Evaluating a world as of its own date keeps its ratings valid: a product whose rating has
    expired has no eligible buyer, so its query would say nothing about any method's ranking.
    """
    latest = ""
    for table, column in (("products", "rated_on"), ("linkages", "started_on")):
        for row in tables.get(table, ()):
            value = str(row.get(column) or "")[:10]
            if value > latest:
                latest = value
    today = dt.date.today()
    try:
        return min(today, dt.date.fromisoformat(latest)) if latest else today
    except ValueError:
        return today


def metrics(ranking: list[str], relevant: set[str], k: int) -> tuple[float, float]:
    """(recall@k, reciprocal rank) of one ranked list of buyer units against the relevant ones."""
    top = set(ranking[:k])
    recall = len(relevant & top) / len(relevant)
    rank = next((i for i, unit in enumerate(ranking, start=1) if unit in relevant), None)
    return recall, (1.0 / rank if rank else 0.0)


def _rankings(index: RecommenderIndex, products: list[str], weights, as_of) -> dict[str, list]:
    """Each method's ranking of the eligible units for a query's products (best product wins)."""
    best = {method: {} for method in METHODS}
    for code in products:
        scored = score_buyers_for_product(index, code, weights=weights, as_of=as_of)
        units, parts = scored["units"], scored["parts"]
        distance = scored["distance_km"]
        by_method = {
            "recommender": scored["score"],
            "popularity": index.u_popularity[units],
            "nearest": np.where(np.isnan(distance), -np.inf, -np.nan_to_num(distance)),
            "group_fit_x_distance": parts["category"] * parts["distance"],
        }
        for method, values in by_method.items():
            for unit, value in zip(units.tolist(), values.tolist(), strict=False):
                if unit not in best[method] or value > best[method][unit]:
                    best[method][unit] = value
    return {
        method: [index.u_codes[u] for u, _ in sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))]
        for method, found in best.items()
    }


def evaluate(
    tables: Mapping,
    *,
    share: float = 0.2,
    k: int = 10,
    seed: int = 0,
    weights: Mapping[str, float] | None = None,
    as_of: dt.date | None = None,
) -> dict:
    """Recall@k and MRR of the recommender and the baselines on one random split of the sales.

    Ratings are checked as of ``as_of``, by default the date of the data (``data_date``).
    Returns ``{"queries", "hidden_pairs", "skipped_queries", "k", "share", "seed", "as_of",
    "methods": {method: {"recall_at_k", "mrr"}}}``. A hidden buyer already linked to the query's
    product through a sale that stayed in the training tables is not counted; queries left with
    none are dropped, and so are queries with no eligible buyer at all (``skipped_queries``),
    which no method can rank.
    """
    weights = weights or parse_weights(None)
    as_of = as_of or data_date(tables)
    training, hidden = split_sales(tables, share=share, seed=seed, as_of=as_of)
    index = RecommenderIndex(build_graph(training, today=as_of))
    totals = {method: [0.0, 0.0] for method in METHODS}
    queries = pairs = skipped = 0
    for (producer, product), relevant in sorted(
        hidden.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
    ):
        if producer not in index.p_pos or (product and product not in index.products):
            continue
        p = index.p_pos[producer]
        rows = index.sales_of_producer(p)
        still_linked = {
            index.u_codes[index.s_unit[r]]
            for r in rows
            if product is None or index.s_product[r] in (None, product)
        }
        relevant = relevant - still_linked
        if not relevant:
            continue
        products = [product] if product else sorted(index.graph.nodes[producer]["products"])
        rankings = _rankings(index, products, weights, as_of)
        if not rankings["recommender"]:
            # No eligible buyer at all (an expired rating): nothing to rank, for any method.
            skipped += 1
            continue
        queries += 1
        pairs += len(relevant)
        for method, ranking in rankings.items():
            recall, reciprocal = metrics(ranking, relevant, k)
            totals[method][0] += recall
            totals[method][1] += reciprocal
    return {
        "queries": queries,
        "hidden_pairs": pairs,
        "skipped_queries": skipped,
        "k": k,
        "share": share,
        "seed": seed,
        "as_of": as_of.isoformat(),
        "methods": {
            method: {
                "recall_at_k": round(recall / queries, 4) if queries else 0.0,
                "mrr": round(mrr / queries, 4) if queries else 0.0,
            }
            for method, (recall, mrr) in totals.items()
        },
    }


def format_table(results: Mapping[str, Mapping]) -> str:
    """A Markdown table of ``evaluate`` results, one column pair per named data set."""
    names = list(results)
    k = next(iter(results.values()))["k"] if results else 10
    header = "| method | " + " | ".join(f"{n} recall@{k} | {n} MRR" for n in names) + " |"
    rule = "| --- |" + " ---: | ---: |" * len(names)
    lines = [header, rule]
    for method in METHODS:
        cells = []
        for name in names:
            found = results[name]["methods"][method]
            cells += [f"{found['recall_at_k']:.3f}", f"{found['mrr']:.3f}"]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    lines.append(
        "| queries (hidden pairs) | "
        + " | ".join(f"{results[n]['queries']} ({results[n]['hidden_pairs']}) | " for n in names)
        + "|"
    )
    return "\n".join(lines)
