"""The policy applied is the one of the rule Flask dispatches to, however the path is spelled
(issue 9: defects 2, 3 and 5, and the differential test against Werkzeug's own routing)."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

import pytest
from flask import Blueprint, Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RequestRedirect
from werkzeug.test import EnvironBuilder, run_wsgi_app

from crossgate._bounded import BoundedCache
from crossgate.flask import CORS, cross_origin
from crossgate.flask._resolved import PREFLIGHT_CACHE_SIZE
from tests.flask.conftest import Preflight

APP = "https://app.example.com"
PUBLIC = "https://public.example.com"


def _raw(app: Flask, method: str, path_info: str, **headers: str) -> tuple[str, dict[str, str]]:
    """Send a request whose PATH_INFO is exactly *path_info*, as a server would pass it on."""
    environ = EnvironBuilder(method=method, path="/", headers=list(headers.items())).get_environ()
    environ["PATH_INFO"] = path_info
    body, status, response_headers = run_wsgi_app(app, environ)
    b"".join(body)
    return status, dict(response_headers)


def test_resources_follow_the_route_flask_serves_not_the_raw_path(app: Flask) -> None:
    @app.get("/api/secret")
    def secret() -> str:
        return "secret"

    CORS(
        app,
        origins=[APP],
        resources={
            "/api/*": {"origins": [APP], "supports_credentials": True},
            "/*": {"origins": "*"},
        },
    )
    for spelling in ("/api/secret", "//api/secret", "///api/secret"):
        status, headers = _raw(app, "GET", spelling, Origin="https://evil.example")
        assert status == "200 OK", spelling
        assert "Access-Control-Allow-Origin" not in headers, spelling
        status, headers = _raw(app, "GET", spelling, Origin=APP)
        assert headers["Access-Control-Allow-Origin"] == APP, spelling
        assert headers["Access-Control-Allow-Credentials"] == "true", spelling


def test_a_preflight_for_a_method_the_redirect_target_lacks_never_reaches_the_hooks(
    app: Flask, preflight: Preflight
) -> None:
    hooked: list[str] = []

    @app.before_request
    def auth() -> tuple[str, int]:
        hooked.append("hook")
        return "login first", 401

    @app.get("/items/")
    def items() -> str:
        return "items"

    CORS(app, origins=[APP])
    client = app.test_client()
    refused = preflight(client, "/items", "PUT")
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused.headers
    for method in ("GET", "GET, DELETE", "CONNECT", "delete", "X" * 300):
        answer = preflight(client, "/items", method)
        assert answer.status_code == (204 if method == "GET" else 403), method
    assert hooked == []
    # A path with no route at all is the app's.
    assert preflight(client, "/nothing", "PUT").status_code == 401


def _method_app() -> Flask:
    app = Flask("methods")

    @app.route("/api/items", methods=["GET", "PUT"])
    def items() -> str:
        return "items"

    @app.get("/api/view")
    @cross_origin(origins=[PUBLIC])
    def view() -> str:
        return "view"

    @app.route("/old", redirect_to="/api/items")
    def old() -> str:
        return "never"

    CORS(app, origins=[APP])
    return app


@pytest.mark.parametrize("path", ["/api//items", "//api/items", "/old", "/api/items"])
@pytest.mark.parametrize("origin", [None, APP])
def test_a_method_the_route_lacks_is_the_405_bare_flask_gives(
    path: str, origin: str | None
) -> None:
    bare = Flask("bare")
    bare.add_url_rule("/api/items", "items", lambda: "items", methods=["GET", "PUT"])
    bare.add_url_rule("/old", "old", redirect_to="/api/items")
    headers = {} if origin is None else {"Origin": origin}
    expected, _ = _raw(bare, "DELETE", path, **headers)
    status, answered = _raw(_method_app(), "DELETE", path, **headers)
    assert status == expected
    if origin is not None:
        assert answered["Access-Control-Allow-Origin"] == APP


# --- The differential test: crossgate's choice of policy against Werkzeug's routing ---------

#: One origin per level, so the origin a response allows names the level that decided.
LEVEL_ORIGINS = {
    "app": "https://rest.example.com",
    "subtree": "https://subtree.example.com",
    "exact": "https://exact.example.com",
    "regex": "https://regex.example.com",
    "blueprint": "https://blueprint.example.com",
    "view": "https://view.example.com",
}
NUMBERED = re.compile(r"/r2/[0-9]+")


def _differential_app() -> Flask:
    app = Flask("differential")
    bp = Blueprint("bp", __name__)
    CORS(bp, origins=[LEVEL_ORIGINS["blueprint"]])

    @bp.get("/items")
    def bp_items() -> str:
        return "bp items"

    @bp.get("/<path:rest>")
    def bp_rest(rest: str) -> str:
        return rest

    @app.get("/r1/<name>")
    def r1_name(name: str) -> str:
        return name

    @app.get("/r1/static/")
    def r1_static() -> str:
        return "static"

    @app.get("/r2/<int:number>")
    def r2(number: int) -> str:
        return str(number)

    @app.get("/plain")
    def plain() -> str:
        return "plain"

    @app.get("/loose", strict_slashes=False)
    def loose() -> str:
        return "loose"

    @app.get("/view/<int:item>")
    @cross_origin(origins=[LEVEL_ORIGINS["view"]])
    def view(item: int) -> str:
        return str(item)

    @app.get("/héllo")
    def unicode_path() -> str:
        return "hello"

    app.register_blueprint(bp, url_prefix="/bp")
    CORS(
        app,
        origins=[LEVEL_ORIGINS["app"]],
        resources={
            "/r1/deep": {"origins": [LEVEL_ORIGINS["exact"]]},
            "/r1/*": {"origins": [LEVEL_ORIGINS["subtree"]]},
            NUMBERED: {"origins": [LEVEL_ORIGINS["regex"]]},
            "/*": {},
        },
    )
    return app


DIFFERENTIAL = _differential_app()

_PATHS = [
    "/r1/deep",
    "/r1/other",
    "/r1/static/",
    "/r1/static",
    "/r2/42",
    "/r2/x",
    "/plain",
    "/plain/",
    "/loose",
    "/loose/",
    "/view/7",
    "/view/seven",
    "/bp/items",
    "/bp/a/b/c",
    "/bp",
    "/héllo",
    "/missing",
]


@st.composite
def _spellings(draw: st.DrawFn) -> str:
    """A path, spelled as a client might: doubled slashes, percent-encoded letters."""
    path = draw(st.sampled_from(_PATHS))
    letters = list(path)
    for index in draw(st.lists(st.integers(0, len(letters) - 1), max_size=3)):
        if letters[index] == "/":
            letters[index] = "//"
        elif letters[index].isalnum():
            letters[index] = "".join(f"%{byte:02X}" for byte in letters[index].encode())
    return "".join(letters)


def _werkzeug_level(path_info: str) -> tuple[str, bool]:
    """Which level's policy applies, decided from Werkzeug's routing alone, and whether a rule
    was found (a 404 is judged by its path, slashes merged)."""
    adapter = DIFFERENTIAL.url_map.bind("localhost")
    path = path_info
    for _ in range(4):
        try:
            rule, values = adapter.match(path, method="GET", return_rule=True)
        except RequestRedirect as redirect:
            path = unquote(urlsplit(redirect.new_url).path)
            continue
        except (MethodNotAllowed, HTTPException):
            break
        if rule.endpoint == "view":
            return "view", True
        if rule.endpoint.startswith("bp."):
            return "blueprint", True
        built = rule.build(values, append_unknown=False)
        assert built is not None
        return _resource_level(built[1]), True
    path = re.sub("/{2,}", "/", path_info)
    if path == "/bp" or path.startswith("/bp/"):
        return "blueprint", False
    return _resource_level(path), False


def _resource_level(path: str) -> str:
    if path == "/r1/deep":
        return "exact"
    if path == "/r1" or path.startswith("/r1/"):
        return "subtree"
    if NUMBERED.fullmatch(path):
        return "regex"
    return "app"


def _allowed_levels(method: str, path_info: str) -> set[str]:
    allowed = set()
    for level, origin in LEVEL_ORIGINS.items():
        headers = {"Origin": origin}
        if method == "OPTIONS":
            headers["Access-Control-Request-Method"] = "GET"
        _, answered = _raw(DIFFERENTIAL, method, path_info, **headers)
        if answered.get("Access-Control-Allow-Origin") == origin:
            allowed.add(level)
    return allowed


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(_spellings())
def test_the_policy_is_the_one_of_the_rule_werkzeug_dispatches_to(url_path: str) -> None:
    # PATH_INFO is what a server hands on: percent-decoded, as latin-1 for non-ASCII bytes.
    path_info = unquote(url_path).encode().decode("latin-1")
    level, routed = _werkzeug_level(path_info)
    assert _allowed_levels("GET", path_info) == {level}
    if routed:
        assert _allowed_levels("OPTIONS", path_info) == {level}


# --- The preflight routing cache ------------------------------------------------------------


def test_the_cache_forgets_the_oldest_entry_when_full() -> None:
    cache: BoundedCache[str, int] = BoundedCache(2)
    for index, key in enumerate("abc"):
        cache.put(key, index)
    assert "a" not in cache
    assert (cache["b"], cache["c"], len(cache)) == (1, 2, 2)


def test_preflight_routing_is_cached_per_url_and_bounded(app: Flask, preflight: Preflight) -> None:
    @app.route("/files/<path:name>", methods=["GET", "PUT"])
    def files(name: str) -> str:
        return name

    CORS(app, origins=[APP])
    client = app.test_client()
    for index in range(PREFLIGHT_CACHE_SIZE + 10):
        assert preflight(client, f"/files/{index}").status_code == 204
    resolved = app.extensions["crossgate"].resolved
    assert len(resolved.preflights) == PREFLIGHT_CACHE_SIZE
    # A URL too long to keep is answered, not kept.
    before = len(resolved.preflights)
    assert preflight(client, "/files/" + "x" * 5000).status_code == 204
    assert len(resolved.preflights) == before


def test_the_cache_tells_hosts_apart() -> None:
    app = Flask("hosts", host_matching=True, static_host="static.test")
    app.add_url_rule("/x", "api_x", lambda: "api", host="api.test", methods=["GET", "PUT"])
    app.add_url_rule("/x", "www_x", lambda: "www", host="www.test", methods=["GET"])
    CORS(app, origins=[APP])
    client = app.test_client()
    headers = {"Origin": APP, "Access-Control-Request-Method": "PUT"}
    for _ in range(2):  # the second round is answered from the cache
        api = client.options("/x", headers=headers, base_url="http://api.test")
        www = client.options("/x", headers=headers, base_url="http://www.test")
        assert (api.status_code, www.status_code) == (204, 403)
