"""A port wildcard (``http://localhost:*``) admits at the proxy exactly what the app's origin
matcher admits: ports 1 to 65535 as a browser serializes them (no leading zero, never the
scheme's default port), or no port at all."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from crossgate._origins import compile_origins
from crossgate.export._regex import SERIALIZED_ORIGIN, number_range, origin_alternatives

PATTERNS = ["http://localhost:*", "https://*.example.com:*", "ws://localhost:*"]


def proxy_admits(patterns: list[str], origin: str) -> bool:
    """What the exported maps admit: a serialized origin matching a pattern's regex."""
    matcher, problems = compile_origins(patterns)
    assert matcher is not None, problems
    _, regexes = origin_alternatives(matcher)
    serialized = re.fullmatch(SERIALIZED_ORIGIN, origin) is not None
    return serialized and re.fullmatch("|".join(regexes), origin) is not None


def app_admits(patterns: list[str], origin: str) -> bool:
    matcher, _ = compile_origins(patterns)
    assert matcher is not None
    return matcher.allows(origin)


PORT = st.one_of(
    st.integers(0, 70000).map(str),
    st.integers(0, 70000).map(lambda number: f"0{number}"),
    st.sampled_from(["", "80", "443", "65535", "65536", "0", "00", "080", "99999", "1e3"]),
)


@settings(max_examples=800, deadline=None)
@given(
    scheme=st.sampled_from(["http", "https", "ws"]),
    host=st.sampled_from(["localhost", "a.example.com", "example.com"]),
    port=PORT,
)
@example(scheme="http", host="localhost", port="80")
@example(scheme="https", host="a.example.com", port="443")
@example(scheme="http", host="localhost", port="65536")
@example(scheme="http", host="localhost", port="0")
@example(scheme="http", host="localhost", port="03000")
def test_a_port_wildcard_admits_what_the_app_admits(scheme: str, host: str, port: str) -> None:
    origin = f"{scheme}://{host}" + (f":{port}" if port else "")
    assert proxy_admits(PATTERNS, origin) == app_admits(PATTERNS, origin)


def test_the_port_range_is_exact() -> None:
    # An independent oracle: every number written out, with and without a leading zero.
    written = re.compile("|".join(number_range(1, 79) + number_range(81, 65535)))
    texts = [str(number) for number in range(100_000)] + [f"0{number}" for number in range(999)]
    admitted = {text for text in texts if written.fullmatch(text)}
    assert admitted == {str(number) for number in range(1, 65536)} - {"80"}


@settings(max_examples=300, deadline=None)
@given(low=st.integers(1, 70000), span=st.integers(0, 70000))
def test_a_number_range_admits_exactly_its_numbers(low: int, span: int) -> None:
    high = low + span
    written = re.compile("|".join(number_range(low, high)))
    probes = {low - 1, low, low + 1, high - 1, high, high + 1, (low + high) // 2, 10, 99, 100}
    for number in probes:
        assert bool(written.fullmatch(str(number))) == (low <= number <= high), number
        assert not written.fullmatch(f"0{number}")
