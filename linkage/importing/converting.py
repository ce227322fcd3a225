"""Areas in either administrative scheme: before 1 July 2025 (province, district, commune) and
since (province, commune).

``convert_units(parsed, stored)`` runs after each table is checked and before the references:

- areas: an ``official_code`` is written with its leading zeros ("4" from a spreadsheet that took
  it for a number is commune "00004"); the ``scheme`` comes from the structure when not given (a
  district, or a commune in a district, is of the old scheme); an old commune with an official
  code and no ``successor_code`` gets the new commune the conversion table
  (``linkage.admin_units``) gives, when the registry or the import holds it.
- producers and buyers: an ``area_code`` may be the registry's code of an area of either scheme or
  an official code of either; without one, the address ("Xã A, Huyện B, Tỉnh C" or "Xã A,
  Tỉnh C") names the area. An old commune is replaced by the new commune it went into, and for a
  producer the old one is kept as ``legacy_area_code`` (unless the row gives that). A district
  has no single successor and stays as it is.

A name or code that fits several units refuses the row (file, row, column, the candidates); an
address that names no known unit is left to the geocoder as before. Returns what was converted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from .. import admin_units
from ..admin_units import CURRENT, LEGACY, AmbiguousUnit, UnknownUnit
from ..choices import AreaLevel
from .checking import Parsed
from .writing import Stored

__all__ = ["Conversions", "convert_units"]

_WIDTH = {"province": 2, "district": 3, "commune": 5}
# Conversions listed one by one in the report; beyond this only counted.
LISTED_AT_MOST = 100


@dataclass
class Conversions:
    """What an import converted: a count per table and the first conversions, each with file,
    row, column, what the row said (``given``), the area written (``area_code``) and the old one
    kept (``legacy_area_code``)."""

    counts: Counter
    listed: list[dict]

    def add(self, parsed: Parsed, pos: int, column: str, given, area, legacy) -> None:
        self.counts[parsed.spec.name] += 1
        if len(self.listed) < LISTED_AT_MOST:
            self.listed.append(
                {
                    "file": parsed.file,
                    "row": parsed.rows[pos],
                    "column": column,
                    "given": given,
                    "area_code": area,
                    "legacy_area_code": legacy,
                }
            )


class _Registry:
    """The areas of the registry and of the import (the import's win): level, parent, scheme,
    official code and successor by code, and code by (scheme, level, official code)."""

    def __init__(self, stored: Stored, parsed: Parsed | None):
        self.areas: dict[str, dict] = {}
        names = stored.names
        for code, (_, values) in stored.rows.items():
            self.areas[code] = dict(zip(names, values, strict=True))
        if parsed is not None:
            for pos in parsed.good():
                row = {name: parsed.cols[name][pos] for name in parsed.present}
                self.areas.setdefault(parsed.keys[pos], {}).update(row)
        self.by_official: dict[tuple[str, str, str], str] = {}
        for code, area in self.areas.items():
            if area.get("official_code"):
                key = (area.get("scheme"), area.get("level"), area["official_code"])
                self.by_official[key] = code

    def scheme_of(self, code: str | None) -> str | None:
        return self.areas.get(code, {}).get("scheme") if code else None

    def level_of(self, code: str | None) -> str | None:
        return self.areas.get(code, {}).get("level") if code else None


def convert_units(parsed: dict[str, Parsed], stored: Callable[[str], Stored]) -> Conversions:
    """Normalise the areas and convert the places of producers and buyers (module docstring),
    in place; refuses, through ``Parsed.fail``, what cannot be read."""
    conversions = Conversions(Counter(), [])
    if not any(table in parsed for table in ("areas", "producers", "buyers")):
        return conversions
    areas = parsed.get("areas")
    if areas is not None:
        _normalise_areas(areas, _Registry(stored("areas"), None))
    registry = _Registry(stored("areas"), areas)
    if areas is not None:
        _fill_successors(areas, registry)
        registry = _Registry(stored("areas"), areas)
    for table in ("producers", "buyers"):
        if table in parsed:
            _convert_actors(parsed[table], registry, conversions)
    return conversions


def _normalise_areas(parsed: Parsed, stored: _Registry) -> None:
    cols = parsed.cols
    parent_levels = {parsed.keys[i]: cols["level"][i] for i in parsed.good()}
    given_scheme = "scheme" in parsed.present
    for pos in parsed.good():
        level, official = cols["level"][pos], cols["official_code"][pos]
        if official is not None:
            if not str(official).isdigit() or len(str(official)) > _WIDTH.get(level, 5):
                parsed.fail(
                    pos,
                    "official_code",
                    f"{official!r} is not an official code (digits: 2 for a province, 3 for a "
                    "district, 5 for a commune)",
                )
                continue
            cols["official_code"][pos] = str(official).zfill(_WIDTH.get(level, 5))
        parent = cols["parent_code"][pos] if "parent_code" in parsed.present else None
        parent_level = parent_levels.get(parent) or stored.level_of(parent)
        structural = (
            LEGACY if level == AreaLevel.DISTRICT or parent_level == AreaLevel.DISTRICT else None
        )
        scheme = cols["scheme"][pos] if given_scheme else None
        if scheme == CURRENT and structural == LEGACY:
            what = "a district" if level == AreaLevel.DISTRICT else "a commune in a district"
            parsed.fail(pos, "scheme", f"{what} is of the division before 1 July 2025 (legacy)")
            continue
        cols["scheme"][pos] = scheme or structural or CURRENT
    parsed.present.add("scheme")


def _fill_successors(parsed: Parsed, registry: _Registry) -> None:
    """Check the successors given; give old communes with an official code theirs."""
    cols = parsed.cols
    given = "successor_code" in parsed.present
    units = None
    for pos in list(parsed.good()):
        successor = cols["successor_code"][pos] if given else None
        if successor is not None:
            if cols["scheme"][pos] != LEGACY:
                parsed.fail(
                    pos, "successor_code", "only an area of before 1 July 2025 has a successor"
                )
            elif successor in registry.areas and registry.scheme_of(successor) != CURRENT:
                parsed.fail(
                    pos,
                    "successor_code",
                    f"{successor!r} is not an area of the division since 1 July 2025",
                )
            continue
        official = cols["official_code"][pos]
        if given or official is None or cols["scheme"][pos] != LEGACY:
            continue
        if cols["level"][pos] != AreaLevel.COMMUNE:
            continue
        units = units or admin_units.gazetteer()
        old = units.get(LEGACY, "commune", official)
        for new in units.successors_of(old) if old else ():
            code = registry.by_official.get((CURRENT, "commune", new.code))
            if code is not None:
                cols["successor_code"][pos] = code
                break
    if not given and any(code is not None for code in cols["successor_code"]):
        parsed.present.add("successor_code")


def _convert_actors(parsed: Parsed, registry: _Registry, conversions: Conversions) -> None:
    cols = parsed.cols
    keeps_history = "legacy_area_code" in cols
    has_address = "address" in parsed.present
    for pos in list(parsed.good()):
        given = cols["area_code"][pos]
        column = "area_code"
        code, legacy = given, None
        if code is not None and code not in registry.areas:
            code = _by_official_code(parsed, pos, str(code), registry)
        elif code is None and has_address and cols["address"][pos]:
            column, given = "address", cols["address"][pos]
            try:
                code, legacy = _by_address(given, registry)
            except AmbiguousUnit as error:
                parsed.fail(pos, "address", str(error))
                continue
        if code is None:
            continue
        if registry.scheme_of(code) == LEGACY:
            legacy = code
            code = registry.areas[code].get("successor_code") or code
        if code == given and legacy is None:
            continue
        cols["area_code"][pos] = code
        parsed.present.add("area_code")
        if keeps_history and legacy is not None and cols["legacy_area_code"][pos] is None:
            cols["legacy_area_code"][pos] = legacy
            parsed.present.add("legacy_area_code")
        if code != given:
            conversions.add(parsed, pos, column, given, code, legacy)


def _by_official_code(parsed: Parsed, pos: int, text: str, registry: _Registry) -> str | None:
    """The registry code of the area with official code ``text``; None (the row refused, or left
    to the reference check when it is no official code at all)."""
    if not text.isdigit() or len(text) > 5:
        return None
    if len(text) >= 4:
        key = text.zfill(5)
        found = {
            scheme: registry.by_official.get((scheme, "commune", key))
            for scheme in (CURRENT, LEGACY)
        }
        current, legacy = found[CURRENT], found[LEGACY]
        if current and legacy:
            legacy_now = registry.areas[legacy].get("successor_code")
            if legacy_now and legacy_now != current:
                parsed.fail(
                    pos,
                    "area_code",
                    f"{text!r} is the official code of {current!r} (since 1 July 2025) and of "
                    f"{legacy!r} (before, now in {legacy_now!r}): write the area's code",
                )
                return None
        code = current or legacy
    else:
        level = "district" if len(text) == 3 else "province"
        width = _WIDTH[level]
        code = registry.by_official.get((LEGACY, level, text.zfill(width))) or (
            registry.by_official.get((CURRENT, level, text.zfill(width)))
        )
    if code is None:
        parsed.fail(pos, "area_code", f"no area of the registry has the official code {text!r}")
    return code


def _by_address(address: str, registry: _Registry) -> tuple[str | None, str | None]:
    """The registry codes of the area an address names and, for an old-form address, of the old
    commune or district it names: (None, None) when it names no unit the registry holds. Raises
    AmbiguousUnit."""
    try:
        found = admin_units.parse_address(address)
    except UnknownUnit:
        return None, None
    old, legacy = found.legacy, None
    if old.scheme == LEGACY:
        legacy = registry.by_official.get((LEGACY, old.level, old.code))
        if legacy is None and old.district:
            legacy = registry.by_official.get((LEGACY, "district", old.district))
    current = None
    if found.current is not None:
        current = registry.by_official.get((CURRENT, "commune", found.current.code))
    return current or legacy, legacy
