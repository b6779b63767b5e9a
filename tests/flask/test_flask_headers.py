"""``Headers`` and ``@headers``: declaring response headers for an app, a blueprint or a view."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Blueprint, Flask, request
from werkzeug.test import TestResponse

from crossgate.flask import CORS, HSTS, ConfigError, Headers, cross_origin, headers

ORIGIN = "https://app.example.com"


def _get(app: Flask, path: str, **kwargs: object) -> TestResponse:
    return app.test_client().get(path, **kwargs)


def _add_hello(target: Flask | Blueprint) -> None:
    @target.get("/hello")
    def hello() -> str:
        return "hello"


def test_headers_on_the_app_alone_install_the_edge(app: Flask) -> None:
    _add_hello(app)
    Headers(app, preset="api", headers={"Cache-Control": "no-store"})
    response = _get(app, "/hello", base_url="https://localhost")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    assert (
        "Access-Control-Allow-Origin" not in _get(app, "/hello", headers={"Origin": ORIGIN}).headers
    )


def test_the_application_factory(app: Flask) -> None:
    extension = Headers(headers={"X-Robots-Tag": "noindex"})
    other = Flask("other")
    for target in (app, other):
        _add_hello(target)
    extension.init_app(app)
    extension.init_app(other, headers={"X-Robots-Tag": "none"})
    assert _get(app, "/hello").headers["X-Robots-Tag"] == "noindex"
    assert _get(other, "/hello").headers["X-Robots-Tag"] == "none"
    # The extension object keeps the options it was given, nothing that belongs to one app.
    assert list(vars(extension)) == ["_options"]
    assert dict(extension._options) == {"headers": {"X-Robots-Tag": "noindex"}}


def test_a_blueprint_policy_through_init_app(app: Flask) -> None:
    admin = Blueprint("admin", __name__)
    _add_hello(admin)
    Headers(headers={"X-Robots-Tag": "noindex"}).init_app(admin)
    app.register_blueprint(admin, url_prefix="/admin")
    _add_hello(app)
    assert _get(app, "/admin/hello").headers["X-Robots-Tag"] == "noindex"
    assert "X-Robots-Tag" not in _get(app, "/hello").headers


def test_headers_twice_on_one_app_is_refused(app: Flask) -> None:
    Headers(app, preset="api")
    with pytest.raises(RuntimeError, match="pass every option in one call"):
        Headers(app, preset="web")


def test_headers_and_cors_in_either_order_share_one_edge(app: Flask) -> None:
    _add_hello(app)
    Headers(app, headers={"X-Robots-Tag": "noindex"})
    CORS(app, origins=[ORIGIN])
    response = _get(app, "/hello", headers={"Origin": ORIGIN})
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers.getlist("Vary") == ["Origin"]


def test_invalid_app_options_fail_at_start_up_with_every_problem() -> None:
    with pytest.raises(ConfigError) as raised:
        Headers(presets="web", preset="wbe", headers={"X-Frame-Options": "DENY\r\n"})  # type: ignore[call-arg]
    error = raised.value
    assert error.context == "Headers()"
    assert [problem.option for problem in error.problems] == [
        "presets",
        "preset",
        "headers['X-Frame-Options']",
    ]
    assert error.problems[0].fix == "write 'preset'"
    assert error.problems[1].fix.startswith("write 'web'")


def test_an_unknown_option_without_a_close_name_lists_the_options() -> None:
    with pytest.raises(ConfigError) as raised:
        Headers(colour="blue")  # type: ignore[call-arg]
    assert raised.value.problems[0].fix.startswith("use one of preset, headers, override")


def test_invalid_options_in_init_app_name_the_app(app: Flask) -> None:
    with pytest.raises(ConfigError, match=r"\(Headers\(app\)\)"):
        Headers().init_app(app, hsts=HSTS(max_age=60, preload=True))


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_https_redirect_must_be_a_bool(value: object) -> None:
    with pytest.raises(ConfigError) as raised:
        Headers(https_redirect=value)  # type: ignore[arg-type]
    assert raised.value.problems[0].option == "https_redirect"
    assert "is not True or False" in raised.value.problems[0].message


def test_https_redirect_is_for_the_app_only() -> None:
    admin = Blueprint("admin", __name__)
    with pytest.raises(ConfigError) as raised:
        Headers(admin, https_redirect=True)
    assert raised.value.context == "Headers(blueprint 'admin')"
    assert raised.value.problems[0].fix == "pass https_redirect=True to Headers(app)"
    with pytest.raises(ConfigError, match="is an app-level option"):
        Headers(https_redirect=True).init_app(admin)


def test_invalid_blueprint_options_fail_when_declared() -> None:
    with pytest.raises(ConfigError, match=r"Headers\(blueprint 'admin'\)"):
        Headers(Blueprint("admin", __name__), headers={"Strict-Transport-Security": "max-age=1"})


def test_invalid_decorator_options_fail_at_import_time() -> None:
    with pytest.raises(ConfigError) as raised:
        headers({"X-Frame-Options": "DENY"}, override=["X-Frame-Option"])
    assert raised.value.context == "@headers()"
    assert raised.value.problems[0].fix == "write 'X-Frame-Options'"


def test_the_decorator_takes_the_same_options_as_headers(app: Flask) -> None:
    @app.get("/page")
    @headers(preset="web", csp={"default-src": "'self'"}, hsts=False, override=["X-Frame-Options"])
    def page() -> tuple[str, dict[str, str]]:
        return "page", {"X-Frame-Options": "ALLOW"}

    response = _get(app, "/page", base_url="https://localhost")
    assert response.headers["Content-Security-Policy"] == "default-src 'self'"
    assert "Strict-Transport-Security" not in response.headers
    assert response.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]


def test_a_view_shared_by_two_apps_merges_with_each_apps_policy() -> None:
    @headers({"Cache-Control": "no-store"})
    def shared() -> str:
        return "shared"

    first, second = Flask("first"), Flask("second")
    Headers(first, headers={"X-Robots-Tag": "noindex"})
    Headers(second, preset="api")
    for app in (first, second):
        app.add_url_rule("/shared", "shared", shared)
    one = _get(first, "/shared")
    two = _get(second, "/shared")
    assert one.headers["X-Robots-Tag"] == "noindex"
    assert "X-Content-Type-Options" not in one.headers
    assert two.headers["X-Content-Type-Options"] == "nosniff"
    assert "X-Robots-Tag" not in two.headers
    assert one.headers["Cache-Control"] == two.headers["Cache-Control"] == "no-store"


def test_a_blueprint_on_two_apps_does_not_leak_between_them() -> None:
    admin = Blueprint("admin", __name__)
    _add_hello(admin)
    Headers(admin, headers={"X-Robots-Tag": "noindex"})
    registered, other = Flask("registered"), Flask("other")
    registered.register_blueprint(admin, url_prefix="/admin")
    other.register_blueprint(admin, url_prefix="/admin", name="other_admin")
    Headers(other, headers={"X-Robots-Tag": "all"})
    assert _get(registered, "/admin/hello").headers["X-Robots-Tag"] == "noindex"
    assert _get(other, "/admin/hello").headers["X-Robots-Tag"] == "noindex"
    assert _get(other, "/admin/missing").headers["X-Robots-Tag"] == "noindex"
    assert _get(other, "/missing").headers["X-Robots-Tag"] == "all"
    assert "X-Robots-Tag" not in _get(registered, "/missing").headers


def test_no_request_changes_the_apps_config(app: Flask) -> None:
    _add_hello(app)
    Headers(app, preset="web", https_redirect=True)
    before = dict(app.config)
    _get(app, "/hello")
    _get(app, "/hello", base_url="https://localhost")
    assert dict(app.config) == before


def test_stacked_decorators_merge_the_outer_one_wins(app: Flask) -> None:
    no_store = headers({"Cache-Control": "no-store", "X-Robots-Tag": "noindex"})

    @app.get("/stacked")
    @headers({"X-Robots-Tag": "none"})
    @no_store
    def stacked() -> str:
        return "stacked"

    Headers(app)
    response = _get(app, "/stacked")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Robots-Tag"] == "none"


@pytest.fixture
def standalone(app: Flask) -> Flask:
    """An app using only ``@headers`` (no ``Headers(app)``, no CORS)."""

    @app.get("/page")
    @headers({"X-Robots-Tag": "noindex"})
    def page() -> str:
        return "page"

    @app.get("/async")
    @headers({"X-Robots-Tag": "noindex"})
    async def async_page() -> str:
        return "async"

    _add_hello(app)
    return app


@pytest.mark.parametrize("path", ["/page", "/async"])
def test_standalone_first_request_is_covered_by_the_view(standalone: Flask, path: str) -> None:
    client = standalone.test_client()
    assert "crossgate" not in standalone.extensions
    first = client.get(path)
    assert first.headers.getlist("X-Robots-Tag") == ["noindex"]
    assert "crossgate" in standalone.extensions
    second = client.get(path)
    assert second.headers.getlist("X-Robots-Tag") == ["noindex"]  # added once, by the edge
    assert "X-Robots-Tag" not in client.get("/hello").headers


def test_standalone_first_request_to_another_view_leaves_the_view_alone(standalone: Flask) -> None:
    client = standalone.test_client()
    assert "X-Robots-Tag" not in client.get("/hello").headers
    assert client.get("/page").headers["X-Robots-Tag"] == "noindex"


@pytest.mark.parametrize("outer", ["headers", "cross_origin"])
def test_headers_and_cross_origin_stacked_on_a_first_request(app: Flask, outer: str) -> None:
    def decorate(view: Callable[[], str]) -> Callable[[], str]:
        with_headers = headers({"X-Robots-Tag": "noindex"})
        with_cors = cross_origin(origins=[ORIGIN])
        if outer == "headers":
            return with_headers(with_cors(view))
        return with_cors(with_headers(view))

    calls: list[str] = []

    @app.route("/items", methods=["GET", "PUT"])
    @decorate
    def items() -> str:
        calls.append(request.method)
        return "items"

    client = app.test_client()
    first = client.put("/items", headers={"Origin": ORIGIN})
    assert first.headers.getlist("X-Robots-Tag") == ["noindex"]
    assert first.headers.getlist("Access-Control-Allow-Origin") == [ORIGIN]
    assert first.headers.getlist("Vary") == ["Origin"]
    later = client.put("/items", headers={"Origin": ORIGIN})
    assert later.headers.getlist("X-Robots-Tag") == ["noindex"]
    assert later.headers.getlist("Access-Control-Allow-Origin") == [ORIGIN]
    options = client.options("/items", headers={"Origin": ORIGIN})
    assert options.status_code == 200
    assert calls == ["PUT", "PUT"]


def test_a_first_plain_options_request_gets_cors_and_headers(app: Flask) -> None:
    @app.route("/items", methods=["GET", "PUT"])
    @headers({"X-Robots-Tag": "noindex"})
    @cross_origin(origins=[ORIGIN])
    def items() -> str:
        raise AssertionError("OPTIONS never reaches the view")

    response = app.test_client().options("/items", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert "PUT" in response.headers["Allow"]
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_a_first_preflight_to_a_decorated_view_gets_the_views_headers(app: Flask) -> None:
    @app.put("/items")
    @headers({"X-Robots-Tag": "noindex"})
    @cross_origin(origins=[ORIGIN])
    def items() -> str:
        raise AssertionError("a preflight never reaches the view")

    response = app.test_client().options(
        "/items", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
    )
    assert response.status_code == 204
    assert response.headers["X-Robots-Tag"] == "noindex"


def test_an_explicit_options_route_with_headers_only_runs_the_view(app: Flask) -> None:
    @app.route("/ping", methods=["OPTIONS"])
    @headers({"X-Robots-Tag": "noindex"})
    def ping() -> tuple[str, int]:
        return "pong", 202

    response = app.test_client().options("/ping")
    assert response.status_code == 202
    assert response.data == b"pong"
    assert response.headers["X-Robots-Tag"] == "noindex"
