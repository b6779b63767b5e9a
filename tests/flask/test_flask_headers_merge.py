"""How the header policies of the app, blueprints and view combine with what the response set."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Blueprint, Flask, Response, make_response

from crossgate.flask import CORS, Headers, headers

ORIGIN = "https://app.example.com"


def _headers(app: Flask, path: str, **kwargs: Any) -> Any:
    return app.test_client().get(path, **kwargs).headers


def test_a_header_the_view_set_wins_over_the_policy(app: Flask) -> None:
    Headers(app, headers={"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"})

    @app.get("/made")
    def made() -> Response:
        response = make_response("made")
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        return response

    sent = _headers(app, "/made")
    assert sent.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert sent["Referrer-Policy"] == "no-referrer"


def test_override_replaces_every_line_the_view_set(app: Flask) -> None:
    Headers(app, headers={"X-Frame-Options": "DENY"}, override=["x-frame-options"])

    @app.get("/made")
    def made() -> Response:
        response = make_response("made")
        response.headers.add("X-Frame-Options", "SAMEORIGIN")
        response.headers.add("X-Frame-Options", "ALLOW-FROM https://a.example")
        return response

    assert _headers(app, "/made").getlist("X-Frame-Options") == ["DENY"]


def test_vary_is_merged_without_duplicates_with_the_views_and_corss(app: Flask) -> None:
    CORS(app, origins=[ORIGIN])
    Headers(app, headers={"Vary": "Accept-Language, origin"})

    @app.get("/varied")
    def varied() -> tuple[str, dict[str, str]]:
        return "varied", {"Vary": "Accept-Encoding, Accept-Language"}

    sent = _headers(app, "/varied", headers={"Origin": ORIGIN})
    assert sent.getlist("Vary") == ["Accept-Encoding, Accept-Language, Origin"]


def test_cache_control_is_merged_directive_by_directive(app: Flask) -> None:
    Headers(app, headers={"Cache-Control": "no-store, private"})

    @app.get("/cached")
    def cached() -> tuple[str, dict[str, str]]:
        return "cached", {"Cache-Control": "private, max-age=60"}

    @app.get("/plain")
    def plain() -> str:
        return "plain"

    assert _headers(app, "/cached").getlist("Cache-Control") == ["private, max-age=60, no-store"]
    assert _headers(app, "/plain").getlist("Cache-Control") == ["no-store, private"]


def test_none_removes_a_preset_header(app: Flask) -> None:
    Headers(app, preset="api", headers={"X-Frame-Options": None})

    @app.get("/api")
    def api() -> str:
        return "api"

    sent = _headers(app, "/api")
    assert "X-Frame-Options" not in sent
    assert sent["X-Content-Type-Options"] == "nosniff"


def test_none_at_a_more_specific_level_removes_an_inherited_header(app: Flask) -> None:
    Headers(app, preset="web")
    embeds = Blueprint("embeds", __name__)
    Headers(embeds, headers={"X-Frame-Options": None})

    @embeds.get("/widget")
    def widget() -> str:
        return "widget"

    @embeds.get("/framed-again")
    @headers({"X-Frame-Options": "DENY"})
    def framed_again() -> str:
        return "framed"

    @app.get("/embed")
    @headers({"Content-Security-Policy": None, "X-Frame-Options": None})
    def embed() -> str:
        return "embed"

    app.register_blueprint(embeds, url_prefix="/embeds")
    assert "X-Frame-Options" not in _headers(app, "/embeds/widget")
    assert "X-Frame-Options" not in _headers(app, "/embeds/missing")  # the blueprint's 404
    assert _headers(app, "/embeds/framed-again")["X-Frame-Options"] == "DENY"
    embed_headers = _headers(app, "/embed")
    assert "X-Frame-Options" not in embed_headers
    assert "Content-Security-Policy" not in embed_headers
    assert embed_headers["X-Content-Type-Options"] == "nosniff"
    assert _headers(app, "/elsewhere")["X-Frame-Options"] == "SAMEORIGIN"


@pytest.fixture
def levels(app: Flask) -> Flask:
    """X-Robots-Tag set at every level: app, outer blueprint, inner blueprint, view."""
    Headers(app, headers={"X-Robots-Tag": "all", "X-Level": "app"})
    outer = Blueprint("outer", __name__)
    Headers(outer, headers={"X-Robots-Tag": "noindex", "X-Outer": "yes"})
    inner = Blueprint("inner", __name__)
    Headers(inner, headers={"X-Robots-Tag": "nofollow"})
    plain = Blueprint("plain", __name__)

    for target in (app, outer, inner, plain):

        @target.get("/page")
        def page() -> str:
            return "page"

    @inner.get("/view")
    @headers({"X-Robots-Tag": "none"})
    def view() -> str:
        return "view"

    inner.register_blueprint(plain, url_prefix="/plain")
    outer.register_blueprint(inner, url_prefix="/inner")
    app.register_blueprint(outer, url_prefix="/outer")
    return app


@pytest.mark.parametrize(
    ("path", "robots", "outer"),
    [
        ("/page", "all", None),
        ("/missing", "all", None),
        ("/outer/page", "noindex", "yes"),
        ("/outer/missing", "noindex", "yes"),
        ("/outer/inner/page", "nofollow", "yes"),
        ("/outer/inner/missing", "nofollow", "yes"),
        ("/outer/inner/plain/page", "nofollow", "yes"),  # a nested blueprint without a policy
        ("/outer/inner/view", "none", "yes"),
    ],
)
def test_the_most_specific_level_wins_header_by_header(
    levels: Flask, path: str, robots: str, outer: str | None
) -> None:
    sent = _headers(levels, path)
    assert sent.getlist("X-Robots-Tag") == [robots]
    assert sent.get("X-Outer") == outer
    assert sent["X-Level"] == "app"


def test_a_prefix_with_variables_and_a_blueprint_without_prefix(app: Flask) -> None:
    localized = Blueprint("localized", __name__)
    Headers(localized, headers={"Content-Language": "varies"})
    bare = Blueprint("bare", __name__)
    Headers(bare, headers={"X-Bare": "1"})

    @localized.get("/page")
    def page(lang: str) -> str:
        return lang

    @bare.get("/bare")
    def bare_page() -> str:
        return "bare"

    app.register_blueprint(localized, url_prefix="/docs/<lang>")
    app.register_blueprint(bare)
    assert _headers(app, "/docs/en/page")["Content-Language"] == "varies"
    assert _headers(app, "/docs/en/missing")["Content-Language"] == "varies"
    assert _headers(app, "/bare")["X-Bare"] == "1"
    assert "X-Bare" not in _headers(app, "/missing")


def test_a_blueprint_with_cors_and_another_with_headers_on_one_prefix(app: Flask) -> None:
    first = Blueprint("first", __name__)
    CORS(first, origins=[ORIGIN])
    second = Blueprint("second", __name__)
    Headers(second, headers={"X-Second": "1"})

    @second.get("/second")
    def second_page() -> str:
        return "second"

    app.register_blueprint(first, url_prefix="/shared")
    app.register_blueprint(second, url_prefix="/shared")
    assert _headers(app, "/shared/second")["X-Second"] == "1"
    missing = _headers(app, "/shared/missing", headers={"Origin": ORIGIN})
    assert missing["Access-Control-Allow-Origin"] == ORIGIN  # the first registered prefix wins
