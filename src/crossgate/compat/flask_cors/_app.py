"""Per-application state of the flask-cors layer, and where it reaches beyond Flask's hooks.

Headers are added where flask-cors adds them (an ``after_request`` hook per ``CORS()`` call,
the decorator's wrapper, the ``intercept_exceptions`` wrappers), so the order in which hooks see
them is flask-cors's. Two places are crossgate's own, installed once per app:

- a ``before_request`` hook, first in line, that answers preflights when
  ``preflight_before_request`` is on, so an auth hook never answers one with a 401;
- in debug mode, where Flask lets an exception escape to the debugger, a 500 carrying the CORS
  headers the error response would have had (a browser otherwise reports a CORS error instead of
  the real one). The headers are worked out while the request context still exists, in a wrapper
  of ``handle_exception``, and the 500 is sent by a wrapper of ``app.wsgi_app``.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import chain
from typing import TYPE_CHECKING, Any, Protocol

from flask import Flask, Request, Response, current_app, request
from werkzeug.datastructures import Headers, MultiDict

from crossgate.compat.flask_cors._policy import CompatPolicy
from crossgate.compat.flask_cors._resources import Rules
from crossgate.compat.flask_cors.core import ACL_ORIGIN, FLASK_CORS_EVALUATED
from crossgate.errors import describe

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = [
    "VIEW_ATTRIBUTE",
    "AppState",
    "Registration",
    "add_cors_headers",
    "app_state",
    "current_request",
    "install",
]

#: Where ``cross_origin`` leaves its spec on the view it wraps.
VIEW_ATTRIBUTE = "__crossgate_flask_cors__"

_STATE_KEY = "crossgate.compat.flask_cors"
_ERROR_HEADERS_KEY = "crossgate.compat.flask_cors.error_headers"


class DecoratedView(Protocol):
    """What the early preflight hook needs from a ``cross_origin`` spec."""

    def early_answer(self, app: Flask, *, app_wide: bool) -> Response | None: ...


def current_request() -> Request:
    """The request object itself: one proxy look-up instead of one per attribute."""
    return request._get_current_object()  # type: ignore[attr-defined, no-any-return]


def add_cors_headers(response: Response, policy: CompatPolicy, req: Request) -> None:
    """Add *policy*'s headers for *req* to *response* (as flask-cors does)."""
    if not isinstance(response.headers, (Headers, MultiDict)):
        # Some libraries (OAuthlib) replace the headers with a plain mapping.
        response.headers = Headers(response.headers)
    environ = req.environ
    add = response.headers.add
    for name, value in policy.headers_for(environ.get("HTTP_ORIGIN"), req.method, environ):
        add(name, value)


@dataclass(frozen=True, slots=True, eq=False)
class Registration:
    """One ``CORS(...)`` call: its compiled resources and its ``after_request`` hook."""

    rules: Rules
    intercept_exceptions: bool
    #: The call's own ``preflight_before_request`` (before resources override it).
    preflight_before_request: bool

    def after_request(self, response: Response) -> Response:
        """flask-cors's hook; skips a response that has ACAO or that the decorator evaluated."""
        if response.headers is not None and response.headers.get(ACL_ORIGIN):
            return response
        req = current_request()
        policy = self.rules.lookup(req.path)
        if policy is not None and not hasattr(response, FLASK_CORS_EVALUATED):
            add_cors_headers(response, policy, req)
        return response


@dataclass(slots=True, eq=False)
class AppState:
    """What one app's flask-cors layer knows; lives in ``app.extensions``."""

    #: ``(blueprint name or None for the app, registration)`` in registration order.
    registrations: list[tuple[str | None, Registration]] = field(default_factory=list)
    #: A decorated view's policy per app: ``spec -> (config snapshot, policy)``.
    decorated: dict[object, tuple[tuple[Any, ...], CompatPolicy]] = field(default_factory=dict)
    #: Whether the debug-mode error edge is installed.
    covers_debug_errors: bool = False
    #: Whether the early preflight hook is installed (only when something opted in).
    answers_preflights_early: bool = False

    def _in_scope(self, scopes: Iterable[str | None]) -> Iterable[Registration]:
        """Registrations in the order Flask runs their ``after_request`` hooks."""
        for scope in scopes:
            for name, registration in reversed(self.registrations):
                if name == scope:
                    yield registration

    def answer_preflight_early(self) -> Response | None:
        """``before_request`` hook, first in line: answer preflights that opted in."""
        if request.method != "OPTIONS":
            return None
        environ = request.environ
        rule = request.url_rule
        if not (
            environ.get("HTTP_ORIGIN")
            and environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD")
            and rule
        ):
            return None
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        registrations = list(self._in_scope(chain(request.blueprints, (None,))))
        spec: DecoratedView | None = getattr(
            app.view_functions.get(rule.endpoint), VIEW_ATTRIBUTE, None
        )
        if spec is not None:
            app_wide = any(registration.preflight_before_request for registration in registrations)
            return spec.early_answer(app, app_wide=app_wide)
        path = request.path
        for registration in registrations:
            policy = registration.rules.lookup(path)
            if policy is not None and policy.preflight_before_request:
                # The after_request hooks then add the headers, exactly as for Flask's own answer.
                return app.make_default_options_response()
        return None

    def error_headers(self, app: Flask) -> list[tuple[str, str]]:
        """The CORS headers a 500 for the current request would get outside debug mode."""
        scratch = app.response_class(status=500)
        before = len(scratch.headers)
        for registration in self._in_scope(chain(request.blueprints, (None,))):
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


def install(app: Flask, *, early_preflights: bool) -> AppState:
    """The app's state, with the debug-mode error edge installed, and the early preflight hook
    if *early_preflights* (it costs every request a call, so only when something opted in)."""
    state = app_state(app)
    if early_preflights and not state.answers_preflights_early:
        state.answers_preflights_early = True
        app.before_request_funcs.setdefault(None, []).insert(0, state.answer_preflight_early)
    if not state.covers_debug_errors:
        state.covers_debug_errors = True
        app_any: Any = app
        app_any.handle_exception = _remember_error_headers(app, state, app.handle_exception)
        app_any.wsgi_app = _DebugErrors(app, app.wsgi_app)
    return state


def _remember_error_headers(
    app: Flask, state: AppState, handle_exception: Callable[[Exception], Response]
) -> Callable[[Exception], Response]:
    def wrapped(error: Exception) -> Response:
        try:
            return handle_exception(error)
        except Exception:
            # Propagating (debug, testing, PROPAGATE_EXCEPTIONS): the request context is
            # about to go; remember what the 500 would have carried.
            environ = request.environ
            if (
                app.debug
                and not app.testing
                and environ.get("HTTP_ORIGIN")
                and environ.get("HTTP_SEC_FETCH_MODE") != "navigate"
            ):
                headers = state.error_headers(app)
                if any(name == ACL_ORIGIN for name, _ in headers):
                    environ[_ERROR_HEADERS_KEY] = headers
            raise

    return wrapped


class _DebugErrors:
    """``app.wsgi_app`` wrapper: a debug-mode exception becomes a 500 the page can read.

    Only for requests that carry an allowed ``Origin`` and are not page navigations (those keep
    the interactive debugger); under ``TESTING`` the exception reaches the test as usual.
    """

    __slots__ = ("app", "wsgi_app")

    def __init__(self, app: Flask, wsgi_app: WSGIApplication) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            return self.wsgi_app(environ, start_response)
        except Exception:
            headers = environ.pop(_ERROR_HEADERS_KEY, None)
            if headers is None:
                raise
            self.app.logger.error(
                "Exception on %s [%s]",
                describe(environ.get("PATH_INFO", "")),
                describe(environ.get("REQUEST_METHOD", "")),
                exc_info=sys.exc_info(),
            )
            body = traceback.format_exc().encode("utf-8", "backslashreplace")
            start_response(
                "500 INTERNAL SERVER ERROR",
                [
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Length", str(len(body))),
                    *headers,
                ],
            )  # no exc_info: nothing was sent yet (Werkzeug's test client would re-raise it)
            return [body]
