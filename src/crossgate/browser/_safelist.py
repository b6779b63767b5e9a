"""What a page may send without a preflight: methods, CORS-safelisted request headers.

Fetch's "CORS-safelisted method", "CORS-safelisted request-header" and "CORS-unsafe request-header
names", with the forbidden request headers ``fetch()`` silently drops; where the engines part
from the standard, the :class:`EngineProfile` passed says how.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from crossgate._fetch import (
    FORBIDDEN_METHODS,
    NORMALIZED_METHODS,
    SAFELISTED_METHODS,
    is_forbidden_header_name,
)
from crossgate._http import TOKEN
from crossgate.browser._profiles import CHROMIUM
from crossgate.browser._values import EngineProfile, ascii_lower, ascii_upper

#: Fetch's HTTP whitespace, trimmed from header values.
HTTP_WHITESPACE = " \t\r\n"
#: The largest number Chromium holds in a header it reads as a signed 64-bit integer.
INT64_MAX = 2**63 - 1

_SAFELISTED_VALUE_MAX = 128
_METHOD_OVERRIDE_HEADERS = frozenset(
    {"x-http-method", "x-http-method-override", "x-method-override"}
)
_SAFELISTED_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
_UNSAFE_BYTES = re.compile(r'[\x00-\x08\x0a-\x1f"():<>?@\[\\\]{}\x7f]')
_LANGUAGE = re.compile(r"[0-9A-Za-z *,\-.;=]*")
_RANGE = re.compile(r"bytes=([0-9]+)-([0-9]*)")
# Chromium's client hints that need no preflight, and the values it accepts for each.
_DOUBLE = re.compile(r"[0-9]+(\.[0-9]+)?")
_INTEGER = re.compile(r"[0-9]+")
_CLIENT_HINTS = {
    "dpr": _DOUBLE,
    "device-memory": _DOUBLE,
    "downlink": _DOUBLE,
    "width": _INTEGER,
    "viewport-width": _INTEGER,
    "rtt": _INTEGER,
    "ect": re.compile(r"slow-2g|2g|3g|4g"),
    "save-data": re.compile(r"on"),
}


def normalize_method(method: str) -> str:
    """Return *method* as the browser sends it.

    ``DELETE``, ``GET``, ``HEAD``, ``OPTIONS``, ``POST`` and ``PUT`` are upper-cased whatever
    their case; every other method is kept exactly as written, so ``patch`` stays ``patch``
    (and then matches neither ``PATCH`` in ``Access-Control-Allow-Methods`` nor most servers).

    >>> normalize_method("delete"), normalize_method("patch")
    ('DELETE', 'patch')
    """
    upper = ascii_upper(method)
    return upper if upper in NORMALIZED_METHODS else method


def is_safelisted_request_header(name: str, value: str) -> bool:
    """Tell whether one ``(name, value)`` pair is a CORS-safelisted request header.

    The value is first trimmed of leading and trailing whitespace, as ``fetch()`` does. This
    checks a single header; :func:`unsafe_request_header_names` adds the rule on the total size.
    """
    return _is_safelisted(ascii_lower(name), value.strip(HTTP_WHITESPACE))


def unsafe_request_header_names(
    headers: Iterable[tuple[str, str]], profile: EngineProfile = CHROMIUM
) -> list[str]:
    """Return the header names a browser puts in ``Access-Control-Request-Headers``.

    The names are lowercased, de-duplicated and sorted. Headers a page may not set (``Cookie``,
    ``Host``, ``Sec-*``, ``Proxy-*``, a method override naming ``TRACE``...) are left out, since
    ``fetch()`` silently drops them. When the safelisted values add up to more than 1024 bytes,
    their names are unsafe too.

    The engines differ (see *profile*): Chromium also drops ``User-Agent`` and safelists valid
    client hints (``DPR``, ``Save-Data: on``, ``Width``...), which Firefox and WebKit
    preflight; Chromium and WebKit check a header set twice as one combined value (two
    ``Content-Type: text/plain`` preflight there), Firefox checks each value and has no limit on
    their total size.

    >>> unsafe_request_header_names([("X-Trace", "1"), ("Content-Type", "application/json"),
    ...                              ("Accept", "*/*"), ("Cookie", "a=b")])
    ['content-type', 'x-trace']
    """
    unsafe: set[str] = set()
    safelisted: set[str] = set()
    safelisted_size = 0
    for name, value in _sent_headers(headers, profile):
        if _is_safelisted(name, value) or (
            profile.safelists_client_hints and _is_client_hint(name, value)
        ):
            safelisted.add(name)
            safelisted_size += len(value)
        else:
            unsafe.add(name)
    limit = profile.safelisted_total_limit
    if limit is not None and safelisted_size > limit:
        unsafe |= safelisted
    return sorted(unsafe)


def _sent_headers(
    headers: Iterable[tuple[str, str]], profile: EngineProfile
) -> list[tuple[str, str]]:
    """The headers ``fetch()`` keeps, lowercased and trimmed; combined by name if the engine
    combines them."""
    kept: list[tuple[str, str]] = []
    for raw_name, raw_value in headers:
        name = ascii_lower(raw_name)
        value = raw_value.strip(HTTP_WHITESPACE)
        if _is_forbidden_request_header(name, value) or name in profile.dropped_request_headers:
            continue
        kept.append((name, value))
    if not profile.combines_repeated_headers:
        return kept
    combined: dict[str, list[str]] = {}
    for name, value in kept:
        combined.setdefault(name, []).append(value)
    return [(name, ", ".join(values)) for name, values in combined.items()]


def _is_client_hint(name: str, value: str) -> bool:
    """A client hint Chromium sends without a preflight, with a value of the right shape."""
    pattern = _CLIENT_HINTS.get(name)
    return pattern is not None and bool(pattern.fullmatch(value))


def needs_preflight(
    method: str, headers: Iterable[tuple[str, str]], profile: EngineProfile = CHROMIUM
) -> bool:
    """Tell whether a cross-origin ``fetch()`` with this method and these headers is preflighted.

    It is when the (normalized) method is not ``GET``, ``HEAD`` or ``POST``, or when any header
    is not CORS-safelisted. A preflight cache entry can spare the browser the request, but the
    server must still be ready to answer it.

    >>> needs_preflight("post", [("Content-Type", "text/plain; charset=utf-8")])
    False
    >>> needs_preflight("GET", [("Authorization", "Bearer t")])
    True
    """
    if normalize_method(method) not in SAFELISTED_METHODS:
        return True
    return bool(unsafe_request_header_names(headers, profile))


def _is_forbidden_request_header(name: str, value: str) -> bool:
    """A header ``fetch()`` silently drops: the browser alone sets it."""
    if is_forbidden_header_name(name):
        return True
    if name in _METHOD_OVERRIDE_HEADERS:
        methods = {ascii_upper(item.strip(HTTP_WHITESPACE)) for item in value.split(",")}
        return not methods.isdisjoint(FORBIDDEN_METHODS)
    return False


def _is_safelisted(name: str, value: str) -> bool:
    """The CORS-safelisted request-header rules for one normalized header."""
    # fetch() refuses characters beyond one byte; for the model they make the header unsafe.
    if len(value) > _SAFELISTED_VALUE_MAX or any(ord(char) > 0xFF for char in value):
        return False
    if name == "accept":
        return not _UNSAFE_BYTES.search(value)
    if name in ("accept-language", "content-language"):
        return bool(_LANGUAGE.fullmatch(value))
    if name == "content-type":
        return not _UNSAFE_BYTES.search(value) and _mime_essence(value) in _SAFELISTED_CONTENT_TYPES
    if name == "range":
        match = _RANGE.fullmatch(value)
        if match is None:
            return False
        start, end = match.groups()
        # Chromium also refuses positions it cannot hold in a signed 64-bit integer.
        limit = INT64_MAX - 1
        return int(start) <= limit and (not end or int(start) <= int(end) <= limit)
    return False


def _mime_essence(value: str) -> str | None:
    """The essence (``type/subtype``, lowercased) of a MIME type, ``None`` if it is invalid.

    Follows the WHATWG "parse a MIME type" steps as far as the essence; parameters cannot make
    the parse fail.
    """
    text = value.strip(HTTP_WHITESPACE)
    kind, slash, rest = text.partition("/")
    if not slash or not TOKEN.fullmatch(kind):
        return None
    subtype = rest.partition(";")[0].rstrip(HTTP_WHITESPACE)
    if not TOKEN.fullmatch(subtype):
        return None
    return ascii_lower(f"{kind}/{subtype}")
