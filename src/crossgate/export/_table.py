"""The table an export is written from: the proxy locations, the CORS policies they use, and
what a proxy cannot do as the app does (:class:`Refusal`, raised together in one
:class:`ExportError` before anything is written). ``crossgate.export._routes`` builds it from a
Flask app; the writers (``nginx``, ``caddy``) read it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from crossgate._engine import decide_preflight
from crossgate._fetch import NORMALIZED_METHODS
from crossgate._origin_matcher import OriginMatcher
from crossgate._policy import ACAM, CORSPolicy
from crossgate.errors import show
from crossgate.export._regex import caseless

if TYPE_CHECKING:
    from crossgate.headers import HeaderPolicy


@dataclass(frozen=True, slots=True)
class Refusal:
    """Something the proxy cannot do as the app does: where, which option, and why."""

    route: str
    option: str
    message: str

    def __str__(self) -> str:
        # The route is the app's text (a path may hold a newline): shown on one line.
        return f"{show(self.route)}: {self.option} {self.message}"


class ExportError(Exception):
    """Every refusal found in an app, raised before any configuration is written."""

    def __init__(self, refusals: Iterable[Refusal]) -> None:
        self.refusals = tuple(refusals)
        lines = "\n".join(f"  - {refusal}" for refusal in self.refusals)
        super().__init__(f"the proxy cannot answer as the app does:\n{lines}")


@dataclass(frozen=True, slots=True)
class Variant:
    """One CORS policy a location's requests can get, with the methods it governs there."""

    #: The index of the policy in ``ExportTable.policies``; None: no CORS policy covers them.
    cors: int | None
    #: The methods a preflight may name under it (the route's methods this policy governs, as
    #: the edge computes them: the browser caches a preflight's answer per method).
    methods: frozenset[str]


@dataclass(frozen=True, slots=True)
class Choice:
    """How a request picks its variant on a location whose policy depends on the path (the
    ``resources`` rule covering the built path) or on the method (a preflight's: the one it
    asks for; a method the path lacks: the first of the path's methods, as Werkzeug's 405
    leads the edge there)."""

    #: Whether the built path ends with a slash the request may lack (Werkzeug redirects).
    slash: bool
    #: Anchored regexes on the built path and the path key each gives, tried in order.
    paths: tuple[tuple[str, int], ...]
    default_path: int
    #: Each method of the path and its class (the rule that serves it); empty: one class.
    methods: tuple[tuple[str, int], ...]
    default_method: int
    #: ``"path key:method class"`` -> the index of the variant.
    variants: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class Deferral:
    """The requests of a location that another URL rule may serve, which the proxy passes to
    the app untouched (the app answers their CORS). Werkzeug routes by path and method; a proxy
    picks a location by path alone, so where another rule's path may overlap this one's, a
    method only that rule accepts is its request, not this location's."""

    #: Methods, compared as Werkzeug routes them (case-insensitively): a preflight's requested
    #: method, an actual request's own.
    methods: tuple[str, ...]
    #: False: ``methods`` are passed. True: every method but ``methods`` (the location's own) is
    #: passed, because Werkzeug's 405 may lead a method no rule accepts to another rule.
    all_but: bool
    #: The variants whose preflights are all passed: a policy another rule may share on these
    #: paths, where the app lists that rule's methods too.
    preflights: tuple[int, ...] = ()


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
    #: The policies its requests can get; one unless ``choice`` says how to pick.
    variants: tuple[Variant, ...]
    headers: HeaderPolicy | None
    choice: Choice | None = None
    #: A location the proxy passes to the app untouched (the app answers CORS there): the
    #: paths of a rule whose built path the proxy cannot know, those not matching ``unless``.
    passthrough: bool = False
    unless: str | None = None
    deferral: Deferral | None = None
    #: The paths no route matches (under a blueprint prefix: ``regex``; else all the rest):
    #: every request is decorated as an actual one, preflights included (the app's 404).
    fallback: bool = False

    @property
    def cross_origin(self) -> bool:
        """Whether a CORS policy covers some of its requests."""
        return any(variant.cors is not None for variant in self.variants)


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


def method_keys(names: str) -> tuple[str, str]:
    """The two regexes that pick requests by method out of ``<preflight>:<method>:<requested>``
    (preflight 1 or 0, the request's method, its Access-Control-Request-Method): a preflight
    by the method it asks for, an actual request by its own. *names* is a regex of method names
    (``PUT|DELETE``; ``_regex.caseless`` for a map matching as Werkzeug routes)."""
    return f"^1:[^:]*:(?:{names})$", f"^0:(?:{names}):"


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
        if method.upper() == method != method.lower() and method not in NORMALIZED_METHODS:
            decision = decide_preflight(anyone, "https://a.example", method.lower(), None, methods)
            if decision.allowed:
                value = dict(decision.headers).get(ACAM, "").rpartition(", ")[0]
                answers.append(
                    MethodAnswer(f"^{caseless(re.escape(method))}$", value, spelled=True)
                )
    return answers
