import datetime as dt
import io

import numpy as np
import pytest
from django.core.management import call_command

from linkage import evaluation as ev
from tests.factories import BuyerFactory, LinkageFactory, ProductFactory


def _world(seed=0, clusters=12, members=5, buyers=30):
    """Producers in communes; each commune's producers sell to the same few nearby outlets."""
    rng = np.random.default_rng(seed)
    tables = {"producers": [], "products": [], "buyers": [], "linkages": []}
    outlets = []
    for b in range(buyers):
        lat, lon = 21 + rng.uniform(-0.4, 0.4), 105.8 + rng.uniform(-0.4, 0.4)
        outlets.append((f"B{b}", lat, lon))
        tables["buyers"].append(
            {
                "code": f"B{b}",
                "name": "",
                "kind": "sales_point",
                "lat": lat,
                "lon": lon,
                "min_stars": 3,
            }
        )
    for c in range(clusters):
        lat, lon = 21 + rng.uniform(-0.4, 0.4), 105.8 + rng.uniform(-0.4, 0.4)
        chosen = rng.choice(buyers, size=3, replace=False)
        for m in range(members):
            code = f"P{c}-{m}"
            tables["producers"].append(
                {
                    "code": code,
                    "name": "",
                    "kind": "household",
                    "area_code": f"A{c}",
                    "lat": lat,
                    "lon": lon,
                }
            )
            tables["products"].append(
                {
                    "code": f"SP{c}-{m}",
                    "producer_code": code,
                    "category": "food",
                    "stars": 4,
                    "rated_on": "2024-06-01",
                }
            )
            for b in chosen:
                if rng.random() < 0.8:
                    tables["linkages"].append(
                        {
                            "source_code": code,
                            "target_code": f"B{b}",
                            "kind": "sells_to",
                            "product_code": f"SP{c}-{m}",
                        }
                    )
    return tables


def test_split_hides_the_share_of_sales_and_keeps_them_out_of_training():
    tables = _world()
    training, hidden = ev.split_sales(tables, share=0.25, seed=1)
    hidden_pairs = {(p, unit) for (p, _), units in hidden.items() for unit in units}
    assert len(hidden_pairs) == round(len(tables["linkages"]) * 0.25)
    assert len(training["linkages"]) == len(tables["linkages"]) - len(hidden_pairs)
    assert not any(
        (row["source_code"], row["target_code"]) in hidden_pairs for row in training["linkages"]
    )
    with pytest.raises(ValueError):
        ev.split_sales(tables, share=1.0)


def test_split_never_hides_a_sale_that_has_ended():
    tables = {
        "producers": [{"code": "P"}],
        "buyers": [{"code": "B1"}, {"code": "B2"}],
        "linkages": [
            {"source_code": "P", "target_code": "B1", "kind": "sells_to", "ended_on": "2020-01-01"},
            {"source_code": "P", "target_code": "B2", "kind": "sells_to"},
        ],
    }
    _, hidden = ev.split_sales(tables, share=0.9, seed=0, as_of=dt.date(2025, 1, 1))
    assert hidden == {("P", None): {"B2"}}


def test_split_counts_a_sale_to_a_store_as_a_sale_to_its_chain():
    tables = {
        "producers": [{"code": "P"}],
        "buyers": [{"code": "C"}, {"code": "S", "chain_code": "C"}],
        "linkages": [{"source_code": "P", "target_code": "S", "kind": "sells_to"}],
    }
    _, hidden = ev.split_sales(tables, share=0.9, seed=0)
    assert hidden == {("P", None): {"C"}}


def test_metrics_give_recall_at_k_and_the_reciprocal_rank():
    assert ev.metrics(["a", "b", "c", "d"], {"c", "z"}, k=3) == (0.5, pytest.approx(1 / 3))
    assert ev.metrics(["a", "b"], {"z"}, k=2) == (0.0, 0.0)


def test_recommender_beats_the_baselines_where_neighbours_share_buyers():
    result = ev.evaluate(_world(), share=0.2, k=3, seed=0, as_of=dt.date(2025, 1, 1))
    methods = result["methods"]
    assert result["queries"] > 0
    for baseline in ("popularity", "nearest", "group_fit_x_distance"):
        assert methods["recommender"]["recall_at_k"] > methods[baseline]["recall_at_k"]
        assert methods["recommender"]["mrr"] > methods[baseline]["mrr"]


def test_queries_whose_rating_expired_are_skipped_for_every_method():
    result = ev.evaluate(_world(), share=0.2, seed=0, as_of=dt.date(2030, 1, 1))
    assert result["queries"] == 0
    assert result["skipped_queries"] > 0


def test_data_date_is_the_latest_date_in_the_tables_but_never_after_today():
    assert ev.data_date(_world()) == dt.date(2024, 6, 1)
    future = {"products": [{"rated_on": "2999-01-01"}]}
    assert ev.data_date(future) == dt.date.today()


def test_format_table_has_a_row_per_method():
    result = ev.evaluate(_world(), seed=0, as_of=dt.date(2025, 1, 1))
    table = ev.format_table({"toy": result})
    assert table.splitlines()[0].startswith("| method | toy recall@10 | toy MRR |")
    assert all(f"| {method} |" in table for method in ev.METHODS)


@pytest.mark.django_db
def test_command_evaluates_the_registry():
    buyers = BuyerFactory.create_batch(3)
    for _ in range(6):
        product = ProductFactory()
        for buyer in buyers[:2]:
            LinkageFactory(source_producer=product.producer, target_buyer=buyer, product=product)
    out = io.StringIO()
    call_command("evaluate_recommendations", "--share", "0.5", "-k", "2", stdout=out)
    assert "| recommender |" in out.getvalue()
    assert "recall@2" in out.getvalue()
