"""Sourcing request deadlines: given over the API, never in the past when written, filtered,
shown overdue once passed, left out of the allocation, carried by import and export."""

import datetime as dt

import pytest

from linkage.exporter import table_frame
from linkage.importing import import_tables
from linkage.models import SourcingRequest
from tests.factories import BuyerFactory, ProductFactory, SourcingRequestFactory, UserFactory

from .conftest import client_for

pytestmark = pytest.mark.django_db

TODAY = dt.date.today


@pytest.fixture
def owner():
    user = UserFactory(username="mart")
    BuyerFactory(code="B-1", owner=user, lat=21.0, lon=105.8)
    return user


def _post(user, **changes):
    body = {"buyer": "B-1", "category": "food", "quantity_per_month": 100, **changes}
    return client_for(user).post("/api/v1/sourcing-requests/", body, format="json")


def test_a_deadline_is_written_and_read_back(owner):
    deadline = TODAY() + dt.timedelta(days=30)
    answer = _post(owner, code="YC-1", deadline=deadline.isoformat())
    assert answer.status_code == 201, answer.json()
    assert answer.json()["deadline"] == deadline.isoformat()
    assert answer.json()["overdue"] is False
    assert SourcingRequest.objects.get().deadline == deadline


def test_a_deadline_in_the_past_answers_400_naming_it(owner):
    answer = _post(owner, code="YC-1", deadline=(TODAY() - dt.timedelta(days=1)).isoformat())
    assert answer.status_code == 400
    assert list(answer.json()) == ["deadline"]
    assert not SourcingRequest.objects.exists()
    assert _post(owner, code="YC-2", deadline="0001-01-01").status_code == 400


def test_a_passed_deadline_kept_unchanged_may_be_saved_again(owner):
    request = SourcingRequestFactory(
        code="YC-OLD", buyer=BuyerFactory._meta.model.objects.get(code="B-1")
    )
    SourcingRequest.objects.filter(pk=request.pk).update(deadline=TODAY() - dt.timedelta(days=3))
    client = client_for(owner)
    read = client.get("/api/v1/sourcing-requests/YC-OLD/").json()
    assert read["overdue"] is True
    answer = client.patch(
        "/api/v1/sourcing-requests/YC-OLD/",
        {"quantity_per_month": 50, "deadline": read["deadline"]},
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    moved = client.patch(
        "/api/v1/sourcing-requests/YC-OLD/",
        {"deadline": (TODAY() - dt.timedelta(days=1)).isoformat()},
        format="json",
    )
    assert moved.status_code == 400 and list(moved.json()) == ["deadline"]


def test_requests_are_filtered_by_deadline_and_overdue(anonymous):
    buyer = BuyerFactory(code="B-2")
    SourcingRequestFactory(code="YC-SOON", buyer=buyer, deadline=TODAY() + dt.timedelta(days=5))
    SourcingRequestFactory(code="YC-LATER", buyer=buyer, deadline=TODAY() + dt.timedelta(days=60))
    SourcingRequestFactory(code="YC-NONE", buyer=buyer)
    SourcingRequestFactory(code="YC-LATE", buyer=buyer, deadline=TODAY() - dt.timedelta(days=2))

    def codes(query):
        answer = anonymous.get(f"/api/v1/sourcing-requests/?{query}")
        assert answer.status_code == 200, answer.json()
        return sorted(row["code"] for row in answer.json()["results"])

    day = (TODAY() + dt.timedelta(days=10)).isoformat()
    assert codes(f"deadline_before={day}") == ["YC-LATE", "YC-SOON"]
    assert codes(f"deadline_after={day}") == ["YC-LATER"]
    assert codes("overdue=true") == ["YC-LATE"]
    assert codes("overdue=false") == ["YC-LATER", "YC-NONE", "YC-SOON"]
    assert anonymous.get("/api/v1/sourcing-requests/?deadline_before=soon").status_code == 400


def test_the_allocation_leaves_out_requests_past_their_deadline(owner):
    buyer = BuyerFactory._meta.model.objects.get(code="B-1")
    ProductFactory()
    SourcingRequestFactory(code="YC-OPEN", buyer=buyer, deadline=TODAY())
    SourcingRequestFactory(code="YC-LATE", buyer=buyer, deadline=TODAY() - dt.timedelta(days=1))
    client = client_for(owner)
    answer = client.post("/api/v1/allocations/", {}, format="json")
    assert answer.status_code == 200, answer.json()
    assert [r["code"] for r in answer.json()["requests"]] == ["YC-OPEN"]
    named = client.post("/api/v1/allocations/", {"requests": ["YC-LATE"]}, format="json")
    assert named.status_code == 400
    assert "YC-LATE" in str(named.json())


def test_the_deadline_travels_through_import_and_export():
    BuyerFactory(code="B-3")
    past = TODAY() - dt.timedelta(days=40)
    row = {
        "code": "YC-FILE",
        "buyer_code": "B-3",
        "category": "food",
        "quantity_per_month": 10,
        "Hạn chót": past.isoformat(),
    }
    report = import_tables({"sourcing_requests": [row]})
    assert not report.errors, report.errors
    # A file carries requests as they were: a past deadline is history, not a mistake.
    assert SourcingRequest.objects.get(code="YC-FILE").deadline == past
    frame = table_frame("sourcing_requests")
    assert "deadline" in frame.columns
    assert str(frame.loc[frame["code"] == "YC-FILE", "deadline"].iloc[0])[:10] == past.isoformat()
    again = import_tables({"sourcing_requests": [row]})
    assert not again.errors
