"""``flask crossgate routes`` and ``flask crossgate check``, run through Flask's CLI runner."""

from __future__ import annotations

import json

import pytest
from flask import Blueprint, Flask

from crossgate.flask import CORS, Headers, cross_origin
from crossgate.flask._commands import crossgate_group

ORIGIN = "https://app.example.com"


def make_app() -> Flask:
    app = Flask("commands_app")

    @app.get("/plain")
    def plain() -> str:
        return "plain"

    @app.put("/items/")
    @cross_origin(origins=["http://localhost:3000"], methods=["PUT"], max_age=60)
    def items() -> str:
        return "items"

    api = Blueprint("api", __name__, url_prefix="/api")

    @api.get("/open")
    def open_data() -> str:
        return "open"

    CORS(api, origins="*", supports_credentials=False)
    app.register_blueprint(api)
    CORS(app, origins=[ORIGIN], supports_credentials=True, resources={"/plain": {}})
    return app


def invoke(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(crossgate_group, list(args))
    return result.exit_code, result.output


def test_routes_shows_every_route_with_its_policy_and_source():
    code, output = invoke(make_app(), "routes")
    assert code == 0
    blocks = output.split("\n/")
    by_rule = {block.split()[0].lstrip("/"): block for block in blocks}
    assert "origins: https://app.example.com" in by_rule["plain"]
    assert "credentials: yes" in by_rule["plain"]
    assert "from: resource '/plain'" in by_rule["plain"]
    assert "origins: http://localhost:3000" in by_rule["items/"]
    assert "max-age: 60s" in by_rule["items/"]
    assert "methods: PUT" in by_rule["items/"]
    assert "from: decorator on 'items'" in by_rule["items/"]
    assert "origins: *" in by_rule["api/open"]
    assert "from: blueprint 'api'" in by_rule["api/open"]
    assert "no CORS" in by_rule["static/<path:filename>"]


def test_routes_as_json():
    code, output = invoke(make_app(), "routes", "--json")
    assert code == 0
    rows = {row["rule"]: row for row in json.loads(output)}
    assert rows["/api/open"]["cors"]["origins"] == ["*"]
    assert rows["/items/"]["methods"] == ["PUT"]
    assert rows["/static/<path:filename>"]["cors"] is None


def test_routes_on_an_app_without_crossgate_says_how_to_set_it_up():
    code, output = invoke(Flask("bare"), "routes")
    assert code == 1
    assert "crossgate is not set up on this app" in output


def test_routes_reports_a_configuration_error_found_when_resolving():
    app = Flask("late")
    CORS(app, origins=[ORIGIN], supports_credentials=True)

    @app.get("/late")
    @cross_origin(origins=["http://partner.example.com"])
    def late() -> str:
        return "late"

    code, output = invoke(app, "routes")
    assert code == 1
    assert "allow_insecure_http_origins" in output


def test_check_allowed_preflighted_request_inside_the_app():
    code, output = invoke(
        make_app(),
        "check",
        "/items",
        "-X",
        "PUT",
        "-H",
        "Content-Type: application/json",
        "--origin",
        "http://localhost:3000",
        "--send",
    )
    assert code == 0, output
    assert "> OPTIONS http://localhost/items" in output
    assert "ALLOWED" in output


def test_check_refused_origin_exits_one_with_the_fix():
    code, output = invoke(make_app(), "check", "/plain", "--origin", "https://evil.example")
    assert code == 1
    assert "BLOCKED at step allow-origin-missing" in output
    assert "add 'https://evil.example' to origins" in output


def test_check_json():
    code, output = invoke(make_app(), "check", "/api/open", "--origin", ORIGIN, "--json")
    assert code == 0
    assert json.loads(output)["exchanges"][0]["response_headers"]


@pytest.mark.parametrize("path", ["plain", "http://localhost/plain"])
def test_check_refuses_a_path_that_is_not_a_path(path):
    code, output = invoke(make_app(), "check", path, "--origin", ORIGIN)
    assert code == 2
    assert "is not a path starting with '/'" in output


def _cli(app: Flask, *args: str) -> tuple[int, str]:
    """``flask crossgate ...`` through the app's own CLI, as Flask's test runner runs it."""
    result = app.test_cli_runner().invoke(args=["crossgate", *args])
    return result.exit_code, result.output


def _cors_app() -> Flask:
    app = Flask("registered_cors")
    CORS(app, origins=[ORIGIN])
    return app


def _headers_app() -> Flask:
    app = Flask("registered_headers")
    Headers(app, preset="api")
    return app


def _factory_app() -> Flask:
    cors = CORS(origins=[ORIGIN])
    app = Flask("registered_factory")
    cors.init_app(app)
    return app


@pytest.mark.parametrize(
    ("make", "shown"),
    [
        (_cors_app, "origins: https://app.example.com"),
        (_headers_app, "X-Content-Type-Options: nosniff"),
        (_factory_app, "origins: https://app.example.com"),
    ],
    ids=["CORS", "Headers", "init_app"],
)
def test_the_group_is_registered_on_app_cli_at_init_app(make, shown):
    app = make()
    assert app.cli.commands["crossgate"] is crossgate_group
    code, output = _cli(app, "routes" if "origins" in shown else "headers")
    assert code == 0, output
    assert shown in output


def test_registering_twice_is_harmless():
    app = Flask("twice")
    CORS(app, origins=[ORIGIN])
    Headers(app, preset="api")
    assert list(app.cli.commands) == ["crossgate"]
    code, output = _cli(app, "headers")
    assert code == 0, output
    assert "X-Content-Type-Options: nosniff" in output
    code, output = _cli(app, "--help")
    assert output.count("routes") == 1


def test_a_bare_app_has_no_crossgate_command_of_its_own():
    assert "crossgate" not in Flask("bare_cli").cli.commands
