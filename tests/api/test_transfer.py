"""The import upload and the export downloads."""

import io

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from linkage import exporter, graph_cache
from linkage.models import Producer
from tests.factories import AreaFactory, ProducerFactory

needs_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="REDIS_URL is not set")

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


def test_export_table_as_csv(stranger):
    ProducerFactory(code="HTX-9", name="HTX Đông Anh")
    response = stranger.get("/api/v1/export/producers.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    # A byte-order mark first, so that Excel reads the Vietnamese as UTF-8.
    content = b"".join(response.streaming_content)
    assert content.startswith("\ufeff".encode())
    text = content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("code,name,kind")
    assert "HTX-9,HTX Đông Anh" in text


def test_export_table_as_xlsx(stranger):
    AreaFactory(code="HN", name="Hà Nội", level="province")
    response = stranger.get("/api/v1/export/areas.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.title == "areas"
    assert sheet["A2"].value == "HN"


def test_export_workbook_has_a_sheet_per_table(stranger):
    ProducerFactory(code="HTX-9")
    response = stranger.get("/api/v1/export.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
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
def test_export_of_an_unknown_table_is_not_found(stranger, url):
    assert stranger.get(url).status_code == 404


EXPORTS = ["/api/v1/export.xlsx", "/api/v1/export/producers.csv", "/api/v1/export/areas.xlsx"]


@pytest.mark.parametrize("url", EXPORTS)
def test_whole_registry_exports_are_for_signed_in_accounts(anonymous, url, monkeypatch):
    def costly(*args, **kwargs):
        raise AssertionError("an anonymous request must not build the export")

    monkeypatch.setattr(exporter, "table_frame", costly)
    monkeypatch.setattr(exporter, "export_rows", costly)
    response = anonymous.get(url)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


@pytest.mark.parametrize("url", EXPORTS)
def test_an_export_is_built_once_per_version_and_served_from_its_file(stranger, url, monkeypatch):
    ProducerFactory(code="HTX-9")
    first = stranger.get(url)
    assert first.status_code == 200
    content = b"".join(first.streaming_content)

    def costly(*args, **kwargs):
        raise AssertionError("the file of this version is already there")

    monkeypatch.setattr(exporter, "table_frame", costly)
    again = stranger.get(url)
    assert again.status_code == 200
    assert b"".join(again.streaming_content) == content
    assert again["ETag"] == first["ETag"]
    assert again["Content-Disposition"] == first["Content-Disposition"]


def test_a_write_moves_the_version_on_and_the_old_file_is_not_served(stranger, planner):
    ProducerFactory(code="HTX-9", name="Trước")
    before = stranger.get("/api/v1/export/producers.csv")
    assert "Trước" in b"".join(before.streaming_content).decode("utf-8-sig")
    response = planner.patch("/api/v1/producers/HTX-9/", {"name": "Sau"}, format="json")
    assert response.status_code == 200
    after = stranger.get("/api/v1/export/producers.csv")
    text = b"".join(after.streaming_content).decode("utf-8-sig")
    assert "Sau" in text and "Trước" not in text
    assert after["ETag"] != before["ETag"]


def test_an_export_as_a_job_gives_a_download_url_that_answers_the_file(stranger):
    ProducerFactory(code="HTX-9")
    response = stranger.get("/api/v1/export.xlsx", {"background": "always"})
    assert response.status_code == 202
    status = stranger.get(response.json()["status_url"]).json()
    assert status["status"] == "finished", status
    result = status["result"]
    assert result["version"] == graph_cache.current_version()
    assert result["file"] == "ocop-linkage.xlsx" and result["bytes"] > 0
    download = stranger.get(result["download_url"])
    assert download.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert book["producers"]["A2"].value == "HTX-9"


def test_the_same_export_asked_twice_while_its_job_runs_is_one_job(stranger, monkeypatch):
    enqueued = []
    monkeypatch.setattr(
        "linkage.jobs.enqueue", lambda path, **kwargs: enqueued.append(kwargs) or "job-1"
    )
    monkeypatch.setattr(
        "linkage.jobs.job_status", lambda job_id: {"id": job_id, "status": "queued"}
    )
    for _ in range(3):
        response = stranger.get("/api/v1/export/producers.csv", {"background": "always"})
        assert response.status_code == 202 and response.json()["job_id"] == "job-1"
    assert len(enqueued) == 1


def test_a_bad_background_is_a_bad_request_naming_it(stranger):
    response = stranger.get("/api/v1/export.xlsx", {"background": "sometimes"})
    assert response.status_code == 400 and "background" in response.json()


@needs_redis
def test_with_a_queue_a_large_export_goes_to_a_job(stranger, settings):
    settings.EXPORT_INLINE_ROWS = 0
    ProducerFactory(code="HTX-9")
    response = stranger.get("/api/v1/export/producers.csv")
    assert response.status_code == 202
    status = stranger.get(response.json()["status_url"]).json()
    assert status["status"] == "finished", status
    download = stranger.get(status["result"]["download_url"])
    assert download.status_code == 200
    assert "HTX-9" in b"".join(download.streaming_content).decode("utf-8-sig")
