"""The analytics' inputs from the registry's snapshot equal the database reads they replace."""

import datetime as dt
import random

import numpy as np
import pandas as pd
import pytest

from analytics import frames, selectors
from linkage import services
from linkage.choices import AreaLevel, BuyerKind, Category, ProducerKind
from linkage.importing import import_tables
from linkage.selectors import snapshot_from_db, snapshot_patched
from linkage.snapshot import GraphSnapshot, snapshot_from_tables
from simulation.demo import hanoi_demo_tables
from tests.factories import (
    AreaFactory,
    BuyerFactory,
    ChainFactory,
    ProducerFactory,
    ProductFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db

LEVELS = [None, *AreaLevel.values]


def _groups(text) -> frozenset | None:
    if not isinstance(text, str):
        return None
    return frozenset(code for code in text.split(",") if code)


def _plain(frame: pd.DataFrame, groups=()) -> pd.DataFrame:
    """Values as Python objects, every missing value None (pandas writes NaN or None by dtype),
    a buyer's groups as sets (the snapshot keeps them sorted, the database as typed)."""
    frame = frame.astype(object)
    frame = frame.where(frame.notna(), None)
    for column in groups:
        frame[column] = frame[column].map(_groups)
    return frame


def _same(from_snapshot: pd.DataFrame, from_db: pd.DataFrame, groups=()) -> None:
    assert list(from_snapshot.index) == list(from_db.index)
    assert list(from_snapshot.columns) == list(from_db.columns)
    pd.testing.assert_frame_equal(
        _plain(from_snapshot, groups), _plain(from_db, groups), check_index_type=False
    )


def _products(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.sort_values("code").reset_index(drop=True)
    frame["stars"] = pd.to_numeric(frame["stars"]).astype(float)
    return _plain(frame)


def assert_frames_equal_the_database_reads():
    snapshot = snapshot_from_db(version="test")
    for level in LEVELS:
        _same(frames.area_frame(snapshot, level), selectors.area_frame(level))
        _same(frames.producer_frame(snapshot, level), selectors.producer_frame(level))
    actors = snapshot.actors
    chains = actors.loc[actors["kind"] == BuyerKind.RETAIL_CHAIN, "code"].tolist()
    supplies = [
        frames.Supply(),
        frames.Supply(kinds=tuple(BuyerKind.values[:4])),
        *(frames.parse_supply(f"chain:{code}") for code in chains),
    ]
    for supply in supplies:
        _same(
            frames.facility_frame(snapshot, supply),
            selectors.facility_frame(supply),
            groups=["categories", "chain_categories"],
        )
    pd.testing.assert_frame_equal(
        _products(frames.rated_product_frame(snapshot)),
        _products(selectors.rated_product_frame()),
    )
    pd.testing.assert_frame_equal(
        _plain(frames.rating_frame(snapshot)), _plain(selectors.rating_frame())
    )


def test_frames_of_the_hanoi_demo_equal_the_database_reads():
    report = import_tables(hanoi_demo_tables(2025))
    assert not report.errors
    assert_frames_equal_the_database_reads()


def _random_registry(seed: int) -> None:
    rng = random.Random(seed)

    def point():
        if rng.random() < 0.2:
            return {"lat": None, "lon": None}
        return {"lat": 20.5 + rng.random(), "lon": 105.3 + rng.random()}

    def groups():
        picked = rng.sample(Category.values, rng.randint(0, 3))
        return ",".join(picked)

    areas = []
    for p in range(2):
        province = AreaFactory(
            code=f"T{seed}-{p}", level=AreaLevel.PROVINCE, population=None, **point()
        )
        areas.append(province)
        for d in range(rng.randint(1, 3)):
            district = AreaFactory(
                code=f"H{seed}-{p}{d}", level=AreaLevel.DISTRICT, parent=province, **point()
            )
            areas.append(district)
            for c in range(rng.randint(0, 4)):
                population = rng.choice([None, rng.randint(100, 30_000)])
                areas.append(
                    AreaFactory(
                        code=f"X{seed}-{p}{d}{c}",
                        parent=district,
                        population=population,
                        **point(),
                    )
                )
    producers = [
        ProducerFactory(
            kind=rng.choice(ProducerKind.values),
            area=rng.choice([None, *areas]),
            **point(),
        )
        for _ in range(rng.randint(5, 25))
    ]
    for _ in range(rng.randint(5, 40)):
        stars = rng.choice([None, 1, 2, 3, 4, 5])
        rated = None if stars is None else dt.date(2019, 1, 1) + dt.timedelta(rng.randint(0, 2400))
        ProductFactory(
            producer=rng.choice(producers),
            category=rng.choice(Category.values),
            stars=stars,
            potential_five_star=stars == 4 and rng.random() < 0.3,
            rated_on=rated,
        )
    chains = [
        ChainFactory(code=f"CH{seed}-{i}", categories=groups()) for i in range(rng.randint(1, 3))
    ]
    for _ in range(rng.randint(3, 20)):
        StoreFactory(
            chain=rng.choice(chains),
            categories=groups(),
            area=rng.choice([None, *areas]),
            **point(),
        )
    for _ in range(rng.randint(3, 20)):
        BuyerFactory(
            kind=rng.choice([BuyerKind.SALES_POINT, BuyerKind.WHOLESALER, BuyerKind.DISTRIBUTOR]),
            categories=groups(),
            area=rng.choice([None, *areas]),
            **point(),
        )


@pytest.mark.parametrize("seed", range(6))
def test_frames_of_random_registries_equal_the_database_reads(seed):
    _random_registry(seed)
    assert_frames_equal_the_database_reads()


def test_an_unknown_chain_or_a_store_named_as_a_chain_is_refused():
    store = StoreFactory(code="S1")
    snapshot = snapshot_from_db()
    assert list(
        frames.facility_frame(snapshot, frames.parse_supply(f"chain:{store.chain.code}")).index
    ) == ["S1"]
    for code in ("NOPE", "S1"):
        with pytest.raises(frames.UnknownChain):
            frames.facility_frame(snapshot, frames.parse_supply(f"chain:{code}"))


def test_frames_handed_out_are_copies():
    AreaFactory(code="X1")
    ProducerFactory(code="P1", area=None)
    snapshot = snapshot_from_db()
    areas, producers = frames.area_frame(snapshot), frames.producer_frame(snapshot)
    areas.loc["X1", "population"] = np.nan
    producers.loc["P1", "lat"] = np.nan
    assert frames.area_frame(snapshot).loc["X1", "population"] == 10_000
    assert frames.producer_frame(snapshot).loc["P1", "lat"] == 21.0


def test_the_rating_history_survives_a_patch_and_the_cache_round_trip():
    product = ProductFactory(code="SP1", stars=3, rated_on=dt.date(2019, 5, 1))
    services.product_rate(actor=None, product=product, stars=3, rated_on=dt.date(2019, 5, 1))
    snapshot = snapshot_from_db(version="before")
    services.product_rate(actor=None, product=product, stars=4, rated_on=dt.date(2022, 5, 1))
    patched = snapshot_patched(snapshot, linkage_ids=set(), product_codes={"SP1"}, version="after")
    history = frames.rating_frame(GraphSnapshot.loads(patched.dumps()))
    assert history["rated_on"].tolist() == [dt.date(2019, 5, 1), dt.date(2022, 5, 1)]
    assert history["stars"].tolist() == [3.0, 4.0]
    assert frames.rating_frame(snapshot)["rated_on"].tolist() == [dt.date(2019, 5, 1)]
    # A snapshot of interchange tables has no history: statistics read the products' own.
    assert frames.rating_frame(snapshot_from_tables({"products": []})) is None
