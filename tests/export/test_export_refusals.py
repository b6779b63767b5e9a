"""What the proxies cannot do as the app does is refused, by route and option, before any output;
what they can is written as the app means it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Blueprint, Flask

from crossgate.errors import ConfigError
from crossgate.export import ExportError, check_upstream, export_config
from crossgate.export._regex import engine_problem, translated
from crossgate.flask import CORS, Headers, cross_origin, headers
from tests.export.export_proxies import KINDS, Proxy, caddy_check, haproxy_check, nginx_check

UPSTREAM = "http://127.0.0.1:5000"
CHECKS = {"nginx": nginx_check, "caddy": caddy_check, "haproxy": haproxy_check}


def run_export(app: Flask, proxy: str) -> tuple[int, str, str]:
    result = app.test_cli_runner().invoke(
        args=["crossgate", "export", proxy, "--upstream", UPSTREAM, "--listen", "127.0.0.1:8080"]
    )
    return result.exit_code, result.stdout, result.stderr


def callable_app() -> Flask:
    app = Flask(__name__)

    def trusted(origin: str) -> bool:
        return origin.endswith(".example.com")

    @app.get("/api/data")
    def data() -> str:
        return "data"

    CORS(app, origins=["https://app.example.com", trusted])
    return app


@pytest.mark.parametrize("proxy", KINDS)
def test_a_callable_origin_exits_2_naming_the_route_before_printing(proxy: str) -> None:
    code, out, err = run_export(callable_app(), proxy)
    assert code == 2
    assert out == ""
    assert "/api/data: origins includes the callable" in err
    assert "trusted()" in err


def test_a_lookahead_origin_never_reaches_the_export() -> None:
    """crossgate refuses it at start-up (no automaton holds it exactly, and the proxies'
    engines may read it otherwise), so no proxy configuration is ever written for it."""
    with pytest.raises(ConfigError, match="negative lookahead"):
        cross_origin(origins=[re.compile(r"https://(?!admin\.)[a-z]+\.example\.com")])


def test_a_converter_regex_with_a_backreference_is_refused_for_caddy() -> None:
    from werkzeug.routing import BaseConverter

    class Twice(BaseConverter):
        regex = r"([a-z])\1"

    app = Flask(__name__)
    app.url_map.converters["twice"] = Twice

    @app.get("/t/<twice:value>")
    def twice(value: str) -> str:
        return value

    CORS(app, origins=["https://app.example.com"])
    code, out, err = run_export(app, "caddy")
    assert (code, out) == (2, "")
    assert "/t/<twice:value>: converter of <value> uses a backreference" in err


def per_method_app() -> Flask:
    app = Flask(__name__)

    @app.get("/things")
    def list_things() -> str:
        return "list"

    @app.post("/things")
    @cross_origin(origins=["https://admin.example.com"])
    def add_thing() -> str:
        return "added"

    CORS(app, origins=["https://app.example.com"])
    return app


def value_dependent_app() -> Flask:
    app = Flask(__name__)

    @app.get("/api/<path:rest>")
    def api(rest: str) -> str:
        return rest

    CORS(
        app,
        origins=["https://app.example.com"],
        resources={"/api/public/*": {"origins": "*"}, "/api/*": {}},
    )
    return app


@pytest.mark.parametrize("proxy", KINDS)
@pytest.mark.parametrize("make", [per_method_app, value_dependent_app])
def test_policies_by_method_or_by_value_are_exported_and_the_proxy_accepts_them(
    proxy: Proxy, make: object, tmp_path: Path
) -> None:
    assert callable(make)
    text = export_config(make(), proxy, upstream=UPSTREAM, listen="127.0.0.1:8080")
    if make is per_method_app:
        # The preflight's requested method picks the policy.
        assert "crossgate_l1_verb" in text
    else:
        assert re.search(r"crossgate_l[0-9]+_path", text)  # the resources rule picks it
        assert "answered by the app" in text  # paths Werkzeug writes back otherwise
    checked = CHECKS[proxy](tmp_path, text)
    assert checked.returncode == 0, checked.stderr + checked.stdout


def test_a_float_converter_deciding_between_resources_is_refused() -> None:
    app = Flask(__name__)

    @app.get("/rates/<float:rate>")
    def rate(rate: float) -> str:
        return str(rate)

    CORS(
        app,
        origins=["https://app.example.com"],
        resources={"/rates/1.5": {"max_age": 5}, "/rates/*": {}},
    )
    code, out, err = run_export(app, "nginx")
    assert (code, out) == (2, "")
    assert "/rates/<float:rate>: resources rules cover its paths differently" in err
    assert "FloatConverter writes back" in err


def test_a_resources_regex_caddy_cannot_run_is_refused_where_it_decides() -> None:
    app = Flask(__name__)

    @app.get("/api/<name>")
    def api(name: str) -> str:
        return name

    CORS(
        app,
        origins=["https://app.example.com"],
        resources={re.compile(r"/api/(?!admin)[a-z]+"): {}, "/api/*": {"max_age": 5}},
    )
    code, out, err = run_export(app, "caddy")
    assert (code, out) == (2, "")
    assert "/api/<name>: resources re.compile(" in err
    assert "lookahead" in err
    assert run_export(app, "nginx")[0] == 0


def test_header_policies_differing_by_method_on_one_path_are_refused() -> None:
    app = Flask(__name__)

    @app.get("/page")
    def page() -> str:
        return "page"

    @app.post("/page")
    @headers({"Cache-Control": "no-store"})
    def post_page() -> str:
        return "posted"

    CORS(app, origins=["https://app.example.com"])
    with pytest.raises(ExportError) as raised:
        export_config(app, "nginx", upstream=UPSTREAM, listen="127.0.0.1:8080")
    [refusal] = raised.value.refusals
    assert (refusal.route, refusal.option) == ("/page", "headers")
    assert "differ by method" in refusal.message


def test_an_app_without_crossgate_is_refused() -> None:
    app = Flask(__name__)
    with pytest.raises(ExportError, match="not set up with crossgate"):
        export_config(app, "nginx", upstream=UPSTREAM, listen="127.0.0.1:8080")


@pytest.mark.parametrize(
    ("upstream", "message"),
    [
        ("127.0.0.1:5000", "is not an upstream URL"),
        ("http://127.0.0.1:5000/app", "has a path"),
    ],
)
def test_a_bad_upstream_is_a_usage_error_with_the_fix(upstream: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_upstream(upstream)
    app = callable_app()
    result = app.test_cli_runner().invoke(
        args=["crossgate", "export", "nginx", "--upstream", upstream]
    )
    assert result.exit_code == 2
    assert message in result.stderr


def test_an_upstream_keeps_scheme_and_authority_only() -> None:
    assert check_upstream("http://127.0.0.1:5000/") == "http://127.0.0.1:5000"


def test_python_only_regex_syntax_is_translated() -> None:
    assert translated(re.compile(r"https://a\.example\.com\Z")) == r"(?:https://a\.example\.com\z)"
    assert translated(re.compile("https://a.example.com", re.IGNORECASE)).startswith("(?i:")
    assert engine_problem(re.compile("x", re.VERBOSE), "re2") is not None
    assert engine_problem(re.compile(r"(a)?(?(1)b|c)"), "re2") is not None
    assert engine_problem(re.compile(r"(a)\1"), "pcre") is None


def headers_app() -> Flask:
    app = Flask(__name__)
    admin = Blueprint("admin", __name__, url_prefix="/admin")

    @admin.get("/panel")
    def panel() -> str:
        return "panel"

    @app.get("/page")
    @headers(
        {"Cache-Control": "no-store", "X-Frame-Options": "SAMEORIGIN"},
        override=["X-Frame-Options"],
    )
    def page() -> str:
        return "page"

    Headers(admin, headers={"X-Robots-Tag": "noindex"})
    app.register_blueprint(admin)
    Headers(app, preset="web", csp={"script-src": ["'self'"]}, csp_nonce_directives=["script-src"])
    return app


@pytest.mark.parametrize("proxy", KINDS)
def test_header_policies_are_exported_where_static(proxy: Proxy) -> None:
    text = export_config(headers_app(), proxy, upstream=UPSTREAM, listen="127.0.0.1:8080")
    assert "CSP nonces stay in the app" in text
    assert "noindex" in text  # the blueprint's policy on its route
    assert "SAMEORIGIN" in text  # the view's, replacing the app's
    hidden = {
        "nginx": "proxy_hide_header X-Frame-Options;",
        "caddy": "-X-Frame-Options",
        "haproxy": "http-after-response del-header X-Frame-Options",
    }[proxy]
    assert hidden in text
    # The CSP carries a nonce: never replaced at the proxy, so never hidden from the app.
    assert "proxy_hide_header Content-Security-Policy" not in text
    assert "-Content-Security-Policy" not in text
    assert "del-header Content-Security-Policy" not in text
