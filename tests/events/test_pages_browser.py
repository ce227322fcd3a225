"""The printable schedule in headless Chromium: no console errors or CSP violations, readable at
1366 and 390 px, and printed one participant per A4 page. Without Chromium the test skips.

Screenshots go with the workspaces' (ocop-workspace-screenshots), the PDF to
ocop-events-screenshots, both under the temporary folder, for a person to look at.
"""

import json
import re
import tempfile
from base64 import b64decode
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from events import services
from linkage import graph_cache
from tests.factories import BuyerFactory, ProducerFactory, ProductFactory, UserFactory
from tests.planner.test_pages_browser import browser  # noqa: F401
from tests.workspace.test_pages_browser import click, new_tab, screenshot, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(tempfile.gettempdir()) / "ocop-events-screenshots"


@pytest.fixture(autouse=True)
def _in_line(settings):
    settings.REGISTRY_REFRESH_IN_BACKGROUND = False
    graph_cache.reset()
    yield
    graph_cache.reset()


def test_a_planner_prints_a_page_per_participant(browser, live_server):  # noqa: F811
    planner = UserFactory(username="kehoach")
    planner.groups.add(Group.objects.get_or_create(name="planners")[0])
    goods = ["Miến dong", "Gốm men lam", "Chè búp", "Sữa tươi"]
    for i, name in enumerate(goods):
        producer = ProducerFactory(code=f"HTX{i}", name=f"Hợp tác xã {name}")
        ProductFactory(code=f"SP{i}", name=name, producer=producer)
    BuyerFactory(code="DB1", name="Điểm bán OCOP Hoàn Kiếm")
    BuyerFactory(code="DB2", name="Điểm bán OCOP Long Biên")
    event = services.event_create(
        actor=None,
        code="KNGT",
        name="Kết nối giao thương sản phẩm OCOP Hà Nội",
        place="Cung Văn hóa Hữu nghị",
        held_on="2026-12-10",
        slot_count=4,
        buyers=[{"buyer": "DB1", "tables": 2}, {"buyer": "DB2"}],
        producers=[{"producer": f"HTX{i}"} for i in range(4)],
    )
    services.event_schedule(actor=None, event=event)
    tab = new_tab(browser)
    try:
        tab.call("Page.navigate", url=f"{live_server.url}/workspace/login/")
        wait_for(tab, "document.getElementById('login-form')")
        tab.evaluate(
            "document.querySelector('[name=username]').value = 'kehoach';"
            "document.querySelector('[name=password]').value = 'secret-password';"
        )
        click(tab, "#login-form button[type=submit]", "!document.getElementById('login-form')")
        tab.call("Page.navigate", url=f"{live_server.url}/events/KNGT/schedule/")
        wait_for(tab, "document.querySelectorAll('section.sheet').length === 6")
        assert "Lượt" in tab.evaluate("document.querySelector('table.slots th').textContent")
        screenshot(tab, "event-schedule")
        printed = tab.call("Page.printToPDF", preferCSSPageSize=True, printBackground=True)
        pdf = b64decode(printed["data"])
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / "event-schedule.pdf").write_bytes(pdf)
        errors, violations = tab.console_errors(), tab.csp_violations()
    finally:
        tab.close()
    assert errors == [] and violations == [], json.dumps([errors, violations])
    # Two buyers and four producers: six sheets, six pages.
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 6
