"""A tutorial's hand-set ``Access-Control-Allow-Origin: *`` under ``CORS(app, origins=[...],
supports_credentials=True)``, in real Chromium (README, "A CORS header set
by hand").

The tutorial alone (no crossgate) is blocked for a credentialed ``fetch()``: Chromium refuses
``*`` with credentials. With crossgate on top, its policy's value replaces the hand-set one, so
the same fetch works, and the ``crossgate`` log says once per endpoint what was replaced and
the fix.
"""

from __future__ import annotations

import pytest

from crossgate.browser import BrowserRequest
from tests.cli.tutorial_apps import hand_set_app

from .harness import ServerPool, Tab

pytestmark = pytest.mark.browser

WILDCARD_WITH_CREDENTIALS = (
    "The value of the 'Access-Control-Allow-Origin' header in the response must not be the "
    "wildcard '*' when the request's credentials mode is 'include'."
)


def test_the_tutorial_alone_is_blocked_by_chromium(
    servers: ServerPool, page_origins: dict[str, str], tab: Tab
) -> None:
    page = page_origins["ip"]
    server = servers.serve(hand_set_app(page, crossgate=False))
    tab.open(page)
    request = BrowserRequest(server.url("127.0.0.1", "/api/made"), page, credentials=True)
    seen = tab.fetch(request, None, None)
    assert not seen.allowed
    assert any(WILDCARD_WITH_CREDENTIALS in line for line in seen.cors_errors), seen


def endpoint_of(path: str) -> str:
    return path.rpartition("/")[2]


@pytest.mark.parametrize("path", ["/api/me", "/api/made"])
def test_crossgate_replaces_the_hand_set_star_and_says_so(
    servers: ServerPool,
    page_origins: dict[str, str],
    tab: Tab,
    caplog: pytest.LogCaptureFixture,
    path: str,
) -> None:
    caplog.set_level("WARNING", logger="crossgate")
    page = page_origins["ip"]
    server = servers.serve(hand_set_app(page))
    tab.open(page)
    request = BrowserRequest(server.url("127.0.0.1", path), page, credentials=True)
    for _ in range(2):
        seen = tab.fetch(request, None, "Access-Control-Allow-Origin")
        assert seen.allowed, seen
        assert seen.body == endpoint_of(path)
        assert seen.cors_errors == ()
    [line] = [record.getMessage() for record in caplog.records if record.name == "crossgate"]
    assert f"endpoint {endpoint_of(path)!r} answered with a hand-set CORS header" in line
    assert (
        f"Access-Control-Allow-Origin: the app set '*', crossgate's policy writes {page!r}" in line
    )
    assert line.endswith("Fix: remove the hand-set header; crossgate writes it")
