import io
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import call_command

from linkage.exporter import COLUMNS, export_frames, table_frame, write_csv_folder, write_workbook
from linkage.importing import TABLES, import_path, read_tables
from linkage.models import Area, Buyer, Linkage, Producer, Product, Proposal, SourcingRequest
from linkage.spreadsheets import csv_bytes
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "example"
MODELS = (Proposal, SourcingRequest, Linkage, Product, Buyer, Producer, Area)


def table_csv(table: str) -> str:
    return csv_bytes(table_frame(table)).decode("utf-8-sig")


def empty_registry() -> None:
    for model in MODELS:
        while model.objects.exists():
            # Areas and buyers point at each other within their table: delete the leaves first.
            if model is Area:
                Area.objects.filter(children=None).delete()
            elif model is Buyer:
                Buyer.objects.filter(stores=None).delete()
            else:
                model.objects.all().delete()


def test_export_has_every_table_with_exactly_the_interchange_columns():
    import_path(EXAMPLE / "csv")
    frames = export_frames()
    assert tuple(frames) == TABLES
    for table, frame in frames.items():
        assert tuple(frame.columns) == COLUMNS[table]
    assert len(frames["products"]) == Product.objects.count()


def test_export_of_empty_registry_still_has_the_headings():
    assert table_csv("areas").strip() == ",".join(COLUMNS["areas"])


def test_csv_folder_round_trip_into_empty_database_gives_the_same_records(tmp_path):
    import_path(EXAMPLE / "csv")
    before = export_frames()
    write_csv_folder(tmp_path)
    empty_registry()
    assert not Product.objects.exists()
    report = import_path(tmp_path)
    assert report.ok, report.errors
    assert sum(report.updated.values()) == 0
    assert report.geocoded == {}
    for table, frame in export_frames().items():
        pd.testing.assert_frame_equal(frame, before[table], check_dtype=False)


def test_workbook_round_trip_into_empty_database_gives_the_same_records():
    import_path(EXAMPLE / "csv")
    before = export_frames()
    stream = io.BytesIO()
    write_workbook(stream)
    empty_registry()
    stream.seek(0)
    from linkage.importing import import_upload

    report = import_upload(stream, filename="export.xlsx")
    assert report.ok, report.errors
    for table, frame in export_frames().items():
        pd.testing.assert_frame_equal(frame, before[table], check_dtype=False)


def test_reimporting_an_export_changes_nothing(tmp_path):
    import_path(EXAMPLE / "csv")
    write_csv_folder(tmp_path)
    report = import_path(tmp_path)
    assert not report.written and sum(report.created.values()) == 0


def test_export_leaves_out_owners_and_derived_columns():
    import_path(EXAMPLE / "csv")
    Producer.objects.update(owner=UserFactory())
    text = table_csv("producers")
    assert "owner" not in text and "name_folded" not in text


def test_table_frame_of_unknown_table_raises_key_error():
    with pytest.raises(KeyError):
        table_frame("users")


def test_whole_numbers_export_without_decimals():
    import_path(EXAMPLE / "csv")
    line = [row for row in table_csv("products").splitlines() if row.startswith("SP-0002")][0]
    assert ",4,True,2022-08-15," in line and ",850000," in line


def test_export_command_writes_workbook_and_csv_folder(tmp_path):
    import_path(EXAMPLE / "csv")
    call_command("export_data", str(tmp_path / "ocop.xlsx"))
    call_command("export_data", str(tmp_path / "csv"))
    assert set(read_tables(tmp_path / "ocop.xlsx")) == set(TABLES)
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == sorted(
        f"{t}.csv" for t in TABLES
    )
