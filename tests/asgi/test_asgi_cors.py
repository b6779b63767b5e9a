"""crossgate.asgi.CORSMiddleware on Starlette and FastAPI apps: options, preflights, actual
responses, errors, and what passes through untouched."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fastapi import Depends, FastAPI, HTTPException
from flask import Flask
from starlette.applications import Starlette
from starlette.endpoints import HTTPEndpoint
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Host, Mount, Route, WebSocketRoute
from starlette.websockets import WebSocket

from crossgate.asgi import CORSMiddleware
from crossgate.errors import ConfigError
from crossgate.flask import CORS
from tests.asgi_support import ORIGIN, OTHER, client, hello, preflight_headers

PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


def text(request: Request) -> Response:
    return PlainTextResponse(f"{request.method} {request.url.path}")


def starlette_app(**kwargs: Any) -> Starlette:
    return Starlette(
        routes=[
            Route("/items", text, methods=["GET", "PUT"]),
            Route("/items", text, methods=["DELETE"]),
            Route("/reports", text, methods=["POST"]),
            Mount("/v1", routes=[Route("/things", text, methods=["PATCH"])]),
            Mount("/static", app=hello),
        ],
        **kwargs,
    )


# --- options ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"origins": "localhost", "methods": ["CONNECT"], "max_age": -1},
        {"origins": "*", "supports_credentials": True, "allow_headers": ["*", "X-A"]},
        {"origin": ["https://app.example.com"]},
        {},
        {"origins": [re.compile(r"https://app.example.com")], "expose_headers": "Set-Cookie"},
    ],
)
def test_options_are_refused_with_the_same_problems_as_in_flask(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as in_flask:
        CORS(Flask(__name__), **options)
    with pytest.raises(ConfigError) as in_asgi:
        CORSMiddleware(hello, **options)
    # Flask's messages say at which level (app, blueprint, view) a problem is: here, the app.
    assert [str(problem) for problem in in_asgi.value.problems] == [
        str(problem).replace(" (in app)=", "=", 1) for problem in in_flask.value.problems
    ]
    assert "CORSMiddleware(app)" in str(in_asgi.value)


def test_every_problem_is_reported_at_once_when_the_middleware_is_built() -> None:
    with pytest.raises(ConfigError) as error:
        CORSMiddleware(hello, origins="localhost", methods=["CONNECT"], max_age=-1)
    assert [problem.option for problem in error.value.problems] == ["methods", "max_age", "origins"]
    assert "write 'http://localhost" in str(error.value)


def test_resources_belong_to_the_flask_adapter_and_say_what_to_do_instead() -> None:
    options: dict[str, Any] = {"resources": {"/api/*": {}}, "origins": "localhost"}
    with pytest.raises(ConfigError) as error:
        CORSMiddleware(hello, **options)
    assert [problem.option for problem in error.value.problems] == ["resources", "origins"]
    assert "its own CORSMiddleware" in str(error.value)
    with pytest.raises(ConfigError, match="1 problem"):
        CORSMiddleware(hello, resources="/api/*", origins=ORIGIN)  # type: ignore[call-arg]


# --- preflights ---------------------------------------------------------------------------------


def test_a_preflight_gets_every_method_of_the_route_and_never_reaches_the_app() -> None:
    seen: list[str] = []

    def authenticated(request: Request) -> None:
        seen.append(request.method)
        raise HTTPException(401, "log in first")

    api = FastAPI(dependencies=[Depends(authenticated)])

    @api.get("/items")
    def read() -> dict[str, str]:
        return {}  # pragma: no cover - every request is refused by the dependency

    @api.put("/items")
    def write() -> dict[str, str]:
        return {}  # pragma: no cover

    response = client(CORSMiddleware(api, origins=[ORIGIN])).options(
        "/items", headers=preflight_headers("PUT", "Content-Type, X-Token")
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-allow-methods"] == "GET, PUT"
    assert response.headers["access-control-allow-headers"] == "content-type, x-token"
    assert response.headers["vary"] == PREFLIGHT_VARY
    assert seen == []  # the app's authentication never saw the preflight
    actual = client(CORSMiddleware(api, origins=[ORIGIN])).put("/items", headers={"Origin": ORIGIN})
    assert actual.status_code == 401
    assert actual.headers["access-control-allow-origin"] == ORIGIN
    assert seen == ["PUT"]


def test_every_route_of_the_path_counts_and_a_method_it_does_not_serve_is_refused() -> None:
    app = client(CORSMiddleware(starlette_app(), origins=[ORIGIN]))
    allowed = app.options("/items", headers=preflight_headers("DELETE"))
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-methods"] == "DELETE, GET, HEAD, PUT"
    refused = app.options("/reports", headers=preflight_headers("PUT"))
    assert refused.status_code == 403
    assert refused.text == "CORS preflight refused.\n"
    assert "access-control-allow-origin" not in refused.headers
    assert refused.headers["vary"] == PREFLIGHT_VARY


def test_a_refused_preflight_says_why_in_debug_mode_and_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = client(CORSMiddleware(starlette_app(debug=True), origins=[ORIGIN]))
    with caplog.at_level(logging.DEBUG, logger="crossgate"):
        refused = app.options("/reports", headers=preflight_headers("PUT"))
        other = app.options("/reports", headers=preflight_headers("POST", origin=OTHER))
    assert refused.status_code == other.status_code == 403
    assert refused.text.startswith("[method-not-routed] CORS preflight refused")
    assert "POST" in refused.text
    assert other.text.startswith("[origin-not-allowed]")
    assert [record.crossgate_reason for record in caplog.records] == [  # type: ignore[attr-defined]
        "method-not-routed",
        "origin-not-allowed",
    ]
    assert all(record.levelno == logging.WARNING for record in caplog.records)


def test_mounted_routes_are_searched_and_a_mounted_foreign_app_leaves_it_to_methods() -> None:
    mounted = client(CORSMiddleware(starlette_app(), origins=[ORIGIN])).options(
        "/v1/things", headers=preflight_headers("PATCH")
    )
    assert mounted.status_code == 204
    assert mounted.headers["access-control-allow-methods"] == "PATCH"
    app = client(CORSMiddleware(starlette_app(), origins=[ORIGIN], methods=["GET", "PUT"]))
    foreign = app.options("/static/app.js", headers=preflight_headers("PUT"))
    assert foreign.status_code == 204
    assert foreign.headers["access-control-allow-methods"] == "GET, PUT"
    assert app.options("/static/app.js", headers=preflight_headers("DELETE")).status_code == 403


def test_a_preflight_to_a_path_without_a_route_goes_on_to_the_app() -> None:
    app = client(CORSMiddleware(starlette_app(), origins=[ORIGIN]))
    missing = app.options("/v1/nothing", headers=preflight_headers("PUT"))
    assert missing.status_code == 404
    assert missing.headers["access-control-allow-origin"] == ORIGIN
    assert app.options("/nothing", headers=preflight_headers("PUT")).status_code == 404


def test_a_preflight_is_answered_for_the_route_a_trailing_slash_redirect_leads_to() -> None:
    app = client(CORSMiddleware(starlette_app(), origins=[ORIGIN]))
    response = app.options("/items/", headers=preflight_headers("PUT"))
    assert response.status_code == 204
    assert "PUT" in response.headers["access-control-allow-methods"]


def test_a_route_for_every_method_and_an_app_without_router_leave_it_to_methods() -> None:
    class Anything(HTTPEndpoint):  # a class endpoint: Starlette routes every method to it
        pass

    for app in (Starlette(routes=[Route("/any", Anything)]), hello):
        wrapped = client(CORSMiddleware(app, origins=[ORIGIN], methods=["PUT"]))
        assert wrapped.options("/any", headers=preflight_headers("PUT")).status_code == 204
        refused = wrapped.options("/any", headers=preflight_headers("DELETE"))
        assert refused.status_code == 403


def test_the_router_is_found_through_the_middleware_add_middleware_builds() -> None:
    api = FastAPI()

    @api.patch("/items")
    def patch() -> dict[str, str]:
        return {}  # pragma: no cover

    api.add_middleware(CORSMiddleware, origins=[ORIGIN])
    response = client(api).options("/items", headers=preflight_headers("PATCH"))
    assert response.status_code == 204
    assert response.headers["access-control-allow-methods"] == "PATCH"


def test_routes_added_after_the_first_preflight_are_seen() -> None:
    app = Starlette(routes=[Route("/a", text)])
    wrapped = client(CORSMiddleware(app, origins=[ORIGIN]))
    assert wrapped.options("/b", headers=preflight_headers("GET")).status_code == 404
    app.add_route("/b", text, methods=["PUT"])
    assert wrapped.options("/b", headers=preflight_headers("PUT")).status_code == 204


# --- actual requests ----------------------------------------------------------------------------


def vary_view(request: Request) -> Response:
    return PlainTextResponse("hi", headers={"Vary": "Accept-Encoding"})


def test_actual_responses_get_the_headers_with_vary_merged() -> None:
    app = Starlette(routes=[Route("/", vary_view)])
    wrapped = client(
        CORSMiddleware(app, origins=[ORIGIN], supports_credentials=True, expose_headers="X-Id")
    )
    allowed = wrapped.get("/", headers={"Origin": ORIGIN})
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert allowed.headers["access-control-expose-headers"] == "X-Id"
    assert allowed.headers.get_list("vary") == ["Accept-Encoding, Origin"]
    for headers in ({"Origin": OTHER}, {}):
        refused = wrapped.get("/", headers=headers)
        assert refused.status_code == 200
        assert "access-control-allow-origin" not in refused.headers
        assert "access-control-allow-credentials" not in refused.headers
        assert refused.headers["vary"] == "Accept-Encoding, Origin"


def test_an_app_that_sets_its_own_allow_origin_gets_the_policys_and_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("WARNING", logger="crossgate")

    def own(request: Request) -> Response:
        return PlainTextResponse("own", headers={"Access-Control-Allow-Origin": "*"})

    wrapped = client(
        CORSMiddleware(
            Starlette(routes=[Route("/", own)]), origins=[ORIGIN], supports_credentials=True
        )
    )
    for _ in range(3):
        response = wrapped.get("/", headers={"Origin": ORIGIN})
        assert response.headers.get_list("access-control-allow-origin") == [ORIGIN]
        assert response.headers["access-control-allow-credentials"] == "true"
    refused = wrapped.get("/", headers={"Origin": OTHER})
    assert "access-control-allow-origin" not in refused.headers
    [record] = caplog.records  # once per endpoint
    message = record.getMessage()
    assert "endpoint 'test_an_app_that_sets_its_own_allow_origin" in message
    assert f"the app set '*', crossgate's policy writes {ORIGIN!r}" in message
    assert "Fix: remove the hand-set header; crossgate writes it" in message


def test_the_500_of_an_unhandled_exception_carries_the_headers_in_fastapi() -> None:
    api = FastAPI()

    @api.get("/boom")
    def boom() -> None:
        raise RuntimeError("the view broke")

    response = client(CORSMiddleware(api, origins=[ORIGIN])).get(
        "/boom", headers={"Origin": ORIGIN}
    )
    assert response.status_code == 500
    assert response.text == "Internal Server Error"
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["vary"] == "Origin"


def test_the_debug_traceback_of_starlette_carries_the_headers() -> None:
    def boom(request: Request) -> Response:
        raise RuntimeError("the view broke")

    app = Starlette(debug=True, routes=[Route("/boom", boom)])
    response = client(CORSMiddleware(app, origins=[ORIGIN])).get(
        "/boom", headers={"Origin": ORIGIN, "Accept": "text/html"}
    )
    assert response.status_code == 500
    assert "the view broke" in response.text
    assert response.headers["access-control-allow-origin"] == ORIGIN


def test_refused_actual_requests_are_logged_with_their_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    wrapped = client(CORSMiddleware(starlette_app(), origins=[ORIGIN]))
    with caplog.at_level(logging.DEBUG, logger="crossgate"):
        wrapped.get("/items", headers={"Origin": "null"})
        wrapped.get("/items")  # no Origin: not a cross-origin request, nothing to explain
    (record,) = caplog.records
    assert record.levelno == logging.DEBUG
    assert record.crossgate_reason == "origin-null"  # type: ignore[attr-defined]
    assert record.getMessage().startswith("'GET' '/items' [origin-null]")


# --- what passes through ------------------------------------------------------------------------


def test_websocket_and_lifespan_scopes_pass_through_untouched() -> None:
    events: list[str] = []
    scopes: list[dict[str, Any]] = []

    async def echo(websocket: WebSocket) -> None:
        scopes.append(dict(websocket.scope))
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        events.append("startup")
        yield
        events.append("shutdown")

    app = Starlette(routes=[WebSocketRoute("/ws", echo)], lifespan=lifespan)
    wrapped = client(CORSMiddleware(app, origins=[ORIGIN]))
    with wrapped, wrapped.websocket_connect("/ws", headers={"Origin": OTHER}) as socket:
        socket.send_text("ping")
        assert socket.receive_text() == "ping"
    assert events == ["startup", "shutdown"]
    assert not any(key.startswith("crossgate") for key in scopes[0])


def test_middleware_added_in_the_starlette_list_covers_what_is_inside() -> None:
    app = starlette_app(middleware=[Middleware(CORSMiddleware, origins=[ORIGIN])])
    response = client(app).options("/items", headers=preflight_headers("PUT"))
    assert response.status_code == 204
    assert response.headers["access-control-allow-methods"] == "DELETE, GET, HEAD, PUT"


def test_host_routes_are_matched_on_each_request_and_mounted_any_method_routes_are_unknown() -> (
    None
):
    class Anything(HTTPEndpoint):
        pass

    app = Starlette(
        routes=[
            Host("api.example.com", Starlette(routes=[Route("/items", text, methods=["PUT"])])),
            Mount("/any", routes=[Route("/thing", Anything)]),
        ]
    )
    wrapped = client(CORSMiddleware(app, origins=[ORIGIN], methods=["DELETE", "PUT"]))
    on_api = {**preflight_headers("PUT"), "Host": "api.example.com"}
    assert wrapped.options("/items", headers=on_api).status_code == 204
    # The same path on another host has no route: the answer was not remembered by path.
    assert wrapped.options("/items", headers=preflight_headers("PUT")).status_code == 404
    assert wrapped.options("/items", headers=on_api).status_code == 204
    unknown = wrapped.options("/any/thing", headers=preflight_headers("DELETE"))
    assert unknown.status_code == 204
    assert unknown.headers["access-control-allow-methods"] == "DELETE, PUT"


def test_a_middleware_chain_that_loops_has_no_router() -> None:
    class Loop:
        def __init__(self) -> None:
            self.app = self

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            await hello(scope, receive, send)

    wrapped = client(CORSMiddleware(Loop(), origins=[ORIGIN], methods=["PUT"]))
    assert wrapped.options("/", headers=preflight_headers("PUT")).status_code == 204
