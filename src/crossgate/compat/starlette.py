"""Starlette's ``CORSMiddleware``, signature and defaults, on crossgate's engine.

Change one import to migrate (FastAPI's ``fastapi.middleware.cors`` is the same class)::

    from crossgate.compat.starlette import CORSMiddleware

The options are translated to crossgate's and compiled by the same ``build_policy``; requests
go through the same ASGI adapter and the same engine. This module supplies only what differs:
Starlette's names, defaults and instance attributes, its way of answering a preflight (200
``OK``, or 400 ``Disallowed CORS origin, method`` with its headers), its ``Vary`` lines (as the
installed Starlette writes them), its rule that a preflight asks for one of ``allow_methods``
whatever the path, and a subclass's ``is_allowed_origin``. It starts wherever Starlette starts:
how it reads a configuration crossgate's own API refuses is in ``_starlette_reading``;
docs/migration-starlette.md lists every difference.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection

from crossgate._engine import (
    Decision,
    PreflightAnswer,
    decide_actual,
    decide_preflight,
    refusal_reason,
)
from crossgate._hand_set import HandSetLog
from crossgate._policy import ACAC, ACAH, ACAM, ACAO, CORSPolicy
from crossgate.asgi._cors import CORSMiddleware as _Adapter
from crossgate.asgi._cors import PreflightAsked
from crossgate.asgi._types import ASGIApp, Scope
from crossgate.compat._starlette_reading import (
    CREDENTIALS_ECHO,
    PRIVATE_NETWORK,
    SAFELISTED_HEADERS,
    UNSAFE_KEYWORD,
    VARY_ALWAYS,
    WHERE,
    StarletteCompatWarning,
    read,
    starlette_attributes,
)
from crossgate.errors import ConfigError, Problem

__all__ = [
    "ALL_METHODS",
    "SAFELISTED_HEADERS",
    "UNSAFE_KEYWORD",
    "CORSMiddleware",
    "StarletteCompatWarning",
]

#: What ``allow_methods=["*"]`` means, as in Starlette (``QUERY`` since Starlette 1.7).
ALL_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT") + (
    ("QUERY",) if VARY_ALWAYS else ()
)

_PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
_PREFLIGHT_VARY += "Access-Control-Request-Private-Network"
# Before Starlette 1.7 a response varied only when it echoed the origin.
_NO_ORIGIN = Decision(False, (), "Origin" if VARY_ALWAYS else None)


def _answer(decision: Decision, allow_origin: str, credentials: bool, vary: str | None) -> Decision:
    """*decision* with ``Access-Control-Allow-Origin: allow_origin``, credentials or not."""
    rest = [header for header in decision.headers if header[0] not in (ACAO, ACAC)]
    first = ((ACAO, allow_origin), (ACAC, "true")) if credentials else ((ACAO, allow_origin),)
    return decision._replace(headers=(*first, *rest), vary=vary)


def _with_credentials(decision: Decision, origin: str) -> Decision:
    """*decision* for *origin* with credentials, as Starlette answers ``'*'`` with them."""
    return _answer(decision, origin, True, "Origin")


def _has_cookie(scope: Scope) -> bool:  # pragma: no cover - Starlette < 1.0 (nox's oldest)
    return any(name == b"cookie" for name, _ in scope["headers"])


class CORSMiddleware(_Adapter):
    """Starlette's ``CORSMiddleware`` (same arguments, defaults and attributes), answered by
    crossgate.

    The keyword-only ``allow_null_origin``, ``allow_insecure_http_origins`` and
    ``allow_regex_wildcards`` are crossgate's consents (without them the configuration still
    starts, with a warning naming them); ``unsafe_any_origin_with_credentials=True`` keeps
    Starlette's answer to ``'*'`` (or a regex admitting every host, or a domain it does not
    name) with credentials: every site it admits may read responses made with the user's
    cookies.

    A subclass may override ``is_allowed_origin(origin)``: it then decides which origins are
    allowed, for actual requests and preflights, as a callable in ``origins`` would
    (only ``True`` allows; an exception refuses and is logged). ``super().is_allowed_origin``
    answers for the origins listed.
    """

    allow_origins: Collection[str]
    allow_methods: Collection[str]
    allow_headers: list[str]
    allow_all_origins: bool
    allow_all_headers: bool
    allow_credentials: bool
    preflight_explicit_allow_origin: bool
    allow_origin_regex: re.Pattern[str] | None
    allow_private_network: bool
    simple_headers: dict[str, str]
    preflight_headers: dict[str, str]

    def __init__(
        self,
        app: ASGIApp,
        allow_origins: Collection[str] = (),
        allow_methods: Collection[str] = ("GET",),
        allow_headers: Collection[str] = (),
        allow_credentials: bool = False,
        allow_origin_regex: str | None = None,
        allow_private_network: bool = False,
        expose_headers: Collection[str] = (),
        max_age: int = 600,
        *,
        allow_null_origin: bool = False,
        allow_insecure_http_origins: bool = False,
        allow_regex_wildcards: bool = False,
        unsafe_any_origin_with_credentials: bool = False,
    ) -> None:
        self.app = app
        regex = None
        if allow_origin_regex is not None:
            try:
                regex = re.compile(allow_origin_regex)
            except (re.error, TypeError) as error:
                fix = "write a regular expression that matches whole origins"
                message = f"does not compile: {error}"
                problem = Problem("allow_origin_regex", allow_origin_regex, message, fix)
                self.fail_startup(ConfigError([problem], context=WHERE))
                return
        attributes = starlette_attributes(
            allow_origins,
            allow_methods,
            allow_headers,
            allow_credentials,
            regex,
            allow_private_network,
            expose_headers,
            max_age,
            ALL_METHODS,
        )
        self.__dict__.update(attributes)
        # A string is one origin (Starlette would test it for substrings).
        origins = [allow_origins] if isinstance(allow_origins, str) else list(allow_origins)
        methods = tuple(self.allow_methods)
        headers = "*" if self.allow_all_headers else sorted(SAFELISTED_HEADERS | set(allow_headers))
        options = {
            "methods": list(methods),
            "allow_headers": headers,
            "expose_headers": list(expose_headers),
            "supports_credentials": allow_credentials,
            "max_age": max_age,
            "allow_private_network": allow_private_network,
            "allow_null_origin": allow_null_origin,
            "allow_insecure_http_origins": allow_insecure_http_origins,
            "allow_regex_wildcards": allow_regex_wildcards,
        }
        overridden = type(self).is_allowed_origin is not CORSMiddleware.is_allowed_origin
        unsafe = unsafe_any_origin_with_credentials
        try:
            reading = read(origins, regex, options, None, unsafe)
            # super().is_allowed_origin answers from the origins listed, never the override.
            self._listed = reading.policy.origins
            if overridden:
                # The same options read again: what they warn of was said by the first reading.
                predicate = self.is_allowed_origin
                reading = read(origins, regex, options, predicate, unsafe, warn=False)
        except ConfigError as error:
            self.fail_startup(error)
            return
        self.policy = reading.policy
        self._open: CORSPolicy | None = reading.open_policy
        self._credentials_for_all = reading.credentials_for_all
        self._routes = None
        self._hand_set = HandSetLog()
        # Starlette allows a preflight for any of allow_methods on any path, routed or not.
        self._methods = frozenset(methods)
        self._methods_value = ", ".join(methods)
        any_origin = self.policy.origins.any_origin
        self._any_origin = self.policy.answers["*"] if any_origin else None

    def is_allowed_origin(self, origin: str) -> bool:
        """Whether *origin* is allowed, as Starlette's method answers (under the safe reading
        of ``'*'`` with credentials: whether it gets the credentialed answer)."""
        if self._listed.allows(origin):
            return True
        return (
            self._credentials_for_all
            and self._open is not None
            and self._open.origins.allows(origin)
        )

    def _actual(self, origin: str | None, scope: Scope) -> Decision:
        # Since Starlette 1.7, Vary: Origin on every response, and no CORS header without an
        # Origin; before, Vary only where the origin is echoed.
        if origin is None:
            return _NO_ORIGIN
        if self._any_origin is not None:
            return self._wide(self._any_origin, origin, scope)
        decision = decide_actual(self.policy, origin, explain=False)
        if not decision.allowed and self._open is not None:
            wide = decide_actual(self._open, origin, explain=False)
            if wide.allowed:
                return self._wide(wide, origin, scope)
        if not decision.allowed and not VARY_ALWAYS:
            return decision._replace(vary=None)
        return decision

    def _wide(self, decision: Decision, origin: str, scope: Scope) -> Decision:
        """The answer to an origin allowed by ``'*'`` or by a regex admitting every host (or a
        domain it does not name), as the installed Starlette writes it (with credentials only
        under the unsafe keyword)."""
        credentials = self._credentials_for_all
        star = decision.headers[0] == (ACAO, "*")
        # Starlette echoes a regex match; '*' it echoes with credentials (since 1.0), or to a
        # request carrying a cookie (before 1.0, with credentials only if allowed: a browser
        # then refuses the answer to its credentialed request, so nothing leaks).
        echo = not star or (credentials if CREDENTIALS_ECHO else _has_cookie(scope))
        if echo:
            return _answer(decision, origin, credentials, "Origin")
        return _answer(decision, "*", credentials, "Origin" if VARY_ALWAYS else None)

    def _preflight(self, scope: Scope, asked: PreflightAsked) -> PreflightAnswer:
        # Starlette allows a preflight for any of allow_methods, on any path, routed or not.
        origin, request_method, request_headers, private_network = asked
        decision = self._decide_with(self.policy, asked)
        if self._open is not None and _origin_refused(decision):
            # Not listed: every other site gets the credential-less answer.
            wide = self._decide_with(self._open, asked)
            if wide.allowed and self._credentials_for_all:
                wide = _with_credentials(wide, origin)
            if not _origin_refused(wide):
                decision = wide
        failures = self._failures(decision, request_method, request_headers)
        if private_network and not self.policy.allow_private_network and PRIVATE_NETWORK:
            # Since Starlette 0.51 (before, the header is not looked at and the answer lacks
            # Access-Control-Allow-Private-Network, as crossgate's does: the browser refuses).
            failures.append("private-network")
        if not failures:
            return 200, self._allowed_headers(decision, request_headers), b"OK"
        if not decision.allowed:
            # An origin's refusal is explained only if the log shows it (decide_preflight).
            explain = functools.partial(refusal_reason, self.policy, origin, preflight=True)
            self._log(scope, decision.reason or explain)
        body = ("Disallowed CORS " + ", ".join(failures)).encode()
        return 400, self._refused_headers(body, failures, origin, request_headers), body

    def _decide_with(self, policy: CORSPolicy, asked: PreflightAsked) -> Decision:
        """The engine's decision on *asked* under *policy*, for Starlette's methods."""
        origin, request_method, request_headers, private_network = asked
        return decide_preflight(
            policy,
            origin,
            request_method,
            request_headers,
            self._methods,
            private_network=private_network,
            explain=False,
        )

    def _allowed_headers(
        self, decision: Decision, request_headers: str | None
    ) -> list[tuple[str, str]]:
        """An allowed preflight's headers, as Starlette writes them: the methods as listed,
        ``allow_headers=['*']`` echoing the request's list, Vary as the installed version."""
        headers = []
        for name, value in decision.headers:
            if name == ACAM:
                value = self._methods_value
            elif name == ACAH and self.policy.allowed_headers is None and request_headers:
                # The engine has checked that it holds only header names: safe to echo.
                value = request_headers.strip(" \t")
            headers.append((name, value))
        vary = _PREFLIGHT_VARY if VARY_ALWAYS else None
        if not VARY_ALWAYS and headers[0] != (ACAO, "*"):
            vary = "Origin"
        if vary is not None:
            headers.append(("Vary", vary))
        return [*_text(b"OK"), *headers]

    def _refused_headers(
        self, body: bytes, failures: list[str], origin: str, request_headers: str | None
    ) -> list[tuple[str, str]]:
        """A refused preflight's headers, as Starlette writes them: its static preflight
        headers, the origin when that was allowed, the request's headers when all are."""
        headers = dict(self.preflight_headers)
        if "origin" not in failures and self.preflight_explicit_allow_origin:
            headers["Access-Control-Allow-Origin"] = origin
        if self.allow_all_headers and request_headers is not None:
            headers["Access-Control-Allow-Headers"] = request_headers
        return [*_text(body), *headers.items()]

    def _failures(
        self, decision: Decision, request_method: str, request_headers: str | None
    ) -> list[str]:
        """What Starlette's refusal would list. The engine decides and stops at the first
        refusal; the parts it did not reach are named as Starlette would name them."""
        code = "" if decision.reason is None else decision.reason.code
        failures = []
        origin_refused = _origin_refused(decision)
        if origin_refused:
            failures.append("origin")
        method_refused = code.startswith("method")
        if method_refused or (origin_refused and request_method not in self._methods):
            failures.append("method")
        if code.startswith("header") or (
            (origin_refused or method_refused) and self._refuses_headers(request_headers)
        ):
            failures.append("headers")
        return failures

    def _refuses_headers(self, requested: str | None) -> bool:
        allowed = self.policy.allowed_headers
        if allowed is None or requested is None:
            return False
        return any(name.strip(" \t").lower() not in allowed for name in requested.split(","))


def _origin_refused(decision: Decision) -> bool:
    """Whether the engine refused the Origin (without a reason: left to be explained)."""
    if decision.allowed:
        return False
    return decision.reason is None or decision.reason.code.startswith("origin")


def _text(body: bytes) -> list[tuple[str, str]]:
    return [("content-type", "text/plain; charset=utf-8"), ("content-length", str(len(body)))]
