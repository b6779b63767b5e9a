"""Refusals explained in the ``crossgate`` log: reason, fix, safe to read, bounded."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from crossgate._reasons import CATALOGUE
from crossgate.flask import CORS

ORIGIN = "https://app.example.com"
EVIL = "https://evil.example.net"


@pytest.fixture
def cors_app(app: Flask) -> Flask:
    CORS(app, origins=[ORIGIN])

    @app.route("/items", methods=["GET", "PUT"])
    def items() -> str:
        return "items"

    return app


def _records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "crossgate"]


def test_a_refusal_is_logged_with_code_message_and_fix(
    cors_app: Flask, crossgate_log: pytest.LogCaptureFixture
) -> None:
    cors_app.test_client().get("/items", headers={"Origin": EVIL})
    [record] = _records(crossgate_log)
    assert record.levelno == logging.DEBUG
    assert record.crossgate_reason == "origin-not-allowed"  # type: ignore[attr-defined]
    message = record.getMessage()
    assert message.startswith("'GET' '/items' [origin-not-allowed]")
    assert f"origin '{EVIL}' is not in the allowed origins" in message
    assert f"Fix: if that site should read this response, add '{EVIL}' to origins" in message


def test_a_refused_preflight_is_logged(
    cors_app: Flask, crossgate_log: pytest.LogCaptureFixture
) -> None:
    cors_app.test_client().options(
        "/items",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "DELETE"},
    )
    [record] = _records(crossgate_log)
    assert record.crossgate_reason == "method-not-routed"  # type: ignore[attr-defined]
    assert "Fix: " in record.getMessage()


def test_allowed_requests_log_nothing(
    cors_app: Flask, crossgate_log: pytest.LogCaptureFixture
) -> None:
    client = cors_app.test_client()
    client.get("/items", headers={"Origin": ORIGIN})
    client.get("/items")
    client.options("/items", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"})
    assert _records(crossgate_log) == []


def test_refusals_are_warnings_in_debug_mode(
    cors_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    cors_app.debug = True
    with caplog.at_level(logging.WARNING, logger="crossgate"):
        cors_app.test_client().get("/items", headers={"Origin": EVIL})
    [record] = _records(caplog)
    assert record.levelno == logging.WARNING


def test_nothing_is_formatted_when_nobody_listens(
    cors_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="crossgate"):
        cors_app.test_client().get("/items", headers={"Origin": EVIL})
    assert _records(caplog) == []


HOSTILE = [
    "https://evil.example.net\x0bSet-Cookie: a=b",
    "https://evil.example.net\x85\u2028\u2029x",
    "https://\u00e9vil.example.net",
    "\x1b[31mred\x1b[0m",
    "https://evil.example.net\r\nX-Injected: 1",  # raw CR/LF, as a broken proxy might pass it
]


@pytest.mark.parametrize("value", HOSTILE)
def test_untrusted_values_are_escaped_in_every_record(
    cors_app: Flask, crossgate_log: pytest.LogCaptureFixture, value: str
) -> None:
    client = cors_app.test_client()
    environ = {
        "HTTP_ORIGIN": value,
        "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": f"x-ok,{value}",
    }
    client.get("/items", environ_overrides=environ)
    client.options(
        "/items",
        environ_overrides={**environ, "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT"},
    )
    client.options(
        "/items",
        environ_overrides={
            "HTTP_ORIGIN": ORIGIN,
            "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT",
            "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": f"x-ok,{value}",
        },
    )
    client.get("/items%0d%0aX-Injected:%201/\u00e9%C3%A9", headers={"Origin": EVIL})
    records = _records(crossgate_log)
    assert len(records) == 4
    for record in crossgate_log.records:
        message = record.getMessage()
        assert message.isascii(), message
        assert message.isprintable(), message


def test_a_huge_origin_gives_a_short_log_line(
    cors_app: Flask, crossgate_log: pytest.LogCaptureFixture
) -> None:
    huge = "https://" + "a" * 65536 + ".example.com"
    cors_app.test_client().get("/items", headers={"Origin": huge})
    [record] = _records(crossgate_log)
    assert record.crossgate_reason == "origin-malformed"  # type: ignore[attr-defined]
    assert len(record.getMessage()) < 1000
    assert "more characters" in record.getMessage()


def test_every_logged_code_is_in_the_catalogue(
    cors_app: Flask, crossgate_log: pytest.LogCaptureFixture
) -> None:
    client = cors_app.test_client()
    client.get("/items", headers={"Origin": "null"})
    client.options("/items", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "P U T"})
    codes = [record.crossgate_reason for record in _records(crossgate_log)]  # type: ignore[attr-defined]
    assert codes == ["origin-null", "method-invalid"]
    assert set(codes) <= set(CATALOGUE)
