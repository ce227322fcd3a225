import datetime as dt

import numpy as np
import pytest

from linkage import ranking
from linkage.snapshot import snapshot_from_tables
from simulation.worlds import world_tables

AS_OF = dt.date(2025, 6, 30)


def _index(assumption="neighbourhood", seed=5, producers=250, outlets=70):
    tables = world_tables(assumption, seed=seed, producers=producers, outlets=outlets)
    tables = {name: rows for name, rows in tables.items() if not name.startswith("_")}
    return ranking.OutletIndex(snapshot_from_tables(tables, today=AS_OF))


@pytest.fixture(scope="module")
def index():
    return _index()


def test_a_store_takes_what_both_it_and_its_chain_take_at_the_higher_minimum():
    store = {"categories": ("food", "herbal"), "min_stars": 3}
    chain = {"categories": ("food", "beverages"), "min_stars": 4}
    takes, stars = ranking.outlet_rules(store, chain)
    assert [g for g, ok in zip(ranking.CATEGORIES, takes, strict=True) if ok] == ["food"]
    assert stars == 4
    takes, _ = ranking.outlet_rules({"categories": (), "min_stars": None}, chain)
    assert [g for g, ok in zip(ranking.CATEGORIES, takes, strict=True) if ok] == [
        "food",
        "beverages",
    ]
    takes, stars = ranking.outlet_rules({"categories": (), "min_stars": None}, None)
    assert takes.all() and stars == 0


def test_no_training_pair_sees_its_own_sale(index):
    """A feature of a training pair is unchanged when that pair's own sale is removed."""
    offers = ranking.offers_of(index, AS_OF)
    _, labels, folds = ranking.training_examples(index, as_of=AS_OF, folds=1, seed=0)
    fold = folds[0]
    positives = fold["pairs"][fold["labels"] == 1][:40]
    visible = {tuple(pair) for pair in fold["visible"].tolist()}
    assert len(positives) and labels.sum() >= len(positives)
    recorded = ranking.pair_features(
        index,
        ranking.build_evidence(index, fold["visible"], offers),
        offers,
        positives[:, 0],
        positives[:, 1],
    )
    changed = 0
    for i, (p, o) in enumerate(positives.tolist()):
        assert (p, o) not in visible
        without = np.array([pair for pair in visible if pair != (p, o)])
        with_it = np.vstack([without, [[p, o]]])
        for sales, expect_same in ((without, True), (with_it, False)):
            evidence = ranking.build_evidence(index, sales, offers)
            again = ranking.pair_features(index, evidence, offers, np.array([p]), np.array([o]))
            same = all(np.isclose(recorded[name][i], again[name][0]) for name in ranking.FEATURES)
            if expect_same:
                assert same, f"pair {(p, o)} saw its own sale"
            else:
                changed += not same
    # The check above can fail: counting the pair's own sale does move its features.
    assert changed == len(positives)


def test_the_learned_ranking_beats_every_baseline_on_a_small_world():
    from linkage.evaluation import BASELINES, evaluate

    tables = world_tables("neighbourhood", seed=9, producers=400, outlets=90)
    result = evaluate(tables, seed=0)
    methods = result["methods"]
    assert result["model"]["kind"] == "logistic_regression"
    assert result["queries"] > 50
    for baseline in BASELINES:
        assert methods["learned"]["recall_at_10"] > methods[baseline]["recall_at_10"], baseline
        assert methods["learned"]["ndcg_at_10"] > methods[baseline]["ndcg_at_10"], baseline


def test_fitting_is_deterministic(index):
    first = ranking.fit_ranking(index, as_of=AS_OF, seed=0)
    second = ranking.fit_ranking(index, as_of=AS_OF, seed=0)
    assert first is not None and first.features == ranking.FEATURES
    assert np.array_equal(first.coefficients, second.coefficients)
    assert first.intercept == second.intercept


def test_too_few_sales_leave_no_model_to_learn():
    tables = world_tables("distance", seed=1, producers=8, outlets=6)
    tables = {name: rows for name, rows in tables.items() if not name.startswith("_")}
    index = ranking.OutletIndex(snapshot_from_tables(tables, today=AS_OF))
    assert len(index.sales) < ranking.MIN_TRAINING_SALES
    assert ranking.fit_ranking(index, as_of=AS_OF) is None


def test_offers_count_only_valid_ratings(index):
    offers = ranking.offers_of(index, AS_OF)
    later = ranking.offers_of(index, dt.date(2040, 1, 1))
    assert offers.stars.max() >= 3
    assert later.stars.max() == 0  # every rating has expired by then
    item = index.item_codes[0]
    p = index.items["producer"][0]
    alone = ranking.producer_offer(index, p, AS_OF, product=item)
    assert alone.share[0].sum() == pytest.approx(1.0)
    assert alone.stars[0].max() == index.items["stars"][0]
    whole = ranking.producer_offer(index, p, AS_OF)
    assert np.allclose(whole.share[0], offers.share[p])
    assert np.array_equal(whole.stars[0], offers.stars[p])


def test_heuristic_is_fit_times_distance_decay_times_popularity():
    value = ranking.heuristic_score(np.array([0.5]), np.array([10.0]), np.array([3.0]))
    assert value[0] == pytest.approx(0.5 * np.exp(-1) * (1 + np.log(4)))


def test_nearness_counts_exactly_the_selling_producers_within_20_km_by_great_circle(index):
    """The neighbourhood found through a k-d tree of chords is the brute-force one: every
    selling producer within 20 km of arc (mean Earth radius), never the producer itself, each
    weighted exp(−d / 5 km) (times 0.3 across main groups)."""
    offers = ranking.offers_of(index, AS_OF)
    suppliers_of = np.unique(index.sales[:, 0])
    neighbours, _ = ranking._neighbourhood(index, offers, suppliers_of)
    lat, lon = np.radians(index.p_lat), np.radians(index.p_lon)
    offering = np.flatnonzero(~np.isnan(lat) & (offers.share.sum(axis=1) > 0))
    sellers = suppliers_of[~np.isnan(lat[suppliers_of])]
    a, b = np.meshgrid(offering, sellers, indexing="ij")
    arc = 2 * np.arcsin(
        np.sqrt(
            np.sin((lat[b] - lat[a]) / 2) ** 2
            + np.cos(lat[a]) * np.cos(lat[b]) * np.sin((lon[b] - lon[a]) / 2) ** 2
        )
    )
    km = arc * ranking.EARTH_RADIUS_KM
    expected = (km <= ranking.NEIGHBOUR_RADIUS_KM) & (a != b)
    assert expected.sum() > 50  # a world where producers have selling neighbours
    found = neighbours[offering][:, sellers].toarray()
    assert np.array_equal(found > 0, expected)
    main = np.where(offers.share.sum(axis=1) > 0, offers.share.argmax(axis=1), -1)
    factor = np.where(main[a] == main[b], 1.0, ranking.OTHER_GROUP_FACTOR)
    weight = np.exp(-km / ranking.NEIGHBOUR_SCALE_KM) * factor
    assert np.allclose(found[expected], weight[expected], rtol=1e-9, atol=0)
