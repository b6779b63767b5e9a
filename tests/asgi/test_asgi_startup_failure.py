"""A configuration error ends start-up under a real server, also when Starlette builds the
middleware lazily (``add_middleware``): uvicorn exits with the message instead of answering
500s, in both lifespan modes; without a lifespan, requests get a 500 naming the problem."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from crossgate.asgi import CORSMiddleware, HeadersMiddleware
from crossgate.asgi._startup import FailedStartup
from crossgate.asgi._types import Message
from crossgate.compat.starlette import CORSMiddleware as StarletteDropIn
from crossgate.errors import ConfigError
from tests.asgi_support import ORIGIN, client, hello
from tests.export.export_proxies import free_port

BAD_CORS = "app.add_middleware(CORSMiddleware, origins=['https://app.example.com/'])"
BAD_HEADERS = "app.add_middleware(HeadersMiddleware, preset='webb')"
BAD_DROP_IN = "app.add_middleware(DropIn, allow_origin_regex='https://(')"
APP = """\
from fastapi import FastAPI
from crossgate.asgi import CORSMiddleware, HeadersMiddleware
from crossgate.asgi._startup import FailedStartup
from crossgate.asgi._types import Message
from crossgate.compat.starlette import CORSMiddleware as DropIn

app = FastAPI()

@app.get("/health")
def health() -> dict[str, bool]:
    return {{"ok": True}}

{line}
"""


def _serve(tmp_path: Path, line: str, lifespan: str) -> subprocess.CompletedProcess[str]:
    """uvicorn serving an app that adds *line*'s middleware, on 127.0.0.1; ends by itself
    (the test fails on the timeout if it keeps serving)."""
    (tmp_path / "lazy_app.py").write_text(APP.format(line=line))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), *(p for p in sys.path if p)])
    command = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(free_port())]
    command += ["--lifespan", lifespan, "lazy_app:app"]
    return subprocess.run(
        command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("lifespan", ["auto", "on"])
@pytest.mark.parametrize(
    ("line", "words"),
    [
        (BAD_CORS, "'https://app.example.com/' has a trailing slash"),
        (BAD_HEADERS, "preset"),
        (BAD_DROP_IN, "allow_origin_regex"),
    ],
    ids=["cors", "headers", "starlette-drop-in"],
)
def test_uvicorn_exits_with_the_message(
    tmp_path: Path, lifespan: str, line: str, words: str
) -> None:
    done = _serve(tmp_path, line, lifespan)
    assert done.returncode != 0
    assert "Application startup failed. Exiting." in done.stderr
    assert "ASGI 'lifespan' protocol appears unsupported" not in done.stderr
    assert "invalid crossgate configuration" in done.stderr
    assert words in done.stderr


def test_a_valid_configuration_starts_as_before() -> None:
    api = FastAPI()
    api.add_middleware(CORSMiddleware, origins=[ORIGIN])
    with TestClient(api) as app:  # runs the lifespan, which builds the stack
        assert app.get("/nothing", headers={"Origin": ORIGIN}).headers[
            "access-control-allow-origin"
        ] == (ORIGIN)


def test_without_a_lifespan_requests_get_a_500_naming_the_problem(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = FastAPI()
    api.add_middleware(HeadersMiddleware, preset="webb")
    app = client(api)
    with caplog.at_level(logging.ERROR, logger="crossgate"):
        first = app.get("/")
        second = app.get("/")
    assert first.status_code == second.status_code == 500
    assert "invalid crossgate configuration (HeadersMiddleware(app))" in first.text
    assert "preset='webb'" in first.text
    # Logged once, when the stack was built, not per request.
    assert len(caplog.records) == 1
    assert caplog.records[0].levelno == logging.ERROR
    assert "preset='webb'" in caplog.records[0].getMessage()


def test_a_websocket_is_closed() -> None:
    api = FastAPI()
    api.add_middleware(CORSMiddleware, origins=["https://app.example.com/"])
    with pytest.raises(WebSocketDisconnect) as closed, client(api).websocket_connect("/ws"):
        pass  # pragma: no cover (the handshake is refused)
    assert closed.value.code == 1011


@pytest.mark.parametrize(
    "build",
    [
        lambda: CORSMiddleware(hello, origins=["https://app.example.com/"]),
        lambda: HeadersMiddleware(hello, preset="webb"),
        lambda: StarletteDropIn(hello, allow_origin_regex="https://("),
    ],
    ids=["cors", "headers", "starlette-drop-in"],
)
def test_constructed_directly_the_middleware_raises_at_once(build: object) -> None:
    with pytest.raises(ConfigError):
        build()  # type: ignore[operator]


def test_a_shutdown_without_startup_completes() -> None:
    failed = FailedStartup(ConfigError([], context="x"))
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "lifespan.shutdown"}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(failed({"type": "lifespan"}, receive, send))
    assert sent == [{"type": "lifespan.shutdown.complete"}]
