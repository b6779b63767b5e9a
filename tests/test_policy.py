"""CORSPolicy: every configuration mistake is refused at start-up, all at once, with the fix."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from crossgate._engine import Decision
from crossgate._policy import (
    ACAC,
    ACAO,
    ACEH,
    ACMA,
    DEFAULT_MAX_AGE,
    OPTION_NAMES,
    CORSPolicy,
    build_policy,
    check_options,
    check_unknown,
)
from crossgate.errors import ConfigError, closest_name, describe

APP = "https://app.example.com"


def _refusal(options: dict[str, object]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        build_policy(options)
    return caught.value


def assert_refused(
    options: dict[str, object], option: str, value: object, message: str, fix: str
) -> None:
    """*options* are refused with exactly one problem about *option*, naming *value* and *fix*."""
    error = _refusal(options)
    matching = [problem for problem in error.problems if problem.option == option]
    assert len(matching) == 1, error
    [problem] = matching
    assert problem.value == value
    assert message in problem.message
    assert fix in problem.fix
    # What the user reads: the option, the value as given, what is wrong and the fix.
    assert f"{option}={describe(value)}: {problem.message}. Fix: {problem.fix}" in str(error)


@pytest.mark.parametrize(
    ("written", "message", "fix"),
    [
        ("localhost", "no scheme", "write 'http://localhost:5000'"),
        ("localhost:3000", "no scheme", "write 'http://localhost:3000'"),
        ("http://localhost:3000/", "trailing slash", "write 'http://localhost:3000'"),
        (APP + "/api", "has a path", f"write '{APP}'"),
        (APP + "?x=1", "has a query", f"write '{APP}'"),
        (APP + "#x", "has a fragment", f"write '{APP}'"),
        ("https://me:pw@app.example.com", "user information", f"write '{APP}'"),
        ("*.example.com", "no scheme", "write 'https://*.example.com'"),
        ("https://*.com", "public suffix 'com'", "'https://*.example.com'"),
        ("https://*.co.uk", "public suffix 'co.uk'", "'https://*.example.co.uk'"),
        ("https://*.github.io", "public suffix 'github.io'", "'https://example.github.io'"),
        ("https://a*.example.com", "only a whole leftmost label", "'https://*.example.com'"),
        ("https://*", "only a whole leftmost label", "write '*' alone"),
        ("https://*.10.0.0.1", "an IP address has no subdomains", "list the exact origin"),
        ("file:///index.html", "send 'Origin: null'", "allow_null_origin=True"),
        ("https://a.example, https://b.example", "several values", "['https://a.example', "),
        ("https://bücher.example", "non-ASCII host", "'https://xn--bcher-kva.example'"),
        ("http://localhost:99999", "invalid port '99999'", "from 1 to 65535"),
    ],
)
def test_origins_that_are_not_origins(written: str, message: str, fix: str) -> None:
    assert_refused({"origins": [written]}, "origins", written, message, fix)


@pytest.mark.parametrize(
    ("origins", "value", "message", "fix"),
    [
        (3, 3, "not an origin or a list", "pass a list like"),
        ([None], None, "is not an origin", "write a string like"),
        (["*", APP], ["*", APP], "'*' already allows every origin", "keep only '*'"),
        (["null"], "null", "sandboxed iframes", "allow_null_origin=True"),
    ],
)
def test_origins_lists_that_make_no_sense(
    origins: object, value: object, message: str, fix: str
) -> None:
    assert_refused({"origins": origins}, "origins", value, message, fix)


@pytest.mark.parametrize("origins", [None, "missing"])
def test_missing_origins_say_how_to_allow_every_site(origins: str | None) -> None:
    options: dict[str, object] = {} if origins == "missing" else {"origins": origins}
    fix = "origins=['https://app.example.com'], or write origins='*' to allow every site"
    assert_refused(options, "origins", None, "no origins were given", fix)


def test_star_with_credentials_is_refused() -> None:
    assert_refused(
        {"origins": "*", "supports_credentials": True},
        "origins",
        "*",
        "would let every site read responses made with the user's cookies",
        "list the trusted origins, or drop supports_credentials",
    )


@pytest.mark.parametrize("origin", ["http://app.example.com", "http://*.example.com"])
def test_plain_http_with_credentials_is_refused(origin: str) -> None:
    assert_refused(
        {"origins": [origin, APP], "supports_credentials": True},
        "origins",
        [origin],
        "can be impersonated by anyone on the network path",
        "use https, or pass allow_insecure_http_origins=True",
    )


@pytest.mark.parametrize(
    ("methods", "value", "message", "fix"),
    [
        (["CONNECT"], "CONNECT", "browsers forbid", "remove 'CONNECT'"),
        ("GET, trace", "trace", "browsers forbid", "remove 'trace'"),
        (["TRACK"], "TRACK", "browsers forbid", "remove 'TRACK'"),
        (["GET PUT"], "GET PUT", "is not an HTTP method", "'GET', 'PUT'"),
        ([7], 7, "is not an HTTP method", "'GET', 'PUT'"),
        (7, 7, "is not an HTTP method", "'GET', 'PUT'"),
        (["*", "GET"], ["*", "GET"], "mixes '*' with names", "methods='*' alone"),
        (["P*"], "P*", "looks like a pattern", "list every HTTP method in full"),
    ],
)
def test_bad_methods(methods: object, value: object, message: str, fix: str) -> None:
    assert_refused({"origins": APP, "methods": methods}, "methods", value, message, fix)


@pytest.mark.parametrize(
    ("option", "names", "value", "message", "fix"),
    [
        ("allow_headers", ["X Token"], "X Token", "is not a header name", "'Content-Type'"),
        ("allow_headers", ["X\r\nA: b"], "X\r\nA: b", "is not a header name", "'Content-Type'"),
        ("allow_headers", b"X-Token", b"X-Token", "is not a header name", "'Content-Type'"),
        ("allow_headers", ["Cookie"], "Cookie", "never let a page send", "remove 'Cookie'"),
        ("allow_headers", "Content-Type, Host", "Host", "never let a page send", "remove 'Host'"),
        ("allow_headers", ["Sec-Fetch-Mode"], "Sec-Fetch-Mode", "never let a page", "remove"),
        ("allow_headers", ["Proxy-Authorization"], "Proxy-Authorization", "never let", "remove"),
        ("allow_headers", ["Access-Control-Request-Method"], "Access-Control-Request-Method",
         "never let a page send", "remove"),
        ("allow_headers", ["X-*"], "X-*", "looks like a pattern", "list every header name"),
        ("allow_headers", ["*", "X-A"], ["*", "X-A"], "mixes '*'", "allow_headers='*' alone"),
        ("expose_headers", ["Set-Cookie"], "Set-Cookie", "never expose", "remove 'Set-Cookie'"),
        ("expose_headers", "X-Id, set-cookie2", "set-cookie2", "never expose", "remove"),
        ("expose_headers", ["X Id"], "X Id", "is not a header name", "'X-Request-Id'"),
    ],
)  # fmt: skip
def test_bad_header_names(
    option: str, names: object, value: object, message: str, fix: str
) -> None:
    assert_refused({"origins": APP, option: names}, option, value, message, fix)


def test_exposing_star_with_credentials_is_refused() -> None:
    assert_refused(
        {"origins": APP, "expose_headers": "*", "supports_credentials": True},
        "expose_headers",
        "*",
        "browsers read '*' as a header named '*'",
        "list the header names to expose",
    )


@pytest.mark.parametrize(
    "max_age",
    [-1, 1.5, 600.0, True, "600", timedelta(seconds=-5), timedelta(milliseconds=1500)],
)
def test_bad_max_age(max_age: object) -> None:
    message = "must be a whole, non-negative number of seconds (an int or a timedelta)"
    assert_refused({"origins": APP, "max_age": max_age}, "max_age", max_age, message, "7200")


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("supports_credentials", "False"),
        ("allow_private_network", 1),
        ("allow_null_origin", "yes"),
        ("allow_insecure_http_origins", 0),
    ],
)
def test_flags_must_be_booleans(flag: str, value: object) -> None:
    fix = f"write {flag}=True or {flag}=False"
    assert_refused({"origins": APP, flag: value}, flag, value, "must be True or False", fix)


@pytest.mark.parametrize(
    ("name", "fix"),
    [
        ("support_credentials", "did you mean 'supports_credentials'?"),
        ("orgins", "did you mean 'origins'?"),
        ("expose_header", "did you mean 'expose_headers'?"),
        ("zzz", "use one of origins, methods, allow_headers"),
    ],
)
def test_unknown_options_suggest_the_closest_name(name: str, fix: str) -> None:
    options = {"origins": APP, name: True}
    assert_refused(options, name, True, "is not a crossgate option", fix)


def test_all_problems_of_a_config_come_in_one_error() -> None:
    error = _refusal(
        {
            "origins": ["localhost", "https://*.com", "http://app.example.com", "null"],
            "supports_credentials": True,
            "methods": ["GET", "TRACE"],
            "allow_headers": ["Cookie", "X Y"],
            "expose_headers": ["Set-Cookie"],
            "max_age": -1,
            "allow_private_network": "yes",
            "orgins": "typo",
        }
    )
    assert [(problem.option, problem.value) for problem in error.problems] == [
        ("orgins", "typo"),
        ("allow_private_network", "yes"),
        ("methods", "TRACE"),
        ("allow_headers", "X Y"),
        ("allow_headers", "Cookie"),
        ("expose_headers", "Set-Cookie"),
        ("max_age", -1),
        ("origins", "localhost"),
        ("origins", "https://*.com"),
        ("origins", "null"),
        ("origins", ["http://app.example.com"]),
    ]
    assert str(error).splitlines()[0] == "invalid crossgate configuration (app): 11 problems"


def test_the_context_names_where_the_policy_was_declared() -> None:
    with pytest.raises(ConfigError, match=r"\(blueprint 'api'\)"):
        build_policy({}, source="blueprint 'api'")


@pytest.mark.parametrize(
    "origin", ["http://localhost:3000", "http://127.0.0.1:5000", "http://app.localhost:8080",
               "http://[::1]:8000", "http://localhost:*", "http://*.localhost:*"],
)  # fmt: skip
def test_loopback_http_is_allowed_with_credentials(origin: str) -> None:
    policy = build_policy({"origins": [origin], "supports_credentials": True})
    assert policy.supports_credentials


def test_plain_http_with_credentials_is_an_explicit_opt_in() -> None:
    policy = build_policy(
        {
            "origins": ["http://app.example.com"],
            "supports_credentials": True,
            "allow_insecure_http_origins": True,
        }
    )
    assert policy.origins.allows("http://app.example.com")


def test_plain_http_without_credentials_needs_no_opt_in() -> None:
    assert build_policy({"origins": ["http://app.example.com"]}).origins.exact == {
        "http://app.example.com"
    }


def test_null_is_allowed_with_the_opt_in() -> None:
    policy = build_policy({"origins": ["null", APP], "allow_null_origin": True})
    assert policy.origins.allows("null")


@pytest.mark.parametrize(
    ("max_age", "seconds"),
    [(None, DEFAULT_MAX_AGE), (0, 0), (600, 600), (86400, 86400), (timedelta(minutes=10), 600)],
)
def test_max_age(max_age: object, seconds: int) -> None:
    policy = build_policy({"origins": APP, "max_age": max_age})
    assert policy.max_age == seconds
    assert (ACMA, str(seconds)) in policy.preflight_headers


@pytest.mark.parametrize(
    ("methods", "allowed"),
    [
        (None, None),
        ("*", None),
        (["*"], None),
        ("get, put", frozenset({"GET", "PUT"})),
        (["PATCH", "delete"], frozenset({"PATCH", "DELETE"})),
        ([], frozenset()),
    ],
)
def test_methods(methods: object, allowed: frozenset[str] | None) -> None:
    assert build_policy({"origins": APP, "methods": methods}).allowed_methods == allowed


@pytest.mark.parametrize(
    ("allow_headers", "allowed", "value"),
    [
        (None, None, None),
        ("*", None, None),
        (["*"], None, None),
        ("Content-Type, X-Token", frozenset({"content-type", "x-token"}), "Content-Type, X-Token"),
        (["X-Token", "x-token", "Authorization"], frozenset({"x-token", "authorization"}),
         "X-Token, Authorization"),
        ([], frozenset(), ""),
    ],
)  # fmt: skip
def test_allow_headers(allow_headers: object, allowed: object, value: object) -> None:
    policy = build_policy({"origins": APP, "allow_headers": allow_headers})
    assert policy.allowed_headers == allowed
    assert policy.allow_headers_value == value


@pytest.mark.parametrize(
    ("expose_headers", "exposed"),
    [
        (None, ()),
        ("*", ("*",)),
        ("X-Request-Id, Content-Type, x-request-id", ("X-Request-Id",)),
        (["ETag", "Cache-Control", "X-Total"], ("ETag", "X-Total")),
    ],
)
def test_expose_headers_leave_out_what_is_always_readable(
    expose_headers: object, exposed: tuple[str, ...]
) -> None:
    assert build_policy({"origins": APP, "expose_headers": expose_headers}).expose_headers == (
        exposed
    )


def test_the_headers_of_an_allowed_response_are_built_once() -> None:
    policy = build_policy(
        {"origins": [APP], "supports_credentials": True, "expose_headers": ["X-Id"]}
    )
    expected = ((ACAO, APP), (ACAC, "true"), (ACEH, "X-Id"))
    assert policy.answers[APP] == Decision(True, expected, "Origin")
    assert policy.headers_for(APP) is policy.answers[APP].headers
    assert policy.preflight_headers == ((ACAC, "true"), (ACMA, "7200"))


def test_patterns_get_their_headers_built_around_the_origin() -> None:
    policy = build_policy({"origins": ["https://*.example.com"], "supports_credentials": True})
    assert policy.headers_for("https://a.example.com") == (
        (ACAO, "https://a.example.com"),
        (ACAC, "true"),
    )


def test_star_is_prebuilt_without_credentials() -> None:
    policy = build_policy({"origins": "*"})
    assert policy.answers == {"*": Decision(True, ((ACAO, "*"),))}
    assert not policy.varies
    assert (ACAC, "true") not in policy.preflight_headers


def test_none_means_default_for_flags() -> None:
    policy = build_policy({"origins": APP, "supports_credentials": None})
    assert policy.supports_credentials is False


def test_a_policy_is_immutable() -> None:
    policy = build_policy({"origins": APP})
    with pytest.raises(AttributeError):
        policy.max_age = 5  # type: ignore[misc]


def test_summary_shows_the_effective_policy() -> None:
    policy = build_policy(
        {
            "origins": [APP, re.compile(r"https://x\.example")],
            "methods": ["PUT", "GET"],
            "allow_headers": ["X-Token"],
            "expose_headers": ["X-Id"],
            "supports_credentials": True,
            "max_age": 60,
            "allow_private_network": True,
        },
        source="decorator",
    )
    assert policy.summary() == {
        "origins": [APP, "re.compile('https://x\\\\.example')"],
        "methods": ["GET", "PUT"],
        "allow_headers": "X-Token",
        "expose_headers": ["X-Id"],
        "supports_credentials": True,
        "max_age": 60,
        "allow_private_network": True,
        "source": "decorator",
    }
    defaults = build_policy({"origins": "*"}).summary()
    assert defaults["methods"] == "route's own"
    assert defaults["allow_headers"] == "* (requested names, validated)"


def test_check_options_finds_mistakes_without_requiring_origins() -> None:
    assert check_options({"methods": ["GET"]}) == []
    problems = check_options({"methods": ["TRACE"], "suports_credentials": True})
    assert [problem.option for problem in problems] == ["suports_credentials", "methods"]
    assert [problem.option for problem in check_options({"origins": "localhost"})] == ["origins"]


def test_check_unknown_accepts_every_documented_option() -> None:
    assert check_unknown(dict.fromkeys(OPTION_NAMES)) == []
    [problem] = check_unknown({"CORS_ORIGIN": 1}, valid=["CORS_ORIGINS", "CORS_METHODS"])
    assert problem.fix == "did you mean 'CORS_ORIGINS'?"


def test_closest_name() -> None:
    assert closest_name("max-age", OPTION_NAMES) == "max_age"
    assert closest_name("nothing_like_it", OPTION_NAMES) is None


def test_build_policy_returns_a_policy() -> None:
    assert isinstance(build_policy({"origins": APP}), CORSPolicy)


def test_a_level_that_names_origins_gives_its_own_consent():
    """'null' and plain http with credentials are consented to at the level listing them."""
    assert "allow_null_origin=True" in str(check_options({"origins": ["null"]}))
    insecure = {"origins": ["http://partner.example.com"], "supports_credentials": True}
    assert "allow_insecure_http_origins=True" in str(check_options(insecure))
    assert check_options({**insecure, "allow_insecure_http_origins": True}) == []
    # Credentials alone may still come from a broader level: only the merge can judge them.
    assert check_options({"origins": ["http://partner.example.com"]}) == []


@pytest.mark.parametrize("name", ["allow_null_origin", "allow_insecure_http_origins"])
def test_consent_without_origins_at_the_same_level_is_an_error(name):
    problems = check_options({name: True})
    assert [problem.option for problem in problems] == [name]
    assert "in the same call as the origins" in problems[0].fix


def test_a_single_level_that_refuses_its_own_opt_in_is_still_an_error():
    problems = check_options({"origins": ["null"], "allow_null_origin": False})
    assert problems
    assert "allow_null_origin=True" in str(problems[0])
