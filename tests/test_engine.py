"""The engine: what crossgate decides and answers for actual requests and preflights (Fetch, CORS
protocol), and how it explains a refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crossgate._engine import (
    MAX_REQUEST_HEADERS_LENGTH,
    PREFLIGHT_VARY,
    Decision,
    decide_actual,
    decide_preflight,
    is_preflight,
)
from crossgate._policy import ACAC, ACAH, ACAM, ACAO, ACAPN, ACEH, ACMA, CORSPolicy, build_policy

APP = "https://app.example.com"
EVIL = "https://evil.example"
ROUTE = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


def policy(**options: object) -> CORSPolicy:
    return build_policy({"origins": [APP], **options})


# -- actual requests ----------------------------------------------------------------------

Options = dict[str, object]
CREDENTIALS: Options = {"supports_credentials": True}
STAR: Options = {"origins": "*"}
SUBDOMAINS: Options = {"origins": ["https://*.example.com"]}
SUB = "https://a.example.com"

ACTUAL = [
    # id, options, Origin, allowed, headers, vary, reason code
    ("exact", {}, APP, True, ((ACAO, APP),), "Origin", None),
    ("credentials", CREDENTIALS, APP, True, ((ACAO, APP), (ACAC, "true")), "Origin", None),
    ("expose", {"expose_headers": "X"}, APP, True, ((ACAO, APP), (ACEH, "X")), "Origin", None),
    ("refused", CREDENTIALS, EVIL, False, (), "Origin", "origin-not-allowed"),
    ("null", {}, "null", False, (), "Origin", "origin-null"),
    ("malformed", {}, "https://APP.example.com", False, (), "Origin", "origin-malformed"),
    ("no-origin", {}, None, False, (), "Origin", None),
    ("star", STAR, EVIL, True, ((ACAO, "*"),), None, None),
    ("star-no-origin", STAR, None, True, ((ACAO, "*"),), None, None),
    ("star-expose", {**STAR, "expose_headers": "*"}, EVIL, True, ((ACAO, "*"), (ACEH, "*")), None,
     None),
    ("pattern", {**SUBDOMAINS, **CREDENTIALS}, SUB, True, ((ACAO, SUB), (ACAC, "true")), "Origin",
     None),
    ("pattern-no-origin", SUBDOMAINS, None, False, (), "Origin", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("options", "origin", "allowed", "headers", "vary", "code"),
    [row[1:] for row in ACTUAL],
    ids=[row[0] for row in ACTUAL],
)
def test_actual_requests(
    options: dict[str, object],
    origin: str | None,
    allowed: bool,
    headers: tuple[tuple[str, str], ...],
    vary: str | None,
    code: str | None,
) -> None:
    decision = decide_actual(policy(**options), origin)
    assert decision.allowed is allowed
    assert decision.headers == headers
    assert decision.vary == vary
    assert decision.status is None
    assert (decision.reason.code if decision.reason else None) == code


def test_a_refusal_explains_itself_in_chromiums_words() -> None:
    decision = decide_actual(policy(), EVIL)
    assert decision.reason is not None
    assert "'https://evil.example' is not in the allowed origins" in str(decision.reason)
    assert decision.reason.chromium == (
        "No 'Access-Control-Allow-Origin' header is present on the requested resource."
    )


def test_a_raising_origins_callable_refuses_with_its_own_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def tenants(origin: str) -> bool:
        raise LookupError("no database")

    broken = build_policy({"origins": tenants})
    actual = decide_actual(broken, APP)
    preflight = decide_preflight(broken, APP, "PUT", None, ROUTE)
    for decision in (actual, preflight):
        assert not decision.allowed
        assert decision.headers == ()
        assert decision.reason is not None
        assert decision.reason.code == "origin-check-failed"
        assert "LookupError: no database" in decision.reason.message
        assert "tenants" in decision.reason.fix
    assert preflight.status == 403
    assert len(caplog.records) == 2


# -- preflights ---------------------------------------------------------------------------

Headers = tuple[tuple[str, str], ...]
ALL = (ACAM, "DELETE, GET, HEAD, PUT")
AGE = (ACMA, "7200")
ONLY_DELETE = frozenset({"DELETE"})
ALLOWED_PREFLIGHTS: list[tuple[str, Options, str, str | None, frozenset[str], Headers]] = [
    # id, options, Access-Control-Request-Method, -Headers, route methods, headers
    ("every-route-method", {}, "PUT", None, ROUTE, ((ACAO, APP), ALL, AGE)),
    ("methods-intersected", {"methods": ["GET", "PUT", "PATCH"]}, "PUT", None, ROUTE,
     ((ACAO, APP), (ACAM, "GET, PUT"), AGE)),
    ("simple-method-always-passes", {"methods": ["PUT"]}, "GET", "x-token", frozenset({"GET"}),
     ((ACAO, APP), (ACAH, "x-token"), AGE)),
    ("reflects-authorization", {}, "PUT", "authorization", ROUTE,
     ((ACAO, APP), ALL, (ACAH, "authorization"), AGE)),
    ("reflects-lowercased-deduplicated", {}, "GET", "X-Token, authorization,x-token", ROUTE,
     ((ACAO, APP), ALL, (ACAH, "x-token, authorization"), AGE)),
    ("lines-joined-by-a-proxy", {}, "GET", "content-type, x-a,x-b", ROUTE,
     ((ACAO, APP), ALL, (ACAH, "content-type, x-a, x-b"), AGE)),
    ("empty-elements", {}, "GET", " , ,\t,", ROUTE, ((ACAO, APP), ALL, AGE)),
    ("explicit-allow-headers", {"allow_headers": ["Content-Type", "X-Token"]}, "GET", "x-token",
     ROUTE, ((ACAO, APP), ALL, (ACAH, "Content-Type, X-Token"), AGE)),
    ("explicit-allow-headers-none-requested", {"allow_headers": "X-Token"}, "GET", None, ROUTE,
     ((ACAO, APP), ALL, (ACAH, "X-Token"), AGE)),
    ("credentials", CREDENTIALS, "DELETE", None, ONLY_DELETE,
     ((ACAO, APP), (ACAM, "DELETE"), (ACAC, "true"), AGE)),
    ("max-age", {"max_age": timedelta(minutes=1)}, "DELETE", None, ONLY_DELETE,
     ((ACAO, APP), (ACAM, "DELETE"), (ACMA, "60"))),
    ("star", STAR, "DELETE", None, ONLY_DELETE | {"OPTIONS"}, ((ACAO, "*"), (ACAM, "DELETE"), AGE)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("options", "method", "requested", "route", "headers"),
    [row[1:] for row in ALLOWED_PREFLIGHTS],
    ids=[row[0] for row in ALLOWED_PREFLIGHTS],
)
def test_allowed_preflights(
    options: dict[str, object],
    method: str,
    requested: str | None,
    route: frozenset[str],
    headers: Headers,
) -> None:
    decision = decide_preflight(policy(**options), APP, method, requested, route)
    assert decision.allowed
    assert decision.status == 204
    assert decision.headers == headers
    assert decision.vary == PREFLIGHT_VARY
    assert decision.reason is None


REFUSED_PREFLIGHTS: list[tuple[str, Options, str, str, str | None, str, str]] = [
    # id, options, Origin, method, requested headers, reason code, words of the message
    ("origin", {}, EVIL, "PUT", None, "origin-not-allowed", "'https://evil.example'"),
    ("null", {}, "null", "PUT", None, "origin-null", "origin 'null'"),
    ("lowercase-method", {}, APP, "delete", None, "method-not-routed", "'DELETE, GET, HEAD, PUT'"),
    ("two-methods", {}, APP, "GET, DELETE", None, "method-invalid", "'GET, DELETE'"),
    ("method-with-space", {}, APP, "PUT ", None, "method-invalid", "'PUT '"),
    ("empty-method", {}, APP, "", None, "method-invalid", "''"),
    ("not-routed", {}, APP, "PATCH", None, "method-not-routed", "method 'PATCH'"),
    ("simple-but-not-routed", {}, APP, "POST", None, "method-not-routed", "method 'POST'"),
    ("not-in-methods", {"methods": ["GET"]}, APP, "PUT", None, "method-not-allowed",
     "(allowed: 'GET')"),
    ("no-method-allowed", {"methods": []}, APP, "PUT", None, "method-not-allowed",
     "(allowed: 'none')"),
    ("header-not-listed", {"allow_headers": ["X-Token"]}, APP, "PUT", "x-token,authorization",
     "header-not-allowed", "'authorization' is not in allow_headers ('X-Token')"),
    ("no-header-allowed", {"allow_headers": []}, APP, "PUT", "x-a", "header-not-allowed",
     "('none')"),
    ("invalid-header", {}, APP, "PUT", "x-a, x b", "headers-invalid", "'x-a, x b'"),
    ("injected-header", {}, APP, "PUT", "x-a\r\nSet-Cookie: a=b", "headers-invalid", "\\r\\n"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("options", "origin", "method", "requested", "code", "words"),
    [row[1:] for row in REFUSED_PREFLIGHTS],
    ids=[row[0] for row in REFUSED_PREFLIGHTS],
)
def test_refused_preflights(
    options: dict[str, object],
    origin: str,
    method: str,
    requested: str | None,
    code: str,
    words: str,
) -> None:
    decision = decide_preflight(policy(**options), origin, method, requested, ROUTE)
    assert not decision.allowed
    assert decision.status == 403
    assert decision.headers == ()
    assert decision.vary == PREFLIGHT_VARY
    assert decision.reason is not None
    assert decision.reason.code == code
    assert decision.reason.preflight
    assert words in decision.reason.message
    assert "\r" not in str(decision.reason)
    assert "\n" not in str(decision.reason)


class _Unparsable(str):
    """A header value that fails the test if anything tries to split it into names."""

    __slots__ = ()

    def split(self, *args: object, **kwargs: object) -> list[str]:
        raise AssertionError("an oversize Access-Control-Request-Headers was parsed")


@pytest.mark.parametrize(
    "flood",
    [
        "," * 1_000_000,
        ",".join(f"x-header-{n}" for n in range(10_000)),
        "a" * (MAX_REQUEST_HEADERS_LENGTH + 1),
    ],
    ids=["1MB-of-commas", "10000-names", "just-over-the-limit"],
)
def test_a_header_flood_is_refused_without_being_parsed(flood: str) -> None:
    decision = decide_preflight(policy(), APP, "PUT", _Unparsable(flood), ROUTE)
    assert decision.status == 403
    assert decision.reason is not None
    assert decision.reason.code == "headers-too-large"
    assert f"is {len(flood)} bytes" in decision.reason.message
    assert decision.reason.fix == "send fewer custom headers"
    assert len(str(decision.reason)) < 500


def test_a_long_but_acceptable_header_list_is_answered() -> None:
    names = ",".join(f"x-h{n:04}" for n in range(MAX_REQUEST_HEADERS_LENGTH // 8))
    requested = names[:MAX_REQUEST_HEADERS_LENGTH].rstrip(",-x")
    decision = decide_preflight(policy(), APP, "PUT", requested, ROUTE)
    assert decision.status == 204
    assert dict(decision.headers)[ACAH] == requested.replace(",", ", ")


@pytest.mark.parametrize(
    ("allowed", "asked", "sent"),
    [(True, True, True), (True, False, False), (False, True, False), (False, False, False)],
)
def test_private_network_access_only_when_configured_and_asked(
    allowed: bool, asked: bool, sent: bool
) -> None:
    decision = decide_preflight(
        policy(allow_private_network=allowed), APP, "PUT", None, ROUTE, private_network=asked
    )
    assert decision.status == 204
    assert ((ACAPN, "true") in decision.headers) is sent


# -- what a preflight is, and a preflight without a router ------------------------------------


@pytest.mark.parametrize(
    ("method", "origin", "request_method", "preflight"),
    [
        ("OPTIONS", APP, "PUT", True),
        ("OPTIONS", APP, "", True),
        ("OPTIONS", APP, None, False),
        ("OPTIONS", None, "PUT", False),
        ("GET", APP, "PUT", False),
        ("options", APP, "PUT", False),
    ],
)
def test_a_preflight_is_options_with_origin_and_a_requested_method(
    method: str, origin: str | None, request_method: str | None, preflight: bool
) -> None:
    assert is_preflight(method, origin, request_method) is preflight


def test_without_a_router_the_default_methods_are_the_route() -> None:
    decision = decide_preflight(policy(), APP, "PATCH", None, None)
    assert decision.status == 204
    allowed = dict(decision.headers)[ACAM]
    assert allowed == "DELETE, GET, HEAD, PATCH, POST, PUT"
    refused = decide_preflight(policy(), APP, "PROPFIND", None, None)
    assert refused.reason is not None
    assert refused.reason.code == "method-not-allowed"
    assert refused.reason.fix == "add 'PROPFIND' to methods"


def test_without_a_router_methods_decide() -> None:
    limited = policy(methods=["GET", "PUT"])
    assert decide_preflight(limited, APP, "PUT", None, None).status == 204
    # A safelisted method never needs to be listed: the browser does not check it.
    assert decide_preflight(limited, APP, "POST", None, None).status == 204
    refused = decide_preflight(limited, APP, "DELETE", None, None)
    assert refused.reason is not None
    assert refused.reason.code == "method-not-allowed"


def test_an_exact_origins_answer_is_the_one_built_at_start_up() -> None:
    compiled = policy()
    decision = decide_actual(compiled, APP)
    assert decision == Decision(True, ((ACAO, APP),), "Origin")
    assert decision is compiled.answers[APP]


def test_a_method_fetch_keeps_in_lowercase_is_answered_in_the_browsers_spelling():
    policy = build_policy({"origins": ["https://app.example.com"]})
    decision = decide_preflight(
        policy, "https://app.example.com", "patch", None, {"GET", "PATCH", "OPTIONS"}
    )
    assert decision.allowed
    methods = dict(decision.headers)["Access-Control-Allow-Methods"].split(", ")
    assert "patch" in methods
    assert "PATCH" in methods


def test_a_lowercase_normalised_method_is_not_a_browser_request_and_is_refused():
    policy = build_policy({"origins": ["https://app.example.com"]})
    decision = decide_preflight(policy, "https://app.example.com", "delete", None, {"DELETE"})
    assert not decision.allowed
