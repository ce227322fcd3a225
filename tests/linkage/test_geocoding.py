import pytest
from geopy.location import Location

from linkage import geocoding
from linkage.geocoding import OfflineGazetteer, geocoder_chain, province_code

HANOI_LAT = (20.5, 21.4)
HANOI_LON = (105.25, 106.05)


@pytest.fixture(scope="module")
def gazetteer():
    return OfflineGazetteer()


def in_hanoi(location: Location) -> bool:
    return (
        HANOI_LAT[0] < location.latitude < HANOI_LAT[1]
        and HANOI_LON[0] < location.longitude < HANOI_LON[1]
    )


@pytest.mark.parametrize("query", ["son tay", "Dong Anh", "GIA LAM", "Sơn Tây", "soc son"])
def test_gazetteer_finds_hanoi_places_without_accents(gazetteer, query):
    location = gazetteer.geocode(query)
    assert location is not None and in_hanoi(location)


def test_gazetteer_reads_an_address_part_by_part(gazetteer):
    location = gazetteer.geocode("Thôn 5, Xã Bát Tràng, Huyện Gia Lâm, Thành phố Hà Nội")
    assert location.raw["name"] == "Gia Lâm" and in_hanoi(location)


def test_gazetteer_narrows_to_the_named_province(gazetteer):
    assert gazetteer.geocode("Yên Lạc, Hà Nội") is None  # Yên Lạc is in Vĩnh Phúc, now Phú Thọ
    assert gazetteer.geocode("Yên Lạc, Vĩnh Phúc").raw["admin1code"] == "25"


def test_gazetteer_returns_none_for_unknown_places(gazetteer):
    assert gazetteer.geocode("Atlantis") is None
    assert gazetteer.geocode("") is None


def test_gazetteer_lists_every_match_when_asked(gazetteer):
    locations = gazetteer.geocode("son tay", exactly_one=False)
    assert isinstance(locations, list) and locations
    assert locations[0].raw["population"] >= locations[-1].raw["population"]


def test_gazetteer_builds_its_index_only_when_first_used():
    fresh = OfflineGazetteer()
    assert fresh._index is None
    fresh.geocode("gia lam")
    assert fresh._index is not None


def test_province_names_old_and_new_give_their_code():
    assert province_code("TP. Hà Nội") == "01"
    assert province_code("ha tay") == "01"
    assert province_code("Thành phố Hồ Chí Minh") == "79"
    assert province_code("Narnia") is None


def test_chain_uses_the_area_centroid_first():
    locate = geocoder_chain()
    assert locate("Sơn Tây, Hà Nội", (21.0, 105.8)) == (21.0, 105.8, "area")


def test_chain_falls_back_to_the_gazetteer_then_gives_up():
    locate = geocoder_chain()
    lat, lon, source = locate("Huyện Đông Anh, Hà Nội", None)
    assert source == "gazetteer" and HANOI_LAT[0] < lat < HANOI_LAT[1]
    assert locate("Atlantis", None) is None
    assert locate("", None) is None


def test_chain_asks_nominatim_only_when_configured(settings, monkeypatch):
    calls = []

    class FakeNominatim:
        def __init__(self, **kwargs):
            pass

        def geocode(self, query, **kwargs):
            calls.append(query)
            return Location(query, (10.0, 106.0), {})

    monkeypatch.setattr("geopy.geocoders.Nominatim", FakeNominatim)
    monkeypatch.setattr("geopy.extra.rate_limiter.RateLimiter", lambda func, **kwargs: func)
    settings.GEOCODER = ""
    assert geocoder_chain()("Atlantis", None) is None
    settings.GEOCODER = "nominatim"
    assert geocoder_chain()("Atlantis", None) == (10.0, 106.0, "nominatim")
    assert calls == ["Atlantis"]


def test_gazetteer_of_the_chain_is_loaded_once_per_process():
    assert geocoding._gazetteer() is geocoding._gazetteer()
