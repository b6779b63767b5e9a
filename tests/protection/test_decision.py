"""The protection's decision table (crossgate._protect), against an independent statement of it.

The oracle below is Go's ``CrossOriginProtection`` algorithm written from its description, not
from crossgate's code: hypothesis draws every combination of method, ``Sec-Fetch-Site``,
``Origin``, ``Host``, trust (listed, or allowed by a CORS policy with or without credentials)
and exemption, and the two must agree.
"""

from __future__ import annotations

import logging
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crossgate._policy import CORSPolicy, build_policy
from crossgate._protect import (
    LogLimiter,
    Protection,
    RouteFacts,
    compile_protection,
    decide,
    exempt_problems,
    explain,
    log_refusal,
    same_host,
)
from crossgate._reasons import CATALOGUE, Reason
from crossgate.errors import ConfigError

LISTED = "https://partner.example"
CREDENTIALED = "https://app.example.com"
READ_ONLY = "https://reader.example"
PROTECTION = compile_protection([LISTED], context="test")
WITH_CREDENTIALS = build_policy({"origins": [CREDENTIALED], "supports_credentials": True})
WITHOUT_CREDENTIALS = build_policy({"origins": [CREDENTIALED, READ_ONLY]})
ANY_ORIGIN = build_policy({"origins": "*"})

METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "PROPFIND", "get"]
SITES = [None, "same-origin", "none", "same-site", "cross-site", "Same-Origin", "", "bogus"]
ORIGINS = [
    None,
    "null",
    "http://localhost:8000",
    "http://localhost",
    "https://localhost:8000",
    "http://127.0.0.1:8000",
    "https://shop.example",
    "https://shop.example:443",
    LISTED,
    CREDENTIALED,
    READ_ONLY,
    "not an origin",
]
HOSTS = [None, "localhost:8000", "LOCALHOST:8000", "localhost", "shop.example", "shop.example:443"]
POLICIES = [None, WITH_CREDENTIALS, WITHOUT_CREDENTIALS, ANY_ORIGIN]


def oracle(
    method: str,
    site: str | None,
    origin: str | None,
    host: str | None,
    policy: CORSPolicy | None,
    exempt: bool,
    websocket: bool,
) -> bool:
    """Whether the request passes, stated directly from the issue's table."""
    if method in ("GET", "HEAD", "OPTIONS") and not websocket:
        return True
    trusted = origin == LISTED or (policy is WITH_CREDENTIALS and origin == CREDENTIALED)
    if site is not None:
        return site in ("same-origin", "none") or exempt or trusted
    if origin is None:
        return True
    if origin != "null" and host is not None and "://" in origin:
        scheme, rest = origin.split("://", 1)
        default = {"http": "80", "https": "443"}[scheme]
        if rest == host.lower() or f"{rest}:{default}" == host.lower():
            return True
    return exempt or trusted


@given(
    method=st.sampled_from(METHODS),
    site=st.sampled_from(SITES),
    origin=st.sampled_from(ORIGINS),
    host=st.sampled_from(HOSTS),
    policy=st.sampled_from(POLICIES),
    exempt=st.booleans(),
    websocket=st.booleans(),
)
def test_the_decision_agrees_with_the_table(
    method: str,
    site: str | None,
    origin: str | None,
    host: str | None,
    policy: CORSPolicy | None,
    exempt: bool,
    websocket: bool,
) -> None:
    asked = []

    def route() -> RouteFacts:
        asked.append(True)
        return RouteFacts(exempt, policy)

    reason = decide(PROTECTION, method, site, origin, host, route, websocket=websocket)
    assert (reason is None) == oracle(method, site, origin, host, policy, exempt, websocket)
    if reason is not None:
        assert reason.code in CATALOGUE
        assert asked  # a refusal always looked at the route (exemption, trust)


@given(
    method=st.sampled_from(["POST", "PUT", "DELETE"]),
    site=st.sampled_from(["same-origin", "none"]),
    origin=st.sampled_from(ORIGINS),
)
def test_an_allowed_write_never_routes(method: str, site: str, origin: str | None) -> None:
    # The route look-up is the expensive part: an allowed write must not pay for it.
    def route() -> RouteFacts:
        raise AssertionError("routed")

    assert decide(PROTECTION, method, site, origin, "localhost", route) is None


@pytest.mark.parametrize(
    ("site", "origin", "code"),
    [
        ("cross-site", "https://evil.example", "protection-cross-site"),
        ("same-site", "http://localhost:9000", "protection-cross-site"),
        ("cross-site", None, "protection-cross-site"),
        (None, "https://evil.example", "protection-origin-not-host"),
        (None, "null", "protection-origin-null"),
    ],
)
def test_each_refusal_names_its_reason_and_fix(site: str | None, origin: str | None, code: str):
    reason = decide(
        Protection(), "POST", site, origin, "localhost:8000", lambda: RouteFacts(False, None)
    )
    assert reason is not None
    assert reason.code == code
    line = explain(reason)
    assert line.startswith(f"[{code}] cross-origin write refused: ")
    assert "Fix: " in line
    assert "Browser: " in line
    assert "403" in line


def test_a_websocket_handshake_is_a_write():
    refused = decide(
        PROTECTION,
        "GET",
        "cross-site",
        "https://evil.example",
        "h",
        lambda: RouteFacts(False, None),
        websocket=True,
    )
    assert refused is not None
    assert "WebSocket handshake" in refused.message
    assert (
        decide(
            PROTECTION,
            "GET",
            "cross-site",
            "https://evil.example",
            "h",
            lambda: RouteFacts(False, None),
        )
        is None
    )


def test_null_is_refused_even_when_the_host_would_match():
    assert decide(Protection(), "POST", None, "null", "null", lambda: RouteFacts(False, None))


@pytest.mark.parametrize(
    ("origin", "host", "same"),
    [
        ("http://localhost:8000", "localhost:8000", True),
        ("http://localhost:8000", "LocalHost:8000", True),
        ("https://shop.example", "shop.example:443", True),
        ("http://shop.example", "shop.example:80", True),
        ("https://shop.example", "shop.example:80", False),
        ("http://localhost:8000", "localhost:8001", False),
        ("http://localhost:8000", "localhost", False),
        ("http://localhost", None, False),
        ("localhost:8000", "localhost:8000", False),
        ("http://[::1]:8000", "[::1]:8000", True),
    ],
)
def test_same_host_compares_host_and_port(origin: str, host: str | None, same: bool):
    assert same_host(origin, host) is same


def test_request_facts_in_a_refusal_are_escaped():
    origin = "https://evil.example\r\nX-Injected: 1"
    reason = decide(
        Protection(), "POST", "cross-site", origin, "h", lambda: RouteFacts(False, None)
    )
    assert reason is not None
    assert "\r" not in explain(reason)
    assert "\n" not in explain(reason)
    assert "\\r\\n" in explain(reason)


@pytest.mark.parametrize(
    ("trusted", "fragment"),
    [
        ("*", "turns the protection off"),
        (["null"], "'null'"),
        ([re.compile(r"https://.*")], "'*' in effect"),
        (["http://partner.example"], "plain-http"),
        (["https://partner.example/path"], "trusted_origins="),
        (42, "is not an origin or a list of origins"),
    ],
)
def test_trusted_origins_are_judged_at_start_up(trusted: object, fragment: str):
    with pytest.raises(ConfigError, match="CrossOriginProtection") as raised:
        compile_protection(trusted, context="CrossOriginProtection()")
    assert fragment in str(raised.value)
    assert all(problem.option == "trusted_origins" for problem in raised.value.problems)


def test_trusted_origins_take_the_origins_syntax():
    protection = compile_protection(
        ["https://*.example.com", "http://localhost:5173"], context="test"
    )
    assert protection.trusts("https://a.example.com", None)
    assert protection.trusts("http://localhost:5173", None)
    assert not protection.trusts("https://example.com.evil", None)
    assert not protection.trusts(None, WITH_CREDENTIALS)


def test_a_policy_trusts_only_with_credentials():
    assert Protection().trusts(CREDENTIALED, WITH_CREDENTIALS)
    assert not Protection().trusts(CREDENTIALED, WITHOUT_CREDENTIALS)
    assert not Protection().trusts("https://anyone.example", ANY_ORIGIN)


def test_exempt_names_are_checked():
    names, problems = exempt_problems(["a", "b.c"], {"a", "b.c"}, what="x", example="'a'")
    assert names == {"a", "b.c"}
    assert problems == []
    _, problems = exempt_problems("a", None, what="x", example="'a'")
    assert "is not a list of names" in str(problems[0])
    _, problems = exempt_problems([1, "zz"], {"a"}, what="an endpoint", example="'a'")
    assert [str(problem) for problem in problems] == [
        "exempt=1: is not an endpoint. Fix: write 'a'",
        "exempt='zz': is not an endpoint of this app (known: a). Fix: name one as the "
        "framework does, like 'a'; paths are never matched",
    ]


def test_the_log_is_rate_limited(caplog: pytest.LogCaptureFixture):
    now = [0.0]
    limiter = LogLimiter(burst=2, window=10.0, clock=lambda: now[0])
    logger = logging.getLogger("crossgate.test")
    reason = Reason("protection-origin-null", (("action", "POST request"),))
    with caplog.at_level(logging.INFO, logger="crossgate.test"):
        for _ in range(5):
            log_refusal(logger, limiter, logging.INFO, "POST", "/x\n", reason)
        now[0] = 11.0
        log_refusal(logger, limiter, logging.INFO, "POST", "/x", reason)
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 3
    assert lines[0].startswith("'POST' '/x\\n' [protection-origin-null]")
    assert lines[2].endswith("(3 similar lines left out)")
    assert caplog.records[0].crossgate_reason == "protection-origin-null"  # type: ignore[attr-defined]


def test_nothing_is_logged_when_the_level_is_off(caplog: pytest.LogCaptureFixture):
    limiter = LogLimiter(burst=1)
    reason = Reason("protection-origin-null", (("action", "POST request"),))
    with caplog.at_level(logging.ERROR, logger="crossgate.test"):
        log_refusal(logging.getLogger("crossgate.test"), limiter, logging.INFO, "POST", "/", reason)
    assert caplog.records == []
    assert limiter.admit() == 0  # the limit was not spent on a line nobody saw
