"""The security properties, over random policies at every level and random hostile requests.

Each example declares CORS options at random levels (``app.config``, ``CORS(app)``,
``init_app``, ``resources`` rules, an outer and a nested blueprint, ``@cross_origin`` on views),
builds the app, and sends it a few requests spelt the ways Werkzeug normalises (merged slashes,
trailing slashes, percent-encoding, a ``redirect_to`` alias, converters, host matching), with
origins of every form and hostile bytes, through the Flask test client or as raw WSGI calls.
Whatever crossgate answers must be justified by the rules of issue 9 as ``security_model``'s
oracle reads them, and the app must answer what bare Flask answers.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from flask import Flask
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from crossgate.errors import ConfigError
from crossgate.flask._extension import state_for
from tests.security.security_model import (
    API_HOST,
    CONFIG_KEYS,
    DECORATABLE,
    MAIN_HOST,
    ORIGIN_POOL,
    PARTNER_HTTP,
    REGEXES,
    REQUEST_ORIGINS,
    REQUEST_PATHS,
    RESOURCE_PATTERNS,
    Answer,
    Oracle,
    Spec,
    build_app,
    build_bare,
    call_wsgi,
    is_insecure,
    make_environ,
)

PROPERTY_SETTINGS = settings(
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")
_FORBIDDEN = {"CONNECT", "TRACE", "TRACK"}
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
REQUESTED_METHODS = [
    *METHODS,
    "delete",
    "GET, DELETE",
    "PUT ",
    "CONNECT",
    "trace",
    "TRACK",
    "",
    "G(T",
    "PUT\r\nX-Injected: 1",
]
REQUESTED_HEADERS = [
    "content-type",
    "authorization,x-request-id",
    "x-a, x-b",
    "x-evil\r\nset-cookie: a=b",
    "," * 2000,
    ",".join(f"x-h{i}" for i in range(500)),
]
_LATIN1 = st.characters(min_codepoint=0, max_codepoint=255)
_LOOSE_REGEXES = {id(entry.regex) for entry in REGEXES.values() if entry.loose}


@st.composite
def level_options(draw: st.DrawFn, *, origins_likely: bool) -> dict[str, Any]:
    """One level's options. Permissions are mostly named where they are valid (with origins
    that need them), sometimes where they are not: those configurations must be refused."""
    options: dict[str, Any] = {}
    if draw(st.integers(0, 7)) < (7 if origins_likely else 4):
        if draw(st.integers(0, 4)) == 0:
            options["origins"] = "*"
        else:
            options["origins"] = draw(
                st.lists(st.sampled_from(ORIGIN_POOL), min_size=1, max_size=3, unique_by=id)
            )
    if draw(st.booleans()):
        options["supports_credentials"] = draw(st.booleans())
    origins = options.get("origins")
    listed = origins if isinstance(origins, list) else []
    wanted = {
        "allow_null_origin": "null" in listed,
        "allow_insecure_http_origins": PARTNER_HTTP in listed,
        "allow_regex_wildcards": any(id(item) in _LOOSE_REGEXES for item in listed),
    }
    for name, needed in wanted.items():
        # Needed: named True three times in four. Otherwise named once in twelve.
        if needed and draw(st.integers(0, 3)) > 0:
            options[name] = True
        elif draw(st.integers(0, 11)) == 0:
            options[name] = draw(st.booleans())
    if draw(st.integers(0, 3)) == 0:
        options["methods"] = draw(st.sampled_from([["GET", "PUT"], "*", ["DELETE"], "GET, POST"]))
    if draw(st.integers(0, 5)) == 0:
        options["max_age"] = draw(st.sampled_from([0, 600]))
    return options


@st.composite
def specs(draw: st.DrawFn) -> Spec:
    """A random app: options at random levels, CORS(app) called or not."""
    spec = Spec(host_matching=draw(st.integers(0, 4)) == 0)
    spec.app_cors = draw(st.integers(0, 5)) > 0
    if spec.app_cors:
        app_level = draw(level_options(origins_likely=True))
        for key, value in app_level.items():
            place = draw(st.sampled_from(["config", "constructor", "init_app"]))
            if place == "config" and key not in CONFIG_KEYS:
                place = "constructor"
            getattr(spec, place)[key] = value
        if draw(st.integers(0, 2)) == 0:
            patterns = draw(
                st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=3, unique=True)
            )
            spec.resources = {
                str(pattern): draw(level_options(origins_likely=False)) for pattern in patterns
            }
    if draw(st.booleans()):
        spec.outer = draw(level_options(origins_likely=False))
    if draw(st.integers(0, 2)) == 0:
        spec.inner = draw(level_options(origins_likely=False))
    for endpoint in draw(st.lists(st.sampled_from(DECORATABLE), max_size=3, unique=True)):
        spec.views[endpoint] = draw(level_options(origins_likely=True))
    return spec


@st.composite
def raw_paths(draw: st.DrawFn) -> str:
    """A request path as ``PATH_INFO``: a route's path spelt another way, or hostile bytes."""
    path = draw(st.sampled_from(REQUEST_PATHS))
    trick = draw(st.integers(0, 9))
    if trick == 0:
        return path
    if trick in (1, 2):  # merged slashes: Werkzeug redirects //api/items to /api/items
        cut = draw(st.sampled_from([i for i, c in enumerate(path) if c == "/"]))
        return path[:cut] + "/" * draw(st.integers(2, 3)) + path[cut + 1 :]
    if trick == 3:
        return path.rstrip("/") if path.endswith("/") and path != "/" else path + "/"
    if trick == 4:
        return path.upper()
    if trick == 5:
        return path.replace("/", "/./", 1)
    if trick == 6:
        return path + draw(st.sampled_from(["%2e%2e", "/..", "+", " ", "\r\nX: y", "\x00"]))
    if trick == 7:
        return "/public/.." + path
    if trick == 8:  # UTF-8 bytes of a non-ASCII path, as a WSGI server passes them
        return (path + "/é").encode("utf-8").decode("latin-1")
    return "/" + draw(st.text(_LATIN1, max_size=30))


@st.composite
def request_origins(draw: st.DrawFn) -> str | None:
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return None
    if choice == 1:
        return draw(st.text(_LATIN1, max_size=40))
    base = draw(st.sampled_from(REQUEST_ORIGINS))
    if choice == 2:
        return base + draw(st.sampled_from(["_.evil.com", "`", "%60", "{", "!", "$", "%0b", "."]))
    return base


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    """One request: an actual request or a preflight, raw or through the test client."""
    origin = draw(request_origins())
    preflight = origin is not None and draw(st.integers(0, 2)) > 0
    headers: dict[str, str] = {}
    if origin is not None:
        headers["Origin"] = origin
    if preflight:
        method = "OPTIONS"
        headers["Access-Control-Request-Method"] = draw(st.sampled_from(REQUESTED_METHODS))
        if draw(st.booleans()):
            headers["Access-Control-Request-Headers"] = draw(st.sampled_from(REQUESTED_HEADERS))
        if draw(st.integers(0, 5)) == 0:
            headers["Access-Control-Request-Private-Network"] = "true"
    else:
        method = draw(st.sampled_from(METHODS))
    printable = all(value.isascii() and value.isprintable() for value in headers.values())
    client = printable and draw(st.booleans())
    if client:
        # The test client percent-decodes the path into PATH_INFO, as a server does.
        path = draw(st.sampled_from(REQUEST_PATHS))
        spelt = "".join(
            quote(c, safe="") if c.isalnum() and draw(st.integers(0, 3)) == 0 else c for c in path
        )
    else:
        path = spelt = draw(raw_paths())
    host = draw(st.sampled_from([MAIN_HOST, MAIN_HOST, API_HOST, "evil.test"]))
    return {
        "method": method,
        "path": path,
        "spelt": spelt,
        "headers": headers,
        "preflight": preflight,
        "client": client,
        "host": host,
    }


def _send(app: Any, req: dict[str, Any]) -> Answer:
    if req["client"]:
        response = app.test_client().open(
            req["spelt"],
            method=req["method"],
            headers=req["headers"],
            base_url=f"http://{req['host']}/",
        )
        body = response.get_data()
        return Answer(response.status_code, list(response.headers.items()), body)
    environ = make_environ(req["path"], req["method"], req["headers"], host=req["host"])
    return call_wsgi(app, environ)


def _vary_tokens(answer: Answer) -> set[str]:
    return {token.strip().lower() for line in answer.get_all("Vary") for token in line.split(",")}


def check_request(app: Any, hook: Any, bare: Any, oracle: Oracle, req: dict[str, Any]) -> None:
    """Send *req* and assert every security property of the answer."""
    note(f"request: {req!r}")
    seen = len(hook.seen)
    answer = _send(app, req)
    note(f"answer: {answer.status} {answer.headers!r}")
    for name, value in answer.headers:
        assert not {"\r", "\n"} & set(name + value), (name, value)
        value.encode("latin-1")  # PEP 3333: a server can send it
    environ = make_environ(req["path"], req["method"], req["headers"], host=req["host"])
    origin = req["headers"].get("Origin")
    bare_status = call_wsgi(bare, dict(environ)).status
    routed = oracle.route(dict(environ), None) is not None
    if req["preflight"] and routed and oracle.spec.uses_cors:
        assert len(hook.seen) == seen, "a preflight to a routed path reached before_request"
        assert answer.status in (200, 204, 403), answer.status
        requested = req["headers"]["Access-Control-Request-Method"]
        if not _TOKEN.match(requested) or requested.upper() in _FORBIDDEN:
            assert answer.status == 403, f"malformed/forbidden ACRM {requested!r} was not refused"
    else:
        assert answer.status == bare_status, f"bare Flask answers {bare_status}"
    candidates = oracle.candidates(dict(environ), None if req["preflight"] else req["method"])
    acao = answer.get_all("Access-Control-Allow-Origin")
    acac = answer.get_all("Access-Control-Allow-Credentials")
    assert len(acao) <= 1
    assert len(acac) <= 1
    if acao:
        value = acao[0]
        credentials = acac == ["true"]
        assert not acac or credentials
        if value == "*":
            assert not acac, "ACAO * with credentials"
            assert any(c is not None and c.literal_any for c in candidates), (
                "ACAO * where the applicable level does not say origins='*'"
            )
        else:
            assert value == origin, "ACAO is neither * nor the request's origin"
            assert "origin" in _vary_tokens(answer), "reflected ACAO without Vary: Origin"
            assert any(
                c is not None
                and c.reflects(value)
                and (
                    not credentials
                    or (
                        c.credentials
                        and not c.admits_any
                        and (not is_insecure(value) or c.permits("allow_insecure_http_origins"))
                    )
                )
                for c in candidates
            ), "the applicable level does not allow this answer"
    else:
        assert not acac, "ACAC without ACAO"
    if not req["preflight"] and len(candidates) == 1:
        policy = candidates[0]
        if policy is not None and not policy.literal_any:
            assert "origin" in _vary_tokens(answer), "a response whose ACAO varies lacks Vary"


def refused_at_first_request(app: Flask) -> bool:
    """Whether the configuration is refused when the app resolves it, at its first request (an
    app whose only crossgate use is a decorator has no earlier moment). Flask turns that
    ConfigError into a 500 in production, so it is asked for directly."""
    try:
        state_for(app).resolve(app)
    except ConfigError as error:
        note(f"refused at the first request: {error}")
        return True
    return False


def run_spec(spec: Spec, reqs: list[dict[str, Any]]) -> None:
    note(f"spec: {spec!r}")
    try:
        app, hook = build_app(spec)
    except ConfigError as error:
        note(f"refused at start-up: {error}")
        return
    bare = build_bare(spec)
    oracle = Oracle(spec, bare)
    if refused_at_first_request(app):
        return
    call_wsgi(app, make_environ("/nothing", "GET", {}))
    hook.seen.clear()
    for req in reqs:
        check_request(app, hook, bare, oracle, req)


@settings(PROPERTY_SETTINGS, max_examples=1400)
@given(specs(), st.lists(requests(), min_size=1, max_size=4))
def test_random_policies_answer_only_what_their_level_allows(
    spec: Spec, reqs: list[dict[str, Any]]
) -> None:
    run_spec(spec, reqs)


@settings(PROPERTY_SETTINGS, max_examples=700)
@given(specs(), requests())
def test_the_first_request_is_held_to_the_same_rules(spec: Spec, req: dict[str, Any]) -> None:
    """The app's very first request (before any warm-up) can reach a decorated view before
    crossgate's edge exists: it must be answered by the same rules."""
    note(f"spec: {spec!r}")
    try:
        app, hook = build_app(spec)
    except ConfigError:
        return
    bare = build_bare(spec)
    if refused_at_first_request(app):
        return
    check_request(app, hook, bare, Oracle(spec, bare), req)
