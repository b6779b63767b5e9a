"""Preflights: answered by crossgate before the app runs, for the route the browser targets."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import version

import pytest
from flask import Blueprint, Flask, request
from werkzeug.test import TestResponse

from crossgate.flask import CORS, cross_origin

ORIGIN = "https://app.example.com"
EVIL = "https://evil.example.net"
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"

Preflight = Callable[..., TestResponse]


def _cors_headers(response: TestResponse) -> dict[str, str]:
    return {
        name: value
        for name, value in response.headers.items()
        if name.startswith("Access-Control-")
    }


@pytest.fixture
def calls(app: Flask) -> list[str]:
    """An auth hook that refuses everything unauthenticated, and the requests it saw."""
    seen: list[str] = []

    @app.before_request
    def require_auth() -> tuple[str, int] | None:
        seen.append(f"{request.method} {request.path}")
        return None if "Authorization" in request.headers else ("login first", 401)

    return seen


def _routes(app: Flask) -> None:
    @app.route("/items", methods=["GET", "PUT", "DELETE"])
    def items() -> str:
        return "items"

    @app.route("/slash/", methods=["GET", "PATCH"])
    def slash() -> str:
        return "slash"

    @app.get("/things")
    def list_things() -> str:
        return "list"

    @app.post("/things")
    def create_thing() -> str:
        return "create"


@pytest.fixture
def cors_app(app: Flask, calls: list[str]) -> Flask:
    CORS(app, origins=[ORIGIN], supports_credentials=True)
    _routes(app)
    return app


def test_preflight_is_answered_before_any_hook(
    cors_app: Flask, calls: list[str], preflight: Preflight
) -> None:
    response = preflight(cors_app.test_client(), "/items", request_headers="authorization")
    assert response.status_code == 204
    assert response.data == b""
    assert calls == []  # the auth hook never saw it
    assert _cors_headers(response) == {
        "Access-Control-Allow-Origin": ORIGIN,
        "Access-Control-Allow-Methods": "DELETE, GET, HEAD, PUT",
        "Access-Control-Allow-Headers": "authorization",
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Max-Age": "7200",
    }
    assert response.headers["Vary"] == PREFLIGHT_VARY
    assert "Content-Length" not in response.headers  # a 204 has no body, not even a length


def test_the_actual_request_then_meets_the_hook_with_cors_headers(
    cors_app: Flask, calls: list[str]
) -> None:
    response = cors_app.test_client().put("/items", headers={"Origin": ORIGIN})
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN  # the page can read the 401
    assert calls == ["PUT /items"]


def test_allowed_methods_are_the_routes_intersected_with_methods(
    app: Flask, preflight: Preflight
) -> None:
    CORS(app, origins=[ORIGIN], methods=["put", "POST", "GET"])
    _routes(app)
    response = preflight(app.test_client(), "/items")
    assert response.headers["Access-Control-Allow-Methods"] == "GET, PUT"


def test_a_method_outside_methods_is_refused(app: Flask, preflight: Preflight) -> None:
    CORS(app, origins=[ORIGIN], methods=["GET", "PUT"])
    _routes(app)
    response = preflight(app.test_client(), "/items", "DELETE")
    assert response.status_code == 403
    assert _cors_headers(response) == {}


def test_requested_headers_are_validated_and_reflected(
    cors_app: Flask, preflight: Preflight
) -> None:
    response = preflight(
        cors_app.test_client(),
        "/items",
        request_headers="authorization,content-type,x-requested-with",
    )
    assert (
        response.headers["Access-Control-Allow-Headers"]
        == "authorization, content-type, x-requested-with"
    )


def test_configured_allow_headers_are_sent_as_configured(app: Flask, preflight: Preflight) -> None:
    CORS(app, origins=[ORIGIN], allow_headers=["Content-Type", "X-Api-Key"], max_age=60)
    _routes(app)
    client = app.test_client()
    response = preflight(client, "/items", request_headers="x-api-key")
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type, X-Api-Key"
    assert response.headers["Access-Control-Max-Age"] == "60"
    assert preflight(client, "/items", request_headers="authorization").status_code == 403


def test_headers_split_over_several_lines_are_handled(cors_app: Flask) -> None:
    response = cors_app.test_client().options(
        "/items",
        headers=[
            ("Origin", ORIGIN),
            ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "authorization,content-type"),
            ("Access-Control-Request-Headers", "x-trace-id"),
        ],
    )
    assert response.status_code == 204
    assert (
        response.headers["Access-Control-Allow-Headers"]
        == "authorization, content-type, x-trace-id"
    )


@pytest.mark.parametrize(
    ("origin", "method", "request_headers"),
    [
        (EVIL, "PUT", None),  # origin
        (ORIGIN, "PATCH", None),  # a method the route does not accept
        (ORIGIN, "PUT, DELETE", None),  # not one method
        (ORIGIN, "PUT", "x-ok, bad header"),  # not a list of header names
    ],
)
def test_refused_preflights_get_403_without_cors_headers(
    cors_app: Flask,
    calls: list[str],
    preflight: Preflight,
    origin: str,
    method: str,
    request_headers: str | None,
) -> None:
    response = preflight(
        cors_app.test_client(), "/items", method, origin=origin, request_headers=request_headers
    )
    assert response.status_code == 403
    assert _cors_headers(response) == {}
    assert response.headers["Vary"] == PREFLIGHT_VARY
    assert calls == []


def test_a_trailing_slash_redirect_is_followed_to_the_route(
    cors_app: Flask, preflight: Preflight
) -> None:
    response = preflight(cors_app.test_client(), "/slash", "PATCH")
    assert response.status_code == 204  # a browser never follows a redirect for a preflight
    assert response.headers["Access-Control-Allow-Methods"] == "GET, HEAD, PATCH"


def test_a_redirect_under_a_script_root_is_followed(cors_app: Flask, preflight: Preflight) -> None:
    response = preflight(
        cors_app.test_client(), "/slash", "PATCH", base_url="http://localhost/app/"
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Methods"] == "GET, HEAD, PATCH"


def test_a_path_without_route_falls_through_to_the_404(app: Flask, preflight: Preflight) -> None:
    CORS(app, origins=[ORIGIN])
    _routes(app)
    response = preflight(app.test_client(), "/nowhere")
    assert response.status_code == 404
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN  # the 404 itself is readable


def test_a_redirect_loop_falls_through_to_the_app(app: Flask, preflight: Preflight) -> None:
    CORS(app, origins=[ORIGIN])
    app.add_url_rule("/a", "a", redirect_to="/b")
    app.add_url_rule("/b", "b", redirect_to="/a")
    response = preflight(app.test_client(), "/a", "GET")
    assert response.status_code == 308


def test_options_without_request_method_is_not_a_preflight(
    cors_app: Flask, calls: list[str]
) -> None:
    response = cors_app.test_client().options(
        "/items", headers={"Origin": ORIGIN, "Authorization": "Bearer x"}
    )
    assert response.status_code == 200  # Flask's automatic OPTIONS answer
    assert set(response.headers["Allow"].split(", ")) == {"DELETE", "GET", "HEAD", "OPTIONS", "PUT"}
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Access-Control-Allow-Methods" not in response.headers
    assert calls == ["OPTIONS /items"]


def test_several_rules_on_one_path_are_listed_together(
    cors_app: Flask, preflight: Preflight
) -> None:
    client = cors_app.test_client()
    for method in ("POST", "GET"):
        response = preflight(client, "/things", method, request_headers="content-type")
        assert response.status_code == 204
        assert response.headers["Access-Control-Allow-Methods"] == "GET, HEAD, POST"


def test_rules_with_different_policies_on_one_path_list_only_their_own(
    app: Flask, preflight: Preflight
) -> None:
    CORS(app, origins=[ORIGIN])

    @app.get("/things")
    def list_things() -> str:
        return "list"

    @app.route("/things", methods=["PUT", "DELETE"])
    @cross_origin(max_age=5)
    def change_thing() -> str:
        return "changed"

    client = app.test_client()
    change = preflight(client, "/things", "DELETE")
    assert change.headers["Access-Control-Allow-Methods"] == "DELETE, PUT"
    assert change.headers["Access-Control-Max-Age"] == "5"
    listing = preflight(client, "/things", "GET", request_headers="x-custom")
    assert listing.headers["Access-Control-Allow-Methods"] == "GET, HEAD"
    assert listing.headers["Access-Control-Max-Age"] == "7200"
    refused = preflight(client, "/things", "PATCH")
    assert refused.status_code == 403


def test_a_route_without_policy_is_refused_before_the_hooks(
    app: Flask, preflight: Preflight
) -> None:
    """crossgate answers every preflight to a routed path: an auth hook never sees one."""
    hooked: list[str] = []
    app.before_request(lambda: hooked.append("hook"))
    CORS(app, origins=[])
    api = Blueprint("api", __name__)
    CORS(api, origins=[ORIGIN])
    app.register_blueprint(api, url_prefix="/api")
    _routes(app)
    app.debug = True
    response = preflight(app.test_client(), "/items")
    assert response.status_code == 403
    assert _cors_headers(response) == {}
    assert "[route-not-covered]" in response.get_data(as_text=True)
    assert hooked == []


@pytest.mark.parametrize(("configured", "expected"), [(True, "true"), (False, None)])
def test_private_network_access_only_when_configured(
    app: Flask, configured: bool, expected: str | None
) -> None:
    CORS(app, origins=[ORIGIN], allow_private_network=configured)
    _routes(app)
    response = app.test_client().options(
        "/items",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Private-Network": "true",
        },
    )
    assert response.headers.get("Access-Control-Allow-Private-Network") == expected


@pytest.mark.skipif(
    tuple(int(part) for part in version("flask").split(".")[:2]) < (3, 1),
    reason="TRUSTED_HOSTS is a Flask 3.1 setting",
)
def test_an_untrusted_host_is_left_to_the_app(app: Flask, preflight: Preflight) -> None:
    app.config["TRUSTED_HOSTS"] = ["api.example.com"]
    CORS(app, origins=[ORIGIN])
    _routes(app)
    client = app.test_client()
    assert preflight(client, "/items").status_code == 400
    trusted = preflight(client, "/items", base_url="http://api.example.com")
    assert trusted.status_code == 204
