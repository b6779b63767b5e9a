"""The protected Starlette app of the browser tests, for uvicorn, with a websocket endpoint.

``CROSSGATE_TRUSTED_ORIGIN`` is the page origin its CORS policy allows with credentials. The
``/open`` mount is exempt: the control that shows a forger's requests do reach an app.
"""

from __future__ import annotations

import json
import os
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.websockets import WebSocket

from crossgate.asgi import CORSMiddleware, CrossOriginProtection
from tests.protection.attack_page import Ledger, page, query_of

ledger = Ledger()


async def login(request: Request) -> Response:
    back = request.query_params.get("back", "")
    go = f"location.href = {json.dumps(back)};" if back else ""
    response = HTMLResponse(f"<!doctype html><title>logged in</title><script>{go}</script>")
    response.set_cookie("session", "alice", httponly=True)
    return response


async def attack_page(request: Request) -> Response:
    return HTMLResponse(page(query_of(request.url.query)))


async def report(request: Request) -> Response:
    return Response(ledger.report(request.url.query), media_type="application/json")


async def transfer(request: Request) -> Response:
    await request.body()
    ledger.effect(request.url.query, "session" in request.cookies)
    return Response("moved")


async def chat(websocket: WebSocket) -> None:
    ledger.effect(websocket.url.query, "session" in websocket.cookies)
    await websocket.accept()
    await websocket.send_text("hello")
    await websocket.close()


writes = [
    Route("/transfer", transfer, methods=["POST"]),
    WebSocketRoute("/ws", chat),
]
starlette = Starlette(
    routes=[
        Route("/login", login),
        Route("/page", attack_page),
        Route("/ledger", report),
        *writes,
        Mount("/open", routes=writes),
    ]
)
protected = CrossOriginProtection(
    CORSMiddleware(
        starlette,
        origins=[os.environ.get("CROSSGATE_TRUSTED_ORIGIN", "http://localhost")],
        supports_credentials=True,
    ),
    exempt=["/open"],
)


async def app(scope: Any, receive: Any, send: Any) -> None:
    """Record every request as it arrives, before the protection judges it."""
    if scope["type"] in ("http", "websocket"):
        headers = {name.decode().lower(): value.decode() for name, value in scope["headers"]}
        ledger.arrived(scope.get("query_string", b"").decode(), headers)
    await protected(scope, receive, send)
