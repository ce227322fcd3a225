"""The match workflow in headless Chromium: a cooperative proposes, the chain takes it to trading.

The same DevTools client as the planners' browser tests; without Chromium the test skips.
Screenshots at 1366 and 390 px wide are kept under a temporary folder for a person to look at.
"""

import json
import tempfile
import time
import urllib.request
from base64 import b64decode
from pathlib import Path

import pytest

from linkage import services
from linkage.models import Linkage, Proposal
from tests.factories import ChainFactory, ProducerFactory, ProductFactory, StoreFactory, UserFactory
from tests.planner.test_pages_browser import PAGE_LIMIT_S, STARTUP_LIMIT_S, DevTools

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(tempfile.gettempdir()) / "ocop-workspace-screenshots"
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}


def new_tab(port: int) -> DevTools:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/json/new?about:blank", method="PUT")
    with urllib.request.urlopen(request, timeout=STARTUP_LIMIT_S) as answer:
        target = json.load(answer)
    tab = DevTools(target["webSocketDebuggerUrl"])
    for domain in ("Runtime", "Log", "Page", "Network"):
        tab.call(f"{domain}.enable")
    # The programme's language, as a Vietnamese user's browser asks for it.
    tab.call("Network.setExtraHTTPHeaders", headers={"Accept-Language": "vi"})
    return tab


def wait_for(tab: DevTools, expression: str) -> None:
    """Until ``expression`` is true on a loaded page (a navigation in between is waited out)."""
    deadline = time.monotonic() + PAGE_LIMIT_S
    check = f"(document.readyState === 'complete' && !window.__leaving && !!({expression}))"
    while True:
        try:
            if tab.evaluate(check):
                return
        except RuntimeError:
            pass  # the page was replaced while being asked
        if time.monotonic() > deadline:
            pytest.fail(f"never true: {expression}; errors: {tab.console_errors()}")
        time.sleep(0.2)


def click(tab: DevTools, selector: str, ready: str) -> None:
    """Click ``selector`` (a submit button) and wait for the next page to satisfy ``ready``."""
    found = tab.evaluate(
        f"(() => {{ const b = document.querySelector({json.dumps(selector)});"
        " if (!b) return false; window.__leaving = true; b.click(); return true; })()"
    )
    assert found, f"nothing matches {selector}"
    wait_for(tab, ready)


def sign_in(tab: DevTools, base: str, username: str) -> None:
    tab.call("Page.navigate", url=f"{base}/workspace/login/")
    wait_for(tab, "document.getElementById('login-form')")
    tab.evaluate(
        f"document.querySelector('[name=username]').value = {json.dumps(username)};"
        "document.querySelector('[name=password]').value = 'secret-password';"
    )
    click(tab, "#login-form button[type=submit]", "document.getElementById('my-proposals')")


def screenshot(tab: DevTools, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, (width, height) in WIDTHS.items():
        tab.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=label == "phone",
        )
        time.sleep(0.2)
        wide = tab.evaluate("document.documentElement.scrollWidth")
        assert wide <= width + 1, f"{name} is {wide} px wide at {width} px"
        shot = tab.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        (SHOTS / f"{name}-{label}.png").write_bytes(b64decode(shot["data"]))
    tab.call("Emulation.clearDeviceMetricsOverride")


def test_a_cooperative_proposes_and_the_chain_takes_it_to_trading(browser, live_server):
    coop, mart = UserFactory(username="htx"), UserFactory(username="chuoi")
    producer = ProducerFactory(owner=coop, name="HTX Nông nghiệp Phú Mỹ")
    product = ProductFactory(producer=producer, name="Gạo nếp cái hoa vàng")
    chain = ChainFactory(owner=mart, name="Chuỗi Xanh", categories="food")
    store = StoreFactory(chain=chain, name="Cửa hàng Cầu Giấy", lat=21.03, lon=105.8)
    services.buyer_requirements_set(
        actor=None, buyer=chain, documents=["barcode"], packaging="Túi 1 kg"
    )
    base = live_server.url
    tab = new_tab(browser)
    try:
        sign_in(tab, base, "htx")
        outlet = f".outlet[data-buyer='{store.code}']"
        assert tab.evaluate(f'!!document.querySelector("{outlet} .reasons li")')
        # The chain's requirement the cooperative does not meet yet: a barcode.
        gaps = tab.evaluate(f'document.querySelector("{outlet} .gaps").textContent')
        assert "mã vạch" in gaps.lower()
        screenshot(tab, "cooperative")
        click(tab, f"{outlet} button.propose", "document.querySelector('.message.success')")
        proposal = Proposal.objects.get()
        row = f"#proposal-{proposal.pk}"
        assert tab.evaluate(f"document.querySelector('{row}').dataset.state") == "proposed"
        click(tab, "#sign-out", "document.getElementById('login-form')")

        sign_in(tab, base, "chuoi")
        screenshot(tab, "chain")
        for step in ("accepted", "mou_signed", "trading"):
            click(
                tab,
                f"{row} button[data-to={step}]",
                f"document.querySelector('{row}').dataset.state === '{step}'",
            )
        screenshot(tab, "chain-trading")
        errors, violations = tab.console_errors(), tab.csp_violations()
    finally:
        tab.close()
    assert errors == [] and violations == []
    proposal.refresh_from_db()
    assert proposal.state == "trading"
    linkage = Linkage.objects.get(pk=proposal.linkage_id)
    assert (linkage.source_producer, linkage.target_buyer) == (producer, store)
    assert linkage.product == product and linkage.ended_on is None
    with urllib.request.urlopen(f"{base}/api/v1/linkages/?format=json", timeout=60) as answer:
        listed = json.load(answer)
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [row["key"] for row in rows] == [linkage.key]
