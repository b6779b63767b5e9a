"""Starlette's ``CORSMiddleware``, signature and defaults, on crossgate's engine.

Change one import to migrate (FastAPI's ``fastapi.middleware.cors`` is the same class)::

    from crossgate.compat.starlette import CORSMiddleware

The options are translated to crossgate's and compiled by the same ``build_policy``; requests
go through the same ASGI adapter and the same engine. This module supplies only what differs:
Starlette's names and defaults, its way of answering a preflight (200 ``OK``, or 400
``Disallowed CORS origin, method``), its ``Vary`` lines, and its rule that a preflight asks for
one of ``allow_methods`` whatever the path. Where Starlette is unsafe (``'*'`` with
credentials, regexes that let in other domains) crossgate refuses the configuration at start-up,
with the fix; docs/migration-starlette.md lists every difference.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from crossgate.asgi._types import ASGIApp, Scope
from crossgate.asgi.cors import CORSMiddleware as _Adapter
from crossgate.asgi.cors import PreflightAsked, compile_policy
from crossgate.engine import (
    Decision,
    PreflightAnswer,
    PreflightStyle,
    decide_actual,
    preflight_answer,
)
from crossgate.errors import ConfigError, Problem
from crossgate.policy import ACAH

__all__ = ["ALL_METHODS", "SAFELISTED_HEADERS", "CORSMiddleware"]

#: What ``allow_methods=["*"]`` means, as in Starlette.
ALL_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY")
#: Starlette always allows these request headers, whatever ``allow_headers`` says.
SAFELISTED_HEADERS = frozenset({"Accept", "Accept-Language", "Content-Language", "Content-Type"})

_WHERE = "crossgate.compat.starlette.CORSMiddleware"
# Starlette's preflight answers: 200 "OK", or 400 naming what was disallowed.
_STARLETTE_PREFLIGHT = PreflightStyle(
    allowed_status=200,
    allowed_body=b"OK",
    refused_status=400,
    vary="Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
    "Access-Control-Request-Private-Network",
)
_NO_ORIGIN = Decision(False, (), "Origin")
# crossgate's option names, as the Starlette user wrote them.
_STARLETTE_NAMES = {
    "origins": "allow_origins",
    "methods": "allow_methods",
    "supports_credentials": "allow_credentials",
}


def _renamed(problem: Problem) -> Problem:
    """*problem* in Starlette's option names."""
    option = _STARLETTE_NAMES.get(problem.option, problem.option)
    if isinstance(problem.value, re.Pattern):
        option = "allow_origin_regex"
    message = problem.message.replace("supports_credentials", "allow_credentials")
    fix = problem.fix.replace("supports_credentials", "allow_credentials")
    return Problem(option, problem.value, message, fix)


class CORSMiddleware(_Adapter):
    """Starlette's ``CORSMiddleware`` (same arguments, same defaults), answered by crossgate.

    The keyword-only ``allow_null_origin``, ``allow_insecure_http_origins`` and
    ``allow_regex_wildcards`` are crossgate's consents, named in the fix of the configuration
    error that needs them.
    """

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
    ) -> None:
        problems: list[Problem] = []
        # A string is one origin (Starlette would test it for substrings).
        origins = [allow_origins] if isinstance(allow_origins, str) else list(allow_origins)
        entries: list[object] = ["*"] if "*" in origins else list(origins)
        if allow_origin_regex is not None:
            try:
                regex = re.compile(allow_origin_regex)
            except (re.error, TypeError) as error:
                fix = "write a regular expression that matches whole origins"
                message = f"does not compile: {error}"
                problems.append(Problem("allow_origin_regex", allow_origin_regex, message, fix))
            else:
                if "*" not in origins:  # with '*' the regex adds nothing
                    entries.append(regex)
        methods = ALL_METHODS if "*" in allow_methods else tuple(allow_methods)
        headers: object = (
            "*" if "*" in allow_headers else sorted(SAFELISTED_HEADERS | set(allow_headers))
        )
        options = {
            "origins": entries,
            "methods": methods,
            "allow_headers": headers,
            "expose_headers": list(expose_headers),
            "supports_credentials": allow_credentials,
            "max_age": max_age,
            "allow_private_network": allow_private_network,
            "allow_null_origin": allow_null_origin,
            "allow_insecure_http_origins": allow_insecure_http_origins,
            "allow_regex_wildcards": allow_regex_wildcards,
        }
        try:
            policy = compile_policy(options, _WHERE)
        except ConfigError as error:
            problems.extend(_renamed(problem) for problem in error.problems)
        if problems:
            raise ConfigError(problems, context=_WHERE)
        self.app = app
        self.policy = policy
        self._routes = None
        # Starlette allows a preflight for any of allow_methods on any path, routed or not.
        self._methods = frozenset(methods)
        self._any_origin = (
            policy.answers["*"]._replace(vary="Origin") if policy.origins.any_origin else None
        )

    def _actual(self, origin: str | None) -> Decision:
        # Starlette adds Vary: Origin to every response, and no CORS header without an Origin.
        if origin is None:
            return _NO_ORIGIN
        if self._any_origin is not None:
            return self._any_origin
        return decide_actual(self.policy, origin, explain=False)

    def _preflight(self, scope: Scope, asked: PreflightAsked) -> PreflightAnswer:
        # Starlette allows a preflight for any of allow_methods, on any path, routed or not.
        _, method, requested, private_network = asked
        decision = self._decide_preflight(asked, self._methods)
        failures = self._failures(decision, method, requested)
        if private_network and not self.policy.allow_private_network:
            failures.append("private-network")  # crossgate would answer as if not asked
        if not failures:
            if self.policy.allowed_headers is None and requested:
                # Starlette echoes the request's list as written; the engine has checked that
                # it holds only header names, so it is safe to send back.
                echoed = requested.strip(" \t")
                decision = decision._replace(
                    headers=tuple(
                        (name, echoed if name == ACAH else value)
                        for name, value in decision.headers
                    )
                )
            return preflight_answer(decision, style=_STARLETTE_PREFLIGHT)
        if decision.reason is not None:
            self._log(scope, decision.reason)
        body = ("Disallowed CORS " + ", ".join(failures)).encode()
        refused = decision._replace(allowed=False)
        return preflight_answer(refused, style=_STARLETTE_PREFLIGHT, refused_body=body)

    def _failures(
        self, decision: Decision, request_method: str, request_headers: str | None
    ) -> list[str]:
        """What Starlette's refusal would list. The engine decides and stops at the first
        refusal; the parts it did not reach are named as Starlette would name them."""
        code = "" if decision.reason is None else decision.reason.code
        failures = []
        origin_refused = code.startswith("origin")
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
