"""Per-application state: the declared CORS and header policies and the table that resolves them.

Each Flask app that uses crossgate gets one ``AppState`` in ``app.extensions["crossgate"]``;
nothing is shared between apps. CORS options are declared at several levels, lowest first: app
config, ``CORS()``, ``init_app``, a ``resources`` rule, blueprints (outer to inner),
``cross_origin`` on the view. Each level overrides the options it names and inherits the rest.
Header policies are declared with ``Headers(app)``, ``Headers(blueprint)`` and ``@headers`` on the
view, and merged header by header in the same order. ``resolve`` compiles one CORS policy per
combination that can occur (resource rule x endpoint scope) and one merged header policy per
scope, so a request finds both with one look-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from crossgate._paths import PathRules, compile_path_rules
from crossgate._policy import (
    CORSPolicy,
    build_policy,
    check_options,
    merge_levels,
)
from crossgate.errors import ConfigError, Problem, closest_name
from crossgate.flask._resolved import (
    Combination,
    Coverage,
    Resolved,
    RoutePolicies,
)
from crossgate.flask._routing import possible_resources
from crossgate.headers import HeaderPolicy

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment
    from flask import Flask
    from werkzeug.routing import Rule

    from crossgate.flask._edge import Edge

#: Where ``cross_origin`` keeps a view's options: on the function, read-only, never per-app state.
VIEW_OPTIONS_ATTRIBUTE = "__crossgate_cors__"
#: Where ``@headers`` keeps a view's compiled HeaderPolicy: on the function, read-only; it is
#: merged with each app's and blueprint's policies per app, at resolve time.
VIEW_HEADERS_ATTRIBUTE = "__crossgate_headers__"

Options = Mapping[str, object]


class Declared(Mapping[str, object]):
    """The options of one ``CORS(...)`` or ``@cross_origin(...)``, read-only, with the
    ``file:line`` that declared them (a refusal names it)."""

    __slots__ = ("_options", "site")

    def __init__(self, options: Mapping[str, object], site: str) -> None:
        self._options = dict(options)
        self.site = site

    def __getitem__(self, name: str) -> object:
        return self._options[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._options)

    def __len__(self) -> int:
        return len(self._options)

    def __repr__(self) -> str:
        return f"Declared({self._options!r}, {self.site!r})"


def _level(name: str, site: str) -> str:
    """How a refusal names the level *name* (a layer's name in ``_Compiler``) that decided."""
    kind, _, what = name.partition(" ")
    label = {
        "decorator": f"@cross_origin(...) on view {what.removeprefix('on ')}",
        "blueprint": f"CORS(blueprint {what})",
        "resource": f"the resources rule {what} of CORS(app)",
    }.get(kind)
    if label is None:  # the app level: CORS(app), or only the CORS_* config without it
        label = "CORS(app)" if site else "the app's CORS_* config"
    return f"{label} ({site})" if site else label


CONFIG_KEYS = {
    "CORS_ORIGINS": "origins",
    "CORS_METHODS": "methods",
    "CORS_ALLOW_HEADERS": "allow_headers",
    "CORS_EXPOSE_HEADERS": "expose_headers",
    "CORS_SUPPORTS_CREDENTIALS": "supports_credentials",
    "CORS_MAX_AGE": "max_age",
    "CORS_RESOURCES": "resources",
    "CORS_ALLOW_PRIVATE_NETWORK": "allow_private_network",
    "CROSSGATE_ALLOW_NULL_ORIGIN": "allow_null_origin",
    "CROSSGATE_ALLOW_INSECURE_HTTP_ORIGINS": "allow_insecure_http_origins",
}
# flask-cors settings with no native meaning: silently ignoring them would hide a behaviour change.
_FLASK_CORS_ONLY = {
    "CORS_SEND_WILDCARD": "crossgate sends a literal '*' whenever origins='*'",
    "CORS_ALWAYS_SEND": "crossgate adds CORS headers only for an Origin it allows",
    "CORS_VARY_HEADER": "crossgate always sends Vary: Origin when the answer depends on it",
    "CORS_AUTOMATIC_OPTIONS": "crossgate answers every preflight itself",
    "CORS_INTERCEPT_EXCEPTIONS": "crossgate covers every error response",
}


def has_decorated_views(app: Flask) -> bool:
    """Whether a view of *app* carries ``@cross_origin`` or ``@headers``: crossgate applies to
    it even before ``CORS(app)``/``Headers(app)``, or without them."""
    names = (VIEW_OPTIONS_ATTRIBUTE, VIEW_HEADERS_ATTRIBUTE)
    return any(hasattr(view, name) for view in app.view_functions.values() for name in names)


def read_config(config: Mapping[str, Any]) -> tuple[dict[str, object], list[Problem]]:
    """The ``CORS_*`` / ``CROSSGATE_*`` options in an app's config, and a problem for every
    ``CORS_*`` key crossgate does not read. A value of ``None`` counts as unset."""
    options: dict[str, object] = {}
    problems: list[Problem] = []
    for key, value in config.items():
        if value is None:
            continue
        if key in CONFIG_KEYS:
            options[CONFIG_KEYS[key]] = value
        elif key in _FLASK_CORS_ONLY:
            problems.append(
                Problem(
                    key,
                    value,
                    f"is a flask-cors setting crossgate does not read ({_FLASK_CORS_ONLY[key]})",
                    "remove it, or keep flask-cors's behaviour with crossgate.compat.flask_cors",
                )
            )
        elif key == "CORS_HEADERS":
            problems.append(
                Problem(
                    key,
                    value,
                    "is not a setting: neither crossgate nor flask-cors ever read it",
                    "remove it; to limit the headers a page may send, set CORS_ALLOW_HEADERS",
                )
            )
        elif key.startswith("CORS_"):
            guess = closest_name(key, CONFIG_KEYS)
            fix = f"did you mean {guess!r}?" if guess else f"use one of {', '.join(CONFIG_KEYS)}"
            problems.append(Problem(key, value, "is not a crossgate setting", fix))
    return options, problems


def validate_declared(options: Options, *, context: str, allow_resources: bool) -> None:
    """Raise ConfigError now for mistakes visible without the merged configuration."""
    problems = check_options(options)
    if not allow_resources and "resources" in options:
        problems.append(
            Problem(
                "resources",
                options["resources"],
                f"is an app-level option, not for {context}",
                "pass resources to CORS(app)",
            )
        )
    if problems:
        raise ConfigError(problems, context=context)


class PolicySource(Protocol):
    """CORS answers decided inside the app and written by the edge (``AppState.source``).

    ``crossgate.compat.flask_cors`` is one: flask-cors's hooks decide where flask-cors decides,
    and the edge writes their answer as the response leaves, as it writes its own. A source's
    lines come before the header policy's.
    """

    def open(self, environ: WSGIEnvironment) -> None:
        """A request enters the edge (before the app sees it)."""

    def write(self, environ: WSGIEnvironment, headers: list[tuple[str, str]]) -> None:
        """Add the source's lines for *environ* to the response's header list, in place."""

    def debug_headers(self, environ: WSGIEnvironment) -> Sequence[tuple[str, str]] | None:
        """The CORS lines of the debug-mode 500 for *environ*; None lets the error escape."""


@dataclass(slots=True)
class AppState:
    """What one app declared. Changed only during set-up; ``resolved`` caches ``resolve()``."""

    #: The app-level options (config, ``CORS()`` and ``init_app`` merged); None until init_app.
    app_options: Options | None = None
    #: Blueprint policies by full (dotted) blueprint name: their options and URL prefix.
    blueprints: dict[str, tuple[Options, str]] = field(default_factory=dict)
    #: ``Headers(app)``'s policy; None until it is called.
    app_headers: HeaderPolicy | None = None
    #: ``Headers(blueprint)`` policies by full (dotted) blueprint name, with the URL prefix.
    header_blueprints: dict[str, tuple[HeaderPolicy, str]] = field(default_factory=dict)
    https_redirect: bool = False
    #: The WSGI middleware installed around ``app.wsgi_app`` for this app.
    edge: Edge | None = field(default=None, repr=False)
    #: CORS answers the edge writes besides its own (``crossgate.compat.flask_cors``'s).
    source: PolicySource | None = field(default=None, repr=False)
    resolved: Resolved | None = None

    def resolve(self, app: Flask) -> Resolved:
        """Merge and compile every level into the look-up tables. Raises ConfigError."""
        views = app.view_functions
        # CORS_* config alone declares nothing: an app using crossgate for headers only is not
        # held to its CORS settings.
        uses_cors = (
            self.app_options is not None
            or bool(self.blueprints)
            or any(hasattr(view, VIEW_OPTIONS_ATTRIBUTE) for view in views.values())
        )
        compiler, resource_rules = self._cors_compiler(app) if uses_cors else (None, PathRules())
        headers = _HeaderScopes(self.app_headers)
        endpoint_scopes: dict[str, Coverage] = {}
        plans: list[tuple[Rule, Coverage, set[int]]] = []
        for rule in app.url_map.iter_rules():
            blueprint = rule.endpoint.rpartition(".")[0]
            view = views.get(rule.endpoint)
            cors_scope = 0
            static, _, dynamic = rule.rule.partition("<")
            possible = possible_resources(resource_rules, static, not dynamic)
            if compiler is not None:
                layers = self._blueprint_layers(blueprint)
                decorated: Options | None = getattr(view, VIEW_OPTIONS_ATTRIBUTE, None)
                if decorated is not None:
                    layers.append((f"decorator on {rule.endpoint!r}", decorated))
                if layers:
                    cors_scope = compiler.scope(layers)
                    for resource in possible:
                        compiler.compile(resource, cors_scope)
            header_layers = self._header_layers(blueprint)
            view_headers: HeaderPolicy | None = getattr(view, VIEW_HEADERS_ATTRIBUTE, None)
            if view_headers is not None:
                header_layers.append(view_headers)
            scope = headers.scope(cors_scope, header_layers)
            if cors_scope or header_layers:
                endpoint_scopes[rule.endpoint] = scope
            plans.append((rule, scope, possible))
        registered = {name: prefix for name, (_, prefix) in self.blueprints.items()}
        for name, (_, prefix) in self.header_blueprints.items():
            registered.setdefault(name, prefix)
        prefixes: dict[str, Coverage] = {}
        for name, url_prefix in registered.items():
            # A prefix with variables (/<lang>/api) is covered from its static part on.
            prefix = url_prefix.partition("<")[0].rstrip("/")
            if not prefix or prefix in prefixes:
                continue
            cors_scope = 0
            layers = self._blueprint_layers(name)
            if compiler is not None and layers:
                cors_scope = compiler.scope(layers)
                for path, exact in ((prefix, True), (prefix + "/", False)):
                    for resource in possible_resources(resource_rules, path, exact):
                        compiler.compile(resource, cors_scope)
            prefixes[prefix] = headers.scope(cors_scope, self._header_layers(name))
        if compiler is not None and compiler.problems:
            raise ConfigError(compiler.problems, context="crossgate CORS")
        policies = compiler.policies if compiler is not None else {}
        rules = {
            id(rule): _rule_policies(policies, scope, possible) for rule, scope, possible in plans
        }
        default = RoutePolicies(policies.get((0, 0)), headers.app_scope.headers)
        uniform = (
            not prefixes
            and not resource_rules
            and all(
                entry.dynamic is None
                and entry.cors is default.cors
                and entry.headers is default.headers
                for entry in rules.values()
            )
        )
        return Resolved(
            policies=policies,
            rules=rules,
            endpoint_scopes=endpoint_scopes,
            prefix_scopes=PathRules(subtrees=prefixes),
            resources=resource_rules,
            app_scope=headers.app_scope,
            headers_declared=headers.declared,
            https_redirect=self.https_redirect,
            methods=frozenset(method for rule, _, _ in plans for method in rule.methods or ()),
            uniform=(default.cors, default.headers) if uniform else None,
        )

    def _cors_compiler(self, app: Flask) -> tuple[_Compiler, PathRules[int]]:
        """Check the app-level CORS options; compile their policies (those of the app and of
        each ``resources`` rule) into a compiler that the blueprint and view scopes reuse."""
        declared = self.app_options is not None
        problems: list[Problem] = []
        if self.app_options is not None:
            base = dict(self.app_options)
        else:
            base, problems = read_config(app.config)
        resources = base.pop("resources", None)
        app_wide = declared
        origins = base.get("origins")
        if isinstance(origins, (list, tuple, set, frozenset)) and not origins:
            del base["origins"]  # origins=[]: no app-wide policy, only the levels above it
            app_wide = False
        # With resources, the app level covers only their paths; without, every path.
        by_resources = declared and resources is not None
        required = app_wide and not by_resources
        problems.extend(_located(check_options(base, require_origins=required), "app"))
        resource_rules: PathRules[int] = PathRules()
        resource_layers: list[tuple[str, Options]] = []
        if by_resources:
            resource_rules, resource_layers = _resource_rules(resources, problems)
        if problems:
            raise ConfigError(problems, context="crossgate CORS")
        compiler = _Compiler(base, resource_layers, getattr(self.app_options, "site", ""))
        for resource in range(1, len(resource_layers) + 1):
            compiler.compile(resource, 0)
        if app_wide and not by_resources:
            compiler.compile(0, 0)
        return compiler, resource_rules

    def _blueprint_layers(self, name: str) -> list[tuple[str, Options]]:
        """The policies of blueprint *name* and of the blueprints it is nested in, outer first."""
        return [
            (f"blueprint {outer!r}", self.blueprints[outer][0])
            for outer in _enclosing(name)
            if outer in self.blueprints
        ]

    def _header_layers(self, name: str) -> list[HeaderPolicy]:
        """The header policies of blueprint *name* and the blueprints it is nested in, outer
        first."""
        return [
            self.header_blueprints[outer][0]
            for outer in _enclosing(name)
            if outer in self.header_blueprints
        ]


def _enclosing(name: str) -> list[str]:
    """A dotted blueprint name and the names of the blueprints it is nested in, outer first."""
    parts = name.split(".") if name else []
    return [".".join(parts[:end]) for end in range(1, len(parts) + 1)]


class _HeaderScopes:
    """Merges header policies (app < blueprints < view) once per distinct chain and hands out
    one shared ``Coverage`` per distinct (CORS scope, header policy) pair."""

    def __init__(self, app_headers: HeaderPolicy | None) -> None:
        self.app_headers = app_headers
        self.app_scope = Coverage(0, app_headers)
        self.declared = app_headers is not None
        self._merged: dict[tuple[int, ...], HeaderPolicy | None] = {(): app_headers}
        self._scopes: dict[tuple[int, int], Coverage] = {(0, id(app_headers)): self.app_scope}

    def scope(self, cors: int, layers: list[HeaderPolicy]) -> Coverage:
        key = tuple(id(layer) for layer in layers)
        if key in self._merged:
            merged = self._merged[key]
        else:
            self.declared = True
            merged = self.app_headers
            for layer in layers:
                merged = layer if merged is None else merged.merged_with(layer)
            self._merged[key] = merged
        return self._scopes.setdefault((cors, id(merged)), Coverage(cors, merged))


class _Compiler:
    """Compiles each (resource, scope) combination once, collecting every problem."""

    def __init__(
        self, base: Options, resource_layers: list[tuple[str, Options]], app_site: str = ""
    ) -> None:
        self.base = base
        self.app_site = app_site
        self.resource_layers = resource_layers
        self.scopes: list[list[tuple[str, Options]]] = [[]]
        self.policies: dict[Combination, CORSPolicy] = {}
        self.problems: list[Problem] = []
        self._numbers: dict[tuple[int, ...], int] = {(): 0}
        self._tried: set[Combination] = set()

    def scope(self, layers: list[tuple[str, Options]]) -> int:
        """The number of the scope made of *layers* (the same layers, the same number)."""
        number = self._numbers.setdefault(
            tuple(id(options) for _, options in layers), len(self.scopes)
        )
        if number == len(self.scopes):
            self.scopes.append(layers)
        return number

    def compile(self, resource: int, scope: int) -> None:
        if (resource, scope) in self._tried:
            return
        self._tried.add((resource, scope))
        layers = self.scopes[scope]
        if resource:
            layers = [self.resource_layers[resource - 1], *layers]
        source = " + ".join(name for name, _ in layers) or "app"
        merged = merge_levels([self.base, *(options for _, options in layers)])
        deciding = [(name, options) for name, options in layers if "origins" in options]
        if deciding:
            name, options = deciding[-1]
            site = getattr(options, "site", "")
            # A resources rule is declared by CORS(app): its line is the app's.
            decided = _level(name, self.app_site if name.startswith("resource") else site)
        else:
            decided = _level("app", self.app_site)
        try:
            self.policies[resource, scope] = build_policy(
                merged, source=source, origins_source=decided
            )
        except ConfigError as error:
            self.problems.extend(_located(error.problems, source))


def _resource_rules(
    resources: object, problems: list[Problem]
) -> tuple[PathRules[int], list[tuple[str, Options]]]:
    """Number the ``resources`` rules from 1 and validate each one's own options."""
    if isinstance(resources, Mapping):
        items = list(resources.items())
    elif isinstance(resources, (list, tuple)):
        items = [(pattern, {}) for pattern in resources]
    else:
        items = [(resources, {})]
    layers: list[tuple[str, Options]] = []
    numbered: list[tuple[object, int]] = []
    for pattern, options in items:
        name = f"resource {getattr(pattern, 'pattern', pattern)!r}"
        if not isinstance(options, Mapping):
            problems.append(
                Problem(
                    "resources",
                    options,
                    f"the options of {pattern!r} are not a dict",
                    "write {'/api/*': {'origins': [...]}}",
                )
            )
            continue
        if "resources" in options:
            problems.append(
                Problem("resources", pattern, "a resource cannot nest resources", "remove it")
            )
            continue
        problems.extend(_located(check_options(options), name))
        layers.append((name, options))
        numbered.append((pattern, len(layers)))
    rules, rule_problems = compile_path_rules(numbered)
    problems.extend(rule_problems)
    return rules, layers


def _rule_policies(
    policies: Mapping[Combination, CORSPolicy], scope: Coverage, possible: set[int]
) -> RoutePolicies:
    """A rule's policies: fixed when one ``resources`` rule (or none) can cover its paths."""
    if len(possible) == 1:
        [resource] = possible
        return RoutePolicies(policies.get((resource, scope.cors)), scope.headers)
    return RoutePolicies(None, scope.headers, dynamic=scope.cors)


def _located(problems: Iterable[Problem], source: str) -> list[Problem]:
    return [
        Problem(f"{problem.option} (in {source})", problem.value, problem.message, problem.fix)
        for problem in problems
    ]
