"""Every response of a CORS-enabled route carries the headers, whatever produced it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Blueprint, Flask, Response
from werkzeug.exceptions import HTTPException, ImATeapot

from crossgate.flask import CORS
from tests.flask_support import VIEWS

ORIGIN = "https://app.example.com"


def _add(app: Flask, views: dict[str, Callable[[], Any]]) -> None:
    for name, view in views.items():
        app.add_url_rule(f"/{name}", name, view)


@pytest.fixture
def cors_app(app: Flask) -> Flask:
    CORS(app, origins=[ORIGIN], supports_credentials=True)
    _add(app, VIEWS)
    return app


def _assert_cors(response: Any) -> None:
    assert response.headers.getlist("Access-Control-Allow-Origin") == [ORIGIN]
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in response.headers["Vary"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/str", 200),
        ("/bytes", 200),
        ("/dict", 200),
        ("/list", 200),
        ("/tuple-status", 201),
        ("/tuple-headers", 200),
        ("/tuple-status-headers", 202),
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
def test_every_kind_of_response_gets_the_headers(cors_app: Flask, path: str, status: int) -> None:
    response = cors_app.test_client().get(path, headers={"Origin": ORIGIN})
    assert response.status_code == status
    _assert_cors(response)


def test_a_405_gets_the_headers_and_keeps_allow(cors_app: Flask) -> None:
    response = cors_app.test_client().delete("/str", headers={"Origin": ORIGIN})
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    _assert_cors(response)


def test_view_headers_are_kept(cors_app: Flask) -> None:
    response = cors_app.test_client().get("/tuple-status-headers", headers={"Origin": ORIGIN})
    assert response.headers["X-Extra"] == "1"
    assert response.headers.getlist("Vary") == ["Accept-Language, Origin"]


def test_a_streamed_body_is_intact(cors_app: Flask) -> None:
    response = cors_app.test_client().get("/generator", headers={"Origin": ORIGIN})
    assert response.data == b"streamed"


def test_an_unhandled_exception_in_production_is_a_500_with_headers(
    cors_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    cors_app.config["PROPAGATE_EXCEPTIONS"] = False
    response = cors_app.test_client().get("/raises", headers={"Origin": ORIGIN})
    assert response.status_code == 500
    _assert_cors(response)
    assert "ZeroDivisionError" in caplog.text  # Flask still logs it


def test_error_handler_results_get_the_headers(cors_app: Flask) -> None:
    @cors_app.errorhandler(ImATeapot)
    def teapot(error: HTTPException) -> tuple[str, int]:
        return "short and stout", 418

    @cors_app.errorhandler(500)
    def server_error(error: Exception) -> tuple[dict[str, str], int]:
        return {"error": "sorry"}, 500

    client = cors_app.test_client()
    handled = client.get("/teapot", headers={"Origin": ORIGIN})
    assert handled.data == b"short and stout"
    _assert_cors(handled)
    crashed = client.get("/raises", headers={"Origin": ORIGIN})
    assert crashed.json == {"error": "sorry"}
    _assert_cors(crashed)


def test_an_after_request_that_raises_still_gets_the_headers(cors_app: Flask) -> None:
    @cors_app.after_request
    def broken(response: Response) -> Response:
        raise RuntimeError("after_request failed")

    response = cors_app.test_client().get("/str", headers={"Origin": ORIGIN})
    assert response.status_code == 500
    _assert_cors(response)


def test_a_before_request_that_raises_still_gets_the_headers(cors_app: Flask) -> None:
    @cors_app.before_request
    def broken() -> None:
        raise RuntimeError("before_request failed")

    response = cors_app.test_client().get("/str", headers={"Origin": ORIGIN})
    assert response.status_code == 500
    _assert_cors(response)


@pytest.fixture
def blueprint_app(app: Flask) -> Flask:
    """No app-wide policy; a blueprint under /api with its own."""
    CORS(app, origins=[])
    api = Blueprint("api", __name__)
    CORS(api, origins=[ORIGIN], supports_credentials=True)
    api.add_url_rule("/str", "str", VIEWS["str"])
    app.register_blueprint(api, url_prefix="/api")
    _add(app, {"str": VIEWS["str"]})
    return app


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/no-such-route", 404),
        ("GET", "/api", 404),
        ("DELETE", "/api/str", 405),
        ("GET", "/api/str/", 404),
    ],
)
def test_404_and_405_under_a_blueprint_prefix_get_its_policy(
    blueprint_app: Flask, method: str, path: str, status: int
) -> None:
    response = blueprint_app.test_client().open(path, method=method, headers={"Origin": ORIGIN})
    assert response.status_code == status
    _assert_cors(response)


def test_404_outside_the_blueprint_prefix_gets_no_headers(blueprint_app: Flask) -> None:
    client = blueprint_app.test_client()
    for path in ("/apiary", "/no-such-route", "/str"):
        response = client.get(path, headers={"Origin": ORIGIN})
        assert "Access-Control-Allow-Origin" not in response.headers
        assert "Vary" not in response.headers


def test_a_redirect_to_a_blueprint_route_gets_its_policy(app: Flask) -> None:
    api = Blueprint("api", __name__)
    CORS(api, origins=[ORIGIN], supports_credentials=True)
    api.add_url_rule("/items/", "items", VIEWS["str"])
    app.register_blueprint(api, url_prefix="/api")
    response = app.test_client().get("/api/items", headers={"Origin": ORIGIN})
    assert response.status_code == 308
    _assert_cors(response)


def test_a_middleware_that_hides_flasks_request_does_not_lose_the_policy(app: Flask) -> None:
    def copies_environ(wsgi_app: Any) -> Any:
        def middleware(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
            return wsgi_app(dict(environ), start_response)  # type: ignore[no-any-return]

        return middleware

    app.wsgi_app = copies_environ(app.wsgi_app)  # type: ignore[method-assign]
    api = Blueprint("api", __name__)
    CORS(api, origins=[ORIGIN], supports_credentials=True)
    api.add_url_rule("/str", "str", VIEWS["str"])
    app.register_blueprint(api, url_prefix="/api")
    _assert_cors(app.test_client().get("/api/str", headers={"Origin": ORIGIN}))
