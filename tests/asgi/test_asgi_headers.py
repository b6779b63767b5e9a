"""crossgate.asgi.HeadersMiddleware: the response headers of crossgate.flask.Headers, for ASGI."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from crossgate.asgi import CORSMiddleware, HeadersMiddleware, csp_nonce
from crossgate.errors import ConfigError
from crossgate.flask import Headers
from tests.asgi_support import ORIGIN, client, hello, preflight_headers


def cached(request: Request) -> Response:
    return PlainTextResponse(
        "cached", headers={"Cache-Control": "max-age=60", "Vary": "Accept-Encoding"}
    )


def page(request: Request) -> Response:
    nonce = csp_nonce(request.scope)
    return HTMLResponse(
        f'<script nonce="{nonce}"></script><style nonce="{csp_nonce(request.scope)}">'
    )


APP = Starlette(routes=[Route("/", cached), Route("/page", page)])


@pytest.mark.parametrize(
    "options",
    [
        {"preset": "wbe"},
        {"headers": {"X-Frame-Options": "DENY\r\nX-Evil: 1"}, "hsts": "yes"},
        {"csp": {"script-src": "'unsafe-inline"}, "csp_report_to": "not a url"},
    ],
)
def test_options_are_refused_with_the_same_problems_as_in_flask(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as in_flask:
        Headers(Flask(__name__), **options)
    with pytest.raises(ConfigError) as in_asgi:
        HeadersMiddleware(hello, **options)
    assert in_asgi.value.problems == in_flask.value.problems
    assert "HeadersMiddleware(app)" in str(in_asgi.value)


def test_a_misspelt_option_is_named_with_the_fix_and_with_every_other_problem() -> None:
    with pytest.raises(ConfigError) as error:
        HeadersMiddleware(hello, prest="api", hsts="yes")  # type: ignore[call-arg, arg-type]
    assert next((problem.option, problem.fix) for problem in error.value.problems) == (
        "prest",
        "write 'preset'",
    )
    assert len(error.value.problems) == 2
    with pytest.raises(ConfigError, match="1 problem") as alone:
        HeadersMiddleware(hello, preset="api", overide=["X-Frame-Options"])  # type: ignore[call-arg]
    assert alone.value.problems[0].fix == "write 'override'"


def test_every_response_gets_the_policy_with_lists_merged() -> None:
    app = client(HeadersMiddleware(APP, preset="api", headers={"Cache-Control": "no-store"}))
    response = app.get("/")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cross-origin-resource-policy"] == "same-origin"
    assert response.headers.get_list("cache-control") == ["max-age=60, no-store"]
    assert response.headers["vary"] == "Accept-Encoding"
    assert "strict-transport-security" not in response.headers  # plain http
    missing = app.get("/nothing")
    assert missing.status_code == 404
    assert missing.headers["x-content-type-options"] == "nosniff"


def test_hsts_is_sent_on_https_only() -> None:
    secure = client(HeadersMiddleware(APP, preset="api"))
    secure.base_url = secure.base_url.copy_with(scheme="https")
    assert "max-age=" in secure.get("/").headers["strict-transport-security"]


def test_around_cors_the_preflights_are_covered_and_cross_origin_reads_relaxed() -> None:
    app = client(HeadersMiddleware(CORSMiddleware(APP, origins=[ORIGIN]), preset="api"))
    preflight = app.options("/", headers=preflight_headers("GET", "X-Token"))
    assert preflight.status_code == 204
    assert preflight.headers["x-content-type-options"] == "nosniff"
    actual = app.get("/", headers={"Origin": ORIGIN})
    assert actual.headers["access-control-allow-origin"] == ORIGIN
    assert actual.headers["cross-origin-resource-policy"] == "cross-origin"


def test_a_nonce_the_page_asked_for_is_in_its_csp() -> None:
    app = client(
        HeadersMiddleware(APP, csp={"script-src": "'self'"}, csp_nonce_directives=["script-src"])
    )
    first, second = app.get("/page"), app.get("/page")
    nonce = first.text.split('"')[1]
    assert first.text.split('"')[3] == nonce  # the same nonce for the whole request
    assert first.headers["content-security-policy"] == f"script-src 'self' 'nonce-{nonce}'"
    assert nonce not in second.text
    assert app.get("/").headers["content-security-policy"] == "script-src 'self'"


def test_websockets_pass_through() -> None:
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hi")
        await websocket.close()

    app = Starlette(routes=[WebSocketRoute("/ws", echo)])
    with client(HeadersMiddleware(app, preset="api")).websocket_connect("/ws") as socket:
        assert socket.receive_text() == "hi"
