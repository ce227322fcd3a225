import datetime as dt
import io

import pytest
from django.core.management import call_command

from linkage import evaluation as ev
from simulation.worlds import world_tables
from tests.factories import BuyerFactory, LinkageFactory, ProductFactory


def _tables():
    return {
        "producers": [{"code": "P"}, {"code": "Q"}],
        "buyers": [
            {"code": "C", "kind": "retail_chain"},
            {"code": "S1", "kind": "store", "chain_code": "C"},
            {"code": "S2", "kind": "store", "chain_code": "C"},
            {"code": "DB", "kind": "sales_point"},
            {"code": "EC", "kind": "ecommerce"},
        ],
        "linkages": [
            {"source_code": "P", "target_code": "S1", "kind": "sells_to", "product_code": "A"},
            {"source_code": "P", "target_code": "S1", "kind": "sells_to", "product_code": "B"},
            {"source_code": "P", "target_code": "S2", "kind": "mou"},
            {"source_code": "Q", "target_code": "DB", "kind": "sells_to"},
            {"source_code": "Q", "target_code": "EC", "kind": "lists_on"},
            {"source_code": "P", "target_code": "DB", "kind": "sells_to", "ended_on": "2020-01-01"},
        ],
    }


def test_split_hides_outlet_pairs_whole_and_keeps_them_out_of_training():
    tables = _tables()
    training, hidden = ev.split_outlet_sales(tables, share=0.99, seed=1, as_of=dt.date(2025, 1, 1))
    # Three current outlet pairs: (P, S1) with two sales, (P, S2), (Q, DB); the platform listing
    # is no outlet sale and the ended sale is never hidden.
    assert hidden == {"P": {"S1", "S2"}, "Q": {"DB"}}
    left = {(row["source_code"], row["target_code"]) for row in training["linkages"]}
    assert left == {("Q", "EC"), ("P", "DB")}
    with pytest.raises(ValueError):
        ev.split_outlet_sales(tables, share=1.0)


def test_rank_metrics():
    found = ev.rank_metrics(["a", "b", "c", "d", "e", "f"], {"c", "z"})
    assert found["recall_at_5"] == 0.5 and found["recall_at_10"] == 0.5
    assert found["mrr"] == pytest.approx(1 / 3)
    assert found["ndcg_at_10"] == pytest.approx((1 / 2) / (1 + 1 / 1.5849625), rel=1e-6)
    assert ev.rank_metrics(["a"], {"z"}) == {
        "recall_at_5": 0.0,
        "recall_at_10": 0.0,
        "mrr": 0.0,
        "ndcg_at_10": 0.0,
    }


def test_data_date_is_the_latest_date_in_the_tables_but_never_after_today():
    assert ev.data_date({"products": [{"rated_on": "2024-06-01"}]}) == dt.date(2024, 6, 1)
    assert ev.data_date({"products": [{"rated_on": "2999-01-01"}]}) == dt.date.today()


@pytest.fixture(scope="module")
def small_world():
    return world_tables("popularity", seed=2, producers=300, outlets=80)


def test_evaluation_reports_every_method_and_the_true_preference_ceiling(small_world):
    result = ev.evaluate(small_world, seed=0)
    assert set(result["methods"]) == {"learned", *ev.BASELINES, "true_preference"}
    assert result["queries"] > 0 and result["hidden_pairs"] >= result["queries"]
    table = ev.format_table({"toy": result})
    assert table.splitlines()[0].startswith("| world | method | recall@5 | recall@10 |")
    assert all(f"| toy | {method} |" in table for method in result["methods"])


def test_chain_level_counts_a_store_as_its_chain(small_world):
    outlet = ev.evaluate(small_world, seed=0, level="outlet")
    chain = ev.evaluate(small_world, seed=0, level="chain")
    # Fewer, larger units: the same rankings find more of what was hidden.
    assert chain["hidden_pairs"] < outlet["hidden_pairs"]
    assert (
        chain["methods"]["popularity"]["recall_at_10"]
        > outlet["methods"]["popularity"]["recall_at_10"]
    )
    with pytest.raises(ValueError):
        ev.evaluate(small_world, level="province")


@pytest.mark.django_db
def test_command_evaluates_the_registry():
    outlets = BuyerFactory.create_batch(4)
    for _ in range(8):
        product = ProductFactory()
        for buyer in outlets[:2]:
            LinkageFactory(source_producer=product.producer, target_buyer=buyer, product=product)
    out = io.StringIO()
    call_command("evaluate_recommendations", "--share", "0.5", stdout=out)
    assert "| db | learned |" in out.getvalue()
    assert "Outlet level" in out.getvalue()
