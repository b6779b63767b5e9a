"""Differential testing: the same app built twice, with flask-cors and with crossgate's layer.

A scenario is a function ``setup(cors, app)`` that configures CORS on a fresh app through the
module it is given (``flask_cors`` or ``crossgate.compat.flask_cors``), exactly as a user would.
Both apps get the same requests; their status, CORS headers and ``Vary`` lines must be equal,
except for the requests a test names as intentional differences, which must differ.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import flask_cors
import flask_cors.core
import pytest
from flask import Flask, Response, abort
from werkzeug.test import TestResponse
from werkzeug.wrappers import Response as BaseResponse

import crossgate.compat.flask_cors as compat
from crossgate.compat.flask_cors import FlaskCorsCompatWarning

if TYPE_CHECKING:
    from typing_extensions import Unpack

F = TypeVar("F", bound=Callable[..., Any])


class CorsModule(Protocol):
    """What a scenario uses of ``flask_cors`` / ``crossgate.compat.flask_cors``."""

    CORS: Any

    def cross_origin(
        self, *args: Any, **kwargs: Unpack[flask_cors.core.CrossOriginOptionsInput]
    ) -> Callable[[F], F]: ...


Setup = Callable[[CorsModule, Flask], object]
Observed = tuple[int, tuple[tuple[str, tuple[str, ...]], ...]]

IMPLEMENTATIONS: dict[str, CorsModule] = {"flask_cors": flask_cors, "crossgate": compat}

OBSERVED_HEADERS = (
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Credentials",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
    "Access-Control-Expose-Headers",
    "Access-Control-Max-Age",
    "Access-Control-Allow-Private-Network",
    "Vary",
    "Allow",
)

ORIGIN = "http://example.com"
OTHER = "https://other.org"
ACRM = "Access-Control-Request-Method"
ACRH = "Access-Control-Request-Headers"
ACRPN = "Access-Control-Request-Private-Network"


@dataclass(frozen=True)
class Req:
    """One request of a differential test."""

    name: str
    method: str = "GET"
    path: str = "/api/items"
    headers: dict[str, str] = field(default_factory=dict)

    def send(self, app: Flask) -> TestResponse:
        return app.test_client().open(self.path, method=self.method, headers=self.headers)


def preflight(name: str, origin: str = ORIGIN, path: str = "/api/items", **headers: str) -> Req:
    return Req(name, "OPTIONS", path, {"Origin": origin, **headers})


#: The requests every option is compared on. None of them touches an intentional difference.
REQUESTS = (
    Req("no-origin"),
    Req("allowed", headers={"Origin": ORIGIN}),
    Req("other", headers={"Origin": OTHER}),
    Req("upper-case", headers={"Origin": "HTTP://EXAMPLE.COM"}),
    Req("null", headers={"Origin": "null"}),
    Req("empty-origin", headers={"Origin": ""}),
    Req("post", "POST", headers={"Origin": ORIGIN}),
    Req("sub-path", path="/api/items/42", headers={"Origin": ORIGIN}),
    Req("public", path="/public", headers={"Origin": ORIGIN}),
    Req("root", path="/", headers={"Origin": ORIGIN}),
    Req("existing-vary", path="/vary", headers={"Origin": ORIGIN}),
    Req("view-sets-acao", path="/own-acao", headers={"Origin": ORIGIN}),
    Req("not-found", path="/missing", headers={"Origin": ORIGIN}),
    Req("method-not-allowed", "DELETE", headers={"Origin": ORIGIN}),
    Req("abort", path="/abort", headers={"Origin": ORIGIN}),
    Req("error", path="/error", headers={"Origin": ORIGIN}),
    Req("redirect", path="/slash", headers={"Origin": ORIGIN}),
    preflight("preflight-redirect", path="/slash", **{ACRM: "GET"}),
    preflight("preflight", **{ACRM: "PUT", ACRH: "X-Custom, content-type"}),
    preflight("preflight-other-origin", OTHER, **{ACRM: "PUT"}),
    preflight("preflight-lower-case-method", **{ACRM: "put"}),
    preflight("preflight-get", **{ACRM: "GET", ACRH: "Authorization"}),
    preflight("preflight-unlisted-method", **{ACRM: "PURGE"}),
    preflight("preflight-empty-header-item", **{ACRM: "PUT", ACRH: "X-B, , X-A"}),
    preflight("preflight-public", path="/public", **{ACRM: "GET"}),
    preflight("preflight-missing-route", path="/missing", **{ACRM: "GET"}),
    Req("options-without-method", "OPTIONS", headers={"Origin": ORIGIN}),
    Req("preflight-without-origin", "OPTIONS", headers={ACRM: "PUT"}),
    preflight("private-network", **{ACRM: "GET", ACRPN: "true"}),
    preflight("private-network-false", **{ACRM: "GET", ACRPN: "false"}),
    Req("private-network-get", headers={"Origin": ORIGIN, ACRPN: "true"}),
)


def make_app() -> Flask:
    """The app every scenario starts from (production mode: errors become 500 responses)."""
    app = Flask("differential")
    app.logger.disabled = True

    @app.route("/api/items", methods=["GET", "POST", "PUT"])
    def items() -> str:
        return "items"

    @app.route("/api/items/<int:item>")
    def item(item: int) -> str:
        return str(item)

    @app.route("/public")
    def public() -> str:
        return "public"

    @app.route("/")
    def root() -> str:
        return "root"

    @app.route("/slash/")
    def slash() -> str:
        return "slash"

    @app.route("/vary")
    def vary() -> Response:
        return Response("vary", headers={"Vary": "Accept-Encoding"})

    @app.route("/own-acao")
    def own_acao() -> Response:
        return Response("own", headers={"Access-Control-Allow-Origin": "https://own.example"})

    @app.route("/abort")
    def aborts() -> str:
        abort(403)

    @app.route("/error")
    def error() -> str:
        raise RuntimeError("boom")

    return app


def observe(response: BaseResponse) -> Observed:
    """What a CORS user's tests look at: the status and every line of the CORS headers."""
    lines = tuple(
        (name, tuple(response.headers.getlist(name)))
        for name in OBSERVED_HEADERS
        if name in response.headers
    )
    return response.status_code, lines


@contextlib.contextmanager
def expected_warnings(match: str | None) -> Iterator[None]:
    if match is None:
        yield
    else:
        with pytest.warns(FlaskCorsCompatWarning, match=match):
            yield


def build(
    module: CorsModule, setup: Setup, warns: str | None = None, app: Flask | None = None
) -> Flask:
    app = make_app() if app is None else app
    context = expected_warnings(warns) if module is compat else contextlib.nullcontext()
    with context:
        setup(module, app)
    return app


def run_both(
    setup: Setup,
    requests: Iterable[Req] = REQUESTS,
    *,
    warns: str | None = None,
    make: Callable[[], Flask] = make_app,
) -> dict[str, dict[str, Observed]]:
    """Each request's observation, per implementation."""
    requests = tuple(requests)
    results: dict[str, dict[str, Observed]] = {}
    for name, module in IMPLEMENTATIONS.items():
        app = build(module, setup, warns, make())
        results[name] = {request.name: observe(request.send(app)) for request in requests}
    return results


def assert_same(
    setup: Setup,
    requests: Iterable[Req] = REQUESTS,
    *,
    differs: Iterable[str] = (),
    warns: str | None = None,
    make: Callable[[], Flask] = make_app,
) -> dict[str, dict[str, Observed]]:
    """flask-cors and crossgate answer alike, except on *differs* requests, which must differ."""
    results = run_both(setup, requests, warns=warns, make=make)
    expected, actual = results["flask_cors"], results["crossgate"]
    differs = set(differs)
    for name in expected:
        if name in differs:
            assert expected[name] != actual[name], f"{name}: expected an intentional difference"
        else:
            assert expected[name] == actual[name], (
                f"{name}: flask-cors {expected[name]} != crossgate {actual[name]}"
            )
    return results


def with_cors(**options: Any) -> Setup:
    """A scenario: ``CORS(app, **options)``."""

    def setup(cors: CorsModule, app: Flask) -> None:
        cors.CORS(app, **options)

    return setup
