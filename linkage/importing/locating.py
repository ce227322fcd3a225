"""Placing the areas, producers and buyers of an import that came without coordinates.

``fill_coordinates(parsed, stored)`` fills, in place, the missing latitude and longitude of the
good rows: from the database when the row is already stored with a place, else from the geocoder
chain (``linkage.geocoding``) by address or by the names of the row's area and the areas above
it, near the area's centre when that is known. Chains and e-commerce platforms have no place.
Returns the number of rows placed by each geocoder.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from ..choices import NON_PHYSICAL_BUYER_KINDS
from ..geocoding import geocoder_chain
from .checking import Parsed
from .writing import Stored

__all__ = ["fill_coordinates"]

_LOCATED = ("areas", "producers", "buyers")


def fill_coordinates(parsed: dict[str, Parsed], stored: Callable[[str], Stored]) -> Counter:
    """Fill the missing coordinates of ``parsed``; a Counter of rows placed per geocoder."""
    geocoded: Counter = Counter()
    if not any(table in parsed for table in _LOCATED):
        return geocoded
    areas = _Areas(stored("areas"), parsed.get("areas"))
    chain = None

    def locate(address, near):
        # Built on the first row that needs it, so that an import with every place given (or
        # already stored) never sets up the online geocoder.
        nonlocal chain
        if chain is None:
            chain = geocoder_chain()
        return chain(address, near)

    # Areas first: an area placed here places the producers and buyers in it.
    for table in _LOCATED:
        if table in parsed:
            _fill_table(parsed[table], stored(table), areas, locate, geocoded)
    return geocoded


class _Areas:
    """Names, parents and centres of the areas, stored and imported (the import's win)."""

    def __init__(self, stored: Stored, parsed: Parsed | None):
        self.points: dict[str, tuple[float, float]] = {}
        self.names: dict[str, str] = {}
        self.parents: dict[str, str | None] = {}
        name_i, parent_i = stored.names.index("name"), stored.names.index("parent_code")
        lat_i, lon_i = stored.names.index("lat"), stored.names.index("lon")
        for code, (_, values) in stored.rows.items():
            self.names[code], self.parents[code] = values[name_i], values[parent_i]
            if values[lat_i] is not None:
                self.points[code] = (values[lat_i], values[lon_i])
        if parsed is not None:
            for pos in parsed.good():
                code = parsed.keys[pos]
                self.names[code] = parsed.cols["name"][pos]
                if "parent_code" in parsed.present:
                    self.parents[code] = parsed.cols["parent_code"][pos]

    def address(self, code: str | None) -> str:
        """The names of the area and of up to three above it: "Xã A, Huyện B, Tỉnh C"."""
        names = []
        while code and len(names) < 4 and code in self.names:
            names.append(self.names[code])
            code = self.parents.get(code)
        return ", ".join(names)


def _fill_table(parsed: Parsed, stored: Stored, areas: _Areas, locate, geocoded: Counter) -> None:
    table, cols = parsed.spec.name, parsed.cols
    lat_i, lon_i = stored.names.index("lat"), stored.names.index("lon")
    for pos in parsed.good():
        code = parsed.keys[pos]
        if cols["lat"][pos] is None:
            existing = stored.rows.get(code)
            if existing is not None and existing[1][lat_i] is not None:
                cols["lat"][pos], cols["lon"][pos] = existing[1][lat_i], existing[1][lon_i]
            elif not (table == "buyers" and cols["kind"][pos] in NON_PHYSICAL_BUYER_KINDS):
                found = _geocode(parsed, pos, areas, locate)
                if found is not None:
                    cols["lat"][pos], cols["lon"][pos], source = found
                    geocoded[source] += 1
        if table == "areas" and cols["lat"][pos] is not None:
            areas.points[code] = (cols["lat"][pos], cols["lon"][pos])


def _geocode(parsed: Parsed, pos: int, areas: _Areas, locate):
    """(lat, lon, geocoder) of the row at ``pos``, or None when nothing places it."""
    if parsed.spec.name == "areas":
        return locate(areas.address(parsed.keys[pos]), None)
    area = parsed.cols["area_code"][pos]
    # Without an address, the area's names help only when its centre is unknown.
    address = parsed.cols["address"][pos] or (None if area in areas.points else areas.address(area))
    return locate(address, areas.points.get(area))
