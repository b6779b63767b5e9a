"""Debug and testing modes: what happens to an exception that Flask lets escape."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from flask import Blueprint, Flask
from werkzeug.test import TestResponse

from crossgate._reasons import Reason
from crossgate.flask import CORS
from tests.flask_support import Boom, boom

ORIGIN = "https://app.example.com"

Preflight = Callable[..., TestResponse]


@pytest.fixture
def debug_app(app: Flask) -> Flask:
    app.debug = True
    CORS(app, origins=[ORIGIN], supports_credentials=True)
    app.add_url_rule("/boom", "boom", boom, methods=["GET", "PUT"])
    return app


def test_an_allowed_origin_gets_a_readable_500(
    debug_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    response = debug_app.test_client().get("/boom", headers={"Origin": ORIGIN})
    assert response.status_code == 500
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.headers["Vary"] == "Origin"
    assert response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    # The first line is what the browser's network preview shows: the error, not "Traceback".
    first, rest = body.split("\n", 1)
    assert first == "tests.flask_support.Boom: the view broke"
    assert rest.startswith("\nTraceback (most recent call last):")
    assert rest.rstrip().endswith("Boom: the view broke")
    assert int(response.headers["Content-Length"]) == len(response.data)
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert [record.getMessage() for record in errors] == ["Exception on '/boom' ['GET']"]
    assert errors[0].exc_info is not None
    assert errors[0].exc_info[0] is Boom


def test_without_origin_the_exception_propagates(debug_app: Flask) -> None:
    with pytest.raises(Boom):
        debug_app.test_client().get("/boom")


def test_from_a_refused_origin_the_exception_propagates(debug_app: Flask) -> None:
    with pytest.raises(Boom):
        debug_app.test_client().get("/boom", headers={"Origin": "https://evil.example.net"})


def test_a_route_without_policy_lets_the_exception_propagate(app: Flask) -> None:
    app.debug = True
    CORS(app, origins=[])
    api = Blueprint("api", __name__)
    CORS(api, origins=[ORIGIN])
    app.register_blueprint(api, url_prefix="/api")
    app.add_url_rule("/boom", "boom", boom)
    with pytest.raises(Boom):
        app.test_client().get("/boom", headers={"Origin": ORIGIN})


def test_a_blueprint_route_gets_its_policy_on_the_debug_500(app: Flask) -> None:
    app.debug = True
    api = Blueprint("api", __name__)
    CORS(api, origins=[ORIGIN])
    api.add_url_rule("/boom", "boom", boom)
    app.register_blueprint(api, url_prefix="/api")
    response = app.test_client().get("/api/boom", headers={"Origin": ORIGIN})
    assert response.status_code == 500
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_with_testing_the_exception_reaches_the_test(debug_app: Flask) -> None:
    debug_app.testing = True
    with pytest.raises(Boom):
        debug_app.test_client().get("/boom", headers={"Origin": ORIGIN})


def test_propagate_exceptions_in_production_is_left_to_the_server(app: Flask) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = True
    CORS(app, origins=[ORIGIN])
    app.add_url_rule("/boom", "boom", boom)
    with pytest.raises(Boom):
        app.test_client().get("/boom", headers={"Origin": ORIGIN})


def test_a_refused_preflight_explains_itself_in_debug_mode(
    debug_app: Flask, preflight: Preflight
) -> None:
    response = preflight(debug_app.test_client(), "/boom", "DELETE")
    assert response.status_code == 403
    reason = Reason(
        "method-not-routed", (("method", "DELETE"), ("allowed", "GET, HEAD, PUT")), True
    )
    assert response.get_data(as_text=True) == f"{reason}\n"
    assert "Fix: " in response.get_data(as_text=True)
    assert int(response.headers["Content-Length"]) == len(response.data)


def test_a_refused_preflight_does_not_explain_itself_in_production(
    app: Flask, preflight: Preflight
) -> None:
    CORS(app, origins=[ORIGIN])
    app.add_url_rule("/boom", "boom", boom, methods=["GET", "PUT"])
    response = preflight(app.test_client(), "/boom", "DELETE")
    assert response.status_code == 403
    assert response.get_data(as_text=True) == "CORS preflight refused.\n"
