"""The value checks of the individual CORS options: each turns what the user wrote into the
compiled form ``CORSPolicy`` holds, or adds a ``Problem`` with the fix. ``crossgate._policy``
combines them (and judges the options together)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta

from crossgate._fetch import (
    FORBIDDEN_METHODS,
    SAFELISTED_RESPONSE_HEADERS,
    is_forbidden_header_name,
)
from crossgate._http import TOKEN
from crossgate.errors import Problem

#: The longest preflight cache lifetime Chromium honours (Firefox allows 86400).
DEFAULT_MAX_AGE = 7200
# The Private Network Access request header is set by the browser itself for a preflight,
# never by the page for the request: listing it allows nothing.
_PRIVATE_NETWORK_REQUEST = "access-control-request-private-network"


def _names(value: object) -> list[object]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, Iterable) and not isinstance(value, (bytes, bytearray)):
        return list(value)
    return [value]


def _unique(names: list[str]) -> list[str]:
    """*names* without case-insensitive repeats, first spelling kept."""
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(name.lower(), name)
    return list(seen.values())


def check_bool(options: Mapping[str, object], name: str, problems: list[Problem]) -> bool:
    """The boolean option *name* (False when absent); a problem when it is not a bool."""
    value = options.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        problems.append(
            Problem(name, value, "must be True or False", f"write {name}=True or {name}=False")
        )
        return False
    return value


def _tokens(
    option: str, value: object, problems: list[Problem], kind: str, example: str
) -> list[str] | None:
    """The names listed in *value* (a comma-separated string or an iterable), ``None`` for '*'."""
    items = _names(value)
    if items == ["*"]:
        return None
    names = []
    for item in items:
        if item == "*":
            problems.append(
                Problem(
                    option,
                    value,
                    "mixes '*' with names",
                    f"write {option}='*' alone, or list only names",
                )
            )
        elif not isinstance(item, str) or not TOKEN.fullmatch(item):
            problems.append(Problem(option, item, f"is not {kind}", f"write names like {example}"))
        elif "*" in item:
            problems.append(
                Problem(
                    option,
                    item,
                    "looks like a pattern, but names are compared exactly",
                    f"list every {kind.removeprefix('an ').removeprefix('a ')} in full",
                )
            )
        else:
            names.append(item)
    return names


def methods_option(value: object, problems: list[Problem]) -> frozenset[str] | None:
    """``methods``: upper-cased names, forbidden ones refused; None for the route's own."""
    if value is None:
        return None
    names = _tokens("methods", value, problems, "an HTTP method", "'GET', 'PUT'")
    if names is None:
        return None
    methods: set[str] = set()
    for name in names:
        method = name.upper()
        if method in FORBIDDEN_METHODS:
            problems.append(
                Problem(
                    "methods", name, "is a method browsers forbid pages to use", f"remove {name!r}"
                )
            )
        else:
            methods.add(method)
    return frozenset(methods)


def allow_headers_option(
    value: object, problems: list[Problem]
) -> tuple[frozenset[str] | None, str | None]:
    """``allow_headers``: the lower-cased names and the value to send; (None, None) for '*'."""
    if value is None:
        return None, None
    names = _tokens("allow_headers", value, problems, "a header name", "'Content-Type'")
    if names is None:
        return None, None
    for name in names:
        lowered = name.lower()
        if is_forbidden_header_name(lowered) or lowered == _PRIVATE_NETWORK_REQUEST:
            problems.append(
                Problem(
                    "allow_headers",
                    name,
                    "browsers never let a page send this header",
                    f"remove {name!r}",
                )
            )
    names = _unique(names)
    return frozenset(name.lower() for name in names), ", ".join(names)


def expose_headers_option(
    value: object, credentials: bool, problems: list[Problem]
) -> tuple[str, ...]:
    """``expose_headers``: the names to send, safelisted ones dropped; ``*`` refused with
    credentials."""
    if value is None:
        return ()
    names = _tokens("expose_headers", value, problems, "a header name", "'X-Request-Id'")
    if names is None:
        if credentials:
            problems.append(
                Problem(
                    "expose_headers",
                    "*",
                    "with supports_credentials=True, browsers read '*' as a header named '*'",
                    "list the header names to expose",
                )
            )
        return ("*",)
    for name in names:
        if name.lower() in ("set-cookie", "set-cookie2"):
            problems.append(
                Problem(
                    "expose_headers",
                    name,
                    "browsers never expose Set-Cookie to a page",
                    f"remove {name!r}",
                )
            )
    # Safelisted response headers are always readable: listing them would only cost bytes.
    return tuple(name for name in _unique(names) if name.lower() not in SAFELISTED_RESPONSE_HEADERS)


def max_age_option(value: object, problems: list[Problem]) -> int:
    """``max_age`` in whole seconds (int or timedelta); ``DEFAULT_MAX_AGE`` when absent."""
    if value is None:
        return DEFAULT_MAX_AGE
    seconds: float | None = None
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    if seconds is not None and seconds >= 0 and seconds == int(seconds):
        return int(seconds)
    problems.append(
        Problem(
            "max_age",
            value,
            "must be a whole, non-negative number of seconds (an int or a timedelta)",
            f"write max_age={DEFAULT_MAX_AGE} (two hours, Chromium's limit)",
        )
    )
    return DEFAULT_MAX_AGE
