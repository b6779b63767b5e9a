"""How the Starlette drop-in reads Starlette's options: the drop-in rule, and Starlette's values.

The rule: the drop-in starts wherever Starlette starts. Where Starlette's behaviour is a
vulnerability (every origin, by ``'*'`` or a regex admitting every host, or a regex admitting a
domain it does not name, together with credentials) it takes the safe reading: credentials
only for the origins someone listed, the credential-less answer for every other site, and one
warning with the fix, on the ``crossgate.compat.starlette`` logger and as
``StarletteCompatWarning``.
``unsafe_any_origin_with_credentials=True`` keeps Starlette's behaviour, and is logged. Every
other configuration crossgate's own API refuses keeps the app starting too: an entry that can
never match is dropped, a risky origin is taken as Starlette takes it; each is warned with its
fix. Only what Starlette itself refuses (a regex that does not compile) is a ``ConfigError``.
"""

from __future__ import annotations

import importlib.metadata
import logging
import re
import warnings
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from crossgate._origin_matcher import WideRegex
from crossgate._origin_regex import credentials_fix, foreign_regex, wide_regex
from crossgate._policy import ORIGIN_BOUND_OPTIONS, CORSPolicy
from crossgate.asgi._cors import compile_policy
from crossgate.errors import ConfigError, Problem

WHERE = "crossgate.compat.starlette.CORSMiddleware"
#: The keyword that keeps Starlette's any-origin-with-credentials behaviour.
UNSAFE_KEYWORD = "unsafe_any_origin_with_credentials"
#: Starlette always allows these request headers, whatever ``allow_headers`` says.
SAFELISTED_HEADERS = frozenset({"Accept", "Accept-Language", "Content-Language", "Content-Type"})
_PREFLIGHT_VARY = (
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
    "Access-Control-Request-Private-Network"
)

logger = logging.getLogger("crossgate.compat.starlette")


def _starlette_version() -> tuple[int, ...]:
    try:
        version = importlib.metadata.version("starlette")
    except importlib.metadata.PackageNotFoundError:
        return (99,)  # answer as the newest Starlette does
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


_VERSION = _starlette_version()
#: Starlette 1.7 added ``Vary: Origin`` to every response (refused, without Origin, ``'*'``)
#: and the request headers to every preflight's Vary; before, only an echoed origin varied.
VARY_ALWAYS = _VERSION >= (1, 7)
#: Since Starlette 1.0, ``'*'`` echoes the origin when ``allow_credentials=True`` (and sets
#: ``self.allow_credentials``); before, when the request carried a ``Cookie`` header, with
#: ``Access-Control-Allow-Credentials`` only if ``allow_credentials=True``.
CREDENTIALS_ECHO = _VERSION >= (1, 0)
#: Starlette 0.51 added ``allow_private_network`` (argument and attribute) and refuses a
#: private-network preflight without it; before, the request header was not looked at.
PRIVATE_NETWORK = _VERSION >= (0, 51)


class StarletteCompatWarning(UserWarning):
    """A Starlette configuration the drop-in serves, but not the way Starlette would: the
    message says what it does instead and the fix."""


@dataclass(frozen=True, slots=True)
class Reading:
    """The options as the drop-in serves them: ``policy`` answers the origins listed (with
    credentials when asked); ``open_policy``, when set, answers every other site without
    credentials (with them when ``credentials_for_all``, the unsafe keyword)."""

    policy: CORSPolicy
    open_policy: CORSPolicy | None
    credentials_for_all: bool


def starlette_attributes(
    allow_origins: Collection[str],
    allow_methods: Collection[str],
    allow_headers: Collection[str],
    allow_credentials: bool,
    allow_origin_regex: re.Pattern[str] | None,
    allow_private_network: bool,
    expose_headers: Collection[str],
    max_age: int,
    all_methods: tuple[str, ...],
) -> dict[str, object]:
    """The instance attributes the installed Starlette's constructor sets, with the values it
    computes (subclasses and introspecting code read them)."""
    methods = all_methods if "*" in allow_methods else allow_methods
    all_origins = "*" in allow_origins
    all_headers = "*" in allow_headers
    explicit = not all_origins or allow_credentials
    simple: dict[str, str] = {}
    if all_origins:
        simple["Access-Control-Allow-Origin"] = "*"
    if allow_credentials:
        simple["Access-Control-Allow-Credentials"] = "true"
    if expose_headers:
        simple["Access-Control-Expose-Headers"] = ", ".join(expose_headers)
    preflight: dict[str, str] = {}
    if VARY_ALWAYS:
        preflight["Vary"] = _PREFLIGHT_VARY
    elif explicit:
        preflight["Vary"] = "Origin"
    if not explicit:
        preflight["Access-Control-Allow-Origin"] = "*"
    preflight["Access-Control-Allow-Methods"] = ", ".join(methods)
    preflight["Access-Control-Max-Age"] = str(max_age)
    headers = sorted(SAFELISTED_HEADERS | set(allow_headers))
    if headers and not all_headers:
        preflight["Access-Control-Allow-Headers"] = ", ".join(headers)
    if allow_credentials:
        preflight["Access-Control-Allow-Credentials"] = "true"
    attributes: dict[str, object] = {
        "allow_origins": allow_origins,
        "allow_methods": methods,
        "allow_headers": [name.lower() for name in headers],
        "allow_all_origins": all_origins,
        "allow_all_headers": all_headers,
        "preflight_explicit_allow_origin": explicit,
        "allow_origin_regex": allow_origin_regex,
        "simple_headers": simple,
        "preflight_headers": preflight,
    }
    # Only the versions that have them set these two.
    later = {
        "allow_credentials": (CREDENTIALS_ECHO, allow_credentials),
        "allow_private_network": (PRIVATE_NETWORK, allow_private_network),
    }
    attributes.update({name: value for name, (present, value) in later.items() if present})
    return attributes


_RE_COMPILE = re.compile(r"""re\.compile\((r?(["'])(?:\\.|(?!\2).)*\2)\)""")


def renamed(problem: Problem) -> Problem:
    """*problem* in Starlette's option names, with the value the user wrote."""
    names = {"origins": "allow_origins", "methods": "allow_methods"}
    option = names.get(problem.option, problem.option)
    value = problem.value
    if isinstance(value, re.Pattern):
        option, value = "allow_origin_regex", value.pattern
    message, fix = (
        _RE_COMPILE.sub(r"\1", text).replace("supports_credentials", "allow_credentials")
        for text in (problem.message, problem.fix)
    )
    return Problem(option, value, message, fix)


def _relax(options: dict[str, object], problem: Problem) -> bool:
    """Change *options* the way Starlette reads what *problem* refuses; ``False`` when
    Starlette refuses it too."""
    for consent in ORIGIN_BOUND_OPTIONS:
        if f"{consent}=True" in problem.fix and not options[consent]:
            options[consent] = True
            return True
    listed = options.get(problem.option)
    if isinstance(listed, list) and problem.value in listed:
        options[problem.option] = [entry for entry in listed if entry != problem.value]
        return True
    return False


def _compile(options: dict[str, object], notes: list[Problem]) -> CORSPolicy:
    """*options* compiled, each problem Starlette would not refuse relaxed into a note."""
    for _ in range(len(ORIGIN_BOUND_OPTIONS) + 2):
        try:
            return compile_policy(options, WHERE)
        except ConfigError as error:
            kept = [problem for problem in error.problems if not _relax(options, problem)]
            if kept:
                raise ConfigError([renamed(problem) for problem in kept], context=WHERE) from None
            notes.extend(error.problems)
    raise ConfigError([renamed(problem) for problem in notes], context=WHERE)  # pragma: no cover


def _note(problem: Problem) -> str:
    shown = renamed(problem)
    return (
        f"{WHERE}: {shown.option}={shown.value!r} {shown.message}; the app starts as Starlette "
        f"would serve it. Fix: {shown.fix}"
    )


def _any_origin_note(wide: str) -> str:
    return (
        f"{WHERE}: {wide} with allow_credentials=True would let every site read responses made "
        "with the user's cookies; crossgate sends credentials only to the origins listed in "
        "allow_origins and the credential-less answer to every other site. Fix: list the "
        "trusted origins, like allow_origins=['https://app.example.com'], or drop "
        "allow_credentials=True for a public API; to keep Starlette's behaviour, pass "
        f"{UNSAFE_KEYWORD}=True"
    )


def _loose_regex_note(loose: WideRegex) -> str:
    fix = renamed(Problem("origins", loose.pattern, "", credentials_fix(loose))).fix
    return (
        f"{WHERE}: allow_origin_regex={loose.pattern.pattern!r} with allow_credentials=True "
        f"would let {loose.example!r}, a site anyone can register, read responses made with "
        "the user's cookies; crossgate answers the origins this regex matches without "
        "credentials, and sends credentials only to the origins listed in allow_origins. "
        f"Fix: {fix}; to keep Starlette's behaviour, pass {UNSAFE_KEYWORD}=True"
    )


def read(
    origins: list[str],
    regex: re.Pattern[str] | None,
    options: Mapping[str, object],
    predicate: object | None,
    unsafe: bool,
    *,
    warn: bool = True,
) -> Reading:
    """The drop-in's reading of Starlette's options (crossgate's names in *options*, the
    origins apart); *predicate* is a subclass's ``is_allowed_origin``. Warns as the module
    says, once for each thing (*warn* false: not at all, for a second reading of the same
    options); raises ``ConfigError`` only for what Starlette refuses too."""
    credentials = options["supports_credentials"] is True
    listed: list[object] = [origin for origin in origins if origin != "*"]
    wide: list[object] = []
    # A regex that lets in a site nobody named is, with credentials, what '*' is: each is one
    # warning and the safe reading, never a refusal of the consent and then of the regex.
    any_host = regex is not None and wide_regex(regex) is not None
    loose = foreign_regex(regex) if regex is not None and not any_host else None
    if "*" in origins:
        wide.append("*")
    elif regex is not None and credentials and (any_host or loose is not None):
        wide.append(regex)
    elif regex is not None:
        listed.append(regex)
    if not credentials and wide:
        listed, wide = wide, []  # '*' answers everyone alike, and Starlette ignores the rest
    if predicate is not None:
        listed = [predicate]
    notes: list[Problem] = []
    policy = _compile({**options, "origins": listed}, notes)
    open_policy = None
    messages = [_note(problem) for problem in notes]
    if wide:
        plain = {**options, "origins": wide, "supports_credentials": False}
        plain["allow_regex_wildcards"] = True
        open_policy = _compile(plain, [])
        shown = "allow_origins=['*']"
        if regex is not None and "*" not in wide:
            shown = f"allow_origin_regex={regex.pattern!r}"
        loose = None if "*" in wide else loose
        if unsafe and warn:
            logger.warning(
                "%s: %s=True: %s with allow_credentials=True lets %s read responses made with "
                "the user's cookies, as in Starlette",
                WHERE,
                UNSAFE_KEYWORD,
                shown,
                "every site" if loose is None else "sites nobody listed",
            )
        elif not unsafe:
            messages.insert(
                0, _any_origin_note(shown) if loose is None else _loose_regex_note(loose)
            )
    for message in dict.fromkeys(messages) if warn else ():
        logger.warning("%s", message)
        warnings.warn(message, StarletteCompatWarning, stacklevel=3)
    return Reading(policy, open_policy, credentials_for_all=unsafe and bool(wide))
