"""What an import found and did: ``RowError`` (one problem, where it is) and ``ImportReport``.

Both are plain dataclasses, returned by every entry point of the import and turned into JSON for
the API by ``ImportReport.as_dict``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

__all__ = ["RowError", "ImportReport"]


@dataclass
class RowError:
    """A problem: file (or sheet), spreadsheet row (the header is row 1), column and reason."""

    file: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        column = f", column {self.column}" if self.column else ""
        return f"{self.file}, {where}{column}: {self.reason}"


@dataclass
class ImportReport:
    """What an import found and did. ``written`` is False after a dry run or a refused import."""

    errors: list[RowError]
    created: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]
    skipped_rows: int
    dry_run: bool
    written: bool
    geocoded: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # Places given in the division before 1 July 2025 (or by official code or address) written
    # as areas of the registry: rows per table, and the first ones (``converting.Conversions``).
    converted: dict[str, int] = field(default_factory=dict)
    conversions: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no row had an error."""
        return not self.errors

    def as_dict(self) -> dict:
        """A JSON-able dict, for the API."""
        return {**asdict(self), "ok": self.ok}
