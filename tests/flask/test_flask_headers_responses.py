"""Every response carries the header policy, whatever produced it, through the same edge as CORS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Blueprint, Flask, Response
from werkzeug.exceptions import HTTPException, ImATeapot
from werkzeug.test import TestResponse

from crossgate.flask import CORS, Headers, headers
from crossgate.flask import _edge as edge
from crossgate.flask._resolved import Resolved
from crossgate.headers import HeaderPolicy
from tests.flask_support import VIEWS, Boom, boom

ORIGIN = "https://app.example.com"
PARTNER = "https://partner.example.com"

Preflight = Callable[..., TestResponse]


def _assert_policy(response: TestResponse) -> None:
    assert response.headers.getlist("X-Content-Type-Options") == ["nosniff"]
    assert response.headers.getlist("X-Robots-Tag") == ["noindex"]


@pytest.fixture
def headers_app(app: Flask) -> Flask:
    Headers(app, preset="api", headers={"X-Robots-Tag": "noindex"})
    for name, view in VIEWS.items():
        app.add_url_rule(f"/{name}", name, view)
    return app


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/str", 200),
        ("/bytes", 200),
        ("/dict", 200),
        ("/list", 200),
        ("/tuple-status", 201),
        ("/tuple-headers", 200),
        ("/response", 203),
        ("/generator", 200),
        ("/streamed", 200),
        ("/redirect", 302),
        ("/abort", 403),
        ("/teapot", 418),
        ("/raises", 500),
        ("/no-such-route", 404),
    ],
)
def test_every_kind_of_response_gets_the_policy(headers_app: Flask, path: str, status: int) -> None:
    response = headers_app.test_client().get(path)
    assert response.status_code == status
    _assert_policy(response)


def test_a_405_gets_the_policy_and_keeps_allow(headers_app: Flask) -> None:
    response = headers_app.test_client().delete("/str")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    _assert_policy(response)


def test_the_body_and_the_views_headers_are_intact(headers_app: Flask) -> None:
    client = headers_app.test_client()
    assert client.get("/generator").data == b"streamed"
    assert client.get("/tuple-headers").headers["X-Extra"] == "1"


def test_error_handler_results_get_the_policy(headers_app: Flask) -> None:
    @headers_app.errorhandler(ImATeapot)
    def teapot(error: HTTPException) -> tuple[str, int]:
        return "short and stout", 418

    @headers_app.errorhandler(500)
    def server_error(error: Exception) -> tuple[dict[str, str], int]:
        return {"error": "sorry"}, 500

    client = headers_app.test_client()
    handled = client.get("/teapot")
    assert handled.data == b"short and stout"
    _assert_policy(handled)
    crashed = client.get("/raises")
    assert crashed.json == {"error": "sorry"}
    _assert_policy(crashed)


def test_an_after_request_that_raises_still_gets_the_policy(headers_app: Flask) -> None:
    @headers_app.after_request
    def broken(response: Response) -> Response:
        raise RuntimeError("after_request failed")

    response = headers_app.test_client().get("/str")
    assert response.status_code == 500
    _assert_policy(response)


@pytest.fixture
def blueprint_app(app: Flask) -> Flask:
    """No app-level policy; a blueprint under /admin with its own headers, no CORS at all."""
    admin = Blueprint("admin", __name__)
    Headers(admin, preset="api", headers={"X-Robots-Tag": "noindex"})
    admin.add_url_rule("/str", "str", VIEWS["str"])
    admin.add_url_rule("/raises", "raises", VIEWS["raises"])
    app.register_blueprint(admin, url_prefix="/admin")
    app.add_url_rule("/str", "str", VIEWS["str"])
    return app


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/admin/str", 200),
        ("GET", "/admin/raises", 500),
        ("GET", "/admin/no-such-route", 404),
        ("GET", "/admin", 404),
        ("DELETE", "/admin/str", 405),
        ("GET", "/admin/str/", 404),
    ],
)
def test_404_and_405_under_a_blueprint_prefix_get_its_policy(
    blueprint_app: Flask, method: str, path: str, status: int
) -> None:
    response = blueprint_app.test_client().open(path, method=method)
    assert response.status_code == status
    _assert_policy(response)


@pytest.mark.parametrize("path", ["/str", "/administrator", "/no-such-route"])
def test_outside_the_blueprint_nothing_is_added(blueprint_app: Flask, path: str) -> None:
    response = blueprint_app.test_client().get(path)
    assert "X-Robots-Tag" not in response.headers
    assert "X-Content-Type-Options" not in response.headers


def test_a_trailing_slash_redirect_gets_the_policy_of_its_target(app: Flask) -> None:
    admin = Blueprint("admin", __name__)
    Headers(admin, headers={"X-Robots-Tag": "noindex"})
    admin.add_url_rule("/items/", "items", VIEWS["str"])
    app.register_blueprint(admin, url_prefix="/admin")
    response = app.test_client().get("/admin/items")
    assert response.status_code == 308
    assert response.headers["X-Robots-Tag"] == "noindex"


@pytest.fixture
def debug_app(app: Flask) -> Flask:
    app.debug = True
    CORS(app, origins=[ORIGIN])
    Headers(app, preset="web", headers={"X-Robots-Tag": "noindex"})
    app.add_url_rule("/boom", "boom", boom)
    return app


def test_the_readable_debug_500_gets_the_policy(
    debug_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    response = debug_app.test_client().get("/boom", headers={"Origin": ORIGIN})
    assert response.status_code == 500
    assert response.get_data(as_text=True).startswith("tests.flask_support.Boom: the view broke\n")
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    _assert_policy(response)
    # The route has a CORS policy, so the preset's CORP is relaxed here too.
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"


def test_a_debug_exception_without_origin_still_reaches_the_debugger(debug_app: Flask) -> None:
    with pytest.raises(Boom):
        debug_app.test_client().get("/boom")


def test_a_debug_exception_from_a_refused_origin_reaches_the_debugger(debug_app: Flask) -> None:
    with pytest.raises(Boom):
        debug_app.test_client().get("/boom", headers={"Origin": PARTNER})


def test_a_debug_exception_on_a_route_without_cors_reaches_the_debugger(app: Flask) -> None:
    app.debug = True
    Headers(app, preset="web")
    app.add_url_rule("/boom", "boom", boom)
    with pytest.raises(Boom):
        app.test_client().get("/boom", headers={"Origin": ORIGIN})


def test_a_production_500_gets_the_policy(app: Flask) -> None:
    Headers(app, preset="api", headers={"X-Robots-Tag": "noindex"})
    app.add_url_rule("/boom", "boom", boom)
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    _assert_policy(response)


@pytest.fixture
def cors_headers_app(app: Flask) -> Flask:
    """CORS on /api only; the app's header policy everywhere, a view policy on one route."""
    Headers(app, preset="api", headers={"X-Robots-Tag": "noindex"})
    api = Blueprint("api", __name__)
    CORS(api, origins=[ORIGIN])

    @api.put("/items")
    @headers({"Cache-Control": "no-store"})
    def items() -> str:
        return "items"

    @api.get("/public")
    def public() -> str:
        return "public"

    app.register_blueprint(api, url_prefix="/api")
    return app


def test_an_allowed_preflight_gets_the_route_policy(
    cors_headers_app: Flask, preflight: Preflight
) -> None:
    response = preflight(cors_headers_app.test_client(), "/api/items")
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    _assert_policy(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "Strict-Transport-Security" not in response.headers
    secure = preflight(cors_headers_app.test_client(), "/api/items", base_url="https://localhost")
    assert "Strict-Transport-Security" in secure.headers


def test_a_refused_preflight_gets_the_route_policy(
    cors_headers_app: Flask, preflight: Preflight
) -> None:
    response = preflight(cors_headers_app.test_client(), "/api/items", origin=PARTNER)
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    _assert_policy(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_a_preflight_refused_for_want_of_a_policy_gets_the_app_headers(
    cors_headers_app: Flask, preflight: Preflight
) -> None:
    cors_headers_app.add_url_rule("/outside", "outside", VIEWS["str"], methods=["PUT"])
    response = preflight(cors_headers_app.test_client(), "/outside")
    assert response.status_code == 403  # no CORS policy covers the route
    _assert_policy(response)
    assert "Access-Control-Allow-Origin" not in response.headers
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"


def test_an_app_with_cors_only_skips_all_header_work(
    app: Flask, monkeypatch: pytest.MonkeyPatch, preflight: Preflight
) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("header work in an app without a header policy")

    CORS(app, origins=[ORIGIN])
    api = Blueprint("api", __name__)
    CORS(api, origins=[PARTNER])
    api.add_url_rule("/str", "str", VIEWS["str"])
    app.register_blueprint(api, url_prefix="/api")
    app.add_url_rule("/str", "str", VIEWS["str"], methods=["GET", "PUT"])
    monkeypatch.setattr(HeaderPolicy, "apply", forbidden)
    monkeypatch.setattr("crossgate.flask._edge.apply_headers", forbidden)
    client = app.test_client()
    assert client.get("/str", headers={"Origin": ORIGIN}).status_code == 200
    assert client.get("/api/missing", headers={"Origin": PARTNER}).status_code == 404
    assert preflight(client, "/str").status_code == 204
    assert app.extensions["crossgate"].resolved.headers_declared is False


def test_one_look_up_per_response_and_no_merging_per_request(
    cors_headers_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = cors_headers_app.test_client()
    client.get("/api/public")  # resolves: every merge happens here
    lookups: list[str] = []
    original = edge.route_policies

    def counting(app: Flask, resolved: Resolved, environ: dict[str, Any], path: str) -> Any:
        lookups.append(path)
        return original(app, resolved, environ, path)

    def no_merging(*args: object) -> None:
        raise AssertionError("a header policy merged per request")

    monkeypatch.setattr(edge, "route_policies", counting)
    monkeypatch.setattr(HeaderPolicy, "merged_with", no_merging)
    for path in ("/api/public", "/api/missing", "/elsewhere"):
        lookups.clear()
        response = client.get(path, headers={"Origin": ORIGIN})
        _assert_policy(response)
        assert lookups == [path]


def test_a_cors_refusal_on_the_header_path_is_still_logged(
    cors_headers_app: Flask, crossgate_log: pytest.LogCaptureFixture
) -> None:
    response = cors_headers_app.test_client().get("/api/public", headers={"Origin": PARTNER})
    assert "Access-Control-Allow-Origin" not in response.headers
    _assert_policy(response)
    [record] = [record for record in crossgate_log.records if record.name == "crossgate"]
    assert record.crossgate_reason == "origin-not-allowed"  # type: ignore[attr-defined]
