"""Compiled regexes in ``origins``: loose dots, wildcards across a domain boundary, any host.

Every refusal must come with an origin the user's regex really allows (never a false alarm) of a
registrable domain the regex does not name, and the fix it prints must be a ``re.compile(...)``
call that refuses that origin and still allows the ones the user meant.
"""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from crossgate import _origin_language
from crossgate._origin_regex import (
    any_host_problem,
    regex_problems,
    show_pattern,
    string_regex_hint,
    wide_regex,
)
from crossgate._origins import compile_origins, parse_request_origin
from crossgate._public_suffixes import is_public_suffix, registrable_domain
from crossgate.errors import Problem

#: Atomic groups, ``(?>...)``, are Python 3.11's.
ATOMIC_GROUPS = pytest.mark.skipif(sys.version_info < (3, 11), reason="(?>...) is Python 3.11's")
_QUOTED_ORIGIN = re.compile(r"'([a-z][a-z0-9+.-]*://[^']*)'")
_PASTED = re.compile(r"re\.compile\(.*?\)(?=, or pass)")


def attacks_of(problem: Problem) -> list[str]:
    """The origins a refusal says the regex lets in."""
    return _QUOTED_ORIGIN.findall(problem.message)


def pasted_fix(problem: Problem) -> re.Pattern[str] | None:
    """The ``re.compile(...)`` of the fix, evaluated as a user pasting it would."""
    found = _PASTED.search(problem.fix)
    if found is None:
        return None
    compiled = eval(found[0], {"re": re})
    assert isinstance(compiled, re.Pattern)
    return compiled


def assert_proven(pattern: re.Pattern[str], problems: list[Problem]) -> None:
    """Each refusal names origins *pattern* really allows, and its fix refuses them."""
    for problem in problems:
        assert problem.value is pattern
        assert "allow_regex_wildcards=True" in problem.fix
        attacks = attacks_of(problem)
        assert attacks, problem
        for attack in attacks:
            parsed = parse_request_origin(attack)
            assert parsed is not None, attack
            assert parsed.serialize() == attack
            assert pattern.fullmatch(attack), (pattern, attack)
            fixed = pasted_fix(problem)
            if fixed is not None:
                assert not fixed.fullmatch(attack), (fixed, attack)


# -- loose dots ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "attack", "fix"),
    [
        (
            re.compile(r"https://app.example\.com"),
            "https://appxexample.com",
            r're.compile(r"https://app\.example\.com")',
        ),
        (
            re.compile(r"https://(www.)?acme\.com"),
            "https://wwwxacme.com",
            r're.compile(r"https://(www\.)?acme\.com")',
        ),
        (
            re.compile(r"https://app.(acme|test)\.com"),
            "https://appxacme.com",
            r're.compile(r"https://app\.(acme|test)\.com")',
        ),
        (
            re.compile(r"https://app.example\.com", re.IGNORECASE),
            "https://appxexample.com",
            r're.compile(r"https://app\.example\.com", re.IGNORECASE)',
        ),
        (
            re.compile(r"(?i)HTTPS://APP.EXAMPLE\.COM"),
            "https://appxexample.com",
            r're.compile(r"(?i)HTTPS://APP\.EXAMPLE\.COM")',
        ),
        (
            re.compile(r"https://app\\.example\.com"),  # an escaped backslash, then a wildcard
            None,
            None,
        ),
        (
            re.compile("https://app . example\\.com  # the app. Dots: .\n", re.VERBOSE),
            "https://appxexample.com",
            r"re.compile('https://app \\. example\\.com  # the app. Dots: .\n', re.VERBOSE)",
        ),
        (
            re.compile(r"(?x) https://app . example \. com (?#.) "),
            "https://appxexample.com",
            r're.compile(r"(?x) https://app \. example \. com (?#.) ")',
        ),
    ],
)
def test_a_loose_dot_is_refused_with_the_attack_and_the_escaped_pattern(
    pattern: re.Pattern[str], attack: str | None, fix: str | None
) -> None:
    problems = regex_problems(pattern)
    assert_proven(pattern, problems)
    if attack is None:
        # 'https://app\\' + any character: no origin has a backslash, so nothing to prove.
        assert problems == []
        return
    [problem] = problems
    assert "unescaped '.' matches any character" in problem.message
    assert attacks_of(problem)[0] == attack
    assert f"escape the dot: {fix}, or pass allow_regex_wildcards=True" in problem.fix


@pytest.mark.parametrize(
    ("pattern", "attack"),
    [
        (r"https://(?i:APP).example\.com", "https://appxexample.com"),
        (r"https://(?:app.|web)example\.com", "https://appxexample.com"),
        (r"https://(?:a|b)?(?:b.c|d)\.com", "https://bxc.com"),
        (r"https://[\D]+.example\.com", "https://xxexample.com"),
        (r"https://[^a].example\.com", "https://xxexample.com"),
        (r"https://(?:a.b){2}\.com", "https://axbaxb.com"),
        (r"https://app.example\.com\Z", "https://appxexample.com"),
        # What no origin can match is not worth a refusal: nothing could get in through it.
        (r"https://a{100}.example\.com", None),
        (r"https://[é].\.example\.com", None),
        ("https://\ue000app.example\\.com", None),
    ],
)
def test_dots_are_found_through_every_construct_re_knows(pattern: str, attack: str | None) -> None:
    compiled = re.compile(pattern)
    problems = regex_problems(compiled)
    assert_proven(compiled, problems)
    assert [attacks_of(problem)[0] for problem in problems] == ([attack] if attack else [])


def test_several_loose_dots_are_all_escaped_in_one_fix() -> None:
    pattern = re.compile(r"https://app.example.com")
    [problem] = regex_problems(pattern)
    assert problem.message.startswith("2 unescaped '.' match any character")
    assert attacks_of(problem) == ["https://appxexample.com"]
    fixed = pasted_fix(problem)
    assert fixed == re.compile(r"https://app\.example\.com")


@pytest.mark.parametrize(
    "pattern",
    [
        r"https://app\.example\.com",
        r"https://(www\.)?acme\.com",
        r"https://[a-z0-9-]+\.example\.com",
        r"https://app\.example\.com:(8080|8443)",
        r"https://app[.]example[.]com",
        r"https://.*\.example\.com",
        r"https://.+\.example\.com",
        r"https://.{1,20}\.example\.com",
        r"https://(.)+\.example\.com",
        r"https://[^.]+\.example\.com",
        r"https://\w+\.example\.com(:\d+)?",
        r"https://(?:[a-z0-9-]+\.)*example\.com",
        r"https://app\.example\.com(?::[0-9]+)?",
        r"http://localhost:\d+",
        r"http://(?:[a-z]+\.)?localhost(:\d+)?",
        r"http://10\.0\.0\.\d+",
        r"http://127\.0\.0\.1:\d{4}",
        r"^https://app\.example\.com$",
        r"x",
        # A loose dot, or a wildcard, that stays inside a named domain lets in no one else.
        r"https://(app|api.v2)\.example\.com",
        r"https://api\.example\.com:(8080|8.43)",
        r"https://[a-z]+\.mysite\.github\.io",
        r"https://[a-z]+\.city\.kawasaki\.jp",
        r"https://app\.example\.com|https://www\.other\.org",
        r"(?i)HTTPS://APP\.EXAMPLE\.COM",
        r"https://pr-[0-9]+\.preview\.example\.com",
        r"https://(?:foo|bar)\.(?:com|org)",
    ],
)
def test_safe_patterns_are_accepted(pattern: str) -> None:
    assert regex_problems(re.compile(pattern)) == []
    matcher, problems = compile_origins([re.compile(pattern)])
    assert problems == []
    assert matcher is not None


def test_the_opt_out_accepts_what_it_names() -> None:
    for pattern in (r"https://app.example.com", r"https://.*example\.com"):
        assert regex_problems(re.compile(pattern), allow_wildcards=True) == []
        _, problems = compile_origins([re.compile(pattern)], allow_regex_wildcards=True)
        assert problems == []


# -- wildcards across a domain boundary -----------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "attack", "advice"),
    [
        (
            r"https://.*example\.com",
            "https://xexample.com",
            r'write re.compile(r"https://(?:.*\.)?example\.com")',
        ),
        (
            r"https://[a-z]+example\.com",
            "https://xexample.com",
            r'write re.compile(r"https://(?:[a-z]+\.)?example\.com")',
        ),
        (
            r"https://\w*example\.com:8443",
            "https://xexample.com:8443",
            r'write re.compile(r"https://(?:\w*\.)?example\.com:8443")',
        ),
        (
            r"https://app\.example\.com.*",
            "https://app.example.com.mx",
            r'write re.compile(r"https://app\.example\.com(?::[0-9]+)?")',
        ),
        (
            r"https://app\.example\.com[a-z.]*$",
            "https://app.example.com.mx",
            r'write re.compile(r"https://app\.example\.com(?::[0-9]+)?")',
        ),
        (
            r"https://app\.example\.co\w*",
            "https://app.example.cox",
            r'write re.compile(r"https://app\.example\.co(?::[0-9]+)?")',
        ),
        (
            r"https://app\.example\.com(\.[a-z]+)?",
            "https://app.example.com.om",
            "name your domain after a",
        ),
        (
            r"https://[a-z]+\.herokuapp\.com",
            "https://x.herokuapp.com",
            "list your own names under 'herokuapp.com'",
        ),
        (
            r"https://app\.[a-z]+\.com",
            "https://app.x.com",
            "name your domain after a",
        ),
        (
            r"https://(?:www\.)?example[0-9]*\.com",
            "https://example0.com",
            "name your domain after a",
        ),
    ],
)
def test_a_wildcard_across_a_domain_boundary_is_refused(
    pattern: str, attack: str, advice: str
) -> None:
    compiled = re.compile(pattern)
    problems = regex_problems(compiled)
    assert_proven(compiled, problems)
    [problem] = problems
    assert "which it does not name" in problem.message or "public suffix" in problem.message
    assert attacks_of(problem) == [attack]
    assert advice in problem.fix


def test_a_dot_fix_is_judged_again_for_a_boundary_crossing() -> None:
    """Escaping the dots of 'https://.*.example.com' leaves a sound pattern; escaping those of
    'https://.*example.com' leaves one that still runs into the domain, so the fix goes on."""
    [dots] = regex_problems(re.compile(r"https://.*.example.com"))
    assert pasted_fix(dots) == re.compile(r"https://.*\.example\.com")
    pattern = re.compile(r"https://.*example.com")
    problems = regex_problems(pattern)
    assert_proven(pattern, problems)
    [problem] = problems
    assert attacks_of(problem) == ["https://xexample.com"]
    assert pasted_fix(problem) == re.compile(r"https://(?:.*\.)?example\.com")


# -- properties ------------------------------------------------------------------------------

_label = st.from_regex(r"[a-z](?:[a-z0-9-]{0,6}[a-z0-9])?", fullmatch=True)
_hosts = st.lists(_label, min_size=2, max_size=4).map(".".join)


@st.composite
def loose_patterns(draw: st.DrawFn) -> tuple[str, str, list[int]]:
    """A host written as a regex with some of its dots left unescaped: the origin the user
    meant, the pattern, and which dots are loose."""
    host = draw(_hosts)
    dots = [index for index, char in enumerate(host) if char == "."]
    loose = draw(st.lists(st.sampled_from(dots), min_size=1, unique=True))
    scheme = draw(st.sampled_from(["https", "http", "wss"]))
    text = "".join("." if index in loose else re.escape(char) for index, char in enumerate(host))
    if draw(st.booleans()):
        text = f"(?:www\\.)?{text}"
    return f"{scheme}://{host}", f"{scheme}://{text}", loose


@settings(max_examples=150, deadline=None, derandomize=True)
@given(loose_patterns(), st.sampled_from([0, re.IGNORECASE, re.VERBOSE]))
@example(("https://app.example.com", r"https://app.example.com", [3, 11]), 0)
def test_a_loose_dot_is_refused_when_it_lets_in_another_domain(
    case: tuple[str, str, list[int]], flags: int
) -> None:
    """A loose dot at or right of the registrable domain's first dot lets in another domain
    (``appxexample.com``, ``app.examplexcom``) and is refused with the escaped pattern, which
    keeps the meant origin; one left of it (``axb.example.com``) stays in the named domain."""
    meant, text, loose = case
    host = meant.split("://")[1]
    assume(not is_public_suffix(host) and "." in registrable_domain(host))
    boundary = len(host) - len(registrable_domain(host)) - 1
    www = "www." if "(?:www" in text else ""
    # Each loose dot written as 'x': another domain if it is at or right of the boundary and
    # leaves a host of two labels or more (a single label is a top-level name nobody buys).
    merged = [www + host[:index] + "x" + host[index + 1 :] for index in loose]
    foreign = [
        other
        for index, other in zip(loose, merged, strict=True)
        if index >= boundary and "." in other and not is_public_suffix(other)
    ]
    pattern = re.compile(text, flags)
    problems = regex_problems(pattern)
    assert_proven(pattern, problems)
    if not foreign:
        assert problems == []
        return
    [problem] = problems
    fixed = pasted_fix(problem)
    assert fixed is not None
    assert fixed.flags == pattern.flags
    assert fixed.fullmatch(meant)
    assert regex_problems(fixed) == []


@settings(max_examples=150, deadline=None, derandomize=True)
@given(_hosts, st.sampled_from(["", r"(:\d+)?", r":(8080|8443)", r"(?::[0-9]{2,5})?"]))
def test_a_fully_escaped_host_is_accepted(host: str, port: str) -> None:
    assume(not is_public_suffix(host))
    assert regex_problems(re.compile(f"https://{re.escape(host)}{port}")) == []
    assert regex_problems(re.compile(f"https://[a-z0-9-]+\\.{re.escape(host)}{port}")) == []


_pieces = st.sampled_from(
    [
        "app",
        "example",
        "com",
        r"\.",
        ".",
        ".*",
        ".+",
        "[a-z]+",
        "[a-z.]*",
        r"\w*",
        r"(www\.)?",
        "(www.)?",
        "(a|b)",
        "(a.b|c)",
        "[.]",
        r"\d",
        "-",
    ]
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(_pieces, min_size=1, max_size=8).map("".join), st.sampled_from(["", ":8443"]))
def test_a_refusal_is_never_a_false_alarm(host: str, port: str) -> None:
    """Whatever is refused, the message names an origin the regex really allows, and a
    pasted fix really refuses it."""
    pattern = re.compile(f"https://{host}{port}")
    assert_proven(pattern, regex_problems(pattern))


# -- any host ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "scheme"),
    [
        (r"https://.*", "https"),
        (r"https?://[^/]+", "https"),
        (r".*", "https"),
        (r"http://.+", "http"),
        (r"wss://[a-z0-9.-]+(:\d+)?", "wss"),
        (r"(?i)HTTPS://.*", "https"),
    ],
)
def test_a_regex_admitting_any_host_counts_as_star(pattern: str, scheme: str) -> None:
    compiled = re.compile(pattern)
    wide = wide_regex(compiled)
    assert wide is not None
    assert wide.scheme == scheme
    assert compiled.fullmatch(wide.example)
    assert wide.example.endswith(".invalid")
    # Not refused by itself: without credentials it is a public API, like '*'.
    assert regex_problems(compiled) == []
    matcher, problems = compile_origins([compiled])
    assert problems == []
    assert matcher is not None
    assert matcher.admits_any_host
    problem = any_host_problem(matcher, option="CORS_ORIGINS")
    assert problem is not None
    assert problem.option == "CORS_ORIGINS"
    assert problem.value is compiled
    assert f"allows every {scheme} origin (even {wide.example!r})" in problem.message
    assert "supports_credentials=True" in problem.message


@pytest.mark.parametrize(
    "pattern",
    [
        r"https://.*\.example\.com",
        r"https://[a-z]+\.com",
        r"https://[a-z0-9]+",
        r"http://.*:8080",
        r"https://[a-z.]+",
        r"https://.*\.(com|org|net|io)",
    ],
)
def test_a_regex_with_any_limit_on_the_host_is_not_any_host(pattern: str) -> None:
    assert wide_regex(re.compile(pattern)) is None


def test_a_matcher_without_such_a_regex_has_no_any_host_problem() -> None:
    matcher, _ = compile_origins(["https://*.example.com", re.compile(r"https://a\.example")])
    assert matcher is not None
    assert any_host_problem(matcher) is None


# -- strings that look like regexes ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        (r"https://.*\.example\.com", "write 'https://*.example.com'"),
        (r"https://.+\.example\.com:8443", "write 'https://*.example.com:8443'"),
        (r"https://[^.]+\.example\.com", "write 'https://*.example.com'"),
        (r"https://\w+\.example\.com", "write 'https://*.example.com'"),
        (r"^https://app\.example\.com$", "write 'https://app.example.com'"),
        (r"https://.*\.com", 'pass re.compile(r"https://.*\\.com")'),
        (r"https://.*\.github\.io", 'pass re.compile(r"https://.*\\.github\\.io")'),
        (r"https://(a|b).example.com", r'pass re.compile(r"https://(a|b)\.example\.com")'),
        (r"^https://.*example.com$", r'pass re.compile(r"https://(?:.*\.)?example\.com")'),
        (r"https://[[a-z]\.example\.com", "pass re.compile("),
        (r"https://(a\.example\.com", "a subdomain pattern like 'https://*.example.com'"),
    ],
)
def test_a_regex_looking_string_gets_the_pattern_or_the_regex_it_means(text: str, fix: str) -> None:
    hint = string_regex_hint(text)
    assert hint is not None
    message, advice = hint
    assert "strings in origins are never read as regular expressions" in message
    assert fix in advice


@pytest.mark.parametrize(
    "text",
    ["https://app.example.com/", "localhost:3000", "https://app..example.com", "http://[::1"],
)
def test_a_plain_mistake_is_not_taken_for_a_regex(text: str) -> None:
    assert string_regex_hint(text) is None
    _, problems = compile_origins([text])
    [problem] = problems
    assert "regular expression" not in problem.message


# -- rendering ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "flags", "shown"),
    [
        (r"a\.b", 0, r're.compile(r"a\.b")'),
        (r'say "a\.b"', 0, r"""re.compile(r'say "a\.b"')"""),
        (r"""both "'\.""", 0, """re.compile('both "\\'\\\\.')"""),
        ("ends\\\\", 0, 're.compile(r"ends\\\\")'),
        ("tab\t", 0, "re.compile('tab\\t')"),
        ("a\n", re.VERBOSE | re.IGNORECASE, "re.compile('a\\n', re.IGNORECASE | re.VERBOSE)"),
    ],
)
def test_a_pattern_is_shown_as_code_to_paste(source: str, flags: int, shown: str) -> None:
    assert show_pattern(source, flags) == shown
    assert eval(shown, {"re": re}) == re.compile(source, flags)


def test_judging_a_long_pattern_stays_cheap(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start-up cost, counted in work rather than timed (``make bench`` times it): one
    automaton and one search for the pattern, and one more of each for the rewrite proven."""
    judged: list[re.Pattern[str]] = []
    judge = _origin_language.judge

    def counting(pattern: re.Pattern[str]) -> object:
        judged.append(pattern)
        return judge(pattern)

    monkeypatch.setattr(_origin_language, "judge", counting)
    hosts = "|".join(f"app{number}.example{number}.com" for number in range(40))
    pattern = re.compile(f"https://({hosts})")
    [problem] = regex_problems(pattern)
    assert "80 unescaped" in problem.message
    assert judged[0] is pattern
    assert len(judged) == 2  # the pattern, then the one rewrite shown
