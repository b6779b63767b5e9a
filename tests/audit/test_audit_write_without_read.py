"""``write-without-read``: a server whose preflights pass for any origin with credentials while
its actual answers stay exact lets any site's page send credentialed DELETEs and JSON POSTs.

The server is hand-written on http.server, listening on 127.0.0.1, so nothing of crossgate's
own answers it; ``crossgate audit`` runs as a user runs it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from click.testing import CliRunner
from flask import Flask

from crossgate.cli._command import main
from crossgate.flask import CORS
from tests.live_server import served

PAGE = "https://app.example.com"


class PreflightsForAnyone(BaseHTTPRequestHandler):
    """Preflights: any origin, with credentials, whatever is asked. Requests: PAGE only."""

    seen: list[tuple[str, str, str]]

    def do_OPTIONS(self) -> None:
        self.seen.append(("OPTIONS", self.headers.get("Host", ""), self.path))
        self.send_response(204)
        origin = self.headers.get("Origin")
        if origin:
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Access-Control-Allow-Credentials", "true")
            method = self.headers.get("Access-Control-Request-Method", "GET")
            self.send_header("Access-Control-Allow-Methods", f"GET, {method}")
            self.send_header("Access-Control-Allow-Headers", "Content-Type")
        self.send_header("Vary", "Origin")
        self.end_headers()

    def do_GET(self) -> None:
        self.seen.append(("GET", self.headers.get("Host", ""), self.path))
        body = b'{"user": "alice"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if self.headers.get("Origin") == PAGE:
            self.send_header("Access-Control-Allow-Origin", PAGE)
            self.send_header("Access-Control-Allow-Credentials", "true")
        self.send_header("Vary", "Origin")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads what was sent from ``seen``."""


@contextmanager
def hand_written() -> Iterator[tuple[str, list[tuple[str, str, str]]]]:
    seen: list[tuple[str, str, str]] = []
    handler = type("Handler", (PreflightsForAnyone,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seen
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def audit(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["audit", url, *args], catch_exceptions=False)
    return result.exit_code, result.stdout


def test_a_preflight_for_anyone_before_exact_answers_is_a_high_write_without_read() -> None:
    with hand_written() as (base, seen):
        code, out = audit(base + "/api/items", "--origin", PAGE)
    assert code == 1
    assert "FINDING write-without-read [high] origin https://evil.test" in out
    assert (
        "request:  OPTIONS with Origin: https://evil.test, Access-Control-Request-Method: DELETE"
        in out
    )
    assert "access-control-allow-credentials: true" in out.lower()
    assert "its GET is refused that origin: no read, but a write" in out
    assert "a DELETE, a JSON POST" in out
    assert "the server acts on them, with the user's cookies" in out
    assert "fix:      answer a preflight with the same origin check as the request itself" in out
    # Reading is refused to every attack origin: nothing else is reported.
    assert out.count("FINDING") == 1
    assert "1 finding (1 high)" in out
    # Its probes stayed on the URL named: same host, same path, preflights and GETs only.
    host = base.removeprefix("http://")
    assert {(h, path) for _, h, path in seen} == {(host, "/api/items")}
    assert {method for method, _, _ in seen} == {"GET", "OPTIONS"}


def test_a_json_post_alone_is_found_too() -> None:
    class JsonPostOnly(PreflightsForAnyone):
        def do_OPTIONS(self) -> None:
            if self.headers.get("Access-Control-Request-Method") == "DELETE":
                self.seen.append(("OPTIONS", self.headers.get("Host", ""), self.path))
                self.send_response(204)
                self.end_headers()
                return
            super().do_OPTIONS()

    seen: list[tuple[str, str, str]] = []
    handler = type("Handler", (JsonPostOnly,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        code, out = audit(f"http://127.0.0.1:{server.server_port}/api", "--origin", PAGE)
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
    assert code == 1
    assert (
        "Access-Control-Request-Method: POST, Access-Control-Request-Headers: content-type" in out
    )
    assert "FINDING write-without-read [high]" in out


def test_a_correct_crossgate_app_has_no_write_without_read() -> None:
    app = Flask("exact_writes")
    CORS(app, origins=[PAGE], supports_credentials=True, methods=["GET", "POST", "DELETE"])

    @app.route("/api/items", methods=["GET", "POST", "DELETE"])
    def items() -> dict[str, str]:
        return {"user": "alice"}

    with served(app) as server:
        code, out = audit(server.url + "/api/items", "--origin", PAGE)
    assert code == 0, out
    assert "write-without-read" not in out
    assert "no finding" in out
