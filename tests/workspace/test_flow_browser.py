"""The whole match flow in headless Chromium, from a recommendation to trading, with the inbox,
the allocation proposal and webhooks; and the same pages in English.

The accounts are named after the demo's (``demo_producer``, ``demo_buyer``) over a small registry
made here, with passwords set here. Each side registers a webhook on its page, pointed at a local
receiver: the test settings let webhooks reach 127.0.0.1 (``WEBHOOK_ALLOW_PRIVATE_ADDRESSES``;
the SSRF refusal itself is tested in tests/notifications). Screenshots of every page at 1366 and
390 px wide are kept in a temporary folder (``SHOTS``); none may scroll sideways at 390 px.
"""

import datetime as dt
import hashlib
import hmac
import json
import urllib.request

import pytest

from linkage import services
from linkage.accounts import Account
from linkage.models import Linkage, Proposal, SourcingRequest
from notifications.models import Notification
from tests.factories import (
    ChainFactory,
    ProducerFactory,
    ProductFactory,
    StoreFactory,
    UserFactory,
)
from tests.notifications.conftest import Receiver

from .test_pages_browser import SHOTS, click, new_tab, screenshot, sign_in, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receivers():
    made = {"producer": Receiver(), "buyer": Receiver()}
    yield made
    for receiver in made.values():
        receiver.close()


@pytest.fixture
def world(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    coop, mart = UserFactory(username="demo_producer"), UserFactory(username="demo_buyer")
    producer = ProducerFactory(owner=coop, name="HTX Nông nghiệp Phú Mỹ", lat=21.0, lon=105.8)
    rice = ProductFactory(producer=producer, name="Gạo nếp cái hoa vàng", capacity_per_month=300)
    lotus = ProductFactory(
        producer=producer,
        name="Mứt sen Tây Hồ",
        capacity_per_month=200,
        # Rated 34 months ago: the rating lapses within the request's horizon.
        rated_on=dt.date.today() - dt.timedelta(days=34 * 30),
    )
    chain = ChainFactory(owner=mart, name="Chuỗi Xanh", categories="food")
    store = StoreFactory(chain=chain, name="Cửa hàng Cầu Giấy", lat=21.03, lon=105.8)
    services.buyer_requirements_set(
        actor=None, buyer=chain, documents=["barcode"], packaging="Túi 1 kg"
    )
    return {"producer": producer, "rice": rice, "lotus": lotus, "chain": chain, "store": store}


def _get_json(url: str):
    with urllib.request.urlopen(url, timeout=60) as answer:
        return json.load(answer)


def _register_webhook(tab, base: str, url: str) -> str:
    """Add a webhook on the page (every event) and return its secret, shown this once."""
    tab.call("Page.navigate", url=f"{base}/workspace/webhooks/")
    wait_for(tab, "document.getElementById('webhook-form')")
    tab.evaluate(f"document.querySelector('#webhook-form [name=url]').value = {json.dumps(url)}")
    click(tab, "#webhook-form button[type=submit]", "document.getElementById('secret-value')")
    return tab.evaluate("document.getElementById('secret-value').textContent").strip()


def _signed(secret: str, received: dict) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), received["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, received["headers"]["X-OCOP-Signature"])


def _open(tab, base: str, path: str, ready: str) -> None:
    tab.call("Page.navigate", url=f"{base}{path}")
    wait_for(tab, ready)


def test_from_a_recommendation_to_trading_with_inboxes_allocation_and_webhooks(
    browser, live_server, world, receivers
):
    base = live_server.url
    rice, lotus, store = world["rice"], world["lotus"], world["store"]
    paths_url = f"{base}/api/v1/network/paths/{rice.code}/?format=json"
    assert _get_json(paths_url)["buyers"] == 0
    tab = new_tab(browser)
    try:
        # The chain registers a webhook.
        sign_in(tab, base, "demo_buyer")
        buyer_secret = _register_webhook(tab, base, receivers["buyer"].url)
        assert len(buyer_secret) == 64
        screenshot(tab, "flow-webhook-added")
        click(tab, "#sign-out", "document.getElementById('login-form')")

        # The cooperative registers one, sees what the chain requires that it lacks, proposes.
        sign_in(tab, base, "demo_producer")
        producer_secret = _register_webhook(tab, base, receivers["producer"].url)
        _open(tab, base, "/workspace/", "document.getElementById('my-proposals')")
        outlet = f"#product-{rice.code} .outlet[data-buyer='{store.code}']"
        gaps = tab.evaluate(f'document.querySelector("{outlet} .gaps").textContent')
        assert "mã vạch" in gaps.lower()
        click(tab, f"{outlet} button.propose", "document.querySelector('.message.success')")
        proposal = Proposal.objects.get()
        row = f"#proposal-{proposal.pk}"
        click(tab, "#sign-out", "document.getElementById('login-form')")

        # The chain hears of it in its inbox, opens it, and takes it to trading.
        sign_in(tab, base, "demo_buyer")
        assert tab.evaluate("document.getElementById('unread-count').textContent") == "1"
        click(tab, "#inbox-link", "document.getElementById('inbox')")
        note = "#inbox .notification.unread[data-event='proposal.created']"
        assert tab.evaluate(f'!!document.querySelector("{note}")')
        screenshot(tab, "flow-inbox-chain")
        href = tab.evaluate(f"document.querySelector(\"{note} a.open\").getAttribute('href')")
        assert href == f"/workspace/#proposal-{proposal.pk}"
        tab.evaluate(f'window.__leaving = true; document.querySelector("{note} a.open").click()')
        wait_for(tab, f"document.querySelector('{row}')")
        for step in ("accepted", "mou_signed", "trading"):
            click(
                tab,
                f"{row} button[data-to={step}]",
                f"document.querySelector('{row}').dataset.state === '{step}'",
            )

        # A sourcing request with a deadline, then the allocation proposal over it.
        deadline = dt.date.today() + dt.timedelta(days=30)
        _open(tab, base, "/workspace/requests/new/", "document.getElementById('request-form')")
        tab.evaluate(
            f"document.querySelector('[name=buyer]').value = '{store.pk}';"
            "document.querySelector('[name=category]').value = 'food';"
            "document.querySelector('[name=quantity_per_month]').value = '500';"
            "document.querySelector('[name=max_distance_km]').value = '40';"
            f"document.querySelector('[name=deadline]').value = '{deadline.isoformat()}';"
        )
        screenshot(tab, "flow-request-form")
        click(
            tab, "#request-form button[type=submit]", "document.querySelector('.message.success')"
        )
        request = SourcingRequest.objects.get()
        assert request.deadline == deadline
        assert deadline.strftime("%d/%m/%Y") in tab.evaluate(
            f"document.getElementById('request-{request.code}').textContent"
        )
        click(tab, "#open-allocation", "document.querySelector('.allocation-request')")
        card = f"#allocation-{request.code}"
        rice_line = f"{card} .line[data-product='{rice.code}']"
        lotus_line = f"{card} .line[data-product='{lotus.code}']"
        text = tab.evaluate(f'document.querySelector("{lotus_line}").textContent')
        assert "Mứt sen Tây Hồ" in text and "HTX Nông nghiệp Phú Mỹ" in text
        assert "hết hạn sau" in text and "mã vạch" in text.lower()
        assert tab.evaluate(f'!!document.querySelector("{rice_line} .proposed")')
        screenshot(tab, "flow-allocation")
        click(
            tab,
            f"{lotus_line} button.accept-line",
            f'document.querySelector("{lotus_line} .proposed")',
        )
        allocated = Proposal.objects.get(origin="allocation")
        assert (allocated.product, allocated.sourcing_request) == (lotus, request)
        _open(tab, base, "/workspace/webhooks/", "document.querySelector('.webhook')")
        assert tab.evaluate("document.querySelectorAll('.delivery-delivered').length") == 1
        screenshot(tab, "flow-webhooks")
        click(tab, "#sign-out", "document.getElementById('login-form')")

        # The cooperative's inbox tells it every step, the request and the allocation's proposal.
        sign_in(tab, base, "demo_producer")
        click(tab, "#inbox-link", "document.getElementById('inbox')")
        events = tab.evaluate(
            "[...document.querySelectorAll('#inbox .notification.unread')]"
            ".map(n => n.dataset.event).sort().join(',')"
        )
        assert events == ",".join(
            sorted(
                ["proposal.state_changed"] * 3 + ["sourcing_request.created", "proposal.created"]
            )
        )
        assert "đã ký" in tab.evaluate("document.getElementById('inbox').textContent").lower()
        screenshot(tab, "flow-inbox-cooperative")
        click(tab, "#read-all", "!document.getElementById('unread-count')")
        errors, violations = tab.console_errors(), tab.csp_violations()
    finally:
        tab.close()
    assert errors == [] and violations == []
    assert not Notification.objects.filter(
        recipient__username="demo_producer", read_at__isnull=True
    ).exists()

    # The deal is a linkage in the API and a path in the graph.
    proposal.refresh_from_db()
    linkage = Linkage.objects.get(pk=proposal.linkage_id)
    listed = _get_json(f"{base}/api/v1/linkages/?format=json")
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [row["key"] for row in rows] == [linkage.key]
    paths = _get_json(paths_url)
    assert paths["buyers"] == 1
    assert store.code in json.dumps(paths["paths"]) and world["chain"].code in json.dumps(paths)

    # Both webhooks heard their side's events, each signed with its own secret.
    heard = {side: [p["event"] for p in r.payloads()] for side, r in receivers.items()}
    assert heard["buyer"] == ["proposal.created"]
    assert sorted(heard["producer"]) == sorted(
        ["proposal.state_changed"] * 3 + ["sourcing_request.created", "proposal.created"]
    )
    for side, secret in (("buyer", buyer_secret), ("producer", producer_secret)):
        for received in receivers[side].received:
            assert _signed(secret, received)
            assert not _signed(secret[::-1], received)
    states = [p["data"]["to"] for p in receivers["producer"].payloads() if "to" in p["data"]]
    assert states == ["accepted", "mou_signed", "trading"]


def test_the_new_pages_in_english(browser, live_server, world):
    coop = Account.of_user(world["producer"].owner)
    services.proposal_create(actor=coop, product=world["rice"], buyer=world["store"])
    SourcingRequest.objects.create(
        code="YC-EN", buyer=world["store"], category="food", quantity_per_month=500
    )
    base = live_server.url
    tab = new_tab(browser)
    try:
        tab.call("Network.setExtraHTTPHeaders", headers={"Accept-Language": "en"})
        sign_in(tab, base, "demo_buyer")
        _open(tab, base, "/workspace/inbox/", "document.getElementById('inbox')")
        text = tab.evaluate("document.body.textContent")
        assert "Notifications" in text and "New proposal" in text and "Mark all read" in text
        screenshot(tab, "en-inbox")
        _open(tab, base, "/workspace/allocation/", "document.querySelector('.allocation-request')")
        text = tab.evaluate("document.body.textContent")
        assert "Allocation proposal" in text and "Rating expires in" in text
        assert "Gạo nếp cái hoa vàng" in text
        screenshot(tab, "en-allocation")
        _open(tab, base, "/workspace/webhooks/", "document.getElementById('webhook-form')")
        assert "Add a webhook" in tab.evaluate("document.body.textContent")
        screenshot(tab, "en-webhooks")
        errors = tab.console_errors()
    finally:
        tab.close()
    assert errors == []
    assert (SHOTS / "en-inbox-phone.png").exists()
