"""Per-application state of the flask-cors layer, and its ``after_request`` hooks.

Headers are added where flask-cors adds them (an ``after_request`` hook per ``CORS()`` call,
the decorator's wrapper, the ``intercept_exceptions`` wrappers), so the order in which hooks see
them is flask-cors's. When nothing could tell the difference, the app's edge (``_edge.py``)
takes the place of the hook and adds the same headers as the response is sent.

A ``before_request`` hook, first in line, answers preflights when ``preflight_before_request``
is on, so an auth hook never answers one with a 401; it is installed only when something opted
in. A preflight to a URL Werkzeug redirects is resolved by the native edge's route resolver.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Protocol

from flask import Flask, Request, Response, current_app, request
from werkzeug.datastructures import Headers, MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from crossgate._bounded import BoundedCache
from crossgate._engine import Decision
from crossgate._http import Header
from crossgate.compat.flask_cors._log import (
    core_logger,
    extension_logger,
    log_decision,
    log_left_alone,
    log_resource,
)
from crossgate.compat.flask_cors._policy import CompatPolicy
from crossgate.compat.flask_cors._resources import Rules, policies
from crossgate.compat.flask_cors.core import ACL_ORIGIN, FLASK_CORS_EVALUATED

# Werkzeug's routing, redirects followed, exactly as the native edge resolves a preflight.
from crossgate.flask._routing import route

#: Where ``cross_origin`` leaves its spec on the view it wraps.
VIEW_ATTRIBUTE = "__crossgate_flask_cors__"

_STATE_KEY = "crossgate.compat.flask_cors"
_PATH_CACHE_SIZE = 4096
# Longer paths are looked up each time: the cache holds a bounded number of entries, not bytes.
_CACHED_PATH_LIMIT = 2048
_MISS = object()
_UNCOVERED = Decision(False)
_ACAO = ACL_ORIGIN.lower()


class DecoratedView(Protocol):
    """What the early preflight hook needs from a ``cross_origin`` spec."""

    def early_answer(
        self, app: Flask, *, app_wide: bool, answer: Response | None = None
    ) -> Response | None: ...


def blueprint_scopes(endpoint: str) -> list[str]:
    """The blueprints an endpoint belongs to, innermost first (Flask's ``request.blueprints``)."""
    scopes = []
    name = endpoint.rpartition(".")[0]
    while name:
        scopes.append(name)
        name = name.rpartition(".")[0]
    return scopes


def current_request() -> Request:
    """The request object itself: one proxy look-up instead of one per attribute."""
    return request._get_current_object()  # type: ignore[attr-defined, no-any-return]


def decide(policy: CompatPolicy, req: Request) -> Decision:
    """*policy*'s answer to *req*, logged."""
    environ = req.environ
    origin = environ.get("HTTP_ORIGIN")
    decision = policy.decide(origin, req.method, environ)
    if core_logger.isEnabledFor(logging.INFO):
        log_decision(
            origin, req.method, environ, decision.headers, wildcard=policy.answers_wildcard
        )
    return decision


def left_alone(response: Response) -> bool:
    """flask-cors's rule for every writer: a response a ``cross_origin`` view evaluated, or that
    carries ``Access-Control-Allow-Origin`` (any line, as ``crossgate._engine.apply`` decides),
    keeps its headers."""
    if hasattr(response, FLASK_CORS_EVALUATED) or _has_acao(response.headers):
        log_left_alone()
        return True
    return False


def _has_acao(headers: Iterable[Header] | Mapping[str, str] | None) -> bool:
    if type(headers) is not Headers:
        # A subclass with its own rules, or a plain mapping (see add_cors_headers), or none.
        return headers is not None and ACL_ORIGIN in headers
    # Iterating spares the KeyError that Headers.__contains__ costs on a miss.
    return any(name.lower() == _ACAO for name, _ in headers)


def add_cors_headers(response: Response, headers: Sequence[Header]) -> None:
    """Add *headers* to *response* through its ``Headers`` (as flask-cors does)."""
    if not isinstance(response.headers, (Headers, MultiDict)):
        # Some libraries (OAuthlib) replace the headers with a plain mapping.
        response.headers = Headers(response.headers)
    add = response.headers.add
    for name, value in headers:
        add(name, value)


@dataclass(frozen=True, slots=True, eq=False)
class Registration:
    """One ``CORS(...)`` call: its compiled resources and its ``after_request`` hook."""

    rules: Rules
    intercept_exceptions: bool
    #: The call's own ``preflight_before_request`` (before resources override it).
    preflight_before_request: bool
    #: What ``covering`` found for recent paths, bounded: the stream of paths is the clients'.
    paths: BoundedCache[str, Any] = field(
        default_factory=lambda: BoundedCache(_PATH_CACHE_SIZE), compare=False, repr=False
    )

    @property
    def varies(self) -> bool:
        """Whether some answer of this call has a ``Vary: Origin`` line."""
        return any(policy.varies for policy in policies(self.rules))

    def lookup(self, path: str) -> CompatPolicy | None:
        """The policy of the first rule that covers *path*."""
        found = self.rules.lookup(path)
        return None if found is None else found[1]

    def covering(self, path: str) -> tuple[str, CompatPolicy] | None:
        """The first rule covering *path* and its policy, kept for recent paths of ordinary
        length (the regexes flask-cors's ``resources`` are made of cost more than a look-up)."""
        found = self.rules.lookup(path)
        if len(path) <= _CACHED_PATH_LIMIT:
            self.paths.put(path, found)
        return found

    def decide(self, req: Request) -> Decision:
        """The CORS answer to *req* (none when no resource covers it)."""
        path = req.path
        found = self.paths.get(path, _MISS)
        if found is _MISS:
            found = self.covering(path)
        if extension_logger.isEnabledFor(logging.DEBUG):
            log_resource(path, None if found is None else found[0])
        return _UNCOVERED if found is None else decide(found[1], req)

    def after_request(self, response: Response) -> Response:
        """flask-cors's hook; leaves alone what ``left_alone`` says."""
        if not left_alone(response):
            add_cors_headers(response, self.decide(current_request()).headers)
        return response


@dataclass(slots=True, eq=False)
class AppState:
    """What one app's flask-cors layer knows; lives in ``app.extensions``."""

    #: ``(blueprint name or None for the app, registration)`` in registration order.
    registrations: list[tuple[str | None, Registration]] = field(default_factory=list)
    #: A decorated view's policy per app: ``spec -> (config snapshot, policy)``.
    decorated: dict[object, tuple[tuple[Any, ...], CompatPolicy]] = field(default_factory=dict)
    #: Whether the edge is installed.
    has_edge: bool = False
    #: Whether the early preflight hook is installed (only when something opted in).
    answers_preflights_early: bool = False

    def in_scope(self, scopes: Iterable[str | None]) -> Iterable[tuple[str | None, Registration]]:
        """``(blueprint or None, registration)`` of the *scopes* (blueprint names, None for the
        app), in the order Flask runs their ``after_request`` hooks."""
        for scope in scopes:
            for name, registration in reversed(self.registrations):
                if name == scope:
                    yield name, registration

    def _in_scope(self, endpoint: str) -> list[Registration]:
        scopes = chain(blueprint_scopes(endpoint), (None,))
        return [registration for _, registration in self.in_scope(scopes)]

    def answer_preflight_early(self) -> Response | None:
        """``before_request`` hook, first in line: answer preflights that opted in.

        A preflight to a URL Werkzeug redirects (a missing trailing slash...) is answered as
        the route it leads to would be, by that route's policy: a browser never follows a
        redirect for a preflight.
        """
        environ = request.environ
        if request.method != "OPTIONS" or not (
            environ.get("HTTP_ORIGIN") and environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD")
        ):
            return None
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        rule, path, answer = request.url_rule, request.path, None
        if rule is None:
            found = None
            if isinstance(request.routing_exception, RequestRedirect):
                found = route(app, environ, "OPTIONS")
            if found is None:
                return None
            try:
                rule, _ = found.adapter.match(found.path, method="OPTIONS", return_rule=True)
            except HTTPException:
                return None  # the route reached does not answer OPTIONS: neither does Flask
            # Flask's answer to OPTIONS on the route reached (its own, at the redirecting URL,
            # would list no methods).
            path, answer = found.path, app.response_class()
            answer.allow.update(found.methods)
        registrations = self._in_scope(rule.endpoint)
        spec: DecoratedView | None = getattr(
            app.view_functions.get(rule.endpoint), VIEW_ATTRIBUTE, None
        )
        if spec is not None:
            app_wide = any(registration.preflight_before_request for registration in registrations)
            return spec.early_answer(app, app_wide=app_wide, answer=answer)
        for registration in registrations:
            policy = registration.lookup(path)
            if policy is None or not policy.preflight_before_request:
                continue
            if answer is None:
                # The CORS hooks (or the edge) then add the headers, as to Flask's own answer.
                return app.make_default_options_response()
            add_cors_headers(answer, decide(policy, current_request()).headers)
            # Decided here, by the route's path: the hooks leave it as it is.
            setattr(answer, FLASK_CORS_EVALUATED, True)
            return answer
        return None

    def error_headers(self, app: Flask) -> Sequence[Header]:
        """The CORS headers a 500 for the current request would get outside debug mode."""
        scratch = app.response_class(status=500)
        before = len(scratch.headers)
        for registration in self._in_scope(request.endpoint or ""):
            if registration.intercept_exceptions:
                registration.after_request(scratch)
        return list(scratch.headers)[before:]


def app_state(app: Flask) -> AppState:
    """The app's state, created on first use (nothing installed)."""
    state = app.extensions.get(_STATE_KEY)
    if state is None:
        state = app.extensions[_STATE_KEY] = AppState()
    assert isinstance(state, AppState)
    return state
