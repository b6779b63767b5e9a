"""``@cross_origin``: one view's policy, with or without ``CORS(app)``, sync or async."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from flask import Blueprint, Flask, request
from werkzeug.test import TestResponse

from crossgate.flask import CORS, ConfigError, cross_origin
from crossgate.flask._commands import crossgate_group

ORIGIN = "https://app.example.com"
PARTNER = "https://partner.example.com"

Preflight = Callable[..., TestResponse]


def test_the_decorator_wins_over_app_and_blueprint_and_inherits_the_rest(app: Flask) -> None:
    CORS(app, origins=[ORIGIN], supports_credentials=True)
    api = Blueprint("api", __name__)
    CORS(api, expose_headers=["X-Page"])

    @api.get("/partner")
    @cross_origin(origins=[PARTNER])
    def partner_only() -> str:
        return "partner"

    app.register_blueprint(api, url_prefix="/api")
    client = app.test_client()
    response = client.get("/api/partner", headers={"Origin": PARTNER})
    assert response.headers["Access-Control-Allow-Origin"] == PARTNER
    assert response.headers["Access-Control-Allow-Credentials"] == "true"  # from the app
    assert response.headers["Access-Control-Expose-Headers"] == "X-Page"  # from the blueprint
    assert (
        "Access-Control-Allow-Origin"
        not in client.get("/api/partner", headers={"Origin": ORIGIN}).headers
    )


def test_invalid_decorator_options_fail_at_import_time() -> None:
    with pytest.raises(ConfigError, match="cross_origin"):
        cross_origin(origins=["example.com"])


def test_a_decorated_async_view(app: Flask, preflight: Preflight) -> None:
    CORS(app, origins=[ORIGIN])

    @app.put("/async")
    @cross_origin(max_age=42)
    async def update() -> str:
        return "async"

    client = app.test_client()
    answered = preflight(client, "/async")
    assert answered.status_code == 204
    assert answered.headers["Access-Control-Max-Age"] == "42"
    response = client.put("/async", headers={"Origin": ORIGIN})
    assert response.data == b"async"
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    plain_options = client.options("/async", headers={"Origin": ORIGIN})
    assert plain_options.status_code == 200
    assert "PUT" in plain_options.headers["Allow"]


def test_non_preflight_options_gets_flasks_allow_answer(app: Flask) -> None:
    CORS(app, origins=[ORIGIN])
    called: list[str] = []

    @app.route("/items", methods=["GET", "PUT"])
    @cross_origin(max_age=42)
    def items() -> str:
        called.append(request.method)
        return "items"

    response = app.test_client().options("/items", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "PUT"}
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert called == []


@pytest.fixture
def standalone(app: Flask) -> tuple[Flask, list[str]]:
    """An app using only ``@cross_origin`` (no ``CORS(app)``), with an auth hook that records."""
    seen: list[str] = []

    @app.before_request
    def require_auth() -> tuple[str, int] | None:
        seen.append(request.method)
        if request.method == "OPTIONS" or "Authorization" in request.headers:
            return None
        return "login first", 401

    @app.route("/items", methods=["GET", "PUT"])
    @cross_origin(origins=[ORIGIN], supports_credentials=True)
    def items() -> str:
        return "items"

    @app.put("/async")
    @cross_origin(origins=[ORIGIN])
    async def update() -> str:
        return "async"

    @app.get("/plain")
    def plain() -> str:
        return "plain"

    return app, seen


def test_standalone_first_actual_request_is_answered_in_the_view(
    standalone: tuple[Flask, list[str]],
) -> None:
    app, _ = standalone
    client = app.test_client()
    assert "crossgate" not in app.extensions
    first = client.get("/items", headers={"Origin": ORIGIN, "Authorization": "Bearer x"})
    assert first.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert first.headers["Access-Control-Allow-Credentials"] == "true"
    assert first.headers["Vary"] == "Origin"
    assert "crossgate" in app.extensions  # the edge answers from now on
    refused = client.get("/items", headers={"Origin": PARTNER})
    assert refused.status_code == 401
    assert "Access-Control-Allow-Origin" not in refused.headers
    later = client.get("/items", headers={"Origin": ORIGIN})
    assert later.status_code == 401  # the edge covers responses the view never produced
    assert later.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_standalone_first_refused_request_gets_only_vary(
    standalone: tuple[Flask, list[str]],
) -> None:
    app, _ = standalone
    response = app.test_client().get("/items", headers={"Origin": PARTNER, "Authorization": "x"})
    assert "Access-Control-Allow-Origin" not in response.headers
    assert response.headers["Vary"] == "Origin"


def test_standalone_first_preflight_is_answered_before_the_hooks(
    standalone: tuple[Flask, list[str]], preflight: Preflight
) -> None:
    app, seen = standalone
    client = app.test_client()
    first = preflight(client, "/items", request_headers="authorization")
    assert first.status_code == 204
    assert first.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert first.headers["Access-Control-Allow-Methods"] == "GET, HEAD, PUT"
    assert first.headers["Access-Control-Allow-Headers"] == "authorization"
    # The edge did not exist yet: Flask's request_started signal answered before the hooks.
    assert seen == []
    second = preflight(client, "/items", request_headers="authorization")
    assert second.status_code == 204
    assert seen == []  # answered by the edge


def test_standalone_first_refused_preflight(
    standalone: tuple[Flask, list[str]], preflight: Preflight
) -> None:
    app, _ = standalone
    response = preflight(app.test_client(), "/items", origin=PARTNER)
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers


def test_standalone_first_plain_options(standalone: tuple[Flask, list[str]]) -> None:
    app, _ = standalone
    response = app.test_client().options("/items", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert "PUT" in response.headers["Allow"]


def test_standalone_first_request_to_an_async_view(standalone: tuple[Flask, list[str]]) -> None:
    app, _ = standalone
    response = app.test_client().put("/async", headers={"Origin": ORIGIN, "Authorization": "x"})
    assert response.data == b"async"
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_standalone_undecorated_routes_get_nothing(standalone: tuple[Flask, list[str]]) -> None:
    app, _ = standalone
    client = app.test_client()
    client.get("/items", headers={"Authorization": "x"})
    response = client.get("/plain", headers={"Origin": ORIGIN, "Authorization": "x"})
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Vary" not in response.headers


def test_routes_shows_a_decorator_only_app_before_its_first_request() -> None:
    app = Flask("decorators_only")

    @app.put("/items/")
    @cross_origin(origins=[ORIGIN], methods=["PUT"])
    def put_item() -> str:
        return "ok"

    # As `flask crossgate routes` runs it (the entry point: no CORS(app) registered the group).
    result = app.test_cli_runner().invoke(crossgate_group, ["routes", "--json"])
    assert result.exit_code == 0, result.output
    [row] = [row for row in json.loads(result.output) if row["rule"] == "/items/"]
    assert row["cors"]["origins"] == [ORIGIN]
