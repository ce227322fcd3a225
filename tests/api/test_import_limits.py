"""Uploads are bounded: their size, what they unpack to, the rows of each table; large ones are
imported by a job followed at jobs/<id>/."""

import io
import struct
import tracemalloc
import zipfile

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from linkage.models import Producer

pytestmark = pytest.mark.django_db

needs_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="REDIS_URL is not set")

HEADER = b"code,name,kind\n"


def producers_csv(rows: int) -> bytes:
    return HEADER + b"".join(b"HTX-%d,HTX %d,cooperative\n" % (i, i) for i in range(rows))


def upload(client, content, name, **fields):
    """POST ``content`` as ``name``; in the request unless ``background`` is given (with a queue,
    the bombs below are large enough to go to a job otherwise)."""
    fields.setdefault("background", "never")
    file = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return client.post("/api/v1/import/", {"file": file, **fields}, format="multipart")


def zipped(members: dict[str, bytes]) -> bytes:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return stream.getvalue()


def lying_about_sizes(content: bytes, declared: int) -> bytes:
    """``content`` with every member's uncompressed size declared as ``declared`` bytes, in the
    local headers and the central directory alike (what a crafted zip bomb does)."""
    data = bytearray(content)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = data.find(signature)
        while start != -1:
            struct.pack_into("<I", data, start + offset, declared)
            start = data.find(signature, start + 4)
    return bytes(data)


def peak_memory(call):
    """``call()`` and the most memory it held at once, once the modules it loads are loaded."""
    call()
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def only_error(response) -> dict:
    body = response.json()
    assert body["ok"] is False and body["written"] is False
    assert len(body["errors"]) == 1, body["errors"]
    return body["errors"][0]


def test_a_zip_that_declares_more_than_the_limit_is_refused_before_unpacking(planner, settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 2**20
    bomb = zipped({"producers.csv": HEADER + b"0" * (64 * 2**20)})  # 64 MB in about 64 KB
    assert len(bomb) < 2**20
    response, peak = peak_memory(lambda: upload(planner, bomb, "bomb.zip", dry_run="true"))
    assert response.status_code == 400
    error = only_error(response)
    assert error["file"] == "bomb.zip"
    assert "IMPORT_MAX_UNCOMPRESSED_BYTES" in error["reason"]
    assert peak < 16 * 2**20


def test_a_zip_whose_members_lie_about_their_size_is_refused_with_bounded_memory(planner):
    # Declared: 100 bytes each; inside: 64 MB. With the default limits the declared sum passes.
    real = zipped({"producers.csv": HEADER + b"0" * (64 * 2**20)})
    bomb = lying_about_sizes(real, 100)
    response, peak = peak_memory(lambda: upload(planner, bomb, "bomb.zip", dry_run="true"))
    assert response.status_code == 400
    error = only_error(response)
    assert error["row"] == 0 and "bomb.zip" in error["file"] + error["reason"]
    assert peak < 16 * 2**20
    assert not Producer.objects.exists()


def test_many_members_unpacking_to_more_than_the_limit_together_are_refused(planner, settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 3 * 2**20
    rows = HEADER + b"0" * (2 * 2**20)
    bomb = zipped({"producers.csv": rows, "products.csv": rows.replace(b"kind", b"stars")})
    response = upload(planner, bomb, "two.zip", dry_run="true")
    assert response.status_code == 400
    assert "IMPORT_MAX_UNCOMPRESSED_BYTES" in only_error(response)["reason"]


def test_a_workbook_that_unpacks_to_more_than_the_limit_is_refused(planner, settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 2**20
    parts = {
        "[Content_Types].xml": b"<Types/>",
        "xl/worksheets/sheet1.xml": b"<worksheet>" + b" " * (32 * 2**20) + b"</worksheet>",
    }
    response, peak = peak_memory(lambda: upload(planner, zipped(parts), "big.xlsx"))
    assert response.status_code == 400
    error = only_error(response)
    assert error["file"] == "big.xlsx" and "IMPORT_MAX_UNCOMPRESSED_BYTES" in error["reason"]
    assert peak < 16 * 2**20


def test_a_csv_larger_than_the_limit_is_refused(planner, settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 1000
    response = upload(planner, producers_csv(100), "producers.csv")
    assert response.status_code == 400
    assert only_error(response)["file"] == "producers.csv"


@pytest.mark.parametrize("kind", ["csv", "zip", "xlsx"])
def test_a_table_with_too_many_rows_is_refused_naming_it(planner, settings, kind):
    settings.IMPORT_MAX_ROWS = 10
    content = producers_csv(11)
    if kind == "zip":
        content = zipped({"data/producers.csv": content})
    elif kind == "xlsx":
        import pandas as pd

        stream = io.BytesIO()
        frame = pd.read_csv(io.BytesIO(content), dtype=str)
        with pd.ExcelWriter(stream, engine="openpyxl") as writer:
            frame.to_excel(writer, sheet_name="producers", index=False)
        content = stream.getvalue()
    response = upload(planner, content, f"producers.{kind}", dry_run="true")
    assert response.status_code == 400
    error = only_error(response)
    assert "producers" in error["file"]
    assert "table producers has more than 10 rows" in error["reason"]
    assert "IMPORT_MAX_ROWS" in error["reason"]


def test_a_table_at_the_row_limit_is_imported(planner, settings):
    settings.IMPORT_MAX_ROWS = 10
    response = upload(planner, producers_csv(10), "producers.csv")
    assert response.status_code == 200, response.json()
    assert Producer.objects.count() == 10


def test_an_upload_over_the_size_limit_is_refused_while_it_arrives(planner, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1000
    response = upload(planner, producers_csv(100), "producers.csv")
    assert response.status_code == 413
    assert "IMPORT_MAX_UPLOAD_BYTES" in response.json()["file"][0]
    assert not Producer.objects.exists()


def test_an_upload_announcing_more_than_the_limit_is_refused_before_it_is_read(planner, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1000
    response = upload(planner, producers_csv(5000), "producers.csv")  # Content-Length > 64 KB
    assert response.status_code == 413
    assert "file" in response.json()


def test_an_anonymous_upload_is_refused_without_being_imported(anonymous):
    assert upload(anonymous, producers_csv(3), "producers.csv").status_code == 401
    assert not Producer.objects.exists()


def test_a_large_upload_answers_202_and_its_job_finishes_with_the_report(planner, settings):
    settings.IMPORT_BACKGROUND_BYTES = 100
    response = upload(planner, producers_csv(20), "producers.csv", background="always")
    assert response.status_code == 202
    status = planner.get(response.json()["status_url"]).json()
    assert status["status"] == "finished", status
    report = status["result"]
    assert report["ok"] is True and report["created"]["producers"] == 20
    assert status["progress"] == {"done": 1, "total": 1, "stage": "done"}
    assert Producer.objects.count() == 20
    # The saved upload is gone once imported.
    assert not any(settings.IMPORT_UPLOAD_DIR.iterdir())


def test_a_refused_upload_run_as_a_job_finishes_with_the_report_error(planner, settings):
    settings.IMPORT_MAX_ROWS = 5
    response = upload(planner, producers_csv(20), "producers.csv", background="always")
    assert response.status_code == 202
    status = planner.get(response.json()["status_url"]).json()
    assert status["status"] == "finished"
    assert status["result"]["ok"] is False
    assert "IMPORT_MAX_ROWS" in status["result"]["errors"][0]["reason"]


def test_without_a_queue_a_large_upload_is_imported_in_the_request(planner, settings):
    settings.REDIS_URL = ""
    settings.IMPORT_BACKGROUND_BYTES = 100
    response = upload(planner, producers_csv(20), "producers.csv", background="auto")
    assert response.status_code == 200 and response.json()["created"]["producers"] == 20


@needs_redis
def test_with_a_queue_a_large_upload_goes_to_a_job(planner, settings):
    settings.IMPORT_BACKGROUND_BYTES = 100
    response = upload(
        planner, producers_csv(20), "producers.csv", dry_run="true", background="auto"
    )
    assert response.status_code == 202
    status = planner.get(response.json()["status_url"]).json()
    assert status["status"] == "finished", status
    assert status["result"]["dry_run"] is True and status["result"]["created"]["producers"] == 20
    assert status["progress"]["stage"] == "done"
    assert not Producer.objects.exists()


@pytest.mark.parametrize("kind", ["csv", "zip"])
def test_one_huge_cell_is_refused_before_pandas_holds_it(planner, kind):
    content = HEADER + b"0" * (3 * 2**20)  # one line of 3 MB
    if kind == "zip":
        content = zipped({"producers.csv": content})
    response = upload(planner, content, f"producers.{kind}", dry_run="true")
    assert response.status_code == 400
    assert "a line is longer than 1 MB" in only_error(response)["reason"]
