"""``flask crossgate headers``: each route's response headers, their values and their sources."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask

from crossgate.flask import CORS, HSTS, Headers, headers
from crossgate.flask._commands import crossgate_group

ORIGIN = "https://app.example.com"


def make_app() -> Flask:
    app = Flask("headers_commands")
    Headers(
        app,
        preset="web",
        hsts=HSTS(max_age=31536000),
        override=["X-Frame-Options"],
        csp_nonce_directives=["script-src"],
        https_redirect=True,
    )
    admin = Blueprint("admin", __name__, url_prefix="/admin")
    Headers(admin, headers={"X-Robots-Tag": "noindex"})
    CORS(admin, origins=[ORIGIN])

    @admin.get("/users")
    def users() -> str:
        return "users"

    app.register_blueprint(admin)

    @app.get("/feed")
    @headers({"Cache-Control": "public, max-age=60", "Content-Security-Policy": None})
    def feed() -> str:
        return "feed"

    return app


def invoke(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(crossgate_group, ["headers", *args])
    return result.exit_code, result.output


def _blocks(output: str) -> dict[str, str]:
    blocks = ("\n" + output).split("\n/")[1:]
    return {block.split()[0]: block for block in blocks}


def test_headers_shows_every_route_with_values_and_sources() -> None:
    code, output = invoke(make_app())
    assert code == 0, output
    assert output.startswith("https redirect: plain-http requests get a 308")
    blocks = _blocks(output)
    users = blocks["admin/users"]
    assert "X-Robots-Tag: noindex  (headers @ blueprint 'admin')" in users
    assert "Strict-Transport-Security: max-age=31536000; includeSubDomains  (hsts @ app; " in users
    assert "https only" in users
    assert "X-Frame-Options: SAMEORIGIN  (preset:web @ app; override" in users
    assert "Cross-Origin-Resource-Policy: cross-origin  (preset:web @ app)" in users
    assert "+ nonce in script-src" in users
    assert "on http: default-src 'self'" in users  # without upgrade-insecure-requests
    feed = blocks["feed"]
    assert "Cache-Control: public, max-age=60  (headers @ view)" in feed
    assert "removed: Content-Security-Policy  (headers @ view)" in feed
    assert "Cross-Origin-Resource-Policy: same-origin" in feed
    assert "X-Robots-Tag" not in feed


def test_headers_as_json() -> None:
    code, output = invoke(make_app(), "--json")
    assert code == 0
    document = json.loads(output)
    assert document["https_redirect"] is True
    routes: dict[str, Any] = {row["rule"]: row for row in document["routes"]}
    users = {header["name"]: header for header in routes["/admin/users"]["headers"]}
    assert users["X-Robots-Tag"] == {
        "name": "X-Robots-Tag",
        "value": "noindex",
        "http_value": "noindex",
        "source": "headers",
        "level": "blueprint 'admin'",
        "override": False,
        "nonce_directives": [],
        "reason": "set in headers=",
    }
    assert users["Strict-Transport-Security"]["http_value"] is None
    assert users["Cross-Origin-Resource-Policy"]["value"] == "cross-origin"
    assert users["Content-Security-Policy"]["nonce_directives"] == ["script-src"]
    assert routes["/feed"]["removed"] == [
        {"name": "Content-Security-Policy", "source": "headers", "level": "view"}
    ]
    assert routes["/feed"]["methods"] == ["GET", "HEAD"]


def test_a_route_without_header_policy_says_so() -> None:
    app = Flask("cors_only")
    CORS(app, origins=[ORIGIN])

    @app.get("/data")
    def data() -> str:
        return "data"

    code, output = invoke(app)
    assert code == 0
    assert not output.startswith("https redirect")
    assert "no response headers from crossgate" in _blocks(output)["data"]
    code, output = invoke(app, "--json")
    assert json.loads(output)["https_redirect"] is False


def test_headers_on_an_app_without_crossgate_says_how_to_set_it_up() -> None:
    code, output = invoke(Flask("bare"))
    assert code == 1
    assert "Headers(app)" in output


def test_headers_reports_a_configuration_error_found_when_resolving() -> None:
    app = Flask("late")
    Headers(app)
    app.config["CORS_SEND_WILDCARD"] = True
    api = Blueprint("api", __name__)
    CORS(api, origins=[ORIGIN])
    app.register_blueprint(api, url_prefix="/api")
    code, output = invoke(app)
    assert code == 1
    assert "CORS_SEND_WILDCARD" in output
