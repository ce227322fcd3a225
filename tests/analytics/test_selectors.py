import pytest

from analytics.selectors import (
    Supply,
    UnknownChain,
    area_frame,
    facility_frame,
    parse_supply,
    producer_frame,
)
from linkage.choices import AreaLevel, BuyerKind, Category
from tests.factories import (
    AreaFactory,
    BuyerFactory,
    ProducerFactory,
    ProductFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "text, supply",
    [
        (None, Supply()),
        ("sales_points", Supply()),
        ("chain:AEON", Supply(kinds=("store",), chain="AEON")),
        ("kinds:store,sales_point", Supply(kinds=("store", "sales_point"))),
    ],
)
def test_parse_supply_reads_the_three_forms_and_prints_them_back(text, supply):
    assert parse_supply(text) == supply
    assert parse_supply(str(supply)) == supply


@pytest.mark.parametrize("text", ["kinds:", "kinds:castle", "kinds:ecommerce", "chain:", "all"])
def test_parse_supply_refuses_what_it_cannot_place(text):
    with pytest.raises(ValueError):
        parse_supply(text)


def test_producer_without_a_point_takes_its_area_centroid_and_groups(django_assert_num_queries):
    commune = AreaFactory(code="X1", lat=21.1, lon=105.9)
    producer = ProducerFactory(code="P1", area=commune, lat=None, lon=None)
    ProductFactory(producer=producer, category=Category.HERBAL)
    ProductFactory(producer=producer, category=Category.FOOD)
    ProductFactory(producer=producer, category=Category.FOOD)
    with django_assert_num_queries(2):
        frame = producer_frame()
    assert frame.loc["P1", ["lat", "lon"]].tolist() == [21.1, 105.9]
    assert frame.loc["P1", "categories"] == "food,herbal"


def test_producers_roll_up_to_the_requested_level():
    province = AreaFactory(code="T1", level=AreaLevel.PROVINCE)
    district = AreaFactory(code="D1", level=AreaLevel.DISTRICT, parent=province)
    commune = AreaFactory(code="X1", parent=district)
    ProducerFactory(code="P1", area=commune)
    ProducerFactory(code="P2", area=None)
    assert producer_frame("district").loc["P1", "area_code"] == "D1"
    assert producer_frame("province").loc["P1", "area_code"] == "T1"
    assert producer_frame("province").loc["P2", "area_code"] is None


def test_facility_frame_keeps_located_buyers_of_the_supply():
    BuyerFactory(code="B1")
    BuyerFactory(code="B2", lat=None, lon=None)
    BuyerFactory(code="B3", kind=BuyerKind.WHOLESALER)
    store = StoreFactory(code="S1")
    assert list(facility_frame(Supply()).index) == ["B1"]
    stores = facility_frame(Supply(kinds=("store",), chain=store.chain.code))
    assert list(stores.index) == ["S1"]
    assert stores.loc["S1", "chain_categories"] == store.chain.categories
    with pytest.raises(UnknownChain):
        facility_frame(Supply(kinds=("store",), chain="NOPE"))


def test_area_frame_filters_by_level_and_names_parents():
    district = AreaFactory(code="D1", level=AreaLevel.DISTRICT)
    AreaFactory(code="X1", parent=district, population=None)
    frame = area_frame("commune")
    assert list(frame.index) == ["X1"]
    assert frame.loc["X1", "parent_code"] == "D1"


def test_proposals_count_in_the_producers_old_district_and_its_new_commune():
    from analytics.selectors import proposal_frame
    from linkage import services

    hanoi = AreaFactory(code="HN", level=AreaLevel.PROVINCE)
    gia_lam = AreaFactory(code="HN.GIA_LAM", level=AreaLevel.DISTRICT, parent=hanoi)
    bat_trang = AreaFactory(code="HN.XA_BAT_TRANG", level=AreaLevel.COMMUNE, parent=hanoi)
    producer = ProducerFactory(area=bat_trang, legacy_area=gia_lam)
    buyer = BuyerFactory(kind=BuyerKind.SALES_POINT)
    product = ProductFactory(producer=producer)
    services.proposal_create(actor=None, product=product, buyer=buyer, proposed_by="producer")
    assert gia_lam.scheme == "legacy" and bat_trang.scheme == "current"
    assert proposal_frame(AreaLevel.DISTRICT)["area_code"].tolist() == ["HN.GIA_LAM"]
    assert proposal_frame(AreaLevel.COMMUNE)["area_code"].tolist() == ["HN.XA_BAT_TRANG"]
