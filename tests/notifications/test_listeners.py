"""Each event reaches the owners of the records it concerns, and nobody else."""

import datetime as dt

import pytest
from django.utils import translation

from linkage import services
from notifications import messages
from notifications.models import Notification
from tests.factories import ProducerFactory, ProductFactory, UserFactory

from .conftest import proposal_data

pytestmark = pytest.mark.django_db


def _recipients(kind=None):
    notes = Notification.objects.all()
    if kind:
        notes = notes.filter(kind=kind)
    return sorted(notes.values_list("recipient__username", flat=True))


def test_a_producer_proposal_reaches_the_store_manager_and_the_chain_owner(world, deliver):
    deliver(
        "proposal.created",
        code="7",
        actor=world["coop"],
        **proposal_data(world, proposed_by="producer", state="proposed"),
    )
    assert _recipients(messages.PROPOSAL_RECEIVED) == ["chain_owner", "store_manager"]
    note = Notification.objects.get(recipient=world["chain_owner"])
    assert (note.subject_type, note.subject_code) == ("proposal", "7")
    assert note.params["product_name"] == "Gốm men lam"


def test_a_buyer_proposal_reaches_the_producer_owner_only(world, deliver):
    deliver(
        "proposal.created",
        code="7",
        actor=world["chain_owner"],
        **proposal_data(world, proposed_by="buyer", state="proposed"),
    )
    assert _recipients() == ["coop"]


def test_a_state_change_reaches_both_sides_but_not_the_actor(world, deliver):
    deliver(
        "proposal.state_changed",
        code="7",
        actor=world["store_manager"],
        **proposal_data(world, **{"from": "proposed", "to": "accepted", "by": "buyer"}),
    )
    assert _recipients(messages.PROPOSAL_STATE_CHANGED) == ["chain_owner", "coop"]
    note = Notification.objects.get(recipient=world["coop"])
    with translation.override("en"):
        title, body = messages.render(note.kind, note.params)
    assert title == "Proposal 7: accepted"
    assert "from proposed to accepted (by the buyer)" in body


def test_a_planner_state_change_reaches_every_owner(world, deliver):
    planner = UserFactory(username="planner")
    deliver(
        "proposal.state_changed",
        code="7",
        actor=planner,
        **proposal_data(world, **{"from": "trading", "to": "ended", "by": "planner"}),
    )
    assert _recipients() == ["chain_owner", "coop", "store_manager"]


def test_a_proposal_to_a_sales_point_reaches_its_owner(world, deliver):
    data = proposal_data(world, buyer=world["point"].code, proposed_by="producer", state="proposed")
    deliver("proposal.created", code="8", actor=world["coop"], **data)
    assert _recipients() == ["point_owner"]


def _matching_world():
    """Producers around Hà Nội of each account, one per way of not matching."""
    today = dt.date.today()
    accounts = {}
    for name, lat, lon, category, stars, rated_on in [
        ("match", 21.0, 105.8, "food", 4, today - dt.timedelta(days=365)),
        ("undated", 21.01, 105.81, "food", 3, None),
        ("too_few_stars", 21.0, 105.8, "food", 2, today - dt.timedelta(days=365)),
        ("other_group", 21.0, 105.8, "handicraft", 5, today - dt.timedelta(days=365)),
        ("expired", 21.0, 105.8, "food", 5, today - dt.timedelta(days=4 * 365)),
        ("too_far", 10.8, 106.7, "food", 5, today - dt.timedelta(days=365)),
    ]:
        user = UserFactory(username=name)
        producer = ProducerFactory(code=f"P-{name}", owner=user, lat=lat, lon=lon)
        ProductFactory(
            code=f"SP-{name}", producer=producer, category=category, stars=stars, rated_on=rated_on
        )
        accounts[name] = user
    # A product of a producer nobody manages: no one to tell.
    ProductFactory(code="SP-nobody", producer=ProducerFactory(code="P-nobody", owner=None))
    return accounts


def test_a_sourcing_request_reaches_the_owners_of_matching_products_only(
    world, django_capture_on_commit_callbacks
):
    _matching_world()
    with django_capture_on_commit_callbacks(execute=True):
        services.sourcing_request_create(
            actor=None,
            code="YC-1",
            buyer=world["point"],
            category="food",
            quantity_per_month=300,
            min_stars=3,
            max_distance_km=50,
        )
    # The world's own cooperative has a 4-star food product near by too.
    assert _recipients(messages.SOURCING_REQUEST_MATCHED) == ["coop", "match", "undated"]
    note = Notification.objects.get(recipient__username="match")
    assert [p["code"] for p in note.params["products"]] == ["SP-match"]
    assert note.link == "/api/v1/sourcing-requests/YC-1/"


def test_a_sourcing_request_does_not_notify_its_own_author(
    world, django_capture_on_commit_callbacks
):
    world["point"].owner = world["coop"]
    world["point"].save()
    from linkage.accounts import Account

    with django_capture_on_commit_callbacks(execute=True):
        services.sourcing_request_create(
            actor=Account.of_user(world["coop"]),
            code="YC-2",
            buyer=world["point"],
            category="food",
            quantity_per_month=300,
        )
    assert not Notification.objects.exists()


def test_a_chain_request_reaches_producers_near_any_of_its_stores(
    world, django_capture_on_commit_callbacks
):
    _matching_world()
    world["store"].lat, world["store"].lon = 10.8, 106.7  # the chain's store in the south
    world["store"].save()
    with django_capture_on_commit_callbacks(execute=True):
        services.sourcing_request_create(
            actor=None,
            code="YC-3",
            buyer=world["chain"],
            category="food",
            quantity_per_month=300,
            min_stars=5,
            max_distance_km=20,
        )
    assert _recipients() == ["too_far"]


def test_a_request_without_distance_reaches_producers_anywhere(
    world, django_capture_on_commit_callbacks
):
    _matching_world()
    with django_capture_on_commit_callbacks(execute=True):
        services.sourcing_request_create(
            actor=None,
            code="YC-4",
            buyer=world["point"],
            category="food",
            quantity_per_month=300,
            min_stars=5,
        )
    assert _recipients() == ["too_far"]


def test_a_rating_expiry_reaches_the_producer_owner(world, deliver):
    deliver(
        "rating.expiring",
        code="SP-1",
        product="SP-1",
        product_name="Gốm men lam",
        producer="HTX-1",
        stars=4,
        expires_on="2027-03-01",
        months=3,
    )
    assert _recipients() == ["coop"]
    note = Notification.objects.get()
    title, body = messages.render(note.kind, note.params, "en")
    assert title == "OCOP rating expires in 3 months"
    assert "Gốm men lam (SP-1)" in body


def test_a_failing_listener_does_not_undo_the_write(world, deliver, monkeypatch):
    from notifications import listeners

    def broken(**kwargs):
        raise RuntimeError("mail server on fire")

    monkeypatch.setattr(listeners, "notify", broken)
    deliver("proposal.created", code="7", **proposal_data(world, proposed_by="buyer"))
    assert not Notification.objects.exists()
