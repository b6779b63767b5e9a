"""The WSGI edge: where crossgate meets every request and every response of a Flask app.

It wraps ``app.wsgi_app``, so it sits outside Flask's response cycle:

- preflights are answered here, before Flask dispatches: no ``before_request`` hook (an auth
  check) ever sees one, and Werkzeug's trailing-slash redirect is followed on the server side;
- actual responses get their headers in ``start_response``, whatever produced them: a view, an
  error handler, ``abort``, a routing 404/405, or Flask's own 500;
- in debug mode, an exception that escapes Flask becomes a 500 with CORS headers and the
  traceback as plain text, so the page shows the real error instead of a CORS error.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from flask import has_request_context, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RequestRedirect

from crossgate.decide import PREFLIGHT_VARY, Decision, decide_actual, decide_preflight
from crossgate.errors import describe
from crossgate.policy import CORSPolicy
from crossgate.reasons import Reason

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

    from crossgate.flask.state import AppState, Resolved

__all__ = ["Edge", "install_edge", "merge_vary"]

logger = logging.getLogger("crossgate")

Headers = list[tuple[str, str]]
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None] | None


def merge_vary(headers: Headers, tokens: str) -> None:
    """Merge *tokens* into the response's Vary: one header line, no duplicate tokens."""
    lines = [index for index, (name, _) in enumerate(headers) if name.lower() == "vary"]
    if not lines:
        headers.append(("Vary", tokens))
        return
    present: dict[str, str] = {}
    for index in lines:
        for token in headers[index][1].split(","):
            token = token.strip()
            if token:
                present.setdefault(token.lower(), token)
    if "*" in present:
        merged = "*"  # already varies on everything
    else:
        for token in tokens.split(","):
            token = token.strip()
            present.setdefault(token.lower(), token)
        merged = ", ".join(present.values())
    headers[lines[0]] = ("Vary", merged)
    for index in reversed(lines[1:]):
        del headers[index]


def _apply(headers: Headers, decision: Decision) -> None:
    if decision.headers:
        for name, _ in headers:
            # A view that set ACAO itself keeps it: two values would fail the browser's check.
            if name.lower() == "access-control-allow-origin":
                break
        else:
            headers.extend(decision.headers)
    if decision.vary:
        merge_vary(headers, decision.vary)


class Edge:
    """WSGI middleware around ``Flask.wsgi_app``. One per app; holds no request state."""

    __slots__ = ("app", "state", "wsgi_app")

    def __init__(self, app: Flask, state: AppState, wsgi_app: WSGIApplication) -> None:
        self.app = app
        self.state = state
        self.wsgi_app = wsgi_app

    def _resolved(self) -> Resolved:
        resolved = self.state.resolved
        if resolved is None:
            # The first request: Flask forbids adding routes from now on, so this is final.
            resolved = self.state.resolve(self.app)
        return resolved

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        resolved = self._resolved()
        if not resolved.any_policy:
            return self.wsgi_app(environ, start_response)
        origin: str | None = environ.get("HTTP_ORIGIN")
        if (
            origin is not None
            and environ.get("REQUEST_METHOD") == "OPTIONS"
            and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ
        ):
            answered = self._preflight(environ, start_response, origin, resolved)
            if answered is not None:
                return answered
        decision: Decision | None = None
        if resolved.is_constant:
            assert resolved.constant is not None
            decision = decide_actual(resolved.constant, origin)
            if decision.reason is not None:
                self._log(environ, decision.reason)

        def cors_start_response(status: str, headers: Headers, exc_info: ExcInfo = None) -> Any:
            final = decision if decision is not None else self._decide_in_request(environ, origin)
            if final is not None:
                _apply(headers, final)
            return start_response(status, headers, exc_info)

        try:
            return self.wsgi_app(environ, cors_start_response)
        except Exception:
            # Only reached when Flask propagates (debug, testing, PROPAGATE_EXCEPTIONS).
            answer = self._debug_error(environ, start_response, origin, resolved)
            if answer is None:
                raise
            return answer

    def _decide_in_request(self, environ: WSGIEnvironment, origin: str | None) -> Decision | None:
        resolved = self._resolved()
        endpoint = None
        if has_request_context():
            rule = request.url_rule
            if rule is not None:
                endpoint = rule.endpoint
            elif isinstance(request.routing_exception, (RequestRedirect, MethodNotAllowed)):
                endpoint = self._route(environ, environ.get("REQUEST_METHOD", "GET"))[0]
        policy = resolved.for_endpoint(endpoint, environ.get("PATH_INFO", ""))
        if policy is None:
            return None
        decision = decide_actual(policy, origin)
        if decision.reason is not None:
            self._log(environ, decision.reason)
        return decision

    def _route(self, environ: WSGIEnvironment, method: str) -> tuple[str | None, frozenset[str]]:
        """The endpoint a request with *method* reaches, and every method its path accepts.

        Follows Werkzeug's redirects (a missing trailing slash) to the target route, because a
        browser never follows a redirect for a preflight. ``(None, ∅)`` when nothing matches.
        """
        app = self.app
        adapter = app.create_url_adapter(app.request_class(environ))
        if adapter is None:
            return None, frozenset()
        path: str | None = None
        for _hop in range(3):
            try:
                rule, _ = adapter.match(path, method=method, return_rule=True)
            except RequestRedirect as redirect:
                target = unquote(urlsplit(redirect.new_url).path)
                root = adapter.script_name.rstrip("/")
                path = target[len(root) :] if target.startswith(root) else target
                continue
            except MethodNotAllowed as refused:
                methods = frozenset(refused.valid_methods or ())
                if not methods:
                    break
                rule, _ = adapter.match(path, method=sorted(methods)[0], return_rule=True)
                return rule.endpoint, methods
            except HTTPException:
                break
            return rule.endpoint, frozenset(adapter.allowed_methods(path))
        return None, frozenset()

    def _preflight(
        self, environ: WSGIEnvironment, start_response: StartResponse, origin: str, resolved: Resolved
    ) -> Iterable[bytes] | None:
        requested = environ["HTTP_ACCESS_CONTROL_REQUEST_METHOD"]
        endpoint, route_methods = self._route(environ, requested)
        if not route_methods:
            return None  # no route at this path: the app's own 404
        policy = resolved.for_endpoint(endpoint, environ.get("PATH_INFO", ""))
        if policy is None:
            return None  # this route has no CORS policy: leave it to the app
        decision = decide_preflight(
            policy,
            origin,
            requested,
            environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
            route_methods,
            private_network=environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK") == "true",
        )
        if decision.allowed:
            headers = [*decision.headers, ("Vary", PREFLIGHT_VARY), ("Content-Length", "0")]
            start_response("204 No Content", headers)
            return []
        assert decision.reason is not None
        self._log(environ, decision.reason)
        body = (f"{decision.reason}\n" if self.app.debug else "CORS preflight refused.\n").encode()
        start_response(
            "403 Forbidden",
            [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Vary", PREFLIGHT_VARY),
            ],
        )
        return [body]

    def _debug_error(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        origin: str | None,
        resolved: Resolved,
    ) -> Iterable[bytes] | None:
        """A readable 500 for the page that made a cross-origin request, in debug mode only."""
        app = self.app
        if origin is None or not app.debug or app.testing:
            return None
        method = environ.get("REQUEST_METHOD", "GET")
        endpoint, _ = self._route(environ, method)
        policy: CORSPolicy | None = resolved.for_endpoint(endpoint, environ.get("PATH_INFO", ""))
        if policy is None:
            return None
        decision = decide_actual(policy, origin)
        if not decision.allowed:
            return None
        app.logger.error(
            "Exception on %s [%s]", describe(environ.get("PATH_INFO", "")), describe(method), exc_info=sys.exc_info()
        )
        body = traceback.format_exc().encode("utf-8", "backslashreplace")
        headers: Headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
        _apply(headers, decision)
        start_response("500 INTERNAL SERVER ERROR", headers, sys.exc_info())
        return [body]

    def _log(self, environ: WSGIEnvironment, reason: Reason) -> None:
        level = logging.WARNING if self.app.debug else logging.DEBUG
        if logger.isEnabledFor(level):
            logger.log(
                level,
                "%s %s %s",
                describe(environ.get("REQUEST_METHOD", "")),
                describe(environ.get("PATH_INFO", "")),
                reason,
                extra={"crossgate_reason": reason.code},
            )


def install_edge(app: Flask, state: AppState) -> Edge:
    """Wrap ``app.wsgi_app`` with the edge (once per app)."""
    edge = Edge(app, state, app.wsgi_app)
    app.wsgi_app = edge  # type: ignore[method-assign]
    return edge

