"""The workspaces' inbox, allocation proposal and webhooks pages, and sourcing request deadlines
on the pages: who may open each, and what each does."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from linkage import services
from linkage.accounts import Account
from linkage.models import Credential, Proposal, SourcingRequest
from notifications.models import Notification, Webhook, WebhookDelivery
from tests.factories import (
    BuyerFactory,
    ChainFactory,
    ProducerFactory,
    ProductFactory,
    SourcingRequestFactory,
    StoreFactory,
    UserFactory,
)
from workspace.allocation import months_until

pytestmark = pytest.mark.django_db

TODAY = dt.date.today


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world():
    coop, mart = UserFactory(username="coop"), UserFactory(username="mart")
    producer = ProducerFactory(owner=coop, name="HTX Rau sạch", lat=21.0, lon=105.8)
    product = ProductFactory(producer=producer, name="Gạo nếp cái hoa vàng", capacity_per_month=300)
    chain = ChainFactory(owner=mart, name="Chuỗi Xanh", categories="food")
    store = StoreFactory(chain=chain, name="Cửa hàng Cầu Giấy", lat=21.03, lon=105.8)
    planner = UserFactory(username="plan")
    planner.groups.add(Group.objects.get_or_create(name="planners")[0])
    return {
        "coop": coop,
        "mart": mart,
        "planner": planner,
        "stranger": UserFactory(username="stranger"),
        "producer": producer,
        "product": product,
        "chain": chain,
        "store": store,
    }


def _account(user):
    return Account.of_user(user)


NEW_PAGES = ["/workspace/inbox/", "/workspace/allocation/", "/workspace/webhooks/"]
NEW_WRITES = [
    "/workspace/inbox/read-all/",
    "/workspace/inbox/1/read/",
    "/workspace/allocation/accept/",
    "/workspace/webhooks/1/delete/",
]


@pytest.mark.parametrize("url", NEW_PAGES + NEW_WRITES)
def test_anonymous_visitors_are_sent_to_sign_in(client, url):
    response = client.post(url) if url in NEW_WRITES else client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/workspace/login/?next=")


@pytest.mark.parametrize(
    ("who", "inbox", "allocation", "webhooks"),
    [
        ("stranger", 200, 403, 200),
        ("coop", 200, 403, 200),
        ("mart", 200, 200, 200),
        ("planner", 200, 200, 200),
    ],
)
def test_who_opens_which_page(world, who, inbox, allocation, webhooks):
    client = signed_in(world[who])
    assert client.get("/workspace/inbox/").status_code == inbox
    assert client.get("/workspace/allocation/").status_code == allocation
    assert client.get("/workspace/webhooks/").status_code == webhooks


# Deadlines


def test_a_chain_gives_a_request_a_deadline_and_the_lists_show_it(world):
    client = signed_in(world["mart"])
    deadline = TODAY() + dt.timedelta(days=20)
    response = client.post(
        "/workspace/requests/new/",
        {
            "buyer": world["store"].pk,
            "category": "food",
            "quantity_per_month": 200,
            "deadline": deadline.isoformat(),
        },
    )
    assert response.status_code == 302
    request = SourcingRequest.objects.get()
    assert request.deadline == deadline
    assert deadline.strftime("%d/%m/%Y") in client.get("/workspace/").content.decode()
    form = client.get(f"/workspace/requests/{request.pk}/").content.decode()
    assert f'value="{deadline.isoformat()}"' in form
    coop = signed_in(world["coop"]).get("/workspace/").content.decode()
    assert f'id="match-{request.code}"' in coop and deadline.strftime("%d/%m/%Y") in coop


def test_a_deadline_in_the_past_is_refused_with_one_message(world):
    response = signed_in(world["mart"]).post(
        "/workspace/requests/new/",
        {
            "buyer": world["store"].pk,
            "category": "food",
            "quantity_per_month": 200,
            "deadline": (TODAY() - dt.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert response.content.decode().count('class="message error"') == 1
    assert not SourcingRequest.objects.exists()


def test_a_request_past_its_deadline_is_overdue_and_out_of_matching(world):
    late = SourcingRequestFactory(
        buyer=world["store"], code="YC-LATE", deadline=TODAY() - dt.timedelta(days=1)
    )
    SourcingRequestFactory(buyer=world["store"], code="YC-TODAY", deadline=TODAY())
    coop = signed_in(world["coop"]).get("/workspace/").content.decode()
    assert "YC-TODAY" in coop and "YC-LATE" not in coop
    chain = signed_in(world["mart"]).get("/workspace/").content.decode()
    card = chain[chain.index('id="request-YC-LATE"') :]
    card = card[: card.index("</article>")]
    assert "status-overdue" in card and 'class="supplier"' not in card
    allocation = signed_in(world["mart"]).get("/workspace/allocation/").content.decode()
    assert 'id="allocation-YC-TODAY"' in allocation and late.code not in allocation
    # A new deadline brings it back.
    signed_in(world["mart"]).post(
        f"/workspace/requests/{late.pk}/",
        {
            "buyer": world["store"].pk,
            "category": "food",
            "quantity_per_month": 500,
            "deadline": (TODAY() + dt.timedelta(days=7)).isoformat(),
        },
    )
    assert "YC-LATE" in signed_in(world["coop"]).get("/workspace/").content.decode()


# The inbox


def test_the_inbox_shows_unread_first_links_and_counts(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        proposal = services.proposal_create(
            actor=_account(world["coop"]), product=world["product"], buyer=world["store"]
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_transition(
            actor=_account(world["mart"]), proposal=proposal, to="accepted"
        )
    old = Notification.objects.create(
        recipient=world["mart"],
        kind="rating_expiring",
        params={"product": "X", "months": 2, "stars": 4, "expires_on": "2030-01-01"},
        event="rating.expiring",
        subject_type="product",
        subject_code="X",
        read_at=timezone.now(),
    )
    client = signed_in(world["mart"])
    html = client.get("/workspace/inbox/").content.decode()
    [received] = Notification.objects.filter(recipient=world["mart"], read_at__isnull=True)
    assert html.index(f'id="notification-{received.pk}"') < html.index(
        f'id="notification-{old.pk}"'
    )
    assert f'href="/workspace/#proposal-{proposal.pk}"' in html
    assert "Gạo nếp cái hoa vàng" in html
    assert 'id="unread-count">1<' in html
    # The cooperative hears of the acceptance.
    coop = signed_in(world["coop"]).get("/workspace/inbox/").content.decode()
    assert 'data-event="proposal.state_changed"' in coop

    assert client.post(f"/workspace/inbox/{received.pk}/read/").status_code == 302
    received.refresh_from_db()
    assert received.read_at is not None
    assert 'id="unread-count"' not in client.get("/workspace/").content.decode()


def test_mark_all_read_and_another_users_notification_is_not_found(world):
    for n in range(3):
        Notification.objects.create(
            recipient=world["coop"], kind="x", event="e", subject_type="t", subject_code=str(n)
        )
    theirs = Notification.objects.create(
        recipient=world["mart"], kind="x", event="e", subject_type="t", subject_code="9"
    )
    client = signed_in(world["coop"])
    assert 'id="unread-count">3<' in client.get("/workspace/inbox/").content.decode()
    assert client.post(f"/workspace/inbox/{theirs.pk}/read/").status_code == 404
    client.post("/workspace/inbox/read-all/")
    assert not Notification.objects.filter(recipient=world["coop"], read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_inbox_speaks_english_to_an_english_browser(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_create(
            actor=_account(world["coop"]), product=world["product"], buyer=world["store"]
        )
    client = signed_in(world["mart"])
    english = client.get("/workspace/inbox/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "New proposal" in english and "Mark all read" in english
    vietnamese = client.get("/workspace/inbox/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "Đề xuất mới" in vietnamese


# The allocation proposal


def test_the_allocation_names_products_and_flags_expiry_and_gaps(world):
    expiring = ProductFactory(
        producer=ProducerFactory(owner=UserFactory(), name="HTX Hoa Sen", lat=21.01, lon=105.8),
        name="Chè sen",
        rated_on=TODAY() - dt.timedelta(days=33 * 30),
        capacity_per_month=200,
    )
    services.buyer_requirements_set(actor=None, buyer=world["chain"], documents=["barcode"])
    Credential.objects.create(producer=expiring.producer, kind="barcode")
    SourcingRequestFactory(
        buyer=world["store"], code="YC-ALLOC", quantity_per_month=400, max_distance_km=50
    )
    html = signed_in(world["mart"]).get("/workspace/allocation/").content.decode()
    section = html[html.index('id="allocation-YC-ALLOC"') :]
    assert "Gạo nếp cái hoa vàng" in section and "HTX Rau sạch" in section
    assert "Chè sen" in section and "HTX Hoa Sen" in section
    rice = section[section.index(f'data-product="{world["product"].code}"') :]
    rice = rice[: rice.index("</li>")]
    tea = section[section.index(f'data-product="{expiring.code}"') :]
    tea = tea[: tea.index("</li>")]
    # The rice's producer lacks the chain's barcode; the tea's rating lapses within the horizon.
    assert "mã vạch" in rice.lower() and 'class="flag expiring"' not in rice
    months = months_until(TODAY(), expiring.rating_expires_on)
    assert 'class="flag expiring"' in tea and f"{months} tháng" in tea
    assert 'class="gaps"' not in tea


def test_accepting_a_line_proposes_it_through_the_allocation_service(world):
    SourcingRequestFactory(buyer=world["store"], code="YC-A", quantity_per_month=100)
    client = signed_in(world["mart"])
    html = client.get("/workspace/allocation/").content.decode()
    value = f"YC-A {world['product'].code} 100"
    assert f'value="{value}"' in html
    response = client.post("/workspace/allocation/accept/", {"line": value}, follow=True)
    assert response.content.decode().count('class="message success"') == 1
    proposal = Proposal.objects.get()
    assert (proposal.origin, proposal.proposed_by) == ("allocation", "buyer")
    assert proposal.sourcing_request.code == "YC-A" and proposal.buyer == world["store"]
    assert "100" in proposal.note
    html = client.get("/workspace/allocation/").content.decode()
    assert f'value="{value}"' not in html and 'class="proposed"' in html


def test_a_line_of_another_chains_request_or_unreadable_is_refused(world):
    other = UserFactory(username="other-chain")
    BuyerFactory(owner=other)
    SourcingRequestFactory(buyer=world["store"], code="YC-B", quantity_per_month=100)
    client = signed_in(other)
    for line in (f"YC-B {world['product'].code} 100", "nonsense", "YC-B X nan"):
        response = client.post("/workspace/allocation/accept/", {"line": line}, follow=True)
        assert response.status_code == 200
        assert response.content.decode().count('class="message error"') == 1
    assert not Proposal.objects.exists()
    # The cooperative may not accept allocation lines at all.
    coop = signed_in(world["coop"])
    response = coop.post(
        "/workspace/allocation/accept/", {"line": f"YC-B {world['product'].code} 1"}
    )
    assert response.status_code == 403


def test_the_chain_sees_only_its_own_requests_and_planners_every_one(world):
    other_store = BuyerFactory(owner=UserFactory(), lat=21.0, lon=105.81)
    SourcingRequestFactory(buyer=world["store"], code="YC-MINE")
    SourcingRequestFactory(buyer=other_store, code="YC-THEIRS")
    mine = signed_in(world["mart"]).get("/workspace/allocation/").content.decode()
    assert "YC-MINE" in mine and "YC-THEIRS" not in mine
    every = signed_in(world["planner"]).get("/workspace/allocation/").content.decode()
    assert "YC-MINE" in every and "YC-THEIRS" in every


# Webhooks


def test_a_webhook_is_added_with_its_secret_shown_once_and_deleted(world):
    client = signed_in(world["coop"])
    response = client.post(
        "/workspace/webhooks/",
        {"url": "https://hooks.example.org/ocop", "events": ["proposal.created"]},
        follow=True,
    )
    assert response.redirect_chain == [("/workspace/webhooks/", 302)]
    hook = Webhook.objects.get()
    assert (hook.owner, hook.events) == (world["coop"], ["proposal.created"])
    assert hook.secret in response.content.decode()
    again = client.get("/workspace/webhooks/").content.decode()
    assert hook.secret not in again and "hooks.example.org/ocop" in again
    stranger = signed_in(world["stranger"])
    assert "hooks.example.org" not in stranger.get("/workspace/webhooks/").content.decode()
    assert stranger.post(f"/workspace/webhooks/{hook.pk}/delete/").status_code == 404
    assert client.post(f"/workspace/webhooks/{hook.pk}/delete/").status_code == 302
    assert not Webhook.objects.exists()


def test_a_webhook_to_a_private_address_is_refused_on_the_page(world, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    response = signed_in(world["coop"]).post(
        "/workspace/webhooks/",
        {"url": "http://127.0.0.1:8080/hook", "events": ["proposal.created"]},
    )
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert not Webhook.objects.exists()


def test_the_webhooks_page_shows_the_last_deliveries(world):
    hook = Webhook.objects.create(
        owner=world["coop"], url="https://hooks.example.org/x", events=["proposal.created"]
    )
    for _ in range(7):
        WebhookDelivery.objects.create(
            webhook=hook, event="proposal.created", status="delivered", attempts=1
        )
    WebhookDelivery.objects.create(webhook=hook, event="proposal.state_changed", status="failed")
    html = signed_in(world["coop"]).get("/workspace/webhooks/").content.decode()
    assert html.count('class="delivery ') == 5
    assert "delivery-failed" in html


def test_the_inbox_and_the_allocation_read_in_a_few_queries_whatever_their_size(
    world, django_assert_max_num_queries
):
    for n in range(30):
        Notification.objects.create(
            recipient=world["mart"],
            kind="proposal_received",
            params={"product": f"SP{n}", "buyer": "B", "producer": "P"},
            event="proposal.created",
            subject_type="proposal",
            subject_code=str(n),
        )
    for n in range(6):
        producer = ProducerFactory(lat=21.0 + n / 100, lon=105.8)
        ProductFactory(producer=producer, capacity_per_month=100)
        SourcingRequestFactory(buyer=world["store"], code=f"YC-Q{n}", quantity_per_month=150)
    client = signed_in(world["mart"])
    with django_assert_max_num_queries(12):
        inbox = client.get("/workspace/inbox/").content.decode()
    assert inbox.count('class="card notification ') == 30
    with django_assert_max_num_queries(20):
        allocation = client.get("/workspace/allocation/").content.decode()
    assert allocation.count('class="line"') >= 7


def test_a_request_closed_or_past_its_deadline_takes_no_proposal(world):
    late = SourcingRequestFactory(
        buyer=world["store"], code="YC-GONE", deadline=TODAY() - dt.timedelta(days=1)
    )
    closed = SourcingRequestFactory(buyer=world["store"], code="YC-SHUT", status="closed")
    coop = signed_in(world["coop"])
    for request in (late, closed):
        response = coop.post(
            "/workspace/propose/",
            {
                "product": world["product"].code,
                "buyer": world["store"].code,
                "sourcing_request": request.code,
            },
            follow=True,
        )
        assert response.content.decode().count('class="message error"') == 1
    mart = signed_in(world["mart"])
    response = mart.post(
        "/workspace/allocation/accept/",
        {"line": f"YC-GONE {world['product'].code} 10"},
        follow=True,
    )
    assert response.content.decode().count('class="message error"') == 1
    assert not Proposal.objects.exists()
