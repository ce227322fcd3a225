"""The linkage graph as a compact snapshot: a few pandas frames of plain columns, one per version.

A snapshot holds the same registry as ``linkage.graph.build_graph`` (same rules: current linkages
only, both ends known, buyers that reuse a producer's code left out, products of unknown producers
left out) but as columns instead of a networkx object full of dicts, so that it is built from the
database in a few queries, stored in the cache as a few numpy buffers and loaded by another process
in a fraction of a second. Whole-graph analytics (``linkage.network``) and the recommender's index
read its arrays; ``to_networkx`` gives the documented networkx graph where a small one serves.

Frames (row position = the element's number everywhere else in the snapshot):

- ``actors``: producers by code, then buyers by code. Columns ``code``, ``name``, ``type``
  ("producer" / "buyer"), ``kind``, ``lat``, ``lon`` (the actor's point, else its area's centroid,
  NaN when neither), ``own_place`` (the point is the actor's own), ``area`` (code, "" for none),
  ``members`` (NaN unknown), ``chain`` (position of a store's chain, -1), ``categories`` (a
  buyer's groups as a sorted tuple, empty = every group), ``min_stars`` (NaN unknown).
- ``products``: by code. ``code``, ``name``, ``producer`` (position in ``actors``), ``category``,
  ``stars`` (NaN unrated), ``potential_five_star``, ``rated_on``, ``rating_expires_on``
  (``datetime.date`` or None; the expiry falls back to 36 months after the rating),
  ``capacity_per_month`` (NaN unknown).
- ``links``: one row per current linkage. ``source``, ``target`` (positions in ``actors``, in the
  direction goods flow), ``kind``, ``product`` (position in ``products``, -1 for none), ``volume``
  (monthly, NaN unknown), ``id`` (the registry's, -1 when read from tables); ``product`` is -2 for
  a product the snapshot does not hold. A store's tie to its chain is ``actors.chain``, not a link.
- ``areas``: by code. ``code``, ``name``, ``level``, ``parent`` (code, "" for none), ``lat``,
  ``lon``, ``population`` (NaN unknown).
- ``ratings``: the products' rating history, one row per decision of the rating council, by
  product and day: ``product`` (its code), ``stars``, ``potential_five_star``, ``rated_on``,
  ``expires_on`` (``datetime.date``). None when read from tables that carry no history: then a
  product's own rating is its whole history (``analytics.statistics``).
"""

from __future__ import annotations

import datetime as dt
import pickle
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, partial

import networkx as nx
import numpy as np
import pandas as pd

from .dates import rating_expiry

__all__ = [
    "GraphSnapshot",
    "snapshot_from_frames",
    "snapshot_from_tables",
]

ACTOR_COLUMNS = [
    "code",
    "name",
    "type",
    "kind",
    "lat",
    "lon",
    "own_place",
    "area",
    "members",
    "chain",
    "categories",
    "min_stars",
]
PRODUCT_COLUMNS = [
    "code",
    "name",
    "producer",
    "category",
    "stars",
    "potential_five_star",
    "rated_on",
    "rating_expires_on",
    "capacity_per_month",
]
LINK_COLUMNS = ["source", "target", "kind", "product", "volume", "id"]
AREA_COLUMNS = ["code", "name", "level", "parent", "lat", "lon", "population"]
RATING_COLUMNS = ["product", "stars", "potential_five_star", "rated_on", "expires_on"]
STORE_OF = "store_of"
# What a link's product position stands for when it is not a row of ``products``.
_NAMED_PRODUCT = {-1: None, -2: "?"}


@dataclass(eq=False)
class GraphSnapshot:
    """The registry's actors, products, current linkages and areas as frames (module docstring).

    ``version`` is the registry version it was read at, ``read_at`` when (epoch seconds), ``day``
    the day whose current linkages it holds.
    """

    actors: pd.DataFrame
    products: pd.DataFrame
    links: pd.DataFrame
    areas: pd.DataFrame
    version: str | None = None
    read_at: float = field(default_factory=time.time)
    day: dt.date = field(default_factory=dt.date.today)
    # Last, with a default: snapshots pickled before it existed load with no history.
    ratings: pd.DataFrame | None = None

    def prepare(self) -> GraphSnapshot:
        """Work out the lookups requests use now, so that no request pays for them."""
        for name in _DERIVED:
            getattr(self, name)
        return self

    @property
    def size(self) -> int:
        """The number of actors (nodes of the graph)."""
        return len(self.actors)

    @cached_property
    def position(self) -> Mapping[str, int]:
        """Actor code → row position."""
        return CodePositions(self.actors["code"].to_numpy(dtype=object))

    @cached_property
    def producer_positions(self) -> pd.Series:
        """Producer code → row position, as a Series (producers are the first rows)."""
        producers = self.actors["code"][self.is_producer]
        return pd.Series(producers.index.to_numpy(), index=producers.to_numpy())

    @cached_property
    def product_position(self) -> dict[str, int]:
        """Product code → row position."""
        return dict(zip(self.products["code"].tolist(), range(len(self.products)), strict=True))

    @cached_property
    def is_producer(self) -> np.ndarray:
        return (self.actors["type"] == "producer").to_numpy()

    @cached_property
    def kinds(self) -> np.ndarray:
        """Each actor's kind as a plain object array (fast to index one by one)."""
        return self.actors["kind"].astype(object).to_numpy()

    def age_seconds(self, now: float | None = None) -> float:
        return max(0.0, (time.time() if now is None else now) - self.read_at)

    def summary(self, code: str) -> dict:
        """``{"code", "name", "type", "kind"}`` of an actor, as the analytics list it."""
        i = self.position[code]
        return self.summary_at(i)

    def summary_at(self, i: int) -> dict:
        column = self._actor_columns
        return {
            "code": column["code"][i],
            "name": column["name"][i],
            "type": column["type"][i],
            "kind": column["kind"][i],
        }

    @cached_property
    def nodes(self) -> Mapping[str, dict]:
        """Actor code → its attributes as ``linkage.graph`` gives them on a node."""
        return _Rows(self.position, self._node_at)

    @cached_property
    def product_table(self) -> Mapping[str, dict]:
        """Product code → its attributes as ``linkage.graph`` keeps them in
        ``graph.graph["products"]``."""
        return _Rows(self.product_position, self._product_at)

    @cached_property
    def _actor_columns(self) -> dict[str, np.ndarray]:
        # One numpy array per column: a row read through pandas costs tens of microseconds.
        return {
            name: self.actors[name].astype(object).to_numpy()
            if name in ("type", "kind", "area")
            else self.actors[name].to_numpy()
            for name in ACTOR_COLUMNS
        }

    @cached_property
    def _product_columns(self) -> dict[str, np.ndarray]:
        return {
            name: self.products[name].astype(object).to_numpy()
            if name == "category"
            else self.products[name].to_numpy()
            for name in PRODUCT_COLUMNS
        }

    def _node_at(self, i: int) -> dict:
        column = self._actor_columns
        data = {
            "type": column["type"][i],
            "kind": column["kind"][i],
            "name": column["name"][i],
            "lat": _or_none(column["lat"][i]),
            "lon": _or_none(column["lon"][i]),
            "area": column["area"][i],
        }
        if data["type"] == "producer":
            members = _or_none(column["members"][i])
            data["members"] = None if members is None else int(members)
            data["products"] = self.products_of(i)
        else:
            chain = int(column["chain"][i])
            data["chain"] = column["code"][chain] if chain >= 0 else ""
            data["categories"] = tuple(column["categories"][i])
            stars = _or_none(column["min_stars"][i])
            data["min_stars"] = None if stars is None else int(stars)
        return data

    @cached_property
    def _products_by_producer(self) -> tuple[np.ndarray, np.ndarray]:
        producers = self.products["producer"].to_numpy()
        order = np.argsort(producers, kind="stable")
        starts = np.searchsorted(producers[order], np.arange(len(self.actors) + 1))
        return order, starts

    def products_of(self, i: int) -> list[str]:
        """The codes of the products of the producer at position ``i``, by code."""
        order, starts = self._products_by_producer
        rows = order[starts[i] : starts[i + 1]]
        return self._product_columns["code"][rows].tolist()

    def _product_at(self, i: int) -> dict:
        column = self._product_columns
        stars = _or_none(column["stars"][i])
        return {
            "producer": self._actor_columns["code"][int(column["producer"][i])],
            "name": column["name"][i],
            "category": column["category"][i],
            "stars": None if stars is None else int(stars),
            "potential_five_star": bool(column["potential_five_star"][i]),
            "rated_on": column["rated_on"][i],
            "rating_expires_on": column["rating_expires_on"][i],
            "capacity_per_month": _or_none(column["capacity_per_month"][i]),
        }

    def to_networkx(self, codes: Iterable[str] | None = None) -> nx.DiGraph:
        """The graph of ``linkage.graph`` (its module docstring), of every actor or of ``codes``
        only (edges between them, products of those producers)."""
        if codes is None:
            keep = np.ones(len(self.actors), bool)
        else:
            keep = np.zeros(len(self.actors), bool)
            keep[[self.position[c] for c in codes if c in self.position]] = True
        chosen = np.flatnonzero(keep)
        code_of = self.actors["code"].to_numpy()
        nodes = [(code_of[i], self._node_at(i)) for i in chosen]
        edges = {}
        chain = self.actors["chain"].to_numpy()
        for i in chosen:
            if chain[i] >= 0 and keep[chain[i]]:
                edges[code_of[i], code_of[chain[i]]] = {
                    "links": [{"kind": STORE_OF}],
                    "volume": 0.0,
                }
        links = self.links
        inside = keep[links["source"].to_numpy()] & keep[links["target"].to_numpy()]
        product_codes = self.products["code"].to_numpy()
        for source, target, kind, product, volume in zip(
            links["source"].to_numpy()[inside],
            links["target"].to_numpy()[inside],
            links["kind"].astype(object).to_numpy()[inside],
            links["product"].to_numpy()[inside],
            links["volume"].to_numpy()[inside],
            strict=True,
        ):
            volume = None if volume != volume else float(volume)
            link = {
                "kind": kind,
                "product": product_codes[product] if product >= 0 else _NAMED_PRODUCT[product],
                "volume": volume,
            }
            key = (code_of[source], code_of[target])
            edge = edges.get(key)
            if edge is None:
                edges[key] = {"links": [link], "volume": volume or 0.0}
            else:
                edge["links"].append(link)
                edge["volume"] += volume or 0.0
        products = {}
        for i in np.flatnonzero(keep[self.products["producer"].to_numpy()]):
            products[product_codes[i]] = self._product_at(i)
        graph = nx.DiGraph(products=products)
        graph.add_nodes_from(nodes)
        graph.add_edges_from((s, t, data) for (s, t), data in edges.items())
        return graph

    def patched(
        self,
        *,
        linkage_ids: Iterable[int] = (),
        linkages: pd.DataFrame | None = None,
        product_codes: Iterable[str] = (),
        products: pd.DataFrame | None = None,
        ratings: pd.DataFrame | None = None,
        version: str | None,
        read_at: float,
    ) -> GraphSnapshot:
        """A new snapshot: this one with the linkages ``linkage_ids`` and the products
        ``product_codes`` replaced by the rows of ``linkages`` and ``products`` (interchange
        columns, with ``id`` for linkages); those without a row are gone, and a product gone
        takes its linkages with it (as the registry deletes them). The rating history of those
        products is replaced by ``ratings`` (rows ``product_code``, ``stars``,
        ``potential_five_star``, ``rated_on``, ``expires_on``). This one is left as it was:
        requests may still be reading it."""
        product_codes = set(product_codes)
        product_frame = self.products
        links = self.links
        if product_codes:
            kept = product_frame[~product_frame["code"].isin(product_codes)]
            fresh = (
                _product_rows(products, self.producer_positions, _text)
                if products is not None and len(products)
                else product_frame.iloc[:0]
            )
            product_frame = (
                pd.concat([kept, fresh]).sort_values("code").reset_index(drop=True)
                if len(fresh)
                else kept.reset_index(drop=True)
            )
            product_frame["category"] = product_frame["category"].astype("category")
            new_position = pd.Series(np.arange(len(product_frame)), index=product_frame["code"])
            old_codes = np.append(self.products["code"].to_numpy(object), [None, None])
            named = links["product"].to_numpy()
            code_of_link = old_codes[np.where(named >= 0, named, len(old_codes) - 1)]
            moved = pd.Series(code_of_link).map(new_position)
            gone = (named >= 0) & moved.isna().to_numpy()
            links = links.assign(
                product=np.where(named >= 0, moved.fillna(-1).to_numpy(), named).astype(np.int32)
            )[~gone]
        linkage_ids = set(linkage_ids)
        if linkage_ids:
            links = links[~links["id"].isin(linkage_ids)]
        if linkages is not None and len(linkages):
            fresh_position = pd.Series(np.arange(len(product_frame)), index=product_frame["code"])
            actor_position = pd.Series(np.arange(self.size), index=self.actors["code"].to_numpy())
            fresh_links = _link_rows(linkages, actor_position, fresh_position, self.day, _text)
            links = pd.concat([links, fresh_links])
            links["kind"] = links["kind"].astype("category")
        history = self.ratings
        if product_codes and history is not None:
            kept = history[~history["product"].isin(product_codes)]
            fresh = _rating_rows(ratings, product_frame["code"]) if ratings is not None else None
            history = kept if fresh is None or not len(fresh) else pd.concat([kept, fresh])
            history = history.sort_values(["product", "rated_on"]).reset_index(drop=True)
        patched = GraphSnapshot(
            actors=self.actors,
            products=product_frame,
            links=links.reset_index(drop=True),
            areas=self.areas,
            version=version,
            read_at=read_at,
            day=self.day,
            ratings=history,
        )
        # The actors are the same: so are the lookups worked out from them.
        for name in _FROM_ACTORS:
            if name in self.__dict__:
                patched.__dict__[name] = self.__dict__[name]
        return patched

    def dumps(self) -> bytes:
        """The snapshot as bytes for the cache: frames pickle as their numpy blocks."""
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def loads(data: bytes) -> GraphSnapshot:
        return pickle.loads(data)

    def __getstate__(self):
        # Derived lookups are rebuilt on demand: they would double the bytes to move.
        return {key: value for key, value in self.__dict__.items() if key in _STORED}


class CodePositions(Mapping):
    """Code → position in ``codes`` (distinct), through a hash table of the codes themselves.

    A dict of the national registry's 221,000 codes takes 16 MB in every process (an int object
    per position); pandas' index of the same strings, half of that, for a microsecond a lookup.
    """

    def __init__(self, codes: np.ndarray):
        self._codes = pd.Index(codes, dtype=object, copy=False)
        if not self._codes.is_unique:
            raise ValueError("codes must be distinct")

    def __getitem__(self, code: str) -> int:
        try:
            return int(self._codes.get_loc(code))
        except (KeyError, TypeError, pd.errors.InvalidIndexError):
            raise KeyError(code) from None

    def __contains__(self, code) -> bool:
        try:
            return code in self._codes
        except TypeError:
            return False

    def __iter__(self):
        return iter(self._codes)

    def __len__(self) -> int:
        return len(self._codes)

    def items(self):
        return zip(self._codes, range(len(self._codes)), strict=True)


class _Rows(Mapping):
    """A read-only mapping of codes to rows made on demand."""

    def __init__(self, position: Mapping[str, int], row_at):
        self._position, self._row_at = position, row_at

    def __getitem__(self, code: str) -> dict:
        return self._row_at(self._position[code])

    def __contains__(self, code) -> bool:
        return code in self._position

    def __iter__(self):
        return iter(self._position)

    def __len__(self) -> int:
        return len(self._position)


_FROM_ACTORS = ("position", "producer_positions", "is_producer", "kinds", "_actor_columns")
_DERIVED = (*_FROM_ACTORS, "product_position", "_product_columns", "_products_by_producer")
_STORED = frozenset(
    {"actors", "products", "links", "areas", "version", "read_at", "day", "ratings"}
)


def _or_none(value):
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    return value.item() if isinstance(value, np.generic) else value


def _text(column: pd.Series, clean: bool = True) -> pd.Series:
    if not clean:
        return column.astype(object).fillna("")
    # A comprehension over the values: pandas' string methods cost ten times more at this size.
    return pd.Series(
        [
            value.strip()
            if type(value) is str
            else ""
            if value is None or value != value
            else str(value).strip()
            for value in column.tolist()
        ],
        index=column.index,
        dtype=object,
    )


def _numbers(column: pd.Series) -> pd.Series:
    return pd.to_numeric(column, errors="coerce").astype(float)


def _dates(column: pd.Series) -> pd.Series:
    """Dates as ``datetime.date`` objects or None; unreadable values become None."""
    values = column.astype(object)
    known = values.notna()
    if values[known].map(type).eq(dt.date).all():
        return values.where(known, None)
    parsed = pd.to_datetime(column.astype(object).astype(str).str[:10], errors="coerce")
    return pd.Series(
        [None if stamp is pd.NaT else stamp.date() for stamp in parsed],
        index=column.index,
        dtype=object,
    )


def _categories(value) -> tuple[str, ...]:
    if not value or value != value:
        return ()
    if isinstance(value, str):
        value = value.replace(";", ",").split(",")
    return tuple(sorted({str(code).strip() for code in value if str(code).strip()}))


def _frame(rows, columns: list[str]) -> pd.DataFrame:
    if isinstance(rows, pd.DataFrame):
        frame = rows.copy()
    else:
        frame = pd.DataFrame(list(rows))
    for column in columns:
        if column not in frame:
            frame[column] = None
    return frame[columns].reset_index(drop=True)


def snapshot_from_tables(
    tables: Mapping[str, Iterable[Mapping]],
    *,
    today: dt.date | None = None,
    version: str | None = None,
) -> GraphSnapshot:
    """The snapshot of interchange tables, as ``linkage.graph.build_graph`` reads them (rows of
    areas, producers, products, buyers and linkages; values may be strings as read from CSV)."""
    return snapshot_from_frames(
        areas=_frame(
            tables.get("areas", ()),
            ["code", "name", "level", "parent_code", "lat", "lon", "population"],
        ),
        producers=_frame(
            tables.get("producers", ()),
            ["code", "name", "kind", "lat", "lon", "area_code", "members"],
        ),
        products=_frame(
            tables.get("products", ()),
            [
                "code",
                "name",
                "producer_code",
                "category",
                "stars",
                "potential_five_star",
                "rated_on",
                "rating_expires_on",
                "capacity_per_month",
            ],
        ),
        buyers=_frame(
            tables.get("buyers", ()),
            [
                "code",
                "name",
                "kind",
                "lat",
                "lon",
                "area_code",
                "chain_code",
                "categories",
                "min_stars",
            ],
        ),
        linkages=_frame(
            tables.get("linkages", ()),
            ["source_code", "target_code", "kind", "product_code", "volume_per_month", "ended_on"],
        ),
        today=today,
        version=version,
    )


def snapshot_from_frames(
    *,
    areas: pd.DataFrame,
    producers: pd.DataFrame,
    products: pd.DataFrame,
    buyers: pd.DataFrame,
    linkages: pd.DataFrame,
    today: dt.date | None = None,
    version: str | None = None,
    read_at: float | None = None,
    clean: bool = True,
    ratings: pd.DataFrame | None = None,
) -> GraphSnapshot:
    """The snapshot of frames with the interchange columns (``snapshot_from_tables`` lists them).

    ``ratings``, the rating history (``product_code``, ``stars``, ``potential_five_star``,
    ``rated_on``, ``expires_on``), is kept for the products the snapshot holds; None keeps none.

    The rules are ``build_graph``'s: a point falls back to the area's centroid; a buyer reusing a
    producer's code is left out; products of unknown producers, linkages naming an unknown actor,
    linking an actor to itself or ended before ``today`` are left out. ``clean`` false skips
    trimming text: the registry's own values are stored trimmed.
    """
    today = today or dt.date.today()
    text = _text if clean else partial(_text, clean=False)
    read_at = time.time() if read_at is None else read_at
    area_frame = pd.DataFrame(
        {
            "code": text(areas["code"]),
            "name": text(areas["name"]),
            "level": text(areas["level"]),
            "parent": text(areas["parent_code"]),
            "lat": _numbers(areas["lat"]),
            "lon": _numbers(areas["lon"]),
            "population": _numbers(areas["population"]),
        }
    )
    area_frame = (
        area_frame.drop_duplicates("code", keep="last").sort_values("code").reset_index(drop=True)
    )
    centroid = area_frame.set_index("code")[["lat", "lon"]]

    def actors_of(rows: pd.DataFrame, kind_of_actor: str) -> pd.DataFrame:
        frame = pd.DataFrame(
            {
                "code": text(rows["code"]),
                "name": text(rows["name"]),
                "type": kind_of_actor,
                "kind": text(rows["kind"]),
                "lat": _numbers(rows["lat"]),
                "lon": _numbers(rows["lon"]),
                "area": text(rows["area_code"]),
            }
        )
        own = frame["lat"].notna() & frame["lon"].notna()
        area_lat = frame["area"].map(centroid["lat"])
        area_lon = frame["area"].map(centroid["lon"])
        fallback = area_lat.notna() & area_lon.notna()
        frame["lat"] = frame["lat"].where(own, area_lat.where(fallback))
        frame["lon"] = frame["lon"].where(own, area_lon.where(fallback))
        frame["own_place"] = own
        return frame.drop_duplicates("code", keep="last").sort_values("code")

    producer_rows = actors_of(producers, "producer")
    producer_rows["members"] = np.floor(_numbers(producers["members"])).reindex(producer_rows.index)
    buyer_rows = actors_of(buyers, "buyer")
    buyer_rows["chain_code"] = text(buyers["chain_code"]).reindex(buyer_rows.index)
    buyer_rows["categories"] = buyers["categories"].reindex(buyer_rows.index).map(_categories)
    buyer_rows["min_stars"] = np.floor(_numbers(buyers["min_stars"])).reindex(buyer_rows.index)
    # Linkages name their ends by code alone, so a code names one actor: producers first.
    buyer_rows = buyer_rows[~buyer_rows["code"].isin(producer_rows["code"])]
    actors = pd.concat([producer_rows, buyer_rows], ignore_index=True)
    position = pd.Series(np.arange(len(actors)), index=actors["code"])
    chain = actors.get("chain_code", pd.Series("", index=actors.index)).fillna("")
    chain_position = chain.map(position)
    chain_position = chain_position.where(chain_position != np.arange(len(actors)))
    actors["chain"] = chain_position.fillna(-1).astype(np.int32)
    actors["members"] = actors["members"].astype(float)
    actors["min_stars"] = actors["min_stars"].astype(float)
    actors["categories"] = actors["categories"].map(
        lambda value: value if isinstance(value, tuple) else ()
    )
    actors["type"] = actors["type"].astype("category")
    actors["kind"] = actors["kind"].astype("category")
    # A few thousand areas among hundreds of thousands of actors: one string each, not per row.
    actors["area"] = actors["area"].astype("category")
    actors = actors[ACTOR_COLUMNS].reset_index(drop=True)

    producer_position = position[: len(producer_rows)]
    product_rows = _product_rows(products, producer_position, text)
    product_position = pd.Series(np.arange(len(product_rows)), index=product_rows["code"])
    links = _link_rows(linkages, position, product_position, today, text)
    return GraphSnapshot(
        actors=actors,
        products=product_rows,
        links=links,
        areas=area_frame[AREA_COLUMNS],
        version=version,
        read_at=read_at,
        day=today,
        ratings=None if ratings is None else _rating_rows(ratings, product_rows["code"]),
    )


def _rating_rows(ratings: pd.DataFrame, product_codes: pd.Series) -> pd.DataFrame:
    """The ``ratings`` frame of history rows: those of products in ``product_codes``, by product
    and day."""
    rows = pd.DataFrame(
        {
            "product": ratings["product_code"].astype(object),
            "stars": np.floor(_numbers(ratings["stars"])),
            "potential_five_star": ratings["potential_five_star"].astype(bool),
            "rated_on": _dates(ratings["rated_on"]),
            "expires_on": _dates(ratings["expires_on"]),
        }
    )
    rows = rows[rows["product"].isin(product_codes) & rows["rated_on"].notna()]
    return rows.sort_values(["product", "rated_on"])[RATING_COLUMNS].reset_index(drop=True)


def _product_rows(products: pd.DataFrame, producer_position: pd.Series, text) -> pd.DataFrame:
    """The ``products`` frame of interchange rows: products of known producers, by code."""
    rows = pd.DataFrame(
        {
            "code": text(products["code"]),
            "name": text(products["name"]),
            "producer": text(products["producer_code"]).map(producer_position),
            "category": text(products["category"]),
            "stars": np.floor(_numbers(products["stars"])),
            "potential_five_star": products["potential_five_star"]
            .astype(str)
            .str.lower()
            .isin({"1", "true"}),
            "rated_on": _dates(products["rated_on"]),
            "rating_expires_on": _dates(products["rating_expires_on"]),
            "capacity_per_month": _numbers(products["capacity_per_month"]),
        }
    )
    rows = rows[rows["producer"].notna()]
    rows = rows.drop_duplicates("code", keep="last").sort_values("code")
    rows["producer"] = rows["producer"].astype(np.int32)
    missing = rows["rating_expires_on"].isna()
    rows.loc[missing, "rating_expires_on"] = rows.loc[missing, "rated_on"].map(rating_expiry)
    rows["category"] = rows["category"].astype("category")
    return rows[PRODUCT_COLUMNS].reset_index(drop=True)


def _link_rows(
    linkages: pd.DataFrame,
    position: pd.Series,
    product_position: pd.Series,
    today: dt.date,
    text,
) -> pd.DataFrame:
    """The ``links`` frame of interchange rows: current linkages between known actors."""
    source = text(linkages["source_code"]).map(position)
    target = text(linkages["target_code"]).map(position)
    ended = _dates(linkages["ended_on"])
    current = ended.map(lambda day: day is None or day >= today).astype(bool)
    keep = source.notna() & target.notna() & (source != target) & current
    product_code = text(linkages["product_code"])
    ids = linkages["id"] if "id" in linkages else pd.Series(-1, index=linkages.index)
    return pd.DataFrame(
        {
            "source": source[keep].astype(np.int32),
            "target": target[keep].astype(np.int32),
            "kind": text(linkages["kind"])[keep].astype("category"),
            # -1: no product named; -2: a product the snapshot does not hold (its producer is
            # unknown), which then matches no product rather than every one.
            "product": product_code[keep]
            .map(product_position)
            .where(product_code[keep] != "", -1)
            .fillna(-2)
            .astype(np.int32),
            "volume": _numbers(linkages["volume_per_month"])[keep],
            "id": pd.to_numeric(ids[keep], errors="coerce").fillna(-1).astype(np.int64),
        }
    )[LINK_COLUMNS].reset_index(drop=True)
