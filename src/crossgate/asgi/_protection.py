"""``CrossOriginProtection`` for ASGI: refuse writes and WebSocket handshakes from untrusted sites.

The decision is ``crossgate._protect.decide``; this middleware reads the scope, finds the route
the app's Starlette router will dispatch to (for ``exempt``) and the ``CORSMiddleware`` it wraps
(whose policy's credentialed origins are trusted, and whose headers a refusal carries), and
sends a refusal before the app is called: a 403 for http, and for a WebSocket a denial before
``websocket.accept`` (the server answers the handshake with 403).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from crossgate._engine import decide_actual
from crossgate._layers import layers
from crossgate._options import Origins
from crossgate._protect import (
    SAFE_METHODS,
    LogLimiter,
    RouteFacts,
    compile_protection,
    decide,
    exempt_problems,
    refusal_body,
)
from crossgate.asgi._cors import CORSMiddleware, encode
from crossgate.asgi._routes import find_router
from crossgate.asgi._types import ASGIApp, Receive, Scope, Send
from crossgate.errors import ConfigError, Problem

logger = logging.getLogger("crossgate")

_EXAMPLE = "'payment_hook' (a route name) or '/hooks' (a mounted path)"
_WHAT = "a route name or a mounted path"
_DENIAL = "websocket.http.response"


def route_names(routes: Sequence[Any], prefix: str = "") -> set[str]:
    """The names ``exempt`` may use for *routes*: every route's and mount's name, and every
    mount's full path."""
    names: set[str] = set()
    for route in routes:
        name = getattr(route, "name", None)
        if isinstance(name, str) and name:
            names.add(name)
        inner = getattr(route, "routes", None)
        path = getattr(route, "path", None)
        if isinstance(inner, list) and isinstance(path, str):
            names.add(prefix + path)
            names |= route_names(inner, prefix + path)
    return names


class CrossOriginProtection:
    """Refuse state-changing requests and WebSocket handshakes that a page of an untrusted site
    sends with the user's cookies: the cross-site request forgery CORS does not stop.

    >>> app = CrossOriginProtection(CORSMiddleware(starlette_app, origins=[...]), exempt=["hook"])

    Put it outside ``CORSMiddleware``: the origins that policy allows with credentials are then
    trusted, and a refusal carries the CORS headers that policy gives the page. ``exempt``
    names routes (their ``name``) or mounts (their full path) of the app's router, never a path
    pattern. Invalid values and unknown names raise ``ConfigError`` here.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        trusted_origins: Origins = (),
        exempt: Iterable[str] = (),
    ) -> None:
        self.app = app
        where = "CrossOriginProtection(app)"
        self.protection = compile_protection(trusted_origins, context=where)
        self.router = find_router(app)
        known = None if self.router is None else route_names(self.router.routes)
        self.exempt, problems = exempt_problems(exempt, known, what=_WHAT, example=_EXAMPLE)
        self._match: tuple[object, object] = (None, None)
        if self.router is not None:
            # Imported only once a Starlette router was found, so Starlette is installed.
            from starlette.routing import Match

            self._match = Match.FULL, Match.PARTIAL
        if self.exempt and self.router is None:
            problems.append(
                Problem(
                    "exempt",
                    sorted(self.exempt),
                    "needs a Starlette or FastAPI router to know where a request goes, and the "
                    "wrapped app has none",
                    "wrap a sub-application that must accept writes from anywhere separately",
                )
            )
        if problems:
            raise ConfigError(problems, context=where)
        self.cors = next(
            (layer for layer in layers(app) if isinstance(layer, CORSMiddleware)), None
        )
        self.debug = any(getattr(layer, "debug", False) is True for layer in layers(app))
        self.limiter = LogLimiter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        websocket = kind == "websocket"
        method: str = "GET" if websocket else scope.get("method", "")
        if not (websocket or kind == "http") or (method in SAFE_METHODS and not websocket):
            await self.app(scope, receive, send)
            return
        fetch_site = origin = host = None
        for name, value in scope["headers"]:
            if name == b"sec-fetch-site":
                fetch_site = value.decode("latin-1")
            elif name == b"origin":
                origin = value.decode("latin-1")
            elif name == b"host":
                host = value.decode("latin-1")
        reason = decide(
            self.protection,
            method,
            fetch_site,
            origin,
            host,
            lambda: self._route(scope),
            websocket=websocket,
        )
        if reason is None:
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        body = refusal_body(logger, self.limiter, method, path, reason, debug=self.debug)
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            *self._cors_headers(origin),
        ]
        if websocket:
            await self._deny(scope, receive, send, headers, body)
        else:
            await send({"type": "http.response.start", "status": 403, "headers": headers})
            await send({"type": "http.response.body", "body": body})

    def _route(self, scope: Scope) -> RouteFacts:
        policy = None if self.cors is None else self.cors.policy
        if not self.exempt:
            return RouteFacts(False, policy)
        assert self.router is not None  # exempt needs one (checked at start-up)
        return RouteFacts(self._exempt(self.router.routes, scope, ""), policy)

    def _exempt(self, routes: Sequence[Any], scope: Scope, prefix: str) -> bool:
        """Whether the route Starlette dispatches *scope* to, or a mount on the way, is exempt:
        the first full match wins, else the first partial one (a 405), as in its router."""
        full, partial = self._match
        chosen: tuple[Any, dict[str, Any]] | None = None
        for route in routes:
            outcome, child = route.matches(scope)
            if outcome is full:
                chosen = route, child
                break
            if outcome is partial and chosen is None:
                chosen = route, child
        if chosen is None:
            return False
        route, child = chosen
        if getattr(route, "name", None) in self.exempt:
            return True
        inner = getattr(route, "routes", None)
        path = getattr(route, "path", None)
        if isinstance(inner, list) and isinstance(path, str):
            return prefix + path in self.exempt or self._exempt(
                inner, {**scope, **child}, prefix + path
            )
        return False

    def _cors_headers(self, origin: str | None) -> list[tuple[bytes, bytes]]:
        """The CORS headers the wrapped ``CORSMiddleware`` gives *origin*, so a trusted page can
        read why; none without one."""
        if self.cors is None:
            return []
        decision = decide_actual(self.cors.policy, origin, explain=False)
        vary = [(b"vary", decision.vary.encode())] if decision.vary else []
        return [*encode(decision.headers), *vary]

    async def _deny(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
    ) -> None:
        """Refuse a WebSocket handshake before it is accepted: a 403 response where the server
        offers the denial extension, otherwise ``websocket.close`` (which servers send as 403).
        """
        message = await receive()
        if message["type"] != "websocket.connect":
            return  # the client went away
        if _DENIAL in scope.get("extensions", {}):
            await send({"type": "websocket.http.response.start", "status": 403, "headers": headers})
            await send({"type": "websocket.http.response.body", "body": body})
        else:
            await send({"type": "websocket.close", "code": 1008})
