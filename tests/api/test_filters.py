import datetime as dt

import pytest

from tests.factories import (
    AreaFactory,
    BuyerFactory,
    ChainFactory,
    LinkageFactory,
    ProducerFactory,
    ProductFactory,
    SourcingRequestFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db


def codes(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.json()
    return sorted(row.get("code", row.get("id")) for row in response.json()["results"])


@pytest.fixture
def hanoi():
    """Hà Nội > Gia Lâm > Bát Tràng, and Hà Nội > Đông Anh > Liên Hà."""
    province = AreaFactory(code="HN", level="province", name="Hà Nội")
    gia_lam = AreaFactory(code="HN-GL", level="district", name="Gia Lâm", parent=province)
    bat_trang = AreaFactory(code="HN-GL-BT", name="Bát Tràng", parent=gia_lam)
    dong_anh = AreaFactory(code="HN-DA", level="district", name="Đông Anh", parent=province)
    lien_ha = AreaFactory(code="HN-DA-LH", name="Liên Hà", parent=dong_anh)
    return {"province": province, "gia_lam": gia_lam, "bat_trang": bat_trang, "lien_ha": lien_ha}


def test_producers_of_a_commune_are_found_by_its_district_and_province(anonymous, hanoi):
    ProducerFactory(code="P-BT", area=hanoi["bat_trang"])
    ProducerFactory(code="P-LH", area=hanoi["lien_ha"])
    ProducerFactory(code="P-NONE", area=None)
    assert codes(anonymous, "/api/v1/producers/?area=HN-GL") == ["P-BT"]
    assert codes(anonymous, "/api/v1/producers/?area=HN-GL-BT") == ["P-BT"]
    assert codes(anonymous, "/api/v1/producers/?area=HN") == ["P-BT", "P-LH"]


def test_products_filter_by_the_area_of_their_producer(anonymous, hanoi):
    ProductFactory(code="SP-BT", producer=ProducerFactory(area=hanoi["bat_trang"]))
    ProductFactory(code="SP-LH", producer=ProducerFactory(area=hanoi["lien_ha"]))
    assert codes(anonymous, "/api/v1/products/?area=HN-DA") == ["SP-LH"]


def test_an_old_district_finds_the_producers_now_in_a_new_commune(anonymous, hanoi):
    # Since 1 July 2025 the commune lies straight under the city; the district is kept as history.
    new_commune = AreaFactory(code="HN.XA_BAT_TRANG", parent=hanoi["province"])
    producer = ProducerFactory(code="P-NEW", area=new_commune, legacy_area=hanoi["gia_lam"])
    ProductFactory(code="SP-NEW", producer=producer)
    assert codes(anonymous, "/api/v1/producers/?area=HN-GL") == ["P-NEW"]
    assert codes(anonymous, "/api/v1/producers/?area=HN.XA_BAT_TRANG") == ["P-NEW"]
    assert codes(anonymous, "/api/v1/products/?area=HN-GL") == ["SP-NEW"]
    assert codes(anonymous, "/api/v1/products/?area=HN-DA") == []
    assert anonymous.get("/api/v1/producers/P-NEW/").json()["legacy_area"] == "HN-GL"


def test_buyers_filter_by_area_at_any_level(anonymous, hanoi):
    BuyerFactory(code="B-BT", area=hanoi["bat_trang"])
    BuyerFactory(code="B-LH", area=hanoi["lien_ha"])
    assert codes(anonymous, "/api/v1/buyers/?area=HN-GL") == ["B-BT"]


def test_expiring_before_finds_ratings_expiring_on_or_before_the_date(anonymous):
    ProductFactory(code="SP-OLD", rated_on=dt.date(2022, 3, 1))  # expires 2025-03-01
    ProductFactory(code="SP-NEW", rated_on=dt.date(2024, 3, 1))  # expires 2027-03-01
    ProductFactory(code="SP-UNRATED", rated_on=None, stars=None)
    assert codes(anonymous, "/api/v1/products/?expiring_before=2025-03-01") == ["SP-OLD"]
    assert codes(anonymous, "/api/v1/products/?expiring_before=2025-02-28") == []


def test_rated_from_and_to_bound_the_rating_date(anonymous):
    ProductFactory(code="SP-2021", rated_on=dt.date(2021, 6, 1))
    ProductFactory(code="SP-2022", rated_on=dt.date(2022, 6, 1))
    url = "/api/v1/products/?rated_from=2022-01-01&rated_to=2022-12-31"
    assert codes(anonymous, url) == ["SP-2022"]


def test_product_filters_on_stars_category_producer_and_kind(anonymous):
    household = ProducerFactory(code="HH", kind="household")
    ProductFactory(code="SP-3", stars=3, category="food", producer=household)
    ProductFactory(code="SP-4P", stars=4, potential_five_star=True, category="beverages")
    ProductFactory(code="SP-5", stars=5, category="herbal")
    assert codes(anonymous, "/api/v1/products/?stars_min=4") == ["SP-4P", "SP-5"]
    assert codes(anonymous, "/api/v1/products/?stars=3") == ["SP-3"]
    assert codes(anonymous, "/api/v1/products/?category=herbal") == ["SP-5"]
    assert codes(anonymous, "/api/v1/products/?potential_five_star=true") == ["SP-4P"]
    assert codes(anonymous, "/api/v1/products/?producer=HH") == ["SP-3"]
    assert codes(anonymous, "/api/v1/products/?producer_kind=household") == ["SP-3"]


def test_buyer_category_matches_listed_groups_and_buyers_taking_every_group(anonymous):
    BuyerFactory(code="B-ALL", categories="")
    BuyerFactory(code="B-FOOD", categories="food,beverages")
    BuyerFactory(code="B-CRAFT", categories="handicraft")
    assert codes(anonymous, "/api/v1/buyers/?category=beverages") == ["B-ALL", "B-FOOD"]
    assert codes(anonymous, "/api/v1/buyers/?category=handicraft") == ["B-ALL", "B-CRAFT"]


def test_buyer_min_stars_keeps_buyers_accepting_that_rating(anonymous):
    BuyerFactory(code="B-3", min_stars=3)
    BuyerFactory(code="B-5", min_stars=5)
    BuyerFactory(code="B-ANY", min_stars=None)
    assert codes(anonymous, "/api/v1/buyers/?min_stars=4") == ["B-3", "B-ANY"]


def test_buyers_filter_by_kind_and_chain(anonymous):
    chain = ChainFactory(code="AEON")
    StoreFactory(code="AEON-1", chain=chain)
    StoreFactory(code="OTHER-1")
    assert codes(anonymous, "/api/v1/buyers/?chain=AEON") == ["AEON-1"]
    assert "AEON" in codes(anonymous, "/api/v1/buyers/?kind=retail_chain")


def test_areas_filter_by_level_and_parent(anonymous, hanoi):
    assert codes(anonymous, "/api/v1/areas/?level=district") == ["HN-DA", "HN-GL"]
    assert codes(anonymous, "/api/v1/areas/?parent=HN-GL") == ["HN-GL-BT"]


def test_linkages_filter_by_source_target_and_kind(anonymous):
    first = LinkageFactory(source_producer=ProducerFactory(code="P-1"), kind="sells_to")
    LinkageFactory(kind="mou")
    assert codes(anonymous, "/api/v1/linkages/?source=P-1") == [first.pk]
    assert codes(anonymous, f"/api/v1/linkages/?target={first.target_buyer.code}") == [first.pk]
    assert codes(anonymous, "/api/v1/linkages/?kind=sells_to") == [first.pk]


def test_sourcing_requests_filter_by_buyer_category_and_status(anonymous):
    SourcingRequestFactory(code="YC-1", buyer=BuyerFactory(code="B-1"), category="food")
    SourcingRequestFactory(code="YC-2", category="herbal", status="closed")
    assert codes(anonymous, "/api/v1/sourcing-requests/?buyer=B-1") == ["YC-1"]
    assert codes(anonymous, "/api/v1/sourcing-requests/?category=herbal") == ["YC-2"]
    assert codes(anonymous, "/api/v1/sourcing-requests/?status=open") == ["YC-1"]


def test_an_unknown_filter_choice_is_a_bad_request_naming_the_filter(anonymous):
    response = anonymous.get("/api/v1/products/?category=weapons")
    assert response.status_code == 400
    assert "category" in response.json()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/producers/?search=b%00t",
        "/api/v1/products/?search=%00",
        "/api/v1/areas/?search=a%00",
    ],
)
def test_a_search_with_a_nul_character_is_a_bad_request_naming_search(anonymous, url):
    # PostgreSQL refuses NUL in a query: the search used to fail there with a 500.
    ProducerFactory(name="Bát Tràng")
    response = anonymous.get(url)
    assert response.status_code == 400
    assert "search" in response.json()


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/products/?stars=nan", "stars"),
        ("/api/v1/products/?stars_min=1e309", "stars_min"),
        ("/api/v1/products/?expiring_before=2024-13-45", "expiring_before"),
        ("/api/v1/products/?rated_from=notadate", "rated_from"),
        ("/api/v1/buyers/?min_stars=inf", "min_stars"),
        ("/api/v1/linkages/?source=%00", "source"),
        ("/api/v1/producers/?area=%00", "area"),
    ],
)
def test_filter_values_that_are_not_numbers_dates_or_text_are_bad_requests(anonymous, url, field):
    response = anonymous.get(url)
    assert response.status_code == 400
    assert field in response.json()
