"""Property tests: crossgate's compiled policy against flask-cors's own header computation.

For random options and random requests, ``CompatPolicy.decide`` must produce exactly the
headers (names, values, order) that ``flask_cors.core.get_cors_headers`` computes, wherever the
two are meant to agree: regular expressions here end in ``$`` (so flask-cors's prefix match and
crossgate's full match agree) and requested methods are whole method names.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import flask_cors.core
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import Headers

from crossgate._origins import parse_request_origin
from crossgate.compat.flask_cors._notes import Notes
from crossgate.compat.flask_cors._policy import compile_policy, probably_regex
from crossgate.compat.flask_cors._resources import compile_rules
from crossgate.compat.flask_cors.core import DEFAULT_OPTIONS
from crossgate.errors import Problem

ORIGINS = [
    "http://a.com",
    "https://B.com",
    "http://c.org:8080",
    "null",
    "*",
    r"https?://a\.com$",
    r"https://.*\.b\.com$",
    re.compile(r"http://c\.org(:\d+)?$"),
]
REQUEST_ORIGINS = [
    "http://a.com",
    "HTTP://A.COM",
    "https://a.com",
    "https://b.com",
    "https://x.b.com",
    "https://x.b.com.evil.net$",
    "http://c.org:8080",
    "http://c.org",
    "null",
    "*",
    "",
]
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "get", "put"]
HEADERS = ["Content-Type", "content-type", "X-Custom", "x-custom", "Authorization", "X-Request-Id"]
HEADER_PATTERNS = [
    "*",
    "Content-Type",
    "x-custom",
    r"X-.*$",
    r"Auth[a-z]+$",
    re.compile("X-Custom$"),
]


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


options_strategy = st.fixed_dictionaries(
    {},
    optional={
        "origins": st.one_of(
            st.sampled_from(ORIGINS), st.lists(st.sampled_from(ORIGINS), max_size=4)
        ),
        "methods": st.one_of(
            st.lists(st.sampled_from(METHODS), max_size=4),
            st.sampled_from(["GET, PUT", "post", "GET,DELETE"]),
        ),
        "allow_headers": st.one_of(
            st.sampled_from(HEADER_PATTERNS), st.lists(st.sampled_from(HEADER_PATTERNS), max_size=3)
        ),
        "expose_headers": maybe(
            st.one_of(st.sampled_from(HEADERS), st.lists(st.sampled_from(HEADERS), max_size=3))
        ),
        "supports_credentials": st.booleans(),
        "max_age": st.sampled_from([None, 0, 5, "10", timedelta(seconds=90), timedelta(0)]),
        "send_wildcard": st.booleans(),
        "vary_header": st.booleans(),
        "always_send": st.booleans(),
        "allow_private_network": st.booleans(),
    },
)

request_strategy = st.fixed_dictionaries(
    {
        "method": st.sampled_from(["GET", "POST", "OPTIONS"]),
        "Origin": maybe(st.sampled_from(REQUEST_ORIGINS)),
        "Access-Control-Request-Method": maybe(st.sampled_from(METHODS)),
        "Access-Control-Request-Headers": maybe(
            st.lists(st.sampled_from([*HEADERS, ""]), min_size=1, max_size=3).map(", ".join)
        ),
        "Access-Control-Request-Private-Network": maybe(st.sampled_from(["true", "false", "TRUE"])),
    }
)


def flask_cors_headers(
    options: dict[str, Any], request: dict[str, Any]
) -> list[tuple[str, str]] | str:
    try:
        computed = flask_cors.core.serialize_options({**flask_cors.core.DEFAULT_OPTIONS, **options})
    except ValueError:
        return "ValueError"
    headers = Headers(
        [(name, value) for name, value in request.items() if name != "method" and value is not None]
    )
    found = flask_cors.core.get_cors_headers(computed, headers, request["method"])
    return [(name, str(value)) for name, value in found.items(multi=True)]


def crossgate_headers(
    options: dict[str, Any], request: dict[str, Any]
) -> list[tuple[str, str]] | str:
    notes = Notes()
    policy = compile_policy({**DEFAULT_OPTIONS, **options}, notes)
    if policy is None:
        return "ValueError"
    environ = {
        "HTTP_" + name.upper().replace("-", "_"): value
        for name, value in request.items()
        if name != "method" and value is not None
    }
    return list(policy.decide(environ.get("HTTP_ORIGIN"), request["method"], environ).headers)


@settings(max_examples=600, deadline=None, derandomize=True)
@given(options=options_strategy, request=request_strategy)
def test_headers_match_flask_cors(options: dict[str, Any], request: dict[str, Any]) -> None:
    assert crossgate_headers(options, request) == expected_headers(options, request)


def expected_headers(
    options: dict[str, Any], request: dict[str, Any]
) -> list[tuple[str, str]] | str:
    """flask-cors's answer, under the drop-in rule: with credentials, an origin a page can send
    that only ``'*'`` admits (flask-cors without the ``'*'`` does not) gets no
    ``Access-Control-Allow-Credentials``."""
    expected = flask_cors_headers(options, request)
    origins = options.get("origins", DEFAULT_OPTIONS["origins"])
    items = origins if isinstance(origins, list) else [origins]
    if isinstance(expected, str) or not options.get("supports_credentials") or "*" not in items:
        return expected
    origin = request["Origin"]
    if origin != "null" and (not origin or parse_request_origin(origin) is None):
        return expected  # no page can send it: flask-cors's answer is harmless
    listed = flask_cors_headers({**options, "origins": [o for o in items if o != "*"]}, request)
    assert isinstance(listed, list)
    if any(name == "Access-Control-Allow-Origin" for name, _ in listed):
        return expected
    return [(name, value) for name, value in expected if name != "Access-Control-Allow-Credentials"]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    pattern=st.from_regex(r"https://[a-c.*\\]{1,6}\.com", fullmatch=True),
    origin=st.from_regex(r"https://[a-c.]{1,6}\.com(\.evil)?", fullmatch=True),
)
def test_regex_origins_match_only_whole_origins(pattern: str, origin: str) -> None:
    try:
        regex = re.compile(pattern, re.IGNORECASE)
    except re.error:
        return
    allowed = crossgate_headers({"origins": pattern}, {"method": "GET", "Origin": origin})
    assert isinstance(allowed, list)
    if probably_regex(pattern):
        # A regex only sees origins in the serialized form a browser sends.
        served = parse_request_origin(origin) is not None
        assert bool(allowed) == (served and regex.fullmatch(origin) is not None)
    else:
        # Without a regex sign ('.' is not one), flask-cors compares strings ignoring case.
        assert bool(allowed) == (pattern.casefold() == origin.casefold())


def covers(pattern: str | re.Pattern[str], path: str) -> bool:
    problems: list[Problem] = []
    rules = compile_rules([(pattern, "policy")], problems)  # type: ignore[list-item]
    assert problems == []
    return rules.lookup(path) is not None


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    pattern=st.from_regex(r"/[ab/]{0,3}[*+?]?(/\*)?", fullmatch=True),
    path=st.from_regex(r"/[ab/]{0,5}", fullmatch=True),
)
def test_regex_resources_cover_the_paths_they_match_the_start_of(pattern: str, path: str) -> None:
    # flask-cors's try_match_pattern: re.match for regexes, equality for literals.
    if not probably_regex(pattern):
        assert covers(pattern, path) == (pattern == path)
        return
    assert covers(pattern, path) == (re.match(pattern, path) is not None)


def test_regex_resources_keep_a_compiled_pattern_s_flags() -> None:
    assert covers(re.compile(r"/API/*", re.IGNORECASE), "/apiary")
    assert not covers(re.compile(r"/API/*"), "/apiary")
    verbose = re.compile(r"/api/v\d+  # a versioned API", re.VERBOSE)
    assert covers(verbose, "/api/v2/users")
