"""Proposals over HTTP: who sees them, who moves them, and the answers of a refusal."""

import pytest
from django.contrib.auth.models import Group

from linkage import graph_cache, services
from linkage.models import Linkage, Proposal
from linkage.proposals import TRANSITIONS
from tests.api.conftest import client_for
from tests.factories import (
    BuyerFactory,
    ProducerFactory,
    ProductFactory,
    SourcingRequestFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# The path from "proposed" to each state a step may start from, taken by the system.
PATHS = {
    "proposed": [],
    "accepted": ["accepted"],
    "mou_signed": ["accepted", "mou_signed"],
    "trading": ["accepted", "trading"],
}


@pytest.fixture
def parties():
    producer_user, buyer_user = UserFactory(username="coop"), UserFactory(username="mart")
    product = ProductFactory(producer=ProducerFactory(owner=producer_user))
    outlet = BuyerFactory(owner=buyer_user)
    planner = UserFactory(username="plan")
    planner.groups.add(Group.objects.get_or_create(name="planners")[0])
    return {
        "product": product,
        "outlet": outlet,
        "producer": client_for(producer_user),
        "buyer": client_for(buyer_user),
        "stranger": client_for(UserFactory(username="stranger")),
        "planner": client_for(planner),
        "anonymous": client_for(None),
    }


def _proposal_in(parties, state, proposed_by):
    proposal = services.proposal_create(
        actor=None, product=parties["product"], buyer=parties["outlet"], proposed_by=proposed_by
    )
    for step in PATHS[state]:
        proposal = services.proposal_transition(actor=None, proposal=proposal, to=step)
    return proposal


def _expected(party, proposed_by, actor):
    if actor == "planner":
        return 200
    if actor == "anonymous":
        return 401
    if actor == "stranger":
        return 404
    receiver = "buyer" if proposed_by == "producer" else "producer"
    allowed = {
        "receiver": actor == receiver,
        "proposer": actor == proposed_by,
        "buyer": actor == "buyer",
        "either": True,
    }[party]
    return 200 if allowed else 403


@pytest.mark.parametrize("actor", ["producer", "buyer", "planner", "stranger", "anonymous"])
@pytest.mark.parametrize("proposed_by", ["producer", "buyer"])
@pytest.mark.parametrize(("start", "to"), list(TRANSITIONS))
def test_every_transition_only_by_its_party(parties, start, to, proposed_by, actor):
    proposal = _proposal_in(parties, start, proposed_by)
    answer = parties[actor].post(
        f"/api/v1/proposals/{proposal.pk}/transition/", {"to": to, "note": "ok"}, format="json"
    )
    expected = _expected(TRANSITIONS[start, to], proposed_by, actor)
    assert answer.status_code in ((401, 403) if expected == 401 else (expected,)), answer.json()
    proposal.refresh_from_db()
    assert proposal.state == (to if expected == 200 else start)
    if expected == 403:
        assert list(answer.json()) == ["to"]


def test_an_illegal_transition_answers_400_naming_to(parties):
    proposal = _proposal_in(parties, "proposed", "producer")
    answer = parties["buyer"].post(
        f"/api/v1/proposals/{proposal.pk}/transition/", {"to": "trading"}, format="json"
    )
    assert answer.status_code == 400
    assert "accepted" in answer.json()["to"][0]
    answer = parties["planner"].post(
        f"/api/v1/proposals/{proposal.pk}/transition/", {"to": "sold"}, format="json"
    )
    assert answer.status_code == 400 and "to" in answer.json()


def test_each_side_lists_its_own_proposals(parties, django_assert_max_num_queries):
    mine = _proposal_in(parties, "proposed", "producer")
    other = services.proposal_create(
        actor=None, product=ProductFactory(), buyer=BuyerFactory(), proposed_by="producer"
    )
    for actor, expected in [
        ("producer", {mine.pk}),
        ("buyer", {mine.pk}),
        ("stranger", set()),
        ("planner", {mine.pk, other.pk}),
    ]:
        with django_assert_max_num_queries(8):
            answer = parties[actor].get("/api/v1/proposals/")
        assert {row["id"] for row in answer.json()["results"]} == expected, actor
    assert parties["anonymous"].get("/api/v1/proposals/").status_code in (401, 403)
    assert parties["stranger"].get(f"/api/v1/proposals/{mine.pk}/").status_code == 404


def test_a_producer_proposes_and_the_buyer_takes_it_to_trading(parties):
    answer = parties["producer"].post(
        "/api/v1/proposals/",
        {"product": parties["product"].code, "buyer": parties["outlet"].code, "note": "Mẫu"},
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    proposal = answer.json()
    assert proposal["proposed_by"] == "producer" and proposal["state"] == "proposed"
    url = f"/api/v1/proposals/{proposal['id']}/transition/"
    assert parties["buyer"].post(url, {"to": "accepted"}, format="json").status_code == 200
    before = graph_cache.current_version()
    answer = parties["buyer"].post(url, {"to": "trading"}, format="json")
    assert answer.status_code == 200
    assert graph_cache.current_version() != before
    linkage = Linkage.objects.get(pk=answer.json()["linkage"])
    assert (linkage.kind, linkage.target_buyer_id) == ("sells_to", parties["outlet"].pk)
    detail = parties["producer"].get(f"/api/v1/proposals/{proposal['id']}/").json()
    assert [(e["from_state"], e["to_state"], e["by"]) for e in detail["events"]] == [
        (None, "proposed", "producer"),
        ("proposed", "accepted", "buyer"),
        ("accepted", "trading", "buyer"),
    ]
    assert parties["producer"].post(url, {"to": "ended"}, format="json").status_code == 200
    linkage.refresh_from_db()
    assert linkage.ended_on is not None


def test_a_stranger_may_not_propose(parties):
    answer = parties["stranger"].post(
        "/api/v1/proposals/",
        {"product": parties["product"].code, "buyer": parties["outlet"].code},
        format="json",
    )
    assert answer.status_code == 403


def test_allocation_lines_become_proposals(parties):
    request = SourcingRequestFactory(buyer=parties["outlet"])
    answer = parties["buyer"].post(
        "/api/v1/proposals/from-allocation/",
        {"lines": [{"request": request.code, "product": parties["product"].code}]},
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    (made,) = answer.json()
    assert (made["origin"], made["proposed_by"], made["sourcing_request"]) == (
        "allocation",
        "buyer",
        request.code,
    )
    # The producer side receives it and answers it.
    url = f"/api/v1/proposals/{made['id']}/transition/"
    assert parties["buyer"].post(url, {"to": "accepted"}, format="json").status_code == 403
    assert parties["producer"].post(url, {"to": "accepted"}, format="json").status_code == 200


def test_allocation_lines_of_another_buyer_are_refused(parties):
    request = SourcingRequestFactory()
    answer = parties["buyer"].post(
        "/api/v1/proposals/from-allocation/",
        {"lines": [{"request": request.code, "product": parties["product"].code}]},
        format="json",
    )
    assert answer.status_code == 403
    assert answer.json()["lines"][0].startswith("0: ")
    assert not Proposal.objects.exists()


def test_the_proposals_download_is_for_planners(parties):
    _proposal_in(parties, "proposed", "producer")
    assert parties["stranger"].get("/api/v1/export/proposals.csv").status_code == 403
    assert parties["producer"].get("/api/v1/export/proposals.xlsx").status_code == 403
    answer = parties["planner"].get("/api/v1/export/proposals.csv")
    assert answer.status_code == 200
    assert parties["product"].code.encode() in b"".join(answer.streaming_content)
