"""The commands: crossgate audit / headers against live servers on 127.0.0.1, and
flask crossgate audit / headers --grade inside an app."""

from __future__ import annotations

import io
import json
import socket
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

from crossgate.cli._command import main
from crossgate.cli._tools import progress_bar
from crossgate.flask import CORS, Headers
from tests.audit.conftest import TlsServer, WSGIApp
from tests.audit.cors_fixtures import PAGE, allowing
from tests.live_server import served

HTML = "<!DOCTYPE html><html><head><title>t</title></head><body><p>hello</p></body></html>"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def site(preset: str | None = "web", **cors: Any) -> Flask:
    app = Flask(f"site_{preset}")
    if preset:
        Headers(app, preset=preset)
    if cors:
        CORS(app, **cors)

    @app.get("/")
    def index() -> str:
        return HTML

    @app.get("/api")
    def api() -> dict[str, int]:
        return {"a": 1}

    return app


def test_audit_exit_codes_text_and_json() -> None:
    with served(allowing(lambda origin: True)) as bad, served(site(None, origins=[PAGE])) as good:
        code, out, _ = run("audit", bad.url + "/", "--origin", PAGE)
        assert code == 1
        assert "FINDING reflect-any-origin [high] origin https://evil.test" in out
        assert "fix:      echo the Origin only when it is in an exact allow-list" in out
        assert "server: not recognized as crossgate" in out
        code, out, _ = run("audit", bad.url + "/", "--json", "--concurrency", "2")
        report = json.loads(out)
        assert code == 1
        assert set(report) == {"url", "findings", "probes"}
        assert all(
            set(f) == {"class", "origin", "severity", "evidence", "fix"} for f in report["findings"]
        )
        assert report["probes"] == 42
        code, out, _ = run("audit", good.url + "/", "--origin", PAGE, "--delay", "0.001")
        assert code == 0
        assert "no finding: no attack origin could read this URL" in out
        assert (
            "server: crossgate (recognized: its refused preflight answers 'CORS preflight refused')"
            in out
        )


def test_audit_usage_and_network_errors_exit_two() -> None:
    code, _, err = run("audit", "ftp://x/")
    assert code == 2
    assert "is not an http(s) URL" in err
    code, _, err = run("audit", "http://127.0.0.1:1/", "--origin", "app.example.com")
    assert code == 2
    assert "Invalid value for '--origin'" in err
    too_many = [item for i in range(5) for item in ("--origin", f"https://a{i}.example.com")]
    with served(allowing(lambda origin: False)) as server:
        code, _, err = run("audit", server.url, *too_many)
    assert code == 2
    assert "at most 4" in err
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, _, err = run("audit", f"http://127.0.0.1:{port}/")
    assert code == 2
    assert f"connection refused by 127.0.0.1:{port}" in err


def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    with progress_bar(4, "auditing") as tick:
        tick()
        tick()
    assert "auditing [###############...............] 2/4" in terminal.getvalue()
    plain = io.StringIO()
    monkeypatch.setattr("sys.stderr", plain)
    with progress_bar(4, "auditing") as tick:
        tick()
    assert plain.getvalue() == ""


@pytest.mark.usefixtures("loopback_names")
@pytest.mark.parametrize(("preset", "path"), [("web", "/"), ("strict", "/"), ("api", "/api")])
def test_presets_earn_a_plus_over_https(
    preset: str, path: str, tls_serve: Callable[[WSGIApp], TlsServer]
) -> None:
    server = tls_serve(site(preset))
    url = server.url.rstrip("/") + path
    code, out, _ = run("headers", url, "--insecure", "--json", "--min-grade", "A+")
    report = json.loads(out)
    assert (code, report["grade"]) == (0, "A+"), out
    assert set(report) == {"grade", "score", "tests"}
    assert report["score"] >= 130
    tests = report["tests"]
    assert all(test["modifier"] >= 0 for test in tests.values())
    assert tests["redirection"]["result"] == "not-tested"
    code, out, _ = run("headers", url, "--insecure")
    assert "grade A+" in out
    assert "--insecure: the certificate was not checked" in out
    assert "redirection not tested" in out


@pytest.mark.usefixtures("loopback_names")
def test_grade_below_minimum_exits_one_and_explains(
    tls_serve: Callable[[WSGIApp], TlsServer],
) -> None:
    server = tls_serve(site(None))
    code, out, err = run("headers", server.url, "--insecure", "--min-grade", "b")
    assert code == 1
    assert "grade D" in out
    assert "below --min-grade B" in err
    assert "fix: Headers(app, preset='api') for JSON" in out
    assert "high   (policy): no Content-Security-Policy is enforced" in out
    code, _, err = run("headers", server.url, "--min-grade", "Z")
    assert code == 2


@pytest.mark.usefixtures("loopback_names")
def test_certificate_is_checked_without_insecure(tls_serve: Callable[[WSGIApp], TlsServer]) -> None:
    server = tls_serve(site("web"))
    code, _, err = run("headers", server.url)
    assert code == 2
    assert "TLS error with api.example.com" in err


@pytest.mark.usefixtures("loopback_names")
def test_http_url_is_graded_with_its_redirect(tls_serve: Callable[[WSGIApp], TlsServer]) -> None:
    secure = tls_serve(site("web"))

    def redirect(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(
            "301 Moved", [("Location", secure.url), ("Set-Cookie", "sessionid=1; HttpOnly")]
        )
        return [b""]

    with served(redirect) as plain:
        url = plain.url.replace("127.0.0.1", "api.example.com") + "/"
        _code, out, _ = run("headers", url, "--insecure", "--json")
    tests = json.loads(out)["tests"]
    assert tests["redirection"]["result"] == "redirection-to-https"
    assert tests["redirection"]["data"]["route"] == [url, secure.url]
    # The cookie set by the http answer is judged too (HSTS protects it on https).
    assert tests["cookies"]["result"] == "cookies-session-without-secure-flag-but-protected-by-hsts"


def test_headers_refuses_a_status_the_observatory_does_not_grade() -> None:
    def missing(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("404 Not Found", [])
        return [b""]

    with served(missing) as server:
        code, _, err = run("headers", server.url + "/nope")
    assert code == 2
    assert "status 404, which is not graded" in err


def flask_run(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["crossgate", *args])
    return result.exit_code, result.output


def test_flask_audit_runs_the_same_probes_inside_the_app() -> None:
    safe = site(None, origins=[PAGE], supports_credentials=True)
    code, out = flask_run(safe, "audit", "/api", "--origin", PAGE, "--json")
    assert code == 0
    report = json.loads(out)
    assert report["findings"] == []
    assert report["url"] == "http://localhost/api"
    loose = site(None, origins=[PAGE, "null"], allow_null_origin=True, supports_credentials=True)
    code, out = flask_run(loose, "audit", "/api", "--origin", PAGE)
    assert code == 1
    assert "FINDING null-origin [high]" in out
    assert "fix:      remove allow_null_origin=True and 'null' from origins" in out
    code, out = flask_run(safe, "audit", "api")
    assert code == 2
    assert "is not a path" in out


def test_flask_headers_grade_inside_the_app() -> None:
    code, out = flask_run(site("web"), "headers", "/", "--grade", "--json", "--min-grade", "A+")
    report = json.loads(out)
    assert (code, report["grade"]) == (0, "A+")
    assert report["tests"]["strict-transport-security"]["result"] == (
        "hsts-implemented-max-age-at-least-six-months"
    )
    code, out = flask_run(site("api"), "headers", "/api", "--grade")
    assert code == 0
    assert "grade A+" in out
    assert "graded inside the app" in out
    code, out = flask_run(site("web"), "headers", "/", "--grade", "--min-grade", "A+")
    assert code == 0
    code, out = flask_run(site(None, origins=[PAGE]), "headers", "/", "--grade", "--min-grade", "A")
    assert code == 1
    # Without --grade the command lists every route, as before; PATH alone is a usage error.
    code, out = flask_run(site("web"), "headers")
    assert code == 0
    assert "Content-Security-Policy: default-src 'self'" in out
    code, out = flask_run(site("web"), "headers", "/")
    assert code == 2
    assert "--grade" in out
