"""``check``'s cause for an actual response without CORS headers, over generated servers.

Each server is drawn from the ways one can answer: its policy admits the page or not, its actual
responses carry the headers (maybe naming another origin) or not, with any status and maybe an
``Allow`` line, it fails every preflight with a 5xx, or it states a crossgate debug reason in its
403s. An independent statement of what a user must be
told (``expected``) checks the cause, the fix, and which requests were sent: the request once,
then preflights only, each question once, and none when the answer needs none.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from crossgate.browser import BrowserRequest, HttpResponse
from crossgate.cli._render import render_text
from crossgate.inspect import CheckResult, Reply, run_check

API = "https://api.example.com/items"
PAGE = "https://app.example.com"
REASON = (
    b"[origin-not-allowed] CORS preflight refused: origin 'https://app.example.com' is not "
    b"allowed. Fix: list it in origins. Browser console: x"
)
ACAO = "Access-Control-Allow-Origin"


@dataclass
class Server:
    admits: bool
    headed: bool
    status: int
    failing: bool
    debug: bool
    #: An Allow line on the actual response (a 405 always has one).
    allow: bool
    #: The actual response names another origin (a cache or a copy-pasted header).
    wrong: bool
    sent: list[tuple[str, str]] = field(default_factory=list)

    def __call__(
        self, method: str, url: str, lines: list[tuple[str, str]], data: bytes | None
    ) -> Reply:
        asked = dict(lines)
        self.sent.append((method, asked.get("Access-Control-Request-Method", "")))
        if method == "OPTIONS":
            if self.failing:
                return Reply(HttpResponse(502, (("Content-Type", "text/html"),), url), b"<h1>")
            if self.admits:
                allowed = ((ACAO, PAGE), ("Access-Control-Allow-Methods", "GET, HEAD, POST"))
                return Reply(HttpResponse(204, allowed, url))
            return Reply(HttpResponse(403, (), url), REASON if self.debug else b"")
        headers: tuple[tuple[str, str], ...] = ()
        if self.allow or self.status == 405:
            headers += (("Allow", "PUT, OPTIONS"),)
        if self.admits and self.headed:
            headers += ((ACAO, "https://other.example" if self.wrong else PAGE),)
        return Reply(HttpResponse(self.status, headers, url), b"body")


def expected(server: Server, method: str, result: CheckResult) -> None:
    """What the user must be told, stated from the server's make-up alone."""
    preflights = server.sent[1:]
    assert server.sent[0] == (method, "")
    assert all(verb == "OPTIONS" for verb, _ in preflights)
    assert len(set(preflights)) == len(preflights) <= 3  # each question once
    if server.admits and server.headed:
        # Headers that name another origin are the browser's own verdict, fix included.
        assert result.verdict.allowed is not server.wrong
        assert result.diagnosis is None
        assert preflights == []
        return
    diagnosis = result.diagnosis
    assert not result.verdict.allowed
    assert diagnosis is not None
    assert result.verdict.fix == diagnosis.fix
    assert preflights, "the cause is asked for"
    if server.failing:
        assert diagnosis.refused == ()
        assert "server error (HTTP 502)" in diagnosis.message
        assert "origins" not in diagnosis.fix
    elif not server.admits and server.debug:
        assert diagnosis.source == "server"
        assert diagnosis.refused == ("origin",)
        assert len(preflights) == 1  # the reason came with the first answer
    elif not server.admits:
        assert diagnosis.source == "probes"
        assert diagnosis.refused == ("origin",)
        assert diagnosis.fix.startswith(f"add '{PAGE}' to origins")
    else:  # admitted, but this response came without the headers
        assert diagnosis.source == "probes"
        assert diagnosis.refused == ()
        assert f"HTTP {server.status}" in diagnosis.message
        assert len(preflights) == 1
        assert ("does not serve" in diagnosis.message) is (server.status == 405)
        assert "to origins" not in diagnosis.fix
    if diagnosis.source == "probes":
        count = len(preflights)
        assert f"(found with {count} probe preflight{'s' if count > 1 else ''})" in render_text(
            result
        )


@settings(max_examples=300, deadline=None)
@given(
    admits=st.booleans(),
    headed=st.booleans(),
    status=st.sampled_from([200, 204, 301, 404, 405, 500, 502]),
    failing=st.booleans(),
    debug=st.booleans(),
    allow=st.booleans(),
    wrong=st.booleans(),
    method=st.sampled_from(["GET", "HEAD", "POST"]),
)
def test_the_cause_told_is_the_servers_make_up(
    admits: bool,
    headed: bool,
    status: int,
    failing: bool,
    debug: bool,
    allow: bool,
    wrong: bool,
    method: str,
) -> None:
    server = Server(admits, headed, status, failing, debug, allow, wrong)
    headers = (("Content-Type", "text/plain"),) if method == "POST" else ()
    request = BrowserRequest(API, PAGE, method, headers)
    # A 301 without Location is no redirect to follow: a response like any other.
    expected(server, method, run_check(request, server, send_unsafe=True))
