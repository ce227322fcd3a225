"""An event's pair scores are the recommender's: the same numbers ``recommend_suppliers`` gives."""

import datetime as dt

import pytest

from linkage import recommend as r
from linkage.ranking import fit_ranking
from linkage.snapshot import snapshot_from_tables
from simulation.worlds import world_tables

TODAY = dt.date(2025, 6, 1)


@pytest.fixture(scope="module")
def learned():
    tables = world_tables("neighbourhood", seed=5, producers=200, outlets=60)
    graph = snapshot_from_tables(
        {k: v for k, v in tables.items() if not k.startswith("_")}, today=TODAY
    )
    rec = r.Recommender.build(graph, today=TODAY)
    rec.model = fit_ranking(rec.index, as_of=TODAY, seed=0)
    return rec, tables


@pytest.mark.parametrize("kind", ["store", "sales_point", "retail_chain"])
def test_pair_scores_agree_with_the_supplier_recommendations(learned, kind):
    rec, tables = learned
    buyer = next(b["code"] for b in tables["buyers"] if b["kind"] == kind)
    products = [p["code"] for p in tables["products"]]
    scores = r.pair_scores(rec, buyer=buyer, products=products, as_of=TODAY)
    listed = r.recommend_suppliers(rec, buyer=buyer, k=100, include_linked=True, as_of=TODAY)
    assert listed["results"] and scores
    for row in listed["results"]:
        assert scores[row["product"]["code"]] == row["score"]


def test_products_the_buyer_may_not_take_have_no_score(learned):
    rec, tables = learned
    buyer = next(b for b in tables["buyers"] if b.get("categories"))
    takes = set(buyer["categories"].split(";"))
    outside = [p["code"] for p in tables["products"] if p["category"] not in takes]
    assert outside
    assert r.pair_scores(rec, buyer=buyer["code"], products=outside, as_of=TODAY) == {}
