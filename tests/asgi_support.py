"""Helpers shared by the ASGI tests: a test client, raw ASGI calls, and a browser's preflight.
(Here, not in tests/asgi/: that directory has no __init__.py, so it holds test modules only.)"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from starlette.testclient import TestClient

from crossgate.asgi._types import ASGIApp, Message, Scope

ORIGIN = "https://app.example.com"
OTHER = "https://evil.example"


def client(app: ASGIApp) -> TestClient:
    """A client that returns the 500 a server would send instead of raising the exception."""
    return TestClient(app, raise_server_exceptions=False)


def preflight_headers(
    method: str, headers: str | None = None, origin: str = ORIGIN
) -> dict[str, str]:
    """What a browser sends with a preflight for *method* (and request *headers*)."""
    sent = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers is not None:
        sent["Access-Control-Request-Headers"] = headers
    return sent


def http_scope(
    method: str = "GET", path: str = "/", headers: Iterable[tuple[bytes, bytes]] = ()
) -> Scope:
    """An http scope as a server builds it, with raw header bytes (which clients refuse)."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": list(headers),
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
    }


def call(app: ASGIApp, scope: Scope) -> list[Message]:
    """Run *app* on *scope* with an empty request body; every message it sends."""
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    async def run() -> None:
        await app(scope, receive, send)

    asyncio.run(run())
    return sent


def start_of(messages: list[Message]) -> tuple[int, dict[str, list[str]]]:
    """The status and the header lines (name lowercased -> values) of a response."""
    (start,) = [message for message in messages if message["type"] == "http.response.start"]
    lines: dict[str, list[str]] = {}
    for name, value in start.get("headers", ()):
        lines.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
    return start["status"], lines


async def hello(scope: Scope, receive: Any, send: Any) -> None:
    """A plain ASGI app (no router): 200 ``hello`` with ``Vary: Accept-Encoding``."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain"), (b"vary", b"Accept-Encoding")],
        }
    )
    await send({"type": "http.response.body", "body": b"hello"})
