"""Statistics by area in the division before 1 July 2025 and since, on the Hà Nội demo."""

import csv
import io

import openpyxl
import pytest

from linkage.importing import import_tables
from simulation.demo import hanoi_demo_tables

pytestmark = pytest.mark.django_db

BY_AREA = "/api/v1/analytics/statistics/by-area/"


@pytest.fixture
def demo():
    report = import_tables(hanoi_demo_tables())
    assert report.ok, report.errors[:3]


def test_the_published_2022_figure_is_reproduced_by_old_district(client, demo):
    # "518 sản phẩm thuộc 26 quận, huyện, thị xã" (Hà Nội, 2022).
    answer = client.get(BY_AREA, {"scheme": "legacy", "level": "district", "year": 2022})
    assert answer.status_code == 200, answer.json()
    rows = answer.json()["results"]
    assert len(rows) == 30  # every old district, with zeros
    assert sum(row["products"] for row in rows) == 518
    assert sum(row["products"] > 0 for row in rows) == 26
    # level=district alone means the old division, as before.
    assert client.get(BY_AREA, {"level": "district", "year": 2022}).json()["results"] == rows


def test_current_reports_count_the_126_communes(client, demo):
    answer = client.get(BY_AREA, {"level": "commune"})
    assert answer.status_code == 200, answer.json()
    rows = answer.json()["results"]
    assert len(rows) == 126
    assert sum(row["products"] for row in rows) == 3463
    names = {row["name"] for row in rows if row["products"]}
    assert {"Xã Bát Tràng", "Phường Hà Đông"} <= names
    province = client.get(BY_AREA, {"level": "province", "scheme": "current"}).json()
    assert [(row["code"], row["products"]) for row in province["results"]] == [("HN", 3463)]


def test_downloads_follow_the_scheme(client, demo):
    params = {"scheme": "legacy", "level": "district", "year": 2022}
    text = client.get(BY_AREA, {**params, "format": "csv"}).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sum(int(row["products"]) > 0 for row in rows) == 26
    workbook = openpyxl.load_workbook(
        io.BytesIO(client.get(BY_AREA, {"level": "commune", "format": "xlsx"}).content)
    )
    assert workbook.active.max_row == 127  # a heading and the 126 communes


def test_districts_of_the_current_division_are_refused(client):
    answer = client.get(BY_AREA, {"scheme": "current", "level": "district"})
    assert answer.status_code == 400
    assert "level" in answer.json()
    assert client.get(BY_AREA, {"scheme": "new"}).status_code == 400
    assert client.get(BY_AREA, {"year": "1800"}).status_code == 400
