"""``crossgate audit --send-writes``: a cookie-authenticated endpoint that accepts cross-site
writes is a finding; a protected one is not; without cookies or without consent the audit says
it cannot know, and sends no POST. Live servers on 127.0.0.1, the side effect observed there."""

from __future__ import annotations

import json

from click.testing import CliRunner
from flask import Flask, request

from crossgate.cli._command import main
from crossgate.flask import CORS, CrossOriginProtection
from crossgate.flask._commands import crossgate_group
from tests.live_server import served

PAGE = "https://app.example.com"
COOKIE = ("-H", "Cookie: session=alice")


def bank(name: str, *, protect: bool) -> tuple[Flask, list[str]]:
    """POST /transfer moves money for whoever the session cookie names."""
    app = Flask(name)
    moved: list[str] = []

    @app.route("/transfer", methods=["GET", "POST"])
    def transfer() -> tuple[str, int]:
        user = request.cookies.get("session")
        if user is None:
            return "sign in", 401
        if request.method == "POST":
            moved.append(user)
        return "ok", 200

    CORS(app, origins=[PAGE], supports_credentials=True)
    if protect:
        CrossOriginProtection(app)
    return app, moved


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["audit", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_unprotected_cookie_endpoint_accepting_a_forged_post_is_a_finding() -> None:
    app, moved = bank("audit_unprotected", protect=False)
    with served(app) as server:
        url = server.url + "/transfer"
        code, out = run(url, "--origin", PAGE, *COOKIE, "--send-writes")
        assert server.methods.count("POST") == 1  # one write, to the named URL only
    assert moved == ["alice"]  # the server really acted for the user
    assert code == 1
    assert "FINDING cross-site-write [high] origin https://evil.test" in out
    assert "Sec-Fetch-Site: cross-site, Sec-Fetch-Mode: navigate" in out
    assert "cross-site request forgery): CORS does not stop it" in out
    assert "fix:      CrossOriginProtection(app)" in out


def test_protected_endpoint_refuses_the_forged_post() -> None:
    app, moved = bank("audit_protected", protect=True)
    with served(app) as server:
        code, out = run(server.url + "/transfer", "--origin", PAGE, *COOKIE, "--send-writes")
    assert moved == []
    assert code == 0
    assert (
        "note cross-site-write-refused: cross-site writes: a form POST from https://evil.test "
        "with the cookies was refused by cross-origin protection (403)"
    ) in out
    assert "FINDING" not in out


def test_no_write_without_consent_or_without_cookies() -> None:
    app, moved = bank("audit_no_consent", protect=False)
    with served(app) as server:
        url = server.url + "/transfer"
        _, with_cookie = run(url, "--origin", PAGE, *COOKIE)
        code, without_cookie = run(url, "--origin", PAGE, "--send-writes")
        assert "POST" not in server.methods
    assert moved == []
    assert code == 0
    assert "pass --send-writes to send one form POST from https://evil.test" in with_cookie
    assert (
        "note cross-site-write-unknown: cross-site writes: cannot know whether a forged form "
        "POST would act as a signed-in user without the user's cookies"
    ) in without_cookie


def test_write_answered_otherwise_is_a_note() -> None:
    app, _ = bank("audit_other", protect=False)
    with served(app) as server:
        code, out = run(server.url + "/nowhere", *COOKIE, "--send-writes", "--json")
    assert code == 0
    assert json.loads(out)["findings"] == []


def test_flask_audit_sends_the_write_through_the_app() -> None:
    app, moved = bank("flask_audit", protect=False)
    result = app.test_cli_runner().invoke(
        crossgate_group, ["audit", "/transfer", "--origin", PAGE, *COOKIE, "--send-writes"]
    )
    assert result.exit_code == 1
    assert "FINDING cross-site-write [high]" in result.output
    assert moved == ["alice"]
