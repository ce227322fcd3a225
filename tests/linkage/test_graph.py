import datetime as dt

import pytest

from linkage import graph as g
from linkage import selectors
from tests.factories import (
    ChainFactory,
    LinkageFactory,
    ProductFactory,
    StoreFactory,
)


def _tables(producers=(), products=(), buyers=(), linkages=()):
    return {
        "producers": [
            {"code": c, "name": c, "kind": kind, "area_code": area, "lat": 21.0, "lon": 105.8}
            for c, kind, area in producers
        ],
        "products": [
            {"code": c, "name": c, "producer_code": p, "category": "food", "stars": 4}
            for c, p in products
        ],
        "buyers": [
            {"code": c, "name": c, "kind": kind, "chain_code": chain, "lat": 21.0, "lon": 105.9}
            for c, kind, chain in buyers
        ],
        "linkages": [
            {
                "source_code": s,
                "target_code": t,
                "kind": kind,
                "product_code": product,
                "volume_per_month": volume,
            }
            for s, t, kind, product, volume in linkages
        ],
    }


HOUSEHOLD, COOP, ENTERPRISE = "household", "cooperative", "enterprise"


def test_build_graph_keys_nodes_by_code_with_their_attributes():
    graph = g.build_graph(
        _tables(
            producers=[("P1", COOP, "A1")],
            products=[("SP1", "P1")],
            buyers=[("C1", "retail_chain", None), ("S1", "store", "C1")],
            linkages=[("P1", "S1", "sells_to", "SP1", 50)],
        )
    )
    assert graph.nodes["P1"]["type"] == "producer"
    assert graph.nodes["P1"]["area"] == "A1"
    assert graph.nodes["P1"]["products"] == ["SP1"]
    assert graph.nodes["S1"]["chain"] == "C1"
    assert graph.graph["products"]["SP1"]["rating_expires_on"] is None
    assert graph.edges["P1", "S1"]["links"] == [
        {"kind": "sells_to", "product": "SP1", "volume": 50.0}
    ]
    assert graph.edges["S1", "C1"]["links"][0]["kind"] == "store_of"


def test_build_graph_leaves_out_ended_linkages_and_unknown_actors():
    tables = _tables(producers=[("P1", COOP, "")], buyers=[("B1", "sales_point", None)])
    tables["linkages"] = [
        {"source_code": "P1", "target_code": "B1", "kind": "sells_to", "ended_on": "2020-01-01"},
        {"source_code": "P1", "target_code": "NOBODY", "kind": "sells_to"},
    ]
    graph = g.build_graph(tables, today=dt.date(2025, 1, 1))
    assert graph.number_of_edges() == 0


def test_a_buyer_reusing_a_producers_code_stays_out_and_the_producer_keeps_its_products():
    graph = g.build_graph(
        _tables(
            producers=[("X1", COOP, "")],
            products=[("SP1", "X1")],
            buyers=[("X1", "sales_point", None)],
        )
    )
    assert graph.nodes["X1"]["type"] == "producer"
    assert graph.nodes["X1"]["products"] == ["SP1"]
    assert g.hubs(graph)


def test_build_graph_reads_semicolon_or_comma_separated_categories():
    tables = _tables(buyers=[("B1", "sales_point", None)])
    tables["buyers"][0]["categories"] = "food; herbal"
    assert g.build_graph(tables).nodes["B1"]["categories"] == ("food", "herbal")


@pytest.mark.django_db
def test_graph_from_db_takes_five_queries_whatever_the_rows(django_assert_num_queries):
    chain = ChainFactory(code="C1")
    store = StoreFactory(code="S1", chain=chain)
    for _ in range(5):
        product = ProductFactory()
        LinkageFactory(source_producer=product.producer, target_buyer=store, product=product)
    with django_assert_num_queries(5):
        graph = selectors.graph_from_db()
    assert graph.number_of_nodes() == 7
    assert all(graph.has_edge(p.producer.code, "S1") for p in product.producer.products.all())


def _chain_world():
    return g.build_graph(
        _tables(
            producers=[
                ("H1", HOUSEHOLD, ""),
                ("H2", HOUSEHOLD, ""),
                ("CO", COOP, ""),
                ("EN", ENTERPRISE, ""),
            ],
            products=[("SP", "EN"), ("OTHER", "EN")],
            buyers=[
                ("C1", "retail_chain", None),
                ("S1", "store", "C1"),
                ("B1", "sales_point", None),
            ],
            linkages=[
                ("H1", "CO", "member_of", None, None),
                ("H2", "EN", "supplies", None, 10),
                ("CO", "EN", "supplies", None, 100),
                ("EN", "S1", "sells_to", "SP", 30),
                ("EN", "B1", "sells_to", "OTHER", 30),
            ],
        )
    )


def test_supply_paths_run_from_households_through_the_producer_to_buyers_and_chains():
    paths = g.supply_paths(_chain_world(), "SP")
    codes = sorted([step["code"] for step in path] for path in paths["paths"])
    assert codes == [["H1", "CO", "EN", "S1", "C1"], ["H2", "EN", "S1", "C1"]]
    assert paths["upstream"] == 3
    assert paths["truncated"] is False


def test_supply_paths_follow_the_product_through_producers_it_is_supplied_to():
    graph = g.build_graph(
        _tables(
            producers=[("H", HOUSEHOLD, ""), ("CO", COOP, ""), ("EN", ENTERPRISE, "")],
            products=[("SP", "CO")],
            buyers=[("B", "sales_point", None)],
            linkages=[
                ("H", "CO", "supplies", None, 10),
                ("CO", "EN", "supplies", "SP", 10),
                ("EN", "B", "sells_to", None, 10),
            ],
        )
    )
    paths = g.supply_paths(graph, "SP")
    assert [[step["code"] for step in path] for path in paths["paths"]] == [["H", "CO", "EN", "B"]]
    assert paths["buyers"] == 1


def test_supply_paths_stop_at_the_limit():
    assert g.supply_paths(_chain_world(), "SP", limit=1)["truncated"] is True


def test_hubs_rank_the_best_tied_actor_of_each_kind_first():
    found = g.hubs(_chain_world())
    assert found["enterprise"][0]["code"] == "EN"
    assert found["household"][0]["score"] > 0
    with pytest.raises(ValueError):
        g.hubs(_chain_world(), measure="pagerank")


def test_communities_separate_groups_with_no_ties_between_them():
    graph = g.build_graph(
        _tables(
            producers=[(f"P{i}", COOP, "") for i in range(6)],
            buyers=[("B1", "sales_point", None), ("B2", "sales_point", None)],
            linkages=[(f"P{i}", "B1" if i < 3 else "B2", "sells_to", None, 1) for i in range(6)],
        )
    )
    found = g.communities(graph, min_size=2)
    assert sorted(c["size"] for c in found["communities"]) == [4, 4]
    assert found["modularity"] > 0.4


def test_dependence_counts_a_chains_stores_as_one_buyer():
    graph = g.build_graph(
        _tables(
            producers=[("P1", COOP, "")],
            buyers=[
                ("C1", "retail_chain", None),
                ("S1", "store", "C1"),
                ("S2", "store", "C1"),
                ("B1", "sales_point", None),
            ],
            linkages=[
                ("P1", "S1", "sells_to", None, 45),
                ("P1", "S2", "sells_to", None, 45),
                ("P1", "B1", "sells_to", None, 10),
            ],
        )
    )
    [row] = g.dependence(graph)
    assert row["largest_buyer"]["code"] == "C1"
    assert row["largest_share"] == pytest.approx(0.9)
    assert row["herfindahl"] == pytest.approx(0.82)
    assert row["basis"] == "volume"


def test_dependence_falls_back_to_counting_linkages_when_a_volume_is_missing():
    graph = g.build_graph(
        _tables(
            producers=[("P1", COOP, "")],
            buyers=[("B1", "sales_point", None), ("B2", "sales_point", None)],
            linkages=[("P1", "B1", "sells_to", None, 90), ("P1", "B2", "sells_to", None, None)],
        )
    )
    [row] = g.dependence(graph)
    assert (row["basis"], row["largest_share"], row["herfindahl"]) == ("linkages", 0.5, 0.5)
    assert g.dependence(graph, min_share=0.6) == []


def test_critical_actors_are_those_on_every_route_of_a_household_to_market():
    found = {row["actor"]["code"]: row for row in g.critical_actors(_chain_world())}
    # H1 reaches a buyer only through CO and then EN; H2 only through EN.
    assert found["EN"]["households_cut_off"] == 2
    assert found["CO"]["households"] == ["H1"]
    # EN sells to two buyers, so neither is critical alone.
    assert "S1" not in found and "B1" not in found


def test_a_second_route_to_market_removes_an_actor_from_the_critical_ones():
    graph = _chain_world()
    graph.add_edge("H1", "B1", links=[{"kind": "sells_to", "product": None, "volume": 1}], volume=1)
    found = {row["actor"]["code"] for row in g.critical_actors(graph)}
    assert "CO" not in found


def test_unlinked_producers_with_and_without_routes_through_others():
    graph = _chain_world()
    graph.add_node(
        "LONE",
        type="producer",
        kind=HOUSEHOLD,
        name="",
        lat=None,
        lon=None,
        area="",
        members=None,
        products=[],
    )
    assert [row["code"] for row in g.unlinked_producers(graph)] == ["LONE"]
    direct = [row["code"] for row in g.unlinked_producers(graph, direct=True)]
    assert direct == ["CO", "H1", "H2", "LONE"]
