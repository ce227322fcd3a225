"""Daily (cron): tell producers whose OCOP rating expires in 6, 3 or 1 months, once each."""

from django.core.management.base import BaseCommand

from notifications.expiry import notify_expiring_ratings


class Command(BaseCommand):
    help = "Notify the owners of products whose OCOP rating expires in 6, 3 or 1 months."

    def handle(self, *args, **options):
        self.stdout.write(f"{notify_expiring_ratings()} products notified")
