"""``CrossOriginProtection`` for Flask: refuse writes from untrusted sites before Flask runs.

The decision is ``crossgate._protect.decide``; this module reads the WSGI environ, finds the
route Flask will dispatch to (for ``exempt`` and for the route's CORS policy) and writes a
refusal. It runs as a WSGI layer just inside the edge (``crossgate.flask._edge``): after a
preflight has been answered, before Flask's ``before_request`` hooks and the view, and with the
edge adding the route's CORS and header policies to a refusal as it does to any response.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.exceptions import HTTPException

from crossgate._bounded import BoundedCache
from crossgate._options import Origins
from crossgate._protect import (
    SAFE_METHODS,
    LogLimiter,
    Protection,
    RouteFacts,
    compile_protection,
    decide,
    exempt_problems,
    refusal_body,
)
from crossgate._reasons import Reason
from crossgate.errors import ConfigError
from crossgate.flask._edge import request_path, route_policies
from crossgate.flask._extension import state_for

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

    from crossgate.flask._resolved import Resolved

#: Where an app keeps its protection layer, in ``app.extensions``.
EXTENSION_KEY = "crossgate.protection"

logger = logging.getLogger("crossgate")

_EXAMPLE = "'webhooks.payment' (an endpoint) or 'webhooks' (a blueprint)"
_WHAT = "an endpoint or a blueprint"
_NOTHING_TO_FIND = RouteFacts(False, None)
# Where requests were routed is kept for this many URLs, and only for URLs of ordinary size.
_CACHE_SIZE = 4096
_CACHED_KEY_LIMIT = 2048


class CrossOriginProtection:
    """Refuse state-changing requests and WebSocket handshakes that a page of an untrusted site
    sends with the user's cookies: the cross-site request forgery CORS does not stop.

    >>> CORS(app, origins=["https://app.example.com"], supports_credentials=True)
    >>> CrossOriginProtection(app, exempt=["webhooks"])

    ``trusted_origins`` take the ``origins`` syntax; the origins the route's CORS policy allows
    with credentials are trusted too. ``exempt`` names endpoints and blueprints (never paths):
    their routes accept writes from anywhere. Invalid values raise ``ConfigError`` here; a name
    the app does not have raises it at the app's first request, when its routes are final (as
    the CORS policies are resolved).
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        trusted_origins: Origins = (),
        exempt: Iterable[str] = (),
    ) -> None:
        self._protection = compile_protection(trusted_origins, context="CrossOriginProtection()")
        names, problems = exempt_problems(exempt, None, what=_WHAT, example=_EXAMPLE)
        if problems:
            raise ConfigError(problems, context="CrossOriginProtection()")
        self._exempt = names
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Protect *app* (once per app; one ``CrossOriginProtection`` may serve several)."""
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError("CrossOriginProtection is already set up on this app")
        edge = state_for(app).edge
        assert edge is not None  # state_for installs the edge with the state
        layer = ProtectionLayer(app, self._protection, self._exempt, edge.wsgi_app)
        edge.wsgi_app = layer
        app.extensions[EXTENSION_KEY] = layer


def _route_names(app: Flask) -> set[str]:
    return set(app.view_functions) | set(app.blueprints)


class ProtectionLayer:
    """The WSGI layer of one app's protection, between the edge and ``Flask.wsgi_app``."""

    __slots__ = (
        "_exempt_endpoints",
        "app",
        "limiter",
        "names",
        "protection",
        "routes",
        "wsgi_app",
    )

    def __init__(
        self,
        app: Flask,
        protection: Protection,
        names: frozenset[str],
        wsgi_app: WSGIApplication,
    ) -> None:
        self.app = app
        self.protection = protection
        self.names = names
        self.wsgi_app = wsgi_app
        self.limiter = LogLimiter()
        self.routes: BoundedCache[tuple[object, ...], RouteFacts] = BoundedCache(_CACHE_SIZE)
        self._exempt_endpoints: frozenset[str] | None = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self._exempt_endpoints is None:
            self.exempt_endpoints()  # the first request: names are checked, whatever it is
        method: str = environ.get("REQUEST_METHOD", "GET")
        websocket = method == "GET" and "websocket" in environ.get("HTTP_UPGRADE", "").lower()
        if method in SAFE_METHODS and not websocket:
            return self.wsgi_app(environ, start_response)
        reason = decide(
            self.protection,
            method,
            environ.get("HTTP_SEC_FETCH_SITE"),
            environ.get("HTTP_ORIGIN"),
            environ.get("HTTP_HOST"),
            lambda: self._route(environ, method),
            websocket=websocket,
        )
        if reason is None:
            return self.wsgi_app(environ, start_response)
        return self._refuse(environ, start_response, method, reason)

    @staticmethod
    def check_names(app: Flask, names: frozenset[str]) -> frozenset[str]:
        """The endpoints *names* covers (an endpoint, or every endpoint of a blueprint and of
        the blueprints nested in it). Raises ``ConfigError`` for a name the app does not have.
        """
        _, problems = exempt_problems(names, _route_names(app), what=_WHAT, example=_EXAMPLE)
        if problems:
            raise ConfigError(problems, context="CrossOriginProtection(app)")
        return frozenset(
            endpoint
            for endpoint in app.view_functions
            if endpoint in names or any(endpoint.startswith(name + ".") for name in names)
        )

    def exempt_endpoints(self) -> frozenset[str]:
        """The endpoints ``exempt`` covers, worked out at the first request that asks (routes
        are all registered by then)."""
        found = self._exempt_endpoints
        if found is None:
            found = self._exempt_endpoints = self.check_names(self.app, self.names)
        return found

    def _route(self, environ: WSGIEnvironment, method: str) -> RouteFacts:
        """The facts of the route Flask will dispatch this request to, remembered per URL in a
        bounded table (a flood of forged requests must not route each one)."""
        app = self.app
        state = app.extensions["crossgate"]
        resolved = state.resolved or state.resolve(app)
        credentialed = any(policy.supports_credentials for policy in resolved.policies.values())
        if not (credentialed or self.names):
            return _NOTHING_TO_FIND  # no route can exempt or trust: no need to find it
        path_info: str = environ.get("PATH_INFO", "")
        host: str = environ.get("HTTP_HOST", "")
        key = (
            method,
            environ.get("HTTP_UPGRADE"),
            environ.get("wsgi.url_scheme"),
            host,
            environ.get("SCRIPT_NAME", ""),
            path_info,
        )
        found = self.routes.get(key)
        if found is None:
            found = self._find(environ, method, resolved, credentialed=credentialed)
            if len(path_info) + len(host) <= _CACHED_KEY_LIMIT:
                self.routes.put(key, found)
        return found

    def _find(
        self, environ: WSGIEnvironment, method: str, resolved: Resolved, *, credentialed: bool
    ) -> RouteFacts:
        """Werkzeug's own match, with the request's method, on the path as the server handed
        it over: the endpoint Flask will call, whether ``exempt`` covers it, and its policy."""
        app = self.app
        endpoint: str | None = None
        # A 404, 405 or redirect: no view runs, and nothing is exempt.
        with contextlib.suppress(HTTPException):
            adapter = app.create_url_adapter(app.request_class(environ, populate_request=False))
            assert adapter is not None  # always bound when given a request
            rule, _ = adapter.match(method=method, return_rule=True)
            endpoint = rule.endpoint
        if endpoint is not None and endpoint in self.exempt_endpoints():
            return RouteFacts(True, None)
        if not credentialed:
            return _NOTHING_TO_FIND
        policy = route_policies(app, resolved, environ, request_path(environ))[0]
        return RouteFacts(False, policy)

    def _refuse(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        method: str,
        reason: Reason,
    ) -> list[bytes]:
        path = request_path(environ)
        body = refusal_body(logger, self.limiter, method, path, reason, debug=self.app.debug)
        start_response(
            "403 FORBIDDEN",
            [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]
