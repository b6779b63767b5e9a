"""A live HTTP server on 127.0.0.1 for the command-line tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.live_server import Served, served

WSGIApp = Callable[[dict[str, Any], Any], Any]


def cors_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Allows https://app.example.com; sleeps on /slow; answers preflights for PUT."""
    path = environ["PATH_INFO"]
    if path == "/slow":
        time.sleep(2)
    origin = environ.get("HTTP_ORIGIN")
    headers = [("Content-Type", "text/plain"), ("X-Secret", "1")]
    if origin == "https://app.example.com":
        headers += [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
        if environ["REQUEST_METHOD"] == "OPTIONS":
            headers += [
                ("Access-Control-Allow-Methods", "PUT"),
                ("Access-Control-Allow-Headers", "content-type"),
            ]
    start_response("200 OK", headers)
    return [b"hello\x1b[31m"]


@pytest.fixture(scope="module")
def live_url() -> Iterator[str]:
    with served(cors_app) as server:
        yield server.url


@pytest.fixture(scope="module")
def serve() -> Iterator[Callable[[WSGIApp], Served]]:
    """Starts apps on free ports of 127.0.0.1 for one module; stops them after it."""
    running: list[Served] = []

    def start(app: WSGIApp) -> Served:
        running.append(Served(app))
        return running[-1]

    yield start
    for server in running:
        server.close()
