"""Actual (non-preflight) requests: which CORS headers, and Vary, a response carries."""

from __future__ import annotations

import pytest
from flask import Flask, Response, request

from crossgate.flask import CORS

ORIGIN = "https://app.example.com"
EVIL = "https://app.example.com.evil.net"


def _routes(app: Flask) -> None:
    @app.get("/plain")
    def plain() -> str:
        return "plain"

    @app.get("/vary")
    def vary() -> Response:
        return Response("vary", headers={"Vary": request.args["value"]})

    @app.get("/two-vary-lines")
    def two_vary_lines() -> Response:
        return Response("vary", headers=[("Vary", "Accept-Encoding"), ("Vary", "Cookie, origin")])

    @app.get("/own-acao")
    def own_acao() -> Response:
        return Response("own", headers={"Access-Control-Allow-Origin": "https://own.example.com"})


@pytest.fixture
def cors_app(app: Flask) -> Flask:
    CORS(app, origins=[ORIGIN, "https://*.example.org"], expose_headers=["X-Total", "Content-Type"])
    _routes(app)
    return app


def test_an_allowed_origin_is_reflected(cors_app: Flask) -> None:
    response = cors_app.test_client().get("/plain", headers={"Origin": ORIGIN})
    assert response.headers.getlist("Access-Control-Allow-Origin") == [ORIGIN]
    assert response.headers["Vary"] == "Origin"
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_a_pattern_origin_is_reflected_exactly(cors_app: Flask) -> None:
    origin = "https://shop.example.org"
    response = cors_app.test_client().get("/plain", headers={"Origin": origin})
    assert response.headers["Access-Control-Allow-Origin"] == origin


def test_configured_exposed_headers_are_sent(cors_app: Flask) -> None:
    response = cors_app.test_client().get("/plain", headers={"Origin": ORIGIN})
    # Content-Type is always readable: listing it changes nothing, so it is not sent.
    assert response.headers["Access-Control-Expose-Headers"] == "X-Total"


def test_credentials_only_when_configured(app: Flask) -> None:
    CORS(app, origins=[ORIGIN], supports_credentials=True)
    _routes(app)
    response = app.test_client().get("/plain", headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Access-Control-Expose-Headers" not in response.headers


@pytest.mark.parametrize("origin", [EVIL, "null", "https://APP.example.com", "https://example.org"])
def test_a_refused_origin_gets_no_cors_headers_and_an_untouched_response(
    cors_app: Flask, origin: str
) -> None:
    client = cors_app.test_client()
    refused = client.get("/plain", headers={"Origin": origin})
    without_origin = client.get("/plain")
    assert [name for name, _ in refused.headers.items() if name.startswith("Access-Control-")] == []
    assert refused.status_code == without_origin.status_code == 200
    assert refused.data == without_origin.data == b"plain"
    assert list(refused.headers.items()) == list(without_origin.headers.items())
    assert refused.headers["Vary"] == "Origin"  # a cache must not serve it to an allowed origin


def test_wildcard_sends_a_literal_star_without_vary(app: Flask) -> None:
    CORS(app, origins="*")
    _routes(app)
    client = app.test_client()
    for origin in (ORIGIN, EVIL, "null"):
        response = client.get("/plain", headers={"Origin": origin})
        assert response.headers.getlist("Access-Control-Allow-Origin") == ["*"]
        assert "Vary" not in response.headers
        assert "Access-Control-Allow-Credentials" not in response.headers


def test_wildcard_sends_a_literal_star_even_without_origin(app: Flask) -> None:
    # No Vary: a shared cache may hand this response to any page, so it must carry ACAO too.
    CORS(app, origins="*")
    _routes(app)
    response = app.test_client().get("/plain")
    assert response.headers.getlist("Access-Control-Allow-Origin") == ["*"]
    assert "Vary" not in response.headers


def test_vary_origin_is_sent_even_without_origin(cors_app: Flask) -> None:
    response = cors_app.test_client().get("/plain")
    assert "Access-Control-Allow-Origin" not in response.headers
    assert response.headers["Vary"] == "Origin"


@pytest.mark.parametrize(
    ("view_vary", "expected"),
    [
        ("Accept-Encoding", "Accept-Encoding, Origin"),
        ("origin", "origin"),
        ("Accept-Encoding, ORIGIN", "Accept-Encoding, ORIGIN"),
        ("*", "*"),
        ("", "Origin"),
    ],
)
@pytest.mark.parametrize("origin", [ORIGIN, EVIL, None])
def test_vary_is_merged_into_one_line_without_duplicates(
    cors_app: Flask, view_vary: str, expected: str, origin: str | None
) -> None:
    headers = {"Origin": origin} if origin else {}
    response = cors_app.test_client().get(
        "/vary", query_string={"value": view_vary}, headers=headers
    )
    assert response.headers.getlist("Vary") == [expected]


def test_several_vary_lines_become_one(cors_app: Flask) -> None:
    response = cors_app.test_client().get("/two-vary-lines", headers={"Origin": ORIGIN})
    assert response.headers.getlist("Vary") == ["Accept-Encoding, Cookie, origin"]


def test_a_view_that_sets_acao_gets_the_policys_instead(
    cors_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    # crossgate's policy decides who reads (README, "A CORS header set by hand").
    caplog.set_level("WARNING", logger="crossgate")
    response = cors_app.test_client().get("/own-acao", headers={"Origin": ORIGIN})
    assert response.headers.getlist("Access-Control-Allow-Origin") == [ORIGIN]
    [record] = caplog.records
    assert "endpoint 'own_acao'" in record.getMessage()
    assert "the app set 'https://own.example.com'" in record.getMessage()
    assert response.headers["Access-Control-Expose-Headers"] == "X-Total"
    assert response.headers["Vary"] == "Origin"
