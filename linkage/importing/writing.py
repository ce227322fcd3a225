"""Writing an import: what the registry holds, what changed, and the upserts that store it.

``load_stored(spec)`` reads a table's rows once (key → id and the compared values);
``diff(parsed, stored)`` splits the good rows into new, changed and unchanged; ``write(parsed,
plan, ...)`` inserts the new rows and upserts the changed ones of every table in one
transaction, parents before children, and records the import through
``services.registry_imported`` inside it. A product row whose dated rating differs from the
stored one also adds that rating to the product's history (``Rating``; the row of the same
product and day is corrected). An IntegrityError or KeyError from ``write`` means the registry
changed since the checks (a new row's key stored meanwhile, say); the transaction is then rolled
back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from unidecode import unidecode

from .. import services
from ..dates import rating_expiry
from ..models import Product, Rating
from .checking import Parsed
from .vocabulary import SPECS, TABLES, Table

__all__ = ["BATCH_SIZE", "Stored", "load_stored", "diff", "write", "fold_many"]

BATCH_SIZE = 2000


# The columns a table's natural key is made of, when it is not its code.
KEY_PARTS = {
    "linkages": ("source_code", "target_code", "kind", "product_code"),
    "proposals": ("product_code", "buyer_code", "proposed_on"),
}


def _stored_fields(spec: Table) -> list[tuple[str, str]]:
    """(interchange column, values_list path) of the compared columns of a table."""
    pairs = []
    for column in spec.columns:
        if column.name in KEY_PARTS.get(spec.name, ()):
            continue  # part of the key
        if column.name == "code":
            continue
        pairs.append((column.name, column.lookup or column.field))
    return pairs


@dataclass
class Stored:
    """A table's rows in the database: key → (id, tuple of compared values)."""

    rows: dict[str, tuple[int, tuple]]
    names: tuple[str, ...]


def load_stored(spec: Table) -> Stored:
    """The rows of ``spec``'s table in the database, in one query."""
    pairs = _stored_fields(spec)
    paths = [path for _, path in pairs]
    rows = {}
    for record in (
        spec.model.objects.order_by()
        .values_list(spec.key, "id", *paths)
        .iterator(chunk_size=20_000)
    ):
        rows[record[0]] = (record[1], record[2:])
    return Stored(rows, tuple(name for name, _ in pairs))


class _AsciiTable(dict):
    """str.translate table filled on demand with unidecode's form of each character."""

    def __missing__(self, code: int) -> str:
        value = self[code] = unidecode(chr(code))
        return value


_ASCII = _AsciiTable()
_SPACES = re.compile(r"\s+")


def fold_many(names: Iterable[str]) -> list[str]:
    """``fold`` of many names, the same result three times faster.

    unidecode maps each character on its own, so a per-character translation table gives the
    same ASCII form; the saving matters for the 200,000 households of a national import.
    """
    return [_SPACES.sub(" ", (name or "").translate(_ASCII).lower()).strip() for name in names]


@dataclass(frozen=True)
class _Target:
    """A table rows are written to: its columns in the order of a row, the columns a stored row
    is matched on, and the columns a stored row takes from the import."""

    table: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    updated: tuple[str, ...]

    @classmethod
    def of(cls, model, fields, key: Iterable[str], updated: Iterable[str]) -> _Target:
        """The target of ``model`` for rows of ``fields``; ``key`` and ``updated`` name fields."""
        meta = model._meta
        return cls(
            meta.db_table,
            tuple(f.column for f in fields),
            tuple(meta.get_field(name).column for name in key),
            tuple(meta.get_field(name).column for name in updated),
        )


def _insert_sql(target: _Target, source: str, *, upsert: bool) -> str:
    """INSERT … ``source``, with ON CONFLICT (key) DO UPDATE when ``upsert``: the same on SQLite
    and PostgreSQL."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in target.columns)
    sql = f"INSERT INTO {quote(target.table)} ({names}) {source}"
    if not upsert or not target.updated:
        # A linkage file of keys only has nothing to update: every row it writes is new.
        return sql
    key = ", ".join(quote(c) for c in target.key)
    sets = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in target.updated)
    return f"{sql} ON CONFLICT ({key}) DO UPDATE SET {sets}"


def _write_rows(
    cursor,
    target: _Target,
    batches: Iterable[list[tuple]],
    done: Callable[[int], Any],
    *,
    new: bool,
) -> None:
    """Write the rows of ``batches`` to ``target``, calling ``done(n)`` after each batch.

    ``new`` says that no row of the same key is stored (``diff`` found none): the rows are
    inserted, and one stored meanwhile by someone else fails the import with IntegrityError, which
    ``write`` reports as a registry that changed during the import. The other rows are upserted.

    SQLite reuses one prepared statement per row, which is fast there. PostgreSQL pays a round
    trip per statement, so rows are streamed with COPY: new rows straight into the table, where
    the server stores them and updates the indexes while the next rows are still being built;
    the others into a temporary table, upserted from it in one statement.
    """
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in target.columns)
    if connection.vendor != "postgresql":
        marks = ", ".join(["%s"] * len(target.columns))
        sql = _insert_sql(target, f"VALUES ({marks})", upsert=not new)
        for rows in batches:
            cursor.executemany(sql, rows)
            done(len(rows))
        return
    into = quote(target.table)
    if not new:
        into = quote(f"import_{target.table}")
        cursor.execute(f"DROP TABLE IF EXISTS {into}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {into} ON COMMIT DROP AS "
            f"SELECT {names} FROM {quote(target.table)} WITH NO DATA"
        )
    # COPY goes to psycopg's own cursor; its errors become Django's (IntegrityError) here.
    with connection.wrap_database_errors:
        with cursor.cursor.copy(f"COPY {into} ({names}) FROM STDIN") as copy:
            for rows in batches:
                for row in rows:
                    copy.write_row(row)
                done(len(rows))
    if not new:
        cursor.execute(_insert_sql(target, f"SELECT {names} FROM {into}", upsert=True))


def diff(parsed: Parsed, stored: Stored) -> tuple[list[int], list[int], int]:
    """Positions of the rows to create and to update, and the count of unchanged rows.

    Blank cells of ``parsed`` are replaced, in place, by the values the database stores for them.
    """
    cols = parsed.cols
    # Blank cells become the values the database stores for them, so that equal rows compare
    # equal: False for a flag, "" for a text column.
    if "potential_five_star" in cols:
        cols["potential_five_star"] = [bool(flag) for flag in cols["potential_five_star"]]
    for name in ("address", "unit", "traceability_url", "categories", "note", "official_code"):
        if name in cols:
            cols[name] = [value or "" for value in cols[name]]
    if parsed.spec.name == "proposals" and "origin" in parsed.present:
        cols["origin"] = [value or "other" for value in cols["origin"]]
    compared = [
        i for i, name in enumerate(stored.names) if name in parsed.present or name in ("lat", "lon")
    ]
    columns = [cols[stored.names[i]] for i in compared]
    create, update, unchanged = [], [], 0
    for pos in parsed.good():
        key = parsed.keys[pos]
        existing = stored.rows.get(key)
        if existing is None:
            create.append(pos)
            continue
        old = existing[1]
        if all(old[i] == column[pos] for i, column in zip(compared, columns, strict=True)):
            unchanged += 1
        else:
            update.append(pos)
    return create, update, unchanged


def write(
    parsed: dict[str, Parsed],
    plan: dict[str, tuple[list[int], list[int]]],
    *,
    actor_tables: dict[str, str],
    progress: bool = False,
) -> None:
    """Upsert the rows of ``plan`` (table → positions to create, to update) in one transaction.

    ``actor_tables`` says whether each code a linkage names is a "producer" or a "buyer".
    The import is recorded with ``services.registry_imported`` before the transaction commits.
    """
    with transaction.atomic():
        _write_tables(parsed, plan, actor_tables, progress)
        services.registry_imported(
            created={t: len(c) for t, (c, _u) in plan.items()},
            updated={t: len(u) for t, (_c, u) in plan.items()},
        )


def _write_tables(parsed_tables, plan, actor_tables, progress) -> None:
    from tqdm import tqdm

    ids: dict[str, dict[str, int]] = {}

    def id_map(table: str) -> dict[str, int]:
        if table not in ids:
            model = SPECS[table].model
            ids[table] = dict(model.objects.order_by().values_list(SPECS[table].key, "id"))
        return ids[table]

    now = timezone.now()
    if connection.vendor == "sqlite":
        # The default 2 MB page cache thrashes on the indexes of 200,000-row tables.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -131072")
    for table in TABLES:
        if table not in plan or not any(plan[table]):
            continue
        parsed, spec = parsed_tables[table], SPECS[table]
        create, update = plan[table]
        ratings_before = _ratings_before(parsed) if table == "products" else None
        fields = [f for f in spec.model._meta.concrete_fields if not f.primary_key]
        target = _Target.of(spec.model, fields, [spec.key], _update_fields(parsed))
        refs = {c.ref for c in spec.columns if c.kind == "ref" and c.name in parsed.present}
        if table == "linkages":
            refs |= {"producers", "buyers"}
        new = set(create)
        for generation in _generations(parsed, create + update):
            # Load the code → id maps first: no other query may run while COPY streams.
            for ref in refs:
                id_map(ref)
            bar = tqdm(
                total=len(generation),
                desc=f"writing {table}",
                unit="row",
                disable=not progress,
                leave=False,
            )
            for is_new in (True, False):
                positions = [pos for pos in generation if (pos in new) == is_new]
                if not positions:
                    continue
                batches = (
                    _rows(
                        parsed,
                        positions[start : start + BATCH_SIZE],
                        fields,
                        id_map,
                        now,
                        actor_tables,
                    )
                    for start in range(0, len(positions), BATCH_SIZE)
                )
                with connection.cursor() as cursor:
                    _write_rows(cursor, target, batches, bar.update, new=is_new)
            bar.close()
            ids.pop(table, None)
        if ratings_before is not None:
            _write_ratings(parsed, plan[table], ratings_before, id_map("products"), now)


_RATING_COLUMNS = ("stars", "potential_five_star", "rated_on")


def _ratings_before(parsed: Parsed) -> dict[str, tuple] | None:
    """code → (stars, potential_five_star, rated_on) stored, when the file carries a rating."""
    if not parsed.present.intersection(_RATING_COLUMNS):
        return None
    stored = Product.objects.order_by().values_list("code", *_RATING_COLUMNS)
    return {code: tuple(rating) for code, *rating in stored.iterator(chunk_size=20_000)}


def _write_ratings(
    parsed: Parsed,
    plan: tuple[list[int], list[int]],
    before: dict[str, tuple],
    product_ids: dict[str, int],
    now,
) -> None:
    """Add the dated ratings that changed to the products' histories.

    ``plan`` is the positions of the products created and updated. A column left out of the
    file keeps the stored value, as it does on the product. A rating of the same product and day
    as one in the history corrects that row rather than adding one; a product created by this
    import has no history yet, so its rating is simply added.
    """
    cols, ops = parsed.cols, connection.ops
    unrated = (None, False, None)
    fields = [f for f in Rating._meta.concrete_fields if not f.primary_key]
    target = _Target.of(
        Rating, fields, ["product", "rated_on"], ["stars", "potential_five_star", "expires_on"]
    )
    defaults = {f.attname: f.get_db_prep_save(f.get_default(), connection) for f in fields}
    defaults["created_at"] = ops.adapt_datetimefield_value(now)
    for is_new, positions in zip((True, False), plan, strict=True):
        ratings = []
        for pos in positions:
            code = parsed.keys[pos]
            old = before.get(code, unrated)
            new = tuple(
                cols[name][pos] if name in parsed.present else old[i]
                for i, name in enumerate(_RATING_COLUMNS)
            )
            stars, potential, rated_on = new
            if stars is None or rated_on is None or new == old:
                continue
            values = {
                **defaults,
                "product_id": product_ids[code],
                "stars": stars,
                "potential_five_star": bool(potential),
                "rated_on": ops.adapt_datefield_value(rated_on),
                "expires_on": ops.adapt_datefield_value(rating_expiry(rated_on)),
            }
            ratings.append(tuple(values[f.attname] for f in fields))
        if ratings:
            with connection.cursor() as cursor:
                _write_rows(cursor, target, [ratings], lambda n: None, new=is_new)


def _generations(parsed: Parsed, positions: list[int]) -> list[list[int]]:
    """Rows in the order parents before children, for the tables that point at themselves."""
    column = {"areas": "parent_code", "buyers": "chain_code"}.get(parsed.spec.name)
    if column is None or column not in parsed.present:
        return [positions]
    parent = {parsed.keys[pos]: parsed.cols[column][pos] for pos in positions}
    # An old commune points at the new one it went into, which must be written first too.
    successor = {}
    if "successor_code" in parsed.present:
        successor = {parsed.keys[pos]: parsed.cols["successor_code"][pos] for pos in positions}
    depth: dict[str, int] = {}

    def level(code: str) -> int:
        # Loops were refused by the reference checks (a successor is of the current scheme and
        # has none itself), so every walk up ends.
        if code not in depth:
            ups = [up for up in (parent.get(code), successor.get(code)) if up in parent]
            depth[code] = max(level(up) for up in ups) + 1 if ups else 0
        return depth[code]

    groups: dict[int, list[int]] = {}
    for pos in positions:
        groups.setdefault(level(parsed.keys[pos]), []).append(pos)
    return [groups[k] for k in sorted(groups)]


def _update_fields(parsed: Parsed) -> list[str]:
    spec = parsed.spec
    fields = []
    for column in spec.columns:
        if column.name == "code" or column.name in KEY_PARTS.get(spec.name, ()):
            continue
        if column.name in parsed.present or column.name in ("lat", "lon"):
            fields.append(column.field)
    if spec.name in ("areas", "producers", "buyers", "products"):
        fields.append("name_folded")
    if spec.name == "products" and "rated_on" in parsed.present:
        fields.append("rating_expires_on")
    if spec.name != "areas" and spec.name != "linkages":
        fields.append("updated_at")
    return fields


def _rows(parsed: Parsed, chunk: list[int], fields, id_map, now, actor_tables) -> list[tuple]:
    """The database rows of the positions ``chunk``, a value per field of ``fields``.

    Built column by column rather than through model instances: at half a million rows
    the instances alone would cost more than the whole budget. Derived columns use the
    functions the models' ``fill_derived`` uses (fold, rating_expiry, Linkage.make_key).
    """
    spec, cols = parsed.spec, parsed.cols
    by_field = {column.field: column for column in spec.columns}
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(now)
    columns = []
    for model_field in fields:
        name = model_field.attname
        column = by_field.get(name)
        if column is not None and (column.name in parsed.present or column.name in ("lat", "lon")):
            values = [cols[column.name][pos] for pos in chunk]
            if column.kind == "ref":
                codes = id_map(column.ref)
                values = [None if code is None else codes[code] for code in values]
            elif column.kind == "date":
                values = [ops.adapt_datefield_value(day) for day in values]
        elif name == "name_folded":
            values = fold_many(cols["name"][pos] for pos in chunk)
        elif name == "rating_expires_on":
            values = [
                ops.adapt_datefield_value(rating_expiry(cols["rated_on"][pos])) for pos in chunk
            ]
        elif name == "key":
            values = [parsed.keys[pos] for pos in chunk]
        elif spec.name == "linkages" and name.endswith(("_producer_id", "_buyer_id")):
            end, kind = name.split("_")[:2]
            codes = id_map(f"{kind}s")
            values = [
                codes[code] if actor_tables[code] == kind else None
                for code in (cols[f"{end}_code"][pos] for pos in chunk)
            ]
        elif getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
            values = [stamp] * len(chunk)
        else:
            values = [model_field.get_db_prep_save(model_field.get_default(), connection)] * len(
                chunk
            )
        columns.append(values)
    return list(zip(*columns, strict=True))
