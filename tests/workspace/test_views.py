"""The workspaces over the test client: who sees which page, and each action through them."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from linkage import services
from linkage.accounts import Account
from linkage.models import Linkage, Proposal, SourcingRequest
from tests.factories import (
    BuyerFactory,
    ChainFactory,
    ProducerFactory,
    ProductFactory,
    SourcingRequestFactory,
    StoreFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world():
    coop, mart = UserFactory(username="coop"), UserFactory(username="mart")
    producer = ProducerFactory(owner=coop, name="HTX Rau sạch")
    product = ProductFactory(producer=producer, name="Gạo nếp cái hoa vàng")
    chain = ChainFactory(owner=mart, name="Chuỗi Xanh", categories="food")
    store = StoreFactory(chain=chain, name="Cửa hàng Cầu Giấy", lat=21.03, lon=105.8)
    planner = UserFactory(username="plan")
    planner.groups.add(Group.objects.get_or_create(name="planners")[0])
    return {
        "coop": coop,
        "mart": mart,
        "planner": planner,
        "product": product,
        "chain": chain,
        "store": store,
    }


def _account(user):
    return Account.of_user(user)


@pytest.mark.parametrize(
    "url", ["/workspace/", "/workspace/proposals/", "/workspace/requests/new/"]
)
def test_anonymous_readers_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/workspace/login/?next=")


def test_anonymous_writes_are_sent_to_sign_in(client, world):
    response = client.post("/workspace/propose/", {"product": world["product"].code})
    assert response.status_code == 302 and "/workspace/login/" in response["Location"]
    assert not Proposal.objects.exists()


def test_sign_in_with_the_account_and_password_opens_the_workspace(world):
    client = Client()
    page = client.get("/workspace/login/")
    assert page.status_code == 200 and 'name="csrfmiddlewaretoken"' in page.content.decode()
    response = client.post("/workspace/login/", {"username": "coop", "password": "secret-password"})
    assert response.status_code == 302 and response["Location"] == "/workspace/"
    assert "Gạo nếp cái hoa vàng" in client.get("/workspace/").content.decode()
    assert client.post("/workspace/logout/").status_code == 302
    assert client.get("/workspace/").status_code == 302


def test_a_wrong_password_is_said_on_the_page(world):
    response = Client().post("/workspace/login/", {"username": "coop", "password": "nope"})
    assert response.status_code == 200
    assert 'id="login-error"' in response.content.decode()


def test_the_cooperative_sees_its_products_outlets_and_requests(world):
    SourcingRequestFactory(buyer=world["store"], code="YC-RICE", min_stars=3)
    SourcingRequestFactory(buyer=world["store"], code="YC-TOO-HIGH", min_stars=5)
    html = signed_in(world["coop"]).get("/workspace/").content.decode()
    assert 'id="producer-workspace"' in html and 'id="buyer-workspace"' not in html
    assert "Gạo nếp cái hoa vàng" in html
    assert 'data-buyer="' + world["store"].code + '"' in html
    assert "YC-RICE" in html and "YC-TOO-HIGH" not in html


def test_the_cooperative_proposes_from_a_recommendation(world):
    client = signed_in(world["coop"])
    response = client.post(
        "/workspace/propose/",
        {"product": world["product"].code, "buyer": world["store"].code},
    )
    assert response.status_code == 302 and response["Location"] == "/workspace/"
    proposal = Proposal.objects.get()
    assert (proposal.proposed_by, proposal.origin) == ("producer", "recommendation")
    html = client.get("/workspace/").content.decode()
    assert f'id="proposal-{proposal.pk}"' in html
    assert 'data-to="withdrawn"' in html and 'data-to="accepted"' not in html


def test_a_second_open_proposal_is_one_clear_message_not_an_error(world):
    client = signed_in(world["coop"])
    data = {"product": world["product"].code, "buyer": world["store"].code}
    client.post("/workspace/propose/", data)
    response = client.post("/workspace/propose/", data, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="message error"') == 1
    assert Proposal.objects.count() == 1


def test_the_chain_accepts_signs_and_trades_and_the_linkage_exists(world):
    proposal = services.proposal_create(
        actor=_account(world["coop"]), product=world["product"], buyer=world["store"]
    )
    client = signed_in(world["mart"])
    html = client.get("/workspace/").content.decode()
    assert 'id="buyer-workspace"' in html and 'data-to="accepted"' in html
    for step in ("accepted", "mou_signed", "trading"):
        response = client.post(f"/workspace/proposals/{proposal.pk}/move/", {"to": step})
        assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.state == "trading"
    linkage = Linkage.objects.get(pk=proposal.linkage_id)
    assert linkage.target_buyer == world["store"] and linkage.ended_on is None


def test_a_producer_cannot_act_on_the_chains_side_of_a_proposal(world):
    proposal = services.proposal_create(
        actor=_account(world["mart"]), product=world["product"], buyer=world["store"]
    )
    coop = signed_in(world["coop"])
    response = coop.post(
        f"/workspace/proposals/{proposal.pk}/move/", {"to": "withdrawn"}, follow=True
    )
    assert response.status_code == 200
    assert response.content.decode().count('class="message error"') == 1
    proposal.refresh_from_db()
    assert proposal.state == "proposed"
    services.proposal_transition(actor=_account(world["coop"]), proposal=proposal, to="accepted")
    coop.post(f"/workspace/proposals/{proposal.pk}/move/", {"to": "trading"})
    proposal.refresh_from_db()
    assert proposal.state == "accepted"


def test_a_stranger_can_move_no_proposal(world):
    proposal = services.proposal_create(
        actor=_account(world["coop"]), product=world["product"], buyer=world["store"]
    )
    stranger = signed_in(UserFactory(username="stranger"))
    stranger.post(f"/workspace/proposals/{proposal.pk}/move/", {"to": "accepted"})
    proposal.refresh_from_db()
    assert proposal.state == "proposed"
    assert stranger.get("/workspace/proposals/").status_code == 403


def test_a_step_outside_the_table_is_a_message(world):
    proposal = services.proposal_create(
        actor=_account(world["coop"]), product=world["product"], buyer=world["store"]
    )
    response = signed_in(world["mart"]).post(
        f"/workspace/proposals/{proposal.pk}/move/", {"to": "nonsense"}, follow=True
    )
    assert response.status_code == 200
    assert 'class="message error"' in response.content.decode()


def test_the_chain_creates_edits_and_closes_a_request_with_a_generated_code(world):
    client = signed_in(world["mart"])
    assert client.get("/workspace/requests/new/").status_code == 200
    response = client.post(
        "/workspace/requests/new/",
        {
            "buyer": world["store"].pk,
            "category": "food",
            "min_stars": 3,
            "quantity_per_month": 200,
            "max_distance_km": 30,
        },
    )
    assert response.status_code == 302
    request = SourcingRequest.objects.get()
    assert request.code.startswith("YC-") and request.buyer == world["store"]
    html = client.get("/workspace/").content.decode()
    assert f'id="request-{request.code}"' in html
    assert f'data-product="{world["product"].code}"' in html
    response = client.post(
        f"/workspace/requests/{request.pk}/",
        {"buyer": world["store"].pk, "category": "food", "quantity_per_month": 900},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.quantity_per_month == 900 and request.min_stars is None
    client.post(f"/workspace/requests/{request.pk}/close/")
    request.refresh_from_db()
    assert request.status == "closed"


def test_the_chain_proposes_from_its_shortlist(world):
    request = SourcingRequestFactory(buyer=world["store"], code="YC-1")
    response = signed_in(world["mart"]).post(
        "/workspace/propose/",
        {
            "product": world["product"].code,
            "buyer": world["store"].code,
            "sourcing_request": "YC-1",
        },
    )
    assert response.status_code == 302
    proposal = Proposal.objects.get()
    assert (proposal.proposed_by, proposal.sourcing_request) == ("buyer", request)


def test_a_producer_cannot_write_a_chains_request(world):
    request = SourcingRequestFactory(buyer=world["store"], code="YC-2")
    coop = signed_in(world["coop"])
    assert coop.get(f"/workspace/requests/{request.pk}/").status_code == 403
    response = coop.post(f"/workspace/requests/{request.pk}/close/", follow=True)
    assert response.status_code == 200
    request.refresh_from_db()
    assert request.status == "open"


def test_another_chain_cannot_open_a_request_it_does_not_own(world):
    other = UserFactory(username="other-chain")
    BuyerFactory(owner=other)
    request = SourcingRequestFactory(buyer=world["store"], code="YC-3")
    assert signed_in(other).get(f"/workspace/requests/{request.pk}/").status_code == 404


def test_planners_list_every_proposal_with_the_funnel(world):
    services.proposal_create(
        actor=_account(world["coop"]), product=world["product"], buyer=world["store"]
    )
    response = signed_in(world["planner"]).get("/workspace/proposals/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/api/v1/analytics/statistics/funnel/" in html
    assert "Gạo nếp cái hoa vàng" in html
    assert signed_in(world["coop"]).get("/workspace/proposals/").status_code == 403


def test_writes_need_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["coop"])
    response = client.post(
        "/workspace/propose/", {"product": world["product"].code, "buyer": world["store"].code}
    )
    assert response.status_code == 403
    assert not Proposal.objects.exists()


def test_the_pages_speak_english_to_an_english_browser(world):
    client = signed_in(world["coop"])
    english = client.get("/workspace/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    vietnamese = client.get("/workspace/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "My products" in english
    assert "Sản phẩm của tôi" in vietnamese


def test_repeated_failed_sign_ins_lock_the_account_out(world, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(3):
        client.post("/workspace/login/", {"username": "coop", "password": "wrong"})
    response = client.post("/workspace/login/", {"username": "coop", "password": "secret-password"})
    assert response.status_code == 429
    assert client.get("/workspace/").status_code == 302


def test_the_proposals_page_reads_in_a_few_queries_whatever_their_number(
    world, django_assert_max_num_queries
):
    coop = _account(world["coop"])
    for _ in range(6):
        store = StoreFactory(chain=world["chain"])
        services.proposal_create(actor=coop, product=world["product"], buyer=store)
    client = signed_in(world["planner"])
    with django_assert_max_num_queries(12):
        response = client.get("/workspace/proposals/")
    assert response.content.decode().count('id="proposal-') == 6


def test_a_households_name_is_withheld_from_the_chain_as_in_the_api(world):
    """A household business is a family: the chain it proposes to reads "name withheld", as the
    API answers buyers; the household's own account and planners read its name."""
    family = UserFactory(username="family")
    household = ProducerFactory(owner=family, kind="household", name="Hộ kinh doanh Lê Thị Hoa")
    honey = ProductFactory(producer=household, name="Mật ong rừng")
    services.proposal_create(actor=_account(family), product=honey, buyer=world["store"])
    chain_page = signed_in(world["mart"]).get("/workspace/").content.decode()
    assert "Mật ong rừng" in chain_page
    assert "Lê Thị Hoa" not in chain_page and "ẩn tên" in chain_page
    assert "Lê Thị Hoa" in signed_in(family).get("/workspace/").content.decode()
    assert "Lê Thị Hoa" in signed_in(world["planner"]).get("/workspace/proposals/").content.decode()
