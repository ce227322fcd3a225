"""The statistics endpoints: JSON, CSV and Excel, parameters checked, few queries."""

import csv
import datetime as dt
import io

import openpyxl
import pytest

from linkage.choices import AreaLevel, ProducerKind
from tests.factories import AreaFactory, ProducerFactory, ProductFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/analytics/statistics/"
TODAY = dt.date.today()


@pytest.fixture
def registry():
    """Two districts of one province; four certified products, one at 2 stars."""
    hanoi = AreaFactory(code="HN", name="Hà Nội", level=AreaLevel.PROVINCE)
    gia_lam = AreaFactory(code="GL", name="Gia Lâm", level=AreaLevel.DISTRICT, parent=hanoi)
    ba_vi = AreaFactory(code="BV", name="Ba Vì", level=AreaLevel.DISTRICT, parent=hanoi)
    bat_trang = AreaFactory(code="BT", name="Bát Tràng", level=AreaLevel.COMMUNE, parent=gia_lam)
    coop = ProducerFactory(code="HTX1", kind=ProducerKind.COOPERATIVE, area=bat_trang)
    firm = ProducerFactory(code="DN1", kind=ProducerKind.ENTERPRISE, area=ba_vi)
    ProductFactory(
        code="GOM", producer=coop, category="handicraft", stars=5, rated_on=dt.date(2022, 3, 1)
    )
    ProductFactory(
        code="CHE",
        producer=coop,
        category="beverages",
        stars=4,
        potential_five_star=True,
        rated_on=dt.date(2023, 5, 1),
    )
    ProductFactory(
        code="SUA", producer=firm, category="food", stars=3, rated_on=dt.date(2019, 8, 1)
    )  # expired in 2022
    ProductFactory(
        code="MIEN", producer=firm, category="food", stars=4, rated_on=dt.date(2022, 9, 1)
    )
    ProductFactory(
        code="LOW", producer=firm, category="food", stars=2, rated_on=dt.date(2023, 1, 1)
    )


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_by_stars_answers_json_counts_for_each_star_class(client, registry):
    body = client.get(BASE + "by-stars/").json()
    counts = {row["star_class"]: row["products"] for row in body["results"]}
    assert counts == {"5": 1, "potential_5": 1, "4": 1, "3": 1}
    assert body["basis"] == "cumulative"


def test_as_of_counts_ratings_valid_at_that_date(client, registry):
    body = client.get(BASE + "by-stars/", {"as_of": "2023-01-01"}).json()
    counts = {row["star_class"]: row["products"] for row in body["results"]}
    assert body["basis"] == "valid"
    assert counts == {"5": 1, "potential_5": 0, "4": 1, "3": 0}


def test_as_of_with_cumulative_basis_counts_every_rating_until_then(client, registry):
    rows = results(client.get(BASE + "by-stars/", {"as_of": "2023-01-01", "basis": "cumulative"}))
    assert sum(row["products"] for row in rows) == 3


def test_by_group_lists_the_six_groups(client, registry):
    rows = results(client.get(BASE + "by-group/"))
    assert [row["category"] for row in rows] == [
        "food",
        "beverages",
        "herbal",
        "textiles",
        "handicraft",
        "tourism",
    ]
    assert rows[0]["products"] == 2


def test_by_year_gives_rated_and_cumulative_per_year(client, registry):
    rows = results(client.get(BASE + "by-year/"))
    by_year = {row["year"]: row for row in rows}
    assert by_year[2019]["rated"] == 1
    assert by_year[2022]["rated"] == 2
    assert by_year[2023]["cumulative"] == 4
    assert rows[-1]["year"] == TODAY.year


def test_by_area_rolls_products_up_to_districts_and_provinces(client, registry):
    districts = {r["code"]: r["products"] for r in results(client.get(BASE + "by-area/"))}
    assert districts == {"GL": 2, "BV": 2}
    provinces = results(client.get(BASE + "by-area/", {"level": "province"}))
    assert provinces[0]["code"] == "HN"
    assert provinces[0]["products"] == 4


def test_by_producer_kind_counts_producers_and_products(client, registry):
    rows = {r["producer_kind"]: r for r in results(client.get(BASE + "by-producer-kind/"))}
    assert rows["enterprise"]["producers"] == 1
    assert rows["enterprise"]["products"] == 2
    assert rows["household"]["products"] == 0


def test_expiring_lists_ratings_running_out_within_the_months(client, registry):
    rows = results(client.get(BASE + "expiring/", {"months": 6, "as_of": "2025-02-01"}))
    assert [row["code"] for row in rows] == ["GOM"]
    assert rows[0]["rating_expires_on"] == "2025-03-01"
    assert rows[0]["producer_code"] == "HTX1"
    assert rows[0]["area_code"] == "BT"


def test_targets_use_the_setting_by_default_and_the_parameter_when_given(
    client, registry, settings
):
    settings.OCOP_YEARLY_TARGET = 2
    rows = {r["year"]: r for r in results(client.get(BASE + "targets/"))}
    assert rows[2022]["target"] == 2
    assert rows[2022]["met"] is True
    rows = {r["year"]: r for r in results(client.get(BASE + "targets/", {"target": 400}))}
    assert rows[2022]["share"] == 0.005
    assert rows[2022]["shortfall"] == 398


def test_summary_reports_below_three_stars_apart(client, registry):
    body = client.get(BASE + "summary/", {"as_of": "2024-01-01"}).json()
    assert body["certified"] == 4
    assert body["valid"] == 3
    assert body["below_3"] == 1
    assert body["by_stars"]["potential_5"] == 1


def test_csv_download_has_a_header_and_a_row_per_star_class(client, registry):
    response = client.get(BASE + "by-stars/", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["star_class"] for row in rows] == ["5", "potential_5", "4", "3"]
    assert rows[0]["products"] == "1"


def test_xlsx_download_opens_in_openpyxl_with_the_vietnamese_labels(client, registry):
    response = client.get(BASE + "by-group/", {"format": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][:3] == ["category", "label", "products"]
    assert values[1][:3] == ["food", "Thực phẩm", 2]


def test_summary_downloads_as_csv(client, registry):
    response = client.get(BASE + "summary/", {"format": "csv"})
    text = response.content.decode("utf-8-sig")
    assert "certified,4" in text
    assert "stars_potential_5,1" in text


@pytest.mark.parametrize(
    ("endpoint", "params", "field"),
    [
        ("by-stars/", {"format": "pdf"}, "format"),
        ("by-stars/", {"as_of": "31/12/2024"}, "as_of"),
        ("by-group/", {"basis": "sometimes"}, "basis"),
        ("expiring/", {"months": "six"}, "months"),
        ("expiring/", {"months": "-1"}, "months"),
        ("targets/", {"target": "-5"}, "target"),
        ("targets/", {"first_year": "1800"}, "first_year"),
        ("by-area/", {"level": "country"}, "level"),
        ("by-area/", {"within": "NOWHERE"}, "within"),
        ("summary/", {"months": "x"}, "months"),
    ],
)
def test_bad_parameters_answer_400_naming_the_field(client, registry, endpoint, params, field):
    response = client.get(BASE + endpoint, {**params})
    assert response.status_code == 400
    assert field in response.json()


def test_a_bad_parameter_with_csv_format_still_answers_json_400(client, registry):
    response = client.get(BASE + "expiring/", {"format": "csv", "months": "x"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")


def test_an_empty_registry_gives_empty_tables_not_errors(client):
    for endpoint in (
        "by-year/",
        "by-group/",
        "by-stars/",
        "by-area/",
        "by-producer-kind/",
        "expiring/",
        "targets/",
        "summary/",
    ):
        for output in ("json", "csv", "xlsx"):
            response = client.get(BASE + endpoint, {"format": output})
            assert response.status_code == 200, (endpoint, output, response.content[:300])


def test_tables_read_the_registry_in_a_fixed_number_of_queries(
    client, registry, django_assert_max_num_queries
):
    ProductFactory.create_batch(20, rated_on=dt.date(2024, 1, 1))
    # The registry's snapshot, read in six queries whatever its size (the rating history the
    # sixth); which of the codes an answer names are households (linkage.privacy) is then read
    # off the snapshot too. By area also reads the areas' schemes and the producers' old areas:
    # two more.
    with django_assert_max_num_queries(8):
        assert client.get(BASE + "by-area/").status_code == 200
    with django_assert_max_num_queries(0):
        assert client.get(BASE + "expiring/").status_code == 200


def test_json_names_the_columns_in_order_since_browsers_reorder_numeric_keys(client, registry):
    body = client.get(BASE + "by-group/").json()
    assert body["columns"] == [
        "category",
        "label",
        "products",
        "share",
        "5",
        "potential_5",
        "4",
        "3",
    ]


@pytest.mark.parametrize(
    ("endpoint", "params"),
    [
        ("summary/", {"as_of": "9999-12-31"}),
        ("expiring/", {"as_of": "9999-12-31", "months": "120"}),
        ("by-year/", {"as_of": "1000-01-01"}),
        ("by-group/", {"as_of": "2300-01-01", "basis": "valid"}),
    ],
)
def test_an_as_of_outside_the_countable_years_is_a_400_naming_it(
    client, registry, endpoint, params
):
    # 9999-12-31 plus the expiry window used to overflow the date arithmetic: a 500.
    response = client.get(BASE + endpoint, params)
    assert response.status_code == 400
    assert "as_of" in response.json()


def test_xlsx_download_drops_control_characters_excel_cannot_hold(client, registry):
    producer = ProducerFactory(code="HTX\x02", name="Hộ\x1f A")
    ProductFactory(
        code="SP\x03", name="Trà\x01", producer=producer, stars=4, rated_on=dt.date(2022, 1, 1)
    )
    response = client.get(
        BASE + "expiring/", {"format": "xlsx", "months": "120", "as_of": "2019-01-01"}
    )
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = {cell for row in sheet.iter_rows(values_only=True) for cell in row}
    assert {"HTX", "Hộ A", "SP", "Trà"} <= cells


def test_downloads_quote_text_a_spreadsheet_would_run(client, registry):
    # Input refuses such names; rows written before that rule, or by hand, may still hold one.
    ProductFactory(
        code="EVIL",
        name="-2+3+cmd|' /C calc'!A0",
        category="food",
        stars=4,
        rated_on=dt.date(2022, 4, 1),
    )
    params = {"months": "6", "as_of": "2025-02-01"}
    response = client.get(BASE + "expiring/", {**params, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    [evil] = [row for row in rows if row["code"] == "EVIL"]
    assert evil["name"] == "'-2+3+cmd|' /C calc'!A0"
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(BASE + "expiring/", {**params, "format": "xlsx"}).content)
    )
    names = [cell.value for row in book.active.iter_rows() for cell in row]
    assert "'-2+3+cmd|' /C calc'!A0" in names
    assert "-2+3+cmd|' /C calc'!A0" not in names


def test_labels_come_in_each_readers_language_whoever_asked_first(client, registry):
    """A kept answer is kept per language: an English reader first does not make the Vietnamese
    page read English group and kind names."""
    english = client.get(BASE + "by-group/", HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    vietnamese = client.get(BASE + "by-group/", HTTP_ACCEPT_LANGUAGE="vi").json()["results"]
    assert {row["category"]: row["label"] for row in english}["beverages"] == "Beverages"
    assert {row["category"]: row["label"] for row in vietnamese}["beverages"] == "Đồ uống"
    kinds = client.get(BASE + "by-producer-kind/", HTTP_ACCEPT_LANGUAGE="vi").json()["results"]
    assert {row["producer_kind"]: row["label"] for row in kinds}["cooperative"] == "Hợp tác xã"
