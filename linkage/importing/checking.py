"""Checking one table: its cells parsed column by column, then the rules within each row.

``parse_table(spec, data, file, warnings)`` takes a frame (or a list of dicts) with the headings
people wrote and returns a ``Parsed``: the typed values of every column by position, the
spreadsheet row of each position, the key of each row, and a ``RowError`` for every cell or row
that cannot be stored (those positions are in ``Parsed.bad``). Headings it does not use go into
``warnings``. Nothing here reads other tables; the rules between tables are in ``references``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from django.db import connection
from django.utils import timezone

from ..allocation import MAX_QUANTITY_PER_MONTH
from ..dates import EARLIEST_DATE, LATEST_DATE
from ..models import CODE_PATTERN, Linkage, Proposal
from ..text import fold, fold_key, looks_like_formula
from .report import RowError
from .vocabulary import CATEGORIES, HEADINGS, NON_NEGATIVE, Column, Table

__all__ = ["Parsed", "parse_table"]

_TRUE = {"yes", "y", "true", "t", "1", "x", "co", "c", "dung", "v"}
_FALSE = {"no", "n", "false", "f", "0", "khong", "k", "sai"}


class _Bad(ValueError):
    """A cell that cannot be read; the message is the reason shown to the user."""


def _clean(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


_THOUSANDS = re.compile(r"^-?\d{1,3}([.,\s]\d{3})+$")


def _number(value) -> float:
    if isinstance(value, bool):
        raise _Bad("not a number")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).replace("\u00a0", "").replace(" ", "")
        if _THOUSANDS.match(text) and not re.match(r"^-?\d{1,3}[.,]\d{3}$", text):
            text = re.sub(r"[.,\s]", "", text)
        elif text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            raise _Bad(f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise _Bad(f"{value!r} is not a number")
    return number


def _integer(value) -> int:
    if isinstance(value, str):
        text = value.replace("\u00a0", "").replace(" ", "")
        if _THOUSANDS.match(text):
            value = re.sub(r"[.,]", "", text)
    number = _number(value)
    if not number.is_integer():
        raise _Bad(f"{value!r} is not a whole number")
    return int(number)


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d", "%d/%m/%y")


def _date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 100_000:  # an Excel serial day number that lost its date format
            return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
        raise _Bad(f"{value!r} is not a date")
    text = str(value).strip()
    if " " in text or "T" in text:
        text = re.split(r"[ T]", text)[0]
    for form in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, form).date()
        except ValueError:
            continue
    raise _Bad(f"{value!r} is not a date (write 2024-03-31 or 31/03/2024)")


_STARS = re.compile(r"^([0-9]+)(?:[.,]0+)?\s*(?:sao|star|stars|\*+)?\.?$")


def _stars(value) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if not number.is_integer():
            raise _Bad(f"{value!r} is not a number of stars")
    else:
        match = _STARS.match(fold(str(value)))
        if not match:
            raise _Bad(f"{value!r} is not a number of stars (write 4 or 4 sao)")
        number = float(match.group(1))
    if not 1 <= number <= 5:
        raise _Bad(f"stars must be between 1 and 5, not {value!r}")
    return int(number)


def _boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    key = fold_key(_text(value))
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise _Bad(f"{value!r} is not yes or no (write có/không, yes/no, 1/0 or x)")


def _choice(mapping: Mapping[str, str]) -> Callable[[Any], str]:
    def parse(value) -> str:
        code = mapping.get(fold_key(_text(value)))
        if code is None:
            allowed = ", ".join(sorted(set(mapping.values())))
            raise _Bad(f"{value!r} is not one of: {allowed}")
        return code

    return parse


def _categories(value) -> str:
    codes = []
    for part in re.split(r"[;,]", _text(value)):
        if part.strip():
            code = _choice(CATEGORIES)(part)
            if code not in codes:
                codes.append(code)
    return ",".join(codes)


def _url(value) -> str:
    text = _text(value)
    if not re.match(r"^https?://[^\s/$.?#].[^\s]*$", text, re.IGNORECASE):
        raise _Bad(f"{text!r} is not a web address (http:// or https://)")
    return text


def _parser(column: Column) -> tuple[Callable[[Any], Any], bool]:
    """The cell parser of a column, and whether caching by value pays (few distinct values)."""
    kind = column.kind
    if kind == "float":
        return _number, False
    if kind == "int":
        return _integer, False
    if kind == "date":
        return _date, True
    if kind == "bool":
        return _boolean, True
    if kind == "stars":
        return _stars, True
    if kind == "choice":
        return _choice(column.choices), True
    if kind == "categories":
        return _categories, True
    if kind == "url":
        return _url, False
    return _text, False


def _fast_cells(values: list, column: Column) -> list | None:
    """The parsed column without a Python call per cell, when its kind allows; cells it cannot
    read are left as ``_SLOW`` for the per-cell parser. None when there is no fast path.
    """
    if column.kind in ("text", "actor"):
        return [v if v.__class__ is str or v is None else _SLOW for v in values]
    if column.kind == "float":
        # Decimal commas and thousands separators fail to_numeric and go the slow way.
        numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").tolist()
        return [
            None if raw is None else (n if math.isfinite(n) else _SLOW)
            for raw, n in zip(values, numbers, strict=True)
        ]
    return None


_SLOW = object()


def _parse_column(values: list, column: Column) -> tuple[list, dict[int, str]]:
    """Parsed cells (None for blank) and {position: reason} for the cells that fail."""
    parse, cached = _parser(column)
    fast = _fast_cells(values, column)
    out: list = fast if fast is not None else [None] * len(values)
    bad: dict[int, str] = {}
    cache: dict = {}
    slow = (
        (i for i, v in enumerate(out) if v is _SLOW)
        if fast is not None
        else (i for i, raw in enumerate(values) if raw is not None)
    )
    for i in slow:
        raw = values[i]
        out[i] = None
        try:
            if cached:
                key = (type(raw), raw)
                if key not in cache:
                    try:
                        cache[key] = parse(raw)
                    except _Bad as error:
                        cache[key] = error
                result = cache[key]
                if isinstance(result, _Bad):
                    raise result
            else:
                result = parse(raw)
        except _Bad as error:
            bad[i] = str(error)
            continue
        out[i] = result
    limit = column.max_length
    if limit or column.name in NON_NEGATIVE:
        for i, result in enumerate(out):
            if result is None:
                continue
            if limit and len(result) > limit:
                bad[i] = f"longer than {limit} characters"
                out[i] = None
            elif not limit and result < 0:
                bad[i] = "must not be negative"
                out[i] = None
    return out, bad


# Control characters but tab, line feed and carriage return (as openpyxl refuses them).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _range_check(spec: Table, column: Column) -> Callable[[Any], str | None] | None:
    """The column's check of a parsed value: the reason it cannot be stored, else None."""
    if column.kind in ("text", "actor", "ref", "url"):
        # PostgreSQL refuses NUL; the other control characters cannot go into an Excel export.
        reason = "must not contain control characters"
        formula = "must not start with =, + or @ (a spreadsheet would run it as a formula)"
        return lambda value: (
            reason if _CONTROL.search(value) else formula if looks_like_formula(value) else None
        )
    if column.kind == "int":
        internal = spec.model._meta.get_field(column.field).get_internal_type()
        high = connection.ops.integer_field_range(internal)[1]
        if high is None:
            return None
        return lambda value: f"must be at most {high}" if value > high else None
    if column.kind == "date":
        reason = f"must be between {EARLIEST_DATE} and {LATEST_DATE}"
        return lambda value: None if EARLIEST_DATE <= value <= LATEST_DATE else reason
    if column.name == "quantity_per_month":
        reason = f"must be at most {MAX_QUANTITY_PER_MONTH}"
        return lambda value: reason if value > MAX_QUANTITY_PER_MONTH else None
    return None


def _out_of_range(spec: Table, column: Column, values: list, bad: dict[int, str]):
    """{position: reason} for parsed cells the database, the exports or the later sums cannot
    hold: text with control characters (PostgreSQL refuses NUL, Excel the others), integers past
    the column's range, dates outside EARLIEST_DATE..LATEST_DATE and monthly quantities past
    MAX_QUANTITY_PER_MONTH. Those cells are set to None in ``values``.
    """
    check = _range_check(spec, column)
    found: dict[int, str] = {}
    if check is None:
        return found
    for pos, value in enumerate(values):
        if value is not None and pos not in bad:
            reason = check(value)
            if reason:
                found[pos] = reason
                values[pos] = None
    return found


@dataclass
class Parsed:
    """One table read and checked: its columns by position, and the positions refused."""

    spec: Table
    file: str
    rows: list[int]  # spreadsheet row of each position
    cols: dict[str, list]
    present: set[str]
    errors: list[RowError] = field(default_factory=list)
    bad: set[int] = field(default_factory=set)
    keys: list = field(default_factory=list)

    def fail(self, pos: int, column: str, reason: str) -> None:
        """Refuse the row at ``pos``, giving the column and the reason."""
        self.errors.append(RowError(self.file, self.rows[pos], column, reason))
        self.bad.add(pos)

    def good(self) -> Iterable[int]:
        """The positions of the rows not refused."""
        return (i for i in range(len(self.rows)) if i not in self.bad)


def _as_frame(data) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    return pd.DataFrame.from_records(list(data))


def _cells(series: pd.Series) -> list:
    """The cells of a column, stripped, None where blank; vectorised for CSV's string columns."""
    if series.dtype != object and pd.api.types.is_string_dtype(series.dtype):
        stripped = series.str.strip()
        blank = (stripped.isna() | (stripped == "")).to_numpy()
        return [None if empty else v for v, empty in zip(stripped.tolist(), blank, strict=True)]
    return [_clean(v) for v in series.tolist()]


def parse_table(spec: Table, data, file: str, warnings: list[str]) -> Parsed:
    """The table ``spec`` read from ``data`` (a frame or dicts), with its cell and row errors.

    Blank rows are dropped; ``Parsed.rows`` keeps the spreadsheet row of the others (the header
    is row 1). A missing required column refuses every row.
    """
    frame = _as_frame(data)
    headings = HEADINGS[spec.name]
    sources: dict[str, Any] = {}
    for heading in frame.columns:
        name = headings.get(fold_key(str(heading)))
        if name is None:
            if not str(heading).startswith("Unnamed:"):
                warnings.append(f"{file}: column {heading!r} is not used; ignored")
        elif name in sources:
            warnings.append(f"{file}: column {heading!r} repeats {name}; ignored")
        else:
            sources[name] = heading
    raw = {name: _cells(frame[heading]) for name, heading in sources.items()}
    count = len(frame)
    keep = [i for i in range(count) if any(raw[name][i] is not None for name in raw)]
    if len(keep) < count:
        raw = {name: [values[i] for i in keep] for name, values in raw.items()}
    parsed = Parsed(spec, file, [i + 2 for i in keep], {}, set(sources))
    missing = [c.name for c in spec.columns if c.required and c.name not in sources]
    if missing:
        for name in missing:
            parsed.errors.append(RowError(file, 1, name, "required column is missing"))
        parsed.bad.update(range(len(keep)))
    for column in spec.columns:
        if column.name not in raw:
            parsed.cols[column.name] = [None] * len(keep)
            continue
        values, bad = _parse_column(raw[column.name], column)
        bad.update(_out_of_range(spec, column, values, bad))
        for pos, reason in bad.items():
            parsed.fail(pos, column.name, reason)
        if column.required and not missing:
            for pos, value in enumerate(raw[column.name]):
                if value is None:
                    parsed.fail(pos, column.name, "required")
        parsed.cols[column.name] = values
    _check_rows(parsed)
    return parsed


def _check_rows(parsed: Parsed) -> None:
    """Rules between the cells of one row, and keys repeated within the file."""
    # A row with an unreadable cell is already refused; checking it further would only report
    # the same cell again under another name.
    unread = set(parsed.bad)
    if parsed.spec.located:
        _check_coordinates(parsed, unread)
    if parsed.spec.name == "products":
        _check_potential_five_star(parsed, unread)
        _check_rated_in_the_past(parsed, unread)
    if parsed.spec.name == "sourcing_requests":
        _check_price_range(parsed, unread)
    if parsed.spec.key == "code":
        _check_code_characters(parsed, unread)
    if parsed.spec.name == "linkages":
        _check_linkage_rows(parsed)
        parsed.keys = _linkage_keys(parsed)
    elif parsed.spec.name == "proposals":
        _check_proposal_rows(parsed, unread)
        parsed.keys = _proposal_keys(parsed)
    else:
        parsed.keys = parsed.cols["code"]
    _check_repeated_keys(parsed)


def _check_coordinates(parsed: Parsed, unread: set[int]) -> None:
    cols = parsed.cols
    for pos, (lat, lon) in enumerate(zip(cols["lat"], cols["lon"], strict=True)):
        if pos in unread:
            continue
        if (lat is None) != (lon is None):
            parsed.fail(
                pos,
                "lon" if lon is None else "lat",
                "latitude and longitude go together: give both or neither",
            )
        elif lat is not None and not (-90 <= lat <= 90):
            parsed.fail(pos, "lat", "latitude must be between -90 and 90")
        elif lon is not None and not (-180 <= lon <= 180):
            parsed.fail(pos, "lon", "longitude must be between -180 and 180")


def _check_potential_five_star(parsed: Parsed, unread: set[int]) -> None:
    cols = parsed.cols
    for pos, (potential, stars) in enumerate(
        zip(cols["potential_five_star"], cols["stars"], strict=True)
    ):
        if potential and stars != 4 and pos not in unread:
            parsed.fail(pos, "potential_five_star", "only a 4-star product can be potential 5-star")


def _check_rated_in_the_past(parsed: Parsed, unread: set[int]) -> None:
    today = timezone.localdate()
    for pos, rated_on in enumerate(parsed.cols["rated_on"]):
        if rated_on is not None and rated_on > today and pos not in unread:
            parsed.fail(
                pos, "rated_on", f"a rating cannot be given on a day still to come ({today})"
            )


def _check_price_range(parsed: Parsed, unread: set[int]) -> None:
    cols = parsed.cols
    for pos, (low, high) in enumerate(
        zip(cols["price_min_vnd"], cols["price_max_vnd"], strict=True)
    ):
        if low is not None and high is not None and low > high and pos not in unread:
            parsed.fail(pos, "price_max_vnd", "the highest price is below the lowest")


_CODE = re.compile(CODE_PATTERN)


def _check_code_characters(parsed: Parsed, unread: set[int]) -> None:
    """Codes name records in URLs and in linkage keys: letters, digits, '.', '_' and '-' only."""
    for pos, code in enumerate(parsed.cols["code"]):
        if code is not None and pos not in unread and not _CODE.match(code):
            parsed.fail(
                pos,
                "code",
                f"{code!r}: a code uses only letters A-Z, digits, '.', '_' and '-' "
                "(not dots alone)",
            )


def _check_linkage_rows(parsed: Parsed) -> None:
    cols = parsed.cols
    for pos, (start, end) in enumerate(zip(cols["started_on"], cols["ended_on"], strict=True)):
        if start and end and end < start:
            parsed.fail(pos, "ended_on", "ends before it starts")
    for pos, (source, target) in enumerate(
        zip(cols["source_code"], cols["target_code"], strict=True)
    ):
        if source is not None and source == target:
            parsed.fail(pos, "target_code", "a linkage cannot join an actor to itself")


def _linkage_keys(parsed: Parsed) -> list[str | None]:
    """The stable key of each linkage row ("kind:source>target:product"), None if incomplete."""
    cols = parsed.cols
    keys = [
        Linkage.make_key(kind, source, target, product) if kind and source and target else None
        for kind, source, target, product in zip(
            cols["kind"],
            cols["source_code"],
            cols["target_code"],
            cols["product_code"],
            strict=True,
        )
    ]
    for pos, key in enumerate(keys):
        if key and len(key) > 200:
            parsed.fail(pos, "source_code", "the codes of this linkage are too long")
    return keys


# Proposals: the day each state is reached, and the states that reached it (or went past it).
_PROPOSAL_STAGES = {
    "accepted_on": {"accepted", "mou_signed", "trading", "ended"},
    "closed_on": {"declined", "withdrawn"},
    "mou_signed_on": {"mou_signed", "trading", "ended"},
    "trading_on": {"trading", "ended"},
    "ended_on": {"ended"},
}


def _check_proposal_rows(parsed: Parsed, unread: set[int]) -> None:
    """A stage's day is not before the proposal, and only a proposal that reached the stage
    has one (an ended proposal may have been called off before any MOU or trade)."""
    cols = parsed.cols
    for pos, (proposed_on, state) in enumerate(
        zip(cols["proposed_on"], cols["state"], strict=True)
    ):
        if pos in unread or proposed_on is None or state is None:
            continue
        for column, states in _PROPOSAL_STAGES.items():
            day = cols[column][pos]
            if day is None:
                continue
            if day < proposed_on:
                parsed.fail(pos, column, "is before the proposal (proposed_on)")
                break
            if state not in states:
                parsed.fail(pos, column, f"a proposal in state {state!r} has not reached it")
                break


def _proposal_keys(parsed: Parsed) -> list[str | None]:
    """The stable key of each proposal row ("product>buyer:proposed_on"), None if incomplete."""
    cols = parsed.cols
    return [
        Proposal.make_key(product, buyer, day) if product and buyer and day else None
        for product, buyer, day in zip(
            cols["product_code"], cols["buyer_code"], cols["proposed_on"], strict=True
        )
    ]


_REPEATED = {
    "linkages": ("this linkage", "source_code"),
    "proposals": ("this proposal (product, buyer and day)", "product_code"),
}


def _check_repeated_keys(parsed: Parsed) -> None:
    first: dict[str, int] = {}
    for pos, key in enumerate(parsed.keys):
        if key is None:
            continue
        if key in first:
            what, column = _REPEATED.get(parsed.spec.name, (f"code {key!r}", "code"))
            parsed.fail(
                pos,
                column,
                f"{what} appears again (first at row {parsed.rows[first[key]]})",
            )
        else:
            first[key] = pos
