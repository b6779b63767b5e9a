"""decide(): the server's side of the Fetch CORS protocol, pure and framework-free.

Given a compiled ``CORSPolicy`` and the few facts of a request, say what to answer and why.
This is the hot path: it does look-ups in sets and dictionaries and returns pre-built header
tuples. Untrusted request values are only compared, never parsed twice or echoed unvalidated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from crossgate.origins import parse_request_origin
from crossgate.policy import ACAH, ACAM, ACAO, ACAPN, CORSPolicy, Header
from crossgate.reasons import Reason

__all__ = [
    "MAX_REQUEST_HEADERS_LENGTH",
    "PREFLIGHT_VARY",
    "Decision",
    "RequestFacts",
    "decide",
    "decide_actual",
    "decide_preflight",
    "refusal_reason",
]

#: Access-Control-Request-Headers longer than this is refused without being parsed further.
MAX_REQUEST_HEADERS_LENGTH = 4096

PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")
_SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What a CORS decision needs to know about a request (header values as received)."""

    method: str
    origin: str | None
    request_method: str | None = None
    request_headers: str | None = None
    private_network: bool = False

    @property
    def is_preflight(self) -> bool:
        """OPTIONS with Origin and Access-Control-Request-Method (the Fetch definition)."""
        return self.method == "OPTIONS" and self.origin is not None and self.request_method is not None


@dataclass(frozen=True, slots=True)
class Decision:
    """What to send: ``headers`` to add, ``vary`` tokens to merge, ``status`` for a preflight.

    ``reason`` is set exactly when the request was refused.
    """

    allowed: bool
    headers: tuple[Header, ...] = ()
    vary: str | None = None
    status: int | None = None
    reason: Reason | None = None

    @property
    def preflight(self) -> bool:
        return self.status is not None


_NO_ORIGIN_VARY = Decision(allowed=False, vary="Origin")
_NO_ORIGIN_STATIC = Decision(allowed=False)


def refusal_reason(policy: CORSPolicy, origin: str, *, preflight: bool = False) -> Reason:
    """Why *origin* is not allowed by *policy*."""
    if origin == "null":
        return Reason("origin-null", preflight=preflight)
    if parse_request_origin(origin) is None:
        return Reason("origin-malformed", (("origin", origin),), preflight)
    return Reason("origin-not-allowed", (("origin", origin),), preflight)


def decide_actual(policy: CORSPolicy, origin: str | None) -> Decision:
    """The answer to an actual (non-preflight) request with the given Origin header."""
    vary = "Origin" if policy.origins.varies else None
    if origin is None:
        return _NO_ORIGIN_VARY if vary else _NO_ORIGIN_STATIC
    if policy.origins.any_origin:
        return Decision(True, policy.prebuilt["*"], None)
    if policy.origins.allows(origin):
        return Decision(True, policy.headers_for(origin), vary)
    return Decision(False, (), vary, reason=refusal_reason(policy, origin))


def _requested_names(value: str) -> list[str] | None:
    names = []
    for part in value.split(","):
        name = part.strip(" \t")
        if not name:
            continue  # empty elements are allowed in HTTP lists ("a,,b", proxies joining lines)
        if not _TOKEN.match(name):
            return None
        names.append(name.lower())
    return names


def _refuse(reason: Reason) -> Decision:
    return Decision(False, (), PREFLIGHT_VARY, status=403, reason=reason)


def decide_preflight(
    policy: CORSPolicy,
    origin: str,
    request_method: str,
    request_headers: str | None,
    route_methods: Iterable[str],
    *,
    private_network: bool = False,
) -> Decision:
    """The answer to a preflight for a route that accepts *route_methods*.

    Allowed: 204 with every method the route allows for this policy (one preflight then covers
    later requests with other methods), the validated requested headers or the configured list,
    and Max-Age. Refused: 403 without CORS headers, with the reason.
    """
    if not policy.origins.allows(origin):
        return _refuse(refusal_reason(policy, origin, preflight=True))
    if not _TOKEN.match(request_method):
        return _refuse(Reason("method-invalid", (("method", request_method),), preflight=True))
    route = frozenset(route_methods) - {"OPTIONS"}
    allowed = route if policy.allowed_methods is None else route & policy.allowed_methods
    if request_method not in allowed and request_method not in _SAFELISTED_METHODS:
        listed = ", ".join(sorted(allowed)) or "none"
        code = "method-not-routed" if request_method not in route else "method-not-allowed"
        return _refuse(Reason(code, (("method", request_method), ("allowed", listed)), preflight=True))
    if request_method in _SAFELISTED_METHODS and request_method not in route:
        return _refuse(
            Reason("method-not-routed", (("method", request_method), ("allowed", ", ".join(sorted(route)))), True)
        )
    headers: list[Header] = [
        (ACAO, "*" if policy.origins.any_origin else origin),
        (ACAM, ", ".join(sorted(allowed))),
    ]
    if request_headers:
        if len(request_headers) > MAX_REQUEST_HEADERS_LENGTH:
            size = (("size", len(request_headers)), ("limit", MAX_REQUEST_HEADERS_LENGTH))
            return _refuse(Reason("headers-too-large", size, preflight=True))
        names = _requested_names(request_headers)
        if names is None:
            return _refuse(Reason("headers-invalid", (("headers", request_headers),), preflight=True))
        if policy.allowed_headers is not None:
            for name in names:
                if name not in policy.allowed_headers:
                    facts = (("header", name), ("allowed", policy.allow_headers_value or "none"))
                    return _refuse(Reason("header-not-allowed", facts, preflight=True))
        elif names:
            headers.append((ACAH, ", ".join(dict.fromkeys(names))))
    if policy.allow_headers_value is not None:
        headers.append((ACAH, policy.allow_headers_value))
    headers.extend(policy.preflight_headers)
    if private_network and policy.allow_private_network:
        headers.append((ACAPN, "true"))
    return Decision(True, tuple(headers), PREFLIGHT_VARY, status=204)


def decide(policy: CORSPolicy, facts: RequestFacts, route_methods: Iterable[str] = ()) -> Decision:
    """Decide for any request: a preflight (answered by crossgate) or an actual request."""
    if facts.is_preflight:
        assert facts.origin is not None and facts.request_method is not None
        return decide_preflight(
            policy,
            facts.origin,
            facts.request_method,
            facts.request_headers,
            route_methods,
            private_network=facts.private_network,
        )
    return decide_actual(policy, facts.origin)
