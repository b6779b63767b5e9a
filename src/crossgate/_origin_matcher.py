"""The compiled ``origins`` option: :class:`OriginMatcher` answers "may this Origin read it?".

Built once by :func:`crossgate._origins.compile_origins`, asked on every request. Exact origins
are a set look-up; patterns, regular expressions and callables only ever see an origin already
parsed into serialized form. A callable that fails refuses the origin, logs why, and says so in
a :class:`CheckFailure`.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from crossgate._origin_syntax import HostPattern, parse_request_origin
from crossgate.errors import describe

logger = logging.getLogger("crossgate")


@dataclass(frozen=True, slots=True)
class CheckFailure:
    """An ``origins`` callable raised, or answered something other than ``True`` or ``False``;
    the origin was refused."""

    #: The callable's qualified name.
    check: str
    #: What went wrong, as ``"raised KeyError: 'tenant'"`` or ``"returned 'false'"``.
    error: str


@dataclass(frozen=True, slots=True)
class WideRegex:
    """A regex in ``origins`` that admits every host of a scheme: ``'*'`` in effect."""

    pattern: re.Pattern[str]
    #: The scheme of which it admits every host.
    scheme: str
    #: An origin nobody would list that it allows.
    example: str


def callable_name(check: Callable[..., object]) -> str:
    """How logs and messages name an ``origins`` callable: its qualified name."""
    return getattr(check, "__qualname__", None) or repr(check)


def _shown(value: object) -> str:
    """*value* escaped and bounded for a log line; a ``__repr__`` that raises cannot break it."""
    try:
        return describe(value)
    except Exception:
        return f"<{type(value).__name__} object>"


def _ask(check: Callable[[str], bool], origin: str) -> bool | CheckFailure:
    """*check*'s answer for *origin*: ``True``, ``False``, or why it gave neither."""
    try:
        answer: object = check(origin)
    except Exception as error:
        failure = CheckFailure(callable_name(check), f"raised {type(error).__name__}: {error}")
        logger.error(
            "the origins callable %s raised for Origin %s; the origin is refused",
            failure.check,
            describe(origin),
            exc_info=True,
        )
        return failure
    if answer is True or answer is False:
        return answer
    if inspect.iscoroutine(answer):
        answer.close()  # never awaited, and never to be: no "was never awaited" warning
    failure = CheckFailure(callable_name(check), f"returned {_shown(answer)}")
    logger.error(
        "the origins callable %s returned %s for Origin %s, not True or False; the origin is "
        "refused (only True allows an origin)",
        failure.check,
        failure.error.removeprefix("returned "),
        describe(origin),
    )
    return failure


@dataclass(frozen=True, slots=True)
class OriginMatcher:
    """The compiled ``origins`` option: answers "may this Origin read the response?"."""

    exact: frozenset[str]
    any_origin: bool = False
    host_patterns: tuple[HostPattern, ...] = ()
    regexes: tuple[re.Pattern[str], ...] = ()
    predicates: tuple[Callable[[str], bool], ...] = ()
    allow_null: bool = False
    #: The regexes that admit every host of a scheme (``r"https://.*"``): ``'*'`` in effect,
    #: so a policy with credentials refuses them (``origin_regex.any_host_problem``).
    any_host: tuple[WideRegex, ...] = ()
    #: The regexes accepted with ``allow_regex_wildcards=True`` that admit a registrable domain
    #: they do not name: refused with credentials too (``origin_regex.any_host_problem``).
    foreign: tuple[WideRegex, ...] = ()

    @property
    def admits_any_host(self) -> bool:
        """Whether an entry other than ``'*'`` admits every host of a scheme."""
        return bool(self.any_host)

    @property
    def varies(self) -> bool:
        """Whether the answer depends on the request's Origin (so responses need Vary)."""
        return not self.any_origin

    def allows(self, origin: str) -> bool:
        """Whether *origin*, the raw ``Origin`` header, is allowed. Never raises."""
        return self.match(origin) is True

    def match(self, origin: str) -> bool | CheckFailure:
        """``True`` when *origin* (the raw ``Origin`` header) is allowed, else ``False`` or a
        ``CheckFailure``. Never raises.

        Patterns, regular expressions and callables only ever see an origin in serialized form
        (``parse_request_origin``), so no user code is handed control characters or 64 KB.

        Only ``True`` from a callable allows the origin: not a truthy value (a coroutine from an
        ``async def``, the string ``"false"``), which could only grant by mistake. A callable
        that raises or answers anything else refuses the origin: an error must never grant
        access, and one failing look-up (a database down) must not turn every cross-origin
        request into a 500. The other callables still get their say. It is not silent either:
        it is logged on the ``crossgate`` logger at ERROR level (a raise with its traceback),
        and the ``CheckFailure`` returned becomes the refusal's reason
        (``origin-check-failed``).
        """
        if self.any_origin or origin in self.exact:
            return True
        if origin == "null":
            return self.allow_null
        if not (self.host_patterns or self.regexes or self.predicates):
            return False
        parsed = parse_request_origin(origin)
        if parsed is None:
            return False
        for pattern in self.host_patterns:
            if pattern.matches(parsed.scheme, parsed.host, parsed.port):
                return True
        for regex in self.regexes:
            if regex.fullmatch(origin):
                return True
        failure: bool | CheckFailure = False
        for predicate in self.predicates:
            verdict = _ask(predicate, origin)
            if verdict is True:
                return True
            if verdict is not False:
                failure = verdict
        return failure

    def summary(self) -> list[str]:
        """Human-readable list of what is allowed, for ``flask crossgate routes``."""
        if self.any_origin:
            return ["*"]
        shown = sorted(self.exact)
        shown += [str(pattern) for pattern in self.host_patterns]
        shown += [f"re.compile({regex.pattern!r})" for regex in self.regexes]
        shown += [f"{callable_name(predicate)}()" for predicate in self.predicates]
        if self.allow_null:
            shown.append("null")
        return shown
