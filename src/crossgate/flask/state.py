"""Per-application state: the declared CORS options and the table that resolves them.

Each Flask app that uses crossgate gets one ``AppState`` in ``app.extensions["crossgate"]``;
nothing is shared between apps. Options are declared at several levels (app config, ``CORS()``,
``init_app``, ``resources``, blueprints, the ``cross_origin`` decorator); ``resolve`` merges
them, in that order of precedence, into one compiled policy per endpoint and per path rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from crossgate.errors import ConfigError, Problem
from crossgate.paths import PathRules, compile_path_rules
from crossgate.policy import OPTION_NAMES, CORSPolicy, build_policy, check_options, closest_name

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["VIEW_OPTIONS_ATTRIBUTE", "AppState", "Resolved", "config_options", "state_for"]

#: Where ``cross_origin`` keeps a view's options: on the function, read-only, never per-app state.
VIEW_OPTIONS_ATTRIBUTE = "__crossgate_cors__"

Options = Mapping[str, object]
_NO_LAYER: Options = MappingProxyType({})

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
# flask-cors keys with no meaning here, and the much-copied CORS_HEADERS that never meant anything.
_FLASK_CORS_ONLY = {
    "CORS_SEND_WILDCARD": "crossgate sends a literal '*' whenever origins='*'",
    "CORS_ALWAYS_SEND": "crossgate adds CORS headers only for an Origin it allows",
    "CORS_VARY_HEADER": "crossgate always sends Vary: Origin when the answer depends on it",
    "CORS_AUTOMATIC_OPTIONS": "crossgate answers every preflight itself",
    "CORS_INTERCEPT_EXCEPTIONS": "crossgate covers every error response",
    "CORS_HEADERS": "it was never a flask-cors option either",
}


def config_options(config: Mapping[str, Any]) -> dict[str, object]:
    """The ``CORS_*`` / ``CROSSGATE_*`` options in an app's config. Unknown CORS keys are errors."""
    options: dict[str, object] = {}
    problems: list[Problem] = []
    for key, value in config.items():
        if not isinstance(key, str) or value is None:
            continue
        if key in CONFIG_KEYS:
            options[CONFIG_KEYS[key]] = value
        elif key in _FLASK_CORS_ONLY:
            problems.append(
                Problem(key, value, f"is a flask-cors setting with no native meaning ({_FLASK_CORS_ONLY[key]})",
                        "remove it, or keep flask-cors semantics with crossgate.compat.flask_cors")
            )
        elif key.startswith("CORS_"):
            guess = closest_name(key, CONFIG_KEYS)
            fix = f"did you mean {guess!r}?" if guess else f"use one of {', '.join(CONFIG_KEYS)}"
            problems.append(Problem(key, value, "is not a crossgate setting", fix))
    if problems:
        raise ConfigError(problems, context="app.config")
    return options


@dataclass(frozen=True, slots=True)
class Resolved:
    """Everything the edge looks up per request, built once from the declared options."""

    #: The policy of every request when it does not depend on the endpoint or path, else None.
    constant: CORSPolicy | None
    #: False when ``constant`` is not usable and a request must be resolved by endpoint/path.
    is_constant: bool
    by_endpoint: dict[str, CORSPolicy]
    blueprint_paths: PathRules[CORSPolicy]
    resource_paths: PathRules[CORSPolicy]
    app_policy: CORSPolicy | None
    #: Whether some policy exists at all (else the edge only passes requests through).
    any_policy: bool

    def for_path(self, path: str) -> CORSPolicy | None:
        """The policy for a request that Flask did not route to an endpoint (404, 405...)."""
        if self.blueprint_paths:
            found = self.blueprint_paths.lookup(path)
            if found is not None:
                return found
        if self.resource_paths:
            return self.resource_paths.lookup(path)
        return self.app_policy

    def for_endpoint(self, endpoint: str | None, path: str) -> CORSPolicy | None:
        """The policy for a request routed to *endpoint* (or not routed, when None)."""
        if endpoint is not None:
            found = self.by_endpoint.get(endpoint)
            if found is not None:
                return found
        return self.for_path(path)


@dataclass(slots=True)
class AppState:
    """Declared options of one app. Mutable only during set-up; ``resolved`` caches the result."""

    app_declared: bool = False
    base: dict[str, object] = field(default_factory=dict)
    resources: object = None
    blueprints: dict[str, Options] = field(default_factory=dict)
    blueprint_prefixes: dict[str, str] = field(default_factory=dict)
    resolved: Resolved | None = None

    def resolve(self, app: Flask) -> Resolved:
        """Merge and compile every level into the look-up tables. Raises ConfigError."""
        problems: list[Problem] = []
        base = dict(self.base)
        if not self.app_declared:
            base = {**config_options(app.config), **base}
        base.pop("resources", None)
        origins = base.get("origins")
        app_wide = self.app_declared and not (isinstance(origins, (list, tuple, set, frozenset)) and not origins)
        if not app_wide and origins is not None and not origins:
            base.pop("origins")
        compiled: dict[tuple[int, ...], CORSPolicy | None] = {}

        def compile_layers(layers: tuple[Options, ...], source: str) -> CORSPolicy | None:
            key = tuple(id(layer) for layer in layers)
            if key not in compiled:
                merged: dict[str, object] = dict(base)
                for layer in layers:
                    merged.update(layer)
                try:
                    compiled[key] = build_policy(merged, source=source)
                except ConfigError as error:
                    compiled[key] = None
                    problems.extend(_located(problem, source) for problem in error.problems)
            return compiled[key]

        app_policy: CORSPolicy | None = None
        resource_paths: PathRules[CORSPolicy] = PathRules()
        if app_wide:
            resources = self.resources if self.resources is not None else None
            if resources is None:
                app_policy = compile_layers((_NO_LAYER,), "app")
            else:
                resource_paths = self._compile_resources(resources, base, problems)
        by_endpoint: dict[str, CORSPolicy] = {}
        for endpoint, view in app.view_functions.items():
            blueprint = self._innermost_blueprint(endpoint)
            decorated: Options | None = getattr(view, VIEW_OPTIONS_ATTRIBUTE, None)
            layers: list[Options] = []
            if blueprint is not None:
                layers.append(self.blueprints[blueprint])
            if decorated is not None:
                layers.append(decorated)
            if not layers:
                continue
            source = f"decorator on {endpoint!r}" if decorated is not None else f"blueprint {blueprint!r}"
            policy = compile_layers(tuple(layers), source)
            if policy is not None:
                by_endpoint[endpoint] = policy
        prefix_rules: list[tuple[object, CORSPolicy]] = []
        for name, prefix in self.blueprint_prefixes.items():
            policy = compile_layers((self.blueprints[name],), f"blueprint {name!r}")
            if policy is not None and prefix.strip("/"):
                prefix_rules.append((prefix.rstrip("/") + "/*", policy))
        blueprint_paths, path_problems = compile_path_rules(prefix_rules, option="url_prefix")
        problems.extend(path_problems)
        if problems:
            raise ConfigError(problems, context="crossgate CORS")
        is_constant = not (by_endpoint or blueprint_paths or resource_paths)
        resolved = Resolved(
            constant=app_policy if is_constant else None,
            is_constant=is_constant,
            by_endpoint=by_endpoint,
            blueprint_paths=blueprint_paths,
            resource_paths=resource_paths,
            app_policy=app_policy,
            any_policy=bool(app_policy or by_endpoint or blueprint_paths or resource_paths),
        )
        self.resolved = resolved
        return resolved

    def _innermost_blueprint(self, endpoint: str) -> str | None:
        name = endpoint.rpartition(".")[0]
        while name:
            if name in self.blueprints:
                return name
            name = name.rpartition(".")[0]
        return None

    @staticmethod
    def _compile_resources(
        resources: object, base: dict[str, object], problems: list[Problem]
    ) -> PathRules[CORSPolicy]:
        pairs: list[tuple[object, CORSPolicy]] = []
        if isinstance(resources, Mapping):
            items = list(resources.items())
        elif isinstance(resources, (list, tuple)):
            items = [(pattern, {}) for pattern in resources]
        else:
            items = [(resources, {})]
        for pattern, options in items:
            if not isinstance(options, Mapping):
                problems.append(
                    Problem("resources", options, f"the options of {pattern!r} are not a dict", "write {'/api/*': {'origins': [...]}}")
                )
                continue
            merged = {**base, **options}
            if "resources" in options:
                problems.append(Problem("resources", pattern, "a resource cannot nest resources", "remove the inner 'resources'"))
                continue
            try:
                policy = build_policy(merged, source=f"resource {pattern if isinstance(pattern, str) else getattr(pattern, 'pattern', pattern)!r}")
            except ConfigError as error:
                problems.extend(error.problems)
                continue
            pairs.append((pattern, policy))
        rules, rule_problems = compile_path_rules(pairs)
        problems.extend(rule_problems)
        return rules


def _located(problem: Problem, source: str) -> Problem:
    return Problem(f"{problem.option} (in {source})", problem.value, problem.message, problem.fix)


def validate_declared(options: Options, *, context: str, allow_resources: bool) -> None:
    """Raise ConfigError now for mistakes visible without the merged configuration."""
    problems = check_options(options)
    if not allow_resources and "resources" in options:
        problems.append(Problem("resources", options["resources"], f"is an app-level option, not for {context}", "pass resources to CORS(app)"))
    if problems:
        raise ConfigError(problems, context=context)


def state_for(app: Flask) -> AppState:
    """The app's crossgate state, created (with the edge installed) on first use."""
    from crossgate.flask.edge import install_edge

    state = app.extensions.get("crossgate")
    if state is None:
        state = AppState()
        app.extensions["crossgate"] = state
        install_edge(app, state)
    assert isinstance(state, AppState)
    return state


__all__ += ["CONFIG_KEYS", "OPTION_NAMES", "validate_declared"]
