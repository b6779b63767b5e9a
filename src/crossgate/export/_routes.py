"""The export table of a Flask app: every URL rule as a proxy location, with the CORS policies,
the methods and the header policy the app gives its requests.

Built from the app's resolved state (``AppState.resolve``), the same tables the WSGI edge reads,
so the proxy and the app cannot disagree about which policy covers a route. A rule whose policy
depends on its values (``resources`` rules covering its paths differently) or on the method
(views or decorators per method) becomes one location with several variants and a ``Choice``
saying how a request picks one, as the edge does. Everything a proxy cannot do as the app does is
collected as a :class:`Refusal` naming the route and the option, and raised together in one
:class:`ExportError` before anything is written.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from crossgate.errors import ConfigError
from crossgate.export._checks import check_policy as _check_policy
from crossgate.export._overlap import deferral
from crossgate.export._paths import (
    NEVER,
    canonical_body,
    canonical_value,
    resource_entries,
    rule_body,
)
from crossgate.export._regex import Engine, engine_problem, translated
from crossgate.export._table import Choice, ExportError, ExportTable, Location, Refusal, Variant
from crossgate.export._unrouted import unrouted_locations
from crossgate.flask._routing import possible_resources, rule_converters, rule_parts
from crossgate.flask._state import AppState, has_decorated_views

if TYPE_CHECKING:
    from flask import Flask
    from werkzeug.routing import BaseConverter, MapAdapter, Rule

    from crossgate._policy import CORSPolicy
    from crossgate.flask._resolved import Resolved


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

    def convert(name: str, converter: BaseConverter) -> str:
        compiled = re.compile(converter.regex)
        problem = engine_problem(compiled, engine)
        if problem is not None:
            refusals.append(Refusal(rule.rule, f"converter of <{name}>", problem))
        return translated(compiled)

    return f"^{rule_body(rule, convert)}$"


def _order(rule: Rule) -> list[tuple[bool, object]]:
    """Werkzeug's preference among rules with variables: static parts first, then converter
    weights; the proxy tries regex locations in this order."""
    return [(not part.static, part.weight) for part in rule_parts(rule)]


class _Builder:
    """Collects the distinct policies and the locations of one app, and every refusal."""

    def __init__(self, app: Flask, resolved: Resolved, engine: Engine) -> None:
        self.resolved = resolved
        self.engine = engine
        self.adapter = app.url_map.bind("localhost")
        self.policies: list[CORSPolicy] = []
        self.locations: list[Location] = []
        self.refusals: list[Refusal] = []
        #: The paths of the static rules, and the rules with variables (set by build_table).
        self.static: frozenset[str] = frozenset()
        self.dynamic: list[Rule] = []

    def policy(self, rule: Rule, resource: int) -> CORSPolicy | None:
        """The CORS policy of *rule*'s requests whose built path is under *resource*."""
        entry = self.resolved.rules[id(rule)]
        if entry.dynamic is None:
            return entry.cors
        return self.resolved.policies.get((resource, entry.dynamic))

    def possible(self, rule: Rule) -> list[CORSPolicy | None]:
        """Every CORS policy *rule*'s requests may get, whatever their path."""
        entry = self.resolved.rules[id(rule)]
        if entry.dynamic is None:
            return [entry.cors]
        return [
            policy
            for (_, scope), policy in self.resolved.policies.items()
            if scope == entry.dynamic
        ]

    def index(self, route: str, policy: CORSPolicy | None) -> int | None:
        if policy is None:
            return None
        for number, known in enumerate(self.policies):
            if known is policy:
                return number
        _check_policy(route, policy, self.engine, self.refusals)
        self.policies.append(policy)
        return len(self.policies) - 1

    def add(self, path: str, rules: list[Rule]) -> None:
        """The location(s) of the URL rule *path* (its *rules*: one per view)."""
        first = rules[0]
        label = f"{path} ({', '.join(sorted({rule.endpoint for rule in rules}))})"
        paths: list[tuple[str, int]] = []
        if first.arguments:
            routes: dict[str, Rule] = {}
            for rule in rules:
                for method in sorted(rule.methods or ()):
                    routes.setdefault(method, rule)
            exact: tuple[str, ...] = ()
            regex: str | None = _path_regex(first, self.engine, self.refusals)
            keys, default = {0}, 0
            if any(self.resolved.rules[id(rule)].dynamic is not None for rule in rules):
                if not self._split_by_path(path, first, regex, label):
                    return
                possible = possible_resources(
                    self.resolved.resources, path.partition("<")[0], exact=False
                )
                entries, default = resource_entries(
                    self.resolved.resources,
                    possible,
                    self.engine,
                    lambda why: self.refusals.append(Refusal(path, "resources", why)),
                )
                paths = entries
                keys = {number for _, number in entries} | {default}
        else:
            routes = self._static_routes(path)
            bare, shared = _redirected_from(self.adapter, path, frozenset(routes), self.static)
            if shared is not None:
                # Werkzeug redirects some methods of *shared* to *path* and routes others to
                # another rule there: the app answers that path.
                self.locations.append(
                    Location(
                        len(self.locations) + 1,
                        (shared,),
                        None,
                        f"{shared}: redirected to {path} or routed to another rule by the "
                        "method, CORS answered by the app",
                        (),
                        None,
                        passthrough=True,
                    )
                )
            exact, regex = (path, *bare), None
            default = self.resolved.resources.lookup(path) or 0
            keys = {default}
        headers = {id(self.resolved.rules[id(rule)].headers): rule for rule in routes.values()}
        if len(headers) > 1:
            self.refusals.append(
                Refusal(
                    path,
                    "headers",
                    "(Headers/@headers policies) differ by method on one path, and a proxy hides "
                    "the app's lines per path; give the methods one header policy, or their "
                    "own URL rule",
                )
            )
        header_policy = self.resolved.rules[id(first)].headers
        variants, choice = self._variants(path, routes, sorted(keys), default)
        if choice is not None and paths:
            choice = dataclasses.replace(
                choice, slash=regex is not None and regex.endswith("/?$"), paths=tuple(paths)
            )
        deferred = None
        if first.arguments:
            deferred = deferral(
                rules,
                [rule for rule in self.dynamic if rule.rule != path],
                self.possible,
                [
                    None if variant.cors is None else self.policies[variant.cors]
                    for variant in variants
                ],
            )
        location = Location(
            len(self.locations) + 1,
            exact,
            regex,
            label,
            variants,
            header_policy,
            choice,
            deferral=deferred,
        )
        mixed = location.cross_origin and any(variant.cors is None for variant in variants)
        if (
            mixed
            and header_policy is not None
            and any(setting.cross_origin_value for setting in header_policy.settings)
        ):
            self.refusals.append(
                Refusal(
                    path,
                    "headers",
                    "relax a header for cross-origin routes, and CORS covers only some of "
                    "this path's requests; give those requests their own URL rule",
                )
            )
        self.locations.append(location)

    def _split_by_path(self, path: str, rule: Rule, regex: str | None, label: str) -> bool:
        """Add the location passing to the app the paths of *rule* the proxy cannot look up
        as the app does; False when that is all of them (or a refusal)."""
        canonical = canonical_body(rule)
        if canonical is None:
            names = [
                name
                for name, converter in rule_converters(rule).items()
                if canonical_value(converter) is None
            ]
            self.refusals.append(
                Refusal(
                    path,
                    "resources",
                    f"rules cover its paths differently, by the value of <{names[0]}>, which "
                    f"its {type(rule_converters(rule)[names[0]]).__name__} writes back in its own "
                    "way when Werkzeug builds the path they are matched against; the proxy "
                    "sees the path as sent. Give those paths their own URL rule",
                )
            )
            return False
        unless = f"^{canonical}$" if canonical != NEVER else None
        self.locations.append(
            Location(
                len(self.locations) + 1,
                (),
                regex,
                f"{label}: paths the app builds back otherwise, CORS answered by the app",
                (),
                None,
                passthrough=True,
                unless=unless,
            )
        )
        return unless is not None

    def _static_routes(self, path: str) -> dict[str, Rule]:
        """The rule each method of a static *path* reaches (rules of other paths included)."""
        routes: dict[str, Rule] = {}
        for method in sorted(self.adapter.allowed_methods(path)):
            try:
                rule, _ = self.adapter.match(path, method=method, return_rule=True)
            except (HTTPException, RequestRedirect):
                continue
            routes[method] = rule
        return routes

    def _variants(
        self, path: str, routes: dict[str, Rule], keys: list[int], default_path: int
    ) -> tuple[tuple[Variant, ...], Choice | None]:
        """The variants of a path's requests: one per (resources rule, policy) pair, with the
        methods each policy governs there, and how a request picks one."""
        classes: dict[int, int] = {}
        methods = []
        for method, rule in sorted(routes.items()):
            methods.append((method, classes.setdefault(id(rule), len(classes))))
        serving = {number: rule for rule in routes.values() for number in [classes[id(rule)]]}
        variants: list[Variant] = []
        chosen: list[tuple[str, int]] = []
        for key in keys:
            for number, rule in serving.items():
                policy = self.policy(rule, key)
                governed = frozenset(
                    method for method, other in routes.items() if self.policy(other, key) is policy
                )
                variant = Variant(self.index(path, policy), governed)
                if variant not in variants:
                    variants.append(variant)
                chosen.append((f"{key}:{number}", variants.index(variant)))
        if len(variants) == 1:
            return tuple(variants), None
        default_method = methods[0][1] if methods else 0
        choice = Choice(
            False,
            (),
            default_path,
            tuple(methods) if len(serving) > 1 else (),
            default_method,
            tuple(chosen),
        )
        return tuple(variants), choice


def build_table(app: Flask, engine: Engine) -> ExportTable:
    """The export table of *app*, or ExportError with every refusal found."""
    state = _resolved_state(app)
    try:
        resolved = state.resolved or state.resolve(app)
    except ConfigError as error:
        raise ExportError([Refusal("app", "configuration", str(error))]) from None
    builder = _Builder(app, resolved, engine)
    builder.static = frozenset(rule.rule for rule in app.url_map.iter_rules() if not rule.arguments)
    builder.dynamic = [rule for rule in app.url_map.iter_rules() if rule.arguments]
    if app.url_map.host_matching or any(rule.subdomain for rule in app.url_map.iter_rules()):
        builder.refusals.append(
            Refusal("app", "host routes", "are not exported: one server block serves one host")
        )
    groups: dict[str, list[Rule]] = {}
    for rule in app.url_map.iter_rules():
        groups.setdefault(rule.rule, []).append(rule)
        if "--" in (rule.methods or ()):
            builder.refusals.append(
                Refusal(
                    rule.rule,
                    "methods",
                    "include '--', the method Werkzeug's allowed_methods() asks with (a rule "
                    "that has it hides the path's other methods); name the method otherwise",
                )
            )
    static = sorted(path for path, rules in groups.items() if not rules[0].arguments)
    dynamic = sorted(
        (path for path, rules in groups.items() if rules[0].arguments),
        key=lambda path: _order(groups[path][0]),
    )
    for path in [*static, *dynamic]:
        builder.add(path, groups[path])
    builder.locations += unrouted_locations(
        resolved, engine, builder.index, len(builder.locations) + 1, builder.refusals
    )
    if builder.refusals:
        raise ExportError(dict.fromkeys(builder.refusals))  # each once, in the order found
    return ExportTable(
        tuple(builder.policies),
        tuple(builder.locations),
        bool(resolved.policies),
        resolved.https_redirect,
    )


def _redirected_from(
    adapter: MapAdapter, path: str, methods: frozenset[str], static: frozenset[str]
) -> tuple[list[str], str | None]:
    """The path without its trailing slash, when Werkzeug redirects it to *path*: ``[bare]``
    when that is all Werkzeug does with it; ``bare`` second when it also routes other methods
    there to another rule (*static*: the static rules' paths, which have their own location)."""
    if not path.endswith("/") or path == "/":
        return [], None
    bare = path.rstrip("/")
    if bare in static:
        return [], None  # a rule of its own
    redirected = direct = False
    # The path's own methods and those of any rule matching it: Werkzeug prefers the redirect
    # for some, and may route others to that rule.
    for method in sorted(methods | set(adapter.allowed_methods(bare))):
        try:
            adapter.match(bare, method=method)
        except RequestRedirect as redirect:
            redirected = redirected or urlsplit(redirect.new_url).path == path
        except HTTPException:
            continue
        else:
            direct = True
    if not redirected:
        return [], None
    return ([], bare) if direct else ([bare], None)
