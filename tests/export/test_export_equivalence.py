"""The exported nginx and Caddy configurations answer every scenario as the app does.

gunicorn serves the fixture app; nginx and Caddy run the configuration ``flask crossgate export``
prints for it; each scenario (preflights and actual requests from allowed and refused origins,
methods, headers, credentials, on paths with converters, redirects, blueprints and ``resources``
rules) is sent to the app directly and through each proxy, and the CORS-relevant parts must be
equal: the preflight's status class, ACAO, ACAC and Max-Age exactly, the methods and the allowed
and exposed headers as sets, the Vary tokens as a set, and never two ACAO lines.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator

import pytest

from tests.export.export_fixture_app import app
from tests.export.export_proxies import (
    assert_answered_alike,
    exported_proxy,
    gunicorn,
)

pytestmark = pytest.mark.proxies

APP = "https://app.example.com"
TENANT = "https://acme.tenant.example.com"
LOCAL = "http://localhost:3000"
PREVIEW = "https://preview-42.example.net"
PARTNER = "https://partner.example.org"
EVIL = "https://evil.example.com"
APEX = "https://tenant.example.com"
ADMIN = "https://admin.example.com"


Scenario = tuple[str, str, dict[str, str]]


def preflight(
    path: str, origin: str, method: str, headers: str | None = None, **extra: str
) -> Scenario:
    lines = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers is not None:
        lines["Access-Control-Request-Headers"] = headers
    lines.update({key.replace("_", "-"): value for key, value in extra.items()})
    return ("OPTIONS", path, lines)


def actual(method: str, path: str, origin: str | None = None, **extra: str) -> Scenario:
    lines = {} if origin is None else {"Origin": origin}
    lines.update({key.replace("_", "-"): value for key, value in extra.items()})
    return (method, path, lines)


SCENARIOS = {
    "preflight exact origin": preflight("/items/", APP, "POST", "content-type,x-token"),
    "preflight subdomain pattern": preflight("/items/", TENANT, "POST", "content-type"),
    "preflight apex is not a subdomain": preflight("/items/", APEX, "POST"),
    "preflight port wildcard": preflight("/items/", LOCAL, "POST"),
    "preflight regex origin": preflight("/items/", PREVIEW, "POST"),
    "port wildcard: the highest port": preflight("/items/", "http://localhost:65535", "POST"),
    "port wildcard: the lowest port": preflight("/items/", "http://localhost:1", "POST"),
    "port wildcard: no port": preflight("/items/", "http://localhost", "POST"),
    "port wildcard: not the default port": preflight("/items/", "http://localhost:80", "POST"),
    "port wildcard: not past 65535": preflight("/items/", "http://localhost:65536", "POST"),
    "port wildcard: not port 0": preflight("/items/", "http://localhost:0", "POST"),
    "port wildcard: no leading zero": preflight("/items/", "http://localhost:03000", "POST"),
    "port wildcard: actual, not the default port": actual("GET", "/items/", "http://localhost:80"),
    "preflight refused origin": preflight("/items/", EVIL, "POST"),
    "preflight uppercase origin is not serialized": preflight(
        "/items/", "HTTPS://APP.EXAMPLE.COM", "POST"
    ),
    "preflight header not allowed": preflight("/items/", APP, "POST", "x-other"),
    "preflight header list with empty elements": preflight(
        "/items/", APP, "POST", "content-type,,x-token"
    ),
    "preflight invalid header name": preflight("/items/", APP, "POST", "bad header"),
    "preflight method not routed": preflight("/items/", APP, "DELETE"),
    "preflight converter route": preflight("/items/7", APP, "PUT", "content-type"),
    "preflight converter mismatch": preflight("/items/seven", APP, "PUT"),
    "preflight lowercase patch": preflight("/items/7", APP, "patch"),
    "preflight lowercase put is not normalised": preflight("/items/7", APP, "put"),
    "preflight trailing-slash redirect": preflight("/items", APP, "POST"),
    "preflight path converter": preflight("/files/a/b.txt", TENANT, "GET", "x-anything"),
    "preflight blueprint wildcard": preflight("/public/feed", EVIL, "GET", "x-custom"),
    "preflight decorator": preflight("/decorated", PARTNER, "POST", "content-type"),
    "preflight decorator refuses app origin": preflight("/decorated", APP, "POST"),
    "decorated PUT-only view: GET lists the view's methods": preflight("/put-only", PARTNER, "GET"),
    "decorated PUT-only view: PUT": preflight("/put-only", PARTNER, "PUT"),
    "decorated PUT-only view: lowercase patch": preflight("/put-only", PARTNER, "patch"),
    "preflight route without CORS": preflight("/private", APP, "GET"),
    "preflight unknown path": preflight("/nowhere", APP, "GET"),
    "preflight private network": preflight(
        "/items/", APP, "POST", Access_Control_Request_Private_Network="true"
    ),
    "actual allowed": actual("GET", "/items/", APP),
    "actual allowed with cookies": actual("GET", "/items/", TENANT, Cookie="session=1"),
    "actual refused origin": actual("GET", "/items/", EVIL),
    "actual without origin": actual("GET", "/items/"),
    "actual post created": actual("POST", "/items/", APP),
    "actual converter": actual("DELETE", "/items/9", LOCAL),
    "actual redirect": actual("GET", "/items", APP),
    "actual error response": actual("GET", "/boom", APP),
    "actual method not allowed": actual("PATCH", "/items/", APP),
    "actual upstream vary merged": actual("GET", "/negotiated", APP),
    "actual blueprint wildcard": actual("GET", "/public/feed", EVIL),
    "actual blueprint without origin": actual("GET", "/public/feed"),
    "actual decorator": actual("POST", "/decorated", PARTNER),
    "actual route without CORS": actual("GET", "/private", APP),
    "actual unknown path": actual("GET", "/nowhere", APP),
    "actual options without request method": actual("OPTIONS", "/items/", APP),
    # Policies that depend on the value of a variable: the resources rule covering the path
    # Werkzeug builds back decides, in the app's order (exact, longest subtree, regex).
    "value: exact resource, preflight": preflight("/api/special", PARTNER, "POST"),
    "value: exact resource refuses the app origin": preflight("/api/special", APP, "GET"),
    "value: exact resource, actual": actual("POST", "/api/special", PARTNER),
    "value: subtree equal to the path": preflight("/api/public", EVIL, "GET", "x-any"),
    "value: longer subtree wins, preflight": preflight("/api/public/feed/1", EVIL, "POST"),
    "value: longer subtree wins, actual": actual("GET", "/api/public/feed/1", EVIL),
    "value: longer subtree, actual with cookies": actual(
        "POST", "/api/public/x", APP, Cookie="a=1"
    ),
    "value: shorter subtree, preflight": preflight("/api/other", APP, "POST", "content-type"),
    "value: shorter subtree refuses": preflight("/api/other/deep", EVIL, "GET"),
    "value: shorter subtree, actual": actual("GET", "/api/other/deep", TENANT),
    "value: no subtree prefix match": preflight("/api/publication", EVIL, "GET"),
    "value: percent-encoded value answered by the app": preflight("/api/a%20b", APP, "GET"),
    "value: percent-encoded actual answered by the app": actual("GET", "/api/a%20b", APP),
    "value: trailing slash exact": preflight("/docs/intro/", PARTNER, "GET"),
    "value: trailing slash added as the app builds it": preflight("/docs/intro", PARTNER, "GET"),
    "value: trailing slash subtree": preflight("/docs/other", APP, "GET"),
    "value: trailing slash, actual redirect": actual("GET", "/docs/intro", PARTNER),
    "value: integer exact": preflight("/orders/7", PARTNER, "DELETE"),
    "value: integer exact refuses the app origin": preflight("/orders/7", APP, "DELETE"),
    "value: integer subtree": preflight("/orders/8", APP, "DELETE"),
    "value: integer with a leading zero answered by the app": preflight(
        "/orders/007", PARTNER, "DELETE"
    ),
    "value: integer with a leading zero, actual": actual("GET", "/orders/007", PARTNER),
    "value: regex resource": preflight("/reports/q.csv", APP, "GET"),
    "value: regex resource, actual exposes": actual("GET", "/reports/q.csv", APP),
    "value: regex not matching: no CORS": preflight("/reports/q.pdf", APP, "GET"),
    "value: regex not matching, actual": actual("GET", "/reports/q.pdf", APP),
    # Policies that depend on the method: a preflight is routed by the method it asks for.
    "method: GET under the app policy": preflight("/things", APP, "GET"),
    "method: POST under the decorator": preflight("/things", PARTNER, "POST", "content-type"),
    "method: POST refuses the app origin": preflight("/things", APP, "POST"),
    "method: GET refuses the decorator origin": preflight("/things", PARTNER, "GET"),
    "method: unrouted method takes the first method's policy": preflight("/things", APP, "PATCH"),
    "method: lowercase post": preflight("/things", PARTNER, "post"),
    "method: actual GET": actual("GET", "/things", APP),
    "method: actual POST": actual("POST", "/things", PARTNER),
    "method: actual POST from the app origin": actual("POST", "/things", APP),
    "method: actual unrouted method": actual("PATCH", "/things", APP),
    "method: converter GET": preflight("/things/3", APP, "GET"),
    "method: converter PUT": preflight("/things/3", PARTNER, "PUT", "content-type"),
    "method: converter DELETE refuses the app origin": preflight("/things/3", APP, "DELETE"),
    "method: converter actual DELETE": actual("DELETE", "/things/3", PARTNER),
    "method: converter actual GET": actual("GET", "/things/3", TENANT),
    "method: blueprint on GET": preflight("/admin/users", "https://admin.example.com", "GET"),
    "method: no policy on POST": preflight("/admin/users", "https://admin.example.com", "POST"),
    "method: actual blueprint GET": actual("GET", "/admin/users", "https://admin.example.com"),
    "method: actual POST without policy": actual(
        "POST", "/admin/users", "https://admin.example.com"
    ),
    # Rules whose paths overlap, with different methods: Werkzeug routes by path and method,
    # the proxy picks a location by path alone and leaves the other rules' methods to the app.
    "overlap: GET reaches the first rule": preflight("/api2/x", APP, "GET", "x-any"),
    "overlap: GET refuses the second rule's origin": preflight("/api2/x", PARTNER, "GET"),
    "overlap: HEAD reaches the first rule": preflight("/api2/x", APP, "HEAD"),
    "overlap: POST reaches the second rule": preflight("/api2/x", PARTNER, "POST", "x-any"),
    "overlap: POST refuses the first rule's origin": preflight("/api2/x", APP, "POST"),
    "overlap: lowercase post is routed, not allowed": preflight("/api2/x", PARTNER, "post"),
    "overlap: a method no rule has": preflight("/api2/x", APP, "DELETE"),
    "overlap: refused origin": preflight("/api2/x", EVIL, "POST"),
    "overlap: only the second rule's path, POST": preflight("/api2/x/y", PARTNER, "POST"),
    "overlap: only the second rule's path, GET": preflight("/api2/x/y", APP, "GET"),
    "overlap: actual GET": actual("GET", "/api2/x", APP),
    "overlap: actual POST": actual("POST", "/api2/x", PARTNER),
    "overlap: actual POST from the first rule's origin": actual("POST", "/api2/x", APP),
    "overlap: actual POST from a refused origin": actual("POST", "/api2/x", EVIL),
    "overlap: actual method no rule has": actual("PATCH", "/api2/x", APP),
    "overlap: actual on the second rule's path": actual("POST", "/api2/x/y", PARTNER),
    "overlap 405: PUT reaches the first rule": preflight("/api3/x", APP, "PUT"),
    "overlap 405: DELETE reaches the second rule": preflight("/api3/x", PARTNER, "DELETE"),
    "overlap 405: DELETE refuses the first rule's origin": preflight("/api3/x", APP, "DELETE"),
    "overlap 405: a method no rule has": preflight("/api3/x", PARTNER, "PATCH"),
    "overlap 405: actual falls back to the second rule": actual("PATCH", "/api3/x", PARTNER),
    "overlap 405: actual fallback refuses the first's origin": actual("PATCH", "/api3/x", APP),
    "overlap 405: actual DELETE": actual("DELETE", "/api3/x", PARTNER),
    "overlap 405: actual PUT": actual("PUT", "/api3/x", APP),
    "shared policy: GET lists both rules' methods": preflight("/api4/x", APP, "GET"),
    "shared policy: POST lists both rules' methods": preflight("/api4/x", APP, "POST"),
    "shared policy: refused origin": preflight("/api4/x", EVIL, "GET"),
    "shared policy: the second rule's path alone": preflight("/api4/x/y", APP, "POST"),
    "shared policy: actual POST": actual("POST", "/api4/x", APP),
    "static overlap: GET reaches the static rule": preflight("/bulk/special", PARTNER, "GET"),
    "static overlap: POST reaches the variable rule": preflight("/bulk/special", ADMIN, "POST"),
    "static overlap: POST refuses the static origin": preflight("/bulk/special", PARTNER, "POST"),
    "static overlap: actual GET": actual("GET", "/bulk/special", PARTNER),
    "static overlap: actual POST": actual("POST", "/bulk/special", ADMIN),
    "static overlap: actual POST refused": actual("POST", "/bulk/special", PARTNER),
    "slash overlap: POST reaches the variable rule": preflight("/bulk/latest", ADMIN, "POST"),
    "slash overlap: GET follows the redirect": preflight("/bulk/latest", APP, "GET"),
    "slash overlap: GET refuses the variable's origin": preflight("/bulk/latest", ADMIN, "GET"),
    "slash overlap: with the slash, POST": preflight("/bulk/latest/", ADMIN, "POST"),
    "slash overlap: actual POST": actual("POST", "/bulk/latest", ADMIN),
    "slash overlap: actual GET redirected": actual("GET", "/bulk/latest", APP),
    "slash overlap: actual GET refused": actual("GET", "/bulk/latest", ADMIN),
    "slash overlap: another value": preflight("/bulk/other", ADMIN, "POST"),
    "slash overlap: another value, GET": preflight("/bulk/other", APP, "GET"),
}


# Paths no route matches: the app's edge decorates their 404 (preflights' too) with the policy
# of the path (its blueprint's under a prefix, else the app's, by the resources rule covering
# it). In front of the app without crossgate the proxy must do the same.
UNROUTED = {
    "unrouted: actual under a resources rule": actual("GET", "/items/x/y", APP),
    "unrouted: actual under a resources rule, refused": actual("GET", "/items/x/y", EVIL),
    "unrouted: preflight under a resources rule": preflight("/items/x/y", APP, "GET"),
    "unrouted: no resources rule covers it": actual("GET", "/nowhere", APP),
    "unrouted: preflight no rule covers": preflight("/nowhere", APP, "GET"),
    "unrouted: under the public blueprint": actual("GET", "/public/nowhere", EVIL),
    "unrouted: preflight under the public blueprint": preflight("/public/nowhere", EVIL, "PUT"),
    "unrouted: the blueprint prefix itself": actual("GET", "/public", EVIL),
    "unrouted: under the admin blueprint": actual("GET", "/admin/nowhere", ADMIN),
    "unrouted: under the admin blueprint, refused": actual("GET", "/admin/nowhere", EVIL),
    "unrouted: not under a prefix that only begins alike": actual("GET", "/publication", EVIL),
    "unrouted: regex resource": actual("GET", "/reports-x", APP),
    "unrouted: without origin": actual("GET", "/items/x/y"),
    "routed: a 405 of a routed path": actual("DELETE", "/public/feed", EVIL),
    "routed: an actual request": actual("GET", "/items/", APP),
    "routed: a preflight never reaches the app": preflight("/items/", APP, "POST", "x-token"),
}
SCENARIOS.update(UNROUTED)


@pytest.fixture(scope="module")
def upstream() -> Iterator[int]:
    with gunicorn("tests.export.export_fixture_app") as port:
        yield port


@pytest.fixture(scope="module", params=["nginx", "caddy", "haproxy"])
def proxy(
    request: pytest.FixtureRequest, upstream: int, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    kind = request.param
    with exported_proxy(kind, tmp_path_factory.mktemp(kind), app, upstream) as port:
        yield port


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_the_proxy_answers_as_the_app(name: str, upstream: int, proxy: int) -> None:
    assert_answered_alike(upstream, proxy, SCENARIOS[name])


@pytest.fixture(scope="module")
def bare_upstream() -> Iterator[int]:
    with gunicorn("tests.export.export_bare_app") as port:
        yield port


@pytest.fixture(scope="module", params=["nginx", "caddy", "haproxy"])
def bare_proxy(
    request: pytest.FixtureRequest, bare_upstream: int, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    """The proxy in front of the app without crossgate."""
    kind = request.param
    with exported_proxy(kind, tmp_path_factory.mktemp(f"bare-{kind}"), app, bare_upstream) as port:
        yield port


@pytest.mark.parametrize("name", list(UNROUTED))
def test_in_front_of_the_app_without_crossgate_the_proxy_answers_as_the_app(
    name: str, upstream: int, bare_proxy: int
) -> None:
    assert_answered_alike(upstream, bare_proxy, UNROUTED[name])


def test_a_request_passed_to_the_app_keeps_its_body(proxy: int) -> None:
    # nginx passes it on through error_page to a named location: the body must survive that.
    connection = http.client.HTTPConnection("127.0.0.1", proxy, timeout=10)
    try:
        headers = {"Origin": PARTNER, "Content-Type": "text/plain"}
        connection.request("POST", "/api2/x", body=b"the body", headers=headers)
        response = connection.getresponse()
        assert response.status == 200
        assert json.loads(response.read()) == {"rest": "x", "body": "the body"}
        assert response.getheader("Access-Control-Allow-Origin") == PARTNER
    finally:
        connection.close()
