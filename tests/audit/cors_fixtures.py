"""Servers with known CORS misconfigurations, and known-safe ones, for the audit tests.

Each is a WSGI app answering ``GET`` and preflights for ``https://api.example.com``, whose own
pages live on ``https://app.example.com``. ``EXPECTED`` says which finding classes
``crossgate audit`` must report for each, and with which ``--origin`` (none: derived from the
URL, as CORScanner derives its own).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import flask_cors
from flask import Flask

from crossgate.flask import CORS

WSGIApp = Callable[[dict[str, Any], Any], Any]
PAGE = "https://app.example.com"
API_HOST = "api.example.com"


def allowing(
    check: Callable[[str], bool], *, vary: bool = True, credentials: bool = True
) -> WSGIApp:
    """A raw WSGI app that echoes the Origin whenever *check(origin)* is true."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        origin = environ.get("HTTP_ORIGIN")
        headers = [("Content-Type", "application/json")]
        if vary:
            headers.append(("Vary", "Origin"))
        if origin is not None and check(origin):
            headers.append(("Access-Control-Allow-Origin", origin))
            if credentials:
                headers.append(("Access-Control-Allow-Credentials", "true"))
            if environ["REQUEST_METHOD"] == "OPTIONS":
                asked = environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD", "GET")
                headers.append(("Access-Control-Allow-Methods", asked))
                requested = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")
                if requested:
                    headers.append(("Access-Control-Allow-Headers", requested))
        start_response("200 OK", headers)
        return [b'{"secret": "the user\'s data"}']

    return app


def public(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """A deliberate public API: ``*`` without credentials."""
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Access-Control-Allow-Origin", "*")]
    )
    return [b"{}"]


def _host(origin: str) -> str:
    return origin.split("://", 1)[-1]


def _special(origin: str) -> bool:
    # Reads the host up to the first character a hostname cannot hold, and compares that.
    found = re.match(r"https://[a-z0-9.-]+", origin)
    return found is not None and found[0] in (PAGE, f"https://{API_HOST}")


def _flask_cors_app(**options: Any) -> Flask:
    app = Flask("flask_cors_fixture")
    flask_cors.CORS(app, **options)

    @app.get("/")
    def index() -> dict[str, str]:
        return {"secret": "the user's data"}

    return app


def _crossgate_app() -> Flask:
    app = Flask("crossgate_fixture")
    CORS(app, origins=[PAGE], supports_credentials=True, methods=["GET", "POST"])

    @app.get("/")
    def index() -> dict[str, str]:
        return {"secret": "the user's data"}

    return app


#: name -> (app, --origin values, the finding classes crossgate audit must report).
FIXTURES: dict[str, tuple[WSGIApp, tuple[str, ...], frozenset[str]]] = {
    "reflect-all": (
        allowing(lambda origin: True, vary=False),
        (),
        frozenset(
            {
                "reflect-any-origin",
                "null-origin",
                "preflight-any-method",
                "preflight-any-header",
                "vary-origin-missing",
            }
        ),
    ),
    "null": (
        allowing(lambda origin: origin in (PAGE, "null")),
        (),
        frozenset({"null-origin", "preflight-any-method", "preflight-any-header"}),
    ),
    "prefix": (
        allowing(lambda origin: origin.startswith(f"https://{API_HOST}")),
        (),
        frozenset(
            {"prefix-match", "special-characters", "preflight-any-method", "preflight-any-header"}
        ),
    ),
    "suffix": (
        allowing(lambda origin: origin.endswith("example.com")),
        (),
        frozenset(
            {
                "suffix-match",
                "unescaped-dot",
                "any-subdomain",
                "substring-match",
                "https-trusts-http",
                "preflight-any-method",
                "preflight-any-header",
            }
        ),
    ),
    "substring": (
        allowing(lambda origin: origin.startswith("https://") and _host(origin) in API_HOST),
        (),
        frozenset({"substring-match", "preflight-any-method", "preflight-any-header"}),
    ),
    "unescaped-dot": (
        allowing(lambda origin: re.fullmatch("https://api.example.com", origin) is not None),
        (),
        frozenset({"unescaped-dot", "preflight-any-method", "preflight-any-header"}),
    ),
    "special-characters": (
        allowing(_special),
        (),
        frozenset({"special-characters", "preflight-any-method", "preflight-any-header"}),
    ),
    "http-trusted": (
        allowing(lambda origin: origin in (PAGE, f"http://{API_HOST}")),
        (),
        frozenset({"https-trusts-http", "preflight-any-method", "preflight-any-header"}),
    ),
    "any-subdomain": (
        allowing(lambda origin: origin.endswith(f".{API_HOST}")),
        (),
        frozenset({"any-subdomain", "preflight-any-method", "preflight-any-header"}),
    ),
    "third-party": (
        allowing(lambda origin: origin in (PAGE, "https://codepen.io")),
        (),
        frozenset({"third-party-origin", "preflight-any-method", "preflight-any-header"}),
    ),
    # The page's name is not the API's: only origins derived from --origin find it.
    "page-suffix": (
        allowing(lambda origin: origin.endswith("app.example.com")),
        (PAGE,),
        frozenset(
            {
                "suffix-match",
                "any-subdomain",
                "https-trusts-http",
                "preflight-any-method",
                "preflight-any-header",
            }
        ),
    ),
    "no-vary": (
        allowing(lambda origin: origin == PAGE, vary=False),
        (PAGE,),
        frozenset({"vary-origin-missing"}),
    ),
    "flask-cors-any": (
        _flask_cors_app(origins="*", supports_credentials=True),
        (),
        frozenset({"reflect-any-origin", "null-origin", "preflight-any-header"}),
    ),
    "flask-cors-regex": (
        _flask_cors_app(origins=r"https://.*example.com", supports_credentials=True),
        (),
        frozenset(
            {
                "prefix-match",
                "suffix-match",
                "unescaped-dot",
                "any-subdomain",
                "special-characters",
                "substring-match",
                "preflight-any-header",
            }
        ),
    ),
    # Known safe: nothing may be reported.
    "exact": (allowing(lambda origin: origin == PAGE), (PAGE,), frozenset()),
    "exact-no-origin-given": (allowing(lambda origin: origin == PAGE), (), frozenset()),
    "public": (public, (), frozenset()),
    "crossgate": (_crossgate_app(), (PAGE,), frozenset()),
}
