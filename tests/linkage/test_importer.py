import datetime as dt
import importlib
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkage.importing import (
    TABLES,
    import_path,
    import_tables,
    import_upload,
    read_tables,
    table_for_name,
)
from linkage.models import (
    Area,
    Buyer,
    Linkage,
    Producer,
    Product,
    Proposal,
    Rating,
    SourcingRequest,
)
from simulation.demo import hanoi_demo_tables
from tests.factories import AreaFactory, BuyerFactory, ProducerFactory, UserFactory

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "example"


def example() -> dict[str, pd.DataFrame]:
    return read_tables(EXAMPLE / "csv")


def counts() -> dict[str, int]:
    return {
        "areas": Area.objects.count(),
        "producers": Producer.objects.count(),
        "products": Product.objects.count(),
        "buyers": Buyer.objects.count(),
        "linkages": Linkage.objects.count(),
        "sourcing_requests": SourcingRequest.objects.count(),
        "proposals": Proposal.objects.count(),
    }


def test_import_of_example_folder_creates_every_record():
    report = import_path(EXAMPLE / "csv")
    assert report.ok and report.written
    assert counts() == {t: len(f) for t, f in example().items()}
    assert report.created == counts()


def test_import_of_example_workbook_gives_the_same_records_as_the_csv_folder():
    report = import_path(EXAMPLE / "ocop_example.xlsx")
    assert report.ok, report.errors
    assert counts() == {t: len(f) for t, f in example().items()}


def test_bad_row_writes_nothing_and_names_file_row_and_column():
    tables = example()
    tables["products"].loc[1, "stars"] = "7"
    report = import_tables(tables, source_names={"products": "products.csv"})
    assert not report.written
    assert sum(counts().values()) == 0
    [error] = report.errors
    assert (error.file, error.row, error.column) == ("products.csv", 3, "stars")
    assert "between 1 and 5" in error.reason


def test_a_code_names_one_producer_or_buyer_in_the_file_and_in_the_registry():
    BuyerFactory(code="HN-OLD")
    report = import_tables(
        {
            "producers": [
                {"code": "HN-OLD", "name": "HTX A", "kind": "cooperative"},
                {"code": "HN-NEW", "name": "HTX B", "kind": "cooperative"},
            ],
            "buyers": [{"code": "HN-NEW", "name": "Điểm bán", "kind": "sales_point"}],
        },
        source_names={"producers": "producers.csv", "buyers": "buyers.csv"},
    )
    assert not report.written
    found = {(e.file, e.row, e.column) for e in report.errors}
    assert ("producers.csv", 2, "code") in found
    assert ("producers.csv", 3, "code") in found or ("buyers.csv", 2, "code") in found


def test_text_a_spreadsheet_would_run_as_a_formula_is_refused_with_its_cell():
    report = import_tables(
        {"producers": [{"code": "P-F", "name": "=1+1", "kind": "cooperative"}]},
        source_names={"producers": "producers.csv"},
    )
    [error] = report.errors
    assert (error.file, error.row, error.column) == ("producers.csv", 2, "name")
    assert "formula" in error.reason


def test_a_linkage_product_belongs_to_one_of_its_ends():
    ProducerFactory(code="P-A")
    ProducerFactory(code="P-B")
    BuyerFactory(code="B-1")
    report = import_tables(
        {
            "products": [
                {
                    "code": "SP-B",
                    "name": "Chè",
                    "producer_code": "P-B",
                    "category": "beverages",
                    "stars": 4,
                }
            ],
            "linkages": [
                {
                    "source_code": "P-A",
                    "target_code": "B-1",
                    "kind": "sells_to",
                    "product_code": "SP-B",
                }
            ],
        },
        source_names={"linkages": "linkages.csv"},
    )
    [error] = report.errors
    assert (error.file, error.row, error.column) == ("linkages.csv", 2, "product_code")


def test_skipping_a_refused_chain_skips_its_stores_and_writes_the_rest():
    ProducerFactory(code="X1")
    report = import_tables(
        {
            "buyers": [
                {"code": "X1", "name": "Chuỗi", "kind": "retail_chain"},
                {
                    "code": "S1",
                    "name": "Cửa hàng",
                    "kind": "store",
                    "chain_code": "X1",
                    "lat": 21.0,
                    "lon": 105.8,
                },
                {
                    "code": "S2",
                    "name": "Điểm bán",
                    "kind": "sales_point",
                    "lat": 21.0,
                    "lon": 105.8,
                },
            ]
        },
        skip_bad_rows=True,
    )
    assert report.written
    assert {(e.row, e.column) for e in report.errors} == {(2, "code"), (3, "chain_code")}
    assert list(Buyer.objects.values_list("code", flat=True)) == ["S2"]


def test_a_parent_loop_through_stored_areas_is_refused():
    import_tables(
        {
            "areas": [
                {"code": "A", "name": "A", "level": "province"},
                {"code": "B", "name": "B", "level": "district", "parent_code": "A"},
            ]
        }
    )
    report = import_tables(
        {"areas": [{"code": "A", "name": "A", "level": "province", "parent_code": "B"}]},
        source_names={"areas": "areas.csv"},
    )
    assert not report.written
    [error] = report.errors
    assert (error.row, error.column) == (2, "parent_code")


def test_a_chain_with_stores_keeps_its_kind_in_an_import():
    from tests.factories import ChainFactory, StoreFactory

    StoreFactory(chain=ChainFactory(code="CH"))
    report = import_tables(
        {"buyers": [{"code": "CH", "name": "Chuỗi", "kind": "wholesaler"}]},
        source_names={"buyers": "buyers.csv"},
    )
    [error] = report.errors
    assert (error.row, error.column) == (2, "kind")


def test_second_import_of_same_file_changes_nothing():
    import_path(EXAMPLE / "csv")
    before = list(Product.objects.values_list("updated_at", flat=True))
    report = import_path(EXAMPLE / "csv")
    assert report.ok
    assert sum(report.created.values()) == sum(report.updated.values()) == 0
    assert report.unchanged == counts()
    assert not report.written
    assert list(Product.objects.values_list("updated_at", flat=True)) == before


def test_changed_row_updates_its_record_and_nothing_else():
    import_path(EXAMPLE / "csv")
    tables = example()
    tables["products"].loc[0, "price_vnd"] = "2700000"
    tables["producers"].loc[1, "name"] = "Công ty Gốm Chu Đậu"
    report = import_tables(tables)
    assert report.updated["products"] == 1 and report.updated["producers"] == 1
    assert report.unchanged["products"] == len(tables["products"]) - 1
    assert Product.objects.get(code="SP-0001").price_vnd == 2_700_000
    producer = Producer.objects.get(code="CT-002")
    assert producer.name == "Công ty Gốm Chu Đậu"
    assert producer.name_folded == "cong ty gom chu dau"


def test_new_and_changed_rows_of_one_table_are_written_together_parents_first():
    import_path(EXAMPLE / "csv")
    tables = example()
    areas = tables["areas"]
    areas.loc[1, "name"] = "Huyện Gia Lâm mới"
    new_areas = pd.DataFrame(
        [
            {"code": "HN-NEW", "name": "Quận Mới", "level": "district", "parent_code": "01"},
            {"code": "HN-NEW-1", "name": "Phường Một", "level": "commune", "parent_code": "HN-NEW"},
        ]
    )
    tables["areas"] = pd.concat([areas, new_areas], ignore_index=True).fillna("")
    report = import_tables(tables)
    assert report.ok and report.written, report.errors
    assert (report.created["areas"], report.updated["areas"]) == (2, 1)
    assert Area.objects.get(code="HN-GL").name == "Huyện Gia Lâm mới"
    assert Area.objects.get(code="HN-NEW-1").parent.parent.code == "01"


def test_a_row_stored_by_someone_else_during_the_import_refuses_the_whole_import(monkeypatch):
    from linkage.importing import run

    real_write = run.write

    def write_after_someone_else(*args, **kwargs):
        # Between the checks and the writes: a producer the file creates appears.
        ProducerFactory(code="CT-002")
        return real_write(*args, **kwargs)

    monkeypatch.setattr(run, "write", write_after_someone_else)
    report = import_path(EXAMPLE / "csv")
    assert not report.written
    [error] = report.errors
    assert "the registry changed during the import; nothing written" in error.reason
    assert Area.objects.count() == 0
    assert list(Producer.objects.values_list("code", flat=True)) == ["CT-002"]


def test_import_never_touches_owner():
    owner = UserFactory()
    import_path(EXAMPLE / "csv")
    Producer.objects.filter(code="CT-001").update(owner=owner)
    tables = example()
    tables["producers"].loc[0, "members"] = "50"
    import_tables(tables)
    producer = Producer.objects.get(code="CT-001")
    assert producer.members == 50 and producer.owner == owner


def test_products_get_rating_expiry_and_folded_name():
    import_path(EXAMPLE / "csv")
    product = Product.objects.get(code="SP-0002")
    assert product.rating_expires_on == dt.date(2025, 8, 15)
    assert product.name_folded == "bo am chen men lam"
    assert product.potential_five_star is True


def test_linkage_key_and_ends_come_from_codes():
    import_path(EXAMPLE / "csv")
    linkage = Linkage.objects.get(key="supplies:CT-003>CT-001:")
    assert linkage.source_producer.code == "CT-003" and linkage.target_producer.code == "CT-001"
    sale = Linkage.objects.get(key="sells_to:CT-001>BM-HAPRO:SP-0001")
    assert sale.target_buyer.code == "BM-HAPRO" and sale.product.code == "SP-0001"


def test_vietnamese_headings_sheet_names_and_labels_are_accepted():
    tables = {
        "Địa bàn": [
            {
                "Mã": "HN",
                "Tên": "Hà Nội",
                "Cấp": "Thành phố",
                "Vĩ độ": 21.02,
                "Kinh độ": 105.84,
                "Dân số": "8.587.100",
            }
        ],
        "Chủ thể": [
            {"Mã chủ thể": "C1", "Tên chủ thể": "HTX Gốm", "Loại hình": "HTX", "Địa bàn": "HN"},
            {
                "Mã chủ thể": "C2",
                "Tên chủ thể": "Công ty A",
                "Loại hình": "cong ty",
                "Địa bàn": "HN",
            },
        ],
        "Sản phẩm": [
            {
                "Mã sản phẩm": "S1",
                "Tên sản phẩm": "Bát",
                "Mã chủ thể": "C1",
                "Nhóm sản phẩm": "Thủ công mỹ nghệ",
                "Hạng sao": "4 sao",
                "Tiềm năng 5 sao": "có",
                "Ngày đánh giá": "15/08/2022",
                "Công suất/tháng": "1,5",
                "Đơn vị": "tấn",
                "Giá": "150.000",
            },
            {
                "Mã sản phẩm": "S2",
                "Tên sản phẩm": "Tương",
                "Mã chủ thể": "C2",
                "Nhóm sản phẩm": "thuc pham",
                "Hạng sao": 3.0,
                "Tiềm năng 5 sao": "không",
                "Ngày đánh giá": dt.datetime(2023, 1, 2),
            },
        ],
        "Bên mua": [
            {
                "Mã": "B1",
                "Tên": "Chuỗi X",
                "Loại": "Chuỗi bán lẻ",
                "Nhóm sản phẩm": "Thực phẩm; Đồ uống",
            },
            {
                "Mã": "B2",
                "Tên": "Siêu thị X1",
                "Loại": "Siêu thị",
                "Mã chuỗi": "B1",
                "Địa bàn": "HN",
            },
            {"Mã": "B3", "Tên": "Điểm bán", "Loại": "Điểm bán OCOP", "Địa bàn": "HN"},
            {"Mã": "B4", "Tên": "Sàn", "Loại": "Sàn TMĐT"},
        ],
        "Liên kết": [{"Từ": "C1", "Đến": "B1", "Loại liên kết": "Bán cho", "Mã sản phẩm": "S1"}],
        "Yêu cầu": [
            {"Mã yêu cầu": "Y1", "Mã bên mua": "B1", "Nhóm": "Đồ uống", "Số lượng/tháng": "200"}
        ],
    }
    report = import_tables(tables)
    assert report.ok, report.errors
    assert Area.objects.get().level == "province" and Area.objects.get().population == 8_587_100
    assert dict(Producer.objects.values_list("code", "kind")) == {
        "C1": "cooperative",
        "C2": "enterprise",
    }
    bowl = Product.objects.get(code="S1")
    assert (bowl.category, bowl.stars, bowl.potential_five_star) == ("handicraft", 4, True)
    assert bowl.rated_on == dt.date(2022, 8, 15)
    assert bowl.capacity_per_month == 1.5 and bowl.price_vnd == 150_000
    assert Product.objects.get(code="S2").rated_on == dt.date(2023, 1, 2)
    assert dict(Buyer.objects.values_list("code", "kind")) == {
        "B1": "retail_chain",
        "B2": "store",
        "B3": "sales_point",
        "B4": "ecommerce",
    }
    assert Buyer.objects.get(code="B1").categories == "food,beverages"
    assert Buyer.objects.get(code="B2").chain.code == "B1"
    assert SourcingRequest.objects.get().category == "beverages"


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("Hộ kinh doanh", "household"),
        ("Hộ sản xuất kinh doanh", "household"),
        ("Tổ hợp tác", "cooperative_group"),
        ("Hợp tác xã", "cooperative"),
        ("Doanh nghiệp", "enterprise"),
        ("household", "household"),
    ],
)
def test_producer_kind_labels_map_to_codes(label, kind):
    report = import_tables({"producers": [{"code": "P", "name": "N", "kind": label}]})
    assert report.ok, report.errors
    assert Producer.objects.get().kind == kind


def test_unknown_label_names_the_allowed_codes():
    report = import_tables({"producers": [{"code": "P", "name": "N", "kind": "hội"}]})
    [error] = report.errors
    assert error.column == "kind" and "cooperative" in error.reason


def test_reference_to_unknown_code_is_an_error():
    report = import_tables(
        {"products": [{"code": "S", "name": "N", "producer_code": "NOPE", "category": "food"}]}
    )
    [error] = report.errors
    assert (error.row, error.column) == (2, "producer_code") and "NOPE" in error.reason


def test_reference_to_code_already_in_database_is_accepted():
    ProducerFactory(code="P-DB")
    report = import_tables(
        {"products": [{"code": "S", "name": "N", "producer_code": "P-DB", "category": "food"}]}
    )
    assert report.ok and Product.objects.get().producer.code == "P-DB"


def test_duplicate_code_in_a_file_is_an_error_naming_the_first_row():
    report = import_tables(
        {
            "producers": [
                {"code": "P", "name": "A", "kind": "household"},
                {"code": "P", "name": "B", "kind": "household"},
            ]
        }
    )
    [error] = report.errors
    assert error.row == 3 and "row 2" in error.reason
    assert not Producer.objects.exists()


def test_linkage_end_found_among_producers_and_buyers_is_an_error():
    ProducerFactory(code="X1")
    BuyerFactory(code="X1")
    BuyerFactory(code="B9")
    report = import_tables(
        {"linkages": [{"source_code": "X1", "target_code": "B9", "kind": "sells_to"}]}
    )
    [error] = report.errors
    assert error.column == "source_code" and "producer and of a buyer" in error.reason


def test_linkage_of_an_actor_to_itself_is_an_error():
    ProducerFactory(code="P1")
    report = import_tables(
        {"linkages": [{"source_code": "P1", "target_code": "P1", "kind": "member_of"}]}
    )
    assert [e.column for e in report.errors] == ["target_code"]


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ({"stars": 3, "potential_five_star": "x"}, "potential_five_star"),
        ({"stars": "0"}, "stars"),
        ({"rated_on": "31/02/2024"}, "rated_on"),
        ({"price_vnd": "-5"}, "price_vnd"),
        ({"capacity_per_month": "nhiều"}, "capacity_per_month"),
        ({"traceability_url": "not a url"}, "traceability_url"),
        ({"category": ""}, "category"),
    ],
)
def test_bad_product_cells_are_reported_by_column(row, column):
    ProducerFactory(code="P1")
    base = {"code": "S", "name": "N", "producer_code": "P1", "category": "food"}
    report = import_tables({"products": [{**base, **row}]})
    assert [e.column for e in report.errors] == [column]
    assert not Product.objects.exists()


def test_latitude_without_longitude_is_an_error():
    report = import_tables(
        {"producers": [{"code": "P", "name": "N", "kind": "household", "lat": "21.0", "lon": ""}]}
    )
    assert [e.column for e in report.errors] == ["lon"]


def test_store_whose_chain_is_not_a_retail_chain_is_an_error():
    BuyerFactory(code="SP1", kind="sales_point")
    report = import_tables(
        {"buyers": [{"code": "S", "name": "N", "kind": "store", "chain_code": "SP1"}]}
    )
    assert [e.column for e in report.errors] == ["chain_code"]


def test_area_parent_loop_is_an_error():
    report = import_tables(
        {
            "areas": [
                {"code": "A", "name": "A", "level": "district", "parent_code": "B"},
                {"code": "B", "name": "B", "level": "district", "parent_code": "A"},
            ]
        }
    )
    assert report.errors and not Area.objects.exists()


def test_missing_required_column_is_reported_once():
    report = import_tables({"producers": [{"code": "P", "name": "N"}]})
    assert [(e.row, e.column) for e in report.errors] == [(1, "kind")]


def test_skip_bad_rows_imports_the_good_rows():
    tables = example()
    tables["products"].loc[2, "category"] = "xe máy"
    report = import_tables(tables, skip_bad_rows=True)
    assert report.written and report.skipped_rows == 1
    assert [(e.row, e.column) for e in report.errors] == [(4, "category")]
    assert Product.objects.count() == len(tables["products"]) - 1
    assert not Product.objects.filter(code="SP-0003").exists()


def test_skip_bad_rows_also_skips_rows_pointing_at_a_bad_row():
    tables = example()
    tables["producers"].loc[2, "kind"] = "???"  # CT-003, which SP-0003 and two linkages name
    report = import_tables(tables, skip_bad_rows=True)
    assert report.written
    assert not Product.objects.filter(code="SP-0003").exists()
    assert not Linkage.objects.filter(key__contains="CT-003").exists()


def test_dry_run_writes_nothing_and_counts_what_would_be_created():
    report = import_path(EXAMPLE / "csv", dry_run=True)
    assert report.ok and report.dry_run and not report.written
    assert sum(counts().values()) == 0
    assert report.created["products"] == len(example()["products"])


def test_missing_coordinates_come_from_the_area_then_the_gazetteer():
    area = AreaFactory(code="GL", lat=21.02, lon=105.94)
    report = import_tables(
        {
            "producers": [
                {"code": "P1", "name": "A", "kind": "household", "area_code": area.code},
                {
                    "code": "P2",
                    "name": "B",
                    "kind": "household",
                    "address": "Thị xã Sơn Tây, Hà Nội",
                },
                {"code": "P3", "name": "C", "kind": "household"},
            ]
        }
    )
    assert report.geocoded == {"area": 1, "gazetteer": 1}
    assert Producer.objects.get(code="P1").point == (21.02, 105.94)
    p2 = Producer.objects.get(code="P2")
    assert 21.0 < p2.lat < 21.3 and 105.4 < p2.lon < 105.6
    assert Producer.objects.get(code="P3").point is None


def test_existing_coordinates_are_kept_when_the_row_has_none():
    ProducerFactory(code="P1", kind="household", name="A", lat=20.5, lon=105.5, members=None)
    report = import_tables({"producers": [{"code": "P1", "name": "A", "kind": "household"}]})
    assert report.unchanged["producers"] == 1
    assert Producer.objects.get().point == (20.5, 105.5)


def test_report_as_dict_is_json_ready():
    import json

    report = import_tables({"producers": [{"code": "P", "name": "N", "kind": "??"}]})
    data = json.loads(json.dumps(report.as_dict()))
    assert data["ok"] is False and data["errors"][0]["column"] == "kind"
    assert set(data["created"]) == set(TABLES)


def test_table_names_match_like_headings():
    assert table_for_name("Sản phẩm") == "products"
    assert table_for_name("sourcing_requests.csv") == "sourcing_requests"
    assert table_for_name("Liên kết") == "linkages"
    assert table_for_name("notes") is None


def test_upload_of_single_csv_takes_table_from_file_name():
    data = "\ufeffcode,name,kind\nP1,Hộ A,Hộ kinh doanh\n".encode()
    report = import_upload(io.BytesIO(data), filename="producers.csv")
    assert report.ok and Producer.objects.get().kind == "household"


def test_csv_with_a_byte_order_mark_has_its_first_column_recognised(tmp_path):
    # Excel's "CSV UTF-8" starts the file with a byte-order mark, right before the first heading.
    path = tmp_path / "producers.csv"
    path.write_bytes("\ufeffcode,name,kind\nP1,Hộ A,Hộ kinh doanh\n".encode())
    assert list(read_tables(path)["producers"].columns) == ["code", "name", "kind"]
    report = import_path(path)
    assert report.ok, report.errors
    assert not report.warnings
    assert Producer.objects.get().code == "P1"


def test_upload_of_zip_of_csvs_imports_every_table():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for csv in (EXAMPLE / "csv").glob("*.csv"):
            zipped.write(csv, f"export/{csv.name}")
    archive.seek(0)
    report = import_upload(archive, filename="ocop.zip")
    assert report.ok, report.errors
    assert counts() == {t: len(f) for t, f in example().items()}


def test_upload_of_unknown_file_type_is_a_reported_error():
    report = import_upload(io.BytesIO(b"hello"), filename="notes.txt")
    assert not report.ok and not report.written and report.errors[0].file == "notes.txt"


def test_upload_of_broken_workbook_is_a_reported_error():
    report = import_upload(io.BytesIO(b"not a zip"), filename="data.xlsx")
    assert not report.ok and "cannot be read" in report.errors[0].reason


def test_import_command_prints_the_report(capsys):
    call_command("import_data", str(EXAMPLE / "csv"), "--no-progress")
    out = capsys.readouterr().out
    assert "products" in out and Product.objects.exists()


def test_import_command_fails_with_errors_and_names_them(tmp_path, capsys):
    (tmp_path / "producers.csv").write_text("code,name,kind\nP1,A,??\n", encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        call_command("import_data", str(tmp_path), "--no-progress")
    assert raised.value.returncode == 1
    assert "producers.csv, row 2, column kind" in capsys.readouterr().out
    assert not Producer.objects.exists()


_codes = st.text(alphabet="ABCDEFGHKLMNPQRSTUVXY0123456789-", min_size=1, max_size=12)
_names = (
    st.text(
        alphabet=st.characters(codec="utf-8", categories=["L", "Zs"], exclude_characters="\x00"),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)
_producer_rows = st.lists(
    st.fixed_dictionaries(
        {
            "code": _codes,
            "name": _names,
            "kind": st.sampled_from(["household", "HTX", "Doanh nghiệp", "tổ hợp tác"]),
            "lat": st.one_of(st.none(), st.floats(8, 23, allow_nan=False)),
            "members": st.one_of(st.none(), st.integers(0, 10_000)),
        }
    ),
    min_size=1,
    max_size=15,
    unique_by=lambda row: row["code"],
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=_producer_rows,
    stars=st.lists(st.sampled_from(["3", "4 sao", 5.0, None]), min_size=1, max_size=15),
)
def test_importing_the_same_rows_twice_changes_nothing(rows, stars):
    Product.objects.all().delete()
    Producer.objects.all().delete()
    for row in rows:
        row["lon"] = None if row["lat"] is None else 105.5
    products = [
        {
            "code": f"S{i}",
            "name": row["name"],
            "producer_code": row["code"],
            "category": "food",
            "stars": stars[i % len(stars)],
        }
        for i, row in enumerate(rows)
    ]
    tables = {"producers": rows, "products": products}
    first = import_tables(tables)
    assert first.ok, first.errors
    snapshot = list(Producer.objects.order_by("code").values())
    second = import_tables(tables)
    assert sum(second.created.values()) == sum(second.updated.values()) == 0
    assert not second.written
    assert list(Producer.objects.order_by("code").values()) == snapshot


@given(st.lists(st.text(max_size=30)))
def test_fold_many_equals_fold(names):
    from linkage.importing import fold_many
    from linkage.text import fold

    assert fold_many(names) == [fold(name) for name in names]


def test_fold_many_folds_vietnamese_like_fold():
    from linkage.importing import fold_many

    assert fold_many(["Đường Lâm  Sơn Tây", " Bát Tràng "]) == ["duong lam son tay", "bat trang"]


@pytest.mark.parametrize(
    ("cells", "stars", "potential", "rated_on", "price"),
    [
        (("4", "có", "2022-08-15", "150000"), 4, True, dt.date(2022, 8, 15), 150_000),
        (("4 sao", "x", "15/08/2022", "150.000"), 4, True, dt.date(2022, 8, 15), 150_000),
        ((4.0, "yes", dt.datetime(2022, 8, 15), 150000.0), 4, True, dt.date(2022, 8, 15), 150_000),
        (("3.0", "không", "15.08.2022", "150,000"), 3, False, dt.date(2022, 8, 15), 150_000),
        (("5*", "", "", ""), 5, False, None, None),
    ],
)
def test_stars_flags_dates_and_prices_accept_the_usual_spellings(
    cells, stars, potential, rated_on, price
):
    ProducerFactory(code="P1")
    row = dict(zip(("stars", "potential_five_star", "rated_on", "price_vnd"), cells, strict=True))
    report = import_tables(
        {"products": [{"code": "S", "name": "N", "producer_code": "P1", "category": "food", **row}]}
    )
    assert report.ok, report.errors
    product = Product.objects.get()
    assert (product.stars, product.potential_five_star, product.rated_on, product.price_vnd) == (
        stars,
        potential,
        rated_on,
        price,
    )


def test_import_that_writes_makes_the_linkage_graph_stale():
    from linkage.graph_cache import current_version

    before = current_version()
    import_path(EXAMPLE / "csv")
    assert current_version() != before


def test_workbook_reads_the_same_without_the_fast_reader(monkeypatch):
    from linkage.importing import reading

    monkeypatch.setattr(reading, "_excel_engine", lambda: "openpyxl")
    report = import_path(EXAMPLE / "ocop_example.xlsx")
    assert report.ok, report.errors
    assert Product.objects.get(code="SP-0002").rated_on == dt.date(2022, 8, 15)


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ({"rated_on": "31/12/9999"}, "rated_on"),
        ({"rated_on": dt.datetime(9997, 6, 1)}, "rated_on"),
        ({"rated_on": "1899-12-31"}, "rated_on"),
        ({"price_vnd": "99999999999999999999999999"}, "price_vnd"),
        ({"code": "S\x00"}, "code"),
        ({"producer_code": "P1\x00"}, "producer_code"),
    ],
)
def test_cells_the_database_cannot_hold_are_reported_by_column(row, column):
    # Each used to pass the checks and fail the write: a 500 from the upload.
    ProducerFactory(code="P1")
    base = {"code": "S", "name": "N", "producer_code": "P1", "category": "food"}
    report = import_tables({"products": [{**base, **row}]})
    assert [e.column for e in report.errors] == [column]
    assert not Product.objects.exists()


def test_counts_past_the_columns_range_and_huge_requests_are_reported_by_column():
    BuyerFactory(code="B1")
    report = import_tables(
        {
            "areas": [{"code": "A1", "name": "Xã", "level": "commune", "population": "1e30"}],
            "producers": [{"code": "P9", "name": "Hộ", "kind": "household", "members": 10**20}],
            "sourcing_requests": [
                {
                    "code": "R1",
                    "buyer_code": "B1",
                    "category": "food",
                    "quantity_per_month": "1e300",
                }
            ],
        }
    )
    assert sorted(e.column for e in report.errors) == [
        "members",
        "population",
        "quantity_per_month",
    ]
    assert not report.written


def _zip_member_flagged(flag_offset: int, value: int) -> bytes:
    """A zip of one CSV whose headers claim what zipfile cannot read (encryption, a method)."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("products.csv", "code,name\n")
    data = bytearray(archive.getvalue())
    central = data.find(b"PK\x01\x02")
    if flag_offset == 6:  # general purpose flag: bit 0 = encrypted
        data[6] |= value
        data[central + 8] |= value
    else:  # compression method
        data[8] = value
        data[central + 10] = value
    return bytes(data)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (_zip_member_flagged(6, 1), "encrypted"),
        (_zip_member_flagged(8, 99), "compression method"),
    ],
    # The zips carry the time they were made: named ids keep parallel runs collecting alike.
    ids=["encrypted", "unknown-compression"],
)
def test_upload_of_a_zip_that_cannot_be_unpacked_is_a_reported_error(content, words):
    report = import_upload(io.BytesIO(content), filename="ocop.zip")
    assert not report.ok and not report.written
    assert "cannot be read" in report.errors[0].reason and words in report.errors[0].reason


def test_upload_of_a_zip_bomb_is_a_reported_error(monkeypatch):
    monkeypatch.setattr("linkage.importing.reading.MAX_ZIP_MEMBER_BYTES", 100)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("products.csv", "code,name\n" + "a,b\n" * 100)
    report = import_upload(io.BytesIO(archive.getvalue()), filename="ocop.zip")
    assert not report.ok and "larger than" in report.errors[0].reason


def test_upload_of_a_bom_csv_with_vietnamese_headings_in_nested_zip_folders():
    ProducerFactory(code="P1")
    csv = (
        "\ufeffMã sản phẩm,Tên sản phẩm,Mã chủ thể,Nhóm sản phẩm,Hạng sao\n"
        "S1,Trà,P1,Thực phẩm,4 sao\n"
    )
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("a/b/c/Sản phẩm.csv", csv.encode())
        zipped.writestr("__MACOSX/a/._x.csv", b"\x00\x01")
    report = import_upload(io.BytesIO(archive.getvalue()), filename="ocop.zip")
    assert report.ok, report.errors
    assert Product.objects.get().stars == 4


def test_control_characters_in_text_cells_are_reported_but_tabs_and_breaks_are_kept():
    report = import_tables(
        {
            "producers": [
                {"code": "P1", "name": "Hộ\x01 A", "kind": "household"},
                {"code": "P2", "name": "Hộ B", "kind": "household", "address": "Thôn 1\n\tXã A"},
            ]
        },
        skip_bad_rows=True,
    )
    assert [(e.row, e.column) for e in report.errors] == [(2, "name")]
    assert Producer.objects.get().address == "Thôn 1\n\tXã A"


def _rated_products(**changes) -> dict[str, list[dict]]:
    row = {
        "code": "SP-R1",
        "name": "Chè",
        "producer_code": "P-R",
        "category": "beverages",
        "stars": 3,
        "rated_on": "2021-03-01",
        **changes,
    }
    return {
        "producers": [{"code": "P-R", "name": "HTX", "kind": "cooperative"}],
        "products": [row],
    }


def test_a_rating_dated_in_the_future_is_reported_by_file_row_and_column():
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    report = import_tables(
        _rated_products(rated_on=tomorrow.isoformat()), source_names={"products": "sp.csv"}
    )
    assert not report.written
    [error] = report.errors
    assert (error.file, error.row, error.column) == ("sp.csv", 2, "rated_on")
    assert "to come" in error.reason


@pytest.mark.parametrize("code", ["REL/1", "A B", "a>b", ".."])
def test_a_code_outside_the_allowed_characters_is_reported_by_file_row_and_column(code):
    tables = _rated_products()
    tables["producers"][0]["code"] = code
    tables["products"][0]["producer_code"] = code
    report = import_tables(tables, source_names={"producers": "producers.csv"})
    assert not report.written
    assert ("producers.csv", 2, "code") in [(e.file, e.row, e.column) for e in report.errors]
    assert not Producer.objects.exists()


def test_the_example_and_demo_codes_are_all_accepted():
    assert import_path(EXAMPLE / "csv").ok
    report = import_tables(hanoi_demo_tables(), dry_run=True)
    assert report.ok, report.errors[:3]


def test_a_changed_rating_is_added_to_the_products_history():
    assert import_tables(_rated_products()).written
    product = Product.objects.get(code="SP-R1")
    assert list(product.ratings.values_list("stars", "rated_on")) == [(3, dt.date(2021, 3, 1))]
    # Re-rated 36 months on: the product shows the new rating, the history keeps both.
    assert import_tables(_rated_products(stars=4, rated_on="2024-03-01")).written
    product.refresh_from_db()
    assert (product.stars, product.rated_on) == (4, dt.date(2024, 3, 1))
    assert list(product.ratings.order_by("rated_on").values_list("stars", "expires_on")) == [
        (3, dt.date(2024, 3, 1)),
        (4, dt.date(2027, 3, 1)),
    ]
    # The same file again changes nothing; another column changing adds no rating.
    again = import_tables(_rated_products(stars=4, rated_on="2024-03-01"))
    assert not again.written
    assert import_tables(_rated_products(stars=4, rated_on="2024-03-01", unit="hộp")).written
    assert product.ratings.count() == 2


def test_a_corrected_rating_of_the_same_day_corrects_its_history_row():
    import_tables(_rated_products())
    import_tables(_rated_products(stars=4))
    product = Product.objects.get(code="SP-R1")
    assert list(product.ratings.values_list("stars", flat=True)) == [4]


def test_a_file_without_rating_columns_keeps_the_stored_rating_and_its_history():
    import_tables(_rated_products())
    tables = _rated_products()
    for name in ("stars", "rated_on"):
        del tables["products"][0][name]
    tables["products"][0]["unit"] = "hộp"
    assert import_tables(tables).written
    product = Product.objects.get(code="SP-R1")
    assert (product.stars, product.ratings.count()) == (3, 1)


def test_the_migration_gives_every_dated_rating_a_history_row():
    migration = importlib.import_module("linkage.migrations.0004_rating_rows_from_products")
    import_tables(_rated_products())
    Product.objects.create(
        code="SP-UNDATED", name="x", producer=Producer.objects.get(), category="food", stars=3
    )
    Rating.objects.all().delete()
    migration.ratings_from_products(django_apps, None)
    migration.ratings_from_products(django_apps, None)  # run twice: nothing doubles
    assert list(Rating.objects.values_list("product__code", "stars", "expires_on")) == [
        ("SP-R1", 3, dt.date(2024, 3, 1))
    ]
