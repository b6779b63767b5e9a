"""``CORSMiddleware``: crossgate's CORS for any ASGI app (Starlette, FastAPI, Quart...).

It wraps the whole app, so every response passes through it on the way out, including the 500
that Starlette's ``ServerErrorMiddleware`` sends for an unhandled exception (put the middleware
inside the app with ``add_middleware`` and that 500 escapes it). Per request it does what the
Flask adapter does, with the same engine:

1. read the facts from the scope: the method and the ``Origin`` and
   ``Access-Control-Request-*`` headers;
2. a preflight is answered right here (204, or 403 with the reason), the app never called, so
   no authentication dependency or middleware inside can refuse it; the methods of the path
   come from the app's Starlette router when it has one (a path no route serves goes on to the
   app, which answers 404), otherwise from ``methods``;
3. any other request goes to the app, and the engine's headers are added to its
   ``http.response.start``, ``Vary`` merged with the app's own.

websocket and lifespan scopes pass through untouched.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from crossgate._engine import (
    Decision,
    PreflightAnswer,
    decide_actual,
    decide_preflight,
    log_refusal,
    preflight_answer,
    refusal_reason,
    refuse_preflight,
)
from crossgate._hand_set import HandSet, HandSetLog, apply_replacing
from crossgate._policy import CORSPolicy, build_policy, check_options
from crossgate._reasons import Reason
from crossgate.asgi._routes import Routed, RouteTable, find_router
from crossgate.asgi._startup import StartupGuard
from crossgate.asgi._types import ASGIApp, Message, Receive, Scope, Send
from crossgate.errors import ConfigError, Problem

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from crossgate._options import CORSOptions

#: Header lines as ASGI carries them.
RawHeaders = list[tuple[bytes, bytes]]

#: Set in the scope of every http request: a CORS policy covers its response, so
#: ``HeadersMiddleware`` relaxes a preset's ``Cross-Origin-Resource-Policy: same-origin``.
CORS_SCOPE_KEY = "crossgate.cors"

_UNROUTED = Routed(True, None)
_ORIGIN = b"origin"
_REQUEST_PREFIX = b"access-control-request-"
_REQUEST_METHOD = b"access-control-request-method"
_REQUEST_HEADERS = b"access-control-request-headers"
_REQUEST_PRIVATE_NETWORK = b"access-control-request-private-network"


#: What a preflight asks: its ``Origin``, ``Access-Control-Request-Method``, ``-Headers``
#: (None: absent) and whether it asks for private network access. A plain tuple: one is made
#: per preflight.
PreflightAsked = tuple[str, str, str | None, bool]


def compile_policy(options: Mapping[str, object], where: str) -> CORSPolicy:
    """*options* compiled as ``CORS(app, ...)`` compiles them, or a ConfigError naming *where*
    with every problem. ``resources`` is refused: paths are the router's business here."""
    problems = []
    if "resources" in options:
        problems.append(
            Problem(
                "resources",
                options["resources"],
                "is an option of the Flask adapter; an ASGI middleware covers the app it wraps",
                "wrap each sub-application (a Mount's app) in its own CORSMiddleware",
            )
        )
        options = {name: value for name, value in options.items() if name != "resources"}
    # check_options judges a misspelt option as the one it meant, as CORS(app) does.
    problems.extend(check_options(options, require_origins=True))
    if problems:
        raise ConfigError(problems, context=where)
    return build_policy(options, source=where, origins_source=where)


def encode(headers: Iterable[tuple[str, str]]) -> RawHeaders:
    """Header lines as ASGI sends them: lowercase names, latin-1 bytes."""
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]


def apply_raw(
    raw: Iterable[tuple[bytes, bytes]], decision: Decision
) -> tuple[RawHeaders, tuple[HandSet, ...]]:
    """The response header lines *raw* with the engine's *decision* applied (``Vary`` merged,
    hand-set CORS headers replaced): ``crossgate._hand_set.apply_replacing`` on ASGI's lines,
    returning new ones and the hand-set values that differed."""
    headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw]
    found = apply_replacing(headers, decision)
    return encode(headers), found


class CORSMiddleware(StartupGuard):
    """CORS for an ASGI app, with the options of ``crossgate.flask.CORS``.

    >>> app = CORSMiddleware(FastAPI(), origins=["https://app.example.com"])

    Wrap the whole app (not ``app.add_middleware``), so the 500 of an unhandled exception
    carries the headers too. Invalid options raise ``ConfigError`` here, listing every problem
    with its fix; built by ``add_middleware``, they fail the lifespan startup instead.
    """

    def __init__(self, app: ASGIApp, **options: Unpack[CORSOptions]) -> None:
        self.app = app
        try:
            self.policy = compile_policy(options, "CORSMiddleware(app)")
        except ConfigError as error:
            self.fail_startup(error)
            return
        router = find_router(app)
        self._routes = None if router is None else RouteTable(router)
        self._hand_set = HandSetLog()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if await self.passed_on(scope, receive, send):
            return
        scope[CORS_SCOPE_KEY] = True
        origin = request_method = request_headers = None
        private_network = False
        for name, value in scope["headers"]:
            if name == _ORIGIN:
                origin = value.decode("latin-1")
            elif name.startswith(_REQUEST_PREFIX):
                if name == _REQUEST_METHOD:
                    request_method = value.decode("latin-1")
                elif name == _REQUEST_HEADERS:
                    request_headers = value.decode("latin-1")
                elif name == _REQUEST_PRIVATE_NETWORK:
                    private_network = value == b"true"
        if origin is not None and request_method is not None and scope["method"] == "OPTIONS":
            asked = origin, request_method, request_headers, private_network
            answer = self._preflight(scope, asked)
            if answer is not None:
                status, headers, body = answer
                await send(
                    {"type": "http.response.start", "status": status, "headers": encode(headers)}
                )
                await send({"type": "http.response.body", "body": body})
                return
        decision = self._actual(origin, scope)
        if not decision.allowed and origin is not None:
            self._log(scope, decision.reason or (lambda: refusal_reason(self.policy, origin)))

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers, found = apply_raw(message.get("headers", ()), decision)
                message["headers"] = headers
                if found:
                    self._warn_hand_set(scope, origin, found)
            await send(message)

        await self.app(scope, receive, send_with_cors)

    def _actual(self, origin: str | None, scope: Scope) -> Decision:
        """The engine's answer to an actual request; a refusal's reason is worked out only if
        the log shows it. (*scope* is for the Starlette drop-in: old Starlette versions answer
        by the request's ``Cookie`` header.)"""
        return decide_actual(self.policy, origin, explain=False)

    def _decide_preflight(
        self, asked: PreflightAsked, route_methods: Iterable[str] | None
    ) -> Decision:
        """The engine's decision on the preflight *asked*, for a route with *route_methods*."""
        origin, method, headers, private_network = asked
        return decide_preflight(
            self.policy,
            origin,
            method,
            headers,
            route_methods,
            private_network=private_network,
            explain=False,
        )

    def _preflight(self, scope: Scope, asked: PreflightAsked) -> PreflightAnswer | None:
        """The engine's answer to a preflight: 204 with the headers, or 403 saying why (the
        reason in the body when the app is in debug mode). ``None`` leaves a path no route
        serves to the app. Without a router, ``methods`` says what the path accepts."""
        routed = _UNROUTED if self._routes is None else self._routes.resolve(scope)
        if not routed.found:
            return None
        decision = self._decide_preflight(asked, routed.methods)
        if decision.allowed:
            return preflight_answer(decision)
        explain = functools.partial(refusal_reason, self.policy, asked[0], preflight=True)
        method, path = scope.get("method", ""), scope.get("path", "")
        return refuse_preflight(decision, method, path, debug=self._debug, explain=explain)

    def _warn_hand_set(self, scope: Scope, origin: str | None, found: tuple[HandSet, ...]) -> None:
        """Warn once per endpoint (the route's, after the router ran; else the path)."""
        path: str = scope.get("path", "")
        endpoint = getattr(scope.get("endpoint"), "__qualname__", None)
        self._hand_set.warn(endpoint or path, scope.get("method", ""), path, origin, found)

    @property
    def _debug(self) -> bool:
        # Starlette, FastAPI and Quart apps say whether they run in debug mode.
        return getattr(self.app, "debug", False) is True

    def _log(self, scope: Scope, reason: Reason | Callable[[], Reason]) -> None:
        """Explain a refusal in the ``crossgate`` log (``crossgate._engine.log_refusal``)."""
        log_refusal(scope.get("method", ""), scope.get("path", ""), reason, debug=self._debug)
