"""The values of a CORS policy (exposed and allowed header names, the route's methods, max_age)
reach each proxy's configuration through its maps: every proxy answers with them exactly as the
app does, or the export refuses the value, naming it. Header names and method names are tokens
(RFC 9110), which may hold ``$``, ``%``, ``'``, backticks, ``#`` and a lone ``-``: what nginx,
Caddy and HAProxy read as syntax. They are matched caselessly on ASCII only (RE2's ``(?i)`` also
folds the Kelvin sign with ``k``), and ``Vary`` comes back as the app merges it: the header
policy's tokens on the preflights the proxy answers, nothing added to ``Vary: *``."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crossgate.errors import ConfigError
from crossgate.export import ExportError, export_config
from crossgate.flask import CORS, Headers
from tests.export.export_plain_upstream import view as plain_view
from tests.export.export_proxies import (
    KINDS,
    Proxy,
    cors_view,
    dead_port,
    exported_proxy,
    gunicorn,
    send,
)

pytestmark = pytest.mark.proxies

ORIGIN = "https://app.example.com"

# Pieces of tokens a configuration language reads as syntax, and plain ones.
PIECE = st.sampled_from(
    ["-", "$", "%", "'", "`", "#", "|", "^", "~", "!", "&", "*", "+", ".", "_", "$1", "$$",
     "$http_cookie", "%%", "A", "x"]
)  # fmt: skip
TOKEN = st.lists(PIECE, min_size=1, max_size=3).map("".join)
NAMES = st.lists(TOKEN, min_size=1, max_size=3, unique_by=str.lower)


@pytest.fixture(scope="module")
def upstream() -> Iterator[int]:
    with gunicorn("tests.export.export_plain_upstream") as port:
        yield port


def cors_app(method: str, expose: list[str], allow: list[str] | None, max_age: int) -> Flask:
    app = Flask(__name__)
    app.add_url_rule("/v", "view", lambda: "v", methods=["GET", method])
    if allow is None:  # every requested header allowed, echoed
        CORS(app, origins=[ORIGIN], expose_headers=expose, max_age=max_age)
    else:
        CORS(app, origins=[ORIGIN], expose_headers=expose, allow_headers=allow, max_age=max_age)
    return app


def refusal_marks(kind: Proxy, method: str, answers: list[dict[str, object]]) -> set[str]:
    """What the refusals of the export name, stated apart from the writers: a route method
    ``--`` (which Werkzeug's allowed_methods() asks with); for Caddy, a CORS header whose whole
    value is ``-``, which Caddy's ``map`` reads as "no value" (the header would be dropped), once
    the table holds no refusal. A ``$`` is refused by none: each dialect writes it."""
    marks = {"'--'"} if method == "--" else set()
    if marks:  # found in the app's table: no configuration is written
        return marks
    dash = any(value in ("-", {"-"}) for item in answers for value in item.values())
    return {"'-'"} if kind == "caddy" and dash else set()


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    method=TOKEN.map(str.upper),
    expose=st.lists(TOKEN, max_size=3, unique_by=str.lower),
    allow=st.none() | NAMES,
    max_age=st.integers(0, 10**9),
    spelled=st.booleans(),
)
@example(method="--", expose=[], allow=None, max_age=0, spelled=False)
@example(method="PUT", expose=["-"], allow=None, max_age=600, spelled=False)
@example(method="M$%'`#", expose=["$http_cookie"], allow=["-"], max_age=1, spelled=True)
@example(method="PUT", expose=["X-Cost$"], allow=["x-$y", "$1", "$$"], max_age=5, spelled=False)
@pytest.mark.parametrize("kind", KINDS)
def test_cors_values_are_answered_as_the_app_answers_or_refused(
    kind: Proxy,
    method: str,
    expose: list[str],
    allow: list[str] | None,
    max_age: int,
    spelled: bool,
    upstream: int,
    tmp_path: Path,
) -> None:
    try:
        app = cors_app(method, expose, allow, max_age)
    except (ConfigError, ValueError):
        return  # refused at start-up: never exported
    requested = method.lower() if spelled else method
    preflight = {
        "Origin": ORIGIN,
        "Access-Control-Request-Method": requested,
        "Access-Control-Request-Headers": ", ".join(allow or ["$x"]),
    }
    scenarios = [("OPTIONS", preflight, True), ("GET", {"Origin": ORIGIN}, False)]
    client = app.test_client()
    answers = []
    for verb, headers, is_preflight in scenarios:
        response = client.open("/v", method=verb, headers=headers)
        answers.append(
            cors_view((response.status_code, list(response.headers.items())), is_preflight)
        )
    marks = refusal_marks(kind, method, answers)
    if marks:
        with pytest.raises(ExportError) as raised:
            export_config(app, kind, upstream="http://127.0.0.1:1", listen="127.0.0.1:2")
        named = [{mark for mark in marks if mark in item.message} for item in raised.value.refusals]
        assert all(named), raised.value  # each refusal for a reason stated here
        assert set().union(*named) == marks, raised.value  # and each reason given
        return
    root = tmp_path / f"{kind}-{len(list(tmp_path.iterdir()))}"
    root.mkdir()
    with exported_proxy(kind, root, app, upstream) as port:
        for (verb, headers, is_preflight), answer in zip(scenarios, answers, strict=True):
            assert cors_view(send(port, verb, "/v", headers), is_preflight) == answer


@pytest.mark.parametrize(
    "vary", ["Accept", "accept, ORIGIN", "*", "Cookie, Access-Control-Request-Headers"]
)
@pytest.mark.parametrize("kind", KINDS)
def test_a_header_policy_vary_is_merged_into_the_preflights_the_proxy_answers(
    kind: Proxy, vary: str, upstream: int, tmp_path: Path
) -> None:
    app = cors_app("PUT", [], ["X-A"], 600)
    Headers(app, headers={"Vary": vary})
    client = app.test_client()
    with exported_proxy(kind, tmp_path, app, upstream) as port:
        for method in ("PUT", "PATCH"):  # allowed (204), refused (403)
            headers = {"Origin": ORIGIN, "Access-Control-Request-Method": method}
            response = client.open("/v", method="OPTIONS", headers=headers)
            direct = cors_view((response.status_code, list(response.headers.items())), True)
            assert cors_view(send(port, "OPTIONS", "/v", headers), True) == direct


#: Route methods and allowed header names with letters Unicode folds with other characters (k
#: with the Kelvin sign U+212A, s with the long s U+017F), which fetch() sends as written.
CUSTOM = ("MKCOL", "SEARCH", "UNLINK")
NAMED = ("X-Kind", "X-Seq")
FOLDS = {"k": ["k", "K", "\u212a"], "s": ["s", "S", "\u017f"]}


def caseless_app() -> Flask:
    app = Flask(__name__)
    app.add_url_rule("/v", "view", lambda: "v", methods=["GET", *CUSTOM])
    CORS(app, origins=[ORIGIN], allow_headers=list(NAMED))
    return app


@pytest.fixture(scope="module", params=KINDS)
def caseless_proxy(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    kind = request.param
    root = tmp_path_factory.mktemp(kind)
    with dead_port() as nowhere, exported_proxy(kind, root, caseless_app(), nowhere) as port:
        yield port  # preflights never reach the app


def spellings(name: str) -> st.SearchStrategy[str]:
    letters = [st.sampled_from(FOLDS.get(char.lower(), [char, char.lower()])) for char in name]
    return st.tuples(*letters).map("".join)


def preflight_answer(port: int, headers: dict[str, bytes]) -> tuple[int, str | None, str | None]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("OPTIONS", "/v", headers=headers)
        response = connection.getresponse()
        response.read()
        methods = response.getheader("Access-Control-Allow-Methods")
        return response.status, methods, response.getheader("Access-Control-Allow-Headers")
    finally:
        connection.close()


@settings(max_examples=60, deadline=None)
@given(
    requested=st.sampled_from(CUSTOM).flatmap(spellings),
    named=st.sampled_from(NAMED).flatmap(spellings),
)
@example(requested="m\u212acol", named="X-Seq")
@example(requested="\u017fearch", named="X-Seq")
@example(requested="unlink", named="x-\u212aind")
@example(requested="MKCOL", named="x-\u017feq")
def test_methods_and_header_names_are_matched_caselessly_on_ascii_only(
    caseless_proxy: int, requested: str, named: str
) -> None:
    sent = {
        "Origin": ORIGIN.encode(),
        "Access-Control-Request-Method": requested.encode(),
        "Access-Control-Request-Headers": named.encode(),
    }
    # The app reads a header's bytes as Latin-1 (WSGI): a non-ASCII name is no token.
    headers = {name: value.decode("latin-1") for name, value in sent.items()}
    direct = caseless_app().test_client().open("/v", method="OPTIONS", headers=headers)
    expected = (
        direct.status_code,
        direct.headers.get("Access-Control-Allow-Methods"),
        direct.headers.get("Access-Control-Allow-Headers"),
    )
    assert preflight_answer(caseless_proxy, sent) == expected


def vary_app() -> Flask:
    """The upstream's view (its own Vary), with CORS: the app the proxy stands in for."""
    app = Flask(__name__)
    app.add_url_rule("/v", "view", plain_view)
    CORS(app, origins=[ORIGIN])
    return app


@pytest.fixture(scope="module", params=KINDS)
def vary_proxy(
    request: pytest.FixtureRequest, upstream: int, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    kind = request.param
    with exported_proxy(kind, tmp_path_factory.mktemp(kind), vary_app(), upstream) as port:
        yield port


VARY_TOKEN = st.sampled_from(
    ["*", "origin", "Origin", "ORIGIN", "Accept", "x-origin", "origin2", "", "\\"]
)
SEPARATOR = st.sampled_from([", ", ",", " ,  "])


@settings(max_examples=60, deadline=None)
@given(
    tokens=st.lists(VARY_TOKEN, min_size=1, max_size=4),
    separator=SEPARATOR,
    origin=st.sampled_from([ORIGIN, "https://evil.example", None]),
)
@example(tokens=["*"], separator=", ", origin=ORIGIN)
@example(tokens=["Accept", "*"], separator=",", origin=None)
@example(tokens=[""], separator=",", origin=ORIGIN)
def test_the_apps_vary_comes_back_as_the_app_sends_it(
    vary_proxy: int, tokens: list[str], separator: str, origin: str | None
) -> None:
    headers = {} if origin is None else {"Origin": origin}
    query = urlencode({"vary": separator.join(tokens)})
    direct = vary_app().test_client().get(f"/v?{query}", headers=headers)
    expected = cors_view((direct.status_code, list(direct.headers.items())), False)
    # Behind the proxy, the app has merged Origin into its Vary already: the upstream sends that.
    sent = urlencode({"vary": direct.headers["Vary"]})
    assert cors_view(send(vary_proxy, "GET", f"/v?{sent}", headers), False) == expected
    # In front of an app without crossgate, the view's own Vary reaches the proxy, which merges
    # Origin into it as the app does (a '*' member stands for every field: RFC 9110, 12.5.5).
    bare = cors_view(send(vary_proxy, "GET", f"/v?{query}", headers), False)
    assert starred(bare) == starred(expected)


def starred(view: dict[str, object]) -> dict[str, object]:
    members = view["vary"]
    assert isinstance(members, set)
    return {**view, "vary": {"*"} if "*" in members else members}
