"""Finding what a server refused in a preflight: its debug reason, or bounded probe preflights."""

from __future__ import annotations

import json
from collections.abc import Collection

import pytest

from crossgate.browser import BrowserRequest, HttpResponse
from crossgate.cli._render import render_json, render_text
from crossgate.inspect import MAX_HEADER_PROBES, Reply, read_server_reason, run_check

API = "https://api.example.com/items"
PAGE = "https://app.example.com"


class PolicyServer:
    """Answers preflights the way a CORS library does: 204 with the headers, or a bare 403."""

    def __init__(
        self,
        *,
        methods: Collection[str] = ("GET", "POST"),
        headers: Collection[str] = ("content-type",),
        at_most: int | None = None,
        refuse_first: bool = False,
        body: bytes = b"",
    ) -> None:
        self.methods = methods
        self.headers = headers
        self.at_most = at_most
        self.refuse_first = refuse_first
        self.body = body
        self.sent: list[tuple[str, dict[str, str]]] = []

    def __call__(
        self, method: str, url: str, lines: list[tuple[str, str]], data: bytes | None
    ) -> Reply:
        asked = dict(lines)
        self.sent.append((method, asked))
        assert method == "OPTIONS", "only preflights may be sent"
        names = [n for n in asked.get("Access-Control-Request-Headers", "").split(",") if n]
        accepted = (
            asked["Origin"] == PAGE
            and asked["Access-Control-Request-Method"] in self.methods
            and all(name in self.headers for name in names)
            and (self.at_most is None or len(names) <= self.at_most)
            and not (self.refuse_first and len(self.sent) == 1)
        )
        if not accepted:
            return Reply(HttpResponse(403, (("Content-Type", "text/plain"),)), self.body)
        return Reply(
            HttpResponse(
                204,
                (
                    ("Access-Control-Allow-Origin", PAGE),
                    ("Access-Control-Allow-Methods", ", ".join(self.methods)),
                    ("Access-Control-Allow-Headers", ", ".join(names)),
                ),
            )
        )


def check(server: PolicyServer, method: str, *headers: tuple[str, str], origin: str = PAGE):
    return run_check(BrowserRequest(API, origin, method, headers), server)


JSON = ("Content-Type", "application/json")


def test_method_and_header_refused_together_are_both_named():
    server = PolicyServer()
    result = check(server, "PATCH", JSON, ("X-Trace", "1"))
    assert result.diagnosis is not None
    assert result.diagnosis.refused == ("method", "headers")
    assert result.diagnosis.headers == ("x-trace",)
    assert result.verdict.fix.startswith("add 'PATCH' to methods")
    assert "add 'x-trace' to allow_headers" in result.verdict.fix
    # PATCH refused, GET accepted, then each of the two headers alone.
    assert [exchange.kind for exchange in result.exchanges] == ["preflight", *["probe"] * 4]


def test_a_safelisted_method_the_route_lacks_points_at_the_route():
    result = check(PolicyServer(methods=("POST",)), "GET", ("X-Trace", "1"))
    assert result.diagnosis is not None
    assert result.diagnosis.method == "GET"
    assert "the route does not accept GET" in result.verdict.fix


def test_a_single_refused_header_needs_a_single_probe():
    server = PolicyServer()
    result = check(server, "POST", ("X-Trace", "1"))
    assert result.diagnosis is not None
    assert result.diagnosis.headers == ("x-trace",)
    assert len(server.sent) == 2


def test_probes_are_bounded_however_many_headers_are_sent():
    names = [f"x-h{index:02}" for index in range(20)]
    server = PolicyServer()
    result = check(server, "PUT", *[(name, "1") for name in names])
    assert len(server.sent) <= 1 + 3 + MAX_HEADER_PROBES
    assert result.diagnosis is not None
    assert "'PUT' to methods" in result.verdict.fix
    assert result.diagnosis.headers == tuple(names[:MAX_HEADER_PROBES])


def test_headers_past_the_probe_limit_are_named_as_unprobed():
    names = [f"x-h{index:02}" for index in range(MAX_HEADER_PROBES + 2)]
    server = PolicyServer(headers=names[:MAX_HEADER_PROBES])
    result = check(server, "GET", *[(name, "1") for name in names])
    assert result.diagnosis is not None
    assert f"'{names[-1]}'" in result.verdict.fix
    assert "origins" not in result.verdict.fix


def test_headers_refused_only_together_are_explained():
    server = PolicyServer(headers=("x-a", "x-b"), at_most=1)
    result = check(server, "GET", ("X-A", "1"), ("X-B", "2"))
    assert result.diagnosis is not None
    assert "accepted alone" in result.diagnosis.message
    assert "send fewer custom headers" in result.verdict.fix


def test_refused_origin_keeps_the_origin_fix():
    result = check(PolicyServer(), "PUT", JSON, origin="https://evil.example")
    assert result.diagnosis is not None
    assert result.diagnosis.refused == ("origin",)
    assert result.verdict.fix.startswith("add 'https://evil.example' to origins")
    assert len(result.exchanges) == 1 + 3


def test_a_server_that_contradicts_itself_gets_no_invented_cause():
    result = check(PolicyServer(refuse_first=True, methods=("PUT",)), "PUT")
    assert result.diagnosis is None
    assert "to origins" in result.verdict.fix
    assert render_json(result)["cause"] is None


def test_a_preflight_refused_with_cors_headers_needs_no_probe():
    def server(method: str, url: str, lines: list[tuple[str, str]], data: bytes | None) -> Reply:
        return Reply(HttpResponse(401, (("Access-Control-Allow-Origin", PAGE),)))

    result = run_check(BrowserRequest(API, PAGE, "PUT"), server)
    assert result.verdict.step == "preflight-status"
    assert result.diagnosis is None
    assert len(result.exchanges) == 1


REASON = (
    b"[header-not-allowed] CORS preflight refused: request header 'x-trace' is not in "
    b"allow_headers ('content-type'). Fix: add 'x-trace' to allow_headers. Browser console: "
    b"Response to preflight request doesn't pass access control check.\n"
)


def test_the_debug_reason_replaces_the_probes():
    server = PolicyServer(body=REASON)
    result = check(server, "GET", ("X-Trace", "1"))
    assert len(server.sent) == 1
    assert result.diagnosis is not None
    assert result.diagnosis.source == "server"
    assert result.diagnosis.code == "header-not-allowed"
    assert result.verdict.fix == "add 'x-trace' to allow_headers"
    text = render_text(result)
    assert "cause: request header 'x-trace' is not in allow_headers" in text
    assert "[header-not-allowed]" in text


@pytest.mark.parametrize(
    ("code", "refused"),
    [("origin-not-allowed", ("origin",)), ("method-not-routed", ("method",)), ("x-new", ())],
)
def test_the_reason_code_says_what_is_refused(code, refused):
    body = f"[{code}] CORS preflight refused: m. Fix: f. Browser console: c".encode()
    diagnosis = read_server_reason(body)
    assert diagnosis is not None
    assert diagnosis.refused == refused
    assert (diagnosis.message, diagnosis.fix) == ("m", "f")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"CORS preflight refused.\n",
        b"<html>403 Forbidden</html>",
        b"\xff\xfe[origin-not-allowed] garbage",
        b"[Bad Code] CORS preflight refused: m. Fix: f. Browser console: c",
    ],
)
def test_bodies_that_are_no_crossgate_reason_are_ignored(body):
    assert read_server_reason(body) is None


def test_a_hostile_reason_cannot_write_to_the_terminal():
    body = (
        b"[origin-not-allowed] CORS preflight refused: \x1b[2J\x1b]0;pwned\x07 evil. "
        b"Fix: run \x1b[31mrm -rf\x1b[0m. Browser console: x"
    )
    result = check(PolicyServer(body=body), "PUT", JSON)
    text = render_text(result)
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "\\u001B[31mrm -rf" in text
    assert json.loads(json.dumps(render_json(result)))["cause"]["source"] == "server"


def test_probes_are_shown_with_their_question():
    result = check(PolicyServer(), "POST", JSON, ("X-Trace", "1"))
    text = render_text(result)
    assert "* probe (sent by crossgate, not by the browser): is request header 'x-trace'" in text
    assert "cause: the server refuses request header 'x-trace'" in text
    assert "(found with 3 probe preflights)" in text
