"""Hand-set CORS headers (crossgate._hand_set): which of the app's headers the policy's replace,
what counts as a difference, and the warning: once per endpoint, bounded, escaped."""

from __future__ import annotations

import logging

import pytest

from crossgate._engine import Decision
from crossgate._hand_set import HandSet, HandSetLog, apply_replacing
from crossgate._protect import LogLimiter

ORIGIN = "https://app.example.com"
ALLOWED = Decision(
    True,
    (
        ("Access-Control-Allow-Origin", ORIGIN),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Expose-Headers", "X-Total, X-Page"),
    ),
    "Origin",
)
REFUSED = Decision(False, (), "Origin")


def test_a_hand_set_star_is_replaced_and_reported() -> None:
    headers = [("Content-Type", "text/plain"), ("Access-Control-Allow-Origin", "*")]
    found = apply_replacing(headers, ALLOWED)
    assert found == (HandSet("Access-Control-Allow-Origin", "*", ORIGIN),)
    assert [value for name, value in headers if name == "Access-Control-Allow-Origin"] == [ORIGIN]
    assert ("Access-Control-Allow-Origin", "*") not in headers  # never '*' with credentials


def test_a_refused_origin_loses_the_hand_set_headers() -> None:
    headers = [
        ("access-control-allow-origin", "*"),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Expose-Headers", "X-Total"),
    ]
    found = apply_replacing(headers, REFUSED)
    assert {item.header for item in found} == {
        "Access-Control-Allow-Origin",
        "Access-Control-Allow-Credentials",
    }
    assert all(item.crossgate_value is None for item in found)
    # Exposing headers gives nothing without Access-Control-Allow-Origin: the app's stays.
    assert headers == [("Access-Control-Expose-Headers", "X-Total"), ("Vary", "Origin")]


def test_the_same_values_are_not_reported_and_not_doubled() -> None:
    headers = [
        ("Access-Control-Allow-Origin", ORIGIN),
        ("Access-Control-Expose-Headers", "x-page,X-TOTAL"),
        ("Vary", "Accept-Encoding"),
    ]
    assert apply_replacing(headers, ALLOWED) == ()
    assert [name for name, _ in headers].count("Access-Control-Allow-Origin") == 1
    assert ("Vary", "Accept-Encoding, Origin") in headers


def test_repeated_lines_are_one_value() -> None:
    headers = [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Origin", ORIGIN)]
    [found] = apply_replacing(headers, ALLOWED)
    assert found.app_value == f"*, {ORIGIN}"


def test_a_response_without_cors_headers_is_untouched_but_for_the_decision() -> None:
    headers = [("Content-Type", "text/plain")]
    assert apply_replacing(headers, ALLOWED) == ()
    assert headers == [("Content-Type", "text/plain"), *ALLOWED.headers, ("Vary", "Origin")]


def test_the_warning_is_once_per_endpoint_bounded_and_escaped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="crossgate")
    log = HandSetLog(limiter=LogLimiter(burst=3, clock=lambda: 0.0))
    found = (HandSet("Access-Control-Allow-Origin", "*\r\nX-Forged: 1", ORIGIN),)
    for _ in range(5):
        log.warn("items", "GET", "/items", ORIGIN, found)
    for number in range(10):  # paths no route serves: the clients' to choose
        log.warn(f"/nowhere/{number}\n", "GET", f"/nowhere/{number}\n", "\x1b[2J", found)
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 3
    assert "endpoint 'items'" in lines[0]
    assert "the app set '*\\r\\nX-Forged: 1'" in lines[0]
    assert all(not any(ord(char) < 32 for char in line) for line in lines)
    assert "origin '\\x1b[2J'" in lines[1]
