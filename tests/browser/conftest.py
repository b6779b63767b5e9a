"""Fixtures for the browser tests: one Chromium per session, live servers, the page origins.

Chromium is Debian's ``/usr/bin/chromium`` driven by playwright (nothing is downloaded). Without
it the tests are skipped on a workstation, and fail under CI: a CI run that cannot reach a real
browser has proved nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, sync_playwright

from .harness import ServerPool, Tab

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


@pytest.fixture(scope="package")
def chromium() -> Iterator[Browser]:
    """Chromium, launched once for this package; every test module opens its own context.

    Package scope, not session: playwright's sync API keeps an asyncio loop running in the main
    thread while it is open, which would break the async-view tests that run after this package.
    """
    if not CHROMIUM.is_file():
        reason = f"{CHROMIUM} is missing: install it with 'apt-get install -y chromium'"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (under CI a missing browser is a failure)", pytrace=False)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
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
