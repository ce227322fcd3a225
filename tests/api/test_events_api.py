"""Trade-connection events over HTTP: planners create and schedule, participants read their own
meetings, meetings are marked and become proposals."""

import datetime as dt
import io

import openpyxl
import pytest

from events.models import Meeting
from events.scheduling import Instance, check
from events.scheduling import Meeting as Slotted
from linkage import graph_cache
from linkage.choices import Category, ProposalOrigin
from linkage.models import Proposal
from tests.factories import (
    BuyerFactory,
    ChainFactory,
    ProducerFactory,
    ProductFactory,
    StoreFactory,
    UserFactory,
)

from .conftest import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/"


@pytest.fixture(autouse=True)
def _fresh_snapshot():
    graph_cache.reset()
    yield
    graph_cache.reset()


@pytest.fixture
def fair():
    """Six food producers (one owned by an account, one with a handicraft product only), a sales
    point of its own account and a chain's store, the chain owned by another account."""
    producer_user, chain_user = UserFactory(username="coop"), UserFactory(username="chain")
    producers = []
    for i in range(6):
        producer = ProducerFactory(
            code=f"HTX{i}", owner=producer_user if i == 0 else None, lat=21.0 + i / 100
        )
        ProductFactory(
            code=f"SP{i}",
            producer=producer,
            category=Category.HANDICRAFT if i == 5 else Category.FOOD,
        )
        producers.append(producer)
    point = BuyerFactory(code="DB1", categories="food")
    chain = ChainFactory(code="CHUOI", owner=chain_user, categories="food")
    store = StoreFactory(code="CH1", chain=chain)
    return {
        "producers": producers,
        "point": point,
        "store": store,
        "coop": client_for(producer_user),
        "chain": client_for(chain_user),
    }


def _body(**extra):
    return {
        "code": "KNGT-2026",
        "name": "Kết nối giao thương OCOP Hà Nội",
        "place": "Cung Văn hóa Hữu nghị",
        "held_on": "2026-12-10",
        "starts_at": "08:30",
        "slot_minutes": 20,
        "slot_count": 3,
        "buyers": [{"buyer": "DB1", "tables": 1}, {"buyer": "CH1", "tables": 2, "slots": [2, 3]}],
        "producers": [{"producer": f"HTX{i}"} for i in range(6)],
        **extra,
    }


def _scheduled(planner):
    assert planner.post(URL, _body(), format="json").status_code == 201
    answer = planner.post(f"{URL}KNGT-2026/schedule/", {}, format="json")
    assert answer.status_code == 200, answer.data
    return answer.data


def test_a_planner_creates_an_event_with_its_participants(planner, fair):
    answer = planner.post(URL, _body(), format="json")
    assert answer.status_code == 201, answer.data
    got = planner.get(f"{URL}KNGT-2026/").data
    assert [b["buyer"] for b in got["buyers"]] == ["CH1", "DB1"]
    assert got["buyers"][0]["slots"] == [2, 3]
    assert len(got["producers"]) == 6
    assert got["scheduled_at"] is None
    assert got["starts_at"] == "08:30"


def test_only_planners_create_events(fair):
    assert fair["coop"].post(URL, _body(), format="json").status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"buyers": [{"buyer": "NOPE"}]}, "buyers"),
        ({"producers": [{"producer": "HTX1"}, {"producer": "HTX1"}]}, "producers"),
        ({"buyers": [{"buyer": "DB1", "slots": [4]}]}, "buyers"),
        ({"slot_count": 0}, "slot_count"),
        ({"starts_at": "23:00", "slot_count": 4}, "slot_count"),
        ({"starts_at": "8h30"}, "starts_at"),
        ({"code": "A B"}, "code"),
    ],
)
def test_bad_participants_and_fields_answer_400_naming_the_field(planner, fair, change, field):
    answer = planner.post(URL, _body(**change), format="json")
    assert answer.status_code == 400
    assert field in answer.data


def test_the_schedule_keeps_every_rule_and_meets_every_producer_it_can(planner, fair):
    schedule = _scheduled(planner)
    meetings = schedule["meetings"]
    assert schedule["method"] == "flow" and schedule["optimal"] is True
    # HTX5 makes only handicraft, which neither buyer takes: it cannot be met, and is named.
    assert schedule["producers_without_meeting"] == ["HTX5"]
    assert {m["producer"]["code"] for m in meetings} == {f"HTX{i}" for i in range(5)}
    instance = Instance(
        slots=3,
        producers=[f"HTX{i}" for i in range(6)],
        buyers=["DB1", "CH1"],
        scores={(m["producer"]["code"], m["buyer"]["code"]): m["score"] for m in meetings},
        tables={"CH1": 2},
        buyer_slots={"CH1": {1, 2}},
    )
    slotted = [
        Slotted(m["slot"] - 1, m["buyer"]["code"], m["table"], m["producer"]["code"])
        for m in meetings
    ]
    assert check(instance, slotted) == []
    assert meetings[0]["starts_at"] == "08:30" and meetings[0]["ends_at"] == "08:50"
    assert all(m["product"]["code"].startswith("SP") for m in meetings)


def test_participants_read_only_their_own_meetings(planner, fair):
    _scheduled(planner)
    coop = fair["coop"].get(f"{URL}KNGT-2026/schedule/").data
    assert coop["meetings"] and {m["producer"]["code"] for m in coop["meetings"]} == {"HTX0"}
    assert coop["producers_without_meeting"] is None
    chain = fair["chain"].get(f"{URL}KNGT-2026/schedule/").data
    assert chain["meetings"] and {m["buyer"]["code"] for m in chain["meetings"]} == {"CH1"}
    # The cooperative sees its own entry among the producers, every buyer.
    event = fair["coop"].get(f"{URL}KNGT-2026/").data
    assert [p["producer"] for p in event["producers"]] == ["HTX0"]


def test_an_account_not_taking_part_does_not_see_the_event(planner, fair, stranger, anonymous):
    _scheduled(planner)
    assert stranger.get(f"{URL}KNGT-2026/").status_code == 404
    assert stranger.get(URL).data["results"] == []
    assert anonymous.get(URL).status_code == 401


def test_the_schedule_downloads_as_a_workbook_of_meetings_and_tables(planner, fair):
    schedule = _scheduled(planner)
    answer = planner.get(f"{URL}KNGT-2026/schedule/?format=xlsx")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    meetings, grid = book.worksheets
    assert meetings.max_row == 1 + schedule["count"]
    # A row per slot under the header; a column per table of each buyer (1 + 2) after two.
    assert grid.max_row == 4 and grid.max_column == 2 + 3


def test_reading_the_schedule_takes_a_bounded_number_of_queries(
    planner, fair, django_assert_max_num_queries
):
    _scheduled(planner)
    with django_assert_max_num_queries(12):
        assert planner.get(f"{URL}KNGT-2026/schedule/").status_code == 200


def test_the_list_of_events_takes_a_bounded_number_of_queries(
    planner, fair, django_assert_max_num_queries
):
    for n in range(5):
        assert planner.post(URL, _body(code=f"KNGT-{n}"), format="json").status_code == 201
    with django_assert_max_num_queries(8):
        listed = planner.get(URL)
    assert listed.data["count"] == 5
    assert all(len(e["producers"]) == 6 for e in listed.data["results"])


def test_a_held_meeting_becomes_a_proposal_once(planner, fair):
    _scheduled(planner)
    meeting = fair["coop"].get(f"{URL}KNGT-2026/schedule/").data["meetings"][0]
    base = f"{URL}KNGT-2026/meetings/{meeting['id']}/"
    early = fair["coop"].post(f"{base}proposal/", {}, format="json")
    assert early.status_code == 400 and "outcome" in early.data
    marked = fair["coop"].patch(base, {"outcome": "held", "note": "Cần mã vạch"}, format="json")
    assert marked.status_code == 200, marked.data
    assert marked.data["outcome"] == "held" and marked.data["note"] == "Cần mã vạch"
    made = fair["coop"].post(f"{base}proposal/", {}, format="json")
    assert made.status_code == 201, made.data
    proposal = Proposal.objects.get(pk=made.data["id"])
    assert proposal.product.code == meeting["product"]["code"]
    assert proposal.buyer.code == meeting["buyer"]["code"]
    assert proposal.origin == ProposalOrigin.OTHER
    assert proposal.proposed_by == "producer"
    assert "Kết nối giao thương OCOP Hà Nội" in proposal.note
    assert Meeting.objects.get(pk=meeting["id"]).proposal == proposal
    again = fair["coop"].post(f"{base}proposal/", {}, format="json")
    assert again.status_code == 400


def test_meetings_are_marked_by_their_parties_only(planner, fair):
    _scheduled(planner)
    others = [
        m
        for m in planner.get(f"{URL}KNGT-2026/schedule/").data["meetings"]
        if m["producer"]["code"] != "HTX0" and m["buyer"]["code"] != "CH1"
    ]
    url = f"{URL}KNGT-2026/meetings/{others[0]['id']}/"
    assert fair["coop"].patch(url, {"outcome": "held"}, format="json").status_code == 404
    assert planner.patch(url, {"outcome": "maybe"}, format="json").status_code == 400
    assert planner.patch(url, {"outcome": "no_show"}, format="json").status_code == 200


def test_once_a_meeting_is_marked_the_schedule_no_longer_changes(planner, fair):
    schedule = _scheduled(planner)
    first = schedule["meetings"][0]["id"]
    planner.patch(f"{URL}KNGT-2026/meetings/{first}/", {"outcome": "held"}, format="json")
    again = planner.post(f"{URL}KNGT-2026/schedule/", {"method": "greedy"}, format="json")
    assert again.status_code == 400
    changed = planner.patch(
        f"{URL}KNGT-2026/", {"producers": [{"producer": "HTX1"}]}, format="json"
    )
    assert changed.status_code == 400


def test_the_greedy_schedule_is_available_for_comparison(planner, fair):
    _scheduled(planner)
    greedy = planner.post(f"{URL}KNGT-2026/schedule/", {"method": "greedy"}, format="json")
    assert greedy.status_code == 200
    assert greedy.data["method"] == "greedy" and greedy.data["optimal"] is False


def test_changing_the_participants_drops_the_schedule(planner, fair):
    _scheduled(planner)
    changed = planner.patch(
        f"{URL}KNGT-2026/", {"producers": [{"producer": "HTX1"}]}, format="json"
    )
    assert changed.status_code == 200, changed.data
    assert changed.data["meetings"] == 0 and changed.data["scheduled_at"] is None
    assert [p["producer"] for p in changed.data["producers"]] == ["HTX1"]


def test_an_event_day_after_the_rating_expires_leaves_the_product_out(planner, fair):
    late = (dt.date.today() + dt.timedelta(days=3 * 366)).isoformat()
    assert planner.post(URL, _body(held_on=late), format="json").status_code == 201
    answer = planner.post(f"{URL}KNGT-2026/schedule/", {}, format="json")
    assert answer.data["count"] == 0
    assert len(answer.data["producers_without_meeting"]) == 6
