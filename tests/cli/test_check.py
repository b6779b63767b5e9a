"""run_check: the exchange a browser runs, over a fake transport."""

from __future__ import annotations

import pytest

from crossgate.browser import BrowserRequest, HttpResponse, evaluate, resolve_redirect
from crossgate.cli._render import render_text
from crossgate.inspect import Reply, run_check

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


# Where the command follows a redirect, and the Origin it sends there, are the browser model's:
# the request it sends next is the one the verdict judges.
@pytest.mark.parametrize(
    ("location", "target", "origin"),
    [
        # Default ports are dropped: the same origin, so the page's Origin is still sent.
        (f"{API}:443/v1/b", f"{API}/v1/b", PAGE),
        ("HTTPS://API.example.com/v1/b", f"{API}/v1/b", PAGE),
        ("b", f"{API}/v1/b", PAGE),
        ("../v2/b?page=2", f"{API}/v2/b?page=2", PAGE),
        # Scheme-relative: the hop leaves a foreign URL for another origin, so Origin: null.
        ("//cdn.example.net/x", "https://cdn.example.net/x", "null"),
        ("//cdn.example.net:443/x", "https://cdn.example.net/x", "null"),
        ("http://api.example.com:80/c", "http://api.example.com/c", "null"),
    ],
)
def test_redirects_are_followed_where_the_browser_model_resolves_them(location, target, origin):
    start = f"{API}/v1/a"
    allow_any = (("Access-Control-Allow-Origin", "*"),)
    server = FakeServer(
        {
            ("GET", start): HttpResponse(302, (*allow_any, ("Location", location))),
            ("GET", target): HttpResponse(200, allow_any),
        }
    )
    result = run_check(BrowserRequest(start, PAGE), server)
    assert resolve_redirect(start, location) == target
    assert [sent[1] for sent in server.sent] == [start, target]
    assert ("Origin", origin) in server.sent[1][2]
    assert result.verdict.allowed
    assert result.verdict.url == target


@pytest.mark.parametrize("location", ["http://", "https://", "https://api.example.com:99999/"])
def test_a_location_that_is_no_url_is_not_followed(location):
    server = FakeServer({("GET", f"{API}/a"): HttpResponse(302, (*ALLOW, ("Location", location)))})
    result = run_check(BrowserRequest(f"{API}/a", PAGE), server)
    assert resolve_redirect(f"{API}/a", location) is None
    assert len(server.sent) == 1
    assert result.verdict.step == "redirect-invalid"
    assert result.verdict.message == "net::ERR_INVALID_REDIRECT"


def test_the_command_sends_what_the_model_judges_after_each_hop():
    """A redirect to another origin drops Authorization, and its preflight no longer asks for
    it; the chain the command records gets the same verdict from the model."""
    other = "https://cdn.example.net/b"
    allow = (*ALLOW, ("Access-Control-Allow-Headers", "authorization, x-token"))
    server = FakeServer(
        {
            ("OPTIONS", f"{API}/a"): HttpResponse(204, allow),
            ("GET", f"{API}/a"): HttpResponse(307, (*ALLOW, ("Location", other))),
            ("OPTIONS", other): HttpResponse(
                204,
                (
                    ("Access-Control-Allow-Origin", "null"),
                    ("Access-Control-Allow-Headers", "x-token"),
                ),
            ),
            ("GET", other): HttpResponse(200, (("Access-Control-Allow-Origin", "null"),)),
        }
    )
    headers = (("Authorization", "Bearer t"), ("X-Token", "1"))
    request = BrowserRequest(f"{API}/a", PAGE, "GET", headers)
    result = run_check(request, server)
    assert result.verdict.allowed
    preflight_at_other = dict(server.sent[2][2])
    assert preflight_at_other["Access-Control-Request-Headers"] == "x-token"
    assert preflight_at_other["Origin"] == "null"
    assert ("Authorization", "Bearer t") not in server.sent[3][2]
    responses = {(sent[0], sent[1]): server.table[(sent[0], sent[1])] for sent in server.sent}
    replayed = evaluate(
        request,
        preflight=responses[("OPTIONS", f"{API}/a")],
        response=responses[("GET", other)],
        redirects=[responses[("GET", f"{API}/a")]],
        redirect_preflights=[responses[("OPTIONS", other)]],
    )
    assert replayed == result.verdict


def test_the_twenty_first_redirect_is_not_followed():
    table = {
        ("GET", f"{API}/{n}"): HttpResponse(302, (*ALLOW, ("Location", f"/{n + 1}")))
        for n in range(30)
    }
    server = FakeServer(table)
    result = run_check(BrowserRequest(f"{API}/0", PAGE), server)
    assert result.verdict.step == "too-many-redirects"
    # The first request and twenty redirects followed, as the browser sends them.
    assert [sent[1] for sent in server.sent] == [f"{API}/{n}" for n in range(21)]


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
