"""Fixtures for the browser tests: one process per engine, live servers, the page origins.

Chromium is Debian's ``/usr/bin/chromium`` driven by playwright (nothing is downloaded); Firefox
is Debian's ``firefox-esr`` over WebDriver BiDi; WebKit is WebKitGTK's MiniBrowser under Xvfb
(see ``engines.py``). Without an engine its tests are skipped on a workstation, and fail under
CI: a CI run that cannot reach a real browser has proved nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, sync_playwright

from .engines import (
    FIREFOX,
    MINIBROWSER,
    XVFB,
    ChromiumEngine,
    Engine,
    FirefoxEngine,
    WebKitEngine,
    webkit_version,
)
from .harness import LiveServer, ServerPool, Tab, run_scenario
from .scenarios import SCENARIOS, RawApi

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_BLANK_PAGE = b"<!doctype html><meta charset=utf-8><title>crossgate browser tests</title>"

#: Per engine: [scenarios where engine, model and console agreed, scenarios run].
AGREEMENT: dict[str, list[int]] = {}
#: Per engine: the version that ran.
VERSIONS: dict[str, str] = {}


def _missing(reason: str) -> None:
    """Skip on a workstation; fail under CI, where a missing engine means nothing was proved."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (under CI a missing browser is a failure)", pytrace=False)
    pytest.skip(reason)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Report each engine's version and how many scenarios agreed, at the end of the run."""
    if not VERSIONS:
        return
    terminalreporter.section("browser engines")
    for name, version in VERSIONS.items():
        agreed, total = AGREEMENT.get(name, [0, 0])
        share = f"{100 * agreed / total:.1f} %" if total else "n/a"
        terminalreporter.write_line(
            f"{name} {version}: engine, model and console agreed on {agreed}/{total} "
            f"scenarios ({share})"
        )


@pytest.fixture(scope="package")
def public_page(servers: ServerPool) -> LiveServer:
    """A page server Chromium treats as a public address (``--ip-address-space-overrides``)."""
    return servers.serve(_blank_page)


@pytest.fixture(scope="package")
def chromium(public_page: LiveServer) -> Iterator[Browser]:
    """Chromium, launched once for this package; every test module opens its own context.

    Package scope, not session: playwright's sync API keeps an asyncio loop running in the main
    thread while it is open, which would break the async-view tests that run after this package.
    """
    if not CHROMIUM.is_file():
        _missing(f"{CHROMIUM} is missing: install it with 'apt-get install -y chromium'")
    with sync_playwright() as playwright:
        # One page server counts as public, for the Local Network Access test.
        override = f"--ip-address-space-overrides=127.0.0.1:{public_page.port}=public"
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, override]
        )
        yield browser
        browser.close()


@pytest.fixture(scope="package")
def servers() -> Iterator[ServerPool]:
    """Starts recorded apps on free ports of 127.0.0.1; stops them all after the session."""
    pool = ServerPool()
    yield pool
    pool.close()


def _blank_page(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
    return [_BLANK_PAGE]


@pytest.fixture(scope="package")
def page_port(servers: ServerPool) -> int:
    """The port of the page server: a blank page at every path, under every host name."""
    return servers.serve(_blank_page).port


@pytest.fixture(scope="package")
def page_origins(page_port: int) -> dict[str, str]:
    """The origins a test page is loaded from (Chromium resolves ``*.localhost`` to loopback)."""
    return {
        "localhost": f"http://localhost:{page_port}",
        "app": f"http://app.localhost:{page_port}",
        "deep": f"http://deep.app.localhost:{page_port}",
        "ip": f"http://127.0.0.1:{page_port}",
    }


@pytest.fixture(scope="module")
def tab(chromium: Browser) -> Iterator[Tab]:
    """A page in a fresh browser context (own cookies, own preflight cache) for one module."""
    context = chromium.new_context()
    try:
        yield Tab(context.new_page())
    finally:
        context.close()


@pytest.fixture(scope="package", params=["chromium", "firefox", "webkit"])
def engine(request: pytest.FixtureRequest, servers: ServerPool) -> Iterator[Engine]:
    """Each real engine in turn, one process for the whole package."""
    started: Engine
    if request.param == "chromium":
        started = ChromiumEngine(request.getfixturevalue("chromium"))
    elif request.param == "firefox":
        if not FIREFOX.is_file():
            _missing(f"{FIREFOX} is missing: install it with 'apt-get install -y firefox-esr'")
        started = FirefoxEngine()
    else:
        if not (MINIBROWSER.is_file() and XVFB.is_file()):
            _missing(
                "WebKitGTK's MiniBrowser or Xvfb is missing: install them with "
                "'apt-get install -y webkit2gtk-driver xvfb'"
            )
        started = WebKitEngine(servers.serve, webkit_version())
    VERSIONS[started.name] = started.version
    try:
        yield started
    finally:
        started.close()


@pytest.fixture(scope="package")
def engine_page(engine: Engine, page_origins: dict[str, str]) -> str:
    """The origin of the engine's page (WebKit's runner page has its own server)."""
    if isinstance(engine, WebKitEngine):
        return f"http://localhost:{engine.port}"
    return page_origins["localhost"]


@pytest.fixture(scope="package")
def raw_apis(servers: ServerPool) -> dict[str, LiveServer]:
    """Two raw servers on two ports of 127.0.0.1 (two origins), answering every scenario."""
    bases: dict[str, str] = {}
    apis = {name: servers.serve(RawApi(name, bases)) for name in ("api", "api2")}
    for name, server in apis.items():
        bases[name] = f"http://127.0.0.1:{server.port}"
    return apis


@pytest.fixture(scope="package")
def warm_engine(engine: Engine, engine_page: str, raw_apis: dict[str, LiveServer]) -> Engine:
    """The engine after one preflighted fetch.

    Measured: Firefox ESR 153 does not keep the first preflight result it caches in a session
    (the second fetch is preflighted again whatever the max-age); from then on it does.
    """
    scenario = next(item for item in SCENARIOS if item.id == "put-204")
    run_scenario(engine, engine_page, raw_apis, scenario, f"warm-up={engine.name}")
    return engine
