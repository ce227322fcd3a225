"""The import upload and the export downloads."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from linkage.models import Producer
from tests.factories import AreaFactory, ProducerFactory

pytestmark = pytest.mark.django_db

PRODUCERS_CSV = "code,name,kind\nHTX-1,HTX Gốm Bát Tràng,cooperative\n".encode()


def _upload(client, content, name="producers.csv", **flags):
    return client.post(
        "/api/v1/import/",
        {"file": SimpleUploadedFile(name, content, content_type="text/csv"), **flags},
        format="multipart",
    )


def test_import_writes_the_rows_and_reports_them(planner):
    response = _upload(planner, PRODUCERS_CSV)
    assert response.status_code == 200, response.json()
    assert response.json()["ok"] is True
    assert Producer.objects.get(code="HTX-1").name == "HTX Gốm Bát Tràng"


def test_import_dry_run_changes_nothing(planner):
    response = _upload(planner, PRODUCERS_CSV, dry_run="true")
    assert response.status_code == 200, response.json()
    assert response.json()["dry_run"] is True
    assert not Producer.objects.exists()


def test_import_with_bad_rows_answers_400_with_the_report(planner):
    response = _upload(planner, b"code,name,kind\nHTX-1,HTX,spaceship\n")
    assert response.status_code == 400
    body = response.json()
    assert body["ok"] is False
    assert body["errors"][0]["column"] == "kind"
    assert not Producer.objects.exists()


def test_import_without_a_file_names_the_field(planner):
    response = planner.post("/api/v1/import/", {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()


def test_import_is_for_planners_only(anonymous, stranger, producer_accounts):
    assert _upload(anonymous, PRODUCERS_CSV).status_code == 401
    assert _upload(stranger, PRODUCERS_CSV).status_code == 403
    assert _upload(producer_accounts[0]["client"], PRODUCERS_CSV).status_code == 403
    assert not Producer.objects.filter(code="HTX-1").exists()


def test_staff_may_import(staff):
    assert _upload(staff, PRODUCERS_CSV).status_code == 200


def test_export_table_as_csv(anonymous):
    ProducerFactory(code="HTX-9", name="HTX Đông Anh")
    response = anonymous.get("/api/v1/export/producers.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    # A byte-order mark first, so that Excel reads the Vietnamese as UTF-8.
    assert response.content.startswith("\ufeff".encode())
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("code,name,kind")
    assert "HTX-9,HTX Đông Anh" in text


def test_export_table_as_xlsx(anonymous):
    AreaFactory(code="HN", name="Hà Nội", level="province")
    response = anonymous.get("/api/v1/export/areas.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "areas"
    assert sheet["A2"].value == "HN"


def test_export_workbook_has_a_sheet_per_table(anonymous):
    ProducerFactory(code="HTX-9")
    response = anonymous.get("/api/v1/export.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "areas",
        "producers",
        "products",
        "buyers",
        "linkages",
        "sourcing_requests",
    ]
    assert book["producers"]["A2"].value == "HTX-9"


@pytest.mark.parametrize("url", ["/api/v1/export/weapons.csv", "/api/v1/export/weapons.xlsx"])
def test_export_of_an_unknown_table_is_not_found(anonymous, url):
    assert anonymous.get(url).status_code == 404
