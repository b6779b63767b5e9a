"""flask-cors options compiled, once, into a ``CompatPolicy`` whose answers are engine
``Decision``s (written by ``crossgate._engine.apply``), its origins matched by the core's
``OriginMatcher``.

What stays the layer's own is what flask-cors users observe: strings guessed to be regexes;
literals compared ignoring case and echoed as sent; ``'*'`` echoing the Origin unless
``send_wildcard``; ``always_send``; no consent needed for ``null`` or plain http; preflights
answered by the app and never refused; requested headers echoed sorted; flask-cors's line order
with ``Vary: Origin`` on a line of its own. Its matching defects are fixed (a regex must match
the whole origin, ``methods`` is a set of names): docs/migration.md lists each difference.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from crossgate._engine import Decision
from crossgate._http import CONTROL, Header
from crossgate._origin_regex import foreign_regex
from crossgate._origin_syntax import HostPattern, parse_request_origin
from crossgate._origins import OriginMatcher
from crossgate.compat.flask_cors._notes import Logged, Notes, ensure_iterable
from crossgate.compat.flask_cors._origins import (
    admits_any_host,
    glob_reading,
    prefix_warning,
    unmatchable,
)
from crossgate.compat.flask_cors.core import (
    ACL_ALLOW_HEADERS,
    ACL_CREDENTIALS,
    ACL_EXPOSE_HEADERS,
    ACL_MAX_AGE,
    ACL_METHODS,
    ACL_ORIGIN,
    ACL_RESPONSE_PRIVATE_NETWORK,
)
from crossgate.errors import Problem, describe

WSGIEnviron = Mapping[str, Any]

# The characters flask-cors takes as the sign of a regular expression.
_REGEX_HINT_CHARS = frozenset("*\\]?$^[]()")
_PRIVATE_NETWORK_REQUEST = "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"
_METHOD_SEPARATORS = re.compile(r"[\s,]+")
#: The keyword that keeps flask-cors's credentials for every origin ``'*'`` admits.
UNSAFE_OPT_IN = "unsafe_any_origin_with_credentials"


def probably_regex(pattern: str) -> bool:
    """flask-cors's guess: does this string look like a regular expression?"""
    return not _REGEX_HINT_CHARS.isdisjoint(pattern)


@dataclass(frozen=True, slots=True)
class _Patterns:
    """The compiled form of ``origins`` or ``allow_headers``."""

    any_value: bool
    literals: frozenset[str]
    regexes: tuple[re.Pattern[str], ...]
    literal_strings: tuple[str, ...]
    count: int
    #: ``'http://localhost:*'`` and ``'https://*.example.com'``, read as written (``_origins``).
    host_patterns: tuple[HostPattern, ...] = ()
    #: The literals no browser's Origin can equal, each with its warning (``unmatchable``).
    never: tuple[tuple[str, str], ...] = ()

    @property
    def has_regex(self) -> bool:
        return self.any_value or bool(self.regexes)

    def matches(self, value: str) -> bool:
        if self.any_value or value.casefold() in self.literals:
            return True
        return any(regex.fullmatch(value) for regex in self.regexes)

    def admits(
        self, *, listed_only: bool = False, wide: tuple[re.Pattern[str], ...] = ()
    ) -> _Admits:
        """These patterns as ``origins``, compiled into the core's matchers. *listed_only*:
        without ``'*'`` and the *wide* (any-host) regexes."""
        regexes = tuple(regex for regex in self.regexes if not listed_only or regex not in wide)
        caseless = tuple(regex for regex in regexes if regex.flags & re.IGNORECASE)
        return _Admits(
            OriginMatcher(
                self.literals,
                any_origin=self.any_value and not listed_only,
                host_patterns=self.host_patterns,
                regexes=regexes,
            ),
            OriginMatcher(self.literals, host_patterns=self.host_patterns, regexes=caseless),
        )


@dataclass(frozen=True, slots=True)
class _Admits:
    """Origins as flask-cors compares them: the core's matcher for the Origin as sent, and one
    for it in lower case, which holds what flask-cors compares ignoring case (the literals, the
    host patterns, and the regexes with ``re.IGNORECASE``, as every guessed one has)."""

    as_sent: OriginMatcher
    lowered: OriginMatcher

    def __call__(self, origin: str) -> bool:
        return self.as_sent.match(origin) is True or (
            origin != (lowered := origin.lower()) and self.lowered.match(lowered) is True
        )


@dataclass(frozen=True, slots=True)
class _OriginAnswer:
    """Which ``Access-Control-Allow-Origin`` flask-cors sends, and to whom the safe reading of
    credentials applies."""

    admits: _Admits
    #: ``origins='*'`` with ``send_wildcard``: every request with an Origin gets ``*``.
    wildcard: bool
    #: The value sent when the request has no Origin.
    no_origin: str | None
    #: The origins someone listed, when only they keep credentials (``'*'`` or an any-host
    #: regex with ``supports_credentials``, the safe reading); ``None``: every admitted origin.
    listed: _Admits | None

    def allowed(self, origin: str | None) -> str | None:
        """The value for this request's Origin; ``None``: no CORS headers."""
        if not origin:
            return self.no_origin
        if CONTROL.search(origin):
            return None  # echoed, CR/LF would split the response (flask-cors answers a 500)
        if self.wildcard:
            return "*"
        return origin if self.admits(origin) else None

    def guest(self, allowed: str) -> bool:
        """Whether *allowed* gets the answer without credentials. Only a value a page can send
        needs the safe reading: CORS protects browsers, and no browser sends an Origin out of
        serialized form ('www.example.com')."""
        return (
            self.listed is not None
            and (allowed == "null" or parse_request_origin(allowed) is not None)
            and not self.listed(allowed)
        )


def _patterns(option: str, value: Any, notes: Notes) -> _Patterns:
    items = [".*" if item == "*" else item for item in ensure_iterable(value)]
    literals: set[str] = set()
    literal_strings: list[str] = []
    regexes: list[re.Pattern[str]] = []
    host_patterns: list[HostPattern] = []
    never: list[tuple[str, str]] = []
    any_value = False
    for item in items:
        reading = glob_reading(item) if option == "origins" and isinstance(item, str) else None
        if reading is not None:
            host_patterns.append(reading[0])
            notes.warnings.append(Logged(reading[1]))
        elif isinstance(item, re.Pattern):
            if isinstance(item.pattern, str):
                regexes.append(item)
                if option == "origins" and (warning := prefix_warning(item, item)):
                    notes.warnings.append(warning)
            else:
                notes.problems.append(
                    Problem(option, item, "is a bytes pattern", "compile a str pattern")
                )
        elif isinstance(item, str) and probably_regex(item):
            if item == ".*":
                any_value = True
                continue
            try:
                regexes.append(re.compile(item, re.IGNORECASE))
                if option == "origins" and (warning := prefix_warning(regexes[-1], item)):
                    notes.warnings.append(warning)
            except re.error as error:
                notes.problems.append(
                    Problem(
                        option,
                        item,
                        f"is not a valid regular expression ({error})",
                        "fix or escape it",
                    )
                )
        else:
            # Like flask-cors, anything else is compared as a string, ignoring case.
            literals.add(str(item).casefold())
            if isinstance(item, str):
                literal_strings.append(item)
                if option == "origins" and (warning := unmatchable(item)):
                    never.append((item, warning))
                    notes.warnings.append(warning)
    return _Patterns(
        any_value,
        frozenset(literals),
        tuple(regexes),
        tuple(literal_strings),
        len(items),
        tuple(host_patterns),
        tuple(never),
    )


def _flexible_str(value: Any) -> str | None:
    """flask-cors's rendering of a list option: a string as is, an iterable sorted and joined."""
    if value is None:
        return None
    if not isinstance(value, str) and isinstance(value, Iterable):
        return ", ".join(str(item) for item in sorted(value))
    return str(value)


@dataclass(frozen=True, slots=True)
class CompatPolicy:
    """One compiled flask-cors configuration (a resource's, or a decorated view's)."""

    #: ``origins`` as written, read: literals and guessed regexes.
    origins: _Patterns
    #: The same, compiled: who gets which ``Access-Control-Allow-Origin``.
    answer: _OriginAnswer
    allow_headers: _Patterns
    #: Sent after ``Access-Control-Allow-Origin`` on every matched response ...
    matched_headers: tuple[Header, ...]
    #: ... except to a guest (``_OriginAnswer.guest``): these, without
    #: ``Access-Control-Allow-Credentials``.
    guest_headers: tuple[Header, ...]
    private_network_answer: str
    #: The method names a preflight may ask for.
    methods: frozenset[str]
    #: Sent (after the echoed ``Allow-Headers``) on a preflight for one of ``methods``.
    preflight_headers: tuple[Header, ...]
    #: Whether a non-``*`` answer gets its own ``Vary: Origin`` line.
    varies: bool
    automatic_options: bool
    intercept_exceptions: bool
    preflight_before_request: bool
    #: The whole answer to a request that is not ``OPTIONS`` and does not ask about the private
    #: network, per ``Origin`` exactly as configured, and for no ``Origin`` (key ``None``): most
    #: requests are answered by one look-up.
    simple_answers: Mapping[str | None, Decision] = field(compare=False)

    def allowed_headers(self, requested: str) -> str:
        """The requested names that ``allow_headers`` accepts, sorted, as flask-cors sends them."""
        names = [name.strip() for name in requested.split(",")]
        if not self.allow_headers.any_value:
            names = [name for name in names if self.allow_headers.matches(name)]
        return ", ".join(sorted(names))

    def decide(self, origin: str | None, method: str, environ: WSGIEnviron) -> Decision:
        """flask-cors's answer to this request, as an engine ``Decision`` for
        ``crossgate._engine.apply``: its ``Vary: Origin`` is a line of its own among the headers
        (flask-cors never merges it), so ``vary`` is unset."""
        if method != "OPTIONS" and _PRIVATE_NETWORK_REQUEST not in environ:
            simple = self.simple_answers.get(origin)
            if simple is not None:
                return simple
        allowed = self.answer.allowed(origin)
        if allowed is None:
            return _REFUSED
        matched = self.guest_headers if self.answer.guest(allowed) else self.matched_headers
        headers = [(ACL_ORIGIN, allowed), *matched]
        if environ.get(_PRIVATE_NETWORK_REQUEST) == "true":
            headers.append((ACL_RESPONSE_PRIVATE_NETWORK, self.private_network_answer))
        if (
            method == "OPTIONS"
            and environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD", "").upper() in self.methods
        ):
            requested = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")
            if requested:
                names = self.allowed_headers(requested)
                if names:
                    headers.append((ACL_ALLOW_HEADERS, names))
            headers.extend(self.preflight_headers)
        if self.varies and allowed != "*":
            headers.append(("Vary", "Origin"))
        return Decision(True, tuple(headers))


_REFUSED = Decision(False)


def _any_origin_message(
    options: Mapping[str, Any], origins: _Patterns, wide: tuple[re.Pattern[str], ...]
) -> str | Logged:
    """The start-up message of the drop-in rule for credentials with any origin: the warning
    with the fix, or, when ``unsafe_any_origin_with_credentials`` keeps flask-cors's behaviour,
    the log line that records the choice."""
    wide_sources = {regex.pattern for regex in wide}
    if origins.any_value:
        what = "origins='*'"
    else:
        what = f"origins={describe(wide[0].pattern)} (it admits every host, even "
        what += f"{admits_any_host(wide[0])!r})"
    if options.get(UNSAFE_OPT_IN):
        return Logged(
            f"{UNSAFE_OPT_IN}=True: as with flask-cors, every origin that {what} admits gets "
            "Access-Control-Allow-Credentials: true, so any site can read responses made with "
            "the user's cookies",
            logging.WARNING,
        )
    listed = [
        item
        for item in ensure_iterable(options.get("origins"))
        if item not in ("*", ".*")
        and (item.pattern if isinstance(item, re.Pattern) else item) not in wide_sources
    ]
    if listed:
        fix = f"list only the trusted origins: origins={describe(listed)}"
        shown = describe(listed)
    else:
        fix = (
            "list the trusted origins, e.g. origins=['https://app.example.com'], or drop "
            "supports_credentials for a public API"
        )
        shown = "none"
    return (
        f"{what} with supports_credentials=True: flask-cors sends "
        "Access-Control-Allow-Credentials: true to every origin, so any site could read "
        "responses made with the user's cookies. This layer sends it only to the origins "
        f"listed ({shown}); every other origin gets the answer without credentials. Fix: {fix}. "
        f"To keep flask-cors's behaviour on purpose, pass {UNSAFE_OPT_IN}=True"
    )


def check_patterns(options: Mapping[str, Any], notes: Notes) -> None:
    """Problems in the ``origins`` and ``allow_headers`` patterns that *options* names, and the
    origins that can never match (the other warnings come when the policy is compiled, with
    the options merged)."""
    for option in ("origins", "allow_headers"):
        if option in options:
            found = _patterns(option, options[option], Notes(problems=notes.problems))
            notes.warnings += [warning for _, warning in found.never]


def compile_policy(options: Mapping[str, Any], notes: Notes) -> CompatPolicy | None:
    """Compile merged options (defaults included); ``None`` when *notes* gained a problem."""
    start = len(notes.problems)
    origins = _patterns("origins", options.get("origins"), notes)
    allow_headers = _patterns("allow_headers", options.get("allow_headers"), notes)
    credentials = bool(options.get("supports_credentials"))
    send_wildcard = bool(options.get("send_wildcard"))
    if origins.any_value and credentials and send_wildcard:
        # flask-cors refuses this one too (a ValueError), so no app started with it.
        notes.problems.append(
            Problem(
                "supports_credentials",
                True,
                "cannot be used with origins='*' and send_wildcard=True "
                "(browsers refuse '*' with credentials)",
                "list the trusted origins",
            )
        )
    for regex in origins.regexes:
        loose = foreign_regex(regex)
        if loose is not None and admits_any_host(regex) is None:
            # Kept as flask-cors guesses it, but judged as crossgate judges its own regexes.
            notes.warnings.append(
                f"origins={describe(regex.pattern)} also lets in {loose.example!r}, a site of a "
                "registrable domain the pattern does not name, which anyone can register. Name "
                "your domain after a '\\.', like r'https://[a-z0-9-]+\\.example\\.com'"
            )
    if len(notes.problems) > start:
        return None
    wide = tuple(regex for regex in origins.regexes if admits_any_host(regex))
    guarded = credentials and (origins.any_value or bool(wide))
    if guarded:
        notes.warnings.append(_any_origin_message(options, origins, wide))
        guarded = not options.get(UNSAFE_OPT_IN)

    methods_value = _flexible_str(options.get("methods"))
    methods: frozenset[str] = frozenset()
    preflight: list[Header] = []
    if methods_value:
        methods_value = methods_value.upper()
        methods = frozenset(name for name in _METHOD_SEPARATORS.split(methods_value) if name)
        max_age = options.get("max_age")
        if isinstance(max_age, timedelta):
            max_age = str(int(max_age.total_seconds()))
        if max_age:
            preflight.append((ACL_MAX_AGE, str(max_age)))
        preflight.append((ACL_METHODS, methods_value))

    matched: list[Header] = []
    expose = _flexible_str(options.get("expose_headers"))
    if expose:
        matched.append((ACL_EXPOSE_HEADERS, expose))
    guest_headers = tuple(matched)
    if credentials:
        matched.append((ACL_CREDENTIALS, "true"))

    no_origin_answer: str | None = None
    if options.get("always_send"):
        if origins.any_value:
            no_origin_answer = None if credentials else "*"
        elif origins.literal_strings:
            no_origin_answer = min(origins.literal_strings)

    answer = _OriginAnswer(
        origins.admits(),
        wildcard=origins.any_value and send_wildcard,
        no_origin=no_origin_answer,
        listed=origins.admits(listed_only=True, wide=wide) if guarded else None,
    )
    varies = bool(options.get("vary_header")) and (origins.count > 1 or origins.has_regex)
    policy = CompatPolicy(
        origins=origins,
        answer=answer,
        allow_headers=allow_headers,
        matched_headers=tuple(matched),
        guest_headers=guest_headers,
        private_network_answer="true" if options.get("allow_private_network") else "false",
        methods=methods,
        preflight_headers=tuple(preflight),
        varies=varies,
        automatic_options=bool(options.get("automatic_options")),
        intercept_exceptions=bool(options.get("intercept_exceptions")),
        preflight_before_request=bool(options.get("preflight_before_request")),
        simple_answers={},
    )
    # A literal is answered by one look-up when sent exactly as written, as is a request
    # without an Origin; other spellings take the general path.
    literals = [] if answer.wildcard else [text for text in origins.literal_strings if text]
    answers = {origin: policy.decide(origin, "GET", {}) for origin in [*literals, None]}
    return replace(policy, simple_answers=answers)
