"""Why a server refused a preflight without CORS headers: its own words, or a few probes; and
why an actual response came back without them.

A refused preflight usually comes back without ``Access-Control-Allow-Origin``, so the browser
blames the origin ("No 'Access-Control-Allow-Origin' header is present") whatever the server
objected to: an unlisted request header, an unlisted method, or indeed the origin. The browser is
not told more, and adding the origin to ``origins`` does not help when it is already there.

The cause is found the way an engineer would find it:

1. A crossgate server in debug mode states the reason in the body of its 403
   (``[header-not-allowed] CORS preflight refused: ... Fix: ...``); when it is there it is used.
2. Otherwise a few probe preflights ask again with less: the same method without the custom
   headers, then a CORS-safelisted method, then each custom header alone. The first accepted
   probe clears the origin; the rest name the refused method and headers.

Probes are ``OPTIONS`` preflights only (they never run a view), at most
``3 + MAX_HEADER_PROBES`` of them, and every one is shown to the user.

An actual response without ``Access-Control-Allow-Origin`` gets the same blame from the browser.
Probe preflights for its method tell the two causes apart: the origin is refused (the server's
reason, or no probe accepted), or the server's policy admits the origin and this response was
sent without the CORS headers (``unheaded_response``): an error page from somewhere the CORS
layer does not reach, or the request's method not served at the URL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from crossgate.browser import (
    BrowserRequest,
    HttpResponse,
    normalize_method,
    preflight_check,
    unsafe_request_header_names,
)
from crossgate.errors import describe

#: Custom headers probed one by one; a request with more gets the rest left unprobed.
MAX_HEADER_PROBES = 8
#: method, request header pairs, the question asked -> the answer to that preflight.
Probe = Callable[[str, tuple[tuple[str, str], ...], str], HttpResponse]

# The first line of a crossgate debug-mode refusal (see crossgate._reasons.Reason.__str__).
_SERVER_REASON = re.compile(
    r"\[(?P<code>[a-z][a-z0-9-]{0,40})\] CORS preflight refused: (?P<message>[^\n]+?)\. "
    r"Fix: (?P<fix>[^\n]+?)\. Browser console: "
)
_BODY_READ = 4096
_SAFELISTED_METHODS = ("GET", "POST")


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """What the server refused in a preflight, and the option that admits it.

    :param source: ``server`` when read from the server's debug-mode body, ``probes`` when
        found by probe preflights, ``preflight`` when the browser's own preflight showed it (it
        was accepted, the response then lacked the headers), ``app`` when ``flask crossgate
        check`` read it from the reason the app logged while it ran.
    :param refused: what is refused: any of ``origin``, ``method``, ``headers``.
    :param message: the cause, in a sentence.
    :param fix: what to change on the server.
    :param code: the server's reason code (``source == "server"``), else empty.
    :param method: the refused method.
    :param headers: the refused request header names (lowercase), when found by probes (a
        server's reason names one of them, in ``message``).
    """

    source: str
    refused: tuple[str, ...]
    message: str
    fix: str
    code: str = ""
    method: str | None = None
    headers: tuple[str, ...] = ()


def read_server_reason(body: bytes) -> Diagnosis | None:
    """The reason a crossgate server in debug mode wrote in a refused preflight's body.

    The body is the server's text, so it is trusted only for its shape: a reason code, a message
    and a fix. Whoever shows them escapes them.
    """
    found = _SERVER_REASON.match(body[:_BODY_READ].decode("utf-8", "replace").lstrip())
    if found is None:
        return None
    code = found["code"]
    return Diagnosis("server", refused_parts(code), found["message"], found["fix"], code=code)


def refused_parts(code: str) -> tuple[str, ...]:
    """What a crossgate reason *code* refuses: ``origin``, ``method`` or ``headers`` (none for
    another code)."""
    part = next((name for name in ("origin", "method", "header") if code.startswith(name)), "")
    return ("headers",) if part == "header" else (part,) if part else ()


def _plain_question(method: str) -> str:
    """What the probe preflight for *method* without custom headers asks (the first probe)."""
    return f"is the origin accepted for {method} without custom headers?"


def diagnose(
    request: BrowserRequest, body: bytes, origin_fix: str, probe: Probe
) -> Diagnosis | None:
    """Find what the server refused in the preflight for *request*.

    :param body: the body of the refused preflight answer (read for a debug-mode reason).
    :param origin_fix: the fix to give when the origin itself is refused.
    :param probe: sends one more preflight and returns the answer.
    :returns: the diagnosis, or ``None`` when the probes contradict the first answer.
    """
    method = normalize_method(request.method)
    from_server = read_server_reason(body)
    if from_server is not None:
        if "method" in from_server.refused:
            return replace(from_server, method=method)
        return from_server
    names = unsafe_request_header_names(request.headers)
    pairs = {name.lower(): (name, value) for name, value in request.headers}

    statuses: list[int] = []

    def accepted(method: str, headers: tuple[tuple[str, str], ...], purpose: str) -> bool:
        answer = probe(method, headers, purpose)
        statuses.append(answer.status)
        # The server's decision does not depend on cookies (a preflight carries none), so the
        # probe is judged without credentials: only "did the server accept it" matters here.
        asked = BrowserRequest(request.url, request.origin, method, headers)
        return preflight_check(asked, answer).allowed

    passing = next(
        (
            candidate
            for candidate in dict.fromkeys((method, *_SAFELISTED_METHODS))
            if accepted(candidate, (), _plain_question(candidate))
        ),
        None,
    )
    if passing is None and all(status >= 500 for status in statuses):
        return Diagnosis(
            "probes",
            (),
            f"every probe preflight was answered with a server error (HTTP {statuses[-1]}): the "
            "server failed before any CORS policy could answer (a crash, an upstream that is "
            "down, a proxy's error page), so the origin may well be allowed",
            "fix the server error first (the server's or the proxy's log says why); the CORS "
            "headers come with the app's own answers",
        )
    if passing is None:
        return Diagnosis(
            "probes",
            ("origin",),
            f"no preflight from {describe(request.origin)} is accepted at this URL, whatever the "
            "method, even without custom headers: the origin is refused (or the URL has no "
            "CORS policy)",
            origin_fix,
        )
    refused_method = method if passing != method else None
    if names and passing == method and len(names) == 1:
        refused_headers = tuple(names)  # the full preflight differed from the probe by this one
    else:
        refused_headers = tuple(
            name
            for name in names[:MAX_HEADER_PROBES]
            if not accepted(passing, (pairs[name],), f"is request header {name!r} accepted?")
        )
    return _described(request, refused_method, refused_headers, names, passing)


def _described(
    request: BrowserRequest,
    method: str | None,
    headers: tuple[str, ...],
    names: list[str],
    passing: str,
) -> Diagnosis | None:
    """Word what the probes found."""
    messages: list[str] = []
    fixes: list[str] = []
    if method is not None:
        messages.append(
            f"the server refuses method {describe(method)} (a preflight for {passing} from the "
            "same origin is accepted)"
        )
        if method in _SAFELISTED_METHODS or method == "HEAD":
            fixes.append(f"the route does not accept {method}: add it to the route's methods=[...]")
        else:
            fixes.append(
                f"add {describe(method)} to methods (and to the route's methods=[...] if the "
                "view does not accept it yet)"
            )
    if headers:
        listed = ", ".join(describe(name) for name in headers)
        plural = "s" if len(headers) > 1 else ""
        messages.append(f"the server refuses request header{plural} {listed}")
        fixes.append(f"add {listed} to allow_headers")
    elif len(names) > MAX_HEADER_PROBES and method is None:
        unprobed = ", ".join(describe(name) for name in names[MAX_HEADER_PROBES:])
        messages.append(
            f"the first {MAX_HEADER_PROBES} request headers are accepted; the others were not "
            f"probed: {unprobed}"
        )
        fixes.append(f"check that allow_headers lists {unprobed}")
    elif names and method is None:
        messages.append(
            "each request header is accepted alone, but not all of them together (too many or "
            "too long for the server?)"
        )
        fixes.append("send fewer custom headers, or check the server's allow_headers")
    if not messages:
        return None
    refused = tuple(part for part, found in (("method", method), ("headers", headers)) if found)
    return Diagnosis(
        "probes",
        refused or ("headers",),
        "; ".join(messages) + f"; the origin {describe(request.origin)} is allowed",
        "; ".join(fixes),
        method=method,
        headers=headers,
    )


def diagnose_response(
    request: BrowserRequest,
    response: HttpResponse,
    origin_fix: str,
    probe: Probe,
    last_body: Callable[[], bytes],
) -> Diagnosis:
    """Why *response*, the answer to *request* sent without a preflight, carries no
    ``Access-Control-Allow-Origin``: the server's debug reason in the answer to the first probe
    (*last_body* reads the body of the answer *probe* got last), else what the probes find.
    Each question is sent once. *origin_fix* (the browser's) is kept for a ``null`` origin."""
    answers: dict[tuple[str, tuple[tuple[str, str], ...]], HttpResponse] = {}

    def once(method: str, headers: tuple[tuple[str, str], ...], purpose: str) -> HttpResponse:
        key = (method, headers)
        if key not in answers:
            answers[key] = probe(method, headers, purpose)
        return answers[key]

    method = normalize_method(request.method)
    once(method, (), _plain_question(method))  # diagnose asks this first: answered from here
    reason = read_server_reason(last_body())
    if reason is not None:
        return reason
    if request.origin != "null":  # the browser's fix for 'null' warns against listing it
        origin_fix = (
            f"add {describe(request.origin)} to origins, or give this URL a CORS policy if it "
            "has none"
        )
    found = diagnose(request, b"", origin_fix, once)
    return found or unheaded_response(request, response, "probes")


def unheaded_response(request: BrowserRequest, response: HttpResponse, source: str) -> Diagnosis:
    """Why *response* (to *request*, allowed by the server's policy: a preflight for its method
    was accepted, the browser's own or a probe, per *source*) came back without CORS headers."""
    method = normalize_method(request.method)
    which = "the preflight" if source == "preflight" else "a probe preflight"
    message = (
        f"the server's CORS policy admits {describe(request.origin)} here ({which} for "
        f"{describe(method)} was accepted), but this response (HTTP {response.status}) carries "
        "no Access-Control-Allow-Origin: it was sent without the CORS headers"
    )
    allow = response.get("Allow")
    if response.status == 405 and allow is not None:
        message += f"; the URL does not serve {describe(method)} (Allow: {describe(allow)})"
        fix = (
            f"send a method the URL serves, or add {describe(method)} to the route's "
            "methods=[...]; then the response carries the CORS headers"
        )
    else:
        fix = (
            "find what sent this response past the CORS layer: an error handler or a server or "
            "proxy in front of the app answering for it, or a route the CORS configuration does "
            "not cover (crossgate's adapters add the headers to every response the app sends, "
            "errors included)"
        )
    return Diagnosis(source, (), message, fix, method=method)
