"""Near misses: an origin that differs from an allowed one in exactly one way is named by that
way; an origin that differs in two ways, or is unrelated, is not a near miss."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crossgate._near_miss import (
    CASE,
    LOOPBACK,
    PORT,
    SCHEME,
    TRAILING_SLASH,
    WWW,
    NearMiss,
    near_miss,
    near_misses,
)

LABEL = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True).filter(lambda x: x != "www")
HOST = st.lists(LABEL, min_size=2, max_size=3).map(".".join)
SCHEMES = st.sampled_from(["http", "https"])
PORTS = st.one_of(st.just(""), st.integers(1024, 65535).map(str))


def origin(scheme: str, host: str, port: str) -> str:
    return f"{scheme}://{host}" + (f":{port}" if port else "")


@st.composite
def one_difference(draw: st.DrawFn) -> tuple[str, str, str]:
    """(request origin, allowed entry, the aspect they differ in), built by changing one part."""
    scheme, host, port = draw(SCHEMES), draw(HOST), draw(PORTS)
    mine = origin(scheme, host, port)
    aspect = draw(st.sampled_from([TRAILING_SLASH, CASE, SCHEME, PORT, LOOPBACK, WWW]))
    if aspect == TRAILING_SLASH:
        return mine, mine + "/", aspect
    if aspect == CASE:
        return mine, origin(scheme, host.upper(), port), aspect
    if aspect == SCHEME:
        other = "https" if scheme == "http" else "http"
        return mine, origin(other, host, port), aspect
    if aspect == PORT:
        other_port = draw(PORTS.filter(lambda p: p != port))
        return mine, origin(scheme, host, other_port), aspect
    if aspect == LOOPBACK:
        hosts = draw(st.permutations(["localhost", "127.0.0.1", "[::1]"]))
        return origin(scheme, hosts[0], port), origin(scheme, hosts[1], port), aspect
    return mine, origin(scheme, "www." + host, port), aspect


SYMMETRIC = (SCHEME, PORT, LOOPBACK, WWW)


@given(one_difference(), st.booleans())
def test_one_difference_is_named(pair: tuple[str, str, str], swapped: bool) -> None:
    mine, allowed, aspect = pair
    if swapped and aspect in SYMMETRIC:
        mine, allowed = allowed, mine  # the same difference, seen from the other side
    assert near_miss(mine, allowed) == aspect
    assert near_misses(mine, ["https://unrelated.example", allowed]) == (NearMiss(allowed, aspect),)


@given(SCHEMES, HOST, PORTS, SCHEMES, HOST, PORTS)
def test_unrelated_hosts_are_never_near_misses(
    scheme: str, host: str, port: str, other_scheme: str, other_host: str, other_port: str
) -> None:
    mine, other = origin(scheme, host, port), origin(other_scheme, other_host, other_port)
    if host != other_host:
        assert near_miss(mine, other) is None
        assert near_misses(mine, [other]) == ()


@pytest.mark.parametrize(
    ("mine", "allowed"),
    [
        ("http://localhost:3000", "http://localhost:3000"),  # the same: not a miss
        ("http://localhost:3000", "localhost:3000"),  # no scheme: never an origin
        ("http://a.example", "https://a.example:8443"),  # scheme and port
        ("http://localhost:3000", "https://127.0.0.1:3000"),  # host and scheme
        ("http://a.example", "http://www.b.example"),  # www. of another host
        ("http://a.example", "http://a.example/path"),  # a path is not a trailing slash
    ],
)
def test_two_differences_or_none_are_not_near_misses(mine: str, allowed: str) -> None:
    assert near_miss(mine, allowed) is None
