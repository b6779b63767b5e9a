"""The flask-cors layer's WSGI edge: a wrapper of ``app.wsgi_app``, installed once per app.

Its first job is speed. flask-cors adds its headers in an ``after_request`` hook, through
werkzeug's ``Headers``: calling the hook, and validating each value on the way in and again
when the response is sent, costs more than deciding the headers. When nothing could tell the
difference, the edge takes the place of the hook: it removes it and writes the very same header
lines into the list the response is sent with, in ``start_response``, with
``crossgate._engine.apply`` (a response that has ``Access-Control-Allow-Origin`` is left alone).
A wrapper of ``app.process_response``, which runs where the hook ran (after every other
hook), sees the final response object: a response ``cross_origin`` evaluated is left alone;
the hook's headers are added to the response itself, as the hook added them, when a
``request_finished`` receiver is connected (it sees the response), when the response class
sends its headers its own way, and when ``process_response`` is called outside a request
through the edge (a test calling ``full_dispatch_request``).

What "nothing could tell" takes is checked at the first request, when Flask no longer accepts
new hooks (``_takes_over``):

- the app's last hook to run (its first registered) is a ``CORS(app)`` call's, so no other hook
  saw its headers; the edge takes the place of that one;
- that call has ``intercept_exceptions``: when a hook fails, its wrappers add the headers to the
  error response, as before, and the edge then leaves them alone;
- nothing between the hook and the server that could look at them: no middleware inside the
  edge, no override of Flask's response cycle, and, if an answer has ``Vary: Origin``, no
  session (Flask's session merges ``Vary: Cookie`` into the first ``Vary`` line, which may be
  CORS's: without a secret key, Flask's own sessions do not exist).

Otherwise the hooks stay, and so does everything flask-cors's order implies.

Its second job is debug mode, where Flask lets an exception escape to the debugger: a 500
carrying the CORS headers the error response would have had (a browser otherwise reports a CORS
error instead of the real one). The headers are worked out while the request context still
exists, in a wrapper of ``handle_exception``, and the 500 is sent by the edge: the very
answer the native edge sends (``crossgate.flask._edge.debug_error_answer``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface
from flask.signals import request_finished
from werkzeug.wrappers import Response as BaseResponse

from crossgate._engine import apply
from crossgate._http import Header
from crossgate.compat.flask_cors._app import AppState, Registration, app_state, current_request
from crossgate.compat.flask_cors._log import log_left_alone
from crossgate.compat.flask_cors.core import ACL_ORIGIN, FLASK_CORS_EVALUATED
from crossgate.flask._edge import debug_error_answer, request_path, send_answer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

_ERROR_HEADERS_KEY = "crossgate.compat.flask_cors.error_headers"
#: Set when the response is to be sent as it is: the hook would have left it alone, or has
#: already been run on it.
_AS_IS_KEY = "crossgate.compat.flask_cors.as_is"
# Flask's methods between the after_request hooks and start_response: an override of any of
# them could look at the headers on the way.
_RESPONSE_CYCLE = ("full_dispatch_request", "finalize_request", "process_response")
# A response's own way of sending itself.
_SENDING = ("__call__", "get_wsgi_response", "get_wsgi_headers")

#: The edge sending the current request, and its environ.
_SENT_THROUGH: ContextVar[tuple[Edge, WSGIEnvironment] | None] = ContextVar(
    "crossgate.compat.flask_cors.sent_through", default=None
)


def install(app: Flask, *, early_preflights: bool) -> AppState:
    """The app's state, with the edge installed, and the early preflight hook if
    *early_preflights* (it costs every request a call, so only when something opted in)."""
    state = app_state(app)
    if early_preflights and not state.answers_preflights_early:
        state.answers_preflights_early = True
        app.before_request_funcs.setdefault(None, []).insert(0, state.answer_preflight_early)
    if not state.has_edge:
        state.has_edge = True
        app_any: Any = app
        app_any.handle_exception = _remember_error_headers(app, state, app.handle_exception)
        app_any.wsgi_app = Edge(app, app.wsgi_app)
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


def _sends_as_is(cls: type[Any]) -> bool:
    """Whether a response class sends its headers as werkzeug's ``Response`` does."""
    return all(getattr(cls, name) is getattr(BaseResponse, name) for name in _SENDING)


def _takes_over(app: Flask) -> Registration | None:
    """The registration whose hook the edge can take the place of, if any (module docstring)."""
    # Flask runs an app's hooks last registered first: the first is the last to run.
    hooks = app.after_request_funcs.get(None)
    registration = getattr(hooks[0], "__self__", None) if hooks else None
    if not isinstance(registration, Registration) or not registration.intercept_exceptions:
        return None
    if any(name in vars(app) for name in _RESPONSE_CYCLE):
        return None
    if registration.varies and (
        type(app.session_interface) is not SecureCookieSessionInterface or app.secret_key
    ):
        return None
    return registration


class Edge:
    """``app.wsgi_app`` wrapper: adds the headers of the hook it took the place of, and in debug
    mode turns an exception into a 500 the page can read.

    The 500 is only for requests that carry an allowed ``Origin`` and are not page navigations
    (those keep the interactive debugger); under ``TESTING`` the exception reaches the test as
    usual.
    """

    __slots__ = (
        "_lock",
        "app",
        "flask_process_response",
        "ready",
        "response_classes",
        "takes_over",
        "wraps_flask",
        "wsgi_app",
    )

    def __init__(self, app: Flask, wsgi_app: WSGIApplication) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        # Only right around Flask's own response cycle is nothing else in between.
        self.wraps_flask = (
            getattr(wsgi_app, "__self__", None) is app
            and type(app).wsgi_app is Flask.wsgi_app
            and all(getattr(type(app), name) is getattr(Flask, name) for name in _RESPONSE_CYCLE)
        )
        #: The registration whose hook the edge took the place of, decided at the first request.
        self.takes_over: Registration | None = None
        self.flask_process_response = app.process_response
        #: Per response class, whether it sends its headers as werkzeug's ``Response`` does.
        self.response_classes: dict[type[Any], bool] = {}
        self.ready = False
        self._lock = threading.Lock()

    def _first_request(self) -> None:
        with self._lock:  # requests in other threads wait: the hook is gone, or stays
            if self.ready:
                return
            registration = _takes_over(self.app) if self.wraps_flask else None
            if registration is not None:
                self.app.after_request_funcs[None].remove(registration.after_request)
                self.app.process_response = self.process_response  # type: ignore[method-assign]
                self.takes_over = registration
            self.ready = True

    def process_response(self, response: Response) -> Response:
        """``app.process_response`` once the edge took the hook's place: Flask's, then what
        the hook did, or what the edge needs to know to do it (module docstring)."""
        response = self.flask_process_response(response)
        registration = self.takes_over
        assert registration is not None  # installed with it
        sent_through = _SENT_THROUGH.get()
        if sent_through is None or sent_through[0] is not self:
            return registration.after_request(response)
        cls = type(response)
        sends_as_is = self.response_classes.get(cls)
        if sends_as_is is None:
            sends_as_is = self.response_classes[cls] = _sends_as_is(cls)
        # Something sees the response before it is sent (a receiver, the class's own way of
        # sending it): the headers go on the response itself, as the hook put them.
        seen = not sends_as_is or bool(request_finished.receivers)
        evaluated = hasattr(response, FLASK_CORS_EVALUATED)
        if seen:
            registration.after_request(response)
        elif evaluated:
            log_left_alone()
        sent_through[1][_AS_IS_KEY] = seen or evaluated
        return response

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if not self.ready:
            self._first_request()
        registration = self.takes_over
        send = start_response
        if registration is not None:

            def start_with_cors(status: str, headers: list[Header], exc_info: Any = None) -> Any:
                # What the hook did, on the lines about to be sent. Flask's request object is
                # in the environ, unless its request class keeps out; then the request
                # context, still pushed while Flask sends the response, has it.
                if not environ.get(_AS_IS_KEY):
                    req = environ.get("werkzeug.request")
                    decision = registration.decide(current_request() if req is None else req)
                    if decision.headers:
                        sent = len(headers)
                        apply(headers, decision)
                        if len(headers) == sent:
                            log_left_alone(decided=True)
                return start_response(status, headers, exc_info)

            send = start_with_cors
        token = _SENT_THROUGH.set((self, environ))
        try:
            return self.wsgi_app(environ, send)
        except Exception:
            # Propagated (debug mode): the 500 carries what the error response would have.
            headers = environ.pop(_ERROR_HEADERS_KEY, None)
            if headers is None:
                raise
            path = request_path(environ)
            answer = debug_error_answer(
                self.app, environ, path, lambda lines: lines.extend(headers)
            )
            return send_answer(start_response, answer)
        finally:
            _SENT_THROUGH.reset(token)
