"""One import, start to end: read, check every table, place, compare with the registry, write.

``import_tables`` takes tables already read (DataFrames or lists of dicts); ``import_path`` and
``import_upload`` read a file first. All three return an ``ImportReport`` and never raise for bad
data: a file that cannot be read gives a report with one error on row 0.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd
from django.db import IntegrityError

from .checking import Parsed, parse_table
from .locating import fill_coordinates
from .reading import read_csv, read_path, read_workbook, read_zip
from .references import check_references
from .report import ImportReport, RowError
from .vocabulary import SPECS, TABLES, table_for_name
from .writing import Stored, diff, load_stored, write

__all__ = ["import_tables", "import_path", "import_upload"]


def import_tables(
    tables: Mapping[str, pd.DataFrame | Iterable[Mapping]],
    *,
    source_names: Mapping[str, str] | None = None,
    dry_run: bool = False,
    skip_bad_rows: bool = False,
    progress: bool = False,
    warnings: Iterable[str] = (),
) -> ImportReport:
    """Check and write tables given as DataFrames or lists of dicts, keyed by table name.

    ``source_names`` maps a table to the file or sheet named in errors. Headings, sheet names
    and labels may be Vietnamese. Nothing is written when any row is bad (unless
    ``skip_bad_rows``: the good rows are written, the bad ones counted in ``skipped_rows``), on a
    dry run, or when nothing changed. Owner fields are never touched. Returns the report; never
    raises for bad data.
    """
    warnings = list(warnings)
    parsed = _parse_tables(tables, source_names, warnings)
    stored = _stored_tables()
    actor_tables = check_references(parsed, stored, skip_bad_rows)
    errors: list[RowError] = []
    for table in TABLES:
        if table in parsed:
            errors.extend(sorted(parsed[table].errors, key=lambda e: e.row))
    blocked = bool(errors) and not skip_bad_rows
    geocoded = fill_coordinates(parsed, stored)
    plan, created, updated, unchanged = {}, {}, {}, {}
    for table in TABLES:
        created[table] = updated[table] = unchanged[table] = 0
        if table in parsed:
            create, update, same = diff(parsed[table], stored(table))
            plan[table] = (create, update)
            created[table], updated[table], unchanged[table] = len(create), len(update), same
    skipped = sum(len(p.bad) for p in parsed.values()) if skip_bad_rows else 0
    written = False
    if not dry_run and not blocked and any(c or u for c, u in plan.values()):
        try:
            write(parsed, plan, actor_tables=actor_tables, progress=progress)
            written = True
        except (IntegrityError, KeyError) as error:
            # Only a concurrent write between the checks and the writes gets here.
            errors.append(
                RowError(
                    "", 0, "", f"the registry changed during the import; nothing written ({error})"
                )
            )
    return ImportReport(
        errors=errors,
        created=created,
        updated=updated,
        unchanged=unchanged,
        skipped_rows=skipped,
        dry_run=dry_run,
        written=written,
        geocoded=dict(geocoded),
        warnings=warnings,
    )


def _parse_tables(tables, source_names, warnings: list[str]) -> dict[str, Parsed]:
    parsed: dict[str, Parsed] = {}
    names = dict(source_names or {})
    for key, data in tables.items():
        table = key if key in SPECS else table_for_name(key)
        if table is None:
            warnings.append(f"{key}: not a table of the registry; ignored")
            continue
        file = names.get(key) or names.get(table) or str(key)
        parsed[table] = parse_table(SPECS[table], data, file, warnings)
    return parsed


def _stored_tables():
    """A function table → its stored rows, each table loaded once, when first asked for."""
    loaded: dict[str, Stored] = {}

    def stored(table: str) -> Stored:
        if table not in loaded:
            loaded[table] = load_stored(SPECS[table])
        return loaded[table]

    return stored


def _unreadable(file: str, reason: str, dry_run: bool) -> ImportReport:
    zero = dict.fromkeys(TABLES, 0)
    return ImportReport(
        [RowError(file, 0, "", reason)], dict(zero), dict(zero), dict(zero), 0, dry_run, False
    )


def import_path(path, *, dry_run=False, skip_bad_rows=False, progress=False) -> ImportReport:
    """Import a workbook, a CSV, a zip of CSVs or a folder of CSVs from disk (see import_tables)."""
    try:
        tables, names, warnings = read_path(path)
    except (ValueError, OSError, zipfile.BadZipFile, KeyError) as error:
        return _unreadable(Path(path).name, f"cannot be read: {error}", dry_run)
    return import_tables(
        tables,
        source_names=names,
        dry_run=dry_run,
        skip_bad_rows=skip_bad_rows,
        progress=progress,
        warnings=warnings,
    )


def import_upload(fileobj, *, filename: str, dry_run=False, skip_bad_rows=False) -> ImportReport:
    """Import an uploaded .xlsx, a .csv (its table taken from the file name) or a .zip of CSVs.

    A file that cannot be read gives a report with one error (row 0) rather than an exception,
    so the API can answer 400 with the reason.
    """
    name = Path(filename or "").name
    suffix = Path(name).suffix.lower()
    try:
        data = io.BytesIO(fileobj.read())
        if suffix in (".xlsx", ".xlsm"):
            tables, names, warnings = read_workbook(data, name)
        elif suffix == ".csv":
            table = table_for_name(name)
            if table is None:
                return _unreadable(
                    name, f"the file name does not name a table ({', '.join(TABLES)})", dry_run
                )
            tables, names, warnings = {table: read_csv(data)}, {table: name}, []
        elif suffix == ".zip":
            tables, names, warnings = read_zip(data)
        else:
            return _unreadable(
                name, "give an .xlsx workbook, a .csv file or a .zip of CSV files", dry_run
            )
    except (ValueError, OSError, zipfile.BadZipFile, KeyError, UnicodeDecodeError) as error:
        return _unreadable(name, f"cannot be read: {error}", dry_run)
    if not tables:
        return _unreadable(name, "no sheet or file names a table of the registry", dry_run)
    return import_tables(
        tables, source_names=names, dry_run=dry_run, skip_bad_rows=skip_bad_rows, warnings=warnings
    )
