"""``crossgate export`` for ASGI apps: what the proxies cannot do as the middleware does is
refused by route and option, with exit status 2 and nothing printed; where the options live
(wrapped, ``add_middleware``, a header policy outside or inside) is found; the routes' paths
become the locations the middleware's look-up implies."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import pytest
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.endpoints import HTTPEndpoint
from starlette.routing import Mount, Route, WebSocketRoute

from crossgate.asgi import CORSMiddleware
from crossgate.cli._command import main
from crossgate.errors import ConfigError
from crossgate.export._asgi_table import build_asgi_table, export_asgi
from crossgate.export._table import ExportError, ExportTable, Location
from tests.export.export_proxies import caddy_check, haproxy_check, nginx_check
from tests.export_asgi import asgi_refused_apps as apps
from tests.export_asgi.asgi_export_app import app as fixture_app

MODULE = "tests.export_asgi.asgi_refused_apps"


def run(proxy: str, name: str, *extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["export", proxy, "--app", f"{MODULE}:{name}", *extra])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("proxy", ["nginx", "caddy", "haproxy"])
def test_a_callable_origin_exits_2_naming_the_option_before_printing(proxy: str) -> None:
    code, out, err = run(proxy, "callable_origin")
    assert (code, out) == (2, "")
    assert err.startswith("Error: the proxy cannot answer as the app does:\n")
    assert "every route (CORSMiddleware): origins includes the callable trusted()" in err


def test_a_lookahead_origin_never_reaches_the_export() -> None:
    """The middleware refuses it at start-up (no automaton holds it exactly, and the proxies'
    engines may read it otherwise), so no proxy configuration is ever written for it."""
    with pytest.raises(ConfigError, match="negative lookahead"):
        CORSMiddleware(
            Starlette(), origins=[re.compile(r"https://(?!admin\.)[a-z]+\.example\.com")]
        )


def test_a_convertor_caddy_cannot_run_is_refused_naming_the_route() -> None:
    code, out, err = run("caddy", "lookahead_convertor")
    assert (code, out) == (2, "")
    assert "/people/{name} (page): convertor of {name} uses a negative lookahead" in err
    code, out, _ = run("nginx", "lookahead_convertor")
    assert code == 0
    assert 'location ~ "^/people/(?:(?!admin/)[a-z]+)$"' in out


def test_a_dollar_in_a_header_name_is_written_by_every_dialect() -> None:
    # nginx would read a bare '$' as a variable: it is written as a geo variable holding '$'.
    code, out, _ = run("nginx", "dollar_header")
    assert code == 0
    assert "X-Cost${crossgate_dollar}" in out
    assert 'geo $crossgate_dollar { default "$"; }' in out
    for kind in ("caddy", "haproxy"):
        code, out, _ = run(kind, "dollar_header")
        assert code == 0
        assert "X-Cost$" in out


def test_every_refusal_is_listed_at_once() -> None:
    code, out, err = run("nginx", "host_route")
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert "  - Host('api.example.com'): host routes are not exported" in "\n".join(lines)
    assert sum(line.startswith("  - ") for line in lines) == 2


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("custom_route", "Custom: route type is not one the export reads the paths of"),
        ("without_cors", "CORSMiddleware of crossgate.asgi was not found around or inside"),
        ("starlette_cors", "found starlette.middleware.cors.CORSMiddleware, which the export"),
        ("compat_cors", "is crossgate.compat.starlette.CORSMiddleware, not crossgate.asgi"),
        ("twice_wrapped", "CORSMiddleware wraps it twice"),
        ("twice_headers", "HeadersMiddleware wraps it twice"),
        ("no_router", "wraps an app without a Starlette router"),
        ("added_with_errors", "origins='localhost:3000': 'localhost:3000' is not an origin"),
    ],
)
def test_what_the_export_cannot_read_is_refused_with_the_fix(name: str, expected: str) -> None:
    code, out, err = run("nginx", name)
    assert (code, out) == (2, "")
    assert expected in err


def routed(table: ExportTable) -> list[Location]:
    """The locations of *table*'s routes; the last one, the catch-all, is checked once below."""
    *locations, rest = table.locations
    assert (rest.fallback, rest.regex, rest.exact_paths) == (True, None, ())
    return locations


def test_options_given_to_add_middleware_are_read_with_the_headers_around_them() -> None:
    table = build_asgi_table(apps.added, "pcre")
    assert table.policies[0].max_age == 30
    (location,) = routed(table)
    assert location.exact_paths == ("/page", "/page/")
    assert location.variants[0].methods == {"GET", "HEAD", "PUT"}
    assert location.headers is not None  # HeadersMiddleware is the outer one: preflights get it


def test_a_header_policy_inside_the_cors_middleware_is_left_to_the_app() -> None:
    # Inside, it never sees the preflights the middleware answers: the proxy adds nothing.
    table = build_asgi_table(apps.headers_inside, "pcre")
    assert [location.headers for location in routed(table)] == [None]
    assert "X-Frame-Options" not in export_asgi(
        apps.headers_inside,
        "nginx",
        upstream="http://127.0.0.1:8000",
        listen="127.0.0.1:1",
        source="",
    )


def page_app(*routes: object, redirect_slashes: bool = True) -> CORSMiddleware:
    app = Starlette(routes=list(routes))  # type: ignore[arg-type]
    app.router.redirect_slashes = redirect_slashes
    return CORSMiddleware(app, origins=["https://app.example.com"])


def test_websocket_routes_are_not_locations() -> None:
    app = page_app(Route("/page", apps.page), WebSocketRoute("/live", apps.bare))
    table = build_asgi_table(app, "pcre")
    assert [location.exact_paths for location in routed(table)] == [("/page", "/page/")]


def test_without_redirect_slashes_the_other_forms_are_left_out() -> None:
    app = page_app(
        Route("/page", apps.page), Route("/items/{id:int}", apps.page), redirect_slashes=False
    )
    table = build_asgi_table(app, "re2")
    assert [(location.exact_paths, location.regex) for location in routed(table)] == [
        (("/page",), None),
        ((), "^/items/(?:[0-9]+)$"),
    ]


def test_routes_that_may_share_paths_are_passed_to_the_app_and_others_answered() -> None:
    app = page_app(
        Route("/a/{x:int}", apps.page),
        Route("/a/{y}", apps.page, methods=["DELETE"]),
        Route("/b/{z}", apps.page, methods=["PUT"]),
        Mount("/c", routes=[Route("/{w}", apps.page)]),
        Route("/c/{v}/deep", apps.page),
    )
    table = build_asgi_table(app, "pcre")
    located = {location.regex: location.passthrough for location in routed(table)}
    assert located == {
        "^/a/(?:[0-9]+)$": True,
        "^/a/(?:[^/]+)$": True,
        "^/b/(?:[^/]+)$": False,
        "^/c/(?:[^/]+)$": False,  # inside the Mount it is under
        "^/c/(?:[^/]+)/deep$": True,  # under a Mount it is not inside: shadowed there
        "^/b/(?:[^/]+)/$": False,  # the redirected forms of the routes alone
        "^/c/(?:[^/]+)/$": False,
    }
    assert [location.regex for location in routed(table)][-2:] == [
        "^/b/(?:[^/]+)/$",
        "^/c/(?:[^/]+)/$",
    ]  # after every direct regex: a path a route matches is never taken for a redirect


@pytest.mark.parametrize("proxy", ["nginx", "caddy", "haproxy"])
def test_the_fixture_exports_pass_the_proxies_own_checks(
    proxy: Literal["nginx", "caddy", "haproxy"], tmp_path: Path
) -> None:
    text = export_asgi(
        fixture_app, proxy, upstream="http://127.0.0.1:8000", listen="127.0.0.1:8080", source="x"
    )
    check = {"nginx": nginx_check, "caddy": caddy_check, "haproxy": haproxy_check}[proxy]
    checked = check(tmp_path, text)
    assert checked.returncode == 0, checked.stderr + checked.stdout


def test_a_bad_upstream_is_a_usage_error() -> None:
    code, out, err = run("nginx", "added", "--upstream", "http://127.0.0.1:8000/api")
    assert (code, out) == (2, "")
    assert "has a path" in err


def test_export_errors_are_raised_with_every_refusal() -> None:
    with pytest.raises(ExportError) as raised:
        build_asgi_table(apps.host_route, "re2")
    assert [refusal.option for refusal in raised.value.refusals] == ["origins", "host routes"]


class Anything(HTTPEndpoint):
    """A class endpoint: Starlette lets it take every method."""


def test_routes_on_one_path_add_up_as_the_middleware_adds_them() -> None:
    app = page_app(
        Route("/x", apps.page, methods=["PUT"]),
        Route("/x/", apps.page, methods=["POST"]),
        Route("/y/{n:int}", apps.page, methods=["PUT"]),
        Route("/y/{n:int}", Anything),  # a class endpoint: every method
        Mount("/m", routes=[Route("/a", apps.page)]),
        Route("/m/b", apps.page),  # under the Mount, which has no /b: never reached
    )
    table = build_asgi_table(app, "pcre")
    answered = {
        location.exact_paths or location.regex: location.variants[0].methods
        for location in routed(table)
    }
    policy_methods = {"DELETE", "GET", "HEAD", "PATCH", "POST", "PUT"}
    assert answered == {
        ("/x",): {"PUT"},  # "/x/" is a route of its own: no redirect between them
        ("/x/",): {"POST"},
        ("/m/a", "/m/a/"): {"GET", "HEAD"},
        "^/y/(?:[0-9]+)$": policy_methods,
        "^/y/(?:[0-9]+)/$": policy_methods,
    }
    assert "/y/{n} (page, Anything)" in [location.label for location in routed(table)]
