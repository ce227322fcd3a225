"""The living demo: the Hà Nội demo dated to a day, with its history and its work in progress."""

import datetime as dt
import io
import re
from collections import Counter, defaultdict

import pandas as pd
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from analytics import frames, statistics
from events.models import Event
from linkage.choices import ProposalState
from linkage.dates import add_months, rating_expiry
from linkage.management.commands.load_demo import DEMO_PASSWORD
from linkage.models import PHONE_VALIDATORS, Producer, Product, Proposal, Rating
from linkage.proposals import TRANSITIONS
from linkage.selectors import snapshot_from_db
from notifications.models import Notification
from simulation import living
from simulation.demo import HANOI_TARGETS, hanoi_demo_tables

DAYS = [dt.date(2026, 11, 30), dt.date(2031, 6, 1)]
PUBLISHED_YEARS = HANOI_TARGETS["by_year"]


@pytest.fixture(scope="module")
def hanoi():
    return hanoi_demo_tables(2025)


@pytest.fixture(scope="module", params=DAYS, ids=str)
def dated(request, hanoi):
    tables, history = living.dated_tables(hanoi, as_of=request.param, seed=2025)
    return request.param, tables, history


def _statistics_frames(tables, history):
    producers = {row["code"]: row for row in tables["producers"]}
    products = pd.DataFrame(
        [
            {
                "code": row["code"],
                "name": row["name"],
                "category": row["category"],
                "stars": row["stars"],
                "potential_five_star": row["potential_five_star"],
                "rated_on": dt.date.fromisoformat(row["rated_on"]),
                "rating_expires_on": rating_expiry(dt.date.fromisoformat(row["rated_on"])),
                "producer_code": row["producer_code"],
                "producer_kind": producers[row["producer_code"]]["kind"],
                "area_code": producers[row["producer_code"]]["area_code"],
            }
            for row in tables["products"]
        ]
    )
    ratings = pd.DataFrame(
        [
            {
                "code": row["product_code"],
                "stars": row["stars"],
                "potential_five_star": row["potential_five_star"],
                "rated_on": row["rated_on"],
                "rating_expires_on": rating_expiry(row["rated_on"]),
            }
            for row in history
        ]
    )
    return products, ratings


def _assert_published_by_year(table, as_of):
    assert {year: table.loc[year, "rated"] for year in PUBLISHED_YEARS} == PUBLISHED_YEARS
    assert table.loc[2025 + 1 :, "rated"].sum() == 0
    assert table.loc[2020, "cumulative"] == 1054 and table.loc[2021, "cumulative"] == 1649
    # Re-rated on time, every product certified so far is in force at every year's end.
    assert (table["valid_at_year_end"] == table["cumulative"]).all()
    assert table.index[-1] == as_of.year


def test_each_product_keeps_its_published_first_rating_and_is_re_rated_every_36_months(
    hanoi, dated
):
    as_of, tables, history = dated
    published = {row["code"]: row for row in hanoi["products"]}
    ratings = defaultdict(list)
    for row in history:
        ratings[row["product_code"]].append(row)
    assert set(ratings) == set(published)
    off_cycle = 0
    for row in tables["products"]:
        days = [r["rated_on"] for r in ratings[row["code"]]]
        first = dt.date.fromisoformat(published[row["code"]]["rated_on"])
        assert days[0] == first and days == sorted(days)
        assert dt.date.fromisoformat(row["rated_on"]) == days[-1] <= as_of
        # In force on the as-of day, and never a day without a rating since the first.
        assert rating_expiry(days[-1]) > as_of
        for before, after in zip(days, days[1:], strict=False):
            assert before < after <= rating_expiry(before)
        cycle = [add_months(first, 36 * k) for k in range(len(days))]
        off_cycle += days != cycle
        assert {r["stars"] for r in ratings[row["code"]]} == {published[row["code"]]["stars"]}
    assert 0 < off_cycle <= 0.02 * len(tables["products"])


def test_a_few_ratings_run_out_within_six_months_among_them_the_demo_cooperative_s(dated):
    as_of, tables, _history = dated
    soon = add_months(as_of, 6)
    expiring = [
        row
        for row in tables["products"]
        if as_of < rating_expiry(dt.date.fromisoformat(row["rated_on"])) <= soon
    ]
    assert 0 < len(expiring) < 0.3 * len(tables["products"])
    cooperative = living.demo_cooperative(tables)
    assert sum(row["producer_code"] == cooperative for row in expiring) >= 2


def test_the_published_by_year_figures_are_counted_from_the_rating_history(dated):
    as_of, tables, history = dated
    products, ratings = _statistics_frames(tables, history)
    _assert_published_by_year(statistics.by_year(products, as_of=as_of, ratings=ratings), as_of)
    targets = statistics.targets(products, as_of=as_of, ratings=ratings)
    assert targets.loc[2022, "rated"] == 518 and targets.loc[2022, "met"]
    stars = statistics.by_stars(products, as_of=as_of, basis="valid", ratings=ratings)
    assert stars["products"].to_dict() == {"5": 10, "potential_5": 35, "4": 2286, "3": 1132}
    # Counted from each product's newest rating alone, re-rated products leave their years.
    newest_only = statistics.by_year(products, as_of=as_of)
    assert newest_only["rated"].get(2019, 0) < PUBLISHED_YEARS[2019]


def test_the_living_demo_is_the_same_for_a_seed_and_a_day(hanoi):
    day = DAYS[0]
    assert living.dated_tables(hanoi, as_of=day, seed=2025) == living.dated_tables(
        hanoi, as_of=day, seed=2025
    )
    other = living.dated_tables(hanoi, as_of=day + dt.timedelta(days=1), seed=2025)
    assert other != living.dated_tables(hanoi, as_of=day, seed=2025)
    assert living.contact_rows(hanoi, seed=2025) == living.contact_rows(hanoi, seed=2025)
    assert living.credential_rows(hanoi, as_of=day, seed=2025) == living.credential_rows(
        hanoi, as_of=day, seed=2025
    )


def test_the_demo_cannot_stand_before_the_published_programme(hanoi):
    with pytest.raises(ValueError):
        living.dated_tables(hanoi, as_of=dt.date(2025, 1, 1), seed=2025)


def test_contacts_look_vietnamese_and_use_example_domains(hanoi):
    contacts = living.contact_rows(hanoi, seed=2025)
    with_products = {row["producer_code"] for row in hanoi["products"]}
    assert with_products | {row["code"] for row in hanoi["buyers"]} == set(contacts)
    for person, phone, email in contacts.values():
        assert len(person.split()) == 3
        for validator in PHONE_VALIDATORS:
            validator(phone)
        assert re.fullmatch(r"0\d{3} \d{3} \d{3}|024 \d{4} \d{4}", phone), phone
        assert re.fullmatch(r"[a-z0-9.-]+@([a-z0-9-]+\.)?example\.(org|com)", email), email


def test_some_producers_lack_some_credentials_and_some_have_lapsed(hanoi):
    day = DAYS[0]
    rows = living.credential_rows(hanoi, as_of=day, seed=2025)
    held = defaultdict(set)
    for code, kind, _expires, _reference in rows:
        held[code].add(kind)
    assert any(len(kinds) < 4 for kinds in held.values())
    assert any(len(kinds) == 4 for kinds in held.values())
    food_safety = [expires for _c, kind, expires, _r in rows if kind == "food_safety"]
    assert any(expires <= day for expires in food_safety)
    assert held[living.demo_cooperative(hanoi)] == {"food_safety", "traceability", "vat_invoice"}


def _user(username):
    return get_user_model().objects.get(username=username)


def _load(monkeypatch, as_of, capture, *extra):
    noon = timezone.make_aware(dt.datetime.combine(as_of, dt.time(12)))
    monkeypatch.setattr(timezone, "now", lambda: noon)
    out = io.StringIO()
    with capture(execute=True):
        call_command("load_demo", "--as-of", as_of.isoformat(), *extra, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("as_of", DAYS, ids=str)
def test_load_demo_as_of_a_day_is_a_programme_in_motion(
    monkeypatch, django_capture_on_commit_callbacks, as_of
):
    printed = _load(monkeypatch, as_of, django_capture_on_commit_callbacks)
    assert f"password  {DEMO_PASSWORD}" in printed
    assert any(line.split()[:4:3] == ["planner", "token"] for line in printed.splitlines())

    # Ratings: in force on the day, the history behind them, the published years.
    assert not Product.objects.filter(rating_expires_on__lte=as_of).exists()
    assert Rating.objects.count() > Product.objects.count()
    snapshot = snapshot_from_db()
    table = statistics.by_year(
        frames.rated_product_frame(snapshot), as_of=as_of, ratings=frames.rating_frame(snapshot)
    )
    _assert_published_by_year(table, as_of)

    # Proposals in every state, each step audited.
    proposals = Proposal.objects.prefetch_related("events")
    assert {p.state for p in proposals} == set(ProposalState.values)
    for proposal in proposals:
        steps = [(e.from_state, e.to_state) for e in proposal.events.all()]
        assert steps[0] == ("", ProposalState.PROPOSED)
        assert all(step in TRANSITIONS for step in steps[1:])
        assert steps[-1][1] == proposal.state
        assert proposal.proposed_on < as_of

    # The demo accounts sign in with the printed password and find their inbox waiting.
    for username in ("demo_producer", "demo_buyer", "demo_planner"):
        assert _user(username).check_password(DEMO_PASSWORD)
    unread = Counter(
        Notification.objects.filter(read_at__isnull=True).values_list("recipient__username", "kind")
    )
    producer_kinds = {kind for (user, kind) in unread if user == "demo_producer"}
    assert {"proposal_received", "rating_expiring", "sourcing_request_matched"} <= producer_kinds
    assert any(user == "demo_buyer" for (user, _kind) in unread)
    cooperative = Producer.objects.get(owner__username="demo_producer")
    assert cooperative.contact_person and cooperative.phone and cooperative.credentials.exists()

    # A trade-connection week two weeks on, scheduled: every producer meets someone, the demo
    # cooperative among them, and no table holds two meetings in a slot.
    event = Event.objects.get(code=living.DEMO_EVENT_CODE)
    assert event.held_on == as_of + dt.timedelta(days=14) and event.schedule_optimal
    met = set(event.meetings.values_list("producer__code", flat=True))
    assert met == set(event.producers.values_list("producer__code", flat=True))
    assert cooperative.code in met
    places = list(event.meetings.values_list("slot", "buyer_id", "table"))
    assert len(places) == len(set(places)) > 0


@pytest.mark.django_db
def test_a_second_load_for_the_same_day_changes_nothing_and_a_later_day_moves_on(
    monkeypatch, django_capture_on_commit_callbacks
):
    day = DAYS[0]
    _load(monkeypatch, day, django_capture_on_commit_callbacks, "--password", "another-one")
    assert _user("demo_buyer").check_password("another-one")
    counts = (Rating.objects.count(), Proposal.objects.count(), Notification.objects.count())
    printed = _load(
        monkeypatch, day, django_capture_on_commit_callbacks, "--password", "another-one"
    )
    assert (
        Rating.objects.count(),
        Proposal.objects.count(),
        Notification.objects.count(),
    ) == counts
    assert "updated      0" in printed.splitlines()[2]  # products

    later = add_months(day, 40)
    _load(monkeypatch, later, django_capture_on_commit_callbacks)
    assert not Product.objects.filter(rating_expires_on__lte=later).exists()
    assert not Rating.objects.filter(rated_on__gt=later).exists()
    assert Proposal.objects.count() == counts[1]
    assert {p.state for p in Proposal.objects.all()} == set(ProposalState.values)


@pytest.mark.django_db
def test_load_demo_refuses_a_day_still_to_come_or_before_the_programme():
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    for day in (tomorrow, dt.date(2024, 12, 31)):
        with pytest.raises(CommandError, match="as-of"):
            call_command("load_demo", "--as-of", day.isoformat(), stdout=io.StringIO())
