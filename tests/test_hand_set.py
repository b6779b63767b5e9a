"""Hand-set CORS headers (crossgate._hand_set): which of the app's headers the policy's replace,
what counts as a difference, and the warning: once per endpoint, bounded, escaped."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


# --- generated: whatever the app set by hand, the policy's CORS lines are the ones that leave ---

OWNED = ("Access-Control-Allow-Origin", "Access-Control-Allow-Credentials")
EXPOSE = "Access-Control-Expose-Headers"
VALUES = st.sampled_from(["*", "true", "null", ORIGIN, "https://evil.example", "X-Total", ""])
OTHER = st.sampled_from([("Content-Type", "text/plain"), ("Set-Cookie", "a=1"), ("X-A", "b")])


def _spellings(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from([name, name.lower(), name.upper()])


HAND_SET = st.lists(
    st.one_of(
        OTHER,
        st.tuples(st.sampled_from([*OWNED, EXPOSE, "Vary"]).flatmap(_spellings), VALUES),
    ),
    max_size=8,
)
DECISIONS = st.builds(
    lambda allowed, credentials, expose: Decision(
        allowed,
        ()
        if not allowed
        else (
            ("Access-Control-Allow-Origin", ORIGIN),
            *([("Access-Control-Allow-Credentials", "true")] if credentials else []),
            *([(EXPOSE, "X-Page")] if expose else []),
        ),
        "Origin",
    ),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)


def _lines(headers: list[tuple[str, str]], name: str) -> list[str]:
    return [value for line, value in headers if line.lower() == name.lower()]


@given(HAND_SET, DECISIONS)
def test_generated_hand_set_headers_never_outlive_the_policy(
    app_headers: list[tuple[str, str]], decision: Decision
) -> None:
    headers = list(app_headers)
    found = apply_replacing(headers, decision)
    ours = list(decision.headers)
    # Who may read, and with which cookies: exactly the policy's lines, whatever the app set.
    for name in OWNED:
        assert _lines(headers, name) == _lines(ours, name)
    # Exposed names: the policy's when it exposes any, else the app's as written.
    expected = _lines(ours, EXPOSE) or _lines(app_headers, EXPOSE)
    assert _lines(headers, EXPOSE) == expected
    # Every other line stays, in order; Vary gains Origin.
    others = [
        line
        for line in app_headers
        if line[0].lower() not in {"vary", EXPOSE.lower(), *(n.lower() for n in OWNED)}
    ]
    assert [line for line in headers if line in others] == others
    vary = ", ".join(_lines(headers, "Vary"))
    assert "Origin" in vary or "*" in vary  # 'Vary: *' already varies on everything
    # Reported: exactly the owned headers the app set to something else than the policy.
    for name in OWNED:
        theirs = ", ".join(_lines(app_headers, name))
        policy = ", ".join(_lines(ours, name))
        # A line removed (the policy writes none) or changed counts; the same value does not.
        differs = bool(_lines(app_headers, name)) and (not policy or theirs.strip() != policy)
        assert differs == any(item.header == name for item in found)
