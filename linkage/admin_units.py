"""Vietnam's administrative units before and after 1 July 2025, and the conversion between them.

Until 30 June 2025 the country had three levels (63 provinces, 696 districts, 10,040 communes and
wards: the ``legacy`` scheme); from 1 July 2025 it has two (34 provinces, 3,321 communes and
wards: the ``current`` scheme). Spreadsheets arrive in either form. This module knows every unit of
both schemes with its official code (the General Statistics Office's: province "01", district
"001", commune "00004"), its centre, and which new commune each old commune went into, and turns
an old (province, district, commune) given by names or codes into the new (province, commune).

The data are those of the ``vietnamadminunits`` package (MIT licence, pinned in requirements.txt):
its SQLite table of both schemes and its conversion table, read here directly. Its own converter
is not used: for an old commune split between several new ones it may ask an online geocoder
(ArcGIS), and the service never goes on line to read a spreadsheet. Here a split commune converts
to the new commune the package names as its default, and the others are listed as alternatives.

Names match without accents, case, spacing or the type word ("Xã Bát Tràng", "xa bat trang" and
"Bát Tràng" are one name). A name that fits several units, or none, raises ``AmbiguousUnit`` or
``UnknownUnit`` (both ``ValueError``), whose message says why and names the candidates.

Pure: data in, plain values out; no ORM. The tables are read once per process, on first use.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .text import fold

__all__ = [
    "CURRENT",
    "CURRENT_FROM",
    "LEGACY",
    "LEGACY_UNTIL",
    "AmbiguousUnit",
    "Conversion",
    "Gazetteer",
    "Unit",
    "UnknownUnit",
    "convert",
    "gazetteer",
    "parse_address",
    "short_key",
]

LEGACY = "legacy"
CURRENT = "current"
LEGACY_UNTIL = dt.date(2025, 6, 30)
CURRENT_FROM = dt.date(2025, 7, 1)

# Type words, longest first so that "thi tran" goes before "thi" could; folded.
_TYPE_WORDS = (
    "thanh pho truc thuoc trung uong",
    "thanh pho",
    "thi tran",
    "thi xa",
    "dac khu",
    "phuong",
    "huyen",
    "quan",
    "tinh",
    "xa",
    "tp",
    "tx",
    "tt",
    "q",
    "h",
    "p",
    "x",
)
_TYPE_NAMES = (
    "Thành phố",
    "Thị trấn",
    "Thị xã",
    "Đặc khu",
    "Phường",
    "Huyện",
    "Quận",
    "Tỉnh",
    "Xã",
)
_TYPE_PREFIX = re.compile(r"^(?:" + "|".join(re.escape(w) for w in _TYPE_WORDS) + r")(?:\.|\s)+")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_CODE = re.compile(r"^\d{1,5}$")


class UnknownUnit(ValueError):
    """No unit of the scheme asked for has this name or code."""


class AmbiguousUnit(ValueError):
    """Several units fit; the message names them."""


@dataclass(frozen=True)
class Unit:
    """One administrative unit of one scheme, with its official code."""

    code: str
    name: str
    level: str  # province, district, commune
    scheme: str  # legacy, current
    province: str  # the official code of its province (its own for a province)
    district: str = ""  # the official code of its district (legacy communes only)
    lat: float | None = None
    lon: float | None = None

    @property
    def short_name(self) -> str:
        """The name without its type word: "Xã Bát Tràng" → "Bát Tràng"; "Phường 1" stays."""
        for word in _TYPE_NAMES:
            rest = self.name.removeprefix(word + " ")
            if rest != self.name and not rest.isdigit():
                return rest
        return self.name


@dataclass(frozen=True)
class Conversion:
    """An old unit and the new commune (and province) it went into.

    ``current`` is None for a district given without a commune (districts were dissolved, their
    communes went into many new ones); ``alternatives`` are the other new communes of an old
    commune that was split.
    """

    legacy: Unit
    province: Unit
    current: Unit | None
    alternatives: tuple[Unit, ...] = ()


def short_key(name: str | None) -> str:
    """The folded name without its type word, letters and digits only: "Xã Bát Tràng" →
    "battrang", "Phường 1" → "1"."""
    return _NON_WORD.sub("", _strip_type(name or ""))


def _strip_type(name: str) -> str:
    folded = fold(name)
    stripped = _TYPE_PREFIX.sub("", folded, count=1)
    # "Phường 1" keeps its number; a bare type word ("Xã") stays as it is.
    return stripped or folded


def _full_key(name: str | None) -> str:
    return _NON_WORD.sub("", fold(name))


@dataclass
class Gazetteer:
    """Every unit of both schemes, indexed by official code and by name."""

    units: dict[tuple[str, str, str], Unit] = field(default_factory=dict)
    # legacy commune code → (new commune codes, the default one first)
    successors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # legacy province code → current province code
    province_successor: dict[str, str] = field(default_factory=dict)
    _by_name: dict[tuple, list[Unit]] = field(default_factory=lambda: defaultdict(list))

    def add(self, unit: Unit) -> None:
        key = (unit.scheme, unit.level, unit.code)
        if key in self.units:
            return
        self.units[key] = unit
        scope = unit.district if unit.level == "commune" and unit.district else unit.province
        names = {short_key(unit.name), _full_key(unit.name)}
        for name in names:
            self._by_name[(unit.scheme, unit.level, name)].append(unit)
            if unit.level != "province":
                self._by_name[(unit.scheme, unit.level, scope, name)].append(unit)
                if unit.district:
                    self._by_name[(unit.scheme, unit.level, unit.province, name)].append(unit)

    def get(self, scheme: str, level: str, code: str) -> Unit | None:
        """The unit with this official code (leading zeros may be left out), or None."""
        code = str(code).strip()
        if not _CODE.match(code):
            return None
        width = {"province": 2, "district": 3, "commune": 5}[level]
        return self.units.get((scheme, level, code.zfill(width)))

    def find(self, scheme: str, level: str, text: str, within: str = "") -> Unit:
        """The unit of ``scheme`` and ``level`` named or coded ``text``, inside the unit whose
        official code is ``within`` (a province, or for a legacy commune a district or province).

        Raises UnknownUnit or AmbiguousUnit.
        """
        text = str(text or "").strip()
        by_code = self.get(scheme, level, text)
        if by_code is not None:
            if within and within not in (by_code.province, by_code.district):
                raise UnknownUnit(
                    f"{text!r} is the code of {by_code.name}, which is not in the unit {within}"
                )
            return by_code
        found: list[Unit] = []
        for name in (_full_key(text), short_key(text)):
            key = (scheme, level, within, name) if within else (scheme, level, name)
            found = self._by_name.get(key, [])
            if found:
                break
        found = list(dict.fromkeys(found))
        period = "before 1 July 2025" if scheme == LEGACY else "since 1 July 2025"
        if not found:
            inside = f" in {self._name_of(within, scheme)}" if within else ""
            raise UnknownUnit(f"no {level} ({period}) is named {text!r}{inside}")
        if len(found) > 1:
            names = "; ".join(f"{u.name} ({u.code}{_where(self, u)})" for u in found[:8])
            more = f" and {len(found) - 8} more" if len(found) > 8 else ""
            raise AmbiguousUnit(
                f"{text!r} names {len(found)} {level}s ({period}): {names}{more}; "
                "give the district, or the official code"
            )
        return found[0]

    def _name_of(self, code: str, scheme: str) -> str:
        unit = self.units.get((scheme, "district", code)) or self.units.get(
            (scheme, "province", code)
        )
        return unit.name if unit else code

    def province(self, text: str) -> tuple[Unit | None, Unit | None]:
        """(legacy province, current province) named or coded ``text``; either may be None, not
        both (UnknownUnit)."""
        found = []
        for scheme in (LEGACY, CURRENT):
            try:
                found.append(self.find(scheme, "province", text))
            except UnknownUnit:
                found.append(None)
        if found == [None, None]:
            raise UnknownUnit(f"no province is named {text!r}")
        return found[0], found[1]

    def successors_of(self, legacy_commune: Unit) -> tuple[Unit, ...]:
        """The new communes an old one went into, the default first."""
        return tuple(
            self.units[(CURRENT, "commune", code)]
            for code in self.successors.get(legacy_commune.code, ())
        )

    def current_province_of(self, unit: Unit) -> Unit:
        """The province (current scheme) that holds ``unit`` now."""
        if unit.scheme == CURRENT:
            return self.units[(CURRENT, "province", unit.province)]
        return self.units[(CURRENT, "province", self.province_successor[unit.province])]


def _where(gazetteer: Gazetteer, unit: Unit) -> str:
    parts = []
    if unit.district:
        district = gazetteer.units.get((LEGACY, "district", unit.district))
        parts.append(district.name if district else unit.district)
    if unit.level != "province":
        province = gazetteer.units.get((unit.scheme, "province", unit.province))
        parts.append(province.name if province else unit.province)
    return ", " + ", ".join(parts) if parts else ""


def _data_dir() -> Path:
    # Found without importing the package: its __init__ loads shapely and sets up an online
    # geocoder, neither of which the tables need.
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the vietnamadminunits package is not installed (requirements.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """Both schemes from the ``vietnamadminunits`` data, read once per process."""
    data = _data_dir()
    result = Gazetteer()
    connection = sqlite3.connect(f"file:{data / 'dataset.db'}?mode=ro", uri=True)
    try:
        legacy_rows = connection.execute(
            "SELECT province, provinceCode, provinceLat, provinceLon, provinceKey,"
            " district, districtCode, districtLat, districtLon, districtKey,"
            " ward, wardCode, wardLat, wardLon, wardKey FROM admin_units_legacy"
        ).fetchall()
        current_rows = connection.execute(
            "SELECT province, provinceCode, provinceLat, provinceLon, provinceKey,"
            " ward, wardCode, wardLat, wardLon, wardKey FROM admin_units"
        ).fetchall()
    finally:
        connection.close()
    legacy_keys: dict[str, str] = {}  # "province_district_ward" key → legacy commune code
    legacy_province_key: dict[str, str] = {}
    for (
        p_name,
        p_code,
        p_lat,
        p_lon,
        p_key,
        d_name,
        d_code,
        d_lat,
        d_lon,
        d_key,
        *ward,
    ) in legacy_rows:
        result.add(Unit(p_code, p_name, "province", LEGACY, p_code, "", p_lat, p_lon))
        legacy_province_key[p_key] = p_code
        result.add(Unit(d_code, d_name, "district", LEGACY, p_code, "", d_lat, d_lon))
        w_name, w_code, w_lat, w_lon, w_key = ward
        if w_code:
            result.add(Unit(w_code, w_name, "commune", LEGACY, p_code, d_code, w_lat, w_lon))
            legacy_keys[f"{p_key}_{d_key}_{w_key}"] = w_code
    current_keys: dict[tuple[str, str], str] = {}
    current_province_key: dict[str, str] = {}
    for p_name, p_code, p_lat, p_lon, p_key, w_name, w_code, w_lat, w_lon, _w_key in current_rows:
        result.add(Unit(p_code, p_name, "province", CURRENT, p_code, "", p_lat, p_lon))
        current_province_key[p_key] = p_code
        result.add(Unit(w_code, w_name, "commune", CURRENT, p_code, "", w_lat, w_lon))
        current_keys[(p_key, _full_key(w_name))] = w_code
    with open(data / "converter_2025.json", encoding="utf-8") as handle:
        converter = json.load(handle)
    for new_key, old_keys in converter["DICT_PROVINCE"].items():
        for old_key in old_keys:
            result.province_successor[legacy_province_key[old_key]] = current_province_key[new_key]
    successors: dict[str, list[str]] = defaultdict(list)
    for province_key, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_ward_key, old_keys in wards.items():
            new_code = current_keys.get((province_key, _full_key(new_ward_key)))
            for old_key in old_keys:
                if new_code and old_key in legacy_keys:
                    successors[legacy_keys[old_key]].append(new_code)
    for province_key, olds in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, news in olds.items():
            if old_key not in legacy_keys:
                continue
            ordered = sorted(news, key=lambda n: not n["isDefaultNewWard"])
            for new in ordered:
                new_code = current_keys.get((province_key, _full_key(new["newWardKey"])))
                if new_code and new_code not in successors[legacy_keys[old_key]]:
                    successors[legacy_keys[old_key]].append(new_code)
    result.successors = {code: tuple(codes) for code, codes in successors.items()}
    return result


def convert(province: str, district: str | None, commune: str | None) -> Conversion:
    """The new (province, commune) of an old (province, district, commune), each a name or an
    official code; ``district`` may be left out when the commune's name is unique in its province.

    Raises UnknownUnit or AmbiguousUnit.
    """
    units = gazetteer()
    legacy_province, _current = units.province(province)
    if legacy_province is None:
        raise UnknownUnit(f"no province before 1 July 2025 is named {province!r}")
    legacy_district = None
    if district:
        legacy_district = units.find(LEGACY, "district", district, legacy_province.code)
    if not commune:
        if legacy_district is None:
            raise UnknownUnit("give a district or a commune")
        return Conversion(legacy_district, units.current_province_of(legacy_district), None)
    within = legacy_district.code if legacy_district else legacy_province.code
    old = units.find(LEGACY, "commune", commune, within)
    new = units.successors_of(old)
    return Conversion(old, units.current_province_of(old), new[0] if new else None, tuple(new[1:]))


def parse_address(address: str) -> Conversion:
    """The unit an address names, in either form: "…, Xã Bát Tràng, Huyện Gia Lâm, Hà Nội" (old:
    commune, district, province) or "…, Xã Bát Tràng, Hà Nội" (new: commune, province).

    For a new-form address ``legacy`` is the new commune itself. The old form is read when the
    part before the province is one of its districts of before 1 July 2025; "commune, province"
    naming no new commune is read as an old commune without its district. Raises UnknownUnit or
    AmbiguousUnit.
    """
    parts = [part.strip() for part in str(address or "").split(",") if part.strip()]
    if len(parts) < 2:
        raise UnknownUnit(f"{address!r} names no commune and province (write 'Xã A, Tỉnh B')")
    # Only the last three parts count; a spreadsheet repeats them on thousands of rows.
    return _parse_tail(tuple(parts[-3:]))


@lru_cache(maxsize=20_000)
def _parse_tail(parts: tuple[str, ...]) -> Conversion:
    units = gazetteer()
    legacy_province, current_province = units.province(parts[-1])
    if len(parts) >= 3 and legacy_province is not None:
        try:
            units.find(LEGACY, "district", parts[-2], legacy_province.code)
        except UnknownUnit:
            pass
        else:
            return convert(parts[-1], parts[-2], parts[-3])
    if current_province is None:
        raise UnknownUnit(
            f"{parts[-1]!r} is a province of before 1 July 2025: write the district too "
            "(commune, district, province)"
        )
    try:
        commune = units.find(CURRENT, "commune", parts[-2], current_province.code)
    except UnknownUnit:
        if legacy_province is None:
            raise
        # An old commune written without its district ("Xã A, Hà Nội").
        try:
            return convert(parts[-1], None, parts[-2])
        except UnknownUnit:
            pass
        raise
    return Conversion(commune, current_province, commune)
