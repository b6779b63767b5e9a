"""Real browsers against protected apps: a forger's page cannot make the server act.

A Flask app (gunicorn, gthread, flask-sock) and a Starlette app (uvicorn) are protected, with a
session cookie set from their own origin. Pages from other loopback origins (``127.0.0.1`` vs
``localhost``, and another port) submit a form POST, send a ``no-cors`` fetch POST and open a
WebSocket (``attack_page.py``). The app's ledger says what arrived and which views ran: the side
effect is observed on the server. The same page from the app's own origin, from the origin its
CORS policy allows with credentials, and against the exempt routes (the control: the browser
does deliver these requests) must act.
"""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode

import pytest
from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.engines import (
    FIREFOX,
    MINIBROWSER,
    XVFB,
    FirefoxEngine,
    WebKitEngine,
    webkit_version,
)
from tests.browser.harness import ServerPool

from .attack_page import page, query_of

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ACTIONS = {"form", "fetch", "ws"}
_TIMEOUT = 30.0

#: The Sec-Fetch-Site each scenario's page gets, measured (Chromium 156, Firefox ESR 153,
#: WebKitGTK 2.50): an IP address or localhost is a site of its own, and two ports of one host
#: are one site. Chromium sends no Sec-Fetch-* header at all on a WebSocket handshake (only
#: Origin), so there the protection decides by Origin and Host.
EXPECTED_SITE = {
    "own-origin": "same-origin",
    "cors-trusted": "cross-site",
    "cross-site": "cross-site",
    "same-site-port": "same-site",
    "ip-other-port": "same-site",
    "exempt-control": "cross-site",
}


class Collector:
    """The page server of the foreign origins: serves the page, collects the page's reports."""

    def __init__(self) -> None:
        self.reports: dict[str, queue.Queue[dict[str, str]]] = {}

    def box(self, label: str) -> queue.Queue[dict[str, str]]:
        return self.reports.setdefault(label, queue.Queue())

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        query = query_of(environ.get("QUERY_STRING", ""))
        if environ["PATH_INFO"] == "/report":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            self.box(query["label"]).put(json.loads(environ["wsgi.input"].read(length)))
            start_response("204 No Content", [])
            return []
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [page(query)]


class Driver(Protocol):
    name: str
    #: Where a page goes when it is done (WebKit's runner page), or "".
    back: str

    def visit(self, url: str) -> None: ...


class ChromiumDriver:
    name = "chromium"
    back = ""

    def __init__(self, page: Any) -> None:
        self.page = page

    def visit(self, url: str) -> None:
        self.page.goto(url)


class FirefoxDriver:
    name = "firefox"
    back = ""

    def __init__(self, engine: FirefoxEngine) -> None:
        self.engine = engine

    def visit(self, url: str) -> None:
        # The engine's open() only knows origins; a page of this test has a query.
        params = {"context": self.engine._context, "url": url, "wait": "complete"}
        self.engine._command("browsingContext.navigate", params)


class WebKitDriver:
    name = "webkit"

    def __init__(self, engine: WebKitEngine) -> None:
        self.engine = engine
        self.back = f"http://localhost:{engine.port}/runner"

    def visit(self, url: str) -> None:
        # The runner page navigates; the visited page comes back to it when done.
        arrived = self.engine.runner.arrived
        while not arrived.empty():
            arrived.get_nowait()
        self.engine.runner.commands.put({"navigate": url})
        self.engine._wait_for(f"http://localhost:{self.engine.port}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def _server(kind: str, trusted: str) -> Iterator[int]:
    """The protected app of *kind* under its real server, on a free port of 127.0.0.1."""
    port = _free_port()
    if kind == "flask":
        command = [
            sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
            "--worker-class", "gthread", "--threads", "8", "--no-control-socket",
            "tests.protection.bank_flask:app",
        ]  # fmt: skip
    else:
        command = [
            sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port),
            "--ws", "websockets", "--log-level", "warning", "tests.protection.bank_asgi:app",
        ]  # fmt: skip
    env = {**os.environ, "CROSSGATE_TRUSTED_ORIGIN": trusted, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + _TIMEOUT
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/ledger", timeout=2).close()
                break
            except OSError:
                assert process.poll() is None, f"{kind} server exited"
                assert time.monotonic() < deadline, f"{kind} server did not start"
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def pages() -> Iterator[tuple[Collector, int, int]]:
    """The collector, served on two ports: the forger's pages and the trusted site's page."""
    pool = ServerPool()
    collector = Collector()
    try:
        yield collector, pool.serve(collector).port, pool.serve(collector).port
    finally:
        pool.close()


@pytest.fixture(scope="module", params=["flask", "starlette"])
def app(
    request: pytest.FixtureRequest, pages: tuple[Collector, int, int]
) -> Iterator[tuple[str, int]]:
    """The kind of protected app and its port."""
    with _server(request.param, f"http://127.0.0.1:{pages[2]}") as port:
        yield request.param, port


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (under CI a missing browser is a failure)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module", params=["chromium", "firefox", "webkit"])
def driver(request: pytest.FixtureRequest) -> Iterator[Driver]:
    if request.param == "chromium":
        if not CHROMIUM.is_file():
            _missing(f"{CHROMIUM} is missing")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context()
            yield ChromiumDriver(context.new_page())
            browser.close()
    elif request.param == "firefox":
        if not FIREFOX.is_file():
            _missing(f"{FIREFOX} is missing")
        firefox = FirefoxEngine()
        try:
            yield FirefoxDriver(firefox)
        finally:
            firefox.close()
    else:
        if not (MINIBROWSER.is_file() and XVFB.is_file()):
            _missing("WebKitGTK's MiniBrowser or Xvfb is missing")
        pool = ServerPool()
        webkit = WebKitEngine(pool.serve, webkit_version())
        try:
            yield WebKitDriver(webkit)
        finally:
            webkit.close()
            pool.close()


#: scenario -> (page host, page port: "forger" | "trusted" | "app", target host, prefix, acts)
SCENARIOS = {
    "own-origin": ("localhost", "app", "localhost", "", True),
    "cors-trusted": ("127.0.0.1", "trusted", "localhost", "", True),
    "cross-site": ("127.0.0.1", "forger", "localhost", "", False),
    "same-site-port": ("localhost", "forger", "localhost", "", False),
    "ip-other-port": ("127.0.0.1", "forger", "127.0.0.1", "", False),
    "exempt-control": ("127.0.0.1", "forger", "localhost", "/open", True),
}


def _ledger(port: int, label: str) -> dict[str, list[dict[str, Any]]]:
    url = f"http://127.0.0.1:{port}/ledger?label={label}"
    with urllib.request.urlopen(url, timeout=10) as answer:
        found: dict[str, list[dict[str, Any]]] = json.loads(answer.read())
        return found


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_forged_writes_never_act_and_trusted_ones_do(
    driver: Driver, app: tuple[str, int], pages: tuple[Collector, int, int], scenario: str
) -> None:
    collector, forger, trusted = pages
    server, app_port = app
    page_host, page_port, target_host, prefix, acts = SCENARIOS[scenario]
    label = f"{driver.name}-{server}-{scenario}"
    back = {"back": driver.back} if driver.back else {}
    target = f"http://localhost:{app_port}"
    driver.visit(f"{target}/login?{urlencode(back)}")  # the session cookie, from the app
    port = {"forger": forger, "trusted": trusted, "app": app_port}[page_port]
    query = {
        "target": f"http://{target_host}:{app_port}",
        "label": label,
        "prefix": prefix,
        "report": f"http://127.0.0.1:{forger}/report",
        **back,
    }
    driver.visit(f"http://{page_host}:{port}/page?{urlencode(query)}")
    seen_by_page = collector.box(label).get(timeout=_TIMEOUT)
    ledger = _ledger(app_port, label)
    writes = [entry for entry in ledger["seen"] if entry["action"] in ACTIONS]
    arrived = {entry["action"] for entry in writes}
    acted = {entry["action"] for entry in ledger["effects"]}
    sites = {entry["action"]: entry["site"] for entry in writes}
    expected = EXPECTED_SITE[scenario]
    websocket_site = None if driver.name == "chromium" else expected
    assert sites == {"form": expected, "fetch": expected, "ws": websocket_site}
    assert all(entry["origin"] == f"http://{page_host}:{port}" for entry in writes)
    # Every request reached the server: the browser sent it; what acted is the server's call.
    assert arrived == ACTIONS, (seen_by_page, ledger)
    if acts:
        assert acted == ACTIONS, (seen_by_page, ledger)
        assert seen_by_page["ws"] == "message:hello"
    else:
        assert acted == set(), (seen_by_page, ledger)
        assert seen_by_page["ws"] != "message:hello"
