"""The methods a Starlette or FastAPI app serves on a path, for answering its preflights.

A preflight asks whether a method may be used on a path; the answer lists every method the path
serves, as in Flask. Starlette decides with ``route.matches(scope)``: ``FULL`` (path and method
match), ``PARTIAL`` (the path matches, with other methods: a 405), ``NONE``. Asking every route
with Starlette's own matcher gives the path's methods without copying its routing rules. A
``Mount`` or ``Host`` catches every method of the paths under it, so the search goes into its
routes and stops there, as Starlette's router does.

Starlette is imported only when the wrapped app has a router: an app of another framework never
reaches this module's import of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from crossgate._bounded import BoundedCache
from crossgate._layers import layers
from crossgate.asgi._types import Scope

#: How many paths a RouteTable remembers (oldest forgotten first), so memory stays bounded
#: whatever paths clients send.
MAX_CACHED_PATHS = 2048
#: Longer paths are resolved every time rather than remembered.
MAX_CACHED_PATH = 1024


class Routed(NamedTuple):
    """Where a path leads: ``found`` (some route serves the path) and its ``methods``
    (``None``: unknown, as for a route that accepts any method or a mounted non-Starlette
    app)."""

    found: bool
    methods: frozenset[str] | None


_NOT_FOUND = Routed(False, None)
_UNKNOWN = Routed(True, None)


def find_router(app: object) -> Any | None:
    """The Starlette router of *app*: its ``router`` (a Starlette or FastAPI app), or the router
    found through the ``.app`` of the middleware it is made of (middleware added with
    ``add_middleware`` wraps the router, not the app). ``None`` for any other ASGI app."""
    for layer in layers(app):
        router = getattr(layer, "router", None)
        if _is_router(router):
            return router
        if _is_router(layer):
            return layer
    return None


def _is_router(candidate: object) -> bool:
    routes = getattr(candidate, "routes", None)
    return isinstance(routes, list) and callable(getattr(candidate, "not_found", None))


class RouteTable:
    """The methods of each path of one router, resolved once per path and remembered in a
    bounded table. Routes added after a path was resolved make the table start over."""

    __slots__ = ("_count", "_host", "_known", "_match", "_mount", "router")

    def __init__(self, router: Any) -> None:
        # Imported only once a Starlette router was found, so Starlette is installed.
        from starlette.routing import Host, Match, Mount

        self.router = router
        self._match = Match
        self._mount = (Mount, Host)
        self._host = Host
        self._known: BoundedCache[str, Routed] = BoundedCache(MAX_CACHED_PATHS)
        self._count = len(router.routes)

    def resolve(self, scope: Scope) -> Routed:
        """Where the request of *scope* (an http scope) leads, whatever its method."""
        path: str = scope["path"]
        routes = self.router.routes
        if len(routes) != self._count:
            self._known.clear()
            self._count = len(routes)
        known = self._known.get(path)
        if known is not None:
            return known
        routed, cacheable = self._resolve(routes, scope)
        if not routed.found and path != "/" and getattr(self.router, "redirect_slashes", False):
            # Starlette redirects /items/ to /items (and back) when only the other exists; a
            # browser never follows a redirect for a preflight, so it is answered for the target.
            other = path.rstrip("/") if path.endswith("/") else path + "/"
            routed, cacheable = self._resolve(routes, {**scope, "path": other})
        if cacheable and len(path) <= MAX_CACHED_PATH:
            self._known.put(path, routed)
        return routed

    def _resolve(self, routes: Sequence[Any], scope: Scope) -> tuple[Routed, bool]:
        """The methods *routes* serve for *scope*'s path, and whether that answer depends on
        the path alone (a ``Host`` route reads the Host header too)."""
        methods: set[str] = set()
        found = False
        cacheable = True
        for route in routes:
            if isinstance(route, self._host):
                cacheable = False
            outcome, child = route.matches(scope)
            if outcome is self._match.NONE:
                continue
            if isinstance(route, self._mount):
                # Every method of this path goes in there (unless a route above serves it).
                if not route.routes:
                    return _UNKNOWN, cacheable  # a mounted app of another framework
                inner, inner_cacheable = self._resolve(route.routes, {**scope, **child})
                cacheable = cacheable and inner_cacheable
                if inner.found and inner.methods is None:
                    return _UNKNOWN, cacheable
                if inner.found:
                    methods.update(inner.methods or ())
                    found = True
                break
            route_methods = getattr(route, "methods", None)
            if route_methods is None:
                return _UNKNOWN, cacheable  # a route that serves every method
            methods.update(route_methods)
            found = True
        return (Routed(True, frozenset(methods)) if found else _NOT_FOUND), cacheable
