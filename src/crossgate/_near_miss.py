"""Near misses: an origin that differs from an allowed one in exactly one way people get wrong.

A refused origin is most often not a stranger but the allowed one written slightly differently:
``localhost`` where ``127.0.0.1`` is listed, ``http`` for ``https``, another port, a trailing
slash, a capital letter, ``www.``. ``near_misses`` names that one difference, so a refusal can
say "you listed ``http://localhost:3000``, the page is ``http://127.0.0.1:3000``" instead of
"add it". Only exact entries are compared (a pattern or a callable is not an origin), and only
when the refusal is explained: never on the request path.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

_DEFAULT_PORTS = {"http": "80", "https": "443"}
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "[::1]"})

#: The differences named, in the words a refusal uses.
TRAILING_SLASH = "a trailing slash"
CASE = "letter case"
SCHEME = "the scheme"
PORT = "the port"
LOOPBACK = "localhost vs 127.0.0.1 (browsers treat them as different origins)"
WWW = "a 'www.' prefix"


class NearMiss(NamedTuple):
    """An allowed entry the origin nearly is, and the one way they differ."""

    allowed: str
    aspect: str


class _Parts(NamedTuple):
    scheme: str
    host: str
    port: str  # as written ("" when none)
    rest: str  # anything after the host and port ("/" for a trailing slash)


def _parts(text: str) -> _Parts | None:
    scheme, separator, remainder = text.partition("://")
    if not separator or not scheme:
        return None
    slash = remainder.find("/")
    authority, rest = (remainder, "") if slash < 0 else (remainder[:slash], remainder[slash:])
    if authority.startswith("["):
        host, bracket, after = authority.partition("]")
        host += bracket
        port = after[1:] if after.startswith(":") else after
    else:
        host, _, port = authority.partition(":")
    if not host:
        return None
    return _Parts(scheme, host, port, rest)


def _port(parts: _Parts) -> str:
    return parts.port or _DEFAULT_PORTS.get(parts.scheme.lower(), "")


def near_miss(origin: str, allowed: str) -> str | None:
    """The one way *origin* differs from the *allowed* entry, or None: the same, unrelated, or
    different in more than one way."""
    if origin == allowed:
        return None
    if allowed.endswith("/") and allowed.rstrip("/") == origin:
        return TRAILING_SLASH
    if origin.lower() == allowed.lower():
        return CASE
    mine, theirs = _parts(origin), _parts(allowed)
    if mine is None or theirs is None or mine.rest != theirs.rest:
        return None
    same_scheme = mine.scheme == theirs.scheme
    same_host = mine.host == theirs.host
    if same_host and mine.port == theirs.port and not same_scheme:
        return SCHEME
    if not (same_scheme and _port(mine) == _port(theirs)):
        return PORT if same_scheme and same_host else None
    if mine.host in _LOOPBACK and theirs.host in _LOOPBACK:
        return LOOPBACK
    if mine.host == "www." + theirs.host or theirs.host == "www." + mine.host:
        return WWW
    return None


def near_misses(origin: str, allowed: Iterable[str]) -> tuple[NearMiss, ...]:
    """Every allowed entry *origin* nearly is (see ``near_miss``), in the order given."""
    found = []
    for entry in allowed:
        aspect = near_miss(origin, entry)
        if aspect is not None:
            found.append(NearMiss(entry, aspect))
    return tuple(found)
