import pytest

from linkage import admin_units
from linkage.admin_units import CURRENT, LEGACY, AmbiguousUnit, UnknownUnit, convert, parse_address


@pytest.fixture(scope="module")
def units():
    return admin_units.gazetteer()


def _count(units, scheme, level, province=None):
    return sum(
        1
        for (s, lv, _code), unit in units.units.items()
        if s == scheme and lv == level and (province is None or unit.province == province)
    )


def test_both_divisions_are_known_with_their_official_counts(units):
    assert _count(units, CURRENT, "province") == 34
    assert _count(units, CURRENT, "commune") == 3321
    assert _count(units, CURRENT, "commune", "01") == 126
    assert _count(units, LEGACY, "province") == 63
    assert _count(units, LEGACY, "district", "01") == 30
    # Every old commune of Hà Nội went into a new commune of Hà Nội.
    for (scheme, level, _code), old in units.units.items():
        if scheme == LEGACY and level == "commune" and old.province == "01":
            new = units.successors_of(old)
            assert new and all(unit.province == "01" for unit in new)


def test_old_names_convert_to_the_new_commune_with_or_without_accents_and_type_words():
    expected = ("00577", "Xã Bát Tràng")
    for province, district, commune in [
        ("Hà Nội", "Gia Lâm", "Bát Tràng"),
        ("Thành phố Hà Nội", "Huyện Gia Lâm", "Xã Bát Tràng"),
        ("ha noi", "huyen gia lam", "xa bat trang"),
        ("HÀ NỘI", "H. Gia Lâm", "X. Bát  Tràng"),
        ("Hà Nội", None, "Bát Tràng"),  # unique in the city: the district may be left out
    ]:
        found = convert(province, district, commune)
        assert found.legacy.scheme == LEGACY and found.legacy.code == "00583"
        assert (found.current.code, found.current.name) == expected
        assert found.province.code == "01" and found.province.scheme == CURRENT


def test_old_official_codes_convert_like_names():
    by_code = convert("01", "018", "00583")
    assert by_code.current.code == "00577"
    assert convert("01", "001", "00004").current.name == "Phường Ba Đình"
    # Leading zeros lost by a spreadsheet do not matter.
    assert convert("1", "18", "583").current.code == "00577"


def test_a_ward_merged_into_a_new_ward_converts_to_it():
    assert convert("Hà Nội", "Hà Đông", "Vạn Phúc").current.name == "Phường Hà Đông"
    assert convert("Hà Nội", "Thanh Trì", "Vạn Phúc").current.province == "01"


def test_a_split_commune_names_its_other_new_communes():
    found = convert("Hà Nội", "Gia Lâm", "Bát Tràng")
    assert found.alternatives and found.current not in found.alternatives


def test_a_district_alone_has_no_single_new_commune():
    found = convert("Hà Nội", "Gia Lâm", None)
    assert found.legacy.level == "district" and found.legacy.code == "018"
    assert found.current is None


def test_a_name_shared_by_communes_of_several_districts_is_ambiguous():
    # Vạn Phúc was a ward of Hà Đông and a commune of Thanh Trì.
    with pytest.raises(AmbiguousUnit, match="Vạn Phúc.*Hà Đông.*Thanh Trì|Thanh Trì.*Hà Đông"):
        convert("Hà Nội", None, "Vạn Phúc")
    with pytest.raises(AmbiguousUnit, match="Phường 1"):
        convert("Hồ Chí Minh", None, "Phường 1")


def test_unknown_names_and_codes_are_refused_with_the_reason():
    with pytest.raises(UnknownUnit, match="Atlantis"):
        convert("Atlantis", None, "Bát Tràng")
    with pytest.raises(UnknownUnit, match="Huyện Gia Lâm"):
        convert("Hà Nội", "Gia Lâm", "Không Có Xã Này")
    with pytest.raises(UnknownUnit, match="not in the unit"):
        convert("Hà Nội", "Gia Lâm", "00004")  # a ward of Ba Đình


def test_addresses_read_in_either_form():
    old = parse_address("Thôn 3, Xã Bát Tràng, Huyện Gia Lâm, TP Hà Nội")
    assert old.legacy.scheme == LEGACY and old.current.code == "00577"
    new = parse_address("Số 5 đường Giang Cao, Xã Bát Tràng, Thành phố Hà Nội")
    assert new.legacy.scheme == CURRENT and new.current.code == "00577"
    # A new ward whose name is no old district of the city reads in the new form.
    assert parse_address("Phường Hà Đông, Hà Nội").current.name == "Phường Hà Đông"
    # An old commune without its district, when its name is unique in the city.
    assert parse_address("Phường Trúc Bạch, Hà Nội").current.name == "Phường Ba Đình"
    with pytest.raises(AmbiguousUnit):
        parse_address("Vạn Phúc, Hà Nội")
    with pytest.raises(UnknownUnit):
        parse_address("Hà Nội")


def test_new_communes_are_found_by_official_code_and_by_name(units):
    assert units.find(CURRENT, "commune", "00577", "01").name == "Xã Bát Tràng"
    assert units.find(CURRENT, "commune", "bat trang", "01").code == "00577"
    assert units.get(CURRENT, "commune", "577").code == "00577"
    assert units.get(CURRENT, "commune", "not a code") is None
