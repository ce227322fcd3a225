"""Areas of the two administrative divisions: scheme, official code, successor."""

import pytest

from linkage import services
from linkage.choices import AreaLevel
from linkage.services import WriteRefused

pytestmark = pytest.mark.django_db


def _area(code, level, parent=None, **fields):
    return services.area_create(
        actor=None, code=code, name=code, level=level, parent=parent, **fields
    )


def test_the_structure_gives_the_scheme_of_districts_and_their_communes():
    hanoi = _area("HN", AreaLevel.PROVINCE, official_code="01")
    gia_lam = _area("HN.GIA_LAM", AreaLevel.DISTRICT, hanoi, scheme="current")
    old = _area("HN.GIA_LAM.BAT_TRANG", AreaLevel.COMMUNE, gia_lam)
    new = _area("HN.XA_BAT_TRANG", AreaLevel.COMMUNE, hanoi)
    assert (hanoi.scheme, gia_lam.scheme, old.scheme, new.scheme) == (
        "current",
        "legacy",
        "legacy",
        "current",
    )


def test_an_official_code_is_unique_within_its_scheme_only():
    hanoi = _area("HN", AreaLevel.PROVINCE)
    ba_dinh = _area("HN.BA_DINH", AreaLevel.DISTRICT, hanoi)
    # 00004 was Phường Trúc Bạch; since 1 July 2025 it is Phường Ba Đình.
    new = _area("HN.PHUONG_BA_DINH", AreaLevel.COMMUNE, hanoi, official_code="00004")
    _area("HN.BA_DINH.TRUC_BACH", AreaLevel.COMMUNE, ba_dinh, official_code="00004", successor=new)
    with pytest.raises(WriteRefused):
        _area("HN.OTHER", AreaLevel.COMMUNE, hanoi, official_code="00004")


def test_only_an_old_area_has_a_successor_and_it_is_a_new_one():
    hanoi = _area("HN", AreaLevel.PROVINCE)
    gia_lam = _area("HN.GIA_LAM", AreaLevel.DISTRICT, hanoi)
    new = _area("HN.XA_BAT_TRANG", AreaLevel.COMMUNE, hanoi)
    with pytest.raises(WriteRefused) as refused:
        _area("HN.XA_KHAC", AreaLevel.COMMUNE, hanoi, successor=new)
    assert "successor" in refused.value.errors
    with pytest.raises(WriteRefused):
        _area("HN.GIA_LAM.KIM_LAN", AreaLevel.COMMUNE, gia_lam, successor=gia_lam)
