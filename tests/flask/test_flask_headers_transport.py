"""What depends on the request: https (HSTS, the redirect, ProxyFix), CSP nonces, and CORP."""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import version
from typing import Any

import pytest
from flask import Blueprint, Flask, Response, render_template_string, request
from werkzeug.middleware.proxy_fix import ProxyFix

from crossgate.flask import CORS, ConfigError, Headers, csp_nonce, headers
from crossgate.flask._edge import NONCE_ENVIRON_KEY
from crossgate.headers import make_nonce

FLASK = tuple(int(part) for part in version("flask").split(".")[:2])
ORIGIN = "https://app.example.com"
HSTS_VALUE = "max-age=63072000; includeSubDomains"
HTTPS = "https://localhost"


@pytest.fixture
def web_app(app: Flask) -> Flask:
    @app.route("/page", methods=["GET", "POST"])
    def page() -> str:
        return "page"

    return app


def _via_proxy(app: Flask, path: str = "/page", proto: str = "https") -> Any:
    return app.test_client().get(path, headers={"X-Forwarded-Proto": proto})


# HSTS


def test_hsts_is_sent_on_https_only(web_app: Flask) -> None:
    Headers(web_app, hsts=True)
    client = web_app.test_client()
    assert client.get("/page", base_url=HTTPS).headers["Strict-Transport-Security"] == HSTS_VALUE
    assert "Strict-Transport-Security" not in client.get("/page").headers


def test_x_forwarded_proto_alone_is_not_trusted(web_app: Flask) -> None:
    Headers(web_app, hsts=True)
    assert "Strict-Transport-Security" not in _via_proxy(web_app).headers


def test_hsts_behind_proxy_fix_applied_after_headers(web_app: Flask) -> None:
    Headers(web_app, hsts=True)
    web_app.wsgi_app = ProxyFix(web_app.wsgi_app, x_proto=1)  # type: ignore[method-assign]
    assert _via_proxy(web_app).headers["Strict-Transport-Security"] == HSTS_VALUE
    assert "Strict-Transport-Security" not in _via_proxy(web_app, proto="http").headers


def test_hsts_behind_proxy_fix_applied_before_headers(web_app: Flask) -> None:
    # The edge wraps ProxyFix here: the scheme is read as the response leaves, after ProxyFix.
    web_app.wsgi_app = ProxyFix(web_app.wsgi_app, x_proto=1)  # type: ignore[method-assign]
    Headers(web_app, hsts=True)
    assert _via_proxy(web_app).headers["Strict-Transport-Security"] == HSTS_VALUE


def test_csp_upgrade_insecure_requests_is_sent_on_https_only(web_app: Flask) -> None:
    Headers(web_app, preset="web")
    client = web_app.test_client()
    assert (
        "upgrade-insecure-requests"
        in client.get("/page", base_url=HTTPS).headers["Content-Security-Policy"]
    )
    assert "upgrade-insecure-requests" not in client.get("/page").headers["Content-Security-Policy"]


# The https redirect


@pytest.fixture
def redirecting(web_app: Flask) -> Flask:
    Headers(web_app, preset="api", https_redirect=True)
    return web_app


def test_plain_http_is_redirected_with_308_before_flask_runs(redirecting: Flask) -> None:
    hooks: list[str] = []

    @redirecting.before_request
    def record() -> None:
        hooks.append(request.path)

    client = redirecting.test_client()
    response = client.get("/page?q=1&r=a%20b")
    assert response.status_code == 308
    assert response.headers["Location"] == "https://localhost/page?q=1&r=a%20b"
    assert response.headers["Content-Length"] == "0"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers  # ignored on http anyway
    posted = client.post("/page", data={"a": "b"})
    assert posted.status_code == 308  # the method and the body are kept
    assert client.get("/no-such-route").status_code == 308
    assert hooks == []


def test_https_requests_are_not_redirected(redirecting: Flask) -> None:
    response = redirecting.test_client().get("/page", base_url=HTTPS)
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == HSTS_VALUE


def test_the_redirect_keeps_the_path_bytes_script_name_and_port(redirecting: Flask) -> None:
    client = redirecting.test_client()
    response = client.get("/caf%C3%A9/a%2Fb", base_url="http://example.com:8080/root")
    assert response.headers["Location"] == "https://example.com:8080/root/caf%C3%A9/a/b"
    literal = client.get(
        "/100%25?q=%25&r=%3Cs%3E"
    )  # a literal "%" in the path, escapes in the query
    assert literal.headers["Location"] == "https://localhost/100%25?q=%25&r=%3Cs%3E"
    assert client.get("/", base_url="http://example.com:80").headers["Location"] == (
        "https://example.com/"
    )


def test_a_preflight_over_plain_http_is_redirected_too(redirecting: Flask) -> None:
    CORS(redirecting, origins=[ORIGIN])
    response = redirecting.test_client().options(
        "/page", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    )
    assert response.status_code == 308


def test_x_forwarded_proto_alone_does_not_stop_the_redirect(redirecting: Flask) -> None:
    assert _via_proxy(redirecting).status_code == 308


def test_proxy_fix_applied_after_headers_stops_the_redirect(redirecting: Flask) -> None:
    redirecting.wsgi_app = ProxyFix(redirecting.wsgi_app, x_proto=1)  # type: ignore[method-assign]
    response = _via_proxy(redirecting)
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == HSTS_VALUE
    assert _via_proxy(redirecting, proto="http").status_code == 308


@pytest.mark.parametrize("first", ["nothing", "cors"])
def test_proxy_fix_inside_the_edge_is_refused_with_the_fix(web_app: Flask, first: str) -> None:
    web_app.wsgi_app = ProxyFix(web_app.wsgi_app, x_proto=1)  # type: ignore[method-assign]
    if first == "cors":
        CORS(web_app, origins=[ORIGIN])  # installs the edge around ProxyFix
    with pytest.raises(ConfigError) as raised:
        Headers(web_app, https_redirect=True)
    assert raised.value.problems[0].option == "https_redirect"
    assert "so that ProxyFix runs first" in raised.value.problems[0].fix


def test_other_middleware_inside_the_edge_is_fine(web_app: Flask) -> None:
    class Passthrough:
        def __init__(self, app: Any) -> None:
            self.app = app

        def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            return self.app(environ, start_response)  # type: ignore[no-any-return]

    web_app.wsgi_app = Passthrough(web_app.wsgi_app)  # type: ignore[method-assign]
    Headers(web_app, https_redirect=True)
    assert web_app.test_client().get("/page").status_code == 308


@pytest.mark.parametrize("mode", ["debug", "testing"])
def test_no_redirect_in_debug_or_testing_mode(redirecting: Flask, mode: str) -> None:
    setattr(redirecting, mode, True)
    assert redirecting.test_client().get("/page").status_code == 200


@pytest.mark.skipif(FLASK < (3, 1), reason="TRUSTED_HOSTS is a Flask 3.1 setting")
def test_an_untrusted_host_is_left_to_flask(redirecting: Flask) -> None:
    redirecting.config["TRUSTED_HOSTS"] = ["example.com"]
    client = redirecting.test_client()
    assert client.get("/page", base_url="http://evil.example").status_code == 400
    trusted = client.get("/page", base_url="http://example.com")
    assert trusted.headers["Location"] == "https://example.com/page"


def test_an_invalid_host_is_left_to_flask(redirecting: Flask) -> None:
    response = redirecting.test_client().get("/page", headers={"Host": "bad host"})
    assert response.status_code != 308
    assert "Location" not in response.headers


def test_the_redirect_is_off_by_default(web_app: Flask) -> None:
    Headers(web_app, preset="web")
    assert web_app.test_client().get("/page").status_code == 200


# CSP nonces


@pytest.fixture
def nonce_app(app: Flask) -> Flask:
    Headers(app, preset="web", csp_nonce_directives=["script-src", "style-src"])

    @app.get("/template")
    def template() -> str:
        return render_template_string(
            '<script nonce="{{ csp_nonce() }}"></script><style nonce="{{ csp_nonce() }}">'
        )

    @app.get("/python")
    def python() -> dict[str, str]:
        return {"nonce": csp_nonce(), "again": csp_nonce()}

    @app.get("/plain")
    def plain() -> str:
        return "no nonce here"

    return app


def _csp_nonces(csp: str) -> dict[str, str]:
    found = {}
    for directive in csp.split(";"):
        name, *sources = directive.split()
        for source in sources:
            if source.startswith("'nonce-"):
                found[name] = source[len("'nonce-") : -1]
    return found


def test_a_template_nonce_is_the_one_in_the_csp(nonce_app: Flask) -> None:
    response = nonce_app.test_client().get("/template")
    page = response.get_data(as_text=True)
    nonce = page.split('nonce="')[1].split('"')[0]
    assert page.count(nonce) == 2  # one nonce per request
    assert _csp_nonces(response.headers["Content-Security-Policy"]) == {
        "script-src": nonce,
        "style-src": nonce,
    }


def test_a_python_nonce_is_the_one_in_the_csp_and_new_per_request(nonce_app: Flask) -> None:
    client = nonce_app.test_client()
    first, second = client.get("/python"), client.get("/python")
    assert first.json is not None
    assert second.json is not None
    assert first.json["nonce"] == first.json["again"]
    assert first.json["nonce"] != second.json["nonce"]
    assert (
        _csp_nonces(first.headers["Content-Security-Policy"])["script-src"] == (first.json["nonce"])
    )


def test_no_nonce_is_made_when_nobody_asks(
    nonce_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[str] = []

    def counting() -> str:
        made.append(make_nonce())
        return made[-1]

    monkeypatch.setattr("crossgate.flask._response_headers.make_nonce", counting)
    environs: list[dict[str, Any]] = []

    @nonce_app.after_request
    def keep_environ(response: Response) -> Response:
        environs.append(request.environ)
        return response

    response = nonce_app.test_client().get("/plain")
    assert made == []
    assert NONCE_ENVIRON_KEY not in environs[0]
    assert "'nonce-" not in response.headers["Content-Security-Policy"]
    nonce_app.test_client().get("/python")
    assert len(made) == 1


def test_a_nonce_on_a_route_whose_policy_takes_none_changes_nothing(app: Flask) -> None:
    Headers(app, csp="default-src 'self'")

    @app.get("/python")
    def python() -> str:
        return csp_nonce()

    assert app.test_client().get("/python").headers["Content-Security-Policy"] == (
        "default-src 'self'"
    )


def test_a_blueprint_headers_makes_csp_nonce_a_template_global_too(app: Flask) -> None:
    pages = Blueprint("pages", __name__)
    Headers(pages, csp={"script-src": "'self'"}, csp_nonce_directives=["script-src"])

    @pages.get("/page")
    def page() -> str:
        return render_template_string("{{ csp_nonce() }}")

    app.register_blueprint(pages)
    response = app.test_client().get("/page")
    assert response.headers["Content-Security-Policy"] == (
        f"script-src 'self' 'nonce-{response.get_data(as_text=True)}'"
    )


def test_a_view_nonce_policy_without_any_app_policy(app: Flask) -> None:
    @app.get("/page")
    @headers(csp={"script-src": "'self'"}, csp_nonce_directives=["script-src"])
    def page() -> str:
        return csp_nonce()

    Headers(app)
    response = app.test_client().get("/page")
    assert response.get_data(as_text=True) in response.headers["Content-Security-Policy"]


# Cross-Origin-Resource-Policy and the route's CORS policy


@pytest.fixture
def corp_app(app: Flask) -> Flask:
    Headers(app, preset="api")
    api = Blueprint("api", __name__)
    CORS(api, origins=[ORIGIN])

    @api.get("/data")
    def data() -> str:
        return "data"

    @api.get("/own")
    @headers({"Cross-Origin-Resource-Policy": "same-site"})
    def own() -> str:
        return "own"

    @app.get("/private")
    def private() -> str:
        return "private"

    app.register_blueprint(api, url_prefix="/api")
    return app


@pytest.mark.parametrize("origin", [ORIGIN, "https://other.example", None])
def test_corp_is_relaxed_on_routes_with_a_cors_policy_whoever_asks(
    corp_app: Flask, origin: str | None
) -> None:
    sent = {"Origin": origin} if origin else {}
    client = corp_app.test_client()
    assert client.get("/api/data", headers=sent).headers["Cross-Origin-Resource-Policy"] == (
        "cross-origin"
    )
    assert client.get("/api/missing", headers=sent).headers["Cross-Origin-Resource-Policy"] == (
        "cross-origin"
    )
    assert client.get("/private", headers=sent).headers["Cross-Origin-Resource-Policy"] == (
        "same-origin"
    )


def test_a_corp_value_the_user_wrote_is_kept(corp_app: Flask) -> None:
    response = corp_app.test_client().get("/api/own", headers={"Origin": ORIGIN})
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-site"
