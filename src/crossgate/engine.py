"""The engine: the server's side of the Fetch CORS protocol, sans I/O and framework-free.

Every adapter (Flask, the flask-cors layer, ASGI) does three things per request: read the facts
(method, ``Origin``, the ``Access-Control-Request-*`` headers), find the route (its methods, or
``None`` when the adapter has no router: then the policy's ``methods`` decide), and write what
the engine answers:

- ``decide(policy, facts, route_methods)`` is the complete outcome: for a preflight the status
  and the headers to send; for an actual request the headers to add and the ``Vary`` tokens;
- ``apply(headers, decision)`` writes an actual request's outcome into a response's header list,
  merging ``Vary`` with what is there.

This is the hot path: it does look-ups in sets and dictionaries and returns pre-built header
tuples. Untrusted request values are only compared, never parsed twice or echoed unvalidated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from crossgate._fetch import NORMALIZED_METHODS, SAFELISTED_METHODS
from crossgate._http import TOKEN, Header, merge_vary
from crossgate.origins import CheckFailure, parse_request_origin
from crossgate.policy import ACAH, ACAM, ACAO, ACAPN, CORSPolicy, Decision
from crossgate.reasons import Reason

__all__ = [
    "DEFAULT_METHODS",
    "MAX_REQUEST_HEADERS_LENGTH",
    "PREFLIGHT_VARY",
    "Decision",
    "RequestFacts",
    "apply",
    "decide",
    "decide_actual",
    "decide_preflight",
    "is_preflight",
    "refusal_reason",
]

#: Access-Control-Request-Headers longer than this is refused without being parsed further.
MAX_REQUEST_HEADERS_LENGTH = 4096

PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


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
        """Whether the request is a CORS preflight (see ``is_preflight``)."""
        return is_preflight(self.method, self.origin, self.request_method)


def is_preflight(method: str | None, origin: str | None, request_method: str | None) -> bool:
    """OPTIONS with Origin and Access-Control-Request-Method: the Fetch definition of a CORS
    preflight, from the request's method and those two headers (None: absent)."""
    return method == "OPTIONS" and origin is not None and request_method is not None


#: What a preflight may ask for when neither a router nor ``methods`` says: every method a page
#: may use that an API commonly serves.
DEFAULT_METHODS = frozenset({"DELETE", "GET", "HEAD", "PATCH", "POST", "PUT"})

#: A refusal left unexplained (no Origin, or the reason is worked out only when it is read).
_REFUSED = Decision(allowed=False, vary="Origin")


def refusal_reason(
    policy: CORSPolicy,
    origin: str,
    *,
    preflight: bool = False,
    failure: CheckFailure | None = None,
) -> Reason:
    """Why *origin* is not allowed by *policy* (*failure*: an ``origins`` callable raised)."""
    if failure is not None:
        facts = (("origin", origin), ("check", failure.check), ("error", failure.error))
        return Reason("origin-check-failed", facts, preflight)
    if origin == "null":
        return Reason("origin-null", preflight=preflight)
    if parse_request_origin(origin) is None:
        return Reason("origin-malformed", (("origin", origin),), preflight)
    return Reason("origin-not-allowed", (("origin", origin),), preflight)


def decide_actual(policy: CORSPolicy, origin: str | None, *, explain: bool = True) -> Decision:
    """The answer to an actual (non-preflight) request with the given Origin header.

    With ``origins='*'`` every response carries ``Access-Control-Allow-Origin: *``, with or
    without an Origin: the response is then the same for everyone, so a shared cache can
    hand it to any page and no ``Vary`` is needed.

    A refusal carries its reason. With ``explain=False`` it does not, unless an ``origins``
    callable failed (that failure cannot be found again): the caller works the reason out with
    ``refusal_reason`` only if someone will read it, which keeps refusals as cheap as answers.
    """
    if policy.origins.any_origin:
        return policy.answers["*"]
    if origin is None:
        return _REFUSED
    answer = policy.answers.get(origin)
    if answer is not None:
        return answer  # an exact origin: the whole answer was built at start-up
    verdict = policy.origins.match(origin)
    if verdict is True:
        return Decision(True, policy.headers_for(origin), "Origin")
    if isinstance(verdict, CheckFailure):
        return Decision(False, (), "Origin", reason=refusal_reason(policy, origin, failure=verdict))
    if not explain:
        return _REFUSED
    return Decision(False, (), "Origin", reason=refusal_reason(policy, origin))


def _requested_names(value: str) -> list[str] | None:
    names = []
    for part in value.split(","):
        name = part.strip(" \t")
        if not name:
            continue  # empty elements are allowed in HTTP lists ("a,,b", proxies joining lines)
        if not TOKEN.fullmatch(name):
            return None
        names.append(name.lower())
    return names


def _refuse(code: str, *facts: tuple[str, object]) -> Decision:
    return Decision(False, (), PREFLIGHT_VARY, status=403, reason=Reason(code, facts, True))


def _listed(methods: Iterable[str]) -> str:
    return ", ".join(sorted(methods)) or "none"


def decide_preflight(
    policy: CORSPolicy,
    origin: str,
    request_method: str,
    request_headers: str | None,
    route_methods: Iterable[str] | None,
    *,
    private_network: bool = False,
) -> Decision:
    """The answer to a preflight for a route that accepts *route_methods* (``None``: unknown,
    see ``decide``).

    Allowed: 204 with every method the route allows for this policy (one preflight then covers
    later requests with other methods), the validated requested headers or the configured list,
    and Max-Age. Refused: 403 without CORS headers, with the reason. Methods and header names
    are compared exactly, as tokens; ``Access-Control-Request-Headers`` longer than
    ``MAX_REQUEST_HEADERS_LENGTH`` is refused unread, so the work is bounded whatever is sent.

    ``Access-Control-Allow-Private-Network`` is sent only when the request asked for it and
    the policy allows it; otherwise the preflight is answered as if it had not been asked.
    """
    verdict = policy.origins.match(origin)
    if verdict is not True:
        failure = verdict if isinstance(verdict, CheckFailure) else None
        reason = refusal_reason(policy, origin, preflight=True, failure=failure)
        return Decision(False, (), PREFLIGHT_VARY, status=403, reason=reason)
    if not TOKEN.fullmatch(request_method):
        return _refuse("method-invalid", ("method", request_method))
    routed = route_methods is not None
    if route_methods is None:  # no router: what the policy allows is what the route accepts
        configured = DEFAULT_METHODS if policy.allowed_methods is None else policy.allowed_methods
        route_methods = configured | SAFELISTED_METHODS
    route = frozenset(route_methods)
    if policy.allowed_methods is None or "OPTIONS" not in policy.allowed_methods:
        # Routers answer OPTIONS on every route by themselves: a page may send one only when
        # the policy's methods name it.
        route -= {"OPTIONS"}
    spelled = request_method
    if request_method.upper() not in NORMALIZED_METHODS and request_method.upper() in route:
        # fetch() sends methods other than the six it normalises as written ("patch"), and
        # compares Access-Control-Allow-Methods case-sensitively; Werkzeug routes "patch" to
        # PATCH. So PATCH is allowed, and the answer must also carry the browser's spelling.
        request_method = request_method.upper()
    if request_method not in route:
        code = "method-not-routed" if routed else "method-not-allowed"
        return _refuse(code, ("method", request_method), ("allowed", _listed(route)))
    allowed = route if policy.allowed_methods is None else route & policy.allowed_methods
    if request_method not in allowed and request_method not in SAFELISTED_METHODS:
        return _refuse(
            "method-not-allowed", ("method", request_method), ("allowed", _listed(allowed))
        )
    headers: list[Header] = [(ACAO, "*" if policy.origins.any_origin else origin)]
    if allowed:
        listed = sorted(allowed) if spelled == request_method else [*sorted(allowed), spelled]
        headers.append((ACAM, ", ".join(listed)))
    if request_headers:
        if len(request_headers) > MAX_REQUEST_HEADERS_LENGTH:
            size = len(request_headers)
            return _refuse(
                "headers-too-large", ("size", size), ("limit", MAX_REQUEST_HEADERS_LENGTH)
            )
        names = _requested_names(request_headers)
        if names is None:
            return _refuse("headers-invalid", ("headers", request_headers))
        if policy.allowed_headers is None:
            if names:
                headers.append((ACAH, ", ".join(dict.fromkeys(names))))
        else:
            for name in names:
                if name not in policy.allowed_headers:
                    allowed_headers = policy.allow_headers_value or "none"
                    return _refuse(
                        "header-not-allowed", ("header", name), ("allowed", allowed_headers)
                    )
    if policy.allow_headers_value:
        headers.append((ACAH, policy.allow_headers_value))
    headers.extend(policy.preflight_headers)
    if private_network and policy.allow_private_network:
        headers.append((ACAPN, "true"))
    return Decision(True, tuple(headers), PREFLIGHT_VARY, status=204)


def decide(
    policy: CORSPolicy, facts: RequestFacts, route_methods: Iterable[str] | None = None
) -> Decision:
    """Decide for any request: a preflight (answered by crossgate) or an actual request.

    *route_methods* are the methods the request's route accepts, when the adapter knows them
    (a router); ``None`` means unknown, and then the policy's ``methods`` (or, when it names
    none, ``DEFAULT_METHODS``) are what a preflight may ask for.
    """
    if facts.is_preflight:
        assert facts.origin is not None  # is_preflight says so; this tells mypy
        assert facts.request_method is not None
        return decide_preflight(
            policy,
            facts.origin,
            facts.request_method,
            facts.request_headers,
            route_methods,
            private_network=facts.private_network,
        )
    return decide_actual(policy, facts.origin)


def apply(headers: list[Header], decision: Decision) -> None:
    """Write an actual request's *decision* into a response's header list, in place: its CORS
    headers (unless the response set ``Access-Control-Allow-Origin`` itself: two values would
    fail the browser's check), and its ``Vary`` tokens merged with the response's own."""
    has_vary = has_origin = False
    for name, _ in headers:  # one pass: this runs on every response
        lowered = name.lower()
        if lowered == "vary":
            has_vary = True
        elif lowered == "access-control-allow-origin":
            has_origin = True
    if decision.headers and not has_origin:
        headers.extend(decision.headers)
    if decision.vary:
        if has_vary:
            merge_vary(headers, decision.vary)
        else:
            headers.append(("Vary", decision.vary))
