"""Per-application state of the flask-cors layer, its ``after_request`` hooks, and how the
native edge writes what they decide.

Headers are decided where flask-cors decides them (an ``after_request`` hook per ``CORS()``
call, the decorator's wrapper, the ``intercept_exceptions`` wrappers), so the order in which
hooks see them is flask-cors's. The layer is a policy source of the native WSGI edge
(``crossgate.flask._state.PolicySource``): when nothing could tell the difference
(``LayerState.defers``), the hook only decides, and the edge writes the answer into the list the
response is sent with, with ``crossgate._engine.apply``; werkzeug's ``Headers`` validating each
line twice costs more than deciding it. In debug mode the edge's 500 carries the headers the
error response would have had (``remember_error_headers``).

A ``before_request`` hook, first in line, answers preflights when ``preflight_before_request``
is on, so an auth hook never answers one with a 401; it is installed only when something opted
in. A preflight to a URL Werkzeug redirects is resolved by the native edge's route resolver.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Flask, Request, Response, current_app, request
from flask.sessions import SecureCookieSessionInterface
from flask.signals import request_finished
from werkzeug.datastructures import Headers, MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Response as BaseResponse

from crossgate._bounded import BoundedCache
from crossgate._engine import Decision, apply
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
from crossgate.flask._edge import Edge, install_edge

# Werkzeug's routing, redirects followed, exactly as the native edge resolves a preflight.
from crossgate.flask._routing import route
from crossgate.flask._state import AppState

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

#: Where ``cross_origin`` leaves its spec on the view it wraps.
VIEW_ATTRIBUTE = "__crossgate_flask_cors__"

#: The layer's key in ``app.extensions`` (the tools look for it there).
STATE_KEY = "crossgate.compat.flask_cors"
_PATH_CACHE_SIZE = 4096
# Longer paths are looked up each time: the cache holds a bounded number of entries, not bytes.
_CACHED_PATH_LIMIT = 2048
_MISS = object()
_UNCOVERED = Decision(False)
_ACAO = ACL_ORIGIN.lower()
# Where, in a request's environ, the edge finds the layer, a hook's answer left for the edge to
# write, and the headers of a debug-mode 500.
_THROUGH_EDGE = "crossgate.compat.flask_cors.state"
_DECIDED = "crossgate.compat.flask_cors.decided"
_ERROR_HEADERS = "crossgate.compat.flask_cors.error_headers"
# Flask's methods between the after_request hooks and start_response: an override of any of
# them could look at the headers on the way.
_RESPONSE_CYCLE = ("full_dispatch_request", "finalize_request", "process_response")
# A response's own way of sending itself.
_SENDING = ("__call__", "get_wsgi_response", "get_wsgi_headers")


def current_request() -> Request:
    """The request object itself: one proxy look-up instead of one per attribute."""
    return request._get_current_object()  # type: ignore[attr-defined, no-any-return]


def decide(policy: CompatPolicy, req: Request) -> Decision:
    """*policy*'s answer to *req*, logged."""
    environ = req.environ
    origin = environ.get("HTTP_ORIGIN")
    decision = policy.decide(origin, req.method, environ)
    if core_logger.isEnabledFor(logging.INFO):
        log_decision(origin, req.method, environ, decision.headers, wildcard=policy.answer.wildcard)
    return decision


def left_alone(response: Response) -> bool:
    """flask-cors's rule for every writer: a response a ``cross_origin`` view evaluated, or that
    carries ``Access-Control-Allow-Origin`` (any line, as ``crossgate._engine.apply`` decides),
    keeps its headers."""
    if hasattr(response, FLASK_CORS_EVALUATED) or _has_acao(response.headers):
        log_left_alone()
        return True
    return False


def evaluate(response: Response, policy: CompatPolicy) -> Response:
    """What ``cross_origin`` does: *response* with *policy*'s headers (unless ``left_alone``),
    marked as evaluated, so the ``after_request`` hooks leave it as it is."""
    if not left_alone(response):
        add_cors_headers(response, decide(policy, current_request()).headers)
    setattr(response, FLASK_CORS_EVALUATED, True)
    return response


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

    def covering(self, path: str) -> tuple[str, CompatPolicy] | None:
        """The first rule covering *path* and its policy, kept for recent paths of ordinary
        length (the regexes flask-cors's ``resources`` are made of cost more than a look-up)."""
        found = self.paths.get(path, _MISS)
        if found is _MISS:
            found = self.rules.lookup(path)
            if len(path) <= _CACHED_PATH_LIMIT:
                self.paths.put(path, found)
        return found  # type: ignore[no-any-return]

    def decide(self, req: Request) -> Decision:
        """The CORS answer to *req* (none when no resource covers it)."""
        path = req.path
        found = self.covering(path)
        if extension_logger.isEnabledFor(logging.DEBUG):
            log_resource(path, None if found is None else found[0])
        return _UNCOVERED if found is None else decide(found[1], req)

    def after_request(self, response: Response) -> Response:
        """flask-cors's hook; leaves alone what ``left_alone`` says. Where the app's edge
        writes for it (``LayerState.defers``), it only decides, and the edge writes the answer."""
        req = current_request()
        environ = req.environ
        state: LayerState | None = environ.get(_THROUGH_EDGE)
        if state is None or not state.defers(self, response):
            return self.add(response, req)
        if hasattr(response, FLASK_CORS_EVALUATED):
            log_left_alone()
            environ.pop(_DECIDED, None)
        else:
            environ[_DECIDED] = self.decide(req)
        return response

    def add(self, response: Response, req: Request | None = None) -> Response:
        """What flask-cors's hook does: *response* with this call's headers, unless
        ``left_alone``."""
        if not left_alone(response):
            add_cors_headers(response, self.decide(req or current_request()).headers)
        return response


@dataclass(slots=True, eq=False)
class LayerState:
    """What one app's flask-cors layer knows; lives in ``app.extensions``."""

    #: ``(blueprint name or None for the app, registration)`` in registration order.
    registrations: list[tuple[str | None, Registration]] = field(default_factory=list)
    #: A decorated view's policy per app: ``spec -> (config snapshot, policy)``.
    decorated: dict[object, tuple[tuple[Any, ...], CompatPolicy]] = field(default_factory=dict)
    #: The app's native edge, which writes what the hooks leave to it.
    edge: Edge | None = None
    #: Whether the early preflight hook is installed (only when something opted in).
    answers_preflights_early: bool = False
    #: The registration whose answers the edge writes (``takes_over``), once checked.
    writer: Registration | None = None
    checked: bool = False
    #: Per response class, whether it sends its headers as werkzeug's ``Response`` does.
    response_classes: dict[type[Any], bool] = field(default_factory=dict)
    #: The warnings given for this app: each is given once (``_notes.emit``).
    warned: set[str] = field(default_factory=set)

    def open(self, environ: WSGIEnvironment) -> None:
        """``PolicySource``: the request passes the edge, which will write what is decided."""
        environ[_THROUGH_EDGE] = self

    def write(self, environ: WSGIEnvironment, headers: list[Header]) -> None:
        """``PolicySource``: the answer a hook left to the edge, unless the response has its
        own ``Access-Control-Allow-Origin`` (``engine.apply``)."""
        decision: Decision | None = environ.get(_DECIDED)
        if decision is not None and decision.headers:
            sent = len(headers)
            apply(headers, decision)
            if len(headers) == sent:
                log_left_alone(decided=True)

    def debug_headers(self, environ: WSGIEnvironment) -> Sequence[Header] | None:
        """``PolicySource``: the CORS headers of a debug-mode 500 (``remember_error_headers``)."""
        headers: Sequence[Header] | None = environ.pop(_ERROR_HEADERS, None)
        return headers

    def defers(self, registration: Registration, response: Response) -> bool:
        """Whether the edge writes *registration*'s answer to *response*: its hook is the last
        to run (``takes_over``) and nothing sees the response before it is sent (a
        ``request_finished`` receiver, a response class sending its headers its own way)."""
        if not self.checked:
            assert self.edge is not None  # installed with the state
            self.writer = takes_over(current_app._get_current_object(), self.edge)  # type: ignore[attr-defined]
            self.checked = True
        if registration is not self.writer or request_finished.receivers:
            return False
        cls = type(response)
        sends_as_is = self.response_classes.get(cls)
        if sends_as_is is None:
            sends_as_is = self.response_classes[cls] = all(
                getattr(cls, name) is getattr(BaseResponse, name) for name in _SENDING
            )
        return sends_as_is

    def in_scope(self, endpoint: str) -> list[tuple[str | None, Registration]]:
        """``(blueprint or None, registration)`` of *endpoint*'s blueprints, innermost first,
        then the app's, in the order Flask runs their ``after_request`` hooks."""
        parts = endpoint.split(".")[:-1]
        scopes = [".".join(parts[:end]) for end in range(len(parts), 0, -1)]
        return [
            (name, registration)
            for scope in (*scopes, None)
            for name, registration in reversed(self.registrations)
            if name == scope
        ]

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
        registrations = [registration for _, registration in self.in_scope(rule.endpoint)]
        spec: Any = getattr(app.view_functions.get(rule.endpoint), VIEW_ATTRIBUTE, None)
        if spec is not None:
            app_wide = any(registration.preflight_before_request for registration in registrations)
            early: Response | None = spec.early_answer(app, app_wide=app_wide, answer=answer)
            return early
        for registration in registrations:
            covered = registration.covering(path)
            if covered is None or not covered[1].preflight_before_request:
                continue
            if answer is None:
                # The CORS hooks (or the edge) then add the headers, as to Flask's own answer.
                return app.make_default_options_response()
            return evaluate(answer, covered[1])  # decided by the path the redirect leads to
        return None

    def error_headers(self, app: Flask) -> Sequence[Header]:
        """The CORS headers a 500 for the current request would get outside debug mode."""
        scratch = app.response_class(status=500)
        before = len(scratch.headers)
        for _, registration in self.in_scope(request.endpoint or ""):
            if registration.intercept_exceptions:
                registration.add(scratch)
        return list(scratch.headers)[before:]


def takes_over(app: Flask, edge: Edge) -> Registration | None:
    """The registration whose answers *edge* can write, checked at the first request, when
    Flask no longer accepts hooks: none unless nothing could tell the difference.

    - the app's last hook to run (its first registered) is a ``CORS(app)`` call's, so no other
      hook sees its headers;
    - that call has ``intercept_exceptions``: when a hook fails, its wrappers add the headers to
      the error response, as before, and the edge then leaves them alone;
    - nothing between the hook and the edge: no middleware inside it, no override of Flask's
      response cycle, and, if an answer has ``Vary: Origin``, no session (Flask's session merges
      ``Vary: Cookie`` into the first ``Vary`` line, which may be CORS's: without a secret key,
      Flask's own sessions do not exist).
    """
    hooks = app.after_request_funcs.get(None)
    registration = getattr(hooks[0], "__self__", None) if hooks else None
    if not isinstance(registration, Registration) or not registration.intercept_exceptions:
        return None
    cls = type(app)
    if (
        getattr(edge.wsgi_app, "__self__", None) is not app
        or cls.wsgi_app is not Flask.wsgi_app
        or any(getattr(cls, name) is not getattr(Flask, name) for name in _RESPONSE_CYCLE)
        or any(name in vars(app) for name in _RESPONSE_CYCLE)
    ):
        return None
    if registration.varies and (
        type(app.session_interface) is not SecureCookieSessionInterface or app.secret_key
    ):
        return None
    return registration


def app_state(app: Flask) -> LayerState:
    """The app's state, created on first use (nothing installed)."""
    state = app.extensions.get(STATE_KEY)
    if state is None:
        state = app.extensions[STATE_KEY] = LayerState()
    assert isinstance(state, LayerState)
    return state


def install(app: Flask, *, early_preflights: bool) -> LayerState:
    """The app's state, as the policy source of the app's native edge (installed if the app
    has none: ``crossgate.flask.Headers`` may have put one there), and the early preflight hook
    if *early_preflights* (it costs every request a call, so only when something opted in)."""
    state = app_state(app)
    if early_preflights and not state.answers_preflights_early:
        state.answers_preflights_early = True
        app.before_request_funcs.setdefault(None, []).insert(0, state.answer_preflight_early)
    if state.edge is None:
        # The native state is registered only by crossgate's own API: to its tools (commands,
        # export), an app with only this layer has no native policy.
        native = app.extensions.get("crossgate")
        if not isinstance(native, AppState):
            native = AppState()
            native.edge = install_edge(app, native)
        native.source = state
        assert native.edge is not None
        state.edge = native.edge
        app_any: Any = app
        app_any.handle_exception = remember_error_headers(app, app.handle_exception)
    return state


def remember_error_headers(
    app: Flask, handle_exception: Callable[[Exception], Response]
) -> Callable[[Exception], Response]:
    """*handle_exception*, remembering, when it propagates in debug mode, the CORS headers the
    500 would have had: the edge sends them (``debug_headers``) once the request context is
    gone. Page navigations keep the interactive debugger."""

    def wrapped(error: Exception) -> Response:
        try:
            return handle_exception(error)
        except Exception:
            environ = request.environ
            if (
                app.debug
                and not app.testing
                and environ.get("HTTP_ORIGIN")
                and environ.get("HTTP_SEC_FETCH_MODE") != "navigate"
            ):
                headers = app_state(app).error_headers(app)
                if any(name == ACL_ORIGIN for name, _ in headers):
                    environ[_ERROR_HEADERS] = headers
            raise

    return wrapped
