"""``manage.py import_data PATH``: import a workbook, a CSV, a zip or a folder of CSVs."""

from django.core.management.base import BaseCommand, CommandError

from linkage.importing import TABLES, ImportReport, import_path


def format_report(report: ImportReport) -> str:
    """The report as text: counts per table, geocoding, warnings, then one line per error."""
    lines = [f"{'table':<18} {'created':>8} {'updated':>8} {'unchanged':>10}"]
    for table in TABLES:
        counts = (report.created[table], report.updated[table], report.unchanged[table])
        if any(counts):
            lines.append(f"{table:<18} {counts[0]:>8} {counts[1]:>8} {counts[2]:>10}")
    if report.geocoded:
        sources = ", ".join(f"{n} from {source}" for source, n in sorted(report.geocoded.items()))
        lines.append(f"geocoded: {sources}")
    if report.converted:
        counts = ", ".join(f"{n} {table}" for table, n in sorted(report.converted.items()))
        lines.append(f"placed in the areas since 1 July 2025: {counts}")
    lines += [f"warning: {warning}" for warning in report.warnings]
    lines += [str(error) for error in report.errors]
    if report.skipped_rows:
        lines.append(f"{report.skipped_rows} bad rows skipped")
    if report.dry_run:
        lines.append("dry run: nothing written")
    elif report.errors and not report.written:
        lines.append(f"{len(report.errors)} errors: nothing written")
    elif not report.written:
        lines.append("nothing changed")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Import the registry from an .xlsx workbook, a .csv, a .zip or a folder of CSV files."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument(
            "--skip-bad-rows",
            action="store_true",
            help="write the good rows even when some rows are bad",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, path, dry_run, skip_bad_rows, no_progress, **options):
        report = import_path(
            path, dry_run=dry_run, skip_bad_rows=skip_bad_rows, progress=not no_progress
        )
        self.stdout.write(format_report(report))
        if report.errors and not report.written:
            raise CommandError("import refused", returncode=1)
