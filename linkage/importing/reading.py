"""Reading the files people send: workbooks, CSV files, folders and zips of CSV files.

Each reader returns ``(tables, names, warnings)``: the frames keyed by table name, the sheet or
file each came from (for the errors), and the sheets or files ignored. CSV cells are read as
strings, workbook cells keep their types. Unreadable input raises ValueError (or the OSError,
BadZipFile or UnicodeDecodeError of the layer below); nothing here is checked or written.

Uploads are read within ``Limits``: the bytes a zip or a workbook unpacks to, summed over its
parts (the sizes it declares, then the bytes actually read, which stop at the limit since a
declared size can lie), and the rows of each table (parsing stops one row past the limit). An
upload over a limit raises ``LimitExceeded`` naming the file or member and the limit.
"""

from __future__ import annotations

import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .vocabulary import TABLES, table_for_name

__all__ = [
    "MAX_ZIP_MEMBER_BYTES",
    "NO_LIMITS",
    "LimitExceeded",
    "Limits",
    "check_lines",
    "check_size",
    "read_csv",
    "read_workbook",
    "read_zip",
    "read_path",
    "read_tables",
]

# Far above the national dataset (half a million rows in all): a larger member is a zip bomb.
MAX_ZIP_MEMBER_BYTES = 512 * 2**20
# Unpacked members are spooled: held in memory up to this size, on disk beyond it.
_SPOOL_BYTES = 16 * 2**20
_CHUNK = 2**20
# No row of the registry comes near this; a longer line is not a table (one huge cell would take
# pandas several times its size in memory).
MAX_LINE_BYTES = 2**20


@dataclass(frozen=True)
class Limits:
    """What one upload may hold: bytes unpacked in all (``max_bytes``) and rows in one table
    (``max_rows``); None for no limit."""

    max_bytes: int | None = None
    max_rows: int | None = None

    @classmethod
    def from_settings(cls) -> Limits:
        """IMPORT_MAX_UNCOMPRESSED_BYTES and IMPORT_MAX_ROWS."""
        from django.conf import settings

        return cls(settings.IMPORT_MAX_UNCOMPRESSED_BYTES, settings.IMPORT_MAX_ROWS)


NO_LIMITS = Limits()


class LimitExceeded(ValueError):
    """An upload over one of its ``Limits``: ``file`` names the file, sheet or member."""

    def __init__(self, file: str, reason: str):
        super().__init__(f"{file}: {reason}")
        self.file, self.reason = file, reason


def _megabytes(size: int) -> str:
    return f"{size / 2**20:,.0f} MB" if size >= 2**20 else f"{size:,} bytes"


def check_size(size: int, limits: Limits, file: str) -> None:
    """Raise LimitExceeded when ``size`` bytes unpacked are over ``limits.max_bytes``."""
    if limits.max_bytes is not None and size > limits.max_bytes:
        raise LimitExceeded(
            file,
            f"unpacks to more than {_megabytes(limits.max_bytes)}, the most an import may hold "
            "(IMPORT_MAX_UNCOMPRESSED_BYTES); split the file",
        )


def _check_rows(frame: pd.DataFrame, limits: Limits, file: str, table: str) -> pd.DataFrame:
    if limits.max_rows is not None and len(frame) > limits.max_rows:
        raise LimitExceeded(
            file,
            f"table {table} has more than {limits.max_rows:,} rows, the most an import may hold "
            "in one table (IMPORT_MAX_ROWS); split the file",
        )
    return frame


class _LineLength:
    """Fed a file chunk by chunk, raises LimitExceeded at a line longer than MAX_LINE_BYTES."""

    def __init__(self, file: str):
        self.file, self.current = file, 0

    def feed(self, chunk: bytes) -> None:
        first = chunk.find(b"\n")
        if first == -1:
            self.current += len(chunk)
        else:
            longest = self.current + first
            if len(chunk) > MAX_LINE_BYTES:  # else no line within the chunk can be too long
                longest = max(longest, _longest_line(chunk, first))
            self.current = len(chunk) - chunk.rfind(b"\n") - 1
            if longest > MAX_LINE_BYTES:
                self._refuse()
        if self.current > MAX_LINE_BYTES:
            self._refuse()

    def _refuse(self):
        raise LimitExceeded(
            self.file,
            f"a line is longer than {_megabytes(MAX_LINE_BYTES)}: not a table of the registry",
        )


def _longest_line(chunk: bytes, first: int) -> int:
    longest, start = 0, first + 1
    while (end := chunk.find(b"\n", start)) != -1:
        longest, start = max(longest, end - start), end + 1
    return longest


def check_lines(source, file: str) -> None:
    """Raise LimitExceeded when a line of the binary file ``source`` is longer than
    MAX_LINE_BYTES; reads it in chunks, then rewinds it."""
    lines = _LineLength(file)
    while chunk := source.read(_CHUNK):
        lines.feed(chunk)
    source.seek(0)


def _nrows(limits: Limits) -> int | None:
    # One row past the limit tells that there are more, without parsing the rest.
    return None if limits.max_rows is None else limits.max_rows + 1


def read_csv(
    source, limits: Limits = NO_LIMITS, *, file: str = "", table: str = ""
) -> pd.DataFrame:
    """A CSV file (path or binary file object) as a frame of strings, blanks as "".

    Within ``limits.max_rows`` (``file`` and ``table`` name it in the error).
    """
    # utf-8-sig: Excel, and our own exports, start a UTF-8 CSV with a byte-order mark, which
    # plain utf-8 would keep as part of the first heading ("\ufeffcode").
    frame = pd.read_csv(
        source, dtype=str, keep_default_na=False, encoding="utf-8-sig", nrows=_nrows(limits)
    )
    return _check_rows(frame, limits, file or str(source), table or file)


def _excel_engine() -> str:
    # calamine (Rust) reads a national workbook about nine times faster than openpyxl; openpyxl
    # stays the fallback so that a missing optional wheel never stops an import.
    try:
        import python_calamine  # noqa: F401
    except ImportError:
        return "openpyxl"
    return "calamine"


def _check_workbook_size(source, limits: Limits, label: str) -> None:
    """A workbook is a zip of XML parts: what they declare, then what they unpack to, summed,
    within ``limits.max_bytes``; reading stops at the limit."""
    if limits.max_bytes is None:
        return
    try:
        archive = zipfile.ZipFile(source)
    except zipfile.BadZipFile as error:
        raise ValueError(f"not a readable .xlsx workbook ({error})") from error
    with archive:
        check_size(sum(info.file_size for info in archive.infolist()), limits, label)
        unpacked = 0
        for info in archive.infolist():
            try:
                with archive.open(info) as part:
                    while chunk := part.read(_CHUNK):
                        unpacked += len(chunk)
                        check_size(unpacked, limits, label)
            except (RuntimeError, NotImplementedError, zipfile.BadZipFile) as error:
                raise ValueError(f"not a readable .xlsx workbook ({error})") from None
    source.seek(0)


def read_workbook(source, label: str, limits: Limits = NO_LIMITS) -> tuple[dict, dict, list[str]]:
    """The sheets of an .xlsx workbook that name a table; ``label`` names the file in warnings.

    ``source`` is a path or a seekable binary file object (needed for ``limits.max_bytes``).
    """
    if limits.max_bytes is not None and not isinstance(source, str | Path):
        _check_workbook_size(source, limits, label)
    try:
        sheets = pd.read_excel(
            source, sheet_name=None, dtype=object, engine=_excel_engine(), nrows=_nrows(limits)
        )
    except Exception as error:  # each reader has its own errors for a broken file
        raise ValueError(f"not a readable .xlsx workbook ({error})") from error
    tables, names, warnings = {}, {}, []
    for sheet, frame in sheets.items():
        table = table_for_name(sheet)
        if table is None or table in tables:
            warnings.append(f"{label}: sheet {sheet!r} is not a table of the registry; ignored")
            continue
        _check_rows(frame, limits, f"{label}, sheet {sheet}", table)
        tables[table], names[table] = frame, str(sheet)
    return tables, names, warnings


def read_path(path: str | Path) -> tuple[dict, dict, list[str]]:
    """The tables of a workbook, a CSV, a zip of CSVs or a folder of CSVs on disk."""
    path = Path(path)
    if path.is_dir():
        tables, names, warnings = {}, {}, []
        for csv in sorted(path.glob("*.csv")):
            table = table_for_name(csv.name)
            if table is None:
                warnings.append(f"{csv.name}: not a table of the registry; ignored")
                continue
            tables[table], names[table] = read_csv(csv), csv.name
        return tables, names, warnings
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return read_workbook(path, path.name)
    if suffix == ".csv":
        table = table_for_name(path.name)
        if table is None:
            raise ValueError(f"{path.name}: the file name names no table ({', '.join(TABLES)})")
        return {table: read_csv(path)}, {table: path.name}, []
    if suffix == ".zip":
        with path.open("rb") as handle:
            return read_zip(handle)
    raise ValueError(f"{path.name}: give an .xlsx workbook, a .csv, a .zip or a folder of CSVs")


def read_zip(fileobj, limits: Limits = NO_LIMITS, label: str = "") -> tuple[dict, dict, list[str]]:
    """The CSV files of a zip, in any folder, each named after its table.

    A member larger than MAX_ZIP_MEMBER_BYTES unpacked, encrypted or compressed in a way zipfile
    does not know raises ValueError; CSV members unpacking to more than ``limits.max_bytes`` in
    all (declared, or actually read), or a table over ``limits.max_rows``, raise LimitExceeded.
    Members are unpacked into a spooled file (memory up to 16 MB, then disk), never whole into
    memory.
    """
    tables, names, warnings = {}, {}, []
    with zipfile.ZipFile(fileobj) as archive:
        members = []
        for info in archive.infolist():
            base = Path(info.filename).name
            if info.is_dir() or base.startswith((".", "__")):
                continue
            table = table_for_name(base) if base.lower().endswith(".csv") else None
            if table is None or table in tables or any(t == table for _, t in members):
                warnings.append(f"{info.filename}: not a table of the registry; ignored")
                continue
            if info.file_size > MAX_ZIP_MEMBER_BYTES:
                raise ValueError(
                    f"{info.filename}: larger than {MAX_ZIP_MEMBER_BYTES // 2**20} MB unpacked"
                )
            members.append((info, table))
        check_size(sum(info.file_size for info, _ in members), limits, label or "the zip")
        unpacked = 0
        for info, table in members:
            with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
                unpacked += _unpack(archive, info, spool, limits, unpacked)
                spool.seek(0)
                base = Path(info.filename).name
                tables[table] = read_csv(spool, limits, file=base, table=table)
                names[table] = base
    return tables, names, warnings


def _unpack(archive, info, target, limits: Limits, before: int) -> int:
    """Copy one member into ``target`` chunk by chunk, stopping at the limits; its size."""
    size, lines = 0, _LineLength(info.filename)
    try:
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                lines.feed(chunk)
                size += len(chunk)
                if size > MAX_ZIP_MEMBER_BYTES:
                    raise ValueError(
                        f"{info.filename}: larger than {MAX_ZIP_MEMBER_BYTES // 2**20} MB unpacked"
                    )
                check_size(before + size, limits, info.filename)
                target.write(chunk)
    except (RuntimeError, NotImplementedError) as error:
        # zipfile's words for an encrypted member or an unknown compression method.
        raise ValueError(f"{info.filename}: {error}") from None
    return size


def read_tables(path: str | Path) -> dict[str, pd.DataFrame]:
    """The tables in a workbook, a folder of ``<table>.csv``, a single CSV or a zip of CSVs.

    Sheet and file names are matched like headings ("Sản phẩm" → products). Cells keep their
    types as read (CSV cells are strings). Raises ValueError for a file that names no table.
    """
    return read_path(path)[0]
