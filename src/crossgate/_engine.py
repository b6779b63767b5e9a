"""The engine: the server's side of the Fetch CORS protocol, sans I/O and framework-free.

Every adapter (Flask, the flask-cors layer, ASGI) does three things per request: read the facts
(method, ``Origin``, the ``Access-Control-Request-*`` headers), find the route (its methods, or
``None`` when the adapter has no router: then the policy's ``methods`` decide), and write what
the engine answers:

- ``decide_preflight`` decides a preflight, and ``preflight_answer`` turns that ``Decision``
  into the whole answer (status, headers, body) the adapter sends as it is;
- ``decide_actual`` decides an actual request, and ``apply`` writes its headers into the
  response's header list, merging ``Vary`` with what is there;
- ``log_refusal`` explains a refusal in the ``crossgate`` log, for every adapter alike.

This is the hot path: it does look-ups in sets and dictionaries and returns pre-built header
tuples. Untrusted request values are only compared, never parsed twice or echoed unvalidated.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from crossgate._fetch import ACAH, ACAM, ACAO, ACAPN, NORMALIZED_METHODS, SAFELISTED_METHODS
from crossgate._http import TOKEN, Header, merge_vary
from crossgate._near_miss import near_misses
from crossgate._origins import CheckFailure, parse_request_origin
from crossgate._reasons import Reason, Said
from crossgate.errors import describe

if TYPE_CHECKING:
    from crossgate._policy import CORSPolicy

logger = logging.getLogger("crossgate")

#: Access-Control-Request-Headers longer than this is refused without being parsed further.
MAX_REQUEST_HEADERS_LENGTH = 4096

PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


class Decision(NamedTuple):
    """What to send: ``headers`` to add, ``vary`` tokens to merge, ``status`` for a preflight.

    ``reason`` says why a request was refused (see ``decide_actual`` for when it is left to
    ``refusal_reason``). A named tuple, not a frozen dataclass: one is made per request, and
    this is the cheapest immutable value Python has. ``CORSPolicy.answers`` holds the ones
    built at start-up.
    """

    allowed: bool
    headers: tuple[Header, ...] = ()
    vary: str | None = None
    status: int | None = None
    reason: Reason | None = None


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
        failed = (("origin", origin), ("check", failure.check), ("error", failure.error))
        return Reason("origin-check-failed", failed, preflight)
    if origin == "null":
        return Reason("origin-null", preflight=preflight)
    if parse_request_origin(origin) is None:
        return Reason("origin-malformed", (("origin", origin),), preflight)
    facts: tuple[tuple[str, object], ...] = (("origin", origin),)
    if policy.origins_source:
        allowed = policy.origins.summary()
        facts += (("level", Said(policy.origins_source)), ("allowed", Said(", ".join(allowed))))
        for near in near_misses(origin, allowed)[:1]:
            facts += (("near", near.allowed), ("aspect", Said(near.aspect)))
    return Reason("origin-not-allowed", facts, preflight)


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


def routed_methods(
    allowed_methods: frozenset[str] | None, route_methods: Iterable[str]
) -> frozenset[str]:
    """The methods of a route a preflight may ask for: its own, without ``OPTIONS`` unless the
    policy's *allowed_methods* name it (routers answer ``OPTIONS`` on every route by themselves,
    so a page may send one only when the policy says so)."""
    route = frozenset(route_methods)
    if allowed_methods is None or "OPTIONS" not in allowed_methods:
        route -= {"OPTIONS"}
    return route


def answered_methods(
    allowed_methods: frozenset[str] | None, route_methods: Iterable[str]
) -> frozenset[str]:
    """The methods an allowed preflight lists in ``Access-Control-Allow-Methods``: the route's
    own (``routed_methods``) that the policy's *allowed_methods* (None: every one) name."""
    route = routed_methods(allowed_methods, route_methods)
    return route if allowed_methods is None else route & allowed_methods


def decide_preflight(
    policy: CORSPolicy,
    origin: str,
    request_method: str,
    request_headers: str | None,
    route_methods: Iterable[str] | None,
    *,
    private_network: bool = False,
    explain: bool = True,
) -> Decision:
    """The answer to a preflight for a route that accepts *route_methods* (``None``: unknown,
    as for an adapter without a router: then the policy's ``methods``, or ``DEFAULT_METHODS``
    when it names none, are what a preflight may ask for).

    Allowed: 204 with every method the route allows for this policy (one preflight then covers
    later requests with other methods), the validated requested headers or the configured list,
    and Max-Age. Refused: 403 without CORS headers, with the reason. Methods and header names
    are compared exactly, as tokens; ``Access-Control-Request-Headers`` longer than
    ``MAX_REQUEST_HEADERS_LENGTH`` is refused unread, so the work is bounded whatever is sent.

    ``Access-Control-Allow-Private-Network`` is sent only when the request asked for it and
    the policy allows it; otherwise the preflight is answered as if it had not been asked.

    With ``explain=False`` a refused origin's reason is left to ``refuse_preflight`` (as
    ``decide_actual`` leaves it): the near miss is looked for among every allowed origin, which
    a refusal nobody reads must not pay for.
    """
    verdict = policy.origins.match(origin)
    if verdict is not True:
        failure = verdict if isinstance(verdict, CheckFailure) else None
        reason = None
        if explain or failure is not None:
            reason = refusal_reason(policy, origin, preflight=True, failure=failure)
        return Decision(False, (), PREFLIGHT_VARY, status=403, reason=reason)
    if not TOKEN.fullmatch(request_method):
        return _refuse("method-invalid", ("method", request_method))
    routed = route_methods is not None
    if route_methods is None:  # no router: what the policy allows is what the route accepts
        configured = DEFAULT_METHODS if policy.allowed_methods is None else policy.allowed_methods
        route_methods = configured | SAFELISTED_METHODS
    route = routed_methods(policy.allowed_methods, route_methods)
    spelled = request_method
    if request_method.upper() not in NORMALIZED_METHODS and request_method.upper() in route:
        # fetch() sends methods other than the six it normalises as written ("patch"), and
        # compares Access-Control-Allow-Methods case-sensitively; Werkzeug routes "patch" to
        # PATCH. So PATCH is allowed, and the answer must also carry the browser's spelling.
        request_method = request_method.upper()
    if request_method not in route:
        code = "method-not-routed" if routed else "method-not-allowed"
        return _refuse(code, ("method", request_method), ("allowed", _listed(route)))
    allowed = answered_methods(policy.allowed_methods, route)
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
    add_vary(headers, decision.vary, present=has_vary)


def add_vary(headers: list[Header], vary: str | None, *, present: bool) -> None:
    """Add *vary*'s tokens to a response's header list: merged into its ``Vary`` when one is
    *present*, else as a line of its own."""
    if not vary:
        return
    if present:
        merge_vary(headers, vary)
    else:
        headers.append(("Vary", vary))


@dataclass(frozen=True, slots=True)
class PreflightStyle:
    """How a preflight's answer is worded: crossgate's own (``NATIVE_PREFLIGHT``), or that of
    a library a drop-in imitates (Starlette's 200 ``OK`` and 400)."""

    allowed_status: int = 204
    allowed_body: bytes = b""
    refused_status: int = 403
    #: The ``Vary`` line of every answer: a preflight's answer depends on these headers.
    vary: str = PREFLIGHT_VARY


#: crossgate's preflight answers: 204 with the CORS headers, 403 without them.
NATIVE_PREFLIGHT = PreflightStyle()

_TEXT = "text/plain; charset=utf-8"
# What a refused preflight says outside debug mode: the reason is for the app's developer (the
# log has it), not for whoever probes which rule stopped them.
_REFUSED_BODY = b"CORS preflight refused.\n"


#: The whole answer to a preflight, for an adapter to send as it is: status, headers, body.
#: The header list is a fresh one: an adapter may add its own lines (a header policy's). A
#: plain tuple: one is made per preflight, and a named tuple costs a Python call to make.
PreflightAnswer = tuple[int, list[Header], bytes]


def preflight_answer(
    decision: Decision,
    *,
    debug: bool = False,
    style: PreflightStyle = NATIVE_PREFLIGHT,
    refused_body: bytes | None = None,
) -> PreflightAnswer:
    """The answer to a preflight *decision* (``decide_preflight``'s, or a refusal the adapter
    made, like ``route-not-covered``).

    Allowed: ``style.allowed_status`` with the decision's headers. Refused: ``refused_status``
    without any CORS header; the body says why in *debug* mode (the reason, as the log has
    it), and only that it was refused otherwise; *refused_body* replaces both. A body comes
    with its ``Content-Type`` and ``Content-Length``; every answer varies on ``style.vary``.
    """
    vary = ("Vary", style.vary)
    if decision.allowed:
        body = style.allowed_body
        if not body:
            return style.allowed_status, [*decision.headers, vary], body
        return style.allowed_status, [*_text_headers(body), *decision.headers, vary], body
    if refused_body is not None:
        body = refused_body
    elif debug and decision.reason is not None:
        body = f"{decision.reason}\n".encode()
    else:
        body = _REFUSED_BODY
    return style.refused_status, [*_text_headers(body), vary], body


def refuse_preflight(
    decision: Decision,
    method: str,
    path: str,
    *,
    debug: bool,
    explain: Callable[[], Reason] | None = None,
    style: PreflightStyle = NATIVE_PREFLIGHT,
) -> PreflightAnswer:
    """The answer to a refused preflight *decision*, the refusal logged (``log_refusal``). Its
    reason is the decision's, or else *explain*'s, worked out only when the log or the debug
    body shows it."""
    reason = decision.reason or explain
    assert reason is not None  # decide_preflight leaves only an origin's reason to explain
    if debug and not isinstance(reason, Reason):
        reason = reason()
        decision = decision._replace(reason=reason)
    log_refusal(method, path, reason, debug=debug)
    return preflight_answer(decision, debug=debug, style=style)


def _text_headers(body: bytes) -> list[Header]:
    return [("Content-Type", _TEXT), ("Content-Length", str(len(body)))]


def log_refusal(
    method: str, path: str, reason: Reason | Callable[[], Reason], *, debug: bool
) -> None:
    """Explain a refusal in the ``crossgate`` log: DEBUG, or WARNING when the app runs in
    *debug* mode. The request's method and path are escaped (a CR or LF never forges a line);
    the record carries the reason's code as ``crossgate_reason`` and the ``Reason`` itself as
    ``crossgate_refusal`` (``flask crossgate check`` reads it).

    *reason* may be a function that works it out: called only when the log will show it, so a
    refusal nobody reads costs no more than an answer.
    """
    level = logging.WARNING if debug else logging.DEBUG
    if logger.isEnabledFor(level):
        if not isinstance(reason, Reason):
            reason = reason()
        logger.log(
            level,
            "%s %s %s",
            describe(method),
            describe(path),
            reason,
            extra={"crossgate_reason": reason.code, "crossgate_refusal": reason},
        )
