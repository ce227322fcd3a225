"""Offline quality of the outlet recommendations: hide sales, rank outlets, see where they land.

Works on interchange tables (``simulation.demo`` and ``simulation.worlds`` worlds, or
``linkage.selectors.tables_from_db()``). A share of the producer → outlet sale pairs is hidden —
every sale, listing or memorandum between the pair, so a hidden pair leaves no trace — the graph is
built from the rest, the ranking is fitted on that graph alone, and for every producer with hidden
pairs each method ranks the same candidates: the outlets the producer may sell to (the hard rules)
and does not sell to yet.

Methods: ``learned`` (``linkage.ranking``, the heuristic when too few sales to learn from) and the
baselines, exactly as defined:

* ``popularity``: most current suppliers first;
* ``nearest``: nearest eligible outlet first;
* ``category_distance_popularity``: fit × exp(−d / 10 km) × (1 + ln(1 + current suppliers)), fit
  being the share of the producer's products in groups the outlet takes;
* ``co_buyers``: outlets of the producers who share an outlet with the producer, by how many of
  them sell there;
* ``true_preference`` when the world carries its hidden preferences (``_truth``): the ceiling.

Metrics, averaged over producers: recall@5, recall@10 (share of a producer's hidden outlets in its
top k), MRR (1 / rank of the first hidden outlet) and nDCG@10. At ``level="chain"`` a store counts
as its chain and a ranking keeps each chain's first store only.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Mapping

import numpy as np

from .graph import SALE_KINDS
from .ranking import (
    OUTLET_KINDS,
    OutletIndex,
    best_first,
    build_evidence,
    co_buyer_counts,
    eligible_outlets,
    fit_ranking,
    offers_of,
    pair_features,
)
from .snapshot import snapshot_from_tables

__all__ = [
    "BASELINES",
    "LEVELS",
    "METRICS",
    "data_date",
    "evaluate",
    "format_table",
    "rank_metrics",
    "split_outlet_sales",
]

BASELINES = ("popularity", "nearest", "category_distance_popularity", "co_buyers")
METRICS = ("recall_at_5", "recall_at_10", "mrr", "ndcg_at_10")
LEVELS = ("outlet", "chain")


def _outlets(tables: Mapping) -> dict[str, str]:
    """Outlet code → the unit it counts as at chain level (its chain, or itself)."""
    buyers = {str(b["code"]): b for b in tables.get("buyers", ())}
    chains_with_stores = {str(b.get("chain_code") or "") for b in buyers.values()}
    outlets = {}
    for code, row in buyers.items():
        chain = str(row.get("chain_code") or "")
        if row.get("kind") in OUTLET_KINDS:
            outlets[code] = chain if chain in buyers else code
        elif row.get("kind") == "retail_chain" and code not in chains_with_stores:
            outlets[code] = code
    return outlets


def split_outlet_sales(
    tables: Mapping, *, share: float = 0.2, seed: int = 0, as_of: dt.date | None = None
) -> tuple[dict, dict[str, set[str]]]:
    """Tables with a share of the producer → outlet sale pairs hidden, and what was hidden.

    A pair is hidden whole: all its current sales, listings and memoranda leave the training
    tables. Sales that ended before ``as_of`` are never hidden (the graph leaves them out anyway).
    Returns ``(training_tables, hidden)``, ``hidden`` mapping producer codes to hidden outlets.
    Raises ``ValueError`` unless 0 < share < 1.
    """
    if not 0 < share < 1:
        raise ValueError("share must be between 0 and 1")
    as_of = (as_of or dt.date.today()).isoformat()
    producers = {str(p["code"]) for p in tables.get("producers", ())}
    outlets = _outlets(tables)
    rows_of = defaultdict(list)
    for i, row in enumerate(tables.get("linkages", ())):
        source, target = str(row.get("source_code")), str(row.get("target_code"))
        ended = str(row.get("ended_on") or "")[:10]
        if ended and ended < as_of:
            continue
        if row.get("kind") in SALE_KINDS and source in producers and target in outlets:
            rows_of[(source, target)].append(i)
    pairs = sorted(rows_of)
    chosen = random.Random(seed).sample(pairs, round(len(pairs) * share))
    hidden_rows = {i for pair in chosen for i in rows_of[pair]}
    hidden = defaultdict(set)
    for producer, outlet in chosen:
        hidden[producer].add(outlet)
    training = {name: rows for name, rows in tables.items() if not name.startswith("_")}
    training["linkages"] = [
        row for i, row in enumerate(tables.get("linkages", ())) if i not in hidden_rows
    ]
    return training, dict(hidden)


def data_date(tables: Mapping) -> dt.date:
    """The latest rating or linkage date in the tables, or today when that is earlier or absent.

    Evaluating a world as of its own date keeps its ratings valid: a product whose rating has
    expired has no eligible outlet, so its producer's query would say nothing about any method.
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


def rank_metrics(ranking: list[str], relevant: set[str]) -> dict[str, float]:
    """recall@5, recall@10, reciprocal rank and nDCG@10 of one ranking against relevant items."""
    position = {item: i for i, item in enumerate(ranking)}
    ranks = sorted(position[item] for item in relevant if item in position)
    gains = sum(1.0 / np.log2(r + 2) for r in ranks if r < 10)
    ideal = sum(1.0 / np.log2(r + 2) for r in range(min(10, len(relevant))))
    return {
        "recall_at_5": sum(r < 5 for r in ranks) / len(relevant),
        "recall_at_10": sum(r < 10 for r in ranks) / len(relevant),
        "mrr": 1.0 / (ranks[0] + 1) if ranks else 0.0,
        "ndcg_at_10": gains / ideal if ideal else 0.0,
    }


def evaluate(
    tables: Mapping,
    *,
    share: float = 0.2,
    seed: int = 0,
    level: str = "outlet",
    as_of: dt.date | None = None,
) -> dict:
    """Each method's quality on one random split of the outlet sales.

    Ratings are checked as of ``as_of``, by default the date of the data (``data_date``).
    Returns ``{"queries", "hidden_pairs", "level", "share", "seed", "as_of", "model",
    "methods": {method: {metric: value}}}``; ``model`` says whether the ranking was learned
    (with its training size) or fell back to the heuristic. Raises ``ValueError`` for an unknown
    level.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}")
    as_of = as_of or data_date(tables)
    training, hidden = split_outlet_sales(tables, share=share, seed=seed, as_of=as_of)
    index = OutletIndex(snapshot_from_tables(training, today=as_of))
    model = fit_ranking(index, as_of=as_of, seed=seed)
    offers = offers_of(index, as_of)
    evidence = build_evidence(index, index.sales, offers)
    truth = tables.get("_truth")
    unit_of = _outlets(tables) if level == "chain" else None
    methods = ("learned", *BASELINES) + (("true_preference",) if truth else ())
    totals = {method: defaultdict(float) for method in methods}
    queries = pairs = 0
    for producer in sorted(hidden):
        p = index.p_pos.get(producer)
        if p is None or np.isnan(index.p_lat[p]):
            continue
        linked = evidence.sells[p].indices
        candidates = eligible_outlets(index, offers, p)
        candidates[linked] = False
        candidates = np.flatnonzero(candidates)
        relevant = set(hidden[producer])
        if unit_of is not None:
            relevant = {unit_of[o] for o in relevant} - {unit_of[index.o_codes[o]] for o in linked}
        if not relevant:
            continue
        queries += 1
        pairs += len(relevant)
        if not len(candidates):
            continue  # nothing to rank: every method scores zero on this query
        features = pair_features(index, evidence, offers, np.full(len(candidates), p), candidates)
        scores = {
            "learned": model.score(features) if model else features["heuristic"],
            "popularity": features["suppliers_count"],
            "nearest": -features["distance"],
            "category_distance_popularity": features["heuristic"],
            "co_buyers": co_buyer_counts(evidence, p)[candidates],
        }
        if truth:
            mine = truth.get(producer, {})
            scores["true_preference"] = np.array(
                [mine.get(index.o_codes[o], -np.inf) for o in candidates]
            )
        for method, score in scores.items():
            order = best_first(score, features["distance_km"], candidates)
            ranked = [index.o_codes[o] for o in candidates[order]]
            if unit_of is not None:
                ranked = list(dict.fromkeys(unit_of[o] for o in ranked))
            for metric, value in rank_metrics(ranked, relevant).items():
                totals[method][metric] += value
    return {
        "queries": queries,
        "hidden_pairs": pairs,
        "level": level,
        "share": share,
        "seed": seed,
        "as_of": as_of.isoformat(),
        "model": (
            {"kind": "logistic_regression", "training_pairs": model.training_pairs}
            if model
            else {"kind": "heuristic", "training_pairs": 0}
        ),
        "methods": {
            method: {m: round(totals[method][m] / queries, 4) if queries else 0.0 for m in METRICS}
            for method in methods
        },
    }


def format_table(results: Mapping[str, Mapping]) -> str:
    """A Markdown table of ``evaluate`` results: one row per world and method."""
    lines = [
        "| world | method | recall@5 | recall@10 | MRR | nDCG@10 | queries | hidden pairs |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, result in results.items():
        for method, found in result["methods"].items():
            lines.append(
                f"| {name} | {method} | "
                + " | ".join(f"{found[m]:.3f}" for m in METRICS)
                + f" | {result['queries']} | {result['hidden_pairs']} |"
            )
    return "\n".join(lines)
