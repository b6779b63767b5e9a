"""The look-up tables of one app's resolved policies: what a request's route gets.

``AppState.resolve`` (in ``state.py``) compiles every declaration once into a ``Resolved``; the
edge asks it, per request, for the policies of the URL rule Flask dispatched to (or of a path no
rule matched), and keeps where recent preflight URLs led in a bounded cache.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from crossgate._bounded import BoundedCache
from crossgate._hand_set import HandSetLog
from crossgate._paths import PathRules
from crossgate._policy import CORSPolicy
from crossgate.headers import HeaderPolicy

if TYPE_CHECKING:
    from werkzeug.routing import Rule

#: Numbers a combination of levels: (resource rule, scope); 0 means "none at that level".
Combination = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Coverage:
    """What covers a group of endpoints: a CORS scope number and a merged header policy.

    ``cors`` numbers the blueprint and view CORS options of the endpoints (0: none, the app's
    policy applies); ``headers`` is the app's, blueprints' and view's header policies merged
    (None: no header policy covers them).
    """

    cors: int
    headers: HeaderPolicy | None


@dataclass(frozen=True, slots=True)
class RoutePolicies:
    """The policies of the requests Flask dispatches to one URL rule.

    ``dynamic`` is set for a rule with variables that several ``resources`` rules could cover
    (``/api/<name>`` under ``/api/*`` and ``/api/special``): its CORS policy is then looked up
    per request, in CORS scope ``dynamic``, by the path built from the request's values.
    """

    cors: CORSPolicy | None
    headers: HeaderPolicy | None
    dynamic: int | None = None


#: What a request gets: its CORS policy and its header policy (either may be None).
Policies = tuple[CORSPolicy | None, HeaderPolicy | None]


class PreflightTarget(NamedTuple):
    """Where a preflight's URL leads: its route's policies, the methods the CORS policy governs
    there, and the route's path (after Werkzeug's redirects)."""

    cors: CORSPolicy | None
    headers: HeaderPolicy | None
    methods: frozenset[str]
    path: str


@dataclass(frozen=True, slots=True)
class Resolved:
    """Everything a request's policy look-up needs, compiled once from the declared options.

    A request Flask dispatches to a URL rule gets that rule's policies (``rules``, by the rule's
    identity), however its path was spelled: merged slashes, a trailing-slash redirect,
    percent-encoding, a converter, another host. A request Flask routes nowhere (404) gets the
    policies of its path: the blueprint prefix covering it (``prefix_scopes``), else the app's,
    with the ``resources`` rule covering the path.
    """

    policies: Mapping[Combination, CORSPolicy]
    #: The policies of every URL rule, by ``id(rule)``: rules live as long as the app.
    rules: Mapping[int, RoutePolicies]
    #: The scope of every endpoint under a blueprint policy or with a view decorator.
    endpoint_scopes: Mapping[str, Coverage]
    #: Blueprint URL prefixes, for requests Flask routed to no endpoint (404).
    prefix_scopes: PathRules[Coverage]
    resources: PathRules[int]
    #: The scope of every other request: no blueprint or view policy, the app's headers.
    app_scope: Coverage = Coverage(0, None)
    #: Whether any header policy is declared (``https_redirect`` needs ``Headers(app)``, so it
    #: implies one): the edge takes its header path only then.
    headers_declared: bool = False
    https_redirect: bool = False
    #: Every method some rule accepts: where a preflight's path is, whatever method it asks.
    methods: frozenset[str] = frozenset()
    #: The policies of every request, when they do not depend on the route: then nothing is
    #: routed per request. None when they do.
    uniform: Policies | None = None
    #: Where recent preflight URLs led (see ``edge._preflight_target``), bounded.
    preflights: BoundedCache[tuple[object, ...], PreflightTarget | None] = field(
        default_factory=lambda: BoundedCache(PREFLIGHT_CACHE_SIZE), compare=False, repr=False
    )
    #: Which endpoints were warned about for hand-set CORS headers (``crossgate._hand_set``).
    hand_set: HandSetLog = field(default_factory=HandSetLog, compare=False, repr=False)
    #: The policies of every rule whose policies do not depend on its variables' values, by
    #: ``id(rule)``, as the tuple a request gets: most requests need this one look-up.
    fixed: Mapping[int, Policies] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        fixed = {
            key: (entry.cors, entry.headers)
            for key, entry in self.rules.items()
            if entry.dynamic is None
        }
        object.__setattr__(self, "fixed", fixed)  # derived once; the instance stays frozen

    def for_rule(self, rule: Rule, values: Mapping[str, Any] | None) -> Policies:
        """The policies of a request dispatched to *rule* with the variables *values*."""
        entry = self.rules.get(id(rule))
        if entry is None:  # a rule added after the app started: Flask refuses that
            return self.for_unrouted(rule.rule)
        if entry.dynamic is None:
            return entry.cors, entry.headers
        path = _built_path(rule, values)
        resource = self.resources.lookup(path) or 0
        return self.policies.get((resource, entry.dynamic)), entry.headers

    def for_unrouted(self, path: str) -> Policies:
        """The policies of a request to *path* that Flask routes to no rule."""
        path = _SLASHES.sub("/", path)
        scope = self.prefix_scopes.lookup(path) or self.app_scope
        if not self.policies:
            return None, scope.headers
        return self.policies.get((self.resources.lookup(path) or 0, scope.cors)), scope.headers

    def for_endpoint(self, endpoint: str | None, path: str) -> CORSPolicy | None:
        """The CORS policy shown for *endpoint* at *path* (``flask crossgate`` commands)."""
        return self.lookup(endpoint, path)[0]

    def lookup(self, endpoint: str | None, path: str) -> Policies:
        """Both policies shown for *endpoint* at *path* (``flask crossgate`` commands)."""
        if endpoint is None:
            return self.for_unrouted(path)
        scope = self.endpoint_scopes.get(endpoint, self.app_scope)
        if not self.policies:
            return None, scope.headers
        return self.policies.get((self.resources.lookup(path) or 0, scope.cors)), scope.headers


_SLASHES = re.compile("/{2,}")
#: How many preflight URLs a resolution remembers the routing of.
PREFLIGHT_CACHE_SIZE = 4096


def _built_path(rule: Rule, values: Mapping[str, Any] | None) -> str:
    """The canonical path of a request dispatched to *rule*: the one Werkzeug builds from the
    request's variables, whatever spelling reached the rule."""
    try:
        built = rule.build(dict(values or {}), append_unknown=False)
    except Exception:  # a converter refusing its own value back: fall back to the pattern
        built = None
    return built[1] if built is not None else rule.rule
