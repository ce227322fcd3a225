"""Households' personal data: withheld from readers who have no business with them.

A household business is a family: its name is a person's name and its coordinates are a home.
Readers who are not its cooperative, a planner or staff see it without its name and address, and
with its coordinates rounded to two decimals (about 1 km), so that maps and counts per area still
hold while no home can be found. Codes stay: they are the registry's keys, not personal data.

Pure: JSON-like data or DataFrames in, the same shape out; ``hidden`` is any container of the
producer codes to withhold (``code in hidden``).
"""

from __future__ import annotations

from collections.abc import Container

import pandas as pd
from django.utils.translation import gettext as _

__all__ = [
    "COORDINATE_DECIMALS",
    "codes_named",
    "frame_codes",
    "withhold_frame",
    "withhold_households",
    "withheld_name",
]

# Two decimals of a degree: at most about 1.1 km of latitude, less of longitude in Vietnam.
COORDINATE_DECIMALS = 2
_PERSONAL = ("address", "contact", "contact_person", "phone", "email")


def withheld_name() -> str:
    """What stands in a withheld household's name, in the active language."""
    return _("Hộ sản xuất kinh doanh (ẩn tên)")


def _round(value):
    return round(value, COORDINATE_DECIMALS) if isinstance(value, int | float) else value


def _withhold_record(record: dict) -> None:
    record["name"] = withheld_name()
    for key in _PERSONAL:
        if record.get(key):
            record[key] = ""
    for key in ("lat", "lon"):
        if key in record:
            record[key] = _round(record[key])


def _withhold_feature(feature: dict, hidden: Container[str]) -> None:
    properties = feature.get("properties") or {}
    if properties.get("code") in hidden:
        geometry = feature.get("geometry") or {}
        if isinstance(geometry.get("coordinates"), list):
            geometry["coordinates"] = [_round(value) for value in geometry["coordinates"]]


def _dicts(data):
    """Every dict in ``data`` (dicts and lists nested any way)."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(value for value in item if isinstance(value, dict | list))
        elif isinstance(item, dict):
            yield item
            stack.extend(value for value in item.values() if isinstance(value, dict | list))


def codes_named(data) -> set[str]:
    """The codes ``data`` names where ``withhold_households`` would look: ``code`` and every
    ``<x>_code`` (a feature's ``properties`` included). Which of them are households is the
    caller's question, asked of these few codes rather than of every household there is."""
    return {
        value
        for item in _dicts(data)
        for key, value in item.items()
        if (key == "code" or key.endswith("_code")) and isinstance(value, str)
    }


def frame_codes(frame: pd.DataFrame) -> set[str]:
    """The codes a table names in its ``code`` and ``<x>_code`` columns (index included)."""
    flat = frame.reset_index() if any(name is not None for name in frame.index.names) else frame
    return {
        value
        for column in flat.columns
        if column == "code" or str(column).endswith("_code")
        for value in flat[column].dropna().unique().tolist()
        if isinstance(value, str)
    }


def withhold_households(data, hidden: Container[str]):
    """``data`` (dicts and lists, as an API answers) with every household in ``hidden`` withheld.

    A dict whose ``code`` is hidden loses its name, address and contact and has ``lat``/``lon``
    rounded; a pair of keys ``<x>_code`` / ``<x>_name`` (a linkage's ends, a product's producer)
    loses the name when the code is hidden; a GeoJSON feature of a hidden code has its point
    rounded. Changes ``data`` in place and returns it.
    """
    for item in _dicts(data):
        if item.get("type") == "Feature":
            _withhold_feature(item, hidden)
        code = item.get("code")
        if isinstance(code, str) and code in hidden:
            _withhold_record(item)
        for key, value in item.items():
            if key.endswith("_code") and isinstance(value, str) and value in hidden:
                name_key = key[: -len("code")] + "name"
                if name_key in item:
                    item[name_key] = withheld_name()
    return data


def withhold_frame(frame: pd.DataFrame, hidden: Container[str]) -> pd.DataFrame:
    """A table with the same rule: ``code``/``name`` and ``<x>_code``/``<x>_name`` columns (and
    ``lat``/``lon`` beside a hidden ``code``); the input is not modified."""
    out = frame.copy()
    flat = out.reset_index() if any(name is not None for name in out.index.names) else out
    for code_column in [c for c in flat.columns if c == "code" or str(c).endswith("_code")]:
        mask = flat[code_column].map(lambda code: isinstance(code, str) and code in hidden)
        if not mask.any():
            continue
        name_column = "name" if code_column == "code" else str(code_column)[:-4] + "name"
        if name_column in flat.columns:
            flat[name_column] = flat[name_column].astype(object)
            flat.loc[mask.to_numpy(), name_column] = withheld_name()
        if code_column == "code":
            for column in ("lat", "lon"):
                if column in flat.columns:
                    flat.loc[mask.to_numpy(), column] = flat.loc[mask.to_numpy(), column].round(
                        COORDINATE_DECIMALS
                    )
            for column in _PERSONAL:
                if column in flat.columns:
                    flat.loc[mask.to_numpy(), column] = ""
    if flat is not out:
        return flat.set_index(list(out.index.names))
    return flat
