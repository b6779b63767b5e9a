"""A path the proxy reads otherwise than the app is never answered or decorated by the proxy.

gunicorn serves each fixture app twice, with crossgate and without it (its routes and views
alone); nginx, Caddy and HAProxy run the app's export in front of each. Every spelling, the
named ones of issue 19 and the generated ones (biased to ``%2F``, ``%2E``, ``..``, ``.``,
``//``, ``;``, ``%25``, encoded letters, both cases of hex digits), is sent as an actual request
and as a preflight to the app with crossgate directly and through each deployment. The answer
through a
proxy must be the app's own (every CORS-relevant part, ``cors_view``), or one the proxy added
nothing to: the answer of the app behind it, or the proxy's own 400 for a path it cannot read,
carrying no CORS header.
"""

from __future__ import annotations

import http.client
import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from functools import partial

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossgate.export import export_config
from crossgate.export._asgi_table import export_asgi
from crossgate.export._spelling import SPELLED
from tests.export.export_fixture_app import app as fixture_app
from tests.export.export_proxies import (
    KINDS,
    Scenario,
    cors_view,
    exported_proxy,
    gunicorn,
    send,
)
from tests.export.export_spelling_app import ADMIN
from tests.export.export_spelling_app import app as spelling_app
from tests.export_asgi.asgi_export_app import app as asgi_app
from tests.export_asgi.uvicorn_server import uvicorn

pytestmark = pytest.mark.proxies

EVIL = "https://evil.example.com"
APP = "https://app.example.com"


ASGI = "tests.export_asgi.asgi_export_app:app"
#: ``export_config`` or one called alike (``export(app, kind, upstream=..., listen=...)``).
Exporter = Callable[..., str]
Served = AbstractContextManager[int]


@dataclass
class Deployment:
    """One fixture app: its ports directly (with and without crossgate) and through each
    proxy in front of each; ``sent`` counts the spellings replayed."""

    direct: int
    bare: int
    proxies: dict[str, tuple[int, int]]  # "nginx (bare)" -> (proxy port, upstream port)
    sent: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def deployments(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Deployment]]:
    # Each app: how it is exported, served with crossgate, and served without (bare).
    apps: dict[str, tuple[object, Exporter, Served, Served]] = {
        "spelling": (
            spelling_app,
            export_config,
            gunicorn("tests.export.export_spelling_app"),
            gunicorn("tests.export.export_spelling_bare"),
        ),
        "fixture": (
            fixture_app,
            export_config,
            gunicorn("tests.export.export_fixture_app"),
            gunicorn("tests.export.export_fixture_bare"),
        ),
        # The FastAPI fixture: in CORSMiddleware (app), and alone (api).
        "asgi": (
            asgi_app,
            partial(export_asgi, source=ASGI),
            uvicorn(ASGI),
            uvicorn(ASGI.replace(":app", ":api")),
        ),
    }
    found: dict[str, Deployment] = {}
    with ExitStack() as stack:
        for name, (app, export, with_crossgate, without) in apps.items():
            direct = stack.enter_context(with_crossgate)
            bare = stack.enter_context(without)
            proxies: dict[str, tuple[int, int]] = {}
            for kind in KINDS:
                for label, upstream in (("crossgate", direct), ("bare", bare)):
                    root = tmp_path_factory.mktemp(f"{name}-{kind}-{label}")
                    port = stack.enter_context(
                        exported_proxy(kind, root, app, upstream, export=export)
                    )
                    proxies[f"{kind} ({label})"] = (port, upstream)
            found[name] = Deployment(direct, bare, proxies)
        yield found


def has_cors(view: dict[str, object]) -> bool:
    return any(
        value for name, value in view.items() if name.startswith("access-control-") and value
    )


def check(deployment: Deployment, scenario: Scenario) -> None:
    """*scenario* through every proxy: the app's own answer, or nothing added by the proxy."""
    method, path, headers = scenario
    is_preflight = method == "OPTIONS"
    direct = cors_view(send(deployment.direct, method, path, headers), is_preflight)
    for name, (port, upstream) in deployment.proxies.items():
        answer = send(port, method, path, headers)
        through = cors_view(answer, is_preflight)
        if through == direct:
            continue
        behind = cors_view(send(upstream, method, path, headers), is_preflight)
        refused = answer[0] == 400 and not has_cors(through)  # a path the proxy cannot read
        assert through == behind or refused, (name, scenario, "direct", direct, "proxy", through)
    deployment.sent.append(path)


def replay(deployment: Deployment, path: str, origin: str, method: str) -> None:
    check(deployment, ("GET" if method == "PUT" else method, path, {"Origin": origin}))
    preflight = {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "x-token",
    }
    check(deployment, ("OPTIONS", path, preflight))


# Issue 19's spellings: the credentialed route's path read as the public one by the proxy, and
# the reverse; //, ;, %2E%2E and encoded letters.
NAMED = {
    "encoded slashes and dot segments into the public blueprint": (
        "/admin/alice/salary%2F..%2F..%2F..%2Fpublic%2Fx",
        EVIL,
    ),
    "the reverse: a public path read as the credentialed route": (
        "/public/x%2F..%2F..%2Fadmin%2Fsecret",
        ADMIN,
    ),
    "encoded dots, upper case": ("/public/a/%2E%2E/%2E%2E/admin/users", ADMIN),
    "encoded dots, lower case": ("/admin/a/%2e%2e/%2e%2e/public/x", EVIL),
    "plain dot segments": ("/admin/a/../../public/x", EVIL),
    "a single dot segment": ("/public/./x", EVIL),
    "double slash before the route": ("//admin/users", ADMIN),
    "double slash inside the route": ("/admin//users", ADMIN),
    "a semicolon segment": ("/public/..;/admin/users", ADMIN),
    "an encoded letter": ("/%61dmin/users", ADMIN),
    "an encoded letter in the public prefix": ("/%70ublic/x", EVIL),
    "an encoded percent": ("/public/x%252F..%252Fadmin", EVIL),
    "an encoded semicolon": ("/admin/x%3B/users", ADMIN),
    "an encoded backslash": ("/admin/x%5C..%5Cpublic", EVIL),
}


@pytest.mark.parametrize("name", list(NAMED))
@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_a_spelling_the_proxy_reads_otherwise_is_the_apps(
    name: str, method: str, deployments: dict[str, Deployment]
) -> None:
    path, origin = NAMED[name]
    replay(deployments["spelling"], path, origin, method)


def test_the_issues_spelling_gets_no_public_answer_through_a_proxy(
    deployments: dict[str, Deployment],
) -> None:
    # What a page on any origin saw before: ACAO * and a 204 reflecting the asked headers.
    deployment = deployments["spelling"]
    path = NAMED["encoded slashes and dot segments into the public blueprint"][0]
    for port, _ in deployment.proxies.values():
        _, lines = send(port, "GET", path, {"Origin": EVIL})
        assert "access-control-allow-origin" not in {name.lower() for name, _ in lines}
        status, lines = send(
            port,
            "OPTIONS",
            path,
            {
                "Origin": EVIL,
                "Access-Control-Request-Method": "PUT",
                "Access-Control-Request-Headers": "x-a",
            },
        )
        assert status != 204
        assert "access-control-allow-headers" not in {name.lower() for name, _ in lines}


def test_a_plain_path_is_still_answered_by_the_proxy(deployments: dict[str, Deployment]) -> None:
    # In front of the app without crossgate, only the proxy can have added these.
    deployment = deployments["spelling"]
    headers = {"Origin": ADMIN, "Access-Control-Request-Method": "PUT"}
    for name, (port, upstream) in deployment.proxies.items():
        if upstream == deployment.bare:
            status, lines = send(port, "OPTIONS", "/admin/a/b.txt", headers)
            found = {key.lower(): value for key, value in lines}
            assert status == 204, name
            assert found["access-control-allow-origin"] == ADMIN, name
            assert found["access-control-allow-credentials"] == "true", name


def test_a_request_passed_to_the_app_keeps_its_path_and_body(
    deployments: dict[str, Deployment],
) -> None:
    # nginx jumps to a named location from the server block; Caddy proxies from its first handle;
    # HAProxy sends it to its backend with no rule of a location applied.
    for name, (port, _) in deployments["spelling"].proxies.items():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            headers = {"Origin": EVIL, "Content-Type": "text/plain"}
            connection.request("POST", "/public/a%2Fb/%2E%2E", body=b"the body", headers=headers)
            response = connection.getresponse()
            assert response.status == 200, name
            assert json.loads(response.read()) == {"name": "a/b/..", "body": "the body"}, name
            assert response.getheader("Access-Control-Allow-Origin") in (None, "*"), name
        finally:
            connection.close()


# Paths of each fixture's routes: a generated spelling starts in one and, half the time, climbs
# out of it with dot segments (plain or encoded, after plain or encoded slashes) into another.
ROUTES = {
    "spelling": ["/admin/alice/salary", "/admin/users", "/public/x", "/items/7"],
    "fixture": [
        "/items/7",
        "/files/a/b.txt",
        "/api/special",
        "/api/public/feed",
        "/public/feed",
        "/admin/users",
        "/docs/intro/",
        "/orders/7",
        "/reports/q.csv",
        "/private",
        "/decorated",
    ],
    "asgi": [
        "/items/mine",
        "/items/42",
        "/files/a/b.txt",
        "/users/5",
        "/orders/3/",
        "/v1/reports/5",
        "/assets/logo.png",
        "/legacy",
    ],
}
SEPARATORS = ["/", "/", "/", "%2F", "%2f", "//", ";/", "%3B/", "%5C"]
DOTS = ["..", ".", "%2E%2E", "%2e%2e", "%2E%2e", ".%2E", "%2e.", "%2E", "..;", "%252E%252E"]
OTHER = ["", "%25", "%252F", "%20", "%C3%A9", "~", "-", "x;y", ";"]


@st.composite
def spelled_segment(draw: st.DrawFn, words: list[str]) -> str:
    """A word of the routes, maybe with one character percent-encoded (either case of hex)."""
    word = draw(st.sampled_from(words))
    if not draw(st.booleans()):
        return word
    at = draw(st.integers(0, len(word) - 1))
    code = f"%{ord(word[at]):02X}"
    if draw(st.booleans()):
        code = code.lower()
    return word[:at] + code + word[at + 1 :]


@st.composite
def spellings(draw: st.DrawFn, routes: list[str]) -> str:
    source = draw(st.sampled_from(routes))
    words = sorted({word for route in routes for word in route.split("/") if word})
    segment = st.one_of(spelled_segment(words), st.sampled_from(DOTS), st.sampled_from(OTHER))
    path = source
    if draw(st.integers(0, 3)) == 0:  # a plain spelling: the proxy decides it
        plain = st.sampled_from([*words, "x", "a.b", "...", ".x", "x.", "~y", "-", "a+b", "7"])
        return path.rstrip("/") + "".join("/" + draw(plain) for _ in range(draw(st.integers(0, 2))))
    if draw(st.booleans()):  # climb into another route
        for _ in range(draw(st.integers(1, 4))):
            path += draw(st.sampled_from(SEPARATORS)) + draw(st.sampled_from(DOTS))
        path += draw(st.sampled_from(SEPARATORS)) + draw(st.sampled_from(routes)).lstrip("/")
    for _ in range(draw(st.integers(0, 3))):
        path += draw(st.sampled_from(SEPARATORS)) + draw(segment)
    if draw(st.booleans()):  # respell the route's own words
        parts = path.split("/")
        index = draw(st.integers(1, len(parts) - 1))
        if parts[index]:
            parts[index] = draw(spelled_segment([parts[index]]))
        path = "/".join(parts)
    return path


@pytest.mark.parametrize("fixture", list(ROUTES))
def test_generated_spellings_are_answered_as_the_app_or_left_to_it(
    fixture: str, deployments: dict[str, Deployment]
) -> None:
    deployment = deployments[fixture]
    origins = [ADMIN, EVIL, APP, "https://partner.example.org"]

    @settings(
        max_examples=120,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(
        spellings(ROUTES[fixture]),
        st.sampled_from(origins),
        st.sampled_from(["GET", "PUT", "POST"]),
    )
    def replayed(path: str, origin: str, method: str) -> None:
        replay(deployment, path, origin, method)

    started, before = time.monotonic(), len(deployment.sent)
    replayed()
    paths = set(deployment.sent[before:])
    decided = sum(1 for path in paths if re.match(SPELLED, path))
    seconds = time.monotonic() - started
    print(f"\n{fixture}: {len(paths)} spellings ({decided} decided by the proxy) in {seconds:.1f}s")
