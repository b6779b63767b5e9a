"""The route table an export is written from: every URL rule of a Flask app as a proxy location,
with the CORS policy, the methods and the header policy the app gives its requests.

Built from the app's resolved state (``AppState.resolve``), the same tables the WSGI edge reads,
so the proxy and the app cannot disagree about which policy covers a route. Everything a proxy
cannot do as the app does is collected as a :class:`Refusal` naming the route and the option, and
raised together in one :class:`ExportError` before anything is written.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from crossgate._fetch import NORMALIZED_METHODS
from crossgate._origin_matcher import OriginMatcher, callable_name
from crossgate.engine import decide_preflight
from crossgate.errors import ConfigError
from crossgate.export._regex import Engine, engine_problem, translated
from crossgate.flask.state import AppState, has_decorated_views
from crossgate.policy import ACAM, CORSPolicy

if TYPE_CHECKING:
    from flask import Flask
    from werkzeug.routing import MapAdapter, Rule

    from crossgate.headers import HeaderPolicy

__all__ = [
    "ExportError",
    "ExportTable",
    "Location",
    "MethodAnswer",
    "Refusal",
    "build_table",
    "method_answers",
]


@dataclass(frozen=True, slots=True)
class Refusal:
    """Something the proxy cannot do as the app does: where, which option, and why."""

    route: str
    option: str
    message: str

    def __str__(self) -> str:
        return f"{self.route}: {self.option} {self.message}"


class ExportError(Exception):
    """Every refusal found in an app, raised before any configuration is written."""

    def __init__(self, refusals: Iterable[Refusal]) -> None:
        self.refusals = tuple(refusals)
        lines = "\n".join(f"  - {refusal}" for refusal in self.refusals)
        super().__init__(f"the proxy cannot answer as the app does:\n{lines}")


@dataclass(frozen=True, slots=True)
class Location:
    """One proxy location: the requests of one URL rule (all its methods)."""

    number: int
    #: Paths matched exactly: a static rule's, and the path it is redirected from (a missing
    #: trailing slash). Empty for a rule with variables.
    exact_paths: tuple[str, ...]
    #: The anchored path regex of a rule with variables; None for a static rule.
    regex: str | None
    #: The rule and its endpoint(s), for the comment above the location.
    label: str
    #: The index of its CORS policy in ``ExportTable.policies``; None: no CORS policy covers it.
    cors: int | None
    #: The methods a preflight may name on this path (the route's, as the edge computes them).
    methods: frozenset[str]
    headers: HeaderPolicy | None


@dataclass(frozen=True, slots=True)
class ExportTable:
    """What the writers read: the distinct CORS policies and the locations that use them."""

    policies: tuple[CORSPolicy, ...]
    locations: tuple[Location, ...]
    #: Whether the edge answers preflights at all (only when some CORS policy is declared).
    answers_preflights: bool
    https_redirect: bool


class MethodAnswer(NamedTuple):
    """How a preflight's Access-Control-Request-Method is answered on a location.

    ``regex`` matches the requested method; ``allow_methods`` is the Access-Control-Allow-Methods
    value (empty: none sent); with ``spelled`` the browser's own spelling is appended to it
    (``patch`` for PATCH, see ``decide_preflight``).
    """

    regex: str
    allow_methods: str
    spelled: bool


def method_answers(policy: CORSPolicy, methods: frozenset[str]) -> list[MethodAnswer]:
    """Every requested method *policy* allows on a route with *methods*, asked of the engine
    itself (with an origin it allows), so the proxy lists exactly what the app lists."""
    anyone = dataclasses.replace(policy, origins=OriginMatcher(frozenset(), any_origin=True))
    candidates = sorted(methods | (policy.allowed_methods or frozenset()))
    answers = []
    for method in candidates:
        decision = decide_preflight(anyone, "https://a.example", method, None, methods)
        if decision.allowed:
            value = dict(decision.headers).get(ACAM, "")
            answers.append(MethodAnswer(f"^{re.escape(method)}$", value, spelled=False))
    for method in candidates:
        if method.upper() == method and method not in NORMALIZED_METHODS:
            decision = decide_preflight(anyone, "https://a.example", method.lower(), None, methods)
            if decision.allowed:
                value = dict(decision.headers).get(ACAM, "").rpartition(", ")[0]
                answers.append(MethodAnswer(f"(?i)^{re.escape(method)}$", value, spelled=True))
    return answers


def _resolved_state(app: Flask) -> AppState:
    state = app.extensions.get("crossgate")
    if isinstance(state, AppState):
        return state
    if state is None and has_decorated_views(app):
        return AppState()
    raise ExportError(
        [
            Refusal(
                "app",
                "CORS",
                "is not set up with crossgate's native API: call CORS(app, origins=[...]) or "
                "Headers(app), or use @cross_origin",
            )
        ]
    )


def _path_regex(rule: Rule, engine: Engine, refusals: list[Refusal]) -> str:
    """*rule*'s path as an anchored regex (a trailing slash optional: Werkzeug redirects)."""
    parts = []
    trace = rule._trace[1:]  # the first element is the host part's end marker
    for dynamic, data in trace:
        if not dynamic:
            parts.append(re.escape(data))
            continue
        converter = rule._converters[data]
        compiled = re.compile(converter.regex)
        problem = engine_problem(compiled, engine)
        if problem is not None:
            refusals.append(Refusal(rule.rule, f"converter of <{data}>", problem))
        parts.append(translated(compiled))
    text = "".join(parts)
    if rule.strict_slashes and text.endswith("/") and len(text) > 1:
        text += "?"
    return f"^{text}$"


def _order(rule: Rule) -> list[tuple[bool, object]]:
    """Werkzeug's preference among rules with variables: static parts first, then converter
    weights; the proxy tries regex locations in this order."""
    return [(not part.static, part.weight) for part in rule._parts]


def _check_policy(route: str, policy: CORSPolicy, engine: Engine, refusals: list[Refusal]) -> None:
    for check in policy.origins.predicates:
        refusals.append(
            Refusal(
                route,
                "origins",
                f"includes the callable {callable_name(check)}(), which only the app can call; "
                "list the origins, or keep CORS in the app for this route",
            )
        )
    for regex in policy.origins.regexes:
        problem = engine_problem(regex, engine)
        if problem is not None:
            refusals.append(
                Refusal(route, "origins", f"re.compile({regex.pattern!r}) {problem}; rewrite it")
            )
    if engine == "pcre":
        named = [*policy.expose_headers, *sorted(policy.allowed_headers or ())]
        for name in named:
            if "$" in name:
                refusals.append(
                    Refusal(
                        route, "headers", f"{name!r} contains '$', which nginx reads as a variable"
                    )
                )


def _governed(
    adapter: MapAdapter, path: str, resolved_for: dict[int, CORSPolicy | None]
) -> tuple[frozenset[str], set[int]]:
    """The methods of a static *path* and the identities of the policies they are under."""
    methods = frozenset(adapter.allowed_methods(path))
    policies = set()
    for method in methods:
        try:
            rule, _ = adapter.match(path, method=method, return_rule=True)
        except (HTTPException, RequestRedirect):
            continue
        policies.add(id(resolved_for.get(id(rule))))
    return methods, policies


def build_table(app: Flask, engine: Engine) -> ExportTable:
    """The export table of *app*, or ExportError with every refusal found."""
    state = _resolved_state(app)
    try:
        resolved = state.resolved or state.resolve(app)
    except ConfigError as error:
        raise ExportError([Refusal("app", "configuration", str(error))]) from None
    refusals: list[Refusal] = []
    if app.url_map.host_matching or any(rule.subdomain for rule in app.url_map.iter_rules()):
        refusals.append(
            Refusal("app", "host routes", "are not exported: one server block serves one host")
        )
    adapter = app.url_map.bind("localhost")
    groups: dict[str, list[Rule]] = {}
    for rule in app.url_map.iter_rules():
        groups.setdefault(rule.rule, []).append(rule)
    cors_of: dict[int, CORSPolicy | None] = {}
    for rule in app.url_map.iter_rules():
        entry = resolved.rules[id(rule)]
        if entry.dynamic is not None:
            refusals.append(
                Refusal(
                    rule.rule,
                    "resources",
                    "rules cover its paths differently (its policy depends on the value of a "
                    "variable); give those paths their own URL rule",
                )
            )
        cors_of[id(rule)] = entry.cors
    policies: list[CORSPolicy] = []
    locations: list[Location] = []
    static = sorted(path for path, rules in groups.items() if not rules[0].arguments)
    dynamic = sorted(
        (path for path, rules in groups.items() if rules[0].arguments),
        key=lambda path: _order(groups[path][0]),
    )
    for path in [*static, *dynamic]:
        rules = groups[path]
        first = rules[0]
        entry = resolved.rules[id(first)]
        label = f"{path} ({', '.join(sorted({rule.endpoint for rule in rules}))})"
        if (
            len({id(cors_of[id(rule)]) for rule in rules}) > 1
            or len({id(resolved.rules[id(rule)].headers) for rule in rules}) > 1
        ):
            refusals.append(
                Refusal(path, "policies", "differ by method on one path; the export needs one")
            )
        if first.arguments:
            methods = frozenset(method for rule in rules for method in rule.methods or ())
            exact: tuple[str, ...] = ()
            regex: str | None = _path_regex(first, engine, refusals)
        else:
            methods, under = _governed(adapter, path, cors_of)
            if len(under) > 1:
                refusals.append(
                    Refusal(path, "policies", "differ by method on one path; the export needs one")
                )
            exact, regex = (path, *_redirected_from(adapter, path, methods)), None
        cors: int | None = None
        if entry.cors is not None:
            _check_policy(path, entry.cors, engine, refusals)
            known = [index for index, known in enumerate(policies) if known is entry.cors]
            cors = known[0] if known else len(policies)
            if not known:
                policies.append(entry.cors)
        locations.append(
            Location(len(locations) + 1, exact, regex, label, cors, methods, entry.headers)
        )
    if refusals:
        raise ExportError(dict.fromkeys(refusals))  # each once, in the order found
    return ExportTable(
        tuple(policies), tuple(locations), bool(resolved.policies), resolved.https_redirect
    )


def _redirected_from(adapter: MapAdapter, path: str, methods: frozenset[str]) -> list[str]:
    """The path without its trailing slash, when Werkzeug redirects it to *path*."""
    if not path.endswith("/") or path == "/":
        return []
    bare = path.rstrip("/")
    for method in sorted(methods):
        try:
            adapter.match(bare, method=method)
        except RequestRedirect as redirect:
            return [bare] if urlsplit(redirect.new_url).path == path else []
        except HTTPException:
            continue
        return []  # a rule of its own
    return []
