"""A regex read into an automaton means what it means to ``re``: differential tests against
``re.fullmatch`` on every string over the origin alphabet that hypothesis writes, for patterns
written from a grammar biased to what trips readers up (classes holding '.', negated classes,
categories, bounded repeats, alternations, scoped and global flags, anchors, verbose mode)."""

from __future__ import annotations

import itertools
import re
import sys
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossgate._automaton_regex import write_regex
from crossgate._origins import compile_origins
from crossgate._regex_automata import (
    ALPHABET,
    MAX_STATES,
    TooLarge,
    Unsupported,
    automaton,
)
from crossgate.export._regex import origin_alternatives

_ATOMS = [
    "a",
    "b",
    "x",
    "-",
    ":",
    "/",
    r"\.",
    ".",
    "[.-]",
    "[a-c]",
    "[^a-z0-9]",
    "[^.]",
    r"\w",
    r"\W",
    r"\d",
    r"\D",
    r"\s",
    r"\S",
    "[A-C]",
    "A",
    r"[\w.]",
    r"[^\W_]",
    "[]a]",
    r"\x2e",
    r"\u002d",
    "k",
    "\u212a",  # the Kelvin sign: under re.IGNORECASE it matches 'k'
    "\u017f",  # the long s: under re.IGNORECASE it matches 's'
    "s",
]
_REPEATS = ["", "", "*", "+", "?", "{2}", "{0,2}", "{1,3}", "*?", "{,2}"]


def _regexes() -> st.SearchStrategy[str]:
    atom = st.builds(lambda a, r: a + r, st.sampled_from(_ATOMS), st.sampled_from(_REPEATS))

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        sequence = st.lists(inner, min_size=1, max_size=4).map("".join)
        return st.one_of(
            sequence,
            st.lists(sequence, min_size=2, max_size=4).map(lambda parts: "|".join(parts)),
            st.builds(
                lambda body, kind, repeat: f"({kind}{body}){repeat}",
                sequence,
                st.sampled_from(["", "?:", "?i:", "?-i:", "?P<g>"]),
                st.sampled_from(_REPEATS),
            ),
        )

    body = st.recursive(atom, extend, max_leaves=8)
    return st.builds(
        lambda anchor_start, core, anchor_end: anchor_start + core + anchor_end,
        st.sampled_from(["", "^", r"\A"]),
        body,
        st.sampled_from(["", "$", r"\Z"]),
    )


_FLAGS = st.sampled_from([0, re.IGNORECASE, re.ASCII, re.IGNORECASE | re.ASCII, re.DOTALL])
# Atomic groups and possessive repeats are Python 3.11's: 3.10 cannot compile them at all.
PYTHON_3_11 = pytest.mark.skipif(sys.version_info < (3, 11), reason="Python 3.11 syntax")


@pytest.mark.parametrize(
    "source",
    [
        # A repeat inside an optional group: looping back must not reach the group's skip.
        r"(:*a)?",
        r"x(:*a)?",
        r"([^a-z0-9]*a)?",
        r"(a*)*",
        r"(a*b*)*c",
        r"((ab)*|c)*d",
        r"(a|b*)+:?",
        r"(x:*)?(a*b)?",
    ],
)
def test_nested_repeats_match_exactly_what_re_fullmatch_matches(source: str) -> None:
    # Every string of up to five characters over the pattern's characters, against re itself.
    pattern = re.compile(source)
    machine = automaton(pattern)
    for size in range(6):
        for chars in itertools.product("abcx:", repeat=size):
            text = "".join(chars)
            assert machine.accepts(text) == bool(pattern.fullmatch(text)), (source, text)


_TEXTS = st.text(alphabet="abxk-.:/_AKs09", max_size=8)


@settings(max_examples=1000, deadline=None, derandomize=True)
@given(_regexes(), _FLAGS, st.lists(_TEXTS, min_size=1, max_size=12))
def test_the_automaton_matches_what_re_fullmatch_matches(
    source: str, flags: int, texts: list[str]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            pattern = re.compile(source, flags)
        except re.error:
            return
    try:
        machine = automaton(pattern)
    except (Unsupported, TooLarge):
        return
    for text in texts:
        on_alphabet = all(char in ALPHABET for char in text)
        if on_alphabet:
            assert machine.accepts(text) == bool(pattern.fullmatch(text)), (source, text)


@pytest.mark.parametrize(
    ("source", "flags", "matched", "refused"),
    [
        (r"app[.-]example", 0, ["app.example", "app-example"], ["appxexample"]),
        (r"app\Wexample", 0, ["app.example", "app-example", "app:example"], ["app_example"]),
        (r"a{2,3}", 0, ["aa", "aaa"], ["a", "aaaa"]),
        (r"(?i)K", 0, ["k"], ["x"]),
        ("\u212a", re.IGNORECASE, ["k"], ["x"]),
        ("\u212a", re.IGNORECASE | re.ASCII, [], ["k"]),
        (r"(?i:A)b", 0, ["ab"], ["aB"]),
        (r"(?x) a . b  # a comment", 0, ["axb"], ["a b"]),
        (r"^a$", re.MULTILINE, ["a"], ["b"]),
        (r"a|^b", 0, ["a", "b"], ["ab"]),
        (r"a$b", 0, [], ["ab", "a"]),
        (r"[^a-z0-9]", 0, ["-", ".", ":", "_"], ["a", "0"]),
    ],
)
def test_constructs_are_read_as_re_reads_them(
    source: str, flags: int, matched: list[str], refused: list[str]
) -> None:
    pattern = re.compile(source, flags)
    machine = automaton(pattern)
    for text in matched:
        assert pattern.fullmatch(text)
        assert machine.accepts(text), text
    for text in refused:
        assert not machine.accepts(text), text


@pytest.mark.parametrize(
    ("source", "what"),
    [
        (r"https://(?=.*example\.com$).*", "lookahead"),
        (r"(?<=x)a", "lookbehind"),
        (r"(?!evil)a", "negative lookahead"),
        (r"(a)\1", "backreference"),
        (r"(a)?(?(1)b|c)", "conditional"),
        pytest.param(r"(?>a)", "atomic group", marks=PYTHON_3_11),
        pytest.param(r"a*+", "possessive", marks=PYTHON_3_11),
        (r"a\b", "word boundary"),
        ("[[:alnum:].-]+", "differently from PCRE and RE2"),
        ("[a&&b]", "differently from PCRE and RE2"),
    ],
)
def test_what_no_automaton_holds_exactly_is_refused_by_name(source: str, what: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pattern = re.compile(source)
    with pytest.raises(Unsupported, match=what):
        automaton(pattern)


def test_a_hostile_pattern_is_refused_by_size_not_hung_on() -> None:
    with pytest.raises(TooLarge, match=str(MAX_STATES)):
        automaton(re.compile(r"(a|b)*a(a|b){12}"))
    with pytest.raises(TooLarge):
        automaton(re.compile(r"a{100000}"))


_PORTABLE = re.compile(r"(?:[^\\]|\\[.+*?()\[\]{}|^$\\\-sS])*")


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_regexes(), _FLAGS, st.lists(_TEXTS, min_size=1, max_size=12))
def test_the_regex_written_for_the_proxies_matches_what_the_automaton_does(
    source: str, flags: int, texts: list[str]
) -> None:
    """The export writes this instead of the user's text: the same language over the origin
    alphabet, in syntax without flags, escapes like \\w, anchors or lookarounds."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            pattern = re.compile(source, flags)
        except re.error:
            return
    try:
        machine = automaton(pattern)
        written = write_regex(machine)
    except (Unsupported, TooLarge):
        return
    assert _PORTABLE.fullmatch(written), written
    assert "(?i" not in written
    assert "(?P" not in written
    canonical = re.compile(written)
    for text in texts:
        if all(char in ALPHABET for char in text):
            assert bool(canonical.fullmatch(text)) == machine.accepts(text), (source, written)


def test_the_export_writes_the_canonical_regex_never_the_users_text() -> None:
    matcher, problems = compile_origins([re.compile(r"(?i)HTTPS://(APP|ADMIN)\.EXAMPLE\.COM")])
    assert problems == []
    assert matcher is not None
    _, [written] = origin_alternatives(matcher)
    assert "(?i)" not in written
    assert "APP" not in written
    canonical = re.compile(written)
    assert canonical.fullmatch("https://admin.example.com")
    assert not canonical.fullmatch("https://adminxexample.com")
