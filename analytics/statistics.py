"""Programme statistics: rated products by year, group, stars, area and producer kind.

Pure pandas: a DataFrame of products in, DataFrames out; no ORM, no HTTP.

The products frame holds one row per product with the columns of ``PRODUCT_COLUMNS``:

- ``code``, ``name``: the product;
- ``category``: its group code (``linkage.choices.Category``);
- ``stars`` (1–5 or missing) and ``potential_five_star`` (bool);
- ``rated_on`` and ``rating_expires_on``: dates (``datetime.date``, strings or datetime64);
- ``producer_code``, ``producer_kind``: the producer and its kind (``ProducerKind``);
- ``area_code``: the producer's area, or missing.

The ratings frame (optional, ``ratings=`` of every table but ``expiring``) is the products'
rating history, one row per decision of the rating council, with the columns of
``RATING_COLUMNS``: ``code`` (the product's), ``stars``, ``potential_five_star``, ``rated_on`` and
``rating_expires_on``. Without it, or for a product it has no row of, the product's own rating is
its whole history (a registry that keeps one rating per product answers as it always did).

The areas frame (for ``by_area``) is indexed by area code with the columns ``name``, ``level``
and ``parent_code`` (missing for none), as ``analytics.frames.area_frame`` gives it, and
optionally ``scheme`` (``legacy`` before 1 July 2025, ``current`` since) and ``successor_code``
(the new commune an old one went into), as ``analytics.selectors.area_history`` adds them.

Counting rules
- Only OCOP-certified products count: 3 stars and above, with a rating date. Products rated 1 or 2
  stars are not certified; every table leaves them out and ``summary`` reports their number
  separately as ``below_3``. Products never rated are left out everywhere.
- Star classes, highest first: ``"5"``, ``"potential_5"`` (4 stars with ``potential_five_star``),
  ``"4"``, ``"3"``.
- A product is newly certified in the year of its first certified rating: re-ratings (every 36
  months) do not count it again, so the yearly figures and targets stay those the programme
  published however often a product has been re-rated since.
- Two bases for "the products at a date": ``"cumulative"`` counts every product certified on or
  before the date, in the star class of its latest certified rating by then; ``"valid"`` counts
  those whose latest rating by then is certified and in force on the date,
  ``rated_on <= date < rating_expires_on``. The rows a table counts carry the rating it counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from linkage.choices import Category, ProducerKind
from linkage.dates import add_months

__all__ = [
    "BASES",
    "PRODUCT_COLUMNS",
    "RATING_COLUMNS",
    "STAR_CLASSES",
    "STAR_CLASS_LABELS",
    "by_area",
    "by_group",
    "by_producer_kind",
    "by_stars",
    "by_year",
    "expiring",
    "scheme_of",
    "select",
    "star_class",
    "summary",
    "targets",
]

PRODUCT_COLUMNS = (
    "code",
    "name",
    "category",
    "stars",
    "potential_five_star",
    "rated_on",
    "rating_expires_on",
    "producer_code",
    "producer_kind",
    "area_code",
)

RATING_COLUMNS = ("code", "stars", "potential_five_star", "rated_on", "rating_expires_on")
_RATING_FIELDS = RATING_COLUMNS[1:]

STAR_CLASSES = ("5", "potential_5", "4", "3")
STAR_CLASS_LABELS = {
    "5": "5 sao (5 stars)",
    "potential_5": "Tiềm năng 5 sao (potential 5 stars)",
    "4": "4 sao (4 stars)",
    "3": "3 sao (3 stars)",
}
BASES = ("cumulative", "valid")
UNKNOWN_AREA = ""
# The two divisions (``linkage.choices.AreaScheme``): before 1 July 2025 and since.
LEGACY_SCHEME = "legacy"
CURRENT_SCHEME = "current"
_UNKNOWN_AREA_NAME = "Chưa rõ địa bàn (unknown area)"


def star_class(stars: pd.Series, potential_five_star: pd.Series) -> pd.Series:
    """The star class of each product: "5", "potential_5", "4", "3", or missing below 3 stars.

    ``stars`` holds numbers (or missing), ``potential_five_star`` booleans, on the same index.
    """
    stars = pd.to_numeric(stars, errors="coerce")
    potential = potential_five_star.fillna(False).astype(bool)
    conditions = [stars >= 5, (stars == 4) & potential, stars == 4, stars == 3]
    classes = np.select(conditions, list(STAR_CLASSES), default="")
    return pd.Series(classes, index=stars.index, dtype=object).replace("", None)


class _Prepared:
    """The products (dates as datetime64) and every rating of theirs, oldest first per product:
    what the tables count from, worked out once per call."""

    def __init__(self, products: pd.DataFrame, ratings: pd.DataFrame | None):
        missing = [column for column in PRODUCT_COLUMNS if column not in products.columns]
        if missing:
            raise ValueError(f"The products frame lacks the columns: {', '.join(missing)}")
        frame = products.copy()
        for column in ("rated_on", "rating_expires_on"):
            frame[column] = pd.to_datetime(frame[column], errors="coerce")
        self.products = frame
        self.history = _history(frame, ratings)

    def at(self, day: pd.Timestamp, basis: str) -> pd.DataFrame:
        """The product rows counted on ``day`` on ``basis``, carrying the rating counted and its
        ``star_class``."""
        if basis not in BASES:
            raise ValueError(f"basis must be one of {', '.join(BASES)}, not {basis!r}")
        given = self.history[self.history["rated_on"] <= day]
        if basis == "cumulative":
            counted = given[given["star_class"].notna()].drop_duplicates("code", keep="last")
        else:
            latest = given.drop_duplicates("code", keep="last")
            counted = latest[latest["star_class"].notna() & (latest["rating_expires_on"] > day)]
        counted = counted.set_index("code")
        rows = self.products[self.products["code"].isin(counted.index)].copy()
        picked = counted.reindex(rows["code"].to_numpy())
        for column in (*_RATING_FIELDS, "star_class"):
            rows[column] = picked[column].to_numpy()
        return rows

    def first_ratings(self, day: pd.Timestamp) -> pd.DataFrame:
        """Each product's first certified rating given on or before ``day``: the year it was
        newly certified, and the star class it was certified in."""
        history = self.history
        given = history[(history["rated_on"] <= day) & history["star_class"].notna()]
        return given.drop_duplicates("code", keep="first")


def _history(products: pd.DataFrame, ratings: pd.DataFrame | None) -> pd.DataFrame:
    """Every rating of the products, by code and day, with its ``star_class``: the rows of
    ``ratings`` of these products, and each product's own rating where they lack it (its
    history's newest, or its only one when there is no history)."""
    history = products.loc[:, list(RATING_COLUMNS)]
    if ratings is not None and len(ratings):
        rows = ratings.loc[ratings["code"].isin(products["code"]), list(RATING_COLUMNS)].copy()
        for column in ("rated_on", "rating_expires_on"):
            rows[column] = pd.to_datetime(rows[column], errors="coerce")
        history = pd.concat([rows, history], ignore_index=True)
    history = history[history["rated_on"].notna()]
    # A product's own rating is its history's newest: the history's row of that day wins.
    history = history.drop_duplicates(["code", "rated_on"], keep="first")
    history = history.sort_values(["code", "rated_on"], kind="stable").reset_index(drop=True)
    history["star_class"] = star_class(history["stars"], history["potential_five_star"])
    return history


def _day(value: dt.date | None) -> pd.Timestamp:
    return pd.Timestamp(value or dt.date.today())


def select(
    products: pd.DataFrame,
    *,
    as_of: dt.date | None = None,
    basis: str = "cumulative",
    ratings: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The certified products counted at ``as_of`` (default today) on ``basis``.

    Returns the rows of ``products`` (same index, the ``PRODUCT_COLUMNS``, dates as datetime64)
    with the rating counted in the rating columns, plus a ``star_class`` column. Raises
    ValueError for an unknown basis or missing columns.
    """
    return _Prepared(products, ratings).at(_day(as_of), basis)


def _counts_by(frame: pd.DataFrame, column: str, order: list[str]) -> pd.DataFrame:
    """Products per value of ``column`` (every value of ``order``, zeros kept) and their share."""
    counts = frame[column].value_counts().reindex(order, fill_value=0).astype(int)
    total = int(counts.sum())
    result = pd.DataFrame({"products": counts})
    result["share"] = (counts / total).round(4) if total else 0.0
    return result


def by_stars(
    products: pd.DataFrame,
    *,
    as_of: dt.date | None = None,
    basis: str = "cumulative",
    ratings: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Certified products per star class.

    Index ``star_class`` ("5", "potential_5", "4", "3", always all four); columns ``label``,
    ``products`` (count) and ``share`` (of the certified total, 0–1).
    """
    frame = select(products, as_of=as_of, basis=basis, ratings=ratings)
    result = _counts_by(frame, "star_class", list(STAR_CLASSES))
    result.insert(0, "label", [STAR_CLASS_LABELS[c] for c in result.index])
    result.index.name = "star_class"
    return result


def by_group(
    products: pd.DataFrame,
    *,
    as_of: dt.date | None = None,
    basis: str = "cumulative",
    ratings: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Certified products per product group, with their star classes.

    Index ``category`` (the six group codes in ``Category`` order, then any unknown code met);
    columns ``label``, ``products``, ``share`` (0–1) and one count column per star class.
    """
    frame = select(products, as_of=as_of, basis=basis, ratings=ratings)
    order = list(Category.values)
    order += sorted(set(frame["category"].dropna()) - set(order))
    result = _counts_by(frame, "category", order)
    result = result.join(_star_columns(frame, "category", order))
    labels = dict(Category.choices)
    result.insert(0, "label", [str(labels.get(code, code)) for code in result.index])
    result.index.name = "category"
    return result


def _star_columns(frame: pd.DataFrame, column: str, order: list) -> pd.DataFrame:
    """Per value of ``column``, a count column for each star class (zeros kept)."""
    table = pd.crosstab(frame[column], frame["star_class"]) if len(frame) else pd.DataFrame()
    table = table.reindex(index=order, columns=list(STAR_CLASSES), fill_value=0)
    return table.fillna(0).astype(int).rename_axis(index=column, columns=None)


def by_producer_kind(
    products: pd.DataFrame,
    *,
    as_of: dt.date | None = None,
    basis: str = "cumulative",
    ratings: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Certified products and the producers holding them, per producer kind.

    Index ``producer_kind`` (the four ``ProducerKind`` codes, then any other met); columns
    ``label``, ``producers`` (distinct producers with at least one counted product),
    ``products`` and ``share`` (of products, 0–1).
    """
    frame = select(products, as_of=as_of, basis=basis, ratings=ratings)
    order = list(ProducerKind.values)
    order += sorted(set(frame["producer_kind"].dropna()) - set(order))
    result = _counts_by(frame, "producer_kind", order)
    producers = frame.groupby("producer_kind")["producer_code"].nunique()
    result.insert(0, "producers", producers.reindex(order, fill_value=0).astype(int))
    labels = dict(ProducerKind.choices)
    result.insert(0, "label", [str(labels.get(code, code)) for code in result.index])
    result.index.name = "producer_kind"
    return result


def by_year(
    products: pd.DataFrame, *, as_of: dt.date | None = None, ratings: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Certified products per year they were first certified, with running totals.

    Counts ratings given on or before ``as_of`` (default today), from the first year with a rating
    to the year of ``as_of`` (no year is skipped). Index ``year`` (int); columns ``rated`` (newly
    certified in the year: a re-rating does not count a product again), one count column per star
    class (of that first certified rating), ``cumulative`` (certified in or before the year) and
    ``valid_at_year_end`` (products whose rating in force on 31 December, or on ``as_of`` for its
    own year, is certified).
    """
    day = _day(as_of)
    prepared = _Prepared(products, ratings)
    frame = prepared.first_ratings(day)
    columns = ["rated", *STAR_CLASSES, "cumulative", "valid_at_year_end"]
    if frame.empty:
        return pd.DataFrame(columns=columns, dtype=int).rename_axis("year")
    years = list(range(int(frame["rated_on"].dt.year.min()), day.year + 1))
    year = frame["rated_on"].dt.year.rename("year")
    result = pd.DataFrame(index=pd.Index(years, name="year"))
    result["rated"] = year.value_counts().reindex(years, fill_value=0).astype(int)
    result = result.join(_star_columns(frame.assign(year=year), "year", years))
    result["cumulative"] = result["rated"].cumsum()
    ends = [min(pd.Timestamp(y, 12, 31), day) for y in years]
    # One pass over the history per year: years are few, ratings many.
    result["valid_at_year_end"] = [len(prepared.at(end, "valid")) for end in ends]
    return result[columns]


def targets(
    products: pd.DataFrame,
    *,
    target: int | Mapping[int, int] = 400,
    as_of: dt.date | None = None,
    first_year: int | None = None,
    ratings: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Products newly certified each year (``by_year``'s ``rated``) against the yearly target.

    ``target`` is one number for every year or a mapping year → target (years it does not name get
    the largest target it gives). Years run from ``first_year`` (default the first year with a
    rating, or the year of ``as_of`` when none) to the year of ``as_of`` (default today); the last
    year counts ratings up to ``as_of`` only. Index ``year``; columns ``rated``, ``target``,
    ``share`` (rated / target, 0 when the target is 0), ``met`` (bool) and ``shortfall``
    (target − rated, never below 0). Raises ValueError for a negative target.
    """
    day = _day(as_of)
    yearly = by_year(products, as_of=day.date(), ratings=ratings)["rated"]
    start = first_year or (int(yearly.index.min()) if len(yearly) else day.year)
    years = list(range(start, day.year + 1))
    rated = yearly.reindex(years, fill_value=0).astype(int)
    if isinstance(target, Mapping):
        fallback = max(target.values(), default=0)
        goals = [int(target.get(year, fallback)) for year in years]
    else:
        goals = [int(target)] * len(years)
    if any(goal < 0 for goal in goals):
        raise ValueError("A target cannot be negative.")
    result = pd.DataFrame({"rated": rated.to_numpy(), "target": goals}, index=rated.index)
    goal = result["target"].replace(0, np.nan)
    result["share"] = (result["rated"] / goal).fillna(0.0).round(4)
    result["met"] = result["rated"] >= result["target"]
    result["shortfall"] = (result["target"] - result["rated"]).clip(lower=0)
    result.index.name = "year"
    return result


def expiring(
    products: pd.DataFrame,
    *,
    months: int = 6,
    as_of: dt.date | None = None,
    extra_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """Certified products whose rating runs out within ``months`` of ``as_of`` (default today).

    A rating counts when ``as_of < rating_expires_on <= as_of + months`` (calendar months):
    the expiry day is the first day without a valid rating, so ratings expiring on ``as_of`` or
    before are already expired and left out. Index ``code``; columns ``name``, ``category``,
    ``star_class``, ``rated_on``, ``rating_expires_on`` (dates) and ``days_left``, then the
    ``extra_columns`` of ``products`` asked for (``producer_code``, ``area_code``, …); soonest
    first. Raises ValueError when ``months`` is negative.
    """
    if months < 0:
        raise ValueError("months cannot be negative.")
    day = _day(as_of)
    until = pd.Timestamp(add_months(day.date(), months))
    # The product's own rating is its newest: the one whose expiry is to come.
    frame = _Prepared(products, None).products
    frame["star_class"] = star_class(frame["stars"], frame["potential_five_star"])
    frame = frame[frame["star_class"].notna() & frame["rated_on"].notna()]
    frame = frame[(frame["rating_expires_on"] > day) & (frame["rating_expires_on"] <= until)]
    frame = frame.sort_values(["rating_expires_on", "code"])
    columns = ["name", "category", "star_class", "rated_on", "rating_expires_on"]
    result = frame.set_index("code")[columns].copy()
    result["days_left"] = (result["rating_expires_on"] - day).dt.days.astype(int)
    for column in extra_columns:
        result[column] = frame[column].to_numpy()
    for column in ("rated_on", "rating_expires_on"):
        result[column] = result[column].dt.date
    return result


def _ancestor_at(areas: pd.DataFrame, level: str) -> pd.Series:
    """For each area code, the code of the area at ``level`` that holds it (itself included), or
    NaN.

    Walks the parent chain for all areas at once, one step per level of nesting.
    """
    parent = areas["parent_code"]
    current = pd.Series(areas.index.to_numpy(dtype=object), index=areas.index, dtype=object)
    # A parent chain never repeats in a valid registry, so len(areas) steps bound the walk even
    # when a bad import made a loop.
    for _step in range(len(areas) + 1):
        current_level = areas["level"].reindex(current).to_numpy()
        climbing = current.notna().to_numpy() & (current_level != level)
        if not climbing.any():
            break
        current[climbing] = parent.reindex(current[climbing]).to_numpy()
    return current


def scheme_of(areas: pd.DataFrame) -> pd.Series:
    """Each area's scheme: its ``scheme`` where the frame gives it, else what the structure
    says (a district, or a commune in a district, is ``legacy``; the rest ``current``)."""
    parent_level = areas["level"].reindex(areas["parent_code"]).to_numpy()
    legacy = (areas["level"] == "district").to_numpy() | (parent_level == "district")
    structural = pd.Series(np.where(legacy, LEGACY_SCHEME, CURRENT_SCHEME), index=areas.index)
    if "scheme" in areas.columns:
        return areas["scheme"].where(areas["scheme"].notna(), structural)
    return structural


def _areas_in_scheme(areas: pd.DataFrame, scheme: str) -> pd.Series:
    """For each area code, the area of ``scheme`` a product placed there counts in (itself, the
    new commune an old one went into, or the one old area a new commune came from), else NaN.
    A province counts in both schemes; a new commune made of old communes of one district counts
    in that district."""
    schemes = scheme_of(areas)
    mapped = pd.Series(areas.index.to_numpy(dtype=object), index=areas.index, dtype=object)
    other = (schemes != scheme) & (areas["level"] != "province")
    successor = areas["successor_code"] if "successor_code" in areas.columns else None
    if scheme == CURRENT_SCHEME:
        if successor is not None:
            mapped[other] = successor[other].where(successor[other].notna(), mapped[other])
        return mapped
    # An old area's place now: a new commune maps back to its old area only when that is one.
    if successor is not None:
        came_from = successor.dropna().groupby(successor.dropna()).groups
        parent = areas["parent_code"]
        for code in areas.index[other.to_numpy()]:
            olds = list(came_from.get(code, ()))
            holders = set(parent.reindex(olds).dropna())
            if len(olds) == 1:
                mapped[code] = olds[0]
            elif len(holders) == 1 and len(olds) > 1:
                mapped[code] = holders.pop()  # old communes of one district
            else:
                mapped[code] = None
    else:
        mapped[other] = None
    return mapped


def by_area(
    products: pd.DataFrame,
    areas: pd.DataFrame,
    *,
    level: str = "district",
    within: str | None = None,
    as_of: dt.date | None = None,
    basis: str = "cumulative",
    scheme: str | None = None,
    year: int | None = None,
    legacy_areas: Mapping[str, str] | None = None,
    ratings: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Certified products per area at ``level`` (province, district or commune) of ``scheme``:
    ``"current"``, the division since 1 July 2025 (provinces and communes), or ``"legacy"``, the
    one before (provinces, districts, communes); by default legacy for districts, else current.

    A product counts in the area at ``level`` that holds its producer's area, found through the
    parent chain. In the legacy scheme the producer's area is its old one when ``legacy_areas``
    (producer code → area code) gives it; a new commune counts in the old area it came from when
    that is one, else as unknown. In the current scheme an old commune counts in the new commune
    it went into (the areas frame's ``successor_code``). Every area of that level and scheme
    appears, with zeros. Products whose area is unknown or lies above ``level`` count in a last
    row with code "" when there are any. ``within`` (an area code) keeps only the areas inside it
    (and leaves that last row out). ``year`` counts only the products first certified that
    year (as ``by_year`` does: a re-rating since does not move them). Index ``code``; columns
    ``name``, ``level``, ``products``, ``share`` (0–1, of the products counted in the table) and
    one count column per star class; ordered by products, most first, then code. Raises
    ValueError for an unknown ``within`` code, or districts asked of the current scheme.
    """
    scheme = scheme or (LEGACY_SCHEME if level == "district" else CURRENT_SCHEME)
    if scheme == CURRENT_SCHEME and level == "district":
        raise ValueError(_("The division since 1 July 2025 has no districts."))
    day = _day(as_of)
    prepared = _Prepared(products, ratings)
    frame = prepared.at(day, basis)
    if year is not None:
        # The year a product was first certified, as by_year counts it: a re-rating since
        # does not move it out of that year's figures.
        first = prepared.first_ratings(day).set_index("code")["rated_on"].dt.year
        frame = frame[frame["code"].map(first) == year]
    areas = areas.sort_index()
    ancestor = _ancestor_at(areas, level)
    schemes = scheme_of(areas)
    at_level = areas[areas["level"] == level]
    if level == "province":
        # A province that went on after 1 July 2025 (Hà Nội) is of both schemes.
        holds_legacy = set(_ancestor_at(areas, "province")[schemes == LEGACY_SCHEME].dropna())
        if scheme == LEGACY_SCHEME:
            at_level = at_level[
                (schemes[at_level.index] == LEGACY_SCHEME) | at_level.index.isin(holds_legacy)
            ]
        else:
            at_level = at_level[schemes[at_level.index] == CURRENT_SCHEME]
    else:
        at_level = at_level[schemes[at_level.index] == scheme]
    if within is not None:
        if within not in areas.index:
            raise ValueError(_("No area has the code %s.") % within)
        at_level = at_level[at_level.index.isin(_inside(areas, within))]
    area_code = frame["area_code"]
    if scheme == LEGACY_SCHEME and legacy_areas:
        old = frame["producer_code"].map(legacy_areas)
        area_code = old.where(old.notna(), area_code)
    area_of = area_code.map(_areas_in_scheme(areas, scheme)).map(ancestor)
    counted = frame.assign(area=area_of.where(area_of.isin(at_level.index)))
    if within is None:
        counted["area"] = counted["area"].astype(object).fillna(UNKNOWN_AREA)
    else:
        counted = counted[counted["area"].notna()]
    order = list(at_level.index)
    if within is None and (counted["area"] == UNKNOWN_AREA).any():
        order.append(UNKNOWN_AREA)
    result = _counts_by(counted, "area", order).join(_star_columns(counted, "area", order))
    names = {**at_level["name"].to_dict(), UNKNOWN_AREA: _UNKNOWN_AREA_NAME}
    result.insert(0, "level", [level if code != UNKNOWN_AREA else "" for code in result.index])
    result.insert(0, "name", [names[code] for code in result.index])
    result.index = pd.Index(result.index.to_numpy(dtype=object), name="code")
    return result.sort_values(["products"], ascending=False, kind="stable")


def _inside(areas: pd.DataFrame, root: str) -> set:
    """The codes of ``root`` and every area below it."""
    inside, frontier = {root}, {root}
    children = areas.groupby("parent_code").groups
    while frontier:
        frontier = {c for p in frontier for c in children.get(p, ())} - inside
        inside |= frontier
    return inside


def summary(
    products: pd.DataFrame,
    *,
    as_of: dt.date | None = None,
    expiring_months: int = 6,
    target: int = 400,
    ratings: pd.DataFrame | None = None,
) -> dict:
    """The headline figures at ``as_of`` (default today), as a flat dict.

    Keys: ``as_of`` (ISO date), ``certified`` (rated 3–5 stars on or before ``as_of``), ``valid``
    (ratings in force), ``by_stars`` (star class → count, cumulative), ``below_3`` (products rated
    1–2 stars, not certified), ``producers`` (distinct producers with a certified product),
    ``expiring`` (ratings running out within ``expiring_months``), ``expiring_months``,
    ``rated_this_year`` (newly certified this year), ``target`` and ``target_share``.
    """
    day = _day(as_of)
    stars = pd.to_numeric(products["stars"], errors="coerce")
    rated_on = pd.to_datetime(products["rated_on"], errors="coerce")
    below_3 = int(((stars < 3) & rated_on.notna() & (rated_on <= day)).sum())
    prepared = _Prepared(products, ratings)
    cumulative = prepared.at(day, "cumulative")
    valid = prepared.at(day, "valid")
    this_year = int((prepared.first_ratings(day)["rated_on"].dt.year == day.year).sum())
    stars_count = cumulative["star_class"].value_counts()
    return {
        "as_of": day.date().isoformat(),
        "certified": len(cumulative),
        "valid": len(valid),
        "by_stars": {c: int(stars_count.get(c, 0)) for c in STAR_CLASSES},
        "below_3": below_3,
        "producers": int(cumulative["producer_code"].nunique()),
        "expiring": len(expiring(products, months=expiring_months, as_of=day.date())),
        "expiring_months": expiring_months,
        "rated_this_year": this_year,
        "target": target,
        "target_share": round(this_year / target, 4) if target else 0.0,
    }
