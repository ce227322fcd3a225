"""``manage.py load_demo``: the Hà Nội demo registry and demo accounts, idempotently.

The tables come from ``simulation.demo.hanoi_demo_tables``, dated to the as-of day by
``simulation.living`` (ratings re-rated every 36 months so that they are in force that day), and
go through the importer, so the demo is checked like any import. ``simulation.living`` then adds
the rating history, contacts, requirements and credentials and, for the demo accounts, sourcing
requests, proposals in every state and their notifications. A second run for the same day
changes nothing. The accounts and their password are for local demos.
"""

import datetime as dt
import secrets
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

from linkage import services
from linkage.accounts import PLANNERS_GROUP
from linkage.choices import BuyerKind, ProducerKind
from linkage.importing import TABLES, import_tables
from linkage.models import Buyer, Producer
from notifications.expiry import notify_expiring_ratings
from simulation import living
from simulation.demo import hanoi_demo_tables

DEMO_PRODUCER_USER = "demo_producer"
DEMO_BUYER_USER = "demo_buyer"
DEMO_PLANNER_USER = "demo_planner"
# The chain the demo buyer account manages.
DEMO_CHAIN_CODE = living.DEMO_CHAIN_CODE
# The demo accounts' password for the sign-in pages, printed by every run: for local demos only.
DEMO_PASSWORD = "ocop-demo-hanoi"


def _account(username: str, *, password_hash: str, groups=()) -> tuple[object, str]:
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=username, defaults={"is_staff": False, "is_superuser": False}
    )
    if created or user.password != password_hash:
        user.password = password_hash
        user.save(update_fields=["password"])
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    # Only a hash of a token is stored, so each run signs the account in afresh: a new token,
    # expiring after TOKEN_TTL_HOURS like any other (the earlier ones stay valid until theirs).
    _, token = AuthToken.objects.create(user=user)
    return user, token


@transaction.atomic
def demo_accounts(*, cooperative_code: str, password: str) -> dict[str, dict]:
    """Create (or find) the demo accounts, signed in with ``password``, and give the producer
    and buyer ones their records (the cooperative ``cooperative_code``, the demo chain).

    Returns {role: {"username", "token", "manages"}}. Raises CommandError when the demo records
    are missing (the import did not run).
    """
    cooperative = Producer.objects.filter(
        code=cooperative_code, kind=ProducerKind.COOPERATIVE
    ).first()
    chain = Buyer.objects.filter(code=DEMO_CHAIN_CODE, kind=BuyerKind.RETAIL_CHAIN).first()
    if cooperative is None or chain is None:
        raise CommandError("The demo registry is not loaded: no demo cooperative or chain.")
    # One hash for the three: hashing is slow on purpose, and this is a demo password.
    hashed = make_password(password)
    planner, planner_token = _account(
        DEMO_PLANNER_USER, password_hash=hashed, groups=[PLANNERS_GROUP]
    )
    producer_user, producer_token = _account(DEMO_PRODUCER_USER, password_hash=hashed)
    buyer_user, buyer_token = _account(DEMO_BUYER_USER, password_hash=hashed)
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
        parser.add_argument(
            "--as-of",
            type=dt.date.fromisoformat,
            default=None,
            help="the day the demo stands on, YYYY-MM-DD (default today; from 2025-06-30)",
        )
        parser.add_argument(
            "--password",
            default=DEMO_PASSWORD,
            help=f"the demo accounts' password for the sign-in pages (default {DEMO_PASSWORD})",
        )
        parser.add_argument("--no-accounts", action="store_true", help="import the data only")

    def handle(self, *args, seed, as_of, password, no_accounts, **options):
        started = time.perf_counter()
        today = timezone.localdate()
        as_of = as_of or today
        if as_of > today:
            raise CommandError(
                f"--as-of {as_of} is after today: a rating cannot be given on a day still to come."
            )
        if as_of < living.EARLIEST_AS_OF:
            raise CommandError(
                f"--as-of {as_of}: the demo programme stands on {living.EARLIEST_AS_OF}; "
                "date it on or after."
            )
        if not password:
            raise CommandError("--password cannot be empty.")
        tables, history = living.dated_tables(hanoi_demo_tables(seed), as_of=as_of, seed=seed)
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
        living.write_rating_history(history)
        living.write_contacts_and_papers(tables, as_of=as_of, seed=seed)
        if no_accounts:
            self.stdout.write(f"done in {time.perf_counter() - started:.1f} s")
            return
        cooperative = living.demo_cooperative(tables)
        accounts = demo_accounts(cooperative_code=cooperative, password=password)
        living.write_workflow(cooperative_code=cooperative, as_of=as_of)
        living.write_trade_event(cooperative_code=cooperative, as_of=as_of)
        # The daily look for ratings about to expire, as it would have run on the as-of day.
        notify_expiring_ratings(today=as_of)
        for role, account in accounts.items():
            self.stdout.write(
                f"{role:<9} user {account['username']:<14} token {account['token']}  "
                f"({account['manages']})"
            )
        self.stdout.write(
            f"password  {password}  for the three demo accounts at /workspace/login/, "
            f"the demo as of {as_of} — for local demo use only."
        )
        password = ensure_admin()
        if password:
            self.stdout.write(
                f"superuser admin, password {password} — for local demo use only; change it "
                "or delete the account anywhere else."
            )
        self.stdout.write(f"done in {time.perf_counter() - started:.1f} s")
