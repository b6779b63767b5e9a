"""The export of an ASGI app: a Starlette or FastAPI app wrapped in crossgate's
``CORSMiddleware``, its routes as proxy locations answering as the middleware answers.

>>> text = export_asgi(app, "nginx", upstream="http://127.0.0.1:8000", listen="127.0.0.1:8080")

The middleware has one policy; what differs per path is which methods a preflight may name: the
methods of every route matching the path (``Mount`` s included, and through the trailing slash
the router would redirect), the policy's when a route takes every method; a preflight to a
path no route matches goes on to the app. The locations say the same:

- a route without parameters: its path, and its other-slash form, matched exactly, each
  answered with the methods the middleware's own look-up (``RouteTable.resolve``) finds there,
  so routes sharing a path are merged as the middleware merges them;
- a route with parameters that no other route or ``Mount`` may share a path with: its regex
  with its methods, and after every such regex, the regex of its other-slash form;
- routes with parameters that may share paths: a location passing their paths to the app,
  which answers their CORS itself;
- a ``WebSocketRoute``: none. The middleware passes websocket scopes through, and to an http
  request its path is one no route matches, left to the app.

``Host`` routes and route types the export does not know are refused, as are the policy's
callable origins and the regexes the proxy's engine cannot run.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from starlette.routing import Host, Mount, Route, WebSocketRoute

from crossgate._engine import DEFAULT_METHODS
from crossgate._fetch import SAFELISTED_METHODS
from crossgate.asgi._routes import RouteTable
from crossgate.export import check_upstream
from crossgate.export._asgi_layers import Layers, find_layers
from crossgate.export._caddy import write_caddy
from crossgate.export._checks import check_policy
from crossgate.export._haproxy import write_haproxy
from crossgate.export._nginx import write_nginx
from crossgate.export._regex import Engine, engine_problem, translated
from crossgate.export._route_templates import (
    Piece,
    joined,
    may_overlap,
    pieces,
    redirected,
    regex_body,
)
from crossgate.export._table import ExportError, ExportTable, Location, Refusal, Variant

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from crossgate._policy import CORSPolicy

#: How the single policy's refusals name where it applies.
POLICY_ROUTE = "every route (CORSMiddleware)"


def route_methods(policy: CORSPolicy, methods: frozenset[str] | None) -> frozenset[str]:
    """The methods a preflight is decided against on a path whose routes serve *methods*
    (None: a route taking every method), as ``decide_preflight`` reads an unknown route."""
    if methods is not None:
        return methods
    configured = DEFAULT_METHODS if policy.allowed_methods is None else policy.allowed_methods
    return configured | SAFELISTED_METHODS


def _template(parts: Sequence[Piece]) -> str:
    """*parts* written back as a Starlette template, for labels."""
    return "".join(part.text if part.kind == "literal" else f"{{{part.name}}}" for part in parts)


def _toggled(path: str) -> str:
    """*path* with its trailing slash removed, or one added, as Starlette's redirect does."""
    return path.rstrip("/") if path.endswith("/") else path + "/"


class _Leaf:
    """A route as the proxy sees it: its whole template (its Mounts' prefixes included), the
    methods it serves (None: every method) and the Mounts it is inside."""

    __slots__ = ("label", "methods", "mounts", "parts")

    def __init__(
        self,
        parts: Sequence[Piece],
        label: str,
        methods: frozenset[str] | None,
        mounts: frozenset[int],
    ) -> None:
        self.parts = tuple(parts)
        self.label = label
        self.methods = methods
        self.mounts = mounts

    @property
    def static(self) -> bool:
        return all(part.kind == "literal" for part in self.parts)


class _Builder:
    """Collects the routes of one router as leaves, the Mounts' regions, and every refusal."""

    def __init__(self, layers: Layers, engine: Engine) -> None:
        self.policy = layers.cors
        self.headers = layers.headers
        self.router: Any = layers.router
        self.engine = engine
        self.leaves: list[_Leaf] = []
        self.mounts: list[tuple[int, tuple[Piece, ...]]] = []
        self.refusals: list[Refusal] = []
        self.locations: list[Location] = []

    def merge(self) -> None:
        """One leaf for the routes with one template inside the same Mounts: the middleware
        adds up the methods of every route matching a path."""
        merged: dict[tuple[tuple[Piece, ...], frozenset[int]], _Leaf] = {}
        for leaf in self.leaves:
            key = (leaf.parts, leaf.mounts)
            known = merged.get(key)
            if known is None:
                merged[key] = leaf
                continue
            names = known.label.rpartition(" (")[2].rstrip(")")
            extra = leaf.label.rpartition(" (")[2].rstrip(")")
            known.label = f"{_template(leaf.parts)} ({names}, {extra})"
            if known.methods is None or leaf.methods is None:
                known.methods = None
            else:
                known.methods = known.methods | leaf.methods
        self.leaves = list(merged.values())

    def walk(self, routes: Sequence[object], prefix: list[Piece], inside: frozenset[int]) -> None:
        """Collect *routes* (under the template *prefix*, inside the Mounts *inside*)."""
        for route in routes:
            if isinstance(route, WebSocketRoute):
                continue  # never matches an http request: its path is left to the app
            if isinstance(route, Host):
                self.refusals.append(
                    Refusal(
                        f"Host({route.host!r})",
                        "host routes",
                        "are not exported: one server block serves one host",
                    )
                )
            elif isinstance(route, Mount):
                own = joined([*prefix, *pieces(route.path, route.param_convertors)])
                region = joined([*own, Piece("literal", "/"), Piece("any", ".*", "path")])
                inside_it = inside | {id(route)}
                self.mounts.append((id(route), tuple(region)))
                if route.routes:
                    self.walk(route.routes, own, inside_it)
                else:  # an app of its own (static files, another framework): every method
                    name = getattr(route.app, "__name__", None) or type(route.app).__name__
                    label = f"{_template(region)} (mounted {name})"
                    self.leaves.append(_Leaf(region, label, None, inside_it))
            elif isinstance(route, Route):
                parts = joined([*prefix, *pieces(route.path, route.param_convertors)])
                methods = None if route.methods is None else frozenset(route.methods)
                label = f"{_template(parts)} ({route.name})"
                self.leaves.append(_Leaf(parts, label, methods, inside))
            else:
                self.refusals.append(
                    Refusal(
                        type(route).__name__,
                        "route type",
                        "is not one the export reads the paths of (it reads Route, Mount and "
                        "WebSocketRoute); keep CORS in the app",
                    )
                )

    def add(self, label: str, variant_methods: frozenset[str] | None, **where: Any) -> None:
        methods = route_methods(self.policy, variant_methods)
        self.locations.append(
            Location(
                len(self.locations) + 1,
                label=label,
                variants=(Variant(0, methods),),
                headers=self.headers,
                **where,
            )
        )

    def regex(self, leaf: _Leaf, parts: Sequence[Piece]) -> str:
        """The anchored regex of *parts* (of *leaf*), each convertor checked for the engine."""

        def convert(part: Piece) -> str:
            compiled = re.compile(part.text)
            problem = engine_problem(compiled, self.engine)
            if problem is not None:
                self.refusals.append(Refusal(leaf.label, f"convertor of {{{part.name}}}", problem))
            return translated(compiled)

        return f"^{regex_body(parts, convert)}$"

    def statics(self, redirects: bool) -> None:
        """Exact locations for the paths of routes without parameters, and their other-slash
        forms, answered with the methods the middleware finds there."""
        table = RouteTable(self.router)
        seen: set[str] = set()
        for leaf in self.leaves:
            if not leaf.static:
                continue
            path = leaf.parts[0].text
            candidates = [path]
            if redirects and path != "/" and _toggled(path):
                candidates.append(_toggled(path))
            groups: dict[frozenset[str] | None, list[str]] = {}
            for candidate in candidates:
                if candidate in seen:
                    continue
                seen.add(candidate)
                scope = {"type": "http", "path": candidate, "method": "OPTIONS", "headers": []}
                routed = table.resolve(scope)
                if routed.found:
                    groups.setdefault(routed.methods, []).append(candidate)
            for methods, paths in groups.items():
                self.add(leaf.label, methods, exact_paths=tuple(paths), regex=None)

    def alone(self, leaf: _Leaf) -> bool:
        """Whether no other route with parameters, and no Mount *leaf* is not inside, may
        match a path of *leaf* (exact paths are located before regexes)."""
        others = (other for other in self.leaves if other is not leaf and not other.static)
        if any(may_overlap(leaf.parts, other.parts) for other in others):
            return False
        return not any(
            ident not in leaf.mounts and may_overlap(leaf.parts, region)
            for ident, region in self.mounts
        )

    def dynamics(self, redirects: bool) -> None:
        """Regex locations for the routes with parameters: each alone with its methods, the
        others passed to the app; then the other-slash forms of those alone."""
        redirected_forms: list[tuple[_Leaf, list[Piece]]] = []
        for leaf in self.leaves:
            if leaf.static:
                continue
            regex = self.regex(leaf, leaf.parts)
            if not self.alone(leaf):
                self.locations.append(
                    Location(
                        len(self.locations) + 1,
                        (),
                        regex,
                        f"{leaf.label}: another route may share its paths; the app answers "
                        "their CORS",
                        (),
                        None,
                        passthrough=True,
                    )
                )
                continue
            self.add(leaf.label, leaf.methods, exact_paths=(), regex=regex)
            other = redirected(leaf.parts) if redirects else None
            if other is not None:
                redirected_forms.append((leaf, other))
        for leaf, other in redirected_forms:
            label = f"{leaf.label}, the other form of its trailing slash (redirected)"
            self.add(label, leaf.methods, exact_paths=(), regex=self.regex(leaf, other))


def build_asgi_table(app: object, engine: Engine) -> ExportTable:
    """The export table of the ASGI *app*, or ExportError with every refusal found."""
    builder = _Builder(find_layers(app), engine)
    check_policy(POLICY_ROUTE, builder.policy, engine, builder.refusals)
    builder.walk(builder.router.routes, [], frozenset())
    builder.merge()
    redirects = bool(getattr(builder.router, "redirect_slashes", False))
    builder.statics(redirects)
    builder.dynamics(redirects)
    # Every other path: the middleware decorates the app's 404 (a preflight's too) with its
    # policy, so the proxy does the same in front of an app without it (the writers make a
    # fallback without a regex their catch-all, after every route's location).
    label = "paths no route matches (the middleware's policy)"
    builder.locations.append(
        Location(
            len(builder.locations) + 1,
            (),
            None,
            label,
            (Variant(0, frozenset()),),
            builder.headers,
            None,
            fallback=True,
        )
    )
    if builder.refusals:
        raise ExportError(dict.fromkeys(builder.refusals))  # each once, in the order found
    return ExportTable((builder.policy,), tuple(builder.locations), True, False)


def export_asgi(
    app: object,
    proxy: Literal["nginx", "caddy", "haproxy"],
    *,
    upstream: str,
    listen: str,
    source: str,
) -> str:
    """The configuration of *proxy* answering CORS for the ASGI *app* (named *source* in the
    header comment) as its ``CORSMiddleware`` does, in front of *upstream*, listening on
    *listen*. Raises ExportError (every refusal) or ValueError (a bad upstream)."""
    upstream = check_upstream(upstream)
    if proxy == "nginx":
        text = write_nginx(
            build_asgi_table(app, "pcre"), upstream=upstream, listen=listen, source=source
        )
    elif proxy == "haproxy":  # PCRE2, as nginx
        text = write_haproxy(
            build_asgi_table(app, "pcre"), upstream=upstream, listen=listen, source=source
        )
    else:
        text = write_caddy(
            build_asgi_table(app, "re2"), upstream=upstream, listen=listen, source=source
        )
    # The writers name the Flask command; this one is the standalone tool's.
    return text.replace("`flask crossgate export", "`crossgate export", 1)
