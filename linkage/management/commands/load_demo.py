"""``manage.py load_demo``: the Hà Nội demo registry and demo accounts, idempotently.

The tables come from ``simulation.demo.hanoi_demo_tables`` and go through the importer, so the demo
is checked like any import and a second run changes nothing. The accounts are for local demos.
"""

import secrets
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count, Max, Q
from knox.models import AuthToken

from linkage import services
from linkage.accounts import PLANNERS_GROUP
from linkage.choices import BuyerKind, ProducerKind
from linkage.dates import add_months
from linkage.importing import TABLES, import_tables
from linkage.models import Buyer, Producer, Product
from simulation.demo import hanoi_demo_tables

DEMO_PRODUCER_USER = "demo_producer"
DEMO_BUYER_USER = "demo_buyer"
DEMO_PLANNER_USER = "demo_planner"
# The chain the demo buyer account manages.
DEMO_CHAIN_CODE = "CH-AEON"


def _account(username: str, *, groups=()) -> tuple[object, str]:
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=username, defaults={"is_staff": False, "is_superuser": False}
    )
    if created:
        user.set_unusable_password()
        user.save()
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    # Only a hash of a token is stored, so each run signs the account in afresh: a new token,
    # expiring after TOKEN_TTL_HOURS like any other (the earlier ones stay valid until theirs).
    _, token = AuthToken.objects.create(user=user)
    return user, token


@transaction.atomic
def demo_accounts() -> dict[str, dict]:
    """Create (or find) the demo accounts and give the producer and buyer ones their records.

    Returns {role: {"username", "token", "manages"}}. Raises CommandError when the demo records
    are missing (the import did not run).
    """
    # The cooperative with the most recently rated products, so that the demo producer account
    # finds buyers for them rather than ratings that have expired.
    latest = Product.objects.aggregate(latest=Max("rated_on"))["latest"]
    recent = Q(products__rated_on__gt=add_months(latest, -12)) if latest else Q(pk=None)
    cooperative = (
        Producer.objects.filter(kind=ProducerKind.COOPERATIVE, code__startswith="HN-P")
        .annotate(recent_products=Count("products", filter=recent))
        .order_by("-recent_products", "code")
        .first()
    )
    chain = Buyer.objects.filter(code=DEMO_CHAIN_CODE, kind=BuyerKind.RETAIL_CHAIN).first()
    if cooperative is None or chain is None:
        raise CommandError("The demo registry is not loaded: no demo cooperative or chain.")
    planner, planner_token = _account(DEMO_PLANNER_USER, groups=[PLANNERS_GROUP])
    producer_user, producer_token = _account(DEMO_PRODUCER_USER)
    buyer_user, buyer_token = _account(DEMO_BUYER_USER)
    # Only when the owner changes, so that a second run changes nothing (updated_at included).
    if cooperative.owner_id != producer_user.pk:
        services.producer_update(actor=None, producer=cooperative, owner=producer_user)
    if chain.owner_id != buyer_user.pk:
        services.buyer_update(actor=None, buyer=chain, owner=buyer_user)
    return {
        "planner": {
            "username": planner.username,
            "token": planner_token,
            "manages": f"group {PLANNERS_GROUP}",
        },
        "producer": {
            "username": producer_user.username,
            "token": producer_token,
            "manages": f"{cooperative.code} {cooperative.name}",
        },
        "buyer": {
            "username": buyer_user.username,
            "token": buyer_token,
            "manages": f"{chain.code} {chain.name}",
        },
    }


def ensure_admin() -> str | None:
    """Create superuser "admin" with a random password when there is no superuser and no "admin".

    Returns the password, or None when nothing was created.
    """
    user_model = get_user_model()
    if (
        user_model.objects.filter(is_superuser=True).exists()
        or user_model.objects.filter(username="admin").exists()
    ):
        return None
    password = secrets.token_urlsafe(12)
    user_model.objects.create_superuser("admin", email="", password=password)
    return password


class Command(BaseCommand):
    help = (
        "Load the Hà Nội demo registry (idempotent) and create demo accounts, each with a new "
        "API token."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2025, help="demo data seed (default 2025)")
        parser.add_argument("--no-accounts", action="store_true", help="import the data only")

    def handle(self, *args, seed, no_accounts, **options):
        started = time.perf_counter()
        tables = hanoi_demo_tables(seed)
        report = import_tables(tables, source_names={t: f"demo:{t}" for t in TABLES})
        if report.errors:
            for error in report.errors[:20]:
                self.stderr.write(str(error))
            raise CommandError(f"demo import refused: {len(report.errors)} errors")
        for table in (table for table in TABLES if table in tables):
            self.stdout.write(
                f"{table:<18} created {report.created[table]:>6}  updated "
                f"{report.updated[table]:>6}  unchanged {report.unchanged[table]:>6}"
            )
        if no_accounts:
            self.stdout.write(f"done in {time.perf_counter() - started:.1f} s")
            return
        for role, account in demo_accounts().items():
            self.stdout.write(
                f"{role:<9} user {account['username']:<14} token {account['token']}  "
                f"({account['manages']})"
            )
        password = ensure_admin()
        if password:
            self.stdout.write(
                f"superuser admin, password {password} — for local demo use only; change it "
                "or delete the account anywhere else."
            )
        self.stdout.write(f"done in {time.perf_counter() - started:.1f} s")
