"""Origins: parsing what users write, parsing what browsers send, and the compiled matcher."""

from __future__ import annotations

import functools
import inspect
import ipaddress
import logging
import re
from collections.abc import AsyncIterator, Coroutine

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossgate._origins import (
    DEFAULT_PORTS,
    MAX_ORIGIN_LENGTH,
    CheckFailure,
    HostPattern,
    Origin,
    OriginError,
    OriginMatcher,
    compile_origins,
    insecure_origins,
    is_loopback_host,
    parse_origin,
    parse_request_origin,
    registrable_domain,
)
from crossgate.errors import MAX_SHOWN

# -- strategies ------------------------------------------------------------------------------

_label = st.from_regex(r"[a-z0-9_](?:[a-z0-9_-]{0,8}[a-z0-9_])?", fullmatch=True)
# A last label that starts with a letter: one that is a number makes the host an IPv4 address.
_tld = st.from_regex(r"[a-z][a-z0-9-]{0,6}[a-z0-9]", fullmatch=True)
_domains = st.builds(
    lambda labels, tld: ".".join([*labels, tld]), st.lists(_label, max_size=4), _tld
)
_ipv4 = st.ip_addresses(v=4).map(str)
# Python >= 3.13 prints IPv4-mapped addresses as dotted quads; browsers never do, so the oracle
# (Python's compressed form) is only used where it agrees with the URL Standard.
_ipv6 = (
    st.ip_addresses(v=6)
    .filter(lambda address: "." not in address.compressed)
    .map(lambda address: f"[{address.compressed}]")
)
_schemes = st.sampled_from(["http", "https", "ws", "wss", "ftp"]) | st.from_regex(
    r"[a-z][a-z0-9+.-]{0,12}", fullmatch=True
).filter(lambda scheme: scheme != "file")


@st.composite
def origins(draw: st.DrawFn) -> Origin:
    scheme = draw(_schemes)
    host = draw(_domains | _ipv4 | _ipv6)
    port = draw(st.none() | st.integers(1, 65535).filter(lambda p: DEFAULT_PORTS.get(scheme) != p))
    return Origin(scheme, host, port)


# Text made mostly of the characters that matter to the parser, to reach deep branches.
_origin_like_text = st.text(
    alphabet="htpsfw:/[]*.%@?#0123456789abcdefxyzABCXYZ,-_ \t\r\n²é٣\x00", max_size=40
) | st.builds(lambda tail: "https://" + tail, st.text(max_size=40))


def _parsed_or_error(text: str) -> Origin | OriginError:
    try:
        return parse_origin(text)
    except OriginError as error:
        return error


# -- parse_origin: what users write --------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(origins())
def test_parse_of_serialize_is_the_same_origin(origin: Origin) -> None:
    assert parse_origin(origin.serialize()) == origin


@settings(max_examples=200, deadline=None)
@given(origins())
def test_browsers_form_of_a_valid_origin_is_accepted_as_is(origin: Origin) -> None:
    assert parse_request_origin(origin.serialize()) == origin


@settings(deadline=None)
@given(origins())
def test_an_explicit_default_port_is_the_same_origin(origin: Origin) -> None:
    default = DEFAULT_PORTS.get(origin.scheme)
    if default is not None:
        written = f"{origin.scheme}://{origin.host}:{default}"
        assert parse_origin(written) == Origin(origin.scheme, origin.host, None)


@settings(deadline=None)
@given(origins())
def test_upper_case_scheme_and_host_are_normalised(origin: Origin) -> None:
    assert parse_origin(origin.serialize().upper()).serialize() == origin.serialize()


@settings(max_examples=500, deadline=None)
@given(st.text() | _origin_like_text)
def test_parse_origin_raises_only_origin_error(text: str) -> None:
    outcome = _parsed_or_error(text)
    if isinstance(outcome, OriginError):
        assert outcome.message
        assert outcome.fix
    else:
        # Whatever is accepted serializes to what a browser sends.
        assert parse_request_origin(outcome.serialize()) == outcome


@settings(max_examples=500, deadline=None)
@given(st.text() | _origin_like_text)
def test_a_request_origin_accepted_strictly_is_already_in_normal_form(text: str) -> None:
    parsed = parse_request_origin(text)
    if parsed is not None:
        assert parsed.serialize() == text
        assert parse_origin(text) == parsed


@pytest.mark.parametrize(
    ("written", "serialized"),
    [
        ("https://APP.example.com:443", "https://app.example.com"),
        ("HTTP://Example.COM:80", "http://example.com"),
        ("http://localhost:03000", "http://localhost:3000"),
        ("ws://chat.example.com:80", "ws://chat.example.com"),
        ("wss://chat.example.com:443", "wss://chat.example.com"),
        ("ftp://files.example.com:21", "ftp://files.example.com"),
        ("https://app.example.com:80", "https://app.example.com:80"),
        ("http://[0:0::1]:8000", "http://[::1]:8000"),
        ("http://[::FFFF:127.0.0.1]", "http://[::ffff:7f00:1]"),
        ("http://[2001:DB8:0:0:1:0:0:1]", "http://[2001:db8::1:0:0:1]"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("chrome-extension://abcdefghijklmnop", "chrome-extension://abcdefghijklmnop"),
        ("capacitor://localhost", "capacitor://localhost"),
        ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example"),
    ],
)
def test_parse_origin_normalises_like_a_browser(written: str, serialized: str) -> None:
    assert parse_origin(written).serialize() == serialized
    assert str(parse_origin(written)) == serialized


@pytest.mark.parametrize(
    ("text", "message", "fix"),
    [
        ("localhost", "has no scheme", "write 'http://localhost:5000'"),
        ("localhost:3000", "has no scheme", "write 'http://localhost:3000'"),
        ("127.0.0.1", "has no scheme", "write 'http://127.0.0.1:5000'"),
        ("[::1]:3000", "has no scheme", "write 'http://[::1]:3000'"),
        ("app.example.com", "has no scheme", "write 'https://app.example.com'"),
        ("app.example.com/", "has no scheme", "write 'https://app.example.com'"),
        ("*.localhost", "has no scheme", "write 'http://*.localhost'"),
        ("http://localhost:3000/", "trailing slash", "write 'http://localhost:3000'"),
        ("https://app.example.com/api", "has a path", "write 'https://app.example.com'"),
        ("https://app.example.com?a=1", "has a query", "write 'https://app.example.com'"),
        ("https://app.example.com#top", "has a fragment", "write 'https://app.example.com'"),
        ("https://u:p@app.example.com", "user information", "write 'https://app.example.com'"),
        ("file:///home/me/index.html", "send 'Origin: null'", "serve the page over http"),
        ("https://", "has no host", "write scheme://host[:port]"),
        ("https://app.example.com:", "invalid port ''", "from 1 to 65535"),
        ("https://app.example.com:0", "invalid port '0'", "from 1 to 65535"),
        ("https://app.example.com:65536", "invalid port '65536'", "from 1 to 65535"),
        ("https://app.example.com:٣٠٠٠", "invalid port", "from 1 to 65535"),
        ("https://app.example.com:²", "invalid port", "from 1 to 65535"),
        ("https://app.example.com:*", "invalid port '*'", "from 1 to 65535"),
        ("https://*.example.com", "only a whole leftmost label", "subdomain pattern"),
        ("http://[::1", "invalid IPv6", "'http://[::1]:8000'"),
        ("http://[fe80::1%25eth0]", "invalid IPv6", "'http://[::1]:8000'"),
        ("http://127.1", "read as an IPv4 address", "four decimal numbers"),
        ("http://0x7f.0.0.1", "read as an IPv4 address", "four decimal numbers"),
        ("http://127.000.000.001", "read as an IPv4 address", "four decimal numbers"),
        ("https://bücher.example", "non-ASCII host", "write 'https://xn--bcher-kva.example'"),
        ("https://a\udcff.example", "non-ASCII host", "xn--..."),
        ("https://exa mple.com", "invalid host", "dot-separated labels"),
        ("https://-app.example.com", "invalid host", "dot-separated labels"),
        ("https://app..example.com", "invalid host", "dot-separated labels"),
        ("https://app.example.com.", "invalid host", "dot-separated labels"),
        (" https://app.example.com", "surrounding whitespace", "write 'https://app.example.com'"),
        ("https://app.example.com\r\n", "surrounding whitespace", "'https://app.example.com'"),
        ("https://a.com, https://b.com", "several values", "['https://a.com', 'https://b.com']"),
        ("https:/app.example.com", "is not an origin", "write scheme://host[:port]"),
        ("", "is not an origin", "write scheme://host[:port]"),
        ("x" * (MAX_ORIGIN_LENGTH + 1), "longer than 512 characters", "write one origin"),
    ],
)
def test_parse_origin_refuses_with_the_fix(text: str, message: str, fix: str) -> None:
    with pytest.raises(OriginError) as caught:
        parse_origin(text)
    assert message in caught.value.message
    assert fix in caught.value.fix
    assert str(caught.value) == f"{caught.value.message}. Fix: {caught.value.fix}"


# -- parse_request_origin: what browsers send -----------------------------------------------


def _origin_of_length(length: int) -> str:
    head, labels = "https://", []
    room = length - len("https://")
    while room > 64:
        labels.append("a" * 63)
        room -= 64
    labels.append("b" * room)
    return head + ".".join(labels)


@pytest.mark.parametrize(
    "header",
    [
        "https://APP.example.com",
        "HTTPS://app.example.com",
        "https://app.example.com:443",
        "http://app.example.com:80",
        "https://app.example.com:0",
        "https://app.example.com:08080",
        "https://app.example.com:65536",
        "https://app.example.com/",
        "https://app.example.com/path",
        "https://app.example.com?q",
        "https://app.example.com\r\n",
        "https://evil.com\r\nSet-Cookie: x=y",
        " https://app.example.com",
        "https://" + "a" * 65_536,
        _origin_of_length(MAX_ORIGIN_LENGTH + 1),
        "https://bücher.example",
        "https://app.example.com\u200b",
        "https://a..example.com",
        "https://.example.com",
        "https://app.example.com.",
        "http://[0:0::1]",
        "http://[::FFFF:7f00:1]",
        "http://[::ffff:127.0.0.1]",
        "http://[::1:]",
        "http://127.1",
        "http://127.000.0.1",
        "http://0x7f.0.0.1",
        "null",
        "",
    ],
)
def test_parse_request_origin_refuses_anything_a_browser_would_not_send(header: str) -> None:
    assert parse_request_origin(header) is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("https://app.example.com", Origin("https", "app.example.com")),
        ("http://localhost:3000", Origin("http", "localhost", 3000)),
        ("http://[::1]:8080", Origin("http", "[::1]", 8080)),
        ("http://127.0.0.1", Origin("http", "127.0.0.1")),
        ("https://xn--bcher-kva.example", Origin("https", "xn--bcher-kva.example")),
        (_origin_of_length(MAX_ORIGIN_LENGTH), Origin("https", _origin_of_length(512)[8:])),
    ],
)
def test_parse_request_origin_accepts_the_serialized_form(header: str, expected: Origin) -> None:
    assert parse_request_origin(header) == expected


# -- loopback ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("app.localhost", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("[::1]", True),
        ("localhost.evil.com", False),
        ("evil-localhost", False),
        ("10.0.0.1", False),
        ("app.example.com", False),
    ],
)
def test_is_loopback_host(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


# -- compile_origins and the matcher --------------------------------------------------------


def _matcher(
    origins: object, *, allow_null: bool = False, allow_regex_wildcards: bool = False
) -> OriginMatcher:
    matcher, problems = compile_origins(
        origins, allow_null=allow_null, allow_regex_wildcards=allow_regex_wildcards
    )
    assert problems == []
    assert matcher is not None
    return matcher


@pytest.mark.parametrize(
    ("pattern", "allowed", "refused"),
    [
        (
            "https://*.example.com",
            ["https://a.example.com", "https://a.b.example.com", "https://x_y.example.com"],
            [
                "https://example.com",
                "https://evilexample.com",
                "https://a.example.com:8443",
                "http://a.example.com",
                "https://a.example.com.evil.com",
            ],
        ),
        (
            "http://localhost:*",
            ["http://localhost", "http://localhost:3000", "http://localhost:65535"],
            ["https://localhost:3000", "http://app.localhost:3000", "http://localhost.evil.com"],
        ),
        (
            "https://*.example.com:8443",
            ["https://a.example.com:8443", "https://a.b.example.com:8443"],
            ["https://a.example.com", "https://a.example.com:8444", "https://example.com:8443"],
        ),
        (
            "http://*.localhost:*",
            ["http://app.localhost", "http://app.localhost:5173"],
            ["http://localhost:5173", "https://app.localhost"],
        ),
        (
            "http://[::1]:3000",
            ["http://[::1]:3000"],
            ["http://[::1]", "http://[0::1]:3000", "http://[::2]:3000"],
        ),
        (
            "https://APP.Example.com:443",
            ["https://app.example.com"],
            ["https://APP.Example.com", "https://app.example.com:443"],
        ),
    ],
)
def test_patterns_match_exactly_what_they_say(
    pattern: str, allowed: list[str], refused: list[str]
) -> None:
    matcher = _matcher([pattern])
    for origin in allowed:
        assert matcher.allows(origin), origin
    for origin in refused:
        assert not matcher.allows(origin), origin


def test_a_compiled_regex_must_match_the_whole_origin() -> None:
    matcher = _matcher([re.compile(r"https://[a-z]+\.example\.com")])
    assert matcher.allows("https://app.example.com")
    assert not matcher.allows("https://app.example.com.evil.com")
    assert not matcher.allows("https://evil.com/https://app.example.com")


def test_a_callable_is_called_with_the_serialized_origin_only() -> None:
    seen: list[str] = []

    def trusted(origin: str) -> bool:
        seen.append(origin)
        return origin.endswith(".tenant.example")

    matcher = _matcher(trusted)
    assert matcher.allows("https://acme.tenant.example")
    assert not matcher.allows("https://evil.example")
    assert not matcher.allows("https://ACME.tenant.example")
    assert not matcher.allows("https://acme.tenant.example\r\nX: y")
    assert seen == ["https://acme.tenant.example", "https://evil.example"]


def test_a_callable_that_raises_refuses_the_origin_and_logs_the_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def lookup(origin: str) -> bool:
        raise KeyError("tenant")

    matcher = _matcher([lookup])
    with caplog.at_level(logging.ERROR, logger="crossgate"):
        verdict = matcher.match("https://acme.example")
    assert verdict == CheckFailure(lookup.__qualname__, "raised KeyError: 'tenant'")
    [record] = caplog.records
    assert not matcher.allows("https://acme.example")
    assert record.name == "crossgate"
    assert "lookup" in record.getMessage()
    assert "'https://acme.example'" in record.getMessage()
    assert record.exc_info is not None
    assert record.exc_info[0] is KeyError


def test_a_raising_callable_does_not_silence_the_callables_after_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(origin: str) -> bool:
        raise RuntimeError("database down")

    matcher = _matcher([broken, lambda origin: origin == "https://a.example"])
    with caplog.at_level(logging.ERROR, logger="crossgate"):
        assert matcher.match("https://a.example") is True
        assert isinstance(matcher.match("https://b.example"), CheckFailure)


def test_only_true_from_a_callable_allows_an_origin(caplog: pytest.LogCaptureFixture) -> None:
    answers: dict[str, object] = {
        "https://true.example": True,
        "https://false.example": False,
        "https://string.example": "false",
        "https://one.example": 1,
        "https://none.example": None,
        "https://match.example": re.fullmatch("x", "x"),
    }
    matcher = _matcher([answers.__getitem__])
    with caplog.at_level(logging.ERROR, logger="crossgate"):
        verdicts = {origin: matcher.match(origin) for origin in answers}
    assert verdicts.pop("https://true.example") is True
    assert verdicts.pop("https://false.example") is False
    assert all(isinstance(verdict, CheckFailure) for verdict in verdicts.values())
    # Refused, and each refusal logged once with the value it got.
    assert [record.getMessage().split(" for Origin ")[0] for record in caplog.records] == [
        f"the origins callable dict.__getitem__ returned {shown}"
        for shown in ("'false'", "1", "None", "<re.Match object; span=(0, 1), match='x'>")
    ]
    assert verdicts["https://string.example"] == CheckFailure(
        "dict.__getitem__", "returned 'false'"
    )


def test_a_returned_coroutine_is_refused_and_closed_without_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A sync wrapper around an async check cannot be spotted at start-up: its coroutine is
    refused at run time, and closed (pytest runs with -W error: a "never awaited" warning
    would fail this test)."""
    made: list[Coroutine[object, object, bool]] = []

    async def lookup(origin: str) -> bool:
        return True

    def wrapper(origin: str) -> bool:
        made.append(lookup(origin))
        return made[-1]  # type: ignore[return-value]

    matcher = _matcher([wrapper])
    with caplog.at_level(logging.ERROR, logger="crossgate"):
        assert isinstance(matcher.match("https://a.example"), CheckFailure)
    assert inspect.getcoroutinestate(made[0]) == inspect.CORO_CLOSED
    assert "returned <coroutine object" in caplog.records[0].getMessage()


def test_a_callable_answer_is_escaped_and_bounded_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Hostile:
        def __repr__(self) -> str:
            return "x\r\nFAKE LOG LINE" + "y" * 10_000

    class Unprintable:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    matcher = _matcher([lambda origin: Hostile(), lambda origin: Unprintable()])
    with caplog.at_level(logging.ERROR, logger="crossgate"):
        assert isinstance(matcher.match("https://a.example"), CheckFailure)
    hostile, unprintable = (record.getMessage() for record in caplog.records)
    assert "\r" not in hostile
    assert "\n" not in hostile
    assert "\\r\\n" in hostile
    assert len(hostile) < 3 * MAX_SHOWN
    assert "returned <Unprintable object>" in unprintable


def _async_check(origin: str) -> bool:
    return True


async def _async_lookup(origin: str) -> bool:
    return True


async def _async_generator(origin: str) -> AsyncIterator[bool]:
    yield True


class _AsyncCallable:
    async def __call__(self, origin: str) -> bool:
        return True


class _InheritedAsyncCallable(_AsyncCallable):
    pass


class _Tenants:
    async def allowed(self, origin: str) -> bool:
        return True


@pytest.mark.parametrize(
    "check",
    [
        _async_lookup,
        functools.partial(_async_lookup),
        functools.partial(functools.partial(_async_lookup)),
        _AsyncCallable(),
        _InheritedAsyncCallable(),
        functools.partial(_AsyncCallable()),
        _Tenants().allowed,
        _async_generator,
    ],
)
def test_an_async_callable_is_a_config_error_with_what_to_do_instead(check: object) -> None:
    matcher, problems = compile_origins(["https://a.example", check])
    [problem] = problems
    assert problem.value is check
    assert "async callable" in problem.message
    assert "coroutine" in problem.message
    assert "plain def" in problem.fix
    assert "a set that a background task or a timer refreshes" in problem.fix
    assert matcher is not None
    assert matcher.predicates == ()


def test_a_plain_callable_is_not_taken_for_an_async_one() -> None:
    class Check:
        def __call__(self, origin: str) -> bool:
            return origin == "https://a.example"

    matcher = _matcher([Check(), functools.partial(_async_check), _async_check])
    assert len(matcher.predicates) == 3
    assert matcher.allows("https://a.example")


def test_null_is_allowed_only_with_allow_null() -> None:
    assert not _matcher(["https://a.example"]).allows("null")
    assert _matcher(["null"], allow_null=True).allows("null")
    assert _matcher(["https://a.example", "null"], allow_null=True).allows("null")
    # Patterns, regexes and callables never see 'null'.
    assert not _matcher([re.compile(".*"), lambda origin: True]).allows("null")


def test_a_regex_that_admits_any_host_is_recorded_as_such() -> None:
    assert _matcher([re.compile(r"https://.*")]).admits_any_host
    assert _matcher([re.compile(r"https?://[^/]+")]).admits_any_host
    assert _matcher([re.compile(r".*")]).admits_any_host
    assert not _matcher([re.compile(r"https://.*\.example\.com")]).admits_any_host
    assert not _matcher(["https://*.example.com", "http://localhost:*"]).admits_any_host
    # '*' is '*': the policy judges it on its own.
    assert not _matcher("*").admits_any_host


def test_star_allows_everything_and_does_not_vary() -> None:
    matcher = _matcher("*")
    assert matcher.allows("https://anything.example")
    assert matcher.allows("not even an origin")
    assert not matcher.varies
    assert _matcher(["https://a.example"]).varies


@settings(max_examples=300, deadline=None)
@given(st.text() | _origin_like_text)
def test_only_serialized_origins_can_ever_be_allowed(header: str) -> None:
    """Whatever is allowed gets echoed in ACAO: it must be a well-formed origin."""
    matcher = _matcher(
        ["https://*.example.com", "http://localhost:*", re.compile(".*"), lambda origin: True]
    )
    if matcher.allows(header):
        assert parse_request_origin(header) is not None


def test_describe_lists_every_kind_of_entry() -> None:
    def tenant_check(origin: str) -> bool:
        return False

    matcher = _matcher(
        [
            "https://b.example",
            "https://a.example",
            "https://*.example.com",
            "http://localhost:*",
            "https://*.example.org:*",
            re.compile(r"https://x\.example"),
            tenant_check,
            "null",
        ],
        allow_null=True,
    )
    assert matcher.summary() == [
        "https://a.example",
        "https://b.example",
        "https://*.example.com",
        "http://localhost:*",
        "https://*.example.org:*",
        "re.compile('https://x\\\\.example')",
        f"{tenant_check.__qualname__}()",
        "null",
    ]
    assert _matcher("*").summary() == ["*"]


def test_a_host_pattern_prints_as_written() -> None:
    assert str(HostPattern("https", "example.com", 8443, subdomains=True, any_port=False)) == (
        "https://*.example.com:8443"
    )


def test_compile_origins_accepts_single_values_and_any_iterable() -> None:
    assert _matcher("https://a.example").exact == {"https://a.example"}
    assert _matcher(re.compile("x")).regexes == (re.compile("x"),)
    assert _matcher(x for x in ["https://a.example"]).exact == {"https://a.example"}
    assert _matcher(()).exact == frozenset()


@pytest.mark.parametrize(
    ("origins", "value", "message"),
    [
        (42, 42, "is not an origin or a list of origins"),
        (b"https://a.example", b"https://a.example", "is not an origin or a list of origins"),
        ([42], 42, "is not an origin"),
        ([re.compile(b"x")], re.compile(b"x"), "is a bytes pattern"),
        (["null"], "null", "any site can send it"),
        (["*", "https://a.example"], ["*", "https://a.example"], "'*' already allows"),
        (["localhost"], "localhost", "has no scheme"),
    ],
)
def test_compile_origins_reports_problems(origins: object, value: object, message: str) -> None:
    _, problems = compile_origins(origins, option="CORS_ORIGINS")
    [problem] = problems
    assert problem.option == "CORS_ORIGINS"
    assert problem.value == value
    assert message in problem.message


def test_compile_origins_reports_every_bad_entry() -> None:
    matcher, problems = compile_origins(["localhost", "https://*.com", 7, "https://ok.example"])
    assert [problem.value for problem in problems] == ["localhost", "https://*.com", 7]
    # The valid entries are compiled all the same, so callers can check them in the same pass.
    assert matcher is not None
    assert matcher.exact == {"https://ok.example"}


def test_compile_origins_has_no_matcher_for_something_that_is_not_a_list() -> None:
    matcher, problems = compile_origins(42)
    assert matcher is None
    assert len(problems) == 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text() | _origin_like_text, max_size=5))
def test_compile_origins_never_raises(entries: list[str]) -> None:
    matcher, problems = compile_origins(entries)
    assert matcher is not None
    assert all(problem.message and problem.fix for problem in problems)


# -- audits --------------------------------------------------------------------------------


def test_insecure_origins_lists_plain_http_that_is_not_loopback() -> None:
    matcher = _matcher(
        [
            "http://app.example.com",
            "ws://chat.example.com",
            "https://secure.example.com",
            "http://localhost:3000",
            "http://127.0.0.1:5000",
            "http://[::1]:8000",
            "http://app.localhost:8080",
            "http://*.example.org",
            "http://*.localhost:*",
            "https://*.example.net",
            re.compile(r"https?://api\.example\.com"),
            re.compile(r"(?i)wss?://[a-z]+\.example\.com"),
            re.compile(r".*", re.DOTALL),
            re.compile(r"https://app\.example\.com"),
            re.compile(r"http://(localhost|127\.0\.0\.1):\d+"),
        ]
    )
    assert insecure_origins(matcher) == [
        "http://app.example.com",
        "ws://chat.example.com",
        "http://*.example.org",
        r're.compile(r"https?://api\.example\.com")',
        r're.compile(r"(?i)wss?://[a-z]+\.example\.com")',
        're.compile(r".*", re.DOTALL)',
    ]


def test_an_unescaped_dot_really_lets_a_look_alike_domain_in() -> None:
    """Why loose dots are refused: the regex is the user's, and it means what it says."""
    loose = re.compile(r"https://app.example.com")
    _, problems = compile_origins([loose])
    [problem] = problems
    assert "'https://appxexample.com'" in problem.message
    assert _matcher([loose], allow_regex_wildcards=True).allows("https://appxexample.com")
    assert not _matcher([re.compile(r"https://app\.example\.com")]).allows(
        "https://appxexample.com"
    )


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        (r"https://.*\.example\.com", "write 'https://*.example.com'"),
        (r"^https://.*\.example\.com$", "write 'https://*.example.com'"),
        (r"https://[a-z0-9-]+\.example\.com", "write 'https://*.example.com'"),
        (r"^https://app\.example\.com$", "write 'https://app.example.com'"),
        (
            r"https://(a|b)\.example\.com",
            r'pass re.compile(r"https://(a|b)\.example\.com") (matched against the whole origin, '
            "so no ^ or $ is needed)",
        ),
        (
            r"^https://(www.)?example\.com$",
            r'pass re.compile(r"https://(www\.)?example\.com")',
        ),
        (r"https://(unclosed\.example\.com", "pass re.compile(...)"),
    ],
)
def test_a_regex_looking_string_says_strings_are_never_regexes(text: str, fix: str) -> None:
    _, problems = compile_origins([text])
    [problem] = problems
    assert problem.value == text
    assert "strings in origins are never read as regular expressions" in problem.message
    assert fix in problem.fix


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("app.example.com", "example.com"),
        ("example.com", "example.com"),
        ("a.b.example.co.uk", "example.co.uk"),
        ("me.github.io", "me.github.io"),
        ("x.bucket.s3.amazonaws.com", "bucket.s3.amazonaws.com"),
        ("localhost", "localhost"),
    ],
)
def test_registrable_domain(host: str, domain: str) -> None:
    assert registrable_domain(host) == domain


def test_ipv6_serialization_follows_the_url_standard() -> None:
    for text, expected in [
        ("::", "[::]"),
        ("1::", "[1::]"),
        ("1:0:0:1:0:0:0:1", "[1:0:0:1::1]"),
        ("1:0:1:0:1:0:1:0", "[1:0:1:0:1:0:1:0]"),
        ("1:0:0:2:0:0:3:4", "[1::2:0:0:3:4]"),
        ("::ffff:192.168.0.1", "[::ffff:c0a8:1]"),
        ("::1.2.3.4", "[::102:304]"),
    ]:
        assert parse_origin(f"http://[{text}]").host == expected
        assert ipaddress.IPv6Address(expected[1:-1]) == ipaddress.IPv6Address(text)
