"""crossgate.asgi.CrossOriginProtection on Starlette and FastAPI apps: http writes, WebSocket
handshakes refused before accept, exemptions on the route Starlette dispatches to."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocket

from crossgate.asgi import CORSMiddleware, CrossOriginProtection
from crossgate.errors import ConfigError
from tests.asgi_support import client

TRUSTED = "https://app.example.com"
EVIL = "https://evil.example"
CROSS = {"Origin": EVIL, "Sec-Fetch-Site": "cross-site"}


def bank(ran: list[str], **protection: Any) -> Any:
    async def view(request: Request) -> Response:
        ran.append(request.url.path)
        return PlainTextResponse("done")

    async def chat(websocket: WebSocket) -> None:
        ran.append("ws")
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()

    hooks = Starlette(routes=[Route("/payment", view, methods=["POST"], name="payment")])
    app = Starlette(
        routes=[
            Route("/transfer", view, methods=["POST"], name="transfer"),
            Mount("/hooks", app=hooks, name="hooks"),
            Mount("/api", routes=[Mount("/v1", routes=[Route("/x", view, methods=["POST"])])]),
            Route("/{rest:path}", view, methods=["POST", "PUT"], name="anything"),
            WebSocketRoute("/ws", chat, name="chat"),
        ]
    )
    cors = CORSMiddleware(app, origins=[TRUSTED], supports_credentials=True)
    return CrossOriginProtection(cors, **protection)


def test_a_cross_site_post_is_refused_before_the_app():
    ran: list[str] = []
    response = client(bank(ran)).post("/transfer", headers=CROSS)
    assert response.status_code == 403
    assert response.text == "Cross-origin request refused.\n"
    assert ran == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},
        {},
        {"Origin": "http://testserver"},
        {"Origin": TRUSTED, "Sec-Fetch-Site": "cross-site"},
    ],
)
def test_own_pages_clients_and_credentialed_origins_write(headers: dict[str, str]):
    ran: list[str] = []
    response = client(bank(ran)).post("/transfer", headers=headers)
    assert response.status_code == 200
    assert ran == ["/transfer"]


def test_a_foreign_websocket_handshake_is_refused_with_403_before_accept():
    ran: list[str] = []
    connecting = client(bank(ran)).websocket_connect("/ws", headers={"Origin": EVIL})
    with pytest.raises(WebSocketDenialResponse) as denied, connecting:
        pass  # pragma: no cover - never accepted
    assert denied.value.status_code == 403
    assert ran == []
    with client(bank(ran)).websocket_connect("/ws", headers={"Origin": TRUSTED}) as socket:
        assert socket.receive_text() == "hello"
    assert ran == ["ws"]


def test_without_the_denial_extension_the_handshake_is_closed_before_accept():
    ran: list[str] = []
    app = bank(ran)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "websocket",
        "path": "/ws",
        "raw_path": b"/ws",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"origin", EVIL.encode()), (b"host", b"testserver")],
    }
    asyncio.run(app(scope, receive, send))
    assert sent == [{"type": "websocket.close", "code": 1008}]
    assert ran == []


def test_a_refusal_carries_the_cors_headers_for_a_reading_origin():
    ran: list[str] = []

    async def view(request: Request) -> Response:
        ran.append("view")
        return PlainTextResponse("done")

    app = Starlette(routes=[Route("/w", view, methods=["POST"])])
    guarded = CrossOriginProtection(CORSMiddleware(app, origins=["https://reader.example"]))
    response = client(guarded).post(
        "/w", headers={"Origin": "https://reader.example", "Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 403
    assert response.headers["access-control-allow-origin"] == "https://reader.example"
    assert response.headers["vary"] == "Origin"
    assert ran == []


@pytest.mark.parametrize(
    ("exempt", "path", "allowed"),
    [
        (["payment"], "/hooks/payment", True),
        (["hooks"], "/hooks/payment", True),
        (["/hooks"], "/hooks/payment", True),
        (["/api/v1"], "/api/v1/x", True),
        (["payment"], "/hooks/payment/x", False),
        (["payment"], "/hooks/payment/", False),
        (["payment"], "/hooks//payment", False),
        (["payment"], "/transfer", False),
        (["/hooks"], "/hooksx/payment", False),
        (["/hooks"], "/HOOKS/payment", False),
        (["chat"], "/transfer", False),
    ],
)
def test_exemptions_follow_starlettes_dispatch_not_the_path(
    exempt: list[str], path: str, allowed: bool
):
    ran: list[str] = []
    app = bank(ran, exempt=exempt)
    response = client(app).post(path, headers=CROSS, follow_redirects=False)
    if allowed:
        assert response.status_code == 200
        assert ran == [path]
    else:
        assert response.status_code == 403
        assert ran == []


def test_a_dot_segment_path_from_a_raw_client_is_judged_where_it_goes():
    ran: list[str] = []
    app = bank(ran, exempt=["payment"])
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    path = "/hooks/payment/../../transfer"
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"origin", EVIL.encode()), (b"sec-fetch-site", b"cross-site")],
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 403
    assert ran == []


def test_unknown_exempt_names_are_a_config_error_at_start_up():
    with pytest.raises(ConfigError) as raised:
        bank([], exempt=["paymnet", "/hooks/*"])
    message = str(raised.value)
    assert "exempt='paymnet': is not a route name or a mounted path of this app" in message
    assert "exempt='/hooks/*'" in message


def test_exempt_needs_a_router():
    async def bare(scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover
        pass

    with pytest.raises(ConfigError, match="needs a Starlette or FastAPI router"):
        CrossOriginProtection(bare, exempt=["x"])


def test_fastapi_route_names_and_debug_explanations(caplog: pytest.LogCaptureFixture):
    api = FastAPI(debug=True)
    ran: list[str] = []

    @api.post("/hook")
    def stripe_hook() -> str:
        ran.append("hook")
        return "ok"

    @api.post("/pay")
    def pay() -> str:
        ran.append("pay")
        return "ok"

    app = CrossOriginProtection(api, exempt=["stripe_hook"])
    with caplog.at_level(logging.INFO, logger="crossgate"):
        assert client(app).post("/hook", headers=CROSS).status_code == 200
        refused = client(app).post("/pay", headers=CROSS)
    assert refused.status_code == 403
    assert refused.text.startswith("[protection-cross-site] cross-origin write refused")
    assert ran == ["hook"]
    assert [record.levelno for record in caplog.records] == [logging.WARNING]


def test_lifespan_and_safe_methods_pass_untouched():
    ran: list[str] = []
    response = client(bank(ran)).get("/transfer", headers=CROSS)
    assert response.status_code == 405  # the app answered: no view for GET, nothing refused


def test_a_handshake_whose_client_left_gets_no_answer():
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.disconnect", "code": 1001}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "websocket",
        "path": "/ws",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"origin", EVIL.encode())],
    }
    asyncio.run(bank([])(scope, receive, send))
    assert sent == []


def test_a_method_the_route_lacks_is_judged_on_that_route():
    # Starlette answers a POST to a GET-only route with 405 from that route: no view runs.
    async def page(request: Request) -> Response:  # pragma: no cover - never called
        return PlainTextResponse("page")

    app = Starlette(routes=[Route("/page", page, methods=["GET"], name="page")])
    guarded = CrossOriginProtection(app, exempt=["page"])
    assert client(guarded).post("/page", headers=CROSS).status_code == 405
    assert client(CrossOriginProtection(app)).post("/page", headers=CROSS).status_code == 403
