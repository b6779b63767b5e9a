"""The WSGI edge: where crossgate meets every request and every response of a Flask app.

It wraps ``app.wsgi_app``, so it sits outside Flask's response cycle:

- preflights are answered here, before Flask dispatches: no ``before_request`` hook (an auth
  check) ever sees one, and Werkzeug's trailing-slash redirect is followed on the server side;
- actual responses get their headers in ``start_response``, whatever produced them: a view, an
  error handler, ``abort``, a routing 404/405, or Flask's own 500;
- in debug mode, an exception that escapes Flask becomes a 500 with CORS headers and the
  traceback as plain text, so the page shows the real error instead of a CORS error.

The response headers of ``Headers``/``@headers`` take the same path: one look-up finds a
response's CORS policy and its header policy together. An app without a header policy never
takes that path, so CORS alone costs what it did; one with ``https_redirect`` answers plain-http
requests here, before Flask runs.
A policy source (``_state.PolicySource``: the flask-cors layer) decides inside the app instead,
and the edge writes its answers.
"""

from __future__ import annotations

import functools
import re
import sys
import traceback
from collections.abc import Callable, Iterable
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wsgi import get_host

from crossgate import _engine as engine
from crossgate._engine import PREFLIGHT_VARY, Decision, decide_actual
from crossgate._hand_set import apply_replacing
from crossgate._http import Header
from crossgate._layers import layers
from crossgate._reasons import Reason
from crossgate.errors import describe
from crossgate.flask._resolved import PreflightTarget
from crossgate.flask._routing import Route, route

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

    from crossgate._policy import CORSPolicy
    from crossgate.flask._resolved import Policies, Resolved
    from crossgate.flask._state import AppState
    from crossgate.headers import HeaderPolicy

#: An answer crossgate gives itself: WSGI status line, headers, body.
Answer = tuple[str, list[Header], bytes]

# WSGI's status line of each status code, written once rather than per answer.
_STATUS_LINES = MappingProxyType(
    {code: f"{code} {phrase}" for code, phrase in HTTP_STATUS_CODES.items()}
)

#: Where ``csp_nonce()`` keeps the request's nonce, and where the edge reads it back.
NONCE_ENVIRON_KEY = "crossgate.csp_nonce"

# A preflight's routing is cached only for URLs of ordinary size: a megabyte path must not be
# kept (the cache holds a bounded number of entries, not of bytes).
_CACHED_KEY_LIMIT = 2048
# Characters RFC 3986 allows as they are in a path. PATH_INFO arrives percent-decoded, so a "%"
# in it is a literal one; QUERY_STRING arrives as sent, so its escapes must stay.
_PATH_SAFE = "/!$&'()*+,:;=@~"
_QUERY_SAFE = _PATH_SAFE + "?%"
# A Host a redirect may name: Werkzeug checks the characters only from 3.1.7 on.
_REDIRECT_HOST = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def apply_headers(
    policy: HeaderPolicy,
    headers: list[Header],
    environ: WSGIEnvironment,
    *,
    cross_origin_allowed: bool,
) -> None:
    """Add a header policy's headers to a response's header list.

    The request is secure when the environ's scheme is https as the response leaves: by then any
    ProxyFix around the app has set it from the proxy's header, however the layers are ordered.
    """
    policy.apply(
        headers,
        secure=environ.get("wsgi.url_scheme") == "https",
        cross_origin_allowed=cross_origin_allowed,
        nonce=environ.get(NONCE_ENVIRON_KEY),
    )


def environ_is_preflight(environ: WSGIEnvironment) -> bool:
    """Whether the WSGI request is a CORS preflight (``crossgate._engine.is_preflight``)."""
    return engine.is_preflight(
        environ.get("REQUEST_METHOD"),
        environ.get("HTTP_ORIGIN"),
        environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD"),
    )


def request_path(environ: WSGIEnvironment) -> str:
    """The path as Flask routes it: WSGI's latin-1 ``PATH_INFO`` read back as UTF-8."""
    path: str = environ.get("PATH_INFO", "")
    return path if path.isascii() else path.encode("latin-1").decode("utf-8", "replace")


def route_policies(app: Flask, resolved: Resolved, environ: WSGIEnvironment, path: str) -> Policies:
    """The CORS and header policies of the response to a request: those of the rule Flask
    dispatched it to (routed here when Flask did not: a 404, 405 or redirect)."""
    if resolved.uniform is not None:
        return resolved.uniform
    request = environ.get("werkzeug.request")
    rule = getattr(request, "url_rule", None)
    if rule is not None:
        fixed = resolved.fixed.get(id(rule))
        if fixed is not None:
            return fixed
        return resolved.for_rule(rule, request.view_args)  # type: ignore[union-attr]
    found = route(app, environ, environ.get("REQUEST_METHOD", "GET"))
    if found is not None:
        return resolved.for_rule(found.rule, found.values)
    return resolved.for_unrouted(path)


def decide_request(
    app: Flask, policy: CORSPolicy, environ: WSGIEnvironment, path: str, origin: str | None
) -> Decision:
    """*policy*'s decision on an actual request, with a refusal explained in the log."""
    decision = decide_actual(policy, origin, explain=False)
    if not decision.allowed and origin is not None:
        reason = decision.reason or (lambda: engine.refusal_reason(policy, origin))
        engine.log_refusal(environ.get("REQUEST_METHOD", ""), path, reason, debug=app.debug)
    return decision


def _governed_methods(resolved: Resolved, found: Route, policy: CORSPolicy) -> frozenset[str]:
    """The methods of *found*'s path that *policy* governs. Several rules on one path may have
    different policies; the browser caches a preflight's answer per method, so only these are
    listed."""
    governed = set()
    for method in found.methods:
        try:
            rule, values = found.adapter.match(found.path, method=method, return_rule=True)
        except HTTPException:
            continue
        if resolved.for_rule(rule, values)[0] is policy:
            governed.add(method)
    return frozenset(governed)


def _preflight_target(
    app: Flask, resolved: Resolved, environ: WSGIEnvironment, requested: str
) -> PreflightTarget | None:
    """What a preflight's path resolves to: the policies of its route, the methods that policy
    governs there, and the route's path; None when no route has the path.

    Routing is most of a preflight's cost, and its result depends only on the URL and the
    method asked, so it is kept in the resolution's bounded cache (``Resolved.preflights``).
    """
    path_info: str = environ.get("PATH_INFO", "")
    host: str = environ.get("HTTP_HOST", "")
    cacheable = len(path_info) + len(host) + len(requested) <= _CACHED_KEY_LIMIT
    key = (
        environ.get("wsgi.url_scheme"),
        host,
        environ.get("SCRIPT_NAME", ""),
        path_info,
        requested,
    )
    if cacheable and key in resolved.preflights:
        return resolved.preflights[key]
    found = route(app, environ, requested, sorted(resolved.methods))
    target: PreflightTarget | None = None
    if found is not None:
        policy, header_policy = resolved.for_rule(found.rule, found.values)
        methods = found.methods
        if policy is not None and resolved.uniform is None:
            methods = _governed_methods(resolved, found, policy)
        target = PreflightTarget(policy, header_policy, methods, found.path)
    if cacheable:
        resolved.preflights.put(key, target)
    return target


def answer_preflight(
    app: Flask, resolved: Resolved, environ: WSGIEnvironment, origin: str
) -> Answer | None:
    """crossgate's answer to a preflight to a path that has a route, whatever the method asked
    (a route without a CORS policy is refused too); None leaves a path without any route to
    the app's 404."""
    requested: str = environ["HTTP_ACCESS_CONTROL_REQUEST_METHOD"]
    target = _preflight_target(app, resolved, environ, requested)
    if target is None:
        return None
    policy, header_policy, methods, path = target
    if policy is None:
        decision = Decision(
            False,
            vary=PREFLIGHT_VARY,
            status=403,
            reason=Reason("route-not-covered", (("path", path),), preflight=True),
        )
    else:
        decision = engine.decide_preflight(
            policy,
            origin,
            requested,
            environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
            methods,
            private_network=environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK") == "true",
            explain=False,
        )
    if decision.allowed:
        status, headers, body = engine.preflight_answer(decision)
    else:
        # Made only for a refusal: the allowed preflights are the common path.
        explain = None
        if policy is not None:
            explain = functools.partial(engine.refusal_reason, policy, origin, preflight=True)
        method = environ.get("REQUEST_METHOD", "")
        status, headers, body = engine.refuse_preflight(
            decision, method, path, debug=app.debug, explain=explain
        )
    if header_policy is not None:
        # No view ran, so nobody asked for a nonce.
        apply_headers(header_policy, headers, environ, cross_origin_allowed=policy is not None)
    return _STATUS_LINES[status], headers, body


def https_redirect(app: Flask, environ: WSGIEnvironment, policy: HeaderPolicy) -> Answer | None:
    """The 308 to the https URL of a plain-http request; None leaves the request to the app
    (debug or testing mode, no usable Host, or a Host outside ``TRUSTED_HOSTS``).

    308 for every method: permanent, like 301, and the method and body are kept.
    """
    if app.debug or app.testing:
        return None
    # Flask 3.1 added the TRUSTED_HOSTS key; its None (and Flask 3.0) leaves the request class's.
    trusted_hosts = app.config.get("TRUSTED_HOSTS")
    if trusted_hosts is None:
        trusted_hosts = app.request_class.trusted_hosts
    try:
        host = get_host(environ, trusted_hosts)
    except SecurityError:
        return None  # the app answers: Flask refuses an untrusted Host with a 400
    if not host or not _REDIRECT_HOST.fullmatch(host):
        return None
    # WSGI strings carry the request's bytes as latin-1 (PEP 3333): quote those bytes.
    path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).encode("latin-1")
    location = f"https://{host}{quote(path, safe=_PATH_SAFE) or '/'}"
    query = environ.get("QUERY_STRING", "").encode("latin-1")
    if query:
        location += "?" + quote(query, safe=_QUERY_SAFE)
    headers = [("Location", location), ("Content-Length", "0")]
    apply_headers(policy, headers, environ, cross_origin_allowed=False)
    return "308 Permanent Redirect", headers, b""


def proxy_fix_after(wsgi_app: object) -> bool:
    """Whether a ProxyFix is among *wsgi_app* and the middleware it wraps (through ``.app``).

    A ProxyFix there runs after the edge has looked at the scheme, so the edge would see the
    proxy's plain http on every request.
    """
    return any(isinstance(layer, ProxyFix) for layer in layers(wsgi_app))


class Edge:
    """WSGI middleware around ``Flask.wsgi_app``. One per app; holds no request state."""

    __slots__ = ("app", "state", "wsgi_app")

    def __init__(self, app: Flask, state: AppState, wsgi_app: WSGIApplication) -> None:
        self.app = app
        self.state = state
        self.wsgi_app = wsgi_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        resolved = self.state.resolved
        if resolved is None:
            # The first request: Flask refuses new routes from now on, so this is final.
            resolved = self.state.resolved = self.state.resolve(self.app)
        source = self.state.source
        native = bool(resolved.policies or resolved.headers_declared)
        if not (native or source):
            return self.wsgi_app(environ, start_response)
        app = self.app
        if resolved.https_redirect and environ.get("wsgi.url_scheme") != "https":
            assert resolved.app_scope.headers is not None  # declared with Headers(app)
            redirect = https_redirect(app, environ, resolved.app_scope.headers)
            if redirect is not None:
                return send_answer(start_response, redirect)
        origin: str | None = environ.get("HTTP_ORIGIN")
        if origin is not None and resolved.policies and environ_is_preflight(environ):
            answer = answer_preflight(app, resolved, environ, origin)
            if answer is not None:
                return send_answer(start_response, answer)
        path = request_path(environ)
        if source is not None:
            source.open(environ)

        def edge_start_response(status: str, headers: list[Header], exc_info: Any = None) -> Any:
            if source is not None:
                source.write(environ, headers)
            if native:
                add_response_headers(app, resolved, environ, path, headers)
            return start_response(status, headers, exc_info)

        try:
            return self.wsgi_app(environ, edge_start_response)
        except Exception:
            # Only reached when Flask propagates (debug, testing, PROPAGATE_EXCEPTIONS).
            answer = self._debug_error(environ, resolved, path, origin)
            if answer is None:
                raise
            return send_answer(start_response, answer)

    def _debug_error(
        self, environ: WSGIEnvironment, resolved: Resolved, path: str, origin: str | None
    ) -> Answer | None:
        """A readable 500 for the page that made a cross-origin request, in debug mode only."""
        app = self.app
        if origin is None or not app.debug or app.testing:
            return None
        source = self.state.source
        lines = None if source is None else source.debug_headers(environ)
        if lines is not None:
            return debug_error_answer(app, environ, path, lambda headers: headers.extend(lines))
        policy = route_policies(app, resolved, environ, path)[0]
        if policy is None or not policy.origins.allows(origin):
            return None
        return debug_error_answer(
            app,
            environ,
            path,
            lambda headers: add_response_headers(app, resolved, environ, path, headers),
        )


def add_response_headers(
    app: Flask, resolved: Resolved, environ: WSGIEnvironment, path: str, headers: list[Header]
) -> None:
    """Add what crossgate adds to the response of an actual request, in place: the CORS
    outcome of its route's policy, then its header policy's lines."""
    policy, header_policy = route_policies(app, resolved, environ, path)
    if policy is not None:
        origin = environ.get("HTTP_ORIGIN")
        found = apply_replacing(headers, decide_request(app, policy, environ, path, origin))
        if found:
            rule = getattr(environ.get("werkzeug.request"), "url_rule", None)
            endpoint = path if rule is None else rule.endpoint
            method = environ.get("REQUEST_METHOD", "")
            resolved.hand_set.warn(endpoint, method, path, origin, found)
    if header_policy is not None:
        apply_headers(header_policy, headers, environ, cross_origin_allowed=policy is not None)


def debug_error_answer(
    app: Flask, environ: WSGIEnvironment, path: str, add_cors: Callable[[list[Header]], None]
) -> Answer:
    """The debug-mode 500 for the exception being handled, which Flask let escape: logged as
    the server would have, its body readable by the page (``debug_error_body``), and the CORS
    headers *add_cors* writes into its header list. Both Flask layers send this one."""
    # Flask does not log an exception it propagates: the server would have.
    method = environ.get("REQUEST_METHOD", "")
    app.logger.error("Exception on %s [%s]", describe(path), describe(method), exc_info=True)
    body = debug_error_body()
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    add_cors(headers)
    return "500 INTERNAL SERVER ERROR", headers, body


def debug_error_body() -> bytes:
    """The body of a debug-mode 500 for the exception being handled: the exception's type and
    message first, since that is the line a browser's network preview shows, then the
    traceback."""
    error = sys.exc_info()[1]
    summary = "".join(traceback.format_exception_only(type(error), error))
    return f"{summary}\n{traceback.format_exc()}".encode("utf-8", "backslashreplace")


def send_answer(start_response: StartResponse, answer: Answer) -> list[bytes]:
    """Send an answer crossgate gives itself, in place of the app's."""
    status, headers, body = answer
    # No exc_info: Flask never called start_response, and some servers (Werkzeug's test
    # client) re-raise whenever it is given.
    start_response(status, headers)
    return [body]


def install_edge(app: Flask, state: AppState) -> Edge:
    """Wrap ``app.wsgi_app`` with the edge (once per app)."""
    edge = Edge(app, state, app.wsgi_app)
    app.wsgi_app = edge  # type: ignore[method-assign]
    return edge
