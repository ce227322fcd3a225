"""``manage.py export_data PATH``: the registry as a workbook (.xlsx) or a folder of CSV files."""

from django.core.management.base import BaseCommand

from linkage.exporter import write_csv_folder, write_workbook


class Command(BaseCommand):
    help = "Export the registry: PATH ending in .xlsx gives a workbook, else a folder of CSVs."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        (write_workbook if path.lower().endswith(".xlsx") else write_csv_folder)(path)
        self.stdout.write(f"exported to {path}")
