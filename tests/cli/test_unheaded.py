"""Why an actual response came back without ``Access-Control-Allow-Origin``.

The browser blames the origin whatever the cause. ``check`` tells the causes apart: the origin is
refused (the server's debug reason, or no probe preflight accepted), or the server's policy
admits the origin and this response was sent without the CORS headers (an error page from in
front of the app, a method the URL does not serve). Probes are preflights only, each question is
sent once, and none is sent when the answer needs none.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner
from flask import Flask

from crossgate.browser import BrowserRequest, HttpResponse
from crossgate.cli._command import main
from crossgate.cli._render import render_json, render_text
from crossgate.flask import CORS, cross_origin
from crossgate.flask._commands import crossgate_group
from crossgate.inspect import Reply, run_check
from tests.live_server import Served

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

API = "https://api.example.com/items"
PAGE = "https://app.example.com"
REASON = (
    b"[origin-not-allowed] CORS preflight refused: origin 'https://evil.example' is not "
    b"allowed. Fix: add it to origins. Browser console: x"
)


class Server:
    """A server whose preflights follow a policy (PAGE, GET and POST), and whose actual
    responses carry ``Access-Control-Allow-Origin`` only when *headed*."""

    def __init__(
        self,
        *,
        status: int = 200,
        headed: bool = False,
        extra: tuple[tuple[str, str], ...] = (),
        refusal_body: bytes = b"",
        redirect: bool = False,
    ) -> None:
        self.status = status
        self.headed = headed
        self.extra = extra
        self.refusal_body = refusal_body
        self.redirect = redirect
        self.sent: list[tuple[str, str]] = []

    def __call__(
        self, method: str, url: str, lines: list[tuple[str, str]], data: bytes | None
    ) -> Reply:
        asked = dict(lines)
        self.sent.append((method, asked.get("Access-Control-Request-Method", "")))
        origin = asked.get("Origin")
        if method == "OPTIONS":
            if origin == PAGE and asked["Access-Control-Request-Method"] in ("GET", "POST", "PUT"):
                allowed = (("Access-Control-Allow-Origin", PAGE),)
                methods = (("Access-Control-Allow-Methods", "GET, POST, PUT"),)
                names = (("Access-Control-Allow-Headers", "content-type"),)
                return Reply(HttpResponse(204, allowed + methods + names, url))
            return Reply(HttpResponse(403, (), url), self.refusal_body)
        if self.redirect and url == API:
            return Reply(HttpResponse(302, (("Location", API + "/next"),), url))
        headers = self.extra
        if self.headed and origin == PAGE:
            headers += (("Access-Control-Allow-Origin", PAGE),)
        return Reply(HttpResponse(self.status, headers, url), b"body")


def check(server: Server, method: str = "GET", origin: str = PAGE, *, send: bool = False):
    headers = (("Content-Type", "application/json"),) if method == "PUT" else ()
    request = BrowserRequest(API, origin, method, headers)
    return run_check(request, server, send_unsafe=send)


def test_an_error_page_without_the_headers_is_told_apart_from_a_refused_origin():
    server = Server(status=502)
    result = check(server)
    diagnosis = result.diagnosis
    assert not result.verdict.allowed
    assert diagnosis is not None
    assert diagnosis.source == "probes"
    assert diagnosis.refused == ()
    assert "admits 'https://app.example.com' here" in diagnosis.message
    assert "HTTP 502" in diagnosis.message
    assert "past the CORS layer" in result.verdict.fix
    assert "to origins" not in result.verdict.fix
    # The request, then one probe: accepted, so nothing more is asked.
    assert server.sent == [("GET", ""), ("OPTIONS", "GET")]
    assert "(found with 1 probe preflight)" in render_text(result)


def test_a_method_the_url_does_not_serve_names_its_allow_header():
    result = check(Server(status=405, extra=(("Allow", "PUT, OPTIONS"),)))
    assert result.diagnosis is not None
    assert "does not serve 'GET' (Allow: 'PUT, OPTIONS')" in result.diagnosis.message
    assert result.verdict.fix.startswith("send a method the URL serves, or add 'GET'")


def test_a_refused_origin_keeps_the_origin_fix():
    server = Server()
    result = check(server, origin="https://evil.example")
    assert result.diagnosis is not None
    assert result.diagnosis.refused == ("origin",)
    # The probes showed the policy refuses it: no "if it is there already".
    assert result.verdict.fix == (
        "add 'https://evil.example' to origins, or give this URL a CORS policy if it has none"
    )
    # GET, then POST: each question once, even though GET is both the method and a candidate.
    assert server.sent == [("GET", ""), ("OPTIONS", "GET"), ("OPTIONS", "POST")]


def test_the_servers_reason_spares_the_other_probes():
    server = Server(refusal_body=REASON)
    result = check(server, origin="https://evil.example")
    assert result.diagnosis is not None
    assert result.diagnosis.source == "server"
    assert result.diagnosis.code == "origin-not-allowed"
    assert result.verdict.fix == "add it to origins"
    assert server.sent == [("GET", ""), ("OPTIONS", "GET")]


def test_an_accepted_preflight_needs_no_probe():
    server = Server(status=500)
    result = check(server, "PUT", send=True)
    diagnosis = result.diagnosis
    assert diagnosis is not None
    assert diagnosis.source == "preflight"
    assert "(the preflight for 'PUT' was accepted)" in diagnosis.message
    assert server.sent == [("OPTIONS", "PUT"), ("PUT", "")]
    assert render_json(result)["cause"]["probes"] == 0
    assert "found with" not in render_text(result)


@pytest.mark.parametrize(
    "server",
    [Server(headed=True), Server(redirect=True)],
    ids=["allowed", "redirected"],
)
def test_no_probe_where_the_answer_needs_none(server: Server):
    result = check(server)
    assert result.diagnosis is None
    assert all(method != "OPTIONS" for method, _ in server.sent)


def _api(name: str, *, debug: bool) -> Flask:
    app = Flask(name)
    app.debug = debug

    @app.get("/api/items")
    def items() -> dict[str, bool]:
        return {"ok": True}

    @app.put("/items/<int:id>")
    @cross_origin(origins=["http://localhost:3000"], methods=["PUT"])
    def update_item(id: int) -> dict[str, int]:
        return {"id": id}

    CORS(app, origins=[PAGE])
    return app


def run(url: str, *args: str) -> dict[str, object]:
    result = CliRunner().invoke(main, ["check", url, *args, "--json"], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    data: dict[str, object] = json.loads(result.output)
    return data


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_a_crossgate_server_refusing_a_get(serve: Callable[[Flask], Served], debug: bool):
    served = serve(_api(f"unheaded_{debug}", debug=debug))
    data = run(f"{served.url}/items/3", "--origin", "http://localhost:3001")
    cause = data["cause"]
    assert isinstance(cause, dict)
    assert cause["refused"] == ["origin"]
    if debug:
        # The view's own policy, named with the near miss, from one probe's 403.
        assert cause["source"] == "server"
        assert "@cross_origin(...) on view 'update_item'" in str(cause["message"])
        assert "only in the port" in str(cause["message"])
        assert served.methods == ["GET", "OPTIONS"]
    else:
        assert cause["source"] == "probes"
        assert served.methods == ["GET", "OPTIONS", "OPTIONS"]


@pytest.mark.parametrize(
    ("method", "stage"), [("GET", "response"), ("PUT", "preflight")], ids=["get", "put"]
)
def test_inside_the_app_its_own_reason_spares_every_probe(method: str, stage: str):
    app = _api(f"in_app_{method}", debug=False)
    args = ["check", "/items/3", "-X", method, "--origin", "http://localhost:3001", "--json"]
    result = app.test_cli_runner().invoke(crossgate_group, args)
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert data["cause"]["source"] == "app"
    assert data["cause"]["probes"] == 0
    assert "only in the port" in data["cause"]["message"]
    assert [exchange["kind"] for exchange in data["exchanges"]] == [
        "preflight" if stage == "preflight" else "request"
    ]


def test_inside_the_app_probes_still_ask_when_the_app_logged_nothing():
    # A response sent past crossgate (WSGI middleware in front of the edge answering 503 with
    # no CORS headers): the app logged no refusal, so the probes find the cause.
    app = _api("in_app_unheaded", debug=False)
    inner = app.wsgi_app

    def unavailable(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] == "GET":
            start_response("503 SERVICE UNAVAILABLE", [("Content-Type", "text/plain")])
            return [b"down"]
        return inner(environ, start_response)

    app.wsgi_app = unavailable  # type: ignore[method-assign]
    args = ["check", "/api/items", "--origin", PAGE, "--json"]
    result = app.test_cli_runner().invoke(crossgate_group, args)
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert data["cause"]["source"] == "probes"
    assert "HTTP 503" in data["cause"]["message"]
    assert data["cause"]["probes"] == 1


def test_a_null_origin_keeps_the_browsers_warning():
    result = check(Server(), origin="null")
    assert result.diagnosis is not None
    assert result.diagnosis.refused == ("origin",)
    assert "would trust every sandboxed page" in result.verdict.fix


@pytest.mark.parametrize("method", ["GET", "PUT"], ids=["response", "preflight"])
def test_a_server_failing_everything_is_not_blamed_on_the_origin(method: str):
    # An upstream that is down: the proxy answers 502 to the request and to every preflight.
    def down(verb: str, url: str, lines: list[tuple[str, str]], data: bytes | None) -> Reply:
        return Reply(HttpResponse(502, (("Content-Type", "text/html"),), url), b"Bad Gateway")

    result = run_check(BrowserRequest(API, PAGE, method, ()), down, send_unsafe=True)
    assert result.diagnosis is not None
    assert result.diagnosis.refused == ()
    assert "server error (HTTP 502)" in result.diagnosis.message
    assert result.verdict.fix.startswith("fix the server error first")
    assert "origins" not in result.verdict.fix
