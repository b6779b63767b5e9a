"""The nginx and Caddy configurations ``crossgate export`` writes for an ASGI app answer every
scenario as the app's ``CORSMiddleware`` does.

uvicorn serves the FastAPI fixture app; nginx and Caddy run its exported configuration; each
scenario (preflights and actual requests from allowed and refused origins, on routes sharing a
path, convertors, Mounts, a mounted app, a class endpoint, both trailing-slash redirects, routes
that may share paths, a WebSocket route, paths no route matches, error responses) is sent to
the app directly and through each proxy, and the CORS-relevant parts must be equal, compared as
the Flask export's test compares them (``export_proxies.cors_view``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

from crossgate.export._asgi_table import export_asgi
from tests.export.export_proxies import (
    KINDS,
    Proxy,
    assert_answered_alike,
    dead_port,
    exported_proxy,
    send,
)
from tests.export.test_export_equivalence import actual, preflight
from tests.export_asgi.asgi_export_app import app
from tests.export_asgi.uvicorn_server import uvicorn

pytestmark = pytest.mark.proxies

APP = "https://app.example.com"
TENANT = "https://acme.tenant.example.com"
LOCAL = "http://localhost:3000"
PREVIEW = "https://preview-7.example.net"
EVIL = "https://evil.example.com"

SCENARIOS = {
    "preflight: two views on one path": preflight("/items", APP, "POST", "content-type,x-token"),
    "preflight: subdomain pattern": preflight("/items", TENANT, "GET"),
    "preflight: port wildcard": preflight("/items", LOCAL, "POST"),
    "preflight: regex origin": preflight("/items", PREVIEW, "GET"),
    "preflight: refused origin": preflight("/items", EVIL, "POST"),
    "preflight: uppercase origin is not serialized": preflight(
        "/items", "HTTPS://APP.EXAMPLE.COM", "POST"
    ),
    "preflight: header not allowed": preflight("/items", APP, "POST", "x-other"),
    "preflight: empty list elements": preflight("/items", APP, "POST", "content-type,,x-token"),
    "preflight: invalid header name": preflight("/items", APP, "POST", "bad header"),
    "preflight: method not routed": preflight("/items", APP, "DELETE"),
    "preflight: private network": preflight(
        "/items", APP, "POST", Access_Control_Request_Private_Network="true"
    ),
    "static path a parameter route shares: its method": preflight("/items/mine", APP, "DELETE"),
    "static path a parameter route shares: its own": preflight("/items/mine", APP, "GET"),
    "parameter route": preflight("/items/42", APP, "PUT", "content-type"),
    "parameter route: a method it lacks": preflight("/items/42", APP, "GET"),
    "parameter route: lowercase put is not normalised": preflight("/items/42", APP, "put"),
    "parameter route: redirected slash": preflight("/items/42/", APP, "DELETE"),
    "static route: redirected slash": preflight("/items/", APP, "POST"),
    "static path shared, redirected slash": preflight("/items/mine/", APP, "PUT"),
    "route with a trailing slash": preflight("/orders/3/", APP, "PATCH"),
    "route with a trailing slash: lowercase patch": preflight("/orders/3/", APP, "patch"),
    "route with a trailing slash, reached without it": preflight("/orders/3", APP, "PATCH"),
    "convertor mismatch: no route": preflight("/orders/x/", APP, "PATCH"),
    "path convertor": preflight("/files/a/b.txt", TENANT, "GET", "x-token"),
    "mount: static route": preflight("/v1/reports/", APP, "POST"),
    "mount: static route, redirected slash": preflight("/v1/reports", APP, "POST"),
    "mount: parameter route": preflight("/v1/reports/5", APP, "PUT"),
    "mount: parameter route, redirected slash": preflight("/v1/reports/5/", APP, "PUT"),
    "mount: no route inside": preflight("/v1/nothing", APP, "GET"),
    "mounted app: the policy's methods": preflight("/assets/logo.png", APP, "DELETE"),
    "mounted app: a method outside them": preflight("/assets/logo.png", APP, "OPTIONS"),
    "class endpoint: the policy's methods": preflight("/legacy", APP, "PATCH"),
    "routes that may share paths: both methods": preflight("/users/5", APP, "DELETE"),
    "routes that may share paths: one": preflight("/users/bob", APP, "GET"),
    "websocket route: not a CORS location": preflight("/ws", APP, "GET"),
    "unknown path": preflight("/nowhere", APP, "GET"),
    "root path, no route": preflight("/", APP, "GET"),
    "percent-encoded parameter": preflight("/items/a%20b", APP, "PUT"),
    "actual: allowed": actual("GET", "/items", APP),
    "actual: with cookies": actual("GET", "/items", TENANT, Cookie="session=1"),
    "actual: refused origin": actual("GET", "/items", EVIL),
    "actual: without origin": actual("GET", "/items"),
    "actual: post created": actual("POST", "/items", APP),
    "actual: parameter route": actual("DELETE", "/items/9", LOCAL),
    "actual: redirect": actual("GET", "/items/", APP),
    "actual: error response": actual("GET", "/boom", APP),
    "actual: method not allowed": actual("PATCH", "/items", APP),
    "actual: upstream vary merged": actual("GET", "/negotiated", APP),
    "actual: mount": actual("GET", "/v1/reports/5", TENANT),
    "actual: mounted app": actual("GET", "/assets/x.css", APP),
    "actual: routes that may share paths": actual("DELETE", "/users/bob", APP),
    "actual: unknown path": actual("GET", "/nowhere", APP),
    "actual: options without request method": actual("OPTIONS", "/items", APP),
    "actual: head": actual("HEAD", "/legacy", APP),
}


@pytest.fixture(scope="module")
def upstream() -> Iterator[int]:
    with uvicorn("tests.export_asgi.asgi_export_app:app") as port:
        yield port


#: What each proxy answers a request it passes to an app that is not there.
UNREACHABLE = {"nginx": 502, "caddy": 502, "haproxy": 503}
#: The export of the ASGI app, called as ``exported_proxy`` calls ``export_config``.
_EXPORT = functools.partial(export_asgi, source="tests.export_asgi.asgi_export_app:app")


@pytest.fixture(scope="module", params=KINDS)
def proxy(
    request: pytest.FixtureRequest, upstream: int, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    kind = request.param
    root: Path = tmp_path_factory.mktemp(f"asgi-{kind}")
    with exported_proxy(kind, root, app, upstream, export=_EXPORT) as port:
        yield port


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_the_proxy_answers_as_the_middleware(name: str, upstream: int, proxy: int) -> None:
    assert_answered_alike(upstream, proxy, SCENARIOS[name])


@pytest.mark.parametrize("kind", KINDS)
def test_the_edge_answers_located_preflights_without_the_app(kind: Proxy, tmp_path: Path) -> None:
    """With nothing listening upstream, the preflights of the routes the export located are
    still answered (by the proxy alone); what it passes to the app fails with a 502 (HAProxy:
    503)."""
    with dead_port() as dead, exported_proxy(kind, tmp_path, app, dead, export=_EXPORT) as port:
        method, path, headers = SCENARIOS["parameter route"]
        status, lines = send(port, method, path, headers)
        assert status == 204
        # HAProxy writes header names in lower case (HTTP/1 names are case-insensitive).
        assert ("access-control-allow-methods", "DELETE, PUT") in [
            (name.lower(), value) for name, value in lines
        ]
        method, path, headers = SCENARIOS["routes that may share paths: both methods"]
        assert send(port, method, path, headers)[0] == UNREACHABLE[kind]
        assert send(port, "GET", "/items/42", {"Origin": APP})[0] == UNREACHABLE[kind]


# Paths no route matches, in front of the app *without* the middleware (the deployment
# docs/deployment.md describes): the proxy decorates the 404 as the middleware would.
UNROUTED = [
    "unknown path",
    "root path, no route",
    "convertor mismatch: no route",
    "mount: no route inside",
    "websocket route: not a CORS location",
    "actual: unknown path",
]


@pytest.fixture(scope="module")
def bare() -> Iterator[int]:
    with uvicorn("tests.export_asgi.asgi_export_app:api") as port:
        yield port


@pytest.fixture(scope="module", params=KINDS)
def bare_proxy(
    request: pytest.FixtureRequest, bare: int, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    kind = request.param
    root = tmp_path_factory.mktemp(f"asgi-bare-{kind}")
    with exported_proxy(kind, root, app, bare, export=_EXPORT) as port:
        yield port


@pytest.mark.parametrize("name", UNROUTED)
def test_paths_no_route_matches_are_covered_in_front_of_the_bare_app(
    name: str, upstream: int, bare_proxy: int
) -> None:
    method, path, headers = SCENARIOS[name]
    direct = send(upstream, method, path, headers)
    # The middleware decorates it (uvicorn writes header names in lower case).
    assert ("access-control-allow-origin", APP) in direct[1]
    assert_answered_alike(upstream, bare_proxy, SCENARIOS[name])
