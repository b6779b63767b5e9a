"""Run the exchange a browser would run for one ``fetch()``, over any transport.

``run_check`` sends the preflight when the browser would, then the actual request (unsafe methods
only when asked to, since they may change data), follows redirects as the browser does, and asks
the browser model for the verdict. The transport is a function, so the same code serves the
``crossgate check`` command (httpx, a live server) and ``flask crossgate check`` (the app's test
client, no server).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import urljoin, urlsplit

from crossgate.browser import (
    BrowserRequest,
    HttpResponse,
    Verdict,
    evaluate,
    needs_preflight,
    normalize_method,
    preflight_check,
    unsafe_request_header_names,
)

__all__ = ["CheckResult", "Exchange", "Send", "run_check"]

#: method, absolute URL, request header lines, body -> the response (redirects not followed).
Send = Callable[[str, str, list[tuple[str, str]], bytes | None], HttpResponse]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_HOPS = 21  # the browser fails on the 21st redirect; one more response shows it


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request sent and the response received."""

    kind: str  # "preflight" or "request"
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    response: HttpResponse


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Everything ``crossgate check`` shows: the exchanges, the verdict and any note."""

    request: BrowserRequest
    exchanges: tuple[Exchange, ...]
    verdict: Verdict
    notes: tuple[str, ...] = field(default=())


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _preflight_headers(
    origin: str, method: str, headers: tuple[tuple[str, str], ...]
) -> list[tuple[str, str]]:
    lines = [("Origin", origin), ("Access-Control-Request-Method", method), ("Accept", "*/*")]
    names = unsafe_request_header_names(headers)
    if names:
        lines.append(("Access-Control-Request-Headers", ",".join(names)))
    return lines


def run_check(
    request: BrowserRequest, send: Send, *, send_unsafe: bool = False, body: bytes | None = None
) -> CheckResult:
    """Do what the browser would do for *request*, and return the verdict with the transcript."""
    exchanges: list[Exchange] = []
    method = normalize_method(request.method)
    cross_origin = _origin_of(request.url) != request.origin

    def exchange(
        kind: str, method: str, url: str, headers: list[tuple[str, str]], data: bytes | None
    ) -> HttpResponse:
        response = send(method, url, headers, data)
        exchanges.append(Exchange(kind, method, url, tuple(headers), response))
        return response

    preflight: HttpResponse | None = None
    if cross_origin and needs_preflight(method, request.headers):
        preflight = exchange(
            "preflight",
            "OPTIONS",
            request.url,
            _preflight_headers(request.origin, method, request.headers),
            None,
        )
        verdict = preflight_check(request, preflight)
        if not verdict.allowed:
            return CheckResult(request, tuple(exchanges), replace(verdict, preflight_needed=True))
    if method not in ("GET", "HEAD") and not send_unsafe:
        verdict = evaluate(
            request,
            preflight=preflight,
            response=HttpResponse(200, (("Access-Control-Allow-Origin", request.origin),)),
        )
        note = (
            f"the {method} request itself was not sent, because it may change data; the verdict "
            "covers the preflight only. Pass --send to send it too."
        )
        return CheckResult(
            request, tuple(exchanges), replace(verdict, readable_headers=frozenset()), (note,)
        )
    redirects: list[HttpResponse] = []
    redirect_preflights: list[HttpResponse | None] = []
    url, origin, data = request.url, request.origin, body
    headers = [*request.headers]
    if cross_origin:
        headers.append(("Origin", origin))
    response = exchange("request", method, url, headers, data)
    final: HttpResponse | None
    while response.status in _REDIRECTS and response.get("Location") and len(redirects) < _MAX_HOPS:
        redirects.append(response)
        target = urljoin(url, response.get("Location") or "")
        if _origin_of(target) != _origin_of(url) and _origin_of(url) != request.origin:
            origin = "null"  # a cross-origin hop away from a foreign URL taints the origin
        if (response.status == 303 and method not in ("GET", "HEAD")) or (
            response.status in (301, 302) and method == "POST"
        ):
            method, data = "GET", None
        url = target
        hop_cross_origin = _origin_of(url) != request.origin
        headers = [
            (name, value)
            for name, value in request.headers
            if not (name.lower() == "authorization" and hop_cross_origin)
        ]
        if hop_cross_origin:
            headers.append(("Origin", origin))
        answer: HttpResponse | None = None
        if hop_cross_origin and needs_preflight(method, tuple(headers)):
            answer = exchange(
                "preflight",
                "OPTIONS",
                url,
                _preflight_headers(origin, method, request.headers),
                None,
            )
        redirect_preflights.append(answer)
        if (
            answer is not None
            and not preflight_check(replace(request, url=url, origin=origin), answer).allowed
        ):
            final = None  # the browser stops at the failed preflight; the model says so
            break
        response = exchange("request", method, url, headers, data)
    else:
        final = response
    verdict = evaluate(
        request,
        preflight=preflight,
        response=final,
        redirects=redirects,
        redirect_preflights=redirect_preflights,
    )
    return CheckResult(request, tuple(exchanges), verdict)
