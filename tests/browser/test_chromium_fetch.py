"""Real Chromium against crossgate: every scenario checked three ways.

Each row of ``CASES`` is one ``fetch()`` made by a page on one origin to a crossgate-powered API
on another. For every row the test checks that (1) Chromium does what a user expects (the
promise resolves or rejects, with the status, body and readable header the page should see),
(2) the browser model, fed the exchanges the server really produced, comes to the same outcome,
and (3) for a blocked fetch, the model's console line is the one Chromium printed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

import pytest
from flask import Blueprint, Flask, Response, jsonify, request

from crossgate.browser import STANDARD, BrowserRequest, HttpResponse, console_message
from crossgate.flask import CORS, cross_origin

from .harness import LiveServer, ServerPool, Tab, replay

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

pytestmark = pytest.mark.browser

JSON = (("Content-Type", "application/json"),)
TEXT = (("Content-Type", "text/plain;charset=UTF-8"),)
FORM = (("Content-Type", "application/x-www-form-urlencoded"),)
BEARER = (("Authorization", "Bearer t0k3n"),)
CUSTOM = (("X-Requested-With", "fetch"),)
TRACEBACK = ("Traceback (most recent call last)", "RuntimeError: the database is down")


class Fetch(TypedDict, total=False):
    """The ``fetch()`` options of a case, when they are not a plain GET."""

    method: str
    headers: tuple[tuple[str, str], ...]
    body: str


class Refusal(TypedDict):
    """What a blocked case expects."""

    allowed: bool
    step: str
    preflights: int


PUT_JSON = Fetch(method="PUT", headers=JSON, body="{}")
POST_JSON = Fetch(method="POST", headers=JSON, body='{"a":1}')
PATCH_JSON = Fetch(method="PATCH", headers=JSON, body="{}")
DELETE = Fetch(method="DELETE")
POST_TEXT = Fetch(method="POST", headers=TEXT, body="hi")
POST_FORM = Fetch(method="POST", headers=FORM, body="a=1")


def refused(step: str = "allow-origin-missing", *, preflights: int = 0) -> Refusal:
    """A blocked fetch; the default step is the one of crossgate's refusals (no ACAO)."""
    return Refusal(allowed=False, step=step, preflights=preflights)


@dataclass(frozen=True, slots=True)
class Case:
    """One ``fetch()`` and what every party should make of it.

    :param api: the server (see :func:`apis`); :param page: the page's origin (see
        ``page_origins``); :param host: the host name the page uses for the API.
    :param step: the step the browser model names (``ok`` when allowed).
    :param preflights: how many OPTIONS requests the server receives over all ``repeat`` fetches.
    :param read: a response header the page reads; :param header: what it gets (``None``:
        ``response.headers.get()`` returned null).
    """

    id: str
    api: str
    path: str
    page: str = "localhost"
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None
    credentials: bool = False
    host: str = "127.0.0.1"
    allowed: bool = True
    status: int = 200
    body_has: tuple[str, ...] = ()
    read: str | None = None
    header: str | None = None
    step: str = "ok"
    preflights: int = 0
    repeat: int = 1


CASES = [
    # Simple requests: no preflight.
    Case("simple-get", "main", "/data", body_has=('"items"',)),
    Case("simple-head", "main", "/data", method="HEAD"),
    Case("simple-post-text", "main", "/things", **POST_TEXT, body_has=("POST hi",)),
    Case("simple-post-form", "main", "/things", **POST_FORM, body_has=("POST a=1",)),
    # Preflighted: a JSON body, each unsafe method, a custom header, Authorization.
    Case("json-post", "main", "/things", **POST_JSON, body_has=('POST {"a":1}',), preflights=1),
    Case("put-json", "main", "/things", **PUT_JSON, body_has=("PUT {}",), preflights=1),
    Case("patch-json", "main", "/things", **PATCH_JSON, body_has=("PATCH {}",), preflights=1),
    Case("delete", "main", "/things", **DELETE, body_has=("DELETE",), preflights=1),
    Case("custom-header", "main", "/data", headers=CUSTOM, preflights=1),
    Case("authorization-default-allow-headers", "main", "/data", headers=BEARER, preflights=1),
    # The page reads response headers: safelisted, exposed, not exposed.
    Case("safelisted-header", "main", "/data", read="Content-Type", header="application/json"),
    Case("exposed-header", "main", "/data", read="X-Total-Count", header="42"),
    Case("unexposed-header-null", "main", "/data", read="X-Secret", header=None),
    # Errors keep their CORS headers, so the page reads the real status.
    Case("404-readable", "main", "/nope", status=404),
    Case("405-readable", "main", "/only-get", **POST_TEXT, status=405),
    Case("500-readable", "main", "/boom", status=500, body_has=("Internal Server Error",)),
    # Werkzeug's redirect to '/items/' is followed: preflight, 308, preflight, PUT.
    Case(
        "trailing-slash-redirect", "main", "/items", **PUT_JSON, body_has=("stored",), preflights=2
    ),
    # The preflight cache: one OPTIONS for two identical fetches; none kept with max_age=0.
    Case("preflight-cached", "main", "/things", **PUT_JSON, preflights=1, repeat=2),
    Case("preflight-max-age-0", "main", "/fresh", **PUT_JSON, preflights=2, repeat=2),
    # Refused methods: crossgate answers the preflight 403 without CORS headers.
    Case("refused-method-by-policy", "main", "/limited", **DELETE, **refused(preflights=1)),
    Case("allowed-method-by-policy", "main", "/limited", **PUT_JSON, preflights=1),
    Case("refused-method-not-on-route", "main", "/only-get", **PATCH_JSON, **refused(preflights=1)),
    # fetch() sends "patch" as written; crossgate lists that spelling too, Flask serves PATCH.
    Case("lowercase-patch", "main", "/things", method="patch", body_has=("PATCH",), preflights=1),
    Case(
        "credentials-not-supported",
        "main",
        "/data",
        credentials=True,
        **refused("allow-credentials"),
    ),
    # Decorator-level policy: its own origin, not the app's.
    Case("decorator-refuses-app-origin", "main", "/partner", **refused()),
    Case("decorator-allows-its-origin", "main", "/partner", page="app"),
    Case("decorator-preflight", "main", "/partner", page="app", **PUT_JSON, preflights=1),
    # Subdomain pattern http://*.localhost:PORT: one or more labels, never the apex.
    Case("subdomain-pattern-get", "subdomains", "/data", page="app"),
    Case("subdomain-pattern-put", "subdomains", "/data", page="app", **PUT_JSON, preflights=1),
    Case("subdomain-pattern-nested", "subdomains", "/data", page="deep"),
    Case("subdomain-pattern-apex-refused", "subdomains", "/data", **refused()),
    # Port wildcard http://localhost:*.
    Case("port-wildcard-get", "ports", "/data"),
    Case("port-wildcard-delete", "ports", "/data", **DELETE, preflights=1),
    Case("port-wildcard-other-host-refused", "ports", "/data", page="ip", **refused()),
    # Refused origin: the simple request reaches the server, the preflighted one does not.
    Case("refused-origin-simple", "main", "/data", page="ip", **refused()),
    Case(
        "refused-origin-preflight",
        "main",
        "/things",
        page="ip",
        **PUT_JSON,
        **refused(preflights=1),
    ),
    # origins='*'.
    Case("wildcard-get", "wildcard", "/data", page="ip", read="X-Total-Count", header=None),
    Case("wildcard-put", "wildcard", "/data", page="ip", **PUT_JSON, preflights=1),
    Case("wildcard-authorization", "wildcard", "/data", page="ip", headers=BEARER, preflights=1),
    Case(
        "wildcard-credentials",
        "wildcard",
        "/data",
        page="ip",
        credentials=True,
        **refused("allow-origin-wildcard-credentials"),
    ),
    # allow_headers as a list: the preflight of any other header is refused.
    Case("allow-headers-list-json", "listed", "/data", **POST_JSON, preflights=1),
    Case("allow-headers-list-custom", "listed", "/data", headers=CUSTOM, **refused(preflights=1)),
    Case(
        "allow-headers-list-authorization",
        "listed",
        "/data",
        headers=BEARER,
        **refused(preflights=1),
    ),
    # Credentials: the page and the API are same-site (localhost, two ports): the cookie goes.
    Case(
        "credentials-cookie",
        "credentials",
        "/me",
        host="localhost",
        credentials=True,
        body_has=("cookie=alice",),
    ),
    Case(
        "credentials-preflighted",
        "credentials",
        "/me",
        host="localhost",
        **POST_JSON,
        credentials=True,
        body_has=("cookie=alice",),
        preflights=1,
    ),
    Case(
        "credentials-exposed-header",
        "credentials",
        "/me",
        host="localhost",
        credentials=True,
        read="X-User",
        header="alice",
    ),
    Case(
        "credentials-omitted-no-cookie",
        "credentials",
        "/me",
        host="localhost",
        body_has=("cookie=none",),
    ),
    # Debug mode: a crash becomes a readable 500 with the traceback.
    Case("debug-500-traceback", "debug", "/boom", status=500, body_has=TRACEBACK),
    Case(
        "debug-500-preflighted",
        "debug",
        "/boom",
        **PUT_JSON,
        status=500,
        body_has=TRACEBACK,
        preflights=1,
    ),
    # An auth before_request hook never sees the preflight.
    Case(
        "auth-hook-authorized",
        "auth",
        "/private",
        headers=BEARER,
        body_has=("secret",),
        preflights=1,
    ),
    Case("auth-hook-preflight-passes", "auth", "/private", **PUT_JSON, status=401, preflights=1),
    Case("auth-hook-401-readable", "auth", "/private", status=401, body_has=("log in",)),
    # Blueprint-level policy, no app-wide one.
    Case("blueprint-get", "blueprint", "/bp/data"),
    Case("blueprint-put", "blueprint", "/bp/data", **PUT_JSON, preflights=1),
    Case("blueprint-404-readable", "blueprint", "/bp/nope", status=404),
    Case("outside-blueprint-refused", "blueprint", "/outside", **refused()),
    # Hand-written servers (not crossgate): the browser's other refusals, model against console.
    Case(
        "star-allow-headers-custom", "handwritten", "/star", page="ip", headers=CUSTOM, preflights=1
    ),
    Case("star-allow-methods-delete", "handwritten", "/star", page="ip", **DELETE, preflights=1),
    Case(
        "star-with-credentials",
        "handwritten",
        "/star",
        page="ip",
        headers=CUSTOM,
        credentials=True,
        **refused("allow-origin-wildcard-credentials", preflights=1),
    ),
    Case("listed-put", "handwritten", "/listed", page="ip", **PUT_JSON, preflights=1),
    Case(
        "listed-method-refused",
        "handwritten",
        "/listed",
        page="ip",
        **DELETE,
        **refused("method-not-allowed", preflights=1),
    ),
    Case(
        "listed-header-refused",
        "handwritten",
        "/listed",
        page="ip",
        headers=CUSTOM,
        **refused("header-not-allowed", preflights=1),
    ),
    Case(
        "origin-with-trailing-slash",
        "handwritten",
        "/slash",
        page="ip",
        **refused("allow-origin-mismatch"),
    ),
    Case(
        "allow-credentials-capital-true",
        "handwritten",
        "/capital-true",
        page="ip",
        credentials=True,
        **refused("allow-credentials"),
    ),
    Case(
        "preflight-redirected",
        "handwritten",
        "/preflight-redirect",
        page="ip",
        **PUT_JSON,
        **refused("preflight-redirect", preflights=1),
    ),
    Case(
        "preflight-status-500",
        "handwritten",
        "/preflight-500",
        page="ip",
        **PUT_JSON,
        **refused("preflight-status", preflights=1),
    ),
]


def _main_app(page_origins: dict[str, str]) -> Flask:
    """An app-wide policy for the localhost page, and views that override it."""
    app = Flask("main")

    @app.get("/data")
    def data() -> tuple[Response, dict[str, str]]:
        return jsonify(items=[1, 2]), {"X-Total-Count": "42", "X-Secret": "hidden"}

    @app.route("/things", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def things() -> str:
        return f"{request.method} {request.get_data(as_text=True)}"

    @app.get("/only-get")
    def only_get() -> str:
        return "only GET"

    @app.put("/items/")
    def items() -> str:
        return "stored"

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("the database is down")

    @app.route("/limited", methods=["GET", "PUT", "DELETE"])
    @cross_origin(methods=["GET", "PUT"])
    def limited() -> str:
        return request.method

    @app.route("/partner", methods=["GET", "PUT"])
    @cross_origin(origins=[page_origins["app"]])
    def partner() -> str:
        return "partner"

    @app.put("/fresh")
    @cross_origin(max_age=0)
    def fresh() -> str:
        return "fresh"

    CORS(app, origins=[page_origins["localhost"]], expose_headers=["X-Total-Count"])
    return app


def _data_app(name: str, **options: Any) -> Flask:
    app = Flask(name)

    @app.route("/data", methods=["GET", "POST", "PUT", "DELETE"])
    def data() -> tuple[Response, dict[str, str]]:
        return jsonify(items=[1, 2]), {"X-Total-Count": "42"}

    CORS(app, **options)
    return app


def _credentials_app(page_origins: dict[str, str]) -> Flask:
    app = Flask("credentials")

    @app.route("/me", methods=["GET", "POST"])
    def me() -> tuple[str, dict[str, str]]:
        user = request.cookies.get("session", "none")
        return f"cookie={user}", {"X-User": user}

    CORS(
        app,
        origins=[page_origins["localhost"]],
        supports_credentials=True,
        expose_headers=["X-User"],
    )
    return app


def _debug_app(page_origins: dict[str, str]) -> Flask:
    app = Flask("debug")
    app.debug = True

    @app.route("/boom", methods=["GET", "PUT"])
    def boom() -> str:
        raise RuntimeError("the database is down")

    CORS(app, origins=[page_origins["localhost"]])
    return app


def _auth_app(page_origins: dict[str, str]) -> Flask:
    app = Flask("auth")

    @app.before_request
    def require_authorization() -> tuple[str, int] | None:
        if "Authorization" not in request.headers:
            return "log in first", 401
        return None

    @app.route("/private", methods=["GET", "PUT"])
    def private() -> str:
        return "secret"

    CORS(app, origins=[page_origins["localhost"]])
    return app


def _blueprint_app(page_origins: dict[str, str]) -> Flask:
    app = Flask("blueprint")
    CORS(app, origins=[])
    blueprint = Blueprint("api", __name__)

    @blueprint.route("/data", methods=["GET", "PUT"])
    def data() -> str:
        return "blueprint data"

    @app.get("/outside")
    def outside() -> str:
        return "no policy here"

    CORS(blueprint, origins=[page_origins["localhost"]])
    app.register_blueprint(blueprint, url_prefix="/bp")
    return app


def _handwritten_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """Not crossgate: answers as servers configured by hand do, one mistake per path."""
    path = environ["PATH_INFO"]
    origin = environ.get("HTTP_ORIGIN", "")
    headers = {
        "/star": [("Access-Control-Allow-Origin", "*")],
        "/listed": [("Access-Control-Allow-Origin", origin)],
        "/slash": [("Access-Control-Allow-Origin", f"{origin}/")],
        "/capital-true": [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Credentials", "True"),
        ],
        "/preflight-redirect": [("Access-Control-Allow-Origin", "*")],
        "/preflight-500": [("Access-Control-Allow-Origin", "*")],
    }[path]
    status = "200 OK"
    if environ["REQUEST_METHOD"] == "OPTIONS":
        status = "204 No Content"
        if path == "/star":
            headers += [
                ("Access-Control-Allow-Methods", "*"),
                ("Access-Control-Allow-Headers", "*"),
            ]
        elif path == "/listed":
            headers += [
                ("Access-Control-Allow-Methods", "PUT"),
                ("Access-Control-Allow-Headers", "content-type"),
            ]
        elif path == "/preflight-redirect":
            status = "308 Permanent Redirect"
            headers.append(("Location", "/star"))
        elif path == "/preflight-500":
            status = "500 Internal Server Error"
    start_response(status, [*headers, ("Content-Type", "text/plain")])
    return [b"hand-written"]


@pytest.fixture(scope="module")
def apis(servers: ServerPool, page_origins: dict[str, str]) -> dict[str, LiveServer]:
    localhost = page_origins["localhost"]
    port = localhost.rpartition(":")[2]
    return {
        "main": servers.serve(_main_app(page_origins)),
        "subdomains": servers.serve(
            _data_app("subdomains", origins=[f"http://*.localhost:{port}"])
        ),
        "ports": servers.serve(_data_app("ports", origins=["http://localhost:*"])),
        "wildcard": servers.serve(_data_app("wildcard", origins="*")),
        "listed": servers.serve(
            _data_app("listed", origins=[localhost], allow_headers=["Content-Type"])
        ),
        "handwritten": servers.serve(_handwritten_app),
        "credentials": servers.serve(_credentials_app(page_origins)),
        "debug": servers.serve(_debug_app(page_origins)),
        "auth": servers.serve(_auth_app(page_origins)),
        "blueprint": servers.serve(_blueprint_app(page_origins)),
    }


@pytest.fixture(scope="module")
def session_cookie(tab: Tab, apis: dict[str, LiveServer]) -> None:
    """The cookie a logged-in user has for the API at localhost (host-only, any port)."""
    url = apis["credentials"].url("localhost", "/")
    tab.page.context.add_cookies([{"name": "session", "value": "alice", "url": url}])


@pytest.mark.usefixtures("session_cookie")
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_fetch_from_another_origin(
    case: Case, apis: dict[str, LiveServer], page_origins: dict[str, str], tab: Tab
) -> None:
    server = apis[case.api]
    query = f"case={case.id}"
    page_request = BrowserRequest(
        server.url(case.host, f"{case.path}?{query}"),
        page_origins[case.page],
        method=case.method,
        headers=case.headers,
        credentials=case.credentials,
    )
    tab.open(page_request.origin)
    cached: HttpResponse | None = None
    preflights = 0
    for attempt in range(case.repeat):
        seen = tab.fetch(page_request, case.body, case.read)
        exchanges = server.recorder.take(query)
        preflights += sum(exchange.is_preflight for exchange in exchanges)
        for exchange in exchanges:
            if exchange.is_preflight:
                # A preflight never carries credentials.
                assert exchange.request_header("Cookie") is None
                assert exchange.request_header("Authorization") is None
        verdict, cached = replay(page_request, exchanges, cached)

        # (1) Chromium does what the user expects.
        assert seen.allowed is case.allowed, seen
        if seen.allowed:
            assert seen.status == case.status
            for text in case.body_has:
                assert text in seen.body
            if case.read is not None:
                assert seen.header == case.header
        else:
            assert seen.error == "TypeError: Failed to fetch"

        # (2) The model, given what the server sent, agrees.
        assert verdict.allowed is seen.allowed, verdict
        assert verdict.step == case.step, verdict
        assert verdict.preflight_needed is (case.preflights > 0)
        if seen.allowed:
            assert exchanges[-1].status == seen.status
            if case.read is not None:
                readable = case.read.lower() in verdict.readable_headers
                assert readable is (seen.header is not None)
        if attempt > 0:
            # The model's max-age explains whether Chromium asked again.
            assert verdict.max_age is not None
            assert (verdict.max_age > 0) is (case.preflights < case.repeat)

        # (3) The model names the failing step as Chromium's console does.
        expected = (console_message(page_request, verdict),) if not seen.allowed else ()
        assert seen.cors_errors == expected

    assert preflights == case.preflights


def test_star_covers_authorization_in_chromium_not_in_the_standard(
    apis: dict[str, LiveServer], page_origins: dict[str, str], tab: Tab
) -> None:
    """``Access-Control-Allow-Headers: *`` covers ``Authorization`` in Chromium, not in Fetch.

    Chromium 156 lets this fetch through and only files an ``AuthorizationCoveredByWildcard``
    deprecation issue in DevTools (Firefox ESR 153 and WebKitGTK 2.50 let it through too, see
    ``test_engines.py``). The model's Chromium profile agrees; its standard profile refuses it,
    which is what a server should plan for. crossgate's default ``allow_headers='*'`` names the
    requested headers instead and passes everywhere.
    """
    server = apis["handwritten"]
    query = "case=star-authorization"
    page_request = BrowserRequest(
        server.url("127.0.0.1", f"/star?{query}"), page_origins["ip"], headers=BEARER
    )
    tab.open(page_request.origin)
    cdp = tab.page.context.new_cdp_session(tab.page)
    deprecations: list[str] = []
    cdp.on(
        "Audits.issueAdded",
        lambda event: deprecations.append(
            event["issue"]["details"].get("deprecationIssueDetails", {}).get("type", "")
        ),
    )
    cdp.send("Audits.enable")
    try:
        seen = tab.fetch(page_request, None, None)
        for _ in range(50):
            if "AuthorizationCoveredByWildcard" in deprecations:
                break
            tab.page.wait_for_timeout(10)
    finally:
        cdp.detach()
    exchanges = server.recorder.take(query)
    verdict, _ = replay(page_request, exchanges, None)
    standard, _ = replay(page_request, exchanges, None, STANDARD)

    assert (seen.allowed, seen.status, seen.cors_errors) == (True, 200, ())
    assert "AuthorizationCoveredByWildcard" in deprecations
    assert verdict.allowed
    assert not standard.allowed
    assert standard.step == "header-not-allowed"
    assert standard.missing_headers == ("authorization",)
    assert "'*' does not cover Authorization in the Fetch standard" in standard.fix
