"""Real Chromium through the exported proxy configuration: the page cannot tell the proxy apart.

gunicorn serves the export fixture app; nginx, Caddy and HAProxy run in front of it with the
configuration ``crossgate.export.export_config`` writes for it. A page on another loopback origin
makes each ``fetch()`` of ``CASES`` twice: to the app directly and through the proxy. The test then
checks that

1. Chromium does what a user expects (the promise resolves or rejects, the status it sees),
2. the outcome is the same both ways: resolved or rejected, status, body, the response header
   names the script can read, and Chromium's console line (which names the URL fetched),
3. the browser model (``crossgate check``'s transcript of the same request, judged with the
   CHROMIUM profile) predicts that outcome for each of the two servers, console line included,
4. the preflight never reached the app through the proxy: gunicorn's access log shows the
   ``OPTIONS`` request when the page calls the app directly and only the actual requests (the
   same ones) when it calls the proxy.
"""

from __future__ import annotations

import http.client
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict
from urllib.parse import urlsplit

import pytest

from crossgate.browser import CHROMIUM, BrowserRequest, HttpResponse, Verdict, console_message
from crossgate.inspect import Reply, run_check
from tests.export.export_fixture_app import app
from tests.export.export_proxies import exported_proxy, gunicorn, send

from .harness import FetchResult, Tab

pytestmark = pytest.mark.browser

FIXTURE = "tests.export.export_fixture_app"
JSON = (("Content-Type", "application/json"),)
# The fixture allows http://localhost:* (a port wildcard): the "localhost" page is allowed and
# the "ip" page (http://127.0.0.1:PORT) is refused, except where the policy is origins='*'.
ALLOWED_PAGE = "localhost"
REFUSED_PAGE = "ip"
# Headers the fixture app sends and never exposes: a page must not read them.
UNEXPOSED = ("x-internal", "x-frame-options", "x-content-type-options", "vary")
# "METHOD /path?query HTTP/1.1" in gunicorn's default access log format.
_REQUEST_LINE = re.compile(r'"([A-Z]+) (\S+) HTTP/[0-9.]+"')


@dataclass(frozen=True, slots=True)
class Case:
    """One ``fetch()`` and what the user should see.

    :param preflights: how many preflights reach the app when the page calls it directly
        (through the proxy the answer is always none).
    :param step: the deciding step the browser model names (``ok`` when allowed).
    :param reads: response header names beyond the safelisted ones the page's script must be
        able to read.
    """

    id: str
    path: str
    page: str = ALLOWED_PAGE
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None
    credentials: bool = False
    allowed: bool = True
    status: int | None = 200
    step: str = "ok"
    preflights: int = 0
    reads: tuple[str, ...] = ()


class Refusal(TypedDict):
    """What a blocked case expects."""

    allowed: bool
    status: None
    step: str
    preflights: int


def refused(step: str, preflights: int) -> Refusal:
    """The expectations of a blocked ``fetch()``."""
    return Refusal(allowed=False, status=None, step=step, preflights=preflights)


CASES = [
    # A simple GET with credentials: no preflight; ACAO echoes the page and ACAC is true.
    Case("simple-get-credentials", "/items/", credentials=True),
    # PUT with JSON and the listed custom header X-Token: the preflight lists both.
    Case(
        "preflighted-put-custom-header",
        "/items/7",
        method="PUT",
        headers=(*JSON, ("X-Token", "t0k3n")),
        body="{}",
        credentials=True,
        preflights=1,
        reads=("x-request-id",),
    ),
    # DELETE on a converter route: the preflight carries only the method.
    Case("preflighted-delete", "/items/9", method="DELETE", preflights=1, reads=("x-request-id",)),
    # Refused origin: the simple GET reaches the server and is blocked on the way back...
    Case(
        "refused-origin-simple", "/items/", page=REFUSED_PAGE, **refused("allow-origin-missing", 0)
    ),
    # ...the preflighted one is stopped at the preflight (403, no CORS headers).
    Case(
        "refused-origin-preflighted",
        "/items/7",
        page=REFUSED_PAGE,
        method="PUT",
        headers=JSON,
        body="{}",
        **refused("allow-origin-missing", 1),
    ),
    # A header outside the route's allow_headers (Content-Type, X-Token).
    Case(
        "refused-header",
        "/items/7",
        method="PUT",
        headers=(*JSON, ("X-Other", "1")),
        body="{}",
        **refused("allow-origin-missing", 1),
    ),
    # Route-aware methods: /items/ has GET and POST, not PATCH.
    Case(
        "method-not-on-route",
        "/items/",
        method="PATCH",
        headers=JSON,
        body="{}",
        **refused("allow-origin-missing", 1),
    ),
    # Werkzeug's trailing-slash redirect (308), followed by Chromium with CORS on both hops.
    Case("redirect-simple-get", "/items"),
    # Preflighted through the redirect: a preflight at /items, the 308, a preflight at /items/.
    Case(
        "redirect-preflighted-post",
        "/items",
        method="POST",
        headers=JSON,
        body="{}",
        status=201,
        preflights=2,
    ),
    # An error response keeps its CORS headers: the page reads the 500.
    Case("error-500-readable", "/boom", status=500),
    # The blueprint's origins='*': any page may read, but not with credentials.
    Case("wildcard-any-page", "/public/feed", page=REFUSED_PAGE),
    Case(
        "wildcard-with-credentials",
        "/public/feed",
        page=REFUSED_PAGE,
        credentials=True,
        **refused("allow-origin-wildcard-credentials", 0),
    ),
]


@dataclass(frozen=True, slots=True)
class Upstream:
    """gunicorn serving the fixture app, and the access log it writes."""

    port: int
    log: Path

    def requests(self, query: str) -> list[tuple[str, str]]:
        """``(method, path)`` of every request the app received with *query*, in order."""
        found = []
        for line in self.log.read_text().splitlines():
            match = _REQUEST_LINE.search(line)
            if match is not None:
                path, _, line_query = match.group(2).partition("?")
                if line_query == query:
                    found.append((match.group(1), path))
        return found

    def settle(self, marker: str) -> None:
        """Return once every request sent so far is in the log.

        gunicorn's single sync worker handles one request at a time and logs it before taking the
        next, so once *marker*, sent now, is logged, every earlier request is too.
        """
        send(self.port, "GET", f"/private?{marker}", {})
        deadline = time.monotonic() + 10
        while not self.requests(marker):
            assert time.monotonic() < deadline, f"gunicorn never logged {marker}"
            time.sleep(0.01)


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Upstream]:
    log = tmp_path_factory.mktemp("gunicorn") / "access.log"
    with ExitStack() as stack:
        # gunicorn reads extra options from GUNICORN_CMD_ARGS: here, only the access log.
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("GUNICORN_CMD_ARGS", f"--access-logfile {log}")
            port = stack.enter_context(gunicorn(FIXTURE))
        yield Upstream(port, log)


@pytest.fixture(scope="module", params=["nginx", "caddy", "haproxy"])
def proxy(
    request: pytest.FixtureRequest, upstream: Upstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, int]]:
    """The proxy's name and port, running the exported configuration in front of gunicorn."""
    kind = request.param
    root = tmp_path_factory.mktemp(f"browser-{kind}")
    with exported_proxy(kind, root, app, upstream.port) as port:
        yield kind, port


def _loopback(method: str, url: str, lines: list[tuple[str, str]], data: bytes | None) -> Reply:
    """``crossgate check``'s transport here: one request to 127.0.0.1, redirects not followed."""
    parts = urlsplit(url)
    # Loopback only: the model's requests go where the page's went, never elsewhere.
    assert parts.hostname == "127.0.0.1", url
    assert parts.port is not None, url
    connection = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=10)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target, body=data, headers=dict(lines))
        response = connection.getresponse()
        body = response.read()
        return Reply(HttpResponse(response.status, tuple(response.getheaders()), url), body)
    finally:
        connection.close()


def _model(request: BrowserRequest, body: str | None) -> Verdict:
    """What the browser model makes of *request*: ``crossgate check`` sends what Chromium sends
    (preflight, request, each redirect hop) and judges the answers with the CHROMIUM profile."""
    data = None if body is None else body.encode()
    return run_check(request, _loopback, send_unsafe=True, body=data, profile=CHROMIUM).verdict


def _outcome(seen: FetchResult) -> tuple[object, ...]:
    """What the page's script sees, in the form compared between the app and the proxy."""
    return (seen.allowed, seen.status, seen.body, seen.names, seen.error)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_chromium_sees_the_proxy_as_the_app(
    case: Case,
    upstream: Upstream,
    proxy: tuple[str, int],
    page_origins: dict[str, str],
    tab: Tab,
) -> None:
    kind, proxy_port = proxy
    page = page_origins[case.page]
    tab.open(page)
    seen: dict[str, FetchResult] = {}
    logged: dict[str, list[tuple[str, str]]] = {}
    verdicts: dict[str, Verdict] = {}
    requests: dict[str, BrowserRequest] = {}
    for target, port in (("app", upstream.port), (kind, proxy_port)):
        # A query of its own per target: no preflight cache entry is shared, and the access log
        # tells the two apart.
        query = f"case={case.id}&to={target}&via={kind}"
        request = BrowserRequest(
            f"http://127.0.0.1:{port}{case.path}?{query}",
            page,
            method=case.method,
            headers=case.headers,
            credentials=case.credentials,
        )
        seen[target] = tab.fetch(request, case.body, None)
        upstream.settle(f"settled={case.id}&to={target}&via={kind}")
        logged[target] = upstream.requests(query)
        # The model's own requests come after the log is read: its probes do not count.
        verdicts[target] = _model(request, case.body)
        requests[target] = request

    direct, proxied = seen["app"], seen[kind]
    # (1) Chromium does what the user expects.
    assert direct.allowed is case.allowed, direct
    assert direct.status == case.status, direct
    if case.allowed:
        assert set(case.reads) <= set(direct.names), direct
        assert set(UNEXPOSED).isdisjoint(direct.names), direct
    else:
        assert direct.error == "TypeError: Failed to fetch"

    # (2) The same through the proxy: outcome, readable headers, console line.
    assert _outcome(proxied) == _outcome(direct)
    direct_url, proxy_url = requests["app"].url, requests[kind].url
    assert proxied.cors_errors == tuple(
        line.replace(direct_url, proxy_url) for line in direct.cors_errors
    )

    # (3) The browser model predicts it, for each server.
    for target, verdict in verdicts.items():
        assert verdict.allowed is seen[target].allowed, (target, verdict)
        assert verdict.step == case.step, (target, verdict)
        assert verdict.preflight_needed is (case.preflights > 0), (target, verdict)
        if verdict.allowed:
            assert verdict.status == seen[target].status
            assert sorted(verdict.readable_headers) == list(seen[target].names)
            assert seen[target].cors_errors == ()
        else:
            assert seen[target].cors_errors == (console_message(requests[target], verdict),)

    # (4) The preflights reached the app only when the page called it directly; the proxy sent
    # on the same actual requests and answered every preflight itself.
    preflights = [path for method, path in logged["app"] if method == "OPTIONS"]
    assert len(preflights) == case.preflights, logged["app"]
    assert [line for line in logged[kind] if line[0] == "OPTIONS"] == [], logged[kind]
    assert logged[kind] == [line for line in logged["app"] if line[0] != "OPTIONS"]
