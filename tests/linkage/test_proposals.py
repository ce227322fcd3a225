"""The match workflow: proposals, their transitions, the linkage they make, their events."""

import pytest
from django.contrib.auth.models import Group
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkage import graph_cache, services
from linkage.accounts import Account
from linkage.choices import LinkageKind, ProposalOrigin, ProposalState
from linkage.events import listen, stop_listening
from linkage.models import Linkage
from linkage.proposals import (
    FINAL,
    STAGE_DATES,
    TRANSITIONS,
    IllegalTransition,
    WrongParty,
    allowed_next,
    decide,
)
from tests.factories import (
    BuyerFactory,
    ProducerFactory,
    ProductFactory,
    SourcingRequestFactory,
    StoreFactory,
    UserFactory,
)

STATES = list(ProposalState.values)
SIDES = ["producer", "buyer"]


def test_every_step_has_a_party_and_final_states_lead_nowhere():
    assert all(
        party in {"receiver", "proposer", "either", "buyer"} for party in TRANSITIONS.values()
    )
    assert all(allowed_next(state) == [] for state in FINAL)
    assert set(STAGE_DATES) == set(STATES) - {"proposed"}


def test_a_buyer_cannot_accept_its_own_proposal():
    with pytest.raises(WrongParty):
        decide("proposed", "accepted", proposed_by="buyer", sides={"buyer"})
    assert decide("proposed", "accepted", proposed_by="buyer", sides={"producer"}) == "producer"


def test_an_account_on_both_sides_does_not_answer_itself():
    with pytest.raises(WrongParty):
        decide("proposed", "accepted", proposed_by="producer", sides={"producer", "buyer"})


def test_only_the_buyer_marks_trading():
    with pytest.raises(WrongParty):
        decide("accepted", "trading", proposed_by="producer", sides={"producer"})
    assert decide("mou_signed", "trading", proposed_by="producer", sides={"buyer"}) == "buyer"


def test_a_step_outside_the_table_is_illegal_even_for_planners():
    with pytest.raises(IllegalTransition):
        decide("proposed", "trading", proposed_by="producer", sides=set(), planner=True)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    proposed_by=st.sampled_from(SIDES),
    steps=st.lists(
        st.tuples(
            st.sampled_from(STATES),
            st.sets(st.sampled_from(SIDES)),
            st.booleans(),
        ),
        max_size=12,
    ),
)
def test_any_sequence_of_steps_keeps_the_invariants(proposed_by, steps):
    state, history, dates = "proposed", ["proposed"], {}
    for day, (to, sides, planner) in enumerate(steps, start=1):
        try:
            by = decide(state, to, proposed_by=proposed_by, sides=sides, planner=planner)
        except (IllegalTransition, WrongParty):
            continue
        # Only steps of the table, never out of a final state, each by a party it belongs to.
        assert (state, to) in TRANSITIONS and state not in FINAL
        party = TRANSITIONS[state, to]
        if not planner:
            assert by in sides
            if party == "receiver":
                assert proposed_by not in sides
            if party == "proposer":
                assert by == proposed_by
            if party == "buyer":
                assert by == "buyer"
        state = to
        history.append(to)
        dates[STAGE_DATES[to]] = day
    assert len(set(history)) == len(history), "no state is reached twice"
    assert all(later not in ("proposed",) for later in history[1:])
    if "trading" in history:
        assert "accepted" in history and history.index("accepted") < history.index("trading")
    assert state in STATES
    # A stage's date is set exactly when the stage was reached.
    for stage, field in STAGE_DATES.items():
        reached = any(STAGE_DATES[s] == field for s in history[1:])
        assert (field in dates) == reached, stage


@pytest.fixture
def pair(db):
    producer_user, buyer_user = UserFactory(username="coop"), UserFactory(username="chain")
    producer = ProducerFactory(owner=producer_user)
    product = ProductFactory(producer=producer)
    buyer = BuyerFactory(owner=buyer_user)
    return {
        "producer": Account.of_user(producer_user),
        "buyer": Account.of_user(buyer_user),
        "stranger": Account.of_user(UserFactory(username="nobody")),
        "product": product,
        "outlet": buyer,
    }


def _planner():
    user = UserFactory(username="plan")
    user.groups.add(Group.objects.get_or_create(name="planners")[0])
    return Account.of_user(user)


def test_trading_creates_the_sales_linkage_and_moves_the_registry_on(pair):
    proposal = services.proposal_create(
        actor=pair["producer"], product=pair["product"], buyer=pair["outlet"]
    )
    assert proposal.proposed_by == "producer"
    services.proposal_transition(actor=pair["buyer"], proposal=proposal, to="accepted")
    services.proposal_transition(actor=pair["producer"], proposal=proposal, to="mou_signed")
    before = graph_cache.current_version()
    proposal = services.proposal_transition(actor=pair["buyer"], proposal=proposal, to="trading")
    assert graph_cache.current_version() != before
    linkage = Linkage.objects.get(kind=LinkageKind.SELLS_TO, product=pair["product"])
    assert linkage.target_buyer == pair["outlet"] and linkage.ended_on is None
    assert proposal.linkage == linkage and proposal.trading_on is not None

    before = graph_cache.current_version()
    proposal = services.proposal_transition(actor=pair["producer"], proposal=proposal, to="ended")
    linkage.refresh_from_db()
    assert linkage.ended_on is not None and proposal.ended_on is not None
    assert graph_cache.current_version() != before
    states = [(e.from_state, e.to_state, e.by) for e in proposal.events.all()]
    assert states == [
        ("", "proposed", "producer"),
        ("proposed", "accepted", "buyer"),
        ("accepted", "mou_signed", "producer"),
        ("mou_signed", "trading", "buyer"),
        ("trading", "ended", "producer"),
    ]


def test_trading_reactivates_an_ended_linkage(pair):
    product, outlet = pair["product"], pair["outlet"]
    old = services.linkage_create(
        actor=None,
        kind=LinkageKind.SELLS_TO,
        source_producer=product.producer,
        target_buyer=outlet,
        product=product,
        started_on=product.rated_on,
        ended_on=product.rated_on,
    )
    proposal = services.proposal_create(actor=pair["buyer"], product=product, buyer=outlet)
    services.proposal_transition(actor=pair["producer"], proposal=proposal, to="accepted")
    services.proposal_transition(actor=pair["buyer"], proposal=proposal, to="trading")
    old.refresh_from_db()
    assert old.ended_on is None
    assert Linkage.objects.filter(kind=LinkageKind.SELLS_TO).count() == 1


def test_events_carry_what_notifications_rely_on(pair, django_capture_on_commit_callbacks):
    heard = []
    listen("proposal.created", heard.append)
    listen("proposal.state_changed", heard.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            proposal = services.proposal_create(
                actor=pair["producer"], product=pair["product"], buyer=pair["outlet"]
            )
            services.proposal_transition(actor=pair["buyer"], proposal=proposal, to="declined")
    finally:
        stop_listening("proposal.created", heard.append)
        stop_listening("proposal.state_changed", heard.append)
    created, changed = heard
    common = {
        "id": proposal.pk,
        "product": pair["product"].code,
        "producer": pair["product"].producer.code,
        "buyer": pair["outlet"].code,
    }
    assert created.code == str(proposal.pk)
    assert created.data == {**common, "proposed_by": "producer", "state": "proposed"}
    assert changed.data == {**common, "from": "proposed", "to": "declined", "by": "buyer"}


def test_a_second_open_proposal_of_the_same_pair_is_refused(pair):
    services.proposal_create(actor=pair["producer"], product=pair["product"], buyer=pair["outlet"])
    with pytest.raises(services.WriteRefused):
        services.proposal_create(
            actor=_planner(), product=pair["product"], buyer=pair["outlet"], proposed_by="buyer"
        )


def test_a_stranger_cannot_propose(pair):
    with pytest.raises(services.WriteForbidden):
        services.proposal_create(
            actor=pair["stranger"], product=pair["product"], buyer=pair["outlet"]
        )


def test_a_chain_account_acts_for_its_stores(db):
    user = UserFactory(username="aeon")
    store = StoreFactory()
    store.chain.owner = user
    store.chain.save()
    product = ProductFactory()
    proposal = services.proposal_create(
        actor=None, product=product, buyer=store, proposed_by="producer"
    )
    accepted = services.proposal_transition(
        actor=Account.of_user(user), proposal=proposal, to="accepted"
    )
    assert accepted.state == "accepted"


def test_allocation_lines_become_proposals_from_the_buyer(pair):
    request = SourcingRequestFactory(buyer=pair["outlet"])
    made = services.proposals_from_allocation(
        actor=pair["buyer"], lines=[{"sourcing_request": request, "product": pair["product"]}]
    )
    assert [(p.origin, p.proposed_by, p.sourcing_request) for p in made] == [
        (ProposalOrigin.ALLOCATION, "buyer", request)
    ]


def test_allocation_lines_of_another_buyer_are_refused(pair):
    request = SourcingRequestFactory()
    with pytest.raises(services.WriteForbidden) as refused:
        services.proposals_from_allocation(
            actor=pair["buyer"], lines=[{"sourcing_request": request, "product": pair["product"]}]
        )
    assert refused.value.errors["lines"][0].startswith("0: ")
