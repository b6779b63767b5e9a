"""The apps compared (variants), the requests sent to them (kinds), and what a correct answer is.

Every variant serves the same view, ``GET``/``PUT`` on one path, returning a small JSON body, and
differs only in how it does CORS. Requests are prebuilt WSGI environs; the apps are called as
``app(environ, start_response)``, which goes through crossgate's edge when it wraps
``app.wsgi_app``, exactly as a WSGI server would.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import flask_cors
from flask import Flask, Response, request
from werkzeug.test import EnvironBuilder

import crossgate.flask

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

__all__ = [
    "API_PATH",
    "KINDS",
    "ORIGINS",
    "ORIGIN_ALLOWED",
    "ORIGIN_REFUSED",
    "ORIGIN_SCALE",
    "RULE_SCALE",
    "SCALE_KINDS",
    "Answer",
    "Kind",
    "Variant",
    "call",
    "check",
    "environ_for",
    "load_compat",
    "main_variants",
    "scale_variants",
]

ORIGIN_ALLOWED = "https://app.example.com"
ORIGIN_REFUSED = "https://evil.example.net"
ORIGINS = [ORIGIN_ALLOWED, "https://admin.example.com"]
API_PATH = "/api/items"
#: Numbers of exact origins and of resource rules for the scaling variants.
ORIGIN_SCALE = (1, 100, 1000)
RULE_SCALE = (1, 10, 100)

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACAM = "Access-Control-Allow-Methods"

Headers = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of request: its method, its Origin, and whether it is a CORS preflight."""

    key: str
    label: str
    method: str
    origin: str | None
    preflight: bool = False


KINDS = (
    Kind("get-allowed", "GET, allowed Origin", "GET", ORIGIN_ALLOWED),
    Kind("get-no-origin", "GET, no Origin", "GET", None),
    Kind("get-refused", "GET, refused Origin", "GET", ORIGIN_REFUSED),
    Kind("preflight-allowed", "preflight, allowed", "OPTIONS", ORIGIN_ALLOWED, preflight=True),
    Kind("preflight-refused", "preflight, refused", "OPTIONS", ORIGIN_REFUSED, preflight=True),
)
#: The kinds sent to the scaling variants: the ones whose cost could depend on the table sizes.
SCALE_KINDS = tuple(
    kind
    for kind in KINDS
    if kind.key in {"get-allowed", "get-refused", "preflight-allowed", "preflight-refused"}
)


@dataclass(frozen=True, slots=True)
class Variant:
    """One way of doing CORS in a Flask app, and the policy its answers must follow.

    ``policy``: ``"none"`` sends no CORS headers, ``"any"`` allows every origin, ``"listed"``
    allows ``ORIGINS`` only. ``full_preflight``: answers a preflight with the methods (the
    hand-written floor only adds ACAO to Flask's automatic OPTIONS). ``no_origin_acao``: whether
    a request without Origin may carry ACAO (flask-cors's ``always_send`` sends one).
    """

    key: str
    label: str
    build: Callable[[], Flask]
    policy: Literal["none", "any", "listed"]
    path: str = API_PATH
    credentials: bool = False
    full_preflight: bool = True
    no_origin_acao: bool = False
    #: "main", "origins" or "rules"; scaling variants carry their table size in ``scale``.
    group: str = "main"
    scale: int = 0

    @property
    def kinds(self) -> tuple[Kind, ...]:
        return KINDS if self.group == "main" else SCALE_KINDS


def _view() -> dict[str, list[int]]:
    return {"items": [1, 2, 3]}


def base_app(path: str = API_PATH) -> Flask:
    """A Flask app with the benchmarked route and nothing else."""
    app = Flask(__name__)
    app.add_url_rule(path, "items", _view, methods=["GET", "PUT"])
    return app


def build_floor() -> Flask:
    """The least hand-written CORS: ACAO for listed origins and Vary, with ``headers.add``."""
    app = base_app()
    allowed = frozenset(ORIGINS)

    @app.after_request
    def add_cors(response: Response) -> Response:
        origin = request.headers.get("Origin")
        if origin in allowed:
            response.headers.add("Access-Control-Allow-Origin", origin)
        response.headers.add("Vary", "Origin")
        return response

    return app


def _resources() -> dict[str | re.Pattern[str], dict[str, Any]]:
    """flask-cors's usual production set-up: a resources dict, two origins, credentials."""
    return {r"/api/*": {"origins": list(ORIGINS), "supports_credentials": True}}


def build_flask_cors_defaults() -> Flask:
    app = base_app()
    flask_cors.CORS(app)
    return app


def build_flask_cors_configured() -> Flask:
    app = base_app()
    flask_cors.CORS(app, resources=_resources())
    return app


def build_crossgate() -> Flask:
    app = base_app()
    crossgate.flask.CORS(app, origins=list(ORIGINS), supports_credentials=True)
    return app


def build_crossgate_resources() -> Flask:
    app = base_app()
    crossgate.flask.CORS(app, resources=_resources())
    return app


def build_crossgate_origins(count: int) -> Flask:
    """crossgate with *count* exact origins; the request's origin is one of them."""
    app = base_app()
    origins = [f"https://o{index}.example.com" for index in range(count - 1)] + [ORIGIN_ALLOWED]
    crossgate.flask.CORS(app, origins=origins, supports_credentials=True)
    return app


def rules_path(count: int) -> str:
    """A path under the last of *count* subtree rules ``/r0/*`` ... ``/r{count-1}/*``."""
    return f"/r{count - 1}/items"


def build_crossgate_rules(count: int) -> Flask:
    """crossgate with *count* subtree resource rules; the request falls under the last one."""
    app = base_app(rules_path(count))
    resources: dict[str, dict[str, Any]] = {f"/r{index}/*": {} for index in range(count)}
    crossgate.flask.CORS(app, origins=list(ORIGINS), supports_credentials=True, resources=resources)
    return app


def load_compat() -> tuple[Callable[..., Any] | None, str]:
    """crossgate's flask-cors compatible ``CORS``, or ``None`` and why it is unavailable."""
    try:
        module = importlib.import_module("crossgate.compat.flask_cors")
    except Exception as error:  # a module being written may fail in any way: skip, say why
        return (
            None,
            f"crossgate.compat.flask_cors does not import ({type(error).__name__}: {error})",
        )
    cors = getattr(module, "CORS", None)
    if not callable(cors):
        return None, "crossgate.compat.flask_cors has no CORS yet"
    return cors, ""


def _compat_builder(cors: Callable[..., Any]) -> Callable[[], Flask]:
    def build_compat() -> Flask:
        app = base_app()
        cors(app, resources=_resources())
        return app

    return build_compat


def main_variants(compat: Callable[..., Any] | None) -> list[Variant]:
    """The compared variants; the compat one only when *compat* (its ``CORS``) is given."""
    variants = [
        Variant("bare", "bare Flask", base_app, "none"),
        Variant("floor", "hand-written after_request", build_floor, "listed", full_preflight=False),
        Variant(
            "flask-cors-defaults",
            "flask-cors, CORS(app)",
            build_flask_cors_defaults,
            "any",
            no_origin_acao=True,
        ),
        Variant(
            "flask-cors",
            "flask-cors, resources + 2 origins + credentials",
            build_flask_cors_configured,
            "listed",
            credentials=True,
            no_origin_acao=True,
        ),
        Variant(
            "crossgate",
            "crossgate, 2 origins + credentials",
            build_crossgate,
            "listed",
            credentials=True,
        ),
        Variant(
            "crossgate-resources",
            "crossgate, resources + 2 origins + credentials",
            build_crossgate_resources,
            "listed",
            credentials=True,
        ),
    ]
    if compat is not None:
        variants.append(
            Variant(
                "compat",
                "crossgate.compat.flask_cors, as flask-cors",
                _compat_builder(compat),
                "listed",
                credentials=True,
                no_origin_acao=True,
            )
        )
    return variants


def scale_variants() -> list[Variant]:
    """crossgate with growing origin lists and rule tables."""
    variants = [
        Variant(
            f"origins-{count}",
            f"crossgate, {count} exact origin{'s' if count > 1 else ''}",
            functools.partial(build_crossgate_origins, count),
            "listed",
            credentials=True,
            group="origins",
            scale=count,
        )
        for count in ORIGIN_SCALE
    ]
    variants += [
        Variant(
            f"rules-{count}",
            f"crossgate, {count} resource rule{'s' if count > 1 else ''}",
            functools.partial(build_crossgate_rules, count),
            "listed",
            path=rules_path(count),
            credentials=True,
            group="rules",
            scale=count,
        )
        for count in RULE_SCALE
    ]
    return variants


def environ_for(kind: Kind, path: str) -> WSGIEnvironment:
    """The WSGI environ of a *kind* request to *path* (copy it per call: apps may mutate it)."""
    headers = [("Accept", "application/json")]
    if kind.origin is not None:
        headers.append(("Origin", kind.origin))
    if kind.preflight:
        headers.append(("Access-Control-Request-Method", "PUT"))
        headers.append(("Access-Control-Request-Headers", "content-type"))
    builder = EnvironBuilder(
        path=path, method=kind.method, headers=headers, base_url="http://api.example.com"
    )
    try:
        return builder.get_environ()
    finally:
        builder.close()


@dataclass(frozen=True, slots=True)
class Answer:
    """A response as the WSGI server saw it."""

    status: int
    headers: Headers
    body: bytes

    def get(self, name: str) -> str | None:
        values = self.get_all(name)
        return values[0] if values else None

    def get_all(self, name: str) -> list[str]:
        lowered = name.lower()
        return [value for key, value in self.headers if key.lower() == lowered]


def call(app: Flask, environ: WSGIEnvironment) -> Answer:
    """Call *app* as a WSGI server does (on a copy of *environ*), and collect its answer."""
    seen: list[tuple[str, Headers]] = []

    def start_response(
        status: str, headers: Headers, exc_info: object = None
    ) -> Callable[[bytes], object]:
        seen.append((status, list(headers)))
        return lambda data: None

    result: Iterable[bytes] = app(dict(environ), start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status, headers = seen[-1]
    return Answer(int(status.split()[0]), headers, body)


def check(variant: Variant, kind: Kind, answer: Answer) -> list[str]:
    """What is wrong with *variant*'s *answer* to a *kind* request (empty when it is right)."""
    problems: list[str] = []
    acao = answer.get_all(ACAO)
    allows = variant.policy == "any" or (
        variant.policy == "listed" and kind.origin == ORIGIN_ALLOWED
    )
    if kind.preflight and variant.policy == "none":
        if answer.status != 200 or answer.get("Allow") is None:
            problems.append(f"automatic OPTIONS answered {answer.status} without Allow")
    elif kind.preflight and allows and variant.full_preflight:
        if not 200 <= answer.status < 300:
            problems.append(f"allowed preflight answered {answer.status}")
        if "PUT" not in (answer.get(ACAM) or ""):
            problems.append(
                f"allowed preflight for PUT without PUT in {ACAM}: {answer.get(ACAM)!r}"
            )
    elif not 200 <= answer.status < 300 and not (kind.preflight and not allows):
        problems.append(f"answered {answer.status}")
    if kind.origin is None:
        if acao and not variant.no_origin_acao:
            problems.append(f"{ACAO} {acao} without an Origin")
    elif allows:
        expected = {kind.origin, "*"} if variant.policy == "any" else {kind.origin}
        if len(acao) != 1 or acao[0] not in expected:
            problems.append(f"allowed origin got {ACAO} {acao}, expected one of {sorted(expected)}")
        elif acao[0] != "*" and "origin" not in {
            token.strip().lower() for v in answer.get_all("Vary") for token in v.split(",")
        }:
            problems.append(f"{ACAO} echoes the origin without Vary: Origin")
        if variant.credentials and answer.get(ACAC) != "true":
            problems.append(f"credentials configured but {ACAC} is {answer.get(ACAC)!r}")
    elif acao:
        problems.append(f"refused origin got {ACAO} {acao}")
    if answer.status == 200 and not kind.preflight and b'"items"' not in answer.body:
        problems.append(f"the view's body is missing: {answer.body[:60]!r}")
    return problems
