"""The one CSP grammar (crossgate.headers._csp) that the header policies, the Observatory's
scoring and the CSP analysis all read policies with, against policies built piece by piece."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from crossgate.grade import evaluate_csp
from crossgate.headers._csp import read_policy, split_directives, split_policies

NAMES = st.sampled_from(["default-src", "script-src", "IMG-SRC", "Object-Src", "report-to"])
SOURCES = st.lists(
    st.sampled_from(["'self'", "'NONE'", "https:", "data:", "*.example.com", "'nonce-abc'"]),
    max_size=3,
).map(tuple)
SPACE = st.sampled_from([" ", "  ", "\t", " \t "])
GAP = st.sampled_from(["", " ", "\t"])


@given(st.lists(st.tuples(NAMES, SOURCES), max_size=6), SPACE, GAP, st.booleans())
def test_directives_come_back_as_they_were_written(directives, space, gap, empty_parts):
    separator = f"{gap};{gap}" + (f";{gap}" if empty_parts else "")
    policy = separator.join(space.join((name, *sources)) for name, sources in directives)
    assert split_directives(policy) == directives


@given(st.lists(st.tuples(NAMES, SOURCES), max_size=6))
def test_a_browser_reads_the_first_of_repeated_directives_in_lowercase(directives):
    policy = "; ".join(" ".join((name, *sources)) for name, sources in directives)
    expected: dict[str, tuple[str, ...]] = {}
    for name, sources in directives:
        if name.lower() not in expected:
            expected[name.lower()] = sources
    assert read_policy(policy) == expected


def test_a_comma_starts_a_second_policy_in_every_header_line():
    assert split_policies(["a 'self', b", " c "]) == ["a 'self'", "b", "c"]
    assert split_policies(["a,"]) == ["a", ""]


def test_the_analysis_reads_a_repeated_directive_as_the_browser_does():
    # The browser enforces the first script-src; the second, which would allow inline
    # script, is ignored, so the analysis finds no inline script.
    first = "script-src 'self'; object-src 'none'; base-uri 'none'; script-src 'unsafe-inline'"
    assert not [note for note in evaluate_csp([first]) if "'unsafe-inline'" in note.message]
    second = "script-src 'unsafe-inline'; object-src 'none'; base-uri 'none'; script-src 'self'"
    assert [note for note in evaluate_csp([second]) if "'unsafe-inline'" in note.message]
