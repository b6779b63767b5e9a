"""run_check: the exchange a browser runs, over a fake transport."""

from __future__ import annotations

import pytest

from crossgate.browser import BrowserRequest, HttpResponse
from crossgate.cli.check import Reply, run_check
from crossgate.cli.render import render_text

API = "https://api.example.com"
PAGE = "https://app.example.com"

ALLOW = (("Access-Control-Allow-Origin", PAGE),)


class FakeServer:
    """Answers from a table keyed by (method, url); records what was sent."""

    def __init__(self, table: dict[tuple[str, str], HttpResponse]) -> None:
        self.table = table
        self.sent: list[tuple[str, str, list[tuple[str, str]], bytes | None]] = []

    def __call__(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes | None
    ) -> Reply:
        self.sent.append((method, url, headers, body))
        return Reply(self.table[(method, url)])


def test_simple_get_sends_no_preflight_and_is_allowed():
    server = FakeServer({("GET", f"{API}/a"): HttpResponse(200, ALLOW)})
    result = run_check(BrowserRequest(f"{API}/a", PAGE), server)
    assert result.verdict.allowed
    assert [sent[0] for sent in server.sent] == ["GET"]
    assert ("Origin", PAGE) in server.sent[0][2]


def test_preflight_is_sent_with_the_unsafe_header_names_and_failure_stops_there():
    server = FakeServer({("OPTIONS", f"{API}/a"): HttpResponse(403, ())})
    request = BrowserRequest(f"{API}/a", PAGE, "GET", (("X-Token", "1"), ("Accept", "*/*")))
    result = run_check(request, server)
    assert not result.verdict.allowed
    assert result.verdict.step == "allow-origin-missing"
    # The GET itself is never sent: only the preflight, then probe preflights.
    assert {sent[0] for sent in server.sent} == {"OPTIONS"}
    assert [exchange.kind for exchange in result.exchanges] == ["preflight", "probe", "probe"]
    _, _, headers, _ = server.sent[0]
    assert ("Access-Control-Request-Method", "GET") in headers
    assert ("Access-Control-Request-Headers", "x-token") in headers


def test_unsafe_method_is_not_sent_without_send():
    preflight = HttpResponse(204, (*ALLOW, ("Access-Control-Allow-Methods", "DELETE")))
    server = FakeServer({("OPTIONS", f"{API}/a"): preflight})
    result = run_check(BrowserRequest(f"{API}/a", PAGE, "DELETE"), server)
    assert result.verdict.allowed
    assert [sent[0] for sent in server.sent] == ["OPTIONS"]
    assert "--send" in result.notes[0]


def test_unsafe_method_is_sent_with_send_and_its_body():
    preflight = HttpResponse(204, (*ALLOW, ("Access-Control-Allow-Methods", "PUT")))
    server = FakeServer(
        {("OPTIONS", f"{API}/a"): preflight, ("PUT", f"{API}/a"): HttpResponse(200, ())}
    )
    result = run_check(
        BrowserRequest(f"{API}/a", PAGE, "PUT"), server, send_unsafe=True, body=b"{}"
    )
    assert [sent[0] for sent in server.sent] == ["OPTIONS", "PUT"]
    assert server.sent[1][3] == b"{}"
    assert not result.verdict.allowed  # the actual response lacks ACAO
    assert result.verdict.step == "allow-origin-missing"


def test_redirect_is_followed_and_each_hop_is_checked():
    server = FakeServer(
        {
            ("GET", f"{API}/a"): HttpResponse(308, (*ALLOW, ("Location", "/a/"))),
            ("GET", f"{API}/a/"): HttpResponse(200, ALLOW),
        }
    )
    result = run_check(BrowserRequest(f"{API}/a", PAGE), server)
    assert result.verdict.allowed
    assert [sent[1] for sent in server.sent] == [f"{API}/a", f"{API}/a/"]


def test_redirect_without_cors_headers_blocks():
    server = FakeServer(
        {
            ("GET", f"{API}/a"): HttpResponse(302, (("Location", "/b"),)),
            ("GET", f"{API}/b"): HttpResponse(200, ALLOW),
        }
    )
    result = run_check(BrowserRequest(f"{API}/a", PAGE), server)
    assert not result.verdict.allowed
    assert result.verdict.stage == "redirect"


def test_cross_origin_hop_from_a_foreign_url_sends_origin_null():
    other = "https://cdn.example.net"
    server = FakeServer(
        {
            ("GET", f"{API}/a"): HttpResponse(302, (*ALLOW, ("Location", f"{other}/b"))),
            ("GET", f"{other}/b"): HttpResponse(200, (("Access-Control-Allow-Origin", "*"),)),
        }
    )
    result = run_check(BrowserRequest(f"{API}/a", PAGE), server)
    assert ("Origin", "null") in server.sent[1][2]
    assert result.verdict.allowed


def test_preflight_at_a_redirect_target_that_fails_stops_the_chain():
    target = "https://other.example.net/b"
    server = FakeServer(
        {
            ("GET", f"{API}/a"): HttpResponse(307, (*ALLOW, ("Location", target))),
            ("OPTIONS", target): HttpResponse(403, ()),
        }
    )
    request = BrowserRequest(f"{API}/a", PAGE, "GET", (("X-Token", "1"),))
    preflight = HttpResponse(204, (*ALLOW, ("Access-Control-Allow-Headers", "x-token")))
    server.table[("OPTIONS", f"{API}/a")] = preflight
    result = run_check(request, server)
    assert not result.verdict.allowed
    assert [sent[0] for sent in server.sent] == ["OPTIONS", "GET", "OPTIONS"]


def test_303_turns_a_post_into_a_get_without_its_body():
    server = FakeServer(
        {
            ("POST", f"{API}/a"): HttpResponse(303, (*ALLOW, ("Location", "/done"))),
            ("GET", f"{API}/done"): HttpResponse(200, ALLOW),
        }
    )
    result = run_check(
        BrowserRequest(f"{API}/a", PAGE, "POST"), server, send_unsafe=True, body=b"x=1"
    )
    assert result.verdict.allowed
    assert server.sent[1][0] == "GET"
    assert server.sent[1][3] is None


def test_endless_redirects_fail_after_twenty():
    table = {
        ("GET", f"{API}/{n}"): HttpResponse(302, (*ALLOW, ("Location", f"/{n + 1}")))
        for n in range(30)
    }
    result = run_check(BrowserRequest(f"{API}/0", PAGE), FakeServer(table))
    assert not result.verdict.allowed
    assert result.verdict.step == "too-many-redirects"


@pytest.mark.parametrize("origin", [API, API.upper()])
def test_same_origin_request_sends_no_origin_header(origin):
    server = FakeServer({("GET", f"{API}/a"): HttpResponse(200, ())})
    result = run_check(BrowserRequest(f"{API}/a", origin.lower()), server)
    assert result.verdict.allowed
    assert all(name != "Origin" for name, _ in server.sent[0][2])


def test_same_origin_unsafe_request_is_not_sent_and_needs_no_cors():
    server = FakeServer({})
    result = run_check(BrowserRequest(f"{API}/a", API, "DELETE"), server)
    assert server.sent == []
    assert result.verdict.allowed
    assert result.verdict.step == "same-origin"
    assert result.prediction is not None
    assert result.prediction.basis == "same-origin"
    assert "observed: nothing (same origin)" in render_text(result)
