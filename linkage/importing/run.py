"""One import, start to end: read, check every table, place, compare with the registry, write.

``import_tables`` takes tables already read (DataFrames or lists of dicts); ``import_path`` and
``import_upload`` read a file first. All three return an ``ImportReport`` and never raise for bad
data: a file that cannot be read, or over the limits of an upload (settings
``IMPORT_MAX_UNCOMPRESSED_BYTES``, ``IMPORT_MAX_ROWS``), gives a report with one error on row 0.
``import_saved_upload`` is ``import_upload`` as a background job, on a file saved to disk first.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd
from django.conf import settings
from django.db import IntegrityError

from ..jobs import report_progress
from .checking import Parsed, parse_table
from .converting import convert_units
from .locating import fill_coordinates
from .reading import (
    LimitExceeded,
    Limits,
    check_lines,
    check_size,
    read_csv,
    read_path,
    read_workbook,
    read_zip,
)
from .references import check_references
from .report import ImportReport, RowError
from .vocabulary import SPECS, TABLES, table_for_name
from .writing import Stored, diff, load_stored, write

__all__ = ["import_tables", "import_path", "import_upload", "import_saved_upload"]


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
    report_progress(len(parsed), len(parsed), "checking references")
    stored = _stored_tables()
    conversions = convert_units(parsed, stored)
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
        report_progress(0, 1, "writing")
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
        converted=dict(conversions.counts),
        conversions=conversions.listed,
    )


def _parse_tables(tables, source_names, warnings: list[str]) -> dict[str, Parsed]:
    parsed: dict[str, Parsed] = {}
    names = dict(source_names or {})
    for done, (key, data) in enumerate(tables.items()):
        report_progress(done, len(tables), "checking rows")
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


def import_upload(
    fileobj, *, filename: str, dry_run=False, skip_bad_rows=False, limits: Limits | None = None
) -> ImportReport:
    """Import an uploaded .xlsx, a .csv (its table taken from the file name) or a .zip of CSVs.

    ``fileobj`` is a seekable binary file (an upload, an open file), read where it is, never copied
    whole into memory. ``limits`` (default: the settings ``IMPORT_MAX_UNCOMPRESSED_BYTES`` and
    ``IMPORT_MAX_ROWS``) bound what it may unpack to and the rows of each table. A file that
    cannot be read or is over a limit gives a report with one error (row 0, naming the file or
    the member and the reason) rather than an exception, so the API can answer 400 with it.
    """
    name = Path(filename or "").name
    suffix = Path(name).suffix.lower()
    limits = Limits.from_settings() if limits is None else limits
    data = getattr(fileobj, "file", fileobj)  # a Django upload wraps the real file
    report_progress(0, 1, "reading")
    try:
        data.seek(0)
        if suffix in (".xlsx", ".xlsm"):
            tables, names, warnings = read_workbook(data, name, limits)
        elif suffix == ".csv":
            table = table_for_name(name)
            if table is None:
                return _unreadable(
                    name, f"the file name does not name a table ({', '.join(TABLES)})", dry_run
                )
            check_size(_size_of(data), limits, name)
            check_lines(data, name)
            tables = {table: read_csv(data, limits, file=name, table=table)}
            names, warnings = {table: name}, []
        elif suffix == ".zip":
            tables, names, warnings = read_zip(data, limits, name)
        else:
            return _unreadable(
                name, "give an .xlsx workbook, a .csv file or a .zip of CSV files", dry_run
            )
    except LimitExceeded as error:
        return _unreadable(error.file, error.reason, dry_run)
    except (ValueError, OSError, zipfile.BadZipFile, KeyError, UnicodeDecodeError) as error:
        return _unreadable(name, f"cannot be read: {error}", dry_run)
    if not tables:
        return _unreadable(name, "no sheet or file names a table of the registry", dry_run)
    return import_tables(
        tables, source_names=names, dry_run=dry_run, skip_bad_rows=skip_bad_rows, warnings=warnings
    )


def _size_of(data) -> int:
    position = data.seek(0, 2)
    data.seek(0)
    return position


def saved_upload_path(filename: str) -> Path:
    """A new place under ``settings.IMPORT_UPLOAD_DIR`` for an upload waiting for its job: a
    folder of its own, the file named by its extension only (the client's name stays out of the
    path)."""
    import uuid

    suffix = Path(filename or "").suffix.lower()
    suffix = suffix if suffix in (".xlsx", ".xlsm", ".csv", ".zip") else ""
    folder = Path(settings.IMPORT_UPLOAD_DIR) / uuid.uuid4().hex
    folder.mkdir(parents=True)
    return folder / f"upload{suffix}"


def import_saved_upload(*, path: str, filename: str, dry_run=False, skip_bad_rows=False) -> dict:
    """``import_upload`` as a job: the file saved at ``path`` (by ``saved_upload_path``), its
    report as a dict; the file and its folder are removed afterwards, whatever the outcome."""
    saved = Path(path)
    try:
        with saved.open("rb") as handle:
            report = import_upload(
                handle, filename=filename, dry_run=dry_run, skip_bad_rows=skip_bad_rows
            )
    finally:
        if saved.parent.parent == Path(settings.IMPORT_UPLOAD_DIR):
            shutil.rmtree(saved.parent, ignore_errors=True)
    report_progress(1, 1, "done")
    return report.as_dict()
