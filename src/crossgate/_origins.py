"""The ``origins`` option: what it accepts, compiled once into an :class:`OriginMatcher`.

An origin, as a browser sends it in the ``Origin`` header, is ``scheme://host[:port]``: lowercase
host, no trailing slash, no default port (URL Standard, "serialization of an origin"), or the
literal ``null``. Users write origins in configuration; :func:`compile_origins` turns what they
wrote into an ``OriginMatcher`` once, at start-up, and refuses anything that is not an origin
with the fix.

Accepted forms, and nothing else (no guessing whether a string is a regular expression):

- an exact origin: ``"https://app.example.com"``, ``"http://localhost:3000"``;
- ``"*"``: every origin;
- a subdomain pattern: ``"https://*.example.com"`` (one or more labels, never the apex);
- a port wildcard: ``"http://localhost:*"`` (any port, or none);
- a compiled ``re.Pattern``, matched with ``fullmatch`` against the serialized origin, and
  judged at start-up by ``crossgate._origin_regex`` (a loose ``.`` or a wildcard that runs into
  the domain name is refused unless ``allow_regex_wildcards=True``);
- a plain (not ``async``) callable ``origin -> bool``, called with the serialized origin; only
  ``True`` grants;
- the literal ``"null"``, only together with ``allow_null_origin=True``.

This module compiles the ``origins`` option; the parts live in their own modules, imported one
way: ``_public_suffixes`` (registrable domains), ``_origin_syntax`` (parsing and serialising),
``_origin_matcher`` (the compiled matcher), ``origin_regex`` (judging regexes), then this one.
Every public name of those first three is importable from here.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterable

from crossgate import _origin_regex as origin_regex
from crossgate._origin_matcher import CheckFailure, OriginMatcher, WideRegex, callable_name
from crossgate._origin_syntax import (
    DEFAULT_PORTS,
    MAX_ORIGIN_LENGTH,
    HostPattern,
    Origin,
    OriginError,
    is_loopback_host,
    parse_entry,
    parse_origin,
    parse_request_origin,
)
from crossgate._public_suffixes import registrable_domain
from crossgate.errors import Problem

__all__ = [
    "DEFAULT_PORTS",
    "MAX_ORIGIN_LENGTH",
    "CheckFailure",
    "HostPattern",
    "Origin",
    "OriginError",
    "OriginMatcher",
    "compile_origins",
    "insecure_origins",
    "is_async_callable",
    "is_loopback_host",
    "parse_entry",
    "parse_origin",
    "parse_request_origin",
    "registrable_domain",
]


def is_async_callable(check: object) -> bool:
    """Whether calling *check* gives a coroutine or an async generator instead of an answer:
    an ``async def`` function or method, a ``functools.partial`` of one, or an object whose
    ``__call__`` is one."""
    while isinstance(check, functools.partial):
        check = check.func
    # What Python runs when the object is called: its class's __call__, found along the MRO.
    call = next(
        (kind.__dict__["__call__"] for kind in type(check).__mro__ if "__call__" in kind.__dict__),
        None,
    )
    return any(
        inspect.iscoroutinefunction(candidate) or inspect.isasyncgenfunction(candidate)
        for candidate in (check, call)
    )


def compile_origins(
    origins: object,
    *,
    allow_null: bool = False,
    allow_regex_wildcards: bool = False,
    option: str = "origins",
) -> tuple[OriginMatcher | None, list[Problem]]:
    """Compile the ``origins`` option into a matcher, and every problem found.

    The matcher holds the valid entries, so callers can check it further and report those
    problems in the same pass; it is ``None`` only when *origins* is not even a list. Use it
    only when there are no problems.

    ``allow_null=True`` is the knowing consent to ``Origin: null``: with it, ``null`` is
    allowed (listing ``"null"`` too is harmless); without it, listing ``"null"`` is a problem.

    A compiled regex with a loose ``.`` or a wildcard that runs into the domain name is a
    problem (with an origin it lets in, and the fix) unless ``allow_regex_wildcards=True``;
    see ``crossgate._origin_regex``. A regex that admits every host of a scheme is not a
    problem here, but is recorded in ``OriginMatcher.any_host``: the policy refuses it with
    credentials, as it refuses ``'*'``. An ``async def`` callable is a problem: its coroutine
    would be taken for an answer.
    """
    problems: list[Problem] = []
    if isinstance(origins, (str, re.Pattern)) or callable(origins):
        items: list[object] = [origins]
    elif isinstance(origins, Iterable) and not isinstance(origins, (bytes, bytearray)):
        items = list(origins)
    else:
        problems.append(
            Problem(
                option,
                origins,
                "is not an origin or a list of origins",
                "pass a list like ['https://app.example.com']",
            )
        )
        return None, problems
    exact: set[str] = set()
    host_patterns: list[HostPattern] = []
    regexes: list[re.Pattern[str]] = []
    predicates: list[Callable[[str], bool]] = []
    any_host: list[WideRegex] = []
    foreign: list[WideRegex] = []
    any_origin = False
    null_listed = False
    for item in items:
        if isinstance(item, re.Pattern):
            if isinstance(item.pattern, str):
                regexes.append(item)
                problems += origin_regex.regex_problems(
                    item, option=option, allow_wildcards=allow_regex_wildcards
                )
                wide = origin_regex.wide_regex(item)
                loose = origin_regex.foreign_regex(item)
                if wide is not None:
                    any_host.append(wide)
                elif loose is not None and allow_regex_wildcards:
                    foreign.append(loose)  # consented: refused only with credentials
            else:
                problems.append(
                    Problem(option, item, "is a bytes pattern", "compile a str pattern")
                )
        elif isinstance(item, str):
            if item == "*":
                any_origin = True
            elif item == "null":
                null_listed = True
            else:
                try:
                    parsed = parse_entry(item)
                except OriginError as error:
                    message, fix = origin_regex.string_regex_hint(item) or (
                        error.message,
                        error.fix,
                    )
                    problems.append(Problem(option, item, message, fix))
                    continue
                if isinstance(parsed, Origin):
                    exact.add(parsed.serialize())
                else:
                    host_patterns.append(parsed)
        elif callable(item):
            if is_async_callable(item):
                problems.append(_async_problem(option, item))
            else:
                predicates.append(item)
        else:
            problems.append(
                Problem(
                    option,
                    item,
                    "is not an origin",
                    "write a string like 'https://app.example.com'",
                )
            )
    if null_listed and not allow_null:
        problems.append(
            Problem(
                option,
                "null",
                "'null' is the Origin of sandboxed iframes, file: pages and redirected requests; "
                "any site can send it",
                "remove 'null', or pass allow_null_origin=True if you accept that risk",
            )
        )
    if allow_null and not null_listed and not any_origin:
        problems.append(
            Problem(
                "allow_null_origin",
                True,
                "consents to Origin: null, but 'null' is not among the origins next to it",
                "add 'null' to origins if sandboxed iframes or file: pages must read responses, "
                "or remove allow_null_origin=True",
            )
        )
    if any_origin and (exact or host_patterns or regexes or predicates):
        problems.append(
            Problem(
                option,
                items,
                "'*' already allows every origin, so the other entries do nothing",
                "keep only '*', or remove it",
            )
        )
    matcher = OriginMatcher(
        exact=frozenset(exact),
        any_origin=any_origin,
        host_patterns=tuple(host_patterns),
        regexes=tuple(regexes),
        predicates=tuple(predicates),
        allow_null=allow_null and null_listed,
        any_host=tuple(any_host),
        foreign=tuple(foreign),
    )
    return matcher, problems


def _async_problem(option: str, check: Callable[..., object]) -> Problem:
    return Problem(
        option,
        check,
        f"{callable_name(check)} is an async callable; crossgate asks origins callables "
        "synchronously, while it answers the request, so it would get a coroutine back, never an "
        "answer",
        "make it a plain def that answers from memory, like "
        "'def allowed(origin): return origin in trusted', with trusted a set that a "
        "background task or a timer refreshes",
    )


def insecure_origins(matcher: OriginMatcher) -> list[str]:
    """Plain-http, non-loopback entries: readable by anyone on the network path. A regex is
    one when it allows such an origin (``r"https?://app\\.example\\.com"``)."""
    found = []
    for value in sorted(matcher.exact):
        parsed = parse_request_origin(value)
        assert parsed is not None  # the matcher holds serialized origins only
        if parsed.scheme in ("http", "ws") and not is_loopback_host(parsed.host):
            found.append(value)
    found += [
        str(pattern)
        for pattern in matcher.host_patterns
        if pattern.scheme in ("http", "ws") and not is_loopback_host(pattern.host)
    ]
    found += [
        origin_regex.show_regex(regex)
        for regex in matcher.regexes
        if origin_regex.plain_http_example(regex) is not None
    ]
    return found
