"""The engine's whole answer to a preflight, and its refusal log: one of each for every adapter.

A preflight's status, headers and body are made by ``crossgate._engine.preflight_answer``, and a
refusal is logged by ``crossgate._engine.log_refusal``; the Flask edge, the ASGI middleware and
the Starlette drop-in only translate them. The last tests send the same preflights through a
Flask app and an ASGI app and compare what a browser would receive.
"""

from __future__ import annotations

import logging
import re

import pytest
from flask import Flask
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from crossgate._engine import (
    PREFLIGHT_VARY,
    Decision,
    PreflightStyle,
    decide_preflight,
    log_refusal,
    preflight_answer,
)
from crossgate._policy import ACAO, build_policy
from crossgate._reasons import Reason
from crossgate.asgi import CORSMiddleware
from crossgate.flask import CORS
from tests.asgi_support import ORIGIN, OTHER, client

ROUTE = frozenset({"GET", "PUT"})
TEXT = "text/plain; charset=utf-8"


def decided(origin: str = ORIGIN, method: str = "PUT") -> Decision:
    return decide_preflight(build_policy({"origins": [ORIGIN]}), origin, method, None, ROUTE)


def test_an_allowed_preflight_is_a_204_with_the_decided_headers_and_vary() -> None:
    decision = decided()
    status, headers, body = preflight_answer(decision)
    assert status == 204
    assert body == b""
    assert headers == [*decision.headers, ("Vary", PREFLIGHT_VARY)]
    assert (ACAO, ORIGIN) in headers


def test_a_refused_preflight_is_a_403_without_cors_headers_that_hides_why() -> None:
    status, headers, body = preflight_answer(decided(OTHER))
    assert status == 403
    assert body == b"CORS preflight refused.\n"
    assert headers == [
        ("Content-Type", TEXT),
        ("Content-Length", str(len(body))),
        ("Vary", PREFLIGHT_VARY),
    ]


def test_in_debug_mode_a_refused_preflight_says_why_and_how_to_fix_it() -> None:
    decision = decided(OTHER)
    status, headers, body = preflight_answer(decision, debug=True)
    assert status == 403
    assert body == f"{decision.reason}\n".encode()
    assert b"[origin-not-allowed]" in body
    assert b"add 'https://evil.example' to origins" in body
    assert ("Content-Length", str(len(body))) in headers


def test_each_answer_has_a_list_of_its_own_for_the_adapter_to_extend() -> None:
    decision = decided()
    (_, first, _), (_, second, _) = preflight_answer(decision), preflight_answer(decision)
    first.append(("X-Frame-Options", "DENY"))
    assert ("X-Frame-Options", "DENY") not in second


def test_a_drop_in_words_the_answer_its_own_way() -> None:
    style = PreflightStyle(allowed_status=200, allowed_body=b"OK", refused_status=400, vary="X")
    status, headers, body = preflight_answer(decided(), style=style)
    assert (status, body) == (200, b"OK")
    assert headers[:2] == [("Content-Type", TEXT), ("Content-Length", "2")]
    assert headers[-1] == ("Vary", "X")
    status, headers, body = preflight_answer(
        decided(OTHER), style=style, refused_body=b"Disallowed CORS origin"
    )
    assert (status, body) == (400, b"Disallowed CORS origin")
    assert ("Content-Length", "22") in headers
    assert not any(name.startswith("Access-Control") for name, _ in headers)


@pytest.mark.parametrize(("debug", "level"), [(False, logging.DEBUG), (True, logging.WARNING)])
def test_a_refusal_is_logged_once_escaped_with_its_code(
    caplog: pytest.LogCaptureFixture, debug: bool, level: int
) -> None:
    reason = Reason("origin-null", preflight=True)
    with caplog.at_level(logging.DEBUG, logger="crossgate"):
        log_refusal("OPTIONS", "/items\r\nforged: line", reason, debug=debug)
    (record,) = caplog.records
    assert record.levelno == level
    assert record.crossgate_reason == "origin-null"  # type: ignore[attr-defined]
    assert "\n" not in record.getMessage()
    assert "[origin-null]" in record.getMessage()


def test_a_refusal_nobody_reads_is_never_worked_out(caplog: pytest.LogCaptureFixture) -> None:
    def reason() -> Reason:
        raise AssertionError("worked out although the log does not show it")

    with caplog.at_level(logging.WARNING, logger="crossgate"):
        log_refusal("GET", "/", reason, debug=False)
    assert caplog.records == []


# --- the adapters send the engine's answer as it is -----------------------------------------


def flask_app(debug: bool) -> Flask:
    app = Flask(__name__)
    app.debug = debug

    @app.route("/items", methods=["GET", "PUT"])
    def items() -> str:
        return "items"

    CORS(app, origins=[ORIGIN])
    return app


def items(request: Request) -> PlainTextResponse:
    return PlainTextResponse("items")


def asgi_app(debug: bool) -> CORSMiddleware:
    app = Starlette(debug=debug, routes=[Route("/items", items, methods=["GET", "PUT"])])
    return CORSMiddleware(app, origins=[ORIGIN])


def same_level(text: str) -> str:
    return re.sub(
        r"CORS\(app\) \(tests/test_engine_answers\.py:\d+\)|CORSMiddleware\(app\)", "LEVEL", text
    )


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(("origin", "method"), [(ORIGIN, "PUT"), (OTHER, "PUT"), (ORIGIN, "POST")])
def test_flask_and_asgi_send_the_same_preflight_answer(
    caplog: pytest.LogCaptureFixture, debug: bool, origin: str, method: str
) -> None:
    sent = {"Origin": origin, "Access-Control-Request-Method": method}
    with caplog.at_level(logging.DEBUG, logger="crossgate"):
        from_flask = flask_app(debug).test_client().options("/items", headers=sent)
        from_asgi = client(asgi_app(debug)).options("/items", headers=sent)
    assert from_flask.status_code == from_asgi.status_code
    # The same reason, each naming its own level: the CORS(app) line, or the middleware.
    assert same_level(from_flask.get_data(as_text=True)) == same_level(from_asgi.text)
    shown = {"access-control-allow-origin", "access-control-allow-methods", "vary"}
    shown.add("content-type")
    assert {
        name.lower(): value for name, value in from_flask.headers.items() if name.lower() in shown
    } == {name: value for name, value in from_asgi.headers.items() if name in shown}
    refusals = [record for record in caplog.records if record.name == "crossgate"]
    assert len(refusals) == (0 if from_flask.status_code == 204 else 2)
    assert len({same_level(record.getMessage()) for record in refusals}) <= 1
