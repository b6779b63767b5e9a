"""Every CORS misconfiguration class of reference/security-cases.md, as the core answers it.

Target API ``https://api.example.com``, trusted front end ``https://app.example.com``. An attack
succeeds when the attacker's Origin comes back in Access-Control-Allow-Origin.
"""

from __future__ import annotations

import logging
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossgate._engine import decide_actual, decide_preflight
from crossgate._origin_regex import any_host_problem
from crossgate._origins import compile_origins, parse_request_origin
from crossgate._policy import ACAC, ACAO, CORSPolicy, build_policy
from crossgate.errors import ConfigError

APP = "https://app.example.com"
ROUTE = frozenset({"GET", "POST", "PUT", "DELETE", "OPTIONS"})

SPECIAL_CHARACTERS = [
    "_", "`", "%60", "{", "}", "!", "~", ";", "|", "&", "'", "(", ")", "*", ",", "$", "=", "+",
    "^", "%0b", "\x0b", "\r\n", " ", "\\", "@", "#", "/", "?", ":",
]  # fmt: skip


def policy(origins: object, **options: object) -> CORSPolicy:
    return build_policy({"origins": origins, "supports_credentials": True, **options})


# Every way of trusting app.example.com (and only what a user means by it).
TRUSTING_APP = {
    "exact": [APP],
    "subdomains": ["https://*.example.com"],
    "regex": [re.compile(r"https://app\.example\.com")],
    "callable": [lambda origin: origin == APP],
}


def acao(policy: CORSPolicy, origin: str) -> str | None:
    """The ACAO of the actual response and of the preflight; they must agree."""
    actual = dict(decide_actual(policy, origin).headers).get(ACAO)
    preflight = dict(decide_preflight(policy, origin, "PUT", None, ROUTE).headers).get(ACAO)
    assert actual == preflight
    return actual


@pytest.mark.parametrize("kind", sorted(TRUSTING_APP))
@pytest.mark.parametrize(
    "attack",
    [
        "https://evil.com",  # reflects any origin
        "null",  # null trusted
        "https://app.example.com.evil.com",  # prefix match
        "https://evilapp.example.com.evil.com",
        "https://evilexample.com",  # suffix match
        "https://example.co",  # substring match
        "https://xample.com",
        "https://app.example.co",
        "http://app.example.com",  # https API trusts http
        "https://app.example.com:8443",
        "https://APP.example.com",
        "https://app.example.com/",
        *[f"https://app.example.com{c}.evil.com" for c in SPECIAL_CHARACTERS],
        *[f"https://app.example.com{c}" for c in SPECIAL_CHARACTERS],
    ],
)
def test_an_attack_origin_is_never_reflected(kind: str, attack: str) -> None:
    trusting = policy(TRUSTING_APP[kind])
    assert acao(trusting, APP) == APP
    assert acao(trusting, attack) is None
    decision = decide_actual(trusting, attack)
    assert decision.headers == ()
    assert decision.vary == "Origin"
    assert decision.reason is not None


def test_any_subdomain_is_trusted_only_with_a_subdomain_pattern() -> None:
    assert acao(policy([APP]), "https://evil.app.example.com") is None
    subdomains = policy(["https://*.example.com"])
    assert acao(subdomains, "https://evil.app.example.com") == "https://evil.app.example.com"
    assert acao(subdomains, "https://a.b.c.example.com") == "https://a.b.c.example.com"
    assert acao(subdomains, "https://example.com") is None  # never the apex


def test_null_is_reflected_only_when_knowingly_allowed() -> None:
    assert acao(policy([APP]), "null") is None
    with pytest.raises(ConfigError, match="allow_null_origin=True"):
        policy([APP, "null"])
    with pytest.raises(ConfigError, match="'null' is not among the origins"):
        policy([APP], allow_null_origin=True)
    assert acao(policy([APP, "null"], allow_null_origin=True), "null") == "null"


@pytest.mark.parametrize(
    ("pattern", "attack"),
    [
        (r"https://app.example.com", "https://appxexample.com"),  # issue 9, defect 4
        (r"https://(www.)?acme\.com", "https://wwwxacme.com"),  # defect 6: in a group
        (r"https://app.(acme|test)\.com", "https://appxacme.com"),  # next to an alternation
        (r"(?i)https://app.example\.com", "https://appxexample.com"),  # inline flag
        (r"https://.*example\.com", "https://xexample.com"),  # wildcard into the domain
        (r"https://app\.example\.com.*", "https://app.example.com.mx"),  # and after it
    ],
)
def test_a_loose_regex_cannot_be_configured_and_its_attack_is_named(
    pattern: str, attack: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        policy([re.compile(pattern)])
    [problem] = raised.value.problems
    assert repr(attack) in problem.message
    assert "allow_regex_wildcards=True" in problem.fix
    # The attack is real: with the opt-out, the pattern does let it in.
    loose, problems = compile_origins([re.compile(pattern)], allow_regex_wildcards=True)
    assert problems == []
    assert loose is not None
    assert loose.allows(attack)
    # And the fix in the message, pasted as it is, configures a policy that refuses it.
    pasted = re.search(r"re\.compile\(.*?\)(?=, or pass)", problem.fix)
    assert pasted is not None
    fixed = eval(pasted[0], {"re": re})
    assert acao(policy([fixed]), attack) is None


def test_a_regex_admitting_any_host_is_star_and_refused_with_credentials() -> None:
    """Defect 7: the policy refuses it like '*' (the lead wires any_host_problem in)."""
    for pattern in (r"https://.*", r"https?://[^/]+", r".*"):
        matcher, problems = compile_origins([re.compile(pattern)])
        assert problems == []  # without credentials, a public API may mean it
        assert matcher is not None
        assert matcher.admits_any_host
        problem = any_host_problem(matcher)
        assert problem is not None
        assert "'*' in effect" in problem.message
        assert "drop supports_credentials" in problem.fix
    matcher, _ = compile_origins([re.compile(r"https://[a-z0-9-]+\.example\.com")])
    assert matcher is not None
    assert any_host_problem(matcher) is None


def test_a_regex_allowing_plain_http_needs_consent_with_credentials() -> None:
    """An https API trusting http, through a regex: 'https?://' reads as harmless."""
    loose = re.compile(r"https?://app\.example\.com")
    with pytest.raises(ConfigError, match="plain-http origins") as raised:
        policy([loose])
    assert raised.value.problems[0].value == [r're.compile(r"https?://app\.example\.com")']
    consented = policy([loose], allow_insecure_http_origins=True)
    assert acao(consented, "http://app.example.com") == "http://app.example.com"
    assert acao(policy([re.compile(r"https?://localhost:\d+")]), "http://localhost:3000")


def test_an_async_origins_callable_cannot_be_configured() -> None:
    """Defect 8: its coroutine is truthy, so it used to allow every origin."""

    async def trusted(origin: str) -> bool:
        return False

    with pytest.raises(ConfigError, match="plain def"):
        policy([trusted])


@pytest.mark.parametrize("answer", ["false", "no", 1, [APP], None])
def test_only_true_from_a_callable_grants(answer: object, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="crossgate"):
        assert acao(policy([lambda origin: answer]), APP) is None
    assert "not True or False" in caplog.records[0].getMessage()


def test_a_regex_is_anchored_at_both_ends() -> None:
    unanchored_looking = policy([re.compile(r"https://app\.example\.com")])
    assert acao(unanchored_looking, "https://app.example.com.evil.com") is None
    assert acao(unanchored_looking, "https://evil.com?https://app.example.com") is None


def test_star_with_credentials_cannot_be_configured() -> None:
    with pytest.raises(ConfigError) as caught:
        policy("*")
    assert "list the trusted origins" in str(caught.value)


def test_star_without_credentials_never_reflects() -> None:
    public = build_policy({"origins": "*"})
    for origin in ["https://evil.com", "null", "https://evil.com\r\nSet-Cookie: a=b", None]:
        decision = decide_actual(public, origin)
        assert decision.headers == ((ACAO, "*"),)
        assert decision.vary is None


@pytest.mark.parametrize("origin", [APP, "https://evil.com", None, "null", "garbage"])
def test_every_answer_that_depends_on_origin_varies_on_it(origin: str | None) -> None:
    assert decide_actual(policy([APP]), origin).vary == "Origin"


@settings(max_examples=300, deadline=None)
@given(st.text() | st.builds(lambda tail: APP + tail, st.text()))
def test_an_invalid_acao_is_never_emitted(origin: str) -> None:
    trusting = policy(
        [
            "https://*.example.com",
            "http://localhost:*",
            re.compile(r"https://[a-z0-9.-]+\.example\.net"),
            bool,
            "null",
        ],
        allow_null_origin=True,
    )
    for decision in (
        decide_actual(trusting, origin),
        decide_preflight(trusting, origin, "PUT", None, ROUTE),
    ):
        values = [value for name, value in decision.headers if name == ACAO]
        assert len(values) <= 1
        for value in values:
            assert value == origin
            assert value == "null" or parse_request_origin(value) is not None
            assert (ACAC, "true") in decision.headers


@pytest.mark.parametrize(
    ("origin", "headers"),
    [
        ("https://evil.com\r\nSet-Cookie: x=y", None),
        (APP + "\r\nSet-Cookie: x=y", None),
        (APP, "x-a\r\nSet-Cookie: x=y"),
        (APP, "x-a\nx-b"),
    ],
)
def test_header_injection_is_never_reflected_nor_logged_raw(
    origin: str, headers: str | None
) -> None:
    decision = decide_preflight(policy([APP]), origin, "PUT", headers, ROUTE)
    assert decision.status == 403
    assert decision.headers == ()
    assert decision.reason is not None
    assert "\r" not in str(decision.reason)
    assert "\n" not in str(decision.reason)
    assert "\\r\\n" in str(decision.reason) or "\\n" in str(decision.reason)


@pytest.mark.parametrize("method", ["GET, DELETE", "delete", "PUT ", "DELETE\r\n"])
def test_a_requested_method_is_compared_exactly_never_echoed(method: str) -> None:
    decision = decide_preflight(policy([APP]), APP, method, None, ROUTE)
    assert decision.status == 403
    assert all(method not in value for _, value in decision.headers)


@pytest.mark.parametrize(
    "origin",
    [
        "https://" + "a" * 65_536 + ".example.com",
        "https://bücher.example",
        "https://xn--bcher-kva.example\u0000",
        "https://EXAMPLE.com",
        "https://例え.テスト",
    ],
)
def test_oversize_and_non_ascii_origins_are_refused_with_a_bounded_explanation(
    origin: str,
) -> None:
    decision = decide_actual(policy(["https://*.example.com", lambda o: True]), origin)
    assert not decision.allowed
    assert decision.reason is not None
    assert decision.reason.code == "origin-malformed"
    assert str(decision.reason).isascii()
    assert len(str(decision.reason)) < 1_000


def test_upper_case_in_configuration_matches_what_browsers_send() -> None:
    assert acao(policy(["https://EXAMPLE.com"]), "https://example.com") == "https://example.com"
    assert acao(policy(["https://EXAMPLE.com"]), "https://EXAMPLE.com") is None


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://localhost", True),
        ("http://localhost:3000", True),
        ("http://localhost:5173", True),
        ("https://localhost:3000", False),
        ("http://localhost.evil.com:3000", False),
        ("http://evil.localhost:3000", False),
    ],
)
def test_a_port_wildcard_allows_any_port_of_that_host_only(origin: str, allowed: bool) -> None:
    assert (acao(policy(["http://localhost:*"]), origin) == origin) is allowed


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://a.example.com:8443", True),
        ("https://a.b.example.com:8443", True),
        ("https://a.example.com", False),
        ("https://a.example.com:8444", False),
        ("https://example.com:8443", False),
    ],
)
def test_a_subdomain_pattern_with_a_port(origin: str, allowed: bool) -> None:
    assert (acao(policy(["https://*.example.com:8443"]), origin) == origin) is allowed


def test_ipv6_origins_match_in_their_canonical_form() -> None:
    configured = policy(["http://[0:0::1]:3000"])
    assert acao(configured, "http://[::1]:3000") == "http://[::1]:3000"
    assert acao(configured, "http://[0:0::1]:3000") is None


def test_a_callable_sees_only_serialized_origins() -> None:
    seen: list[str] = []

    def record(origin: str) -> bool:
        seen.append(origin)
        return False

    checked = policy([record])
    for c in SPECIAL_CHARACTERS:
        acao(checked, f"https://app.example.com{c}.evil.com")
    acao(checked, "https://app.example.com")
    # '_' is legal in a host, so that one is a real (foreign) origin and the callable decides.
    underscore = "https://app.example.com_.evil.com"
    assert seen == [underscore, underscore, APP, APP]


def test_a_raising_callable_refuses_and_is_reported_not_crashed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def tenants(origin: str) -> bool:
        raise ConnectionError("database unreachable")

    with caplog.at_level(logging.ERROR, logger="crossgate"):
        assert acao(policy([tenants]), APP) is None
    assert caplog.records
    assert all(record.exc_info for record in caplog.records)


@pytest.mark.parametrize("requested", [True, False])
def test_private_network_access_is_granted_only_when_configured(requested: bool) -> None:
    for allowed in (True, False):
        decision = decide_preflight(
            policy([APP], allow_private_network=allowed),
            APP,
            "PUT",
            None,
            ROUTE,
            private_network=requested,
        )
        granted = ("Access-Control-Allow-Private-Network", "true") in decision.headers
        assert granted is (allowed and requested)
