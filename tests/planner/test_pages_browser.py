"""The planners' pages in headless Chromium: no console errors, every sales point on the map.

Chromium is driven over the DevTools protocol with a small WebSocket client written on the standard
library, so the test needs no package beyond Debian's chromium. Without a browser it skips.
"""

import base64
import datetime as dt
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from linkage.choices import AreaLevel, BuyerKind
from tests.factories import AreaFactory, BuyerFactory, ProducerFactory, ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Upper bounds on waiting for the browser, not measurements: a slow machine only waits longer.
STARTUP_LIMIT_S = 60
PAGE_LIMIT_S = 60


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class DevTools:
    """A DevTools protocol session over one WebSocket (RFC 6455 client, text frames only)."""

    def __init__(self, ws_url: str):
        url = urlparse(ws_url)
        self.sock = socket.create_connection((url.hostname, url.port), timeout=PAGE_LIMIT_S)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {url.path} HTTP/1.1\r\nHost: {url.hostname}:{url.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("DevTools closed the connection during the handshake")
            head += chunk
        head, self.buffer = head.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(head.decode(errors="replace"))
        self.next_id = 0
        self.events: list[dict] = []

    def _read(self, count: int) -> bytes:
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("DevTools closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        size = len(payload)
        if size < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
        elif size < 1 << 16:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def _message(self) -> dict:
        parts = []
        while True:
            first, second = self._read(2)
            opcode, size = first & 0x0F, second & 0x7F
            if size == 126:
                (size,) = struct.unpack("!H", self._read(2))
            elif size == 127:
                (size,) = struct.unpack("!Q", self._read(8))
            payload = self._read(size)
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode == 0x8:
                raise ConnectionError("DevTools closed the WebSocket")
            if opcode in (0x0, 0x1, 0x2):
                parts.append(payload)
                if first & 0x80:
                    return json.loads(b"".join(parts))

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        ident = self.next_id
        message = {"id": ident, "method": method, "params": params}
        self._send_frame(0x1, json.dumps(message).encode())
        while True:
            message = self._message()
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def console_errors(self) -> list[str]:
        """Errors the page reported: console.error, uncaught exceptions, failed loads."""
        errors = []
        for event in self.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                errors.append(
                    " ".join(
                        str(a.get("value", a.get("description"))) for a in params.get("args", [])
                    )
                )
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                errors.append(
                    details.get("exception", {}).get("description")
                    or details.get("text", "exception")
                )
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                errors.append(f"{entry.get('text')} {entry.get('url', '')}")
        return errors

    def csp_violations(self) -> list[str]:
        """Everything the page was refused under the Content-Security-Policy, at any level."""
        found = []
        for event in self.events:
            if event["method"] == "Log.entryAdded":
                text = event["params"]["entry"].get("text", "")
            elif event["method"] == "Runtime.consoleAPICalled":
                text = " ".join(str(a.get("value", "")) for a in event["params"].get("args", []))
            else:
                continue
            if "Content Security Policy" in text or "Content-Security-Policy" in text:
                found.append(text)
        return found

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium with a DevTools port; skips the module when no Chromium is installed."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("No Chromium found (apt-get install chromium): browser tests skipped.")
    profile = Path(tempfile.mkdtemp(prefix="ocop-chromium-"))
    process = subprocess.Popen(
        [
            executable,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
            "--mute-audio",
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + STARTUP_LIMIT_S
    while not port_file.exists() or not port_file.read_text().strip():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            shutil.rmtree(profile, ignore_errors=True)
            pytest.skip("Chromium is installed but did not start a DevTools endpoint.")
        time.sleep(0.1)
    port = int(port_file.read_text().split()[0])
    yield port
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    shutil.rmtree(profile, ignore_errors=True)


READY = "document.body && document.body.dataset.ready"


def open_page(
    port: int,
    url: str,
    ready: str = READY,
    cookies: dict | None = None,
    language: str | None = None,
    width: int | None = None,
) -> DevTools:
    """A new tab on ``url``, waited for until ``ready`` gives "1" (by default, until the page's
    script marks the body ready), with ``cookies`` set for the URL first; ``language`` makes the
    tab a browser of that language (its Accept-Language and its JavaScript locale), ``width`` a
    window that wide."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/json/new?about:blank", method="PUT")
    with urllib.request.urlopen(request, timeout=STARTUP_LIMIT_S) as answer:
        target = json.load(answer)
    tab = DevTools(target["webSocketDebuggerUrl"])
    tab.call("Runtime.enable")
    tab.call("Log.enable")
    tab.call("Page.enable")
    if cookies or language:
        tab.call("Network.enable")
    for name, value in (cookies or {}).items():
        tab.call("Network.setCookie", name=name, value=value, url=url)
    if language:
        tab.call("Network.setExtraHTTPHeaders", headers={"Accept-Language": language})
        tab.call("Emulation.setLocaleOverride", locale=language)
    if width:
        tab.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=900,
            deviceScaleFactor=1,
            mobile=width < 600,
        )
    tab.call("Page.navigate", url=url)
    deadline = time.monotonic() + PAGE_LIMIT_S
    while tab.evaluate(ready) != "1":
        if time.monotonic() > deadline:
            pytest.fail(f"{url} never finished loading; errors: {tab.console_errors()}")
        time.sleep(0.2)
    return tab


def api_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=PAGE_LIMIT_S) as answer:
        assert answer.status == 200
        return json.load(answer)


@pytest.fixture
def network():
    """Three sales points, a store and a chain in Hà Nội, with communes and rated products."""
    hanoi = AreaFactory(code="HN", name="Hà Nội", level=AreaLevel.PROVINCE, population=8_000_000)
    for i, (lat, lon) in enumerate([(21.03, 105.85), (21.0, 105.94), (21.1, 105.5), (20.9, 105.7)]):
        commune = AreaFactory(
            code=f"X{i}", level=AreaLevel.COMMUNE, parent=hanoi, lat=lat, lon=lon, population=20_000
        )
        producer = ProducerFactory(area=commune, lat=lat + 0.01, lon=lon + 0.01)
        ProductFactory(producer=producer, stars=3 + i % 3, rated_on=dt.date(2022 + i % 3, 5, 1))
    for lat, lon in [(21.03, 105.85), (21.01, 105.93), (21.12, 105.52)]:
        BuyerFactory(kind=BuyerKind.SALES_POINT, lat=lat, lon=lon, area=hanoi)
    BuyerFactory(kind=BuyerKind.STORE, lat=21.05, lon=105.8, chain=None)
    BuyerFactory(kind=BuyerKind.SALES_POINT, lat=None, lon=None)  # cannot be drawn


def test_map_page_shows_every_sales_point_the_api_returns_without_console_errors(
    browser, live_server, network
):
    tab = open_page(browser, f"{live_server.url}/planner/map/")
    try:
        api = api_json(f"{live_server.url}/api/v1/buyers/geojson/?kind=sales_point")
        markers = tab.evaluate("document.querySelectorAll('.sales-point-marker').length")
        radii = tab.evaluate("document.querySelectorAll('.sales-point-radius').length")
        shown = tab.evaluate("document.getElementById('sales-point-count').textContent")
        messages = tab.evaluate("document.getElementById('messages').textContent")
        errors = tab.console_errors()
        violations = tab.csp_violations()
    finally:
        tab.close()
    assert len(api["features"]) == 3
    assert markers == len(api["features"])
    assert radii == len(api["features"])
    assert shown == "3"
    assert errors == []
    assert violations == []
    assert messages.strip() == ""


def test_statistics_page_draws_its_charts_without_console_errors(browser, live_server, network):
    tab = open_page(browser, f"{live_server.url}/planner/statistics/")
    try:
        charts = tab.evaluate(
            "Array.from(document.querySelectorAll('canvas')).filter(c => Chart.getChart(c)).length"
        )
        certified = tab.evaluate("document.getElementById('summary-certified').textContent")
        tables = tab.evaluate("document.querySelectorAll('#tables table').length")
        errors = tab.console_errors()
        violations = tab.csp_violations()
    finally:
        tab.close()
    assert errors == []
    assert violations == []
    assert charts == 4
    assert certified == "4"
    assert tables == 7


LOADED = "document.readyState === 'complete' ? '1' : ''"


def test_home_page_keeps_to_the_content_security_policy(browser, live_server):
    tab = open_page(browser, f"{live_server.url}/planner/", ready=LOADED)
    try:
        violations, errors = tab.csp_violations(), tab.console_errors()
    finally:
        tab.close()
    assert violations == [] and errors == []


def test_the_swagger_ui_renders_under_the_content_security_policy(browser, live_server):
    ready = "document.querySelectorAll('.opblock-tag-section').length > 0 ? '1' : ''"
    tab = open_page(browser, f"{live_server.url}/api/v1/docs/", ready=ready)
    try:
        time.sleep(0.5)  # let the UI finish drawing what it loaded
        sections = tab.evaluate("document.querySelectorAll('.opblock-tag-section').length")
        violations = tab.csp_violations()
    finally:
        tab.close()
    assert sections > 5
    assert violations == []


def test_the_admin_keeps_to_the_content_security_policy(browser, live_server):
    from django.test import Client

    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    session = {"sessionid": client.cookies["sessionid"].value}
    found = {}
    for path, cookies in [
        ("/admin/login/", None),
        ("/admin/", session),
        ("/admin/linkage/product/", session),
        ("/admin/linkage/product/add/", session),
        ("/admin/linkage/linkage/add/", session),
    ]:
        tab = open_page(browser, f"{live_server.url}{path}", ready=LOADED, cookies=cookies)
        try:
            time.sleep(0.3)
            found[path] = tab.csp_violations()
        finally:
            tab.close()
    assert found == {path: [] for path in found}


SCREENSHOTS = os.environ.get("OCOP_SCREENSHOTS")  # a folder: the tests below save what they see


def screenshot(tab: DevTools, name: str) -> None:
    if SCREENSHOTS:
        shot = tab.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        Path(SCREENSHOTS, f"{name}.png").write_bytes(base64.b64decode(shot["data"]))


def fetch_bytes(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=PAGE_LIMIT_S) as answer:
        assert answer.status == 200
        return answer.read()


def rows_of(tab: DevTools, table: str) -> list[str]:
    return tab.evaluate(
        f"Array.from(document.querySelectorAll('#{table} tbody tr[data-code]'))"
        ".map(r => r.dataset.code)"
    )


def href(tab: DevTools, link: str) -> str:
    return tab.evaluate(f"document.getElementById('{link}').getAttribute('href')")


def csv_codes(data: bytes) -> list[str]:
    import csv
    import io

    return [row["code"] for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))]


def xlsx_codes(data: bytes) -> list[str]:
    import io

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[0].index("code")
    return [row[column] for row in rows[1:]]


MAP = "/planner/map/?radius_km=2.5"


def test_map_lists_gaps_and_sites_and_each_download_is_exactly_the_list(
    browser, live_server, network
):
    tab = open_page(browser, f"{live_server.url}{MAP}")
    try:
        gaps = rows_of(tab, "gaps-list")
        sites = rows_of(tab, "sites-list")
        downloads = {
            name: href(tab, name)
            for name in ("gaps-csv", "gaps-xlsx", "gaps-geojson", "sites-csv", "sites-xlsx")
        }
        downloads["sites-geojson"] = href(tab, "sites-geojson")
        # A row's button brings its place into view and opens its popup.
        tab.evaluate(
            f"document.querySelector('#gaps-list button[data-code=\"{gaps[-1]}\"]').click()"
        )
        last = api_json(f"{live_server.url}/api/v1/analytics/coverage/gaps/?radius_km=2.5")
        last = last["gaps"][-1]
        time.sleep(0.5)  # the popup pans the map to fit
        in_view = tab.evaluate(
            f"PlannerMap.map.getBounds().contains([{last['lat']}, {last['lon']}])"
            " && PlannerMap.map.getZoom() >= 12"
        )
        popup = tab.evaluate("document.querySelector('.leaflet-popup-content')?.textContent || ''")
        labelled = tab.evaluate(
            "Array.from(document.querySelectorAll('.gap-marker-name')).map(t => t.textContent)"
        )
        errors = tab.console_errors()
    finally:
        tab.close()
    assert errors == []
    answer = api_json(f"{live_server.url}/api/v1/analytics/coverage/gaps/?radius_km=2.5")
    assert gaps == [gap["code"] for gap in answer["gaps"]] == ["X3", "X2"]
    assert sites and sites[0] in ("X2", "X3")
    assert csv_codes(fetch_bytes(live_server.url + downloads["gaps-csv"])) == gaps
    assert xlsx_codes(fetch_bytes(live_server.url + downloads["gaps-xlsx"])) == gaps
    geojson = json.loads(fetch_bytes(live_server.url + downloads["gaps-geojson"]))
    assert [f["properties"]["code"] for f in geojson["features"]] == gaps
    assert csv_codes(fetch_bytes(live_server.url + downloads["sites-csv"])) == sites
    assert xlsx_codes(fetch_bytes(live_server.url + downloads["sites-xlsx"])) == sites
    geojson = json.loads(fetch_bytes(live_server.url + downloads["sites-geojson"]))
    assert [f["properties"]["code"] for f in geojson["features"]] == sites
    assert in_view
    assert last["name"] in popup
    assert len(labelled) == len(gaps)


def test_before_and_after_lists_the_areas_the_proposed_sites_cover(browser, live_server, network):
    tab = open_page(browser, f"{live_server.url}/planner/map/?radius_km=2.5&k=1")
    try:
        changed = rows_of(tab, "changed-list")
        compare = tab.evaluate("document.querySelector('#compare-table tbody').innerText")
    finally:
        tab.close()
    siting = api_json(f"{live_server.url}/api/v1/analytics/siting/?radius_km=2.5&k=1")
    gained = siting["after"]["population_covered"] - siting["before"]["population_covered"]
    assert changed == [siting["sites"][0]["code"]]
    assert gained == 20_000
    assert "+" in compare


@pytest.mark.parametrize(
    ("language", "heading", "radius_label"),
    [("vi", "Vùng trống, xếp hạng", "Bán kính (km)"), ("en", "Gaps, ranked", "Radius (km)")],
)
def test_map_analyses_the_radius_it_draws_in_either_language(
    browser, live_server, network, language, heading, radius_label
):
    tab = open_page(browser, f"{live_server.url}{MAP}", language=language)
    try:
        box = tab.evaluate("document.querySelector('input[name=radius_km]').value")
        number = tab.evaluate("document.querySelector('input[name=radius_km]').valueAsNumber")
        analysed = tab.evaluate("document.body.dataset.analysisRadiusKm")
        drawn = tab.evaluate("PlannerMap.radii.getLayers().map(c => c.getRadius())")
        title = tab.evaluate("document.getElementById('gaps-title').textContent")
        label = tab.evaluate("document.querySelector('label.field:nth-child(3)').textContent")
        lang = tab.evaluate("document.documentElement.lang")
        errors = tab.console_errors()
        for width in (1366, 390):
            tab.call(
                "Emulation.setDeviceMetricsOverride",
                width=width,
                height=900,
                deviceScaleFactor=1,
                mobile=width < 600,
            )
            time.sleep(0.3)
            screenshot(tab, f"map-{language}-{width}")
    finally:
        tab.close()
    assert errors == []
    assert lang == language
    assert box == "2.5" and number == 2.5
    assert analysed == "2.5"
    assert drawn and set(drawn) == {2500}
    assert heading in title
    assert radius_label in label


@pytest.mark.parametrize(
    ("language", "year", "share"),
    [("vi", "Năm", "0,29%"), ("en", "Year", "0.29%")],
)
def test_statistics_fit_the_window_in_either_language(
    browser, live_server, network, planner_session, language, year, share
):
    found = {}
    for width in (1366, 390):
        tab = open_page(
            browser,
            f"{live_server.url}/planner/statistics/",
            cookies=planner_session,
            language=language,
            width=width,
        )
        try:
            found[width] = tab.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            headings = tab.evaluate(
                "Array.from(document.querySelectorAll('#tables th')).map(t => t.textContent)"
            )
            small = tab.evaluate(
                f"Planner.formats('{language}').share(10 / 3463).replace(/\\s/g, '')"
            )
            funnel_rows = len(funnel_cells(tab))
            screenshot(tab, f"statistics-{language}-{width}")
            errors = tab.console_errors()
        finally:
            tab.close()
        assert errors == []
        assert year in headings
        assert funnel_rows == 1
        assert not [h for h in headings if h.endswith("_id") or h.endswith("_code")]
        assert small == share
    assert found == {1366: 0, 390: 0}


def test_statistics_show_a_bad_date_beside_its_field(browser, live_server, network):
    tab = open_page(browser, f"{live_server.url}/planner/statistics/?as_of=2025-13-01")
    try:
        beside = tab.evaluate(
            "Array.from(document.querySelectorAll('label.invalid .field-error'))"
            ".map(e => e.closest('label').querySelector('input,select').name)"
        )
        raw = tab.evaluate("document.body.innerText.includes('{')")
        screenshot(tab, "statistics-bad-date")
        errors = tab.console_errors()
    finally:
        tab.close()
    assert beside == ["as_of"]
    assert not raw
    assert [e for e in errors if "400" not in e] == []


@pytest.fixture
def planner_session():
    """A signed-in planner's session cookie, and proposals to two chains, one of them trading."""
    from django.contrib.auth.models import Group
    from django.test import Client

    from linkage import services
    from tests.factories import StoreFactory, UserFactory

    user = UserFactory(username="planner")
    user.groups.add(Group.objects.get_or_create(name="planners")[0])
    client = Client()
    client.force_login(user)
    for store, count in ((StoreFactory(), 3), (StoreFactory(), 1)):
        proposals = [
            services.proposal_create(
                actor=None, product=ProductFactory(), buyer=store, proposed_by="producer"
            )
            for _ in range(count)
        ]
        for step in ("accepted", "mou_signed", "trading"):
            services.proposal_transition(actor=None, proposal=proposals[0], to=step)
    return {"sessionid": client.cookies["sessionid"].value}


def median_text(days: float | None, language: str) -> str:
    """Days as the page writes them: one decimal at most, the language's decimal mark."""
    if days is None:
        return ""
    return f"{round(days, 1):g}".replace(".", "," if language == "vi" else ".")


def funnel_cells(tab: DevTools) -> list[list[str]]:
    return tab.evaluate(
        "Array.from(document.querySelectorAll('#funnel-table tbody tr'))"
        ".map(r => Array.from(r.cells).map(c => c.textContent))"
    )


@pytest.mark.parametrize(("language", "heading"), [("vi", "Đề xuất"), ("en", "Proposals")])
def test_a_planner_sees_the_funnel_rows_the_api_gives(
    browser, live_server, network, planner_session, language, heading
):
    url = f"{live_server.url}/planner/statistics/?by=chain"
    tab = open_page(browser, url, cookies=planner_session, language=language)
    try:
        cells = funnel_cells(tab)
        headings = tab.evaluate(
            "Array.from(document.querySelectorAll('#funnel-table th')).map(t => t.textContent)"
        )
        csv_link = tab.evaluate("document.querySelector('#funnel a[href*=csv]').href")
        screenshot(tab, f"statistics-funnel-{language}")
        errors, violations = tab.console_errors(), tab.csp_violations()
    finally:
        tab.close()
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/analytics/statistics/funnel/?by=chain",
        headers={"Cookie": f"sessionid={planner_session['sessionid']}"},
    )
    with urllib.request.urlopen(request, timeout=PAGE_LIMIT_S) as answer:
        api = json.load(answer)
    columns = ["chain", "proposals", "accepted", "mou_signed", "trading", "ended"]
    expected = [[str(row[c]) for c in columns] for row in api["results"]]
    assert [row[: len(columns)] for row in cells] == expected
    assert [row[-1] for row in cells] == [
        median_text(row["median_days_to_trading"], language) for row in api["results"]
    ]
    assert sorted(int(row[1]) for row in cells) == [1, 3]
    assert heading in headings
    assert csv_link.endswith("/api/v1/analytics/statistics/funnel/?by=chain&format=csv")
    assert errors == [] and violations == []


def test_anonymous_sees_no_funnel_numbers_but_where_to_sign_in(
    browser, live_server, network, planner_session
):
    tab = open_page(browser, f"{live_server.url}/planner/statistics/?by=chain")
    try:
        table = tab.evaluate("document.querySelectorAll('#funnel-table, #funnel').length")
        sentence = tab.evaluate("document.getElementById('funnel-planners-only').innerText")
        sign_in = tab.evaluate(
            "document.querySelector('#funnel-planners-only a').getAttribute('href')"
        )
        errors = tab.console_errors()
    finally:
        tab.close()
    assert table == 0
    assert sign_in.startswith("/workspace/login/?next=")
    assert not any(ch.isdigit() for ch in sentence)
    assert errors == []
