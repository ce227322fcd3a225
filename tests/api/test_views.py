import io

import openpyxl
import pytest
from django.db import connection

from linkage.models import Buyer, Product
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


def names(response):
    assert response.status_code == 200, response.json()
    return sorted(row["name"] for row in response.json()["results"])


def test_search_ignores_accents_and_case(anonymous):
    ProducerFactory(name="HTX Gốm sứ Bát Tràng")
    ProducerFactory(name="HTX Nông nghiệp Đông Anh")
    ProducerFactory(name="HTX Chè Thái Nguyên")
    assert names(anonymous.get("/api/v1/producers/?search=bat trang")) == ["HTX Gốm sứ Bát Tràng"]
    assert names(anonymous.get("/api/v1/producers/?search=dong anh")) == [
        "HTX Nông nghiệp Đông Anh"
    ]
    assert names(anonymous.get("/api/v1/producers/?search=BÁT Tràng")) == ["HTX Gốm sứ Bát Tràng"]
    assert names(anonymous.get("/api/v1/producers/?search=DONG  ANH")) == [
        "HTX Nông nghiệp Đông Anh"
    ]


def test_search_needs_every_word(anonymous):
    ProducerFactory(name="Gốm Bát Tràng")
    ProducerFactory(name="Lụa Vạn Phúc")
    assert names(anonymous.get("/api/v1/producers/?search=gom trang")) == ["Gốm Bát Tràng"]
    assert names(anonymous.get("/api/v1/producers/?search=gom phuc")) == []


def test_product_search_matches_the_producers_name(anonymous):
    potter = ProducerFactory(name="HTX Gốm sứ Bát Tràng")
    ProductFactory(name="Bình hoa men lam", producer=potter)
    ProductFactory(name="Bánh chưng Tranh Khúc")
    assert names(anonymous.get("/api/v1/products/?search=bat trang")) == ["Bình hoa men lam"]
    assert names(anonymous.get("/api/v1/products/?search=banh chung")) == ["Bánh chưng Tranh Khúc"]


def test_buyer_and_area_search_ignore_accents(anonymous):
    BuyerFactory(name="Điểm bán OCOP Đông Anh")
    AreaFactory(name="Xã Bát Tràng")
    assert names(anonymous.get("/api/v1/buyers/?search=diem ban dong anh")) == [
        "Điểm bán OCOP Đông Anh"
    ]
    assert names(anonymous.get("/api/v1/areas/?search=bat trang")) == ["Xã Bát Tràng"]


def _make_rows(count):
    parent = AreaFactory(level="district")
    for _ in range(count):
        area = AreaFactory(parent=parent)
        producer = ProducerFactory(area=area)
        product = ProductFactory(producer=producer)
        store = StoreFactory(area=area)
        LinkageFactory(source_producer=producer, target_buyer=store, product=product)
        SourcingRequestFactory(buyer=store)


LIST_URLS = [
    "/api/v1/areas/",
    "/api/v1/producers/",
    "/api/v1/products/",
    "/api/v1/buyers/",
    "/api/v1/linkages/",
    "/api/v1/sourcing-requests/",
    "/api/v1/producers/geojson/",
    "/api/v1/buyers/geojson/",
    "/api/v1/areas/geojson/",
]


def _queries(client, url):
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        assert client.get(url).status_code == 200
    return len(executed)


@pytest.mark.parametrize("url", LIST_URLS)
def test_list_queries_do_not_grow_with_rows(anonymous, url):
    _make_rows(3)
    few = _queries(anonymous, url)
    _make_rows(27)
    assert _queries(anonymous, url) == few
    assert 1 <= few <= 3


def test_page_size_defaults_to_50_and_is_capped_at_500(anonymous):
    AreaFactory.create_batch(510)
    default = anonymous.get("/api/v1/areas/").json()
    assert default["count"] == 510
    assert len(default["results"]) == 50
    assert len(anonymous.get("/api/v1/areas/?page_size=20").json()["results"]) == 20
    assert len(anonymous.get("/api/v1/areas/?page_size=100000").json()["results"]) == 500


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5"])
def test_a_page_that_is_not_a_whole_number_is_a_bad_request(anonymous, page):
    response = anonymous.get("/api/v1/producers/", {"page": page})
    assert response.status_code == 400
    assert "page" in response.json()


def test_records_are_addressed_by_code(anonymous):
    ProductFactory(code="HN/GL.01-x", name="Bình gốm")
    ProductFactory(code="SP.1", name="Chè")
    assert anonymous.get("/api/v1/products/SP.1/").json()["name"] == "Chè"


def test_product_shows_labels_producer_name_and_rating_status(anonymous):
    ProductFactory(code="SP-1", category="food", producer=ProducerFactory(name="HTX Tây Tựu"))
    body = anonymous.get("/api/v1/products/SP-1/").json()
    assert body["category_label"] == "Thực phẩm"
    assert body["producer_name"] == "HTX Tây Tựu"
    assert body["rating_status"] == "valid"
    assert body["rating_expires_on"]


def test_geojson_is_a_feature_collection_in_longitude_latitude_order(anonymous):
    ProducerFactory(code="P-1", lat=21.03, lon=105.85, kind="enterprise")
    ProducerFactory(code="P-NOWHERE", lat=None, lon=None)
    response = anonymous.get("/api/v1/producers/geojson/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    [feature] = body["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [105.85, 21.03]}
    assert feature["properties"]["code"] == "P-1"
    assert feature["properties"]["kind"] == "enterprise"


def test_geojson_honours_filters_and_limit(anonymous):
    BuyerFactory.create_batch(3, kind="sales_point")
    BuyerFactory(code="W-1", kind="wholesaler")
    wholesalers = anonymous.get("/api/v1/buyers/geojson/?kind=wholesaler").json()
    assert [f["properties"]["code"] for f in wholesalers["features"]] == ["W-1"]
    limited = anonymous.get("/api/v1/buyers/geojson/?limit=2").json()
    assert len(limited["features"]) == 2
    assert limited["truncated"] is True


def test_geojson_rejects_a_limit_that_is_not_a_number(anonymous):
    response = anonymous.get("/api/v1/areas/geojson/?limit=lots")
    assert response.status_code == 400
    assert "limit" in response.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stars": 7}, "stars"),
        ({"category": "weapons"}, "category"),
        ({"stars": 3, "potential_five_star": True}, "potential_five_star"),
        ({"producer": "NO-SUCH-PRODUCER"}, "producer"),
        ({"rated_on": "yesterday"}, "rated_on"),
    ],
)
def test_bad_product_input_is_a_bad_request_naming_the_field(planner, body, field):
    producer = ProducerFactory(code="P-1")
    full = {"code": "SP-1", "name": "Mật ong", "producer": producer.code, "category": "food"}
    response = planner.post("/api/v1/products/", {**full, **body}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lat": 95, "lon": 105}, "lat"),
        ({"lat": 21, "lon": 181}, "lon"),
        ({"categories": ["food", "weapons"]}, "categories"),
        ({"min_stars": 0}, "min_stars"),
        ({"kind": "pawnshop"}, "kind"),
        ({"chain": "B-POINT"}, "chain"),
    ],
)
def test_bad_buyer_input_is_a_bad_request_naming_the_field(planner, body, field):
    BuyerFactory(code="B-POINT", kind="sales_point")
    full = {"code": "B-NEW", "name": "Cửa hàng", "kind": "store"}
    response = planner.post("/api/v1/buyers/", {**full, **body}, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()


def test_latitude_without_longitude_is_a_bad_request(planner):
    response = planner.post(
        "/api/v1/producers/", {"code": "P-1", "name": "HTX", "kind": "cooperative", "lat": 21}
    )
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_duplicate_code_is_a_bad_request_naming_the_code(planner):
    ProducerFactory(code="P-1")
    response = planner.post(
        "/api/v1/producers/", {"code": "P-1", "name": "HTX", "kind": "cooperative"}
    )
    assert response.status_code == 400
    assert "code" in response.json()


def test_a_code_names_one_producer_or_buyer(planner):
    ProducerFactory(code="HN-1")
    BuyerFactory(code="HN-2")
    buyer = planner.post("/api/v1/buyers/", {"code": "HN-1", "name": "Điểm", "kind": "sales_point"})
    assert buyer.status_code == 400
    assert "code" in buyer.json()
    producer = planner.post(
        "/api/v1/producers/", {"code": "HN-2", "name": "HTX", "kind": "cooperative"}
    )
    assert producer.status_code == 400
    assert "code" in producer.json()


def test_buyer_categories_are_a_list_in_json_and_stored_comma_separated(planner):
    response = planner.post(
        "/api/v1/buyers/",
        {
            "code": "B-1",
            "name": "Điểm bán",
            "kind": "sales_point",
            "categories": ["food", "herbal"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["categories"] == ["food", "herbal"]
    assert Buyer.objects.get(code="B-1").categories == "food,herbal"


def test_linkage_is_written_by_codes_and_read_back_with_names(planner):
    producer = ProducerFactory(code="P-1", name="HTX A")
    product = ProductFactory(code="SP-1", producer=producer)
    BuyerFactory(code="B-1", name="Điểm bán B")
    response = planner.post(
        "/api/v1/linkages/",
        {"kind": "sells_to", "source_code": "P-1", "target_code": "B-1", "product_code": "SP-1"},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["source_type"] == "producer"
    assert body["target_type"] == "buyer"
    assert body["target_name"] == "Điểm bán B"
    assert body["key"] == "sells_to:P-1>B-1:SP-1"
    assert product.linkages.count() == 1


def test_linkage_to_itself_duplicate_or_unknown_code_is_a_bad_request(planner):
    ProducerFactory(code="P-1")
    BuyerFactory(code="B-1")
    link = {"kind": "sells_to", "source_code": "P-1", "target_code": "B-1"}
    assert planner.post("/api/v1/linkages/", link).status_code == 201
    duplicate = planner.post("/api/v1/linkages/", link)
    assert duplicate.status_code == 400
    assert "non_field_errors" in duplicate.json()
    itself = planner.post("/api/v1/linkages/", {**link, "target_code": "P-1"})
    assert itself.status_code == 400
    unknown = planner.post("/api/v1/linkages/", {**link, "target_code": "NOBODY"})
    assert unknown.status_code == 400
    assert "target_code" in unknown.json()


def test_linkage_code_shared_by_a_producer_and_a_buyer_needs_its_type(planner):
    ProducerFactory(code="X-1")
    BuyerFactory(code="X-1")
    ProducerFactory(code="P-2")
    link = {"kind": "sells_to", "source_code": "P-2", "target_code": "X-1"}
    ambiguous = planner.post("/api/v1/linkages/", link)
    assert ambiguous.status_code == 400
    assert "target_type" in ambiguous.json()
    typed = planner.post("/api/v1/linkages/", {**link, "target_type": "buyer"})
    assert typed.status_code == 201, typed.json()
    assert typed.json()["target_type"] == "buyer"


def test_schema_and_docs_answer(anonymous):
    schema = anonymous.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/producers/geojson/" in schema.content
    assert anonymous.get("/api/v1/docs/").status_code == 200
    assert anonymous.get("/api/v1/redoc/").status_code == 200


def test_docs_page_is_served_without_internet(anonymous):
    page = anonymous.get("/api/v1/docs/").content.decode()
    assert "cdn.jsdelivr.net" not in page
    assert "drf_spectacular_sidecar" in page


def test_linkage_volume_is_updated_in_place(planner):
    link = LinkageFactory(volume_per_month=10)
    response = planner.patch(f"/api/v1/linkages/{link.pk}/", {"volume_per_month": 25})
    assert response.status_code == 200, response.json()
    link.refresh_from_db()
    assert link.volume_per_month == 25
    assert link.key == response.json()["key"]


def test_linkage_ending_before_it_starts_is_a_bad_request(planner):
    link = LinkageFactory(started_on="2024-05-01")
    response = planner.patch(f"/api/v1/linkages/{link.pk}/", {"ended_on": "2024-01-01"})
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_a_database_rule_broken_by_a_race_is_a_bad_request(planner, monkeypatch):
    from django.db import IntegrityError

    from linkage.models import Producer

    def collide(self, *args, **kwargs):
        raise IntegrityError("UNIQUE constraint failed: linkage_producer.code")

    monkeypatch.setattr(Producer, "save", collide)
    response = planner.post(
        "/api/v1/producers/", {"code": "P-1", "name": "HTX", "kind": "enterprise"}
    )
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


@pytest.mark.parametrize("rated_on", ["9999-12-31", "9997-06-01", "1899-12-31"])
def test_a_rating_date_outside_the_countable_years_is_a_bad_request(planner, rated_on):
    # The 36-month expiry of 9997-06-01 does not exist: saving it used to be a 500.
    producer = ProducerFactory(code="P-1")
    body = {
        "code": "SP-1",
        "name": "Mật ong",
        "producer": producer.code,
        "category": "food",
        "stars": 3,
        "rated_on": rated_on,
    }
    response = planner.post("/api/v1/products/", body, format="json")
    assert response.status_code == 400
    assert "rated_on" in response.json()
    product = ProductFactory(code="SP-2", producer=producer)
    response = planner.patch(
        f"/api/v1/products/{product.code}/", {"rated_on": rated_on}, format="json"
    )
    assert response.status_code == 400
    assert "rated_on" in response.json()


@pytest.mark.parametrize("field", ["started_on", "ended_on"])
def test_a_linkage_date_outside_the_countable_years_is_a_bad_request(planner, field):
    producer, buyer = ProducerFactory(code="P-1"), BuyerFactory(code="B-1")
    body = {
        "kind": "sells_to",
        "source_code": producer.code,
        "target_code": buyer.code,
        field: "9999-12-31",
    }
    response = planner.post("/api/v1/linkages/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_a_monthly_quantity_the_allocation_cannot_count_is_a_bad_request(planner):
    buyer = BuyerFactory(code="B-1")
    body = {"code": "YC-1", "buyer": buyer.code, "category": "food", "quantity_per_month": 1e308}
    response = planner.post("/api/v1/sourcing-requests/", body, format="json")
    assert response.status_code == 400
    assert "quantity_per_month" in response.json()


@pytest.mark.parametrize("code", ["P-\x00", "\x00"])
def test_a_related_code_with_a_nul_character_is_an_unknown_code(planner, code):
    # PostgreSQL refuses NUL in a query: the lookup used to fail there with a 500.
    ProducerFactory(code="P-1")
    body = {"code": "SP-1", "name": "Mật ong", "producer": code, "category": "food"}
    response = planner.post("/api/v1/products/", body, format="json")
    assert response.status_code == 400
    assert "producer" in response.json()


@pytest.mark.parametrize("producer", [["P-1"], {"code": "P-1"}, True])
def test_a_related_code_that_is_not_text_is_a_bad_request(planner, producer):
    ProducerFactory(code="P-1")
    body = {"code": "SP-1", "name": "Mật ong", "producer": producer, "category": "food"}
    response = planner.post("/api/v1/products/", body, format="json")
    assert response.status_code == 400
    assert "producer" in response.json()


def test_a_record_address_with_a_nul_character_is_not_found(planner):
    ProducerFactory(code="P-1")
    assert planner.get("/api/v1/producers/P-1%00/").status_code == 404
    assert planner.patch("/api/v1/producers/%00/", {"name": "x"}, format="json").status_code == 404


@pytest.mark.parametrize(("field", "value"), [("name", "HTX\x01"), ("address", "Số 1\x1b[31m")])
def test_control_characters_in_text_are_a_bad_request_naming_the_field(planner, field, value):
    # They cannot go into an Excel export: one such name used to make every export.xlsx a 500.
    body = {"code": "P-1", "name": "HTX", "kind": "cooperative", field: value}
    response = planner.post("/api/v1/producers/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_tabs_and_line_breaks_in_text_are_accepted(planner):
    body = {"code": "P-1", "name": "HTX", "kind": "cooperative", "address": "Thôn 1\r\n\tXã A"}
    assert planner.post("/api/v1/producers/", body, format="json").status_code == 201


@pytest.mark.parametrize("url", ["/api/v1/export.xlsx", "/api/v1/export/producers.xlsx"])
def test_xlsx_exports_drop_control_characters_of_rows_stored_before_the_check(stranger, url):
    ProducerFactory(code="P-1", name="HTX\x01 Gốm\x1f")
    response = stranger.get(url)
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book["producers"]
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == ["HTX Gốm"]


def test_a_token_with_a_nul_character_is_refused_not_a_server_error(anonymous):
    # PostgreSQL refuses NUL in the token lookup: that used to be a 500 there.
    response = anonymous.get("/api/v1/producers/", HTTP_AUTHORIZATION="Token abc\x00def")
    assert response.status_code in (400, 401)


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x","y")', "+cmd", "@SUM(A1)"])
def test_text_a_spreadsheet_would_run_as_a_formula_is_a_bad_request(planner, name):
    response = planner.post(
        "/api/v1/producers/", {"code": "HTX-F", "name": name, "kind": "cooperative"}
    )
    assert response.status_code == 400
    assert "name" in response.json()


def test_a_records_code_cannot_change(planner):
    ProducerFactory(code="P-KEEP")
    response = planner.patch(
        "/api/v1/producers/P-KEEP/", {"code": "P-NEW"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "code" in response.json()
    same = planner.patch(
        "/api/v1/producers/P-KEEP/",
        {"code": "P-KEEP", "members": 5},
        content_type="application/json",
    )
    assert same.status_code == 200


def test_a_linkage_product_of_neither_end_is_a_bad_request(planner):
    ProducerFactory(code="P-A")
    ProductFactory(code="SP-B", producer=ProducerFactory(code="P-B"))
    BuyerFactory(code="B-1")
    response = planner.post(
        "/api/v1/linkages/",
        {"kind": "sells_to", "source_code": "P-A", "target_code": "B-1", "product_code": "SP-B"},
    )
    assert response.status_code == 400
    assert "product" in str(response.json())


def test_an_area_loop_through_the_api_is_a_bad_request(planner):
    province = AreaFactory(code="A", level="province")
    AreaFactory(code="B", level="district", parent=province)
    response = planner.patch("/api/v1/areas/A/", {"parent": "B"}, content_type="application/json")
    assert response.status_code == 400
    assert "parent" in response.json()


def test_a_chain_with_stores_keeps_its_kind(planner):
    StoreFactory(chain=ChainFactory(code="CH"))
    response = planner.patch(
        "/api/v1/buyers/CH/", {"kind": "wholesaler"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "kind" in response.json()
