"""Issue 18: a regex in ``origins`` is judged by what it admits, proven by construction.

The property: for every pattern a policy with credentials accepts, no origin of a registrable
domain the pattern does not name is answered. Its ground truth is independent of the judge:
``re.fullmatch`` says what the pattern admits, the ``publicsuffixlist`` package's own code says
which registrable domain a host belongs to, and "named" is read off the pattern's source (every
label of the domain is a word written in it). The patterns come from a grammar biased to the
forms that fooled the judgement by examples (alternatives, classes holding '.', negated classes,
bounded repeats, lookarounds, flags); the origins both from the pattern itself (hypothesis
writes strings it matches) and from a list of the attacks that used to get through.
"""

from __future__ import annotations

import re
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from publicsuffixlist import PublicSuffixList

from crossgate._origins import compile_origins, parse_request_origin
from crossgate._policy import CORSPolicy, build_policy
from crossgate.errors import ConfigError

_ORACLE = PublicSuffixList()
_ORIGIN_CHARACTERS = "abcdefghijklmnopqrstuvwxyz0123456789-._:/+"
_WORDS = ["app", "admin", "www", "example", "other", "github", "mysite", "city", "kawasaki"]
_TLDS = [r"com", r"org", r"io", r"co\.uk", r"jp"]
_PIECES = [
    r"\.",
    r"\.",
    ".",
    "[.-]",
    r"\W",
    "[^a-z0-9]",
    ".{1}",
    ".{0,3}",
    ".*",
    ".+",
    "[a-z]+",
    "[a-z0-9-]+",
    r"\w*",
    "[^.]+",
    r"\S*",
    r"\d",
    "-",
    "(?:[a-z]+\\.)?",
    "(?:[a-z0-9-]+\\.)*",
]
_SUFFIXES = ["", "", r"(?::[0-9]+)?", ".*", r"\S*", "(:[0-9]{2,5})?", r"(\.[a-z]+)?"]
_PREFIXES = ["https://", "https://", "https?://", "(?:https|wss)://", ".*", "https://.*"]
_HEADS = ["", "", "", "(?i)", "(?=.*example\\.com$)", "^"]


def _host_parts() -> st.SearchStrategy[str]:
    word = st.sampled_from(_WORDS)
    part = st.one_of(word, st.sampled_from(_PIECES), st.sampled_from(_TLDS))
    sequence = st.lists(part, min_size=1, max_size=3).map("".join)
    group = st.lists(sequence, min_size=2, max_size=3).map(lambda parts: f"({'|'.join(parts)})")
    return st.lists(st.one_of(part, part, group), min_size=1, max_size=4).map("".join)


@st.composite
def patterns(draw: st.DrawFn) -> str:
    branches = draw(st.integers(1, 2))
    written = []
    for _ in range(branches):
        written.append(
            draw(st.sampled_from(_PREFIXES))
            + draw(_host_parts())
            + draw(st.sampled_from([r"\.", ""]))
            + draw(st.sampled_from(_TLDS))
            + draw(st.sampled_from(_SUFFIXES))
        )
    return draw(st.sampled_from(_HEADS)) + "|".join(written)


_ATTACK_HOSTS = [
    "evil.com",
    "xexample.com",
    "evilexample.com",
    "app-example.com",
    "appxexample.com",
    "app.example.com.evil.com",
    "a.staging.example.com.evil.com",
    "example.com.evil.com",
    "x.github.io",
    "x.co.uk",
    "x.x.kawasaki.jp",
    "a.b.kawasaki.jp",
    "evil.co",
    "exampleorg.com",
]


def _named(source: str, domain: str) -> bool:
    """Whether every label of *domain* is written in *source* as words (escapes like ``\\w``
    taken out first), one after another (``appapp`` in ``app(app|web)``): what a person
    reading the pattern would say it names."""
    words = set(re.findall(r"[a-z0-9-]+", re.sub(r"\\[a-zA-Z]", " ", source.lower())))

    def spelled(label: str) -> bool:
        ends = {0}
        for end in range(1, len(label) + 1):
            if any(label[start:end] in words for start in ends if start < end):
                ends.add(end)
        return len(label) in ends

    return all(spelled(label) for label in domain.split("."))


def _foreign(source: str, origin: str) -> str | None:
    """The registrable domain of *origin* if the pattern's source does not name it."""
    parsed = parse_request_origin(origin)
    if parsed is None or parsed.serialize() != origin:
        return None
    host = parsed.host
    last = host.rsplit(".", 1)[-1]
    if host.startswith("[") or last.isdigit() or last == "localhost" or "." not in host:
        return None  # IP addresses, this machine, single labels: not judged (SECURITY.md)
    domain = _ORACLE.privatesuffix(host)
    if domain is None or _named(source, domain):
        return None
    return domain


def _accepted(pattern: re.Pattern[str]) -> CORSPolicy | None:
    try:
        return build_policy(
            {
                "origins": [pattern],
                "supports_credentials": True,
                "allow_insecure_http_origins": True,
            }
        )
    except ConfigError:
        return None


@settings(max_examples=500, deadline=None, derandomize=True)
@given(patterns(), st.data())
def test_an_accepted_pattern_answers_no_domain_it_does_not_name(
    source: str, data: st.DataObject
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pattern = re.compile(source)
    accepted = _accepted(pattern)
    if accepted is None:
        return
    origins = [f"{scheme}://{host}" for scheme in ("https", "wss") for host in _ATTACK_HOSTS]
    written = st.from_regex(pattern, fullmatch=True, alphabet=_ORIGIN_CHARACTERS)
    origins += data.draw(st.lists(written, max_size=6))
    for origin in origins:
        parsed = parse_request_origin(origin)
        if pattern.fullmatch(origin) and parsed is not None and parsed.serialize() == origin:
            assert _foreign(source, origin) is None, (source, origin)
            assert accepted.origins.allows(origin), origin


# -- the issue's cases, each with its attack ----------------------------------------------------


def _refusal(pattern: str, *, credentials: bool = True, wildcards: bool = False) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Python's own warning for a POSIX look-alike
        compiled = re.compile(pattern)
    with pytest.raises(ConfigError) as raised:
        build_policy(
            {
                "origins": [compiled],
                "supports_credentials": credentials,
                "allow_regex_wildcards": wildcards,
            }
        )
    return str(raised.value)


@pytest.mark.parametrize(
    ("pattern", "attack"),
    [
        # An alternative after the first few, into another domain.
        (r"https://app\.example\.com|https://.*\.staging\.example\.com\S*", "x.staging"),
        # More than eight branches.
        ("|".join(f"https://app{n}\\.example\\.com" for n in range(9)) + "|https://.*", "x"),
        # A class holding the dot, \W, a negated class, a bounded repeat.
        (r"https://app[.-]example\.com", "https://app-example.com"),
        (r"https://app\Wexample\.com", "https://app-example.com"),
        (r"https://app[^a-z0-9]example\.com", "https://app-example.com"),
        (r"https://app.{1}example\.com", "https://appxexample.com"),
        # Any host of some TLDs, any two labels.
        (r"https://.*\.(com|org|net|io)", "https://x.io"),
        (r"https://[^.]+\.[^.]+", "https://x."),
        # Every name under a public suffix.
        (r"https://[a-z]+\.github\.io", "https://x.github.io"),
        (r"https://[a-z0-9-]+\.myshopify\.com", "https://x.myshopify.com"),
        (r"https://[a-z]+\.co\.id", "https://x.co.id"),
        (r"https://[a-z]+\.x\.kawasaki\.jp", "https://x.x.kawasaki.jp"),
        (r"https://[a-z]+\.s3\.us-east-1\.amazonaws\.com", ".s3.us-east-1.amazonaws.com"),
        # A host that is a suffix only by a wildcard rule is someone's: a ward, an instance.
        (r"https://[a-z]+\.kawasaki\.jp", "https://x.kawasaki.jp"),
        (r"https://[a-z0-9-]+\.compute-1\.amazonaws\.com", "https://x.compute-1.amazonaws.com"),
    ],
)
def test_the_issues_patterns_are_refused_with_credentials_even_with_consent(
    pattern: str, attack: str
) -> None:
    for wildcards in (False, True):
        message = _refusal(pattern, wildcards=wildcards)
        assert attack in message


@pytest.mark.parametrize(
    ("pattern", "construct"),
    [
        (r"https://(?=.*example\.com$).*", "lookahead"),
        (r"https://(?!evil)[a-z]+\.example\.com", "negative lookahead"),
        (r"https://(a)\1\.example\.com", "backreference"),
        ("https://[[:alnum:].-]+", "differently from PCRE and RE2"),
    ],
)
def test_what_cannot_be_judged_is_refused_at_start_up_with_the_fix(
    pattern: str, construct: str
) -> None:
    for credentials in (False, True):
        message = _refusal(pattern, credentials=credentials, wildcards=True)
        assert construct in message
        assert "Fix:" in message or "fix" in message.lower()


@pytest.mark.parametrize(
    "pattern",
    [
        r"https://[a-z0-9-]+\.example\.com",
        r"https://(app|admin)\.example\.com",
        r"https://pr-[0-9]+\.preview\.example\.com",
        r"https://app\.example\.com(?::[0-9]+)?",
        r"https://app\.example\.com(:\d{2,5})?",
        r"(?i)https://APP\.example\.com",
        r"https://app\.example\.com|https://www\.other\.org",
        r"https://(?:app\.example\.com|www\.other\.org)",
        r"https://[a-z]+\.mysite\.github\.io",
        r"https://[a-z]+\.city\.kawasaki\.jp",
        r"https://(?:[a-z0-9-]+\.)*example\.co\.uk",
    ],
)
def test_the_safe_forms_people_write_are_still_accepted(pattern: str) -> None:
    compiled = re.compile(pattern)
    assert _accepted(compiled) is not None


@pytest.mark.parametrize(
    ("entry", "accepted"),
    [
        ("https://*.co.id", False),
        ("https://*.com.vn", False),
        ("https://*.myshopify.com", False),
        ("https://*.githubusercontent.com", False),
        ("https://*.s3.us-east-1.amazonaws.com", False),
        ("https://*.x.kawasaki.jp", False),
        ("https://*.mysite.github.io", True),
        ("https://*.city.kawasaki.jp", True),
        ("https://*.example.co.uk", True),
    ],
)
def test_a_subdomain_pattern_over_a_public_suffix_is_refused(entry: str, accepted: bool) -> None:
    _, problems = compile_origins([entry])
    assert (problems == []) == accepted
    if not accepted:
        assert "public suffix" in problems[0].message
