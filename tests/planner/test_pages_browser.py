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


def open_page(port: int, url: str, ready: str = READY, cookies: dict | None = None) -> DevTools:
    """A new tab on ``url``, waited for until ``ready`` gives "1" (by default, until the page's
    script marks the body ready), with ``cookies`` set for the URL first."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/json/new?about:blank", method="PUT")
    with urllib.request.urlopen(request, timeout=STARTUP_LIMIT_S) as answer:
        target = json.load(answer)
    tab = DevTools(target["webSocketDebuggerUrl"])
    tab.call("Runtime.enable")
    tab.call("Log.enable")
    tab.call("Page.enable")
    if cookies:
        tab.call("Network.enable")
        for name, value in cookies.items():
            tab.call("Network.setCookie", name=name, value=value, url=url)
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
