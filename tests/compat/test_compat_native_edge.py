"""The flask-cors layer is a policy source of crossgate's native WSGI edge: what its hooks decide
is written by the edge that also writes ``crossgate.flask.Headers``'s lines, in either order of
set-up, and the debug-mode 500 the edge sends carries the layer's headers."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

import crossgate.compat.flask_cors as compat
from crossgate.flask import Headers

ORIGIN = "https://app.example"
ACAO = "Access-Control-Allow-Origin"


def make_app() -> Flask:
    app = Flask("compat_native_edge")

    @app.get("/api/items")
    def items() -> str:
        return "items"

    @app.get("/api/broken")
    def broken() -> str:
        raise RuntimeError("the real error")

    return app


def cors_first(app: Flask) -> None:
    compat.CORS(app, origins=[ORIGIN, "https://other.example"])
    Headers(app, preset="api")


def headers_first(app: Flask) -> None:
    Headers(app, preset="api")
    compat.CORS(app, origins=[ORIGIN, "https://other.example"])


@pytest.mark.parametrize("setup", [cors_first, headers_first])
def test_the_layer_and_native_headers_both_reach_the_response(
    setup: Callable[[Flask], None],
) -> None:
    app = make_app()
    setup(app)
    client = app.test_client()
    for _ in range(2):  # the first request, and one after the app is set up
        response = client.get("/api/items", headers={"Origin": ORIGIN})
        assert response.headers.getlist(ACAO) == [ORIGIN]
        assert response.headers.getlist("Vary") == ["Origin"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    refused = client.get("/api/items", headers={"Origin": "https://evil.example"})
    assert ACAO not in refused.headers
    assert refused.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("setup", [cors_first, headers_first])
def test_a_preflight_is_still_answered_by_the_app_with_flask_cors_s_200(
    setup: Callable[[Flask], None],
) -> None:
    app = make_app()
    setup(app)
    response = app.test_client().options(
        "/api/items",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"},
    )
    # flask-cors's answer: Flask's automatic OPTIONS (200, Allow), never the native 204/403.
    assert response.status_code == 200
    assert response.headers.getlist(ACAO) == [ORIGIN]
    assert "GET" in response.headers["Allow"]


def test_the_debug_mode_500_carries_the_layer_s_headers_through_the_native_edge(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app()
    compat.CORS(app, origins=[ORIGIN])
    app.debug = True
    response = app.test_client().get("/api/broken", headers={"Origin": ORIGIN})
    assert response.status_code == 500
    assert response.headers.getlist(ACAO) == [ORIGIN]
    assert response.get_data(as_text=True).startswith("RuntimeError: the real error")
    assert "Exception on '/api/broken' ['GET']" in caplog.text
    # A page navigation keeps Werkzeug's debugger: the exception is not turned into the 500.
    with pytest.raises(RuntimeError, match="the real error"):
        app.test_client().get(
            "/api/broken", headers={"Origin": ORIGIN, "Sec-Fetch-Mode": "navigate"}
        )
