"""POST /api/v1/allocations/ and GET /api/v1/jobs/<id>/."""

import pytest

from linkage.choices import RequestStatus
from linkage.matching import NO_ELIGIBLE_SUPPLY
from tests.api.conftest import client_for
from tests.factories import BuyerFactory, ProductFactory, SourcingRequestFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/allocations/"


@pytest.fixture
def registry():
    buyer = BuyerFactory(lat=21.0, lon=105.8)
    SourcingRequestFactory(code="YC1", buyer=buyer, quantity_per_month=600)
    SourcingRequestFactory(code="YC2", buyer=buyer, quantity_per_month=600)
    SourcingRequestFactory(code="YC3", buyer=buyer, category="herbal")
    SourcingRequestFactory(code="YC4", status=RequestStatus.CLOSED)
    ProductFactory(code="SP1", capacity_per_month=1000)


@pytest.fixture
def runner(planner):
    """The account that runs allocations in most tests: a planner."""
    return planner


def test_allocation_needs_an_account(anonymous, registry):
    assert anonymous.post(URL, {}, format="json").status_code in (401, 403)


def test_an_account_without_a_role_may_not_run_an_allocation(registry):
    client = client_for(UserFactory(username="nobody"))
    assert client.post(URL, {}, format="json").status_code == 403


def test_a_buyer_account_may_run_an_allocation(buyer_accounts, registry):
    response = buyer_accounts[0]["client"].post(URL, {}, format="json")
    assert response.status_code == 200


def test_allocation_of_all_open_requests_answers_inline(runner, registry):
    response = runner.post(URL, {}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert [r["code"] for r in body["requests"]] == ["YC1", "YC2", "YC3"]
    assert body["served"] == 1000
    assert body["demand"] == 1700
    assert body["requests"][2]["reason"] == NO_ELIGIBLE_SUPPLY
    assert set(body) >= {"cost", "unmet", "eligible_pairs", "today"}


def test_allocation_reads_in_a_few_queries(runner, registry, django_assert_max_num_queries):
    # Three load the account's rights; then one checks the codes and two read the rows.
    with django_assert_max_num_queries(6):
        assert runner.post(URL, {"requests": ["YC1", "YC2"]}, format="json").status_code == 200


def test_allocation_of_listed_requests_only(runner, registry):
    body = runner.post(URL, {"requests": ["YC2"]}, format="json").json()
    assert [r["code"] for r in body["requests"]] == ["YC2"]
    assert body["served"] == 600


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({"requests": "YC1"}, "requests", "list"),
        ({"requests": []}, "requests", "empty"),
        ({"requests": ["NOPE"]}, "requests", "NOPE"),
        ({"requests": ["YC4"]}, "requests", "not open"),
        ({"requests": [{"code": "YC1"}]}, "requests", "string"),
        ({"async": "sometimes"}, "async", "boolean"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(runner, registry, payload, field, words):
    response = runner.post(URL, payload, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert words.lower() in str(response.json()[field]).lower()


def test_a_body_that_is_not_an_object_is_a_400(runner, registry):
    response = runner.post(URL, ["YC1"], format="json")
    assert response.status_code == 400


def test_an_async_allocation_answers_202_and_its_job_has_the_result(runner, registry):
    response = runner.post(URL, {"async": True}, format="json")
    assert response.status_code == 202
    body = response.json()
    assert body["status_url"].endswith(f"/api/v1/jobs/{body['job_id']}/")
    job = runner.get(body["status_url"]).json()
    assert job["status"] == "finished"
    assert job["error"] is None
    inline = runner.post(URL, {}, format="json").json()
    assert job["result"] == inline


def test_an_unknown_job_is_a_404(anonymous):
    assert anonymous.get("/api/v1/jobs/0123abcd/").status_code == 404
    assert anonymous.get("/api/v1/jobs/not%20a%20job/").status_code == 404


def test_a_stored_request_too_large_to_count_is_a_400_naming_it(runner, registry):
    # Written straight to the database, past the serializer's limit: the solver's integers used
    # to overflow with a 500.
    SourcingRequestFactory(code="YC-HUGE", quantity_per_month=1e308)
    response = runner.post(URL, {}, format="json")
    assert response.status_code == 400
    assert "YC-HUGE" in str(response.json()["requests"])
    assert runner.post(URL, {"requests": ["YC1"]}, format="json").status_code == 200


def test_a_product_with_a_huge_capacity_serves_what_is_asked(runner, registry):
    ProductFactory(code="SP-HUGE", capacity_per_month=1e308)
    response = runner.post(URL, {}, format="json")
    assert response.status_code == 200
    assert response.json()["served"] == 1200
