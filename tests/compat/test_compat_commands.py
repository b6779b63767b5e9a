"""``flask crossgate routes|headers|check`` on an app set up with the flask-cors layer."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Blueprint, Flask

import crossgate.compat.flask_cors as compat
from crossgate.compat.flask_cors import FlaskCorsCompatWarning
from crossgate.flask import Headers

ORIGIN = "http://localhost:3000"
OTHER = "https://partner.example"


def make_app() -> Flask:
    """The much-copied flask-cors set-up, migrated by changing one import."""
    app = Flask("compat_commands")

    @app.route("/api/items/", methods=["GET", "PUT"])
    def items() -> str:
        return "items"

    @app.get("/decorated")
    @compat.cross_origin(origins=[OTHER], max_age=30)
    def decorated() -> str:
        return "decorated"

    @app.get("/health")
    def health() -> str:
        return "ok"

    admin = Blueprint("admin", __name__, url_prefix="/admin")

    @admin.get("/users")
    def users() -> str:
        return "users"

    compat.CORS(admin, origins=[OTHER], supports_credentials=True)
    app.register_blueprint(admin)
    compat.CORS(
        app,
        resources={r"/api/*": {"origins": [ORIGIN], "expose_headers": ["X-Total"]}},
        max_age=600,
    )
    return app


def cli(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["crossgate", *args])
    return result.exit_code, result.output


def _routes(app: Flask) -> dict[str, Any]:
    code, output = cli(app, "routes", "--json")
    assert code == 0, output
    return {row["rule"]: row for row in json.loads(output)}


def test_routes_shows_the_compat_policies_and_where_they_come_from() -> None:
    code, output = cli(make_app(), "routes")
    assert code == 0, output
    assert "crossgate is not set up" not in output
    blocks = {block.split()[0]: block for block in ("\n" + output).split("\n/")[1:]}
    assert "origins: http://localhost:3000" in blocks["api/items/"]
    assert "max-age: 600s" in blocks["api/items/"]
    assert "from: flask-cors CORS(app), resource '/api/*'" in blocks["api/items/"]
    assert "origins: https://partner.example" in blocks["decorated"]
    assert "from: flask-cors cross_origin on 'decorated'" in blocks["decorated"]
    assert "max-age: 30s" in blocks["decorated"]
    assert "credentials: yes" in blocks["admin/users"]
    assert "from: flask-cors CORS(blueprint 'admin'), resource '/*'" in blocks["admin/users"]
    assert "no CORS" in blocks["health"]


def test_routes_as_json_with_the_union_of_several_calls() -> None:
    app = make_app()
    compat.CORS(app, origins="*", resources=[r"/admin/.*"])
    rows = _routes(app)
    items = rows["/api/items/"]["cors"]
    assert items["origins"] == [ORIGIN]
    assert items["expose_headers"] == ["X-Total"]
    assert items["methods"] == ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
    assert items["allow_headers"] == "*"
    assert rows["/health"]["cors"] is None
    # The blueprint's hook runs first; the app's second call may allow what it refuses.
    admin = rows["/admin/users"]
    assert admin["cors"]["source"] == "flask-cors CORS(blueprint 'admin'), resource '/*'"
    assert [other["origins"] for other in admin["also"]] == [["*"]]
    code, output = cli(app, "routes")
    assert code == 0, output
    assert "also (either may allow a request):" in output


def test_routes_shows_regex_origins_and_no_max_age() -> None:
    app = Flask("regex_origins")
    app.add_url_rule("/x", "x", lambda: "x")
    with pytest.warns(FlaskCorsCompatWarning, match="is matched against the whole origin"):
        compat.CORS(
            app, origins=[r"https://.*\.example\.com", "*"], allow_headers=["X-A", r"X-B.*"]
        )
    cors = _routes(app)["/x"]["cors"]
    assert cors["origins"] == ["*", r"https://.*\.example\.com"]
    assert cors["allow_headers"] == ["X-A", "X-B.*"]
    assert cors["max_age"] is None
    code, output = cli(app, "routes")
    assert code == 0, output
    assert "max-age: none" in output


def test_routes_reports_a_decorated_view_whose_options_clash_with_the_config() -> None:
    app = Flask("clash")
    app.config["CORS_SEND_WILDCARD"] = True

    @app.get("/clash")
    @compat.cross_origin(supports_credentials=True)
    def clash() -> str:
        return "clash"

    compat.CORS(app, resources=[])
    code, output = cli(app, "routes")
    assert code == 1
    assert "supports_credentials" in output


def test_headers_shows_the_cors_lines_the_layer_adds() -> None:
    code, output = cli(make_app(), "headers", "--json")
    assert code == 0, output
    rows = {row["rule"]: row for row in json.loads(output)["routes"]}
    items = {header["name"]: header for header in rows["/api/items/"]["headers"]}
    assert items["Access-Control-Allow-Origin"]["value"] == "<the request's Origin, when allowed>"
    assert items["Access-Control-Expose-Headers"]["value"] == "X-Total"
    assert items["Access-Control-Allow-Origin"]["source"] == (
        "flask-cors CORS(app), resource '/api/*'"
    )
    assert items["Access-Control-Allow-Origin"]["level"] == "app"
    admin = {header["name"]: header for header in rows["/admin/users"]["headers"]}
    assert admin["Access-Control-Allow-Credentials"]["value"] == "true"
    assert admin["Access-Control-Allow-Credentials"]["level"] == "blueprint 'admin'"
    assert rows["/decorated"]["headers"][0]["level"] == "view"
    assert rows["/health"]["headers"] == []


def test_headers_shows_a_wildcard_answer_and_vary() -> None:
    app = Flask("wildcard")
    app.add_url_rule("/star", "star", lambda: "star")
    app.add_url_rule("/two", "two", lambda: "two")
    compat.CORS(
        app,
        resources={"/star": {"send_wildcard": True}, "/two": {"origins": [ORIGIN, OTHER]}},
    )
    code, output = cli(app, "headers")
    assert code == 0, output
    assert (
        "Access-Control-Allow-Origin: *  (flask-cors CORS(app), resource '/star' @ app)" in output
    )
    assert "Vary: Origin  (flask-cors CORS(app), resource '/two' @ app)" in output


def test_headers_with_native_headers_and_the_compat_layer_on_one_app() -> None:
    app = make_app()
    Headers(app, preset="api")
    code, output = cli(app, "headers", "--json")
    assert code == 0, output
    rows = {row["rule"]: row for row in json.loads(output)["routes"]}
    names = [header["name"] for header in rows["/api/items/"]["headers"]]
    assert "X-Content-Type-Options" in names
    assert "Access-Control-Allow-Origin" in names
    code, output = cli(app, "routes", "--json")
    assert json.loads(output)[0]["cors"] is not None


@pytest.mark.parametrize(
    ("origin", "code", "verdict"),
    [(ORIGIN, 0, "ALLOWED"), ("https://evil.example", 1, "BLOCKED")],
)
def test_check_runs_against_a_compat_app(origin: str, code: int, verdict: str) -> None:
    exit_code, output = cli(make_app(), "check", "/api/items/", "-X", "PUT", "--origin", origin)
    assert exit_code == code, output
    assert verdict in output


def test_a_blueprint_only_set_up_registers_the_commands_when_registered() -> None:
    app = Flask("blueprint_only")
    api = Blueprint("api", __name__)
    api.add_url_rule("/ping", "ping", lambda: "pong")
    compat.CORS(api, origins=[ORIGIN])
    assert "crossgate" not in app.cli.commands
    app.register_blueprint(api, url_prefix="/api")
    code, output = cli(app, "routes")
    assert code == 0, output
    assert "from: flask-cors CORS(blueprint 'api'), resource '/*'" in output
