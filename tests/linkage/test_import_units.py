"""Importing areas and places given in the division before 1 July 2025 or since."""

import pytest

from linkage.importing import import_tables
from linkage.models import Area, Producer

pytestmark = pytest.mark.django_db

AREAS = [
    {"code": "HN", "name": "Hà Nội", "level": "province", "official_code": "01"},
    # Since 1 July 2025: communes straight under the province.
    {"code": "HN.XA_BAT_TRANG", "name": "Xã Bát Tràng", "level": "commune", "parent_code": "HN"},
    {
        "code": "HN.PHUONG_HA_DONG",
        "name": "Phường Hà Đông",
        "level": "commune",
        "parent_code": "HN",
        "official_code": "09556",
    },
    # Before: the district and its communes; the successors come from the conversion table.
    {"code": "HN.GIA_LAM", "name": "Huyện Gia Lâm", "level": "Huyện", "parent_code": "HN"},
    {"code": "HN.HA_DONG", "name": "Quận Hà Đông", "level": "district", "parent_code": "HN"},
    {
        "code": "HN.GIA_LAM.BAT_TRANG",
        "name": "Xã Bát Tràng",
        "level": "commune",
        "parent_code": "HN.GIA_LAM",
        "official_code": "583",
    },
    {
        "code": "HN.HA_DONG.VAN_PHUC",
        "name": "Phường Vạn Phúc",
        "level": "commune",
        "parent_code": "HN.HA_DONG",
        "official_code": "09544",
    },
]


def _areas(**changes):
    rows = [dict(row) for row in AREAS]
    rows[1]["official_code"] = "00577"
    rows[3]["official_code"] = "018"
    rows[4]["official_code"] = "268"
    for row in rows:
        row.update(changes.get(row["code"], {}))
    return rows


def _producer(code="P1", **cells):
    return {"code": code, "name": f"Hợp tác xã {code}", "kind": "cooperative", **cells}


def test_areas_get_their_scheme_official_code_and_successor():
    report = import_tables({"areas": _areas()})
    assert report.ok, report.errors
    old = Area.objects.get(code="HN.GIA_LAM.BAT_TRANG")
    assert (old.scheme, old.official_code) == ("legacy", "00583")
    assert old.successor.code == "HN.XA_BAT_TRANG"
    assert Area.objects.get(code="HN.HA_DONG.VAN_PHUC").successor.code == "HN.PHUONG_HA_DONG"
    assert Area.objects.get(code="HN.GIA_LAM").scheme == "legacy"
    assert Area.objects.get(code="HN.GIA_LAM").successor is None
    new = Area.objects.get(code="HN.XA_BAT_TRANG")
    assert (new.scheme, new.official_code, new.successor) == ("current", "00577", None)
    assert Area.objects.get(code="HN").scheme == "current"
    # The same file again changes nothing.
    again = import_tables({"areas": _areas()})
    assert again.ok and not any(again.created.values()) and not any(again.updated.values())


def test_a_district_cannot_be_of_the_current_scheme():
    report = import_tables({"areas": _areas(**{"HN.GIA_LAM": {"scheme": "mới"}})})
    assert not report.ok and not report.written
    error = report.errors[0]
    assert (error.file, error.row, error.column) == ("areas", 5, "scheme")
    assert "before 1 July 2025" in error.reason


def test_a_successor_must_be_an_area_since_1_july_2025():
    rows = _areas(**{"HN.GIA_LAM.BAT_TRANG": {"successor_code": "HN.HA_DONG"}})
    report = import_tables({"areas": rows})
    assert [(e.column, e.row) for e in report.errors] == [("successor_code", 7)]


def test_producers_given_old_or_new_codes_land_in_the_new_commune_and_keep_the_old_one():
    import_tables({"areas": _areas()})
    producers = [
        _producer("OLD", area_code="HN.GIA_LAM.BAT_TRANG"),
        _producer("NEW", area_code="HN.XA_BAT_TRANG"),
        _producer("OLD_OFFICIAL", area_code="09544"),
        _producer("NEW_OFFICIAL", area_code="00577"),
        _producer("DISTRICT", area_code="018"),
    ]
    report = import_tables({"producers": producers})
    assert report.ok, report.errors
    placed = {
        p.code: (p.area.code, p.legacy_area.code if p.legacy_area else None)
        for p in Producer.objects.select_related("area", "legacy_area")
    }
    assert placed == {
        "OLD": ("HN.XA_BAT_TRANG", "HN.GIA_LAM.BAT_TRANG"),
        "NEW": ("HN.XA_BAT_TRANG", None),
        "OLD_OFFICIAL": ("HN.PHUONG_HA_DONG", "HN.HA_DONG.VAN_PHUC"),
        "NEW_OFFICIAL": ("HN.XA_BAT_TRANG", None),
        # A district went into many communes: it stays, as the producer's place then.
        "DISTRICT": ("HN.GIA_LAM", "HN.GIA_LAM"),
    }
    assert report.converted == {"producers": 4}
    first = report.conversions[0]
    assert first == {
        "file": "producers",
        "row": 2,
        "column": "area_code",
        "given": "HN.GIA_LAM.BAT_TRANG",
        "area_code": "HN.XA_BAT_TRANG",
        "legacy_area_code": "HN.GIA_LAM.BAT_TRANG",
    }
    # Importing the same rows again changes nothing.
    again = import_tables({"producers": producers})
    assert again.ok and again.unchanged["producers"] == 5 and not again.written


def test_addresses_in_either_form_place_a_producer():
    import_tables({"areas": _areas()})
    report = import_tables(
        {
            "producers": [
                _producer("A", address="Thôn 2, Xã Bát Tràng, Huyện Gia Lâm, Hà Nội"),
                _producer("B", address="Xã Bát Tràng, Thành phố Hà Nội"),
                _producer("C", address="Phường Vạn Phúc, Quận Hà Đông, Hà Nội"),
            ]
        }
    )
    assert report.ok, report.errors
    placed = {
        p.code: (p.area.code, p.legacy_area.code if p.legacy_area else None)
        for p in Producer.objects.select_related("area", "legacy_area")
    }
    assert placed == {
        "A": ("HN.XA_BAT_TRANG", "HN.GIA_LAM.BAT_TRANG"),
        "B": ("HN.XA_BAT_TRANG", None),
        "C": ("HN.PHUONG_HA_DONG", "HN.HA_DONG.VAN_PHUC"),
    }
    assert {c["column"] for c in report.conversions} == {"address"}


def test_an_ambiguous_address_or_unknown_official_code_is_a_row_error():
    import_tables({"areas": _areas()})
    report = import_tables(
        {
            "producers": [
                # Vạn Phúc was in Hà Đông and in Thanh Trì: the district is needed.
                _producer("A", address="Vạn Phúc, Hà Nội"),
                _producer("B", area_code="99999"),
            ]
        },
        source_names={"producers": "chu_the.csv"},
    )
    assert not report.written
    errors = {(e.file, e.row, e.column): e.reason for e in report.errors}
    assert set(errors) == {("chu_the.csv", 2, "address"), ("chu_the.csv", 3, "area_code")}
    assert "Hà Đông" in errors[("chu_the.csv", 2, "address")]
    assert "99999" in errors[("chu_the.csv", 3, "area_code")]


def test_a_code_of_two_different_communes_in_the_two_schemes_is_refused():
    rows = _areas()
    # 00004 was Phường Trúc Bạch and is now Phường Ba Đình; here the old one went elsewhere.
    rows += [
        {"code": "HN.BA_DINH", "name": "Quận Ba Đình", "level": "district", "parent_code": "HN"},
        {
            "code": "HN.BA_DINH.TRUC_BACH",
            "name": "Phường Trúc Bạch",
            "level": "commune",
            "parent_code": "HN.BA_DINH",
            "official_code": "00004",
            "successor_code": "HN.XA_BAT_TRANG",
        },
        {
            "code": "HN.PHUONG_BA_DINH",
            "name": "Phường Ba Đình",
            "level": "commune",
            "parent_code": "HN",
            "official_code": "00004",
        },
    ]
    for row in rows:
        row.setdefault("successor_code", None)
    assert import_tables({"areas": rows}).ok
    report = import_tables({"producers": [_producer("A", area_code="00004")]})
    assert [(e.row, e.column) for e in report.errors] == [(2, "area_code")]
    assert "write the area's code" in report.errors[0].reason
