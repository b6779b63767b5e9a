"""``write-without-read``: a server whose preflights pass for any origin with credentials while
its actual answers stay exact lets any site's page send credentialed DELETEs and JSON POSTs.

The server is a hand-written WSGI app, listening on 127.0.0.1, so nothing of crossgate's
own answers it; ``crossgate audit`` runs as a user runs it.
"""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner
from flask import Flask

from crossgate.cli._command import main
from crossgate.flask import CORS
from tests.live_server import served

PAGE = "https://app.example.com"


Seen = list[tuple[str, str, str]]


def preflights_for_anyone(seen: Seen, *, delete: bool = True) -> Any:
    """Preflights: any origin, with credentials, whatever is asked (a DELETE only with *delete*).
    Requests: PAGE only. Records (method, Host, path) of each request in *seen*."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        method, origin = environ["REQUEST_METHOD"], environ.get("HTTP_ORIGIN")
        seen.append((method, environ.get("HTTP_HOST", ""), environ["PATH_INFO"]))
        headers = [("Vary", "Origin")]
        if method == "OPTIONS":
            asked = environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD", "GET")
            if origin and (delete or asked != "DELETE"):
                headers += [
                    ("Access-Control-Allow-Origin", origin),
                    ("Access-Control-Allow-Credentials", "true"),
                    ("Access-Control-Allow-Methods", f"GET, {asked}"),
                    ("Access-Control-Allow-Headers", "Content-Type"),
                ]
            start_response("204 No Content", headers)
            return []
        headers.append(("Content-Type", "application/json"))
        if origin == PAGE:
            headers += [
                ("Access-Control-Allow-Origin", PAGE),
                ("Access-Control-Allow-Credentials", "true"),
            ]
        start_response("200 OK", headers)
        return [b'{"user": "alice"}']

    return app


def audit(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["audit", url, *args], catch_exceptions=False)
    return result.exit_code, result.stdout


def test_a_preflight_for_anyone_before_exact_answers_is_a_high_write_without_read() -> None:
    seen: Seen = []
    with served(preflights_for_anyone(seen)) as server:
        code, out = audit(server.url + "/api/items", "--origin", PAGE)
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
    host = server.url.removeprefix("http://")
    assert {(h, path) for _, h, path in seen} == {(host, "/api/items")}
    assert {method for method, _, _ in seen} == {"GET", "OPTIONS"}


def test_a_json_post_alone_is_found_too() -> None:
    with served(preflights_for_anyone([], delete=False)) as server:
        code, out = audit(server.url + "/api", "--origin", PAGE)
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
