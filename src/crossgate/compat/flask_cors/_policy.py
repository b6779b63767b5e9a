"""flask-cors options compiled, once, into a ``CompatPolicy`` that answers requests with tuples.

flask-cors parses its options into patterns at start-up (and, for the decorator, again on every
request) and then walks them per request. Here everything that does not depend on the request is
computed once: which origins and headers are literals (casefolded into frozensets) and which are
regular expressions (compiled), the joined ``Allow-Methods``/``Expose-Headers`` values, the answer
for a request without ``Origin``, and whether ``Vary: Origin`` can ever be needed.

The answer is an engine ``Decision``, written by ``crossgate.engine.apply`` where the layer has
the header list, and origins are matched by the core's ``OriginMatcher``: what this layer keeps
is only what flask-cors users can observe. Strings are guessed to be regexes; literals are any
string, compared ignoring case and echoed as sent; ``'*'`` echoes the Origin unless
``send_wildcard``; ``always_send`` answers requests without one; ``null`` and plain-http origins
need no consent; the app answers the preflight (200 and ``Allow``) and never refuses it; requested
headers are echoed in their own case, sorted; and the lines come in flask-cors's order with
``Vary: Origin`` on a line of its own.

The rules are flask-cors 6.0.5's, with its matching defects fixed (see docs/migration.md):

- a string containing any of ``* \\ ] ? $ ^ [ ( )`` is a regular expression, matched
  case-insensitively, but with ``fullmatch`` (flask-cors used ``re.match``, so
  ``https://.*\\.example\\.com`` also accepted ``https://a.example.com.evil.net``);
- ``methods`` is a set of method names (flask-cors tested the requested method as a substring of
  the joined list, so ``ET`` passed);
- a regex only ever sees an Origin in the serialized form browsers send (the core matcher's
  rule): ``https://a.example.com/x`` or an origin with control characters matches none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from crossgate._http import CONTROL, Header
from crossgate.compat.flask_cors.core import (
    ACL_ALLOW_HEADERS,
    ACL_CREDENTIALS,
    ACL_EXPOSE_HEADERS,
    ACL_MAX_AGE,
    ACL_METHODS,
    ACL_ORIGIN,
    ACL_RESPONSE_PRIVATE_NETWORK,
    CONFIG_OPTIONS,
    DEFAULT_OPTIONS,
)
from crossgate.engine import Decision
from crossgate.errors import Problem, describe
from crossgate.origin_regex import foreign_regex
from crossgate.origins import OriginMatcher
from crossgate.policy import closest_name

__all__ = [
    "CONFIG_KEYS",
    "KNOWN_OPTIONS",
    "CompatPolicy",
    "Notes",
    "check_patterns",
    "compile_policy",
    "config_options",
    "probably_regex",
    "what_applies",
]


WSGIEnviron = Mapping[str, Any]

#: Every option name flask-cors knows, plus ``preflight_before_request``.
KNOWN_OPTIONS = frozenset(DEFAULT_OPTIONS)

#: ``app.config`` key -> option name.
CONFIG_KEYS: Mapping[str, str] = {
    **{key: key.removeprefix("CORS_").lower() for key in CONFIG_OPTIONS},
    "CORS_PREFLIGHT_BEFORE_REQUEST": "preflight_before_request",
}

# The characters flask-cors takes as the sign of a regular expression.
_REGEX_HINT_CHARS = frozenset("*\\]?$^[]()")
_PRIVATE_NETWORK_REQUEST = "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"
_METHOD_SEPARATORS = re.compile(r"[\s,]+")
_GLOB_SUBDOMAIN = re.compile(r"://\*\.")

_NATIVE_CREDENTIALS_FIX = (
    "crossgate.flask.CORS(app, origins=['https://app.example.com'], supports_credentials=True)"
)


def probably_regex(pattern: str) -> bool:
    """flask-cors's guess: does this string look like a regular expression?"""
    return not _REGEX_HINT_CHARS.isdisjoint(pattern)


def config_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """The flask-cors options set in an app's config (a value of ``None`` is ignored)."""
    return {
        option: value
        for key, option in CONFIG_KEYS.items()
        if (value := config.get(key)) is not None
    }


def _is_any(value: Any) -> bool:
    """Whether an ``origins``/``allow_headers`` value lets everything through."""
    return any(item in ("*", ".*") for item in _ensure_iterable(value))


def what_applies(option: str, value: Any, subject: str) -> str:
    """What *subject* does with *value* for *option*: the consequence of a misspelt name."""
    if option == "origins":
        if _is_any(value):
            return f"{subject} allows every origin (origins={describe(value)})"
        return f"{subject} allows only origins={describe(value)}"
    if option == "allow_headers" and _is_any(value):
        return f"{subject} allows every requested header (allow_headers={describe(value)})"
    if option == "supports_credentials" and not value:
        return f"{subject} does not allow credentials (supports_credentials=False)"
    return f"{subject} uses {option}={describe(value)}"


@dataclass(slots=True)
class Notes:
    """What compiling found: errors (raised together) and warnings (emitted once each)."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def unknown_options(
        self,
        options: Mapping[str, Any],
        where: str,
        effective: Mapping[str, Any],
        subject: str,
        *,
        config_may_change: bool = False,
    ) -> None:
        """Warn about names flask-cors does not know, saying what *subject* does instead, given
        the *effective* options (``config_may_change``: the app's ``CORS_*`` keys, read later,
        may still change them)."""
        for name in options:
            if name in KNOWN_OPTIONS:
                continue
            guess = closest_name(str(name), sorted(KNOWN_OPTIONS))
            head = f"{where}: flask-cors ignores the unknown option {describe(name)}"
            if guess is None:
                self.warnings.append(f"{head}; see the options in docs/migration.md")
                continue
            effect = what_applies(guess, effective.get(guess), subject)
            if config_may_change and guess not in options:
                effect += f" unless app.config['CORS_{guess.upper()}'] is set"
            self.warnings.append(f"{head}, so {effect}; did you mean {guess!r}?")

    def unknown_config_keys(self, config: Mapping[str, Any]) -> None:
        for key in config:
            if isinstance(key, str) and key.startswith("CORS_") and key not in CONFIG_KEYS:
                guess = closest_name(key, sorted(CONFIG_KEYS))
                head = f"app.config[{describe(key)}] is not a flask-cors setting"
                if guess is None:
                    self.warnings.append(
                        f"{head} and has no effect; see the CORS_* keys in docs/migration.md"
                    )
                    continue
                option = CONFIG_KEYS[guess]
                value = config.get(guess)
                effect = what_applies(
                    option, DEFAULT_OPTIONS[option] if value is None else value, "CORS"
                )
                self.warnings.append(
                    f"{head}: flask-cors ignores it, so {effect}; did you mean {guess!r}?"
                )


@dataclass(frozen=True, slots=True)
class _Patterns:
    """The compiled form of ``origins`` or ``allow_headers``."""

    any_value: bool
    literals: frozenset[str]
    regexes: tuple[re.Pattern[str], ...]
    literal_strings: tuple[str, ...]
    count: int

    @property
    def has_regex(self) -> bool:
        return self.any_value or bool(self.regexes)

    def matches(self, value: str) -> bool:
        if self.any_value or value.casefold() in self.literals:
            return True
        return any(regex.fullmatch(value) for regex in self.regexes)

    def origin_matchers(self) -> tuple[OriginMatcher, OriginMatcher]:
        """These patterns as ``origins``, compiled into the core's matchers: one for the Origin
        as sent, one for it in lower case, which holds what flask-cors compares ignoring case
        (the literals, and the regexes with ``re.IGNORECASE``, as every guessed one has)."""
        caseless = tuple(regex for regex in self.regexes if regex.flags & re.IGNORECASE)
        return (
            OriginMatcher(self.literals, any_origin=self.any_value, regexes=self.regexes),
            OriginMatcher(self.literals, regexes=caseless),
        )


def _ensure_iterable(value: Any) -> list[Any]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        return [value]
    return list(value)


def _patterns(option: str, value: Any, notes: Notes) -> _Patterns:
    items = [".*" if item == "*" else item for item in _ensure_iterable(value)]
    literals: set[str] = set()
    literal_strings: list[str] = []
    regexes: list[re.Pattern[str]] = []
    any_value = False
    for item in items:
        if isinstance(item, re.Pattern):
            if isinstance(item.pattern, str):
                regexes.append(item)
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
    return _Patterns(
        any_value, frozenset(literals), tuple(regexes), tuple(literal_strings), len(items)
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
    #: The same, compiled into the core's matcher, which answers every request ...
    matcher: OriginMatcher
    #: ... and the one asked again with an Origin that has upper-case letters.
    caseless: OriginMatcher
    allow_headers: _Patterns
    #: ``origins='*'`` with ``send_wildcard``: every request with an Origin gets ``*``.
    answers_wildcard: bool
    #: The ``Access-Control-Allow-Origin`` value sent when the request has no Origin.
    no_origin_answer: str | None
    #: Sent after ``Access-Control-Allow-Origin`` on every matched response.
    matched_headers: tuple[Header, ...]
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
        ``crossgate.engine.apply``: its ``Vary: Origin`` is a line of its own among the headers
        (flask-cors never merges it), so ``vary`` is unset."""
        if method != "OPTIONS" and _PRIVATE_NETWORK_REQUEST not in environ:
            simple = self.simple_answers.get(origin)
            if simple is not None:
                return simple
        if origin:
            if CONTROL.search(origin):
                # Echoed, CR/LF would split the response (flask-cors answers a 500).
                return _REFUSED
            if self.answers_wildcard:
                allowed = "*"
            elif self.matcher.match(origin) is True or (
                origin != (lowered := origin.lower()) and self.caseless.match(lowered) is True
            ):
                allowed = origin
            else:
                return _REFUSED
        elif self.no_origin_answer is None:
            return _REFUSED
        else:
            allowed = self.no_origin_answer
        headers = [(ACL_ORIGIN, allowed), *self.matched_headers]
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

    def headers_for(
        self, origin: str | None, method: str, environ: WSGIEnviron
    ) -> tuple[Header, ...]:
        """The CORS headers flask-cors would add to the response of this request, in its order."""
        return self.decide(origin, method, environ).headers


def _decision(headers: tuple[Header, ...]) -> Decision:
    return Decision(bool(headers), headers)


_REFUSED = _decision(())


def check_patterns(options: Mapping[str, Any], notes: Notes) -> None:
    """Problems in the ``origins`` and ``allow_headers`` patterns that *options* names."""
    for option in ("origins", "allow_headers"):
        if option in options:
            _patterns(option, options[option], notes)


def compile_policy(options: Mapping[str, Any], notes: Notes) -> CompatPolicy | None:
    """Compile merged options (defaults included); ``None`` when *notes* gained a problem."""
    start = len(notes.problems)
    origins = _patterns("origins", options.get("origins"), notes)
    allow_headers = _patterns("allow_headers", options.get("allow_headers"), notes)
    credentials = bool(options.get("supports_credentials"))
    send_wildcard = bool(options.get("send_wildcard"))
    if origins.any_value and credentials:
        if send_wildcard:
            notes.problems.append(
                Problem(
                    "supports_credentials",
                    True,
                    "cannot be used with origins='*' and send_wildcard=True "
                    "(browsers refuse '*' with credentials)",
                    "list the trusted origins",
                )
            )
        else:
            notes.warnings.append(
                "origins='*' with supports_credentials=True echoes every Origin with "
                "Access-Control-Allow-Credentials: true: any site can read responses made with the "
                "user's cookies. List the trusted sites, e.g. natively: " + _NATIVE_CREDENTIALS_FIX
            )
    for regex in origins.regexes:
        if _GLOB_SUBDOMAIN.search(regex.pattern):
            notes.warnings.append(
                f"origins={describe(regex.pattern)} is a regular expression to flask-cors, not a "
                "subdomain pattern: it matches no subdomain. Write r'https://.*\\.example\\.com', "
                "or natively "
                "crossgate.flask.CORS(app, origins=['https://*.example.com'])"
            )
        elif (loose := foreign_regex(regex)) is not None:
            # Kept as flask-cors guesses it, but judged as crossgate judges its own regexes.
            notes.warnings.append(
                f"origins={describe(regex.pattern)} also lets in {loose.example!r}, a site of a "
                "registrable domain the pattern does not name, which anyone can register. Name "
                "your domain after a '\\.', like r'https://[a-z0-9-]+\\.example\\.com'"
            )
    if len(notes.problems) > start:
        return None

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
    if credentials:
        matched.append((ACL_CREDENTIALS, "true"))

    no_origin_answer: str | None = None
    if options.get("always_send"):
        if origins.any_value:
            no_origin_answer = None if credentials else "*"
        elif origins.literal_strings:
            no_origin_answer = min(origins.literal_strings)

    answers_wildcard = origins.any_value and send_wildcard
    varies = bool(options.get("vary_header")) and (origins.count > 1 or origins.has_regex)

    def answer(allowed: str) -> tuple[Header, ...]:
        vary = (("Vary", "Origin"),) if varies and allowed != "*" else ()
        return ((ACL_ORIGIN, allowed), *matched, *vary)

    # A literal is allowed exactly as written; other spellings of it take the general path.
    simple_answers: dict[str | None, Decision] = {
        literal: _decision(answer(literal))
        for literal in ([] if answers_wildcard else origins.literal_strings)
        if literal
    }
    simple_answers[None] = _decision(() if no_origin_answer is None else answer(no_origin_answer))

    matcher, caseless = origins.origin_matchers()
    return CompatPolicy(
        origins=origins,
        matcher=matcher,
        caseless=caseless,
        allow_headers=allow_headers,
        answers_wildcard=answers_wildcard,
        no_origin_answer=no_origin_answer,
        matched_headers=tuple(matched),
        private_network_answer="true" if options.get("allow_private_network") else "false",
        methods=methods,
        preflight_headers=tuple(preflight),
        varies=varies,
        automatic_options=bool(options.get("automatic_options")),
        intercept_exceptions=bool(options.get("intercept_exceptions")),
        preflight_before_request=bool(options.get("preflight_before_request")),
        simple_answers=simple_answers,
    )
