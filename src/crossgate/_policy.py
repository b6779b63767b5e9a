"""CORSPolicy: user options turned, once, into a validated, immutable, precompiled policy.

Everything the per-request path needs is computed here: the origin matcher, frozen sets of
allowed methods and headers, and the response header tuples, joined and ready to append.
Every problem in the options is collected and raised together as one ``ConfigError``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from crossgate._engine import Decision
from crossgate._fetch import ACAC as ACAC
from crossgate._fetch import ACAH as ACAH
from crossgate._fetch import ACAM as ACAM
from crossgate._fetch import ACAO as ACAO
from crossgate._fetch import ACAPN as ACAPN
from crossgate._fetch import ACEH as ACEH
from crossgate._fetch import ACMA as ACMA
from crossgate._http import Header
from crossgate._option_values import (
    DEFAULT_MAX_AGE,
    allow_headers_option,
    check_bool,
    expose_headers_option,
    max_age_option,
    methods_option,
)
from crossgate._origin_regex import any_host_problem, wide_regex
from crossgate._origins import OriginMatcher, compile_origins, insecure_origins
from crossgate.errors import ConfigError, Problem, closest_name

__all__ = [
    "DEFAULT_MAX_AGE",
    "OPTION_NAMES",
    "ORIGIN_BOUND_OPTIONS",
    "CORSPolicy",
    "ConfigError",
    "Problem",
    "build_policy",
    "check_options",
    "check_unknown",
    "merge_levels",
    "misspelt",
]


#: Every option the native API accepts. ``resources`` is handled by the adapter (it names paths).
OPTION_NAMES = (
    "origins",
    "methods",
    "allow_headers",
    "expose_headers",
    "supports_credentials",
    "max_age",
    "resources",
    "allow_private_network",
    "allow_null_origin",
    "allow_insecure_http_origins",
    "allow_regex_wildcards",
)

#: The options that loosen who may read. Each belongs to the level that names ``origins``: it is
#: read from that level alone and never inherited, so a broad level's consent (to ``null``, to
#: plain http with credentials, to a loose regex) never reaches a narrower level's own origins.
ORIGIN_BOUND_OPTIONS = ("allow_null_origin", "allow_insecure_http_origins", "allow_regex_wildcards")


@dataclass(frozen=True, slots=True)
class CORSPolicy:
    """A compiled CORS policy. Build it with ``build_policy``; never mutate it.

    The ``*_headers`` tuples are appended as they are to responses, so the hot path neither
    formats nor joins anything.
    """

    origins: OriginMatcher
    allowed_methods: frozenset[str] | None
    allowed_headers: frozenset[str] | None
    supports_credentials: bool
    max_age: int
    allow_private_network: bool
    expose_headers: tuple[str, ...]
    allow_headers_value: str | None
    source: str = "app"
    #: The level whose ``origins`` decided, and where it was declared when known (refusals
    #: name it); empty when the policy has one level only.
    origins_source: str = field(default="", compare=False)
    #: Headers sent after ACAO on an allowed actual response.
    actual_headers: tuple[Header, ...] = field(default=(), compare=False)
    #: Headers sent after ACAO and ACAM/ACAH on an allowed preflight.
    preflight_headers: tuple[Header, ...] = field(default=(), compare=False)
    #: The engine's whole answer to an actual request from each exact origin, and for ``*``
    #: (every origin): built here, so those requests cost one look-up.
    answers: Mapping[str, Decision] = field(default_factory=dict, compare=False)

    @property
    def varies(self) -> bool:
        """Whether ``Access-Control-Allow-Origin`` depends on the request's Origin."""
        return self.origins.varies

    def headers_for(self, origin: str) -> tuple[Header, ...]:
        """The CORS headers for an actual response to an allowed *origin*."""
        found = self.answers.get(origin)
        if found is not None:
            return found.headers
        return ((ACAO, origin), *self.actual_headers)

    def summary(self) -> dict[str, object]:
        """The effective policy, for display (``flask crossgate routes``)."""
        methods, headers = self.allowed_methods, self.allow_headers_value
        return {
            "origins": self.origins.summary(),
            "methods": "route's own" if methods is None else sorted(methods),
            "allow_headers": "* (requested names, validated)" if headers is None else headers,
            "expose_headers": list(self.expose_headers),
            "supports_credentials": self.supports_credentials,
            "max_age": self.max_age,
            "allow_private_network": self.allow_private_network,
            "source": self.source,
        }


def check_unknown(
    options: Mapping[str, object], valid: Iterable[str] = OPTION_NAMES
) -> list[Problem]:
    """A problem for every option name that is not valid, with the closest valid name.

    The value of a misspelt option is judged as the option it most likely meant, so fixing the
    name does not reveal a second round of problems (``origin='localhost'`` is reported as a
    misspelling and as not being an origin).
    """
    valid = tuple(valid)
    problems = []
    for name in options:
        if name not in valid:
            guess = closest_name(name, valid)
            fix = f"did you mean {guess!r}?" if guess else f"use one of {', '.join(valid)}"
            problems.append(Problem(name, options[name], "is not a crossgate option", fix))
            if guess in OPTION_NAMES and guess not in options and guess != "resources":
                problems.extend(
                    Problem(f"{name} (read as {guess})", found.value, found.message, found.fix)
                    for found in check_options({guess: options[name]})
                    if found.option == guess
                )
    return problems


def misspelt(options: Mapping[str, object], name: str) -> bool:
    """Whether an unknown option in *options* is most likely *name* misspelt."""
    return any(
        key not in OPTION_NAMES and closest_name(key, OPTION_NAMES) == name for key in options
    )


def check_options(options: Mapping[str, object], *, require_origins: bool = False) -> list[Problem]:
    """Every problem in *options* (one level's) that does not need the merged configuration.

    Used where options are declared (a decorator, a blueprint) so mistakes surface at import
    time even though the final policy is compiled once the app's own options are known.
    *require_origins*: a missing ``origins`` is a problem too (unless a misspelt name meant it).
    """
    problems = check_unknown(options)
    require_origins = require_origins and not misspelt(options, "origins")
    if "origins" not in options:
        for name in ORIGIN_BOUND_OPTIONS:
            if options.get(name):
                problems.append(
                    Problem(
                        name,
                        options[name],
                        "loosens the origins of the level that names them, and this level "
                        "names no origins (consent is never inherited)",
                        f"pass {name}=True in the same call as the origins it is about",
                    )
                )
    _compile(options, problems, require_origins=require_origins)
    return problems


def merge_levels(levels: Iterable[Mapping[str, object]]) -> dict[str, object]:
    """The options of several levels, broadest first, merged into one mapping.

    Each level overrides the options it names and inherits the rest, except where that would
    loosen a narrower level's own origins:

    - a level that names ``origins`` starts without any ``ORIGIN_BOUND_OPTIONS``: only its own
      count;
    - a level whose origins admit every origin (``'*'``, or a regex matching any host) and that
      does not name ``supports_credentials`` is a public, credential-less API: it does not inherit
      credentials. Naming ``supports_credentials=True`` there stays an error.
    """
    merged: dict[str, object] = {}
    for options in levels:
        if "origins" in options:
            for name in ORIGIN_BOUND_OPTIONS:
                merged.pop(name, None)
            if "supports_credentials" not in options and _admits_every_origin(options["origins"]):
                merged.pop("supports_credentials", None)
        merged.update(options)
    return merged


def _admits_every_origin(origins: object) -> bool:
    """Whether the ``origins`` option lets every site read: ``'*'``, or a regex admitting any
    host. Judged without compiling the rest: it runs for every level of every route."""
    if isinstance(origins, (str, re.Pattern)) or not isinstance(origins, Iterable):
        entries: Iterable[object] = [origins]
    else:
        entries = origins
    return any(
        entry == "*"
        or (isinstance(entry, re.Pattern) and isinstance(entry.pattern, str) and wide_regex(entry))
        for entry in entries
    )


def build_policy(
    options: Mapping[str, object], *, source: str = "app", origins_source: str = ""
) -> CORSPolicy:
    """Compile *options* (already merged across levels) into a policy, or raise ConfigError.
    *origins_source* names the level whose ``origins`` these are (``CORSPolicy.origins_source``).
    """
    problems = check_unknown(options)
    policy = _compile(options, problems, require_origins=True, source=source)
    if problems or policy is None:
        raise ConfigError(problems, context=source)
    if origins_source:
        policy = replace(policy, origins_source=origins_source)
    return policy


def _compile(
    options: Mapping[str, object],
    problems: list[Problem],
    *,
    require_origins: bool,
    source: str = "app",
) -> CORSPolicy | None:
    start = len(problems)
    credentials = check_bool(options, "supports_credentials", problems)
    allow_null = check_bool(options, "allow_null_origin", problems)
    allow_pna = check_bool(options, "allow_private_network", problems)
    allow_http = check_bool(options, "allow_insecure_http_origins", problems)
    allow_wildcards = check_bool(options, "allow_regex_wildcards", problems)
    methods = methods_option(options.get("methods"), problems)
    allowed_headers, allow_headers_value = allow_headers_option(
        options.get("allow_headers"), problems
    )
    exposed = expose_headers_option(options.get("expose_headers"), credentials, problems)
    max_age = max_age_option(options.get("max_age"), problems)

    matcher: OriginMatcher | None = None
    if "origins" not in options or options["origins"] is None:
        if require_origins:
            problems.append(
                Problem(
                    "origins",
                    None,
                    "no origins were given; crossgate has no default because any default is "
                    "wrong for someone",
                    "list the sites that may read responses, like "
                    "origins=['https://app.example.com'], or write origins='*' to allow every site "
                    "(for a public API read without credentials)",
                )
            )
    else:
        matcher, origin_problems = compile_origins(
            options["origins"], allow_null=allow_null, allow_regex_wildcards=allow_wildcards
        )
        problems.extend(origin_problems)
    if matcher is not None and credentials:
        wide = any_host_problem(matcher)
        if wide is not None:
            problems.append(wide)
        elif matcher.any_origin:
            problems.append(
                Problem(
                    "origins",
                    "*",
                    "'*' with supports_credentials=True would let every site read responses "
                    "made with the user's cookies",
                    "list the trusted origins, or drop supports_credentials for a public API",
                )
            )
        insecure = insecure_origins(matcher)
        if insecure and not allow_http:
            problems.append(
                Problem(
                    "origins",
                    insecure,
                    "plain-http origins with supports_credentials=True can be impersonated by "
                    "anyone on the network path",
                    "use https, or pass allow_insecure_http_origins=True if you accept that risk",
                )
            )
    if len(problems) > start or matcher is None:
        return None
    return _assemble(
        matcher,
        methods,
        allowed_headers,
        allow_headers_value,
        exposed,
        credentials,
        max_age,
        allow_pna,
        source,
    )


def _assemble(
    matcher: OriginMatcher,
    methods: frozenset[str] | None,
    allowed_headers: frozenset[str] | None,
    allow_headers_value: str | None,
    exposed: tuple[str, ...],
    credentials: bool,
    max_age: int,
    allow_pna: bool,
    source: str,
) -> CORSPolicy:
    actual: list[Header] = []
    if credentials:
        actual.append((ACAC, "true"))
    if exposed:
        actual.append((ACEH, ", ".join(exposed)))
    preflight: list[Header] = []
    if credentials:
        preflight.append((ACAC, "true"))
    preflight.append((ACMA, str(max_age)))
    actual_headers = tuple(actual)
    answers: dict[str, Decision] = {}
    if matcher.any_origin:
        # The same for every request, with or without an Origin: no Vary.
        answers["*"] = Decision(True, ((ACAO, "*"), *actual_headers))
    for origin in matcher.exact:
        answers[origin] = Decision(True, ((ACAO, origin), *actual_headers), "Origin")
    return CORSPolicy(
        origins=matcher,
        allowed_methods=methods,
        allowed_headers=allowed_headers,
        supports_credentials=credentials,
        max_age=max_age,
        allow_private_network=allow_pna,
        expose_headers=exposed,
        allow_headers_value=allow_headers_value,
        source=source,
        actual_headers=actual_headers,
        preflight_headers=tuple(preflight),
        answers=answers,
    )
