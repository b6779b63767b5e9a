"""Run the exchange a browser would run for one ``fetch()``, over any transport.

``run_check`` sends the preflight when the browser would, then the actual request, follows
redirects as the browser does, and asks the browser model for the verdict. The transport is a
function, so the same code serves the ``crossgate check`` command (httpx, a live server) and
``flask crossgate check`` (the app's test client, no server).

Two things go beyond what a browser does, and the result says so:

- An unsafe request (``POST``, ``PUT``...) is sent only when asked to, since it may change data.
  Without it the verdict is a prediction: the actual response is expected to carry the same
  ``Access-Control-Allow-Origin`` and ``-Credentials`` as the answer to the preflight (or to a
  probe preflight, for a request the browser sends without one), as every CORS library sends.
- A preflight refused without CORS headers tells the browser nothing; the reason is read from
  the server's debug body or found with a few probe preflights (see :mod:`crossgate.cli.diagnose`).
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
from crossgate.cli.diagnose import Diagnosis, Probe, diagnose

__all__ = [
    "CheckResult",
    "Exchange",
    "Prediction",
    "Reply",
    "Send",
    "preflight_headers",
    "run_check",
]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_HOPS = 21  # the browser fails on the 21st redirect; one more response shows it
# The part of a body kept for reading a server's refusal reason; more is never needed.
_BODY_KEPT = 4096
# The CORS headers of a preflight answer that an actual response carries too.
_PREDICTED_HEADERS = frozenset({"access-control-allow-origin", "access-control-allow-credentials"})


@dataclass(frozen=True, slots=True)
class Reply:
    """What a transport got back: the response as the browser model takes it, and its body."""

    response: HttpResponse
    body: bytes = b""


#: method, absolute URL, request header lines, body -> the reply (redirects not followed).
Send = Callable[[str, str, list[tuple[str, str]], bytes | None], Reply]


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request sent and the response received.

    :param kind: ``preflight`` and ``request`` are what the browser sends; ``probe`` is an extra
        preflight crossgate sent to find out something the browser is not told.
    :param body: the start of the response body.
    :param purpose: for a probe, the question it asks.
    """

    kind: str
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    response: HttpResponse
    body: bytes = b""
    purpose: str = ""


@dataclass(frozen=True, slots=True)
class Prediction:
    """The actual request was not sent: the CORS headers its response is expected to carry.

    :param basis: which observed answer the headers come from: ``preflight``, ``probe`` (a
        preflight sent only to learn the policy) or ``same-origin`` (no CORS check applies).
    :param response: the predicted response: only the CORS headers copied from the basis.
    :param why: why the request was not sent.
    """

    basis: str
    response: HttpResponse
    why: str


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Everything ``crossgate check`` shows: the exchanges, the verdict and what it rests on."""

    request: BrowserRequest
    exchanges: tuple[Exchange, ...]
    verdict: Verdict
    notes: tuple[str, ...] = field(default=())
    prediction: Prediction | None = None
    diagnosis: Diagnosis | None = None


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def preflight_headers(
    origin: str, method: str, headers: tuple[tuple[str, str], ...]
) -> list[tuple[str, str]]:
    """The header lines of the preflight a browser sends before *method* with *headers*."""
    lines = [("Origin", origin), ("Access-Control-Request-Method", method), ("Accept", "*/*")]
    names = unsafe_request_header_names(headers)
    if names:
        lines.append(("Access-Control-Request-Headers", ",".join(names)))
    return lines


class _Transcript:
    """Sends through the transport and keeps every exchange, in order."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.exchanges: list[Exchange] = []

    def __call__(
        self,
        kind: str,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        data: bytes | None,
        purpose: str = "",
    ) -> Exchange:
        reply = self._send(method, url, headers, data)
        exchange = Exchange(
            kind, method, url, tuple(headers), reply.response, reply.body[:_BODY_KEPT], purpose
        )
        self.exchanges.append(exchange)
        return exchange

    def result(
        self,
        request: BrowserRequest,
        verdict: Verdict,
        *,
        notes: tuple[str, ...] = (),
        prediction: Prediction | None = None,
        diagnosis: Diagnosis | None = None,
    ) -> CheckResult:
        return CheckResult(request, tuple(self.exchanges), verdict, notes, prediction, diagnosis)


def run_check(
    request: BrowserRequest, send: Send, *, send_unsafe: bool = False, body: bytes | None = None
) -> CheckResult:
    """Do what the browser would do for *request*, and return the verdict with the transcript."""
    transcript = _Transcript(send)
    method = normalize_method(request.method)
    cross_origin = _origin_of(request.url) != request.origin

    preflight: HttpResponse | None = None
    if cross_origin and needs_preflight(method, request.headers):
        sent = transcript(
            "preflight",
            "OPTIONS",
            request.url,
            preflight_headers(request.origin, method, request.headers),
            None,
        )
        preflight = sent.response
        verdict = replace(preflight_check(request, preflight), preflight_needed=True)
        if not verdict.allowed:
            diagnosis = None
            if verdict.step == "allow-origin-missing":
                probe = _prober(request, transcript)
                diagnosis = diagnose(request, sent.body, verdict.fix, probe)
            if diagnosis is not None:
                verdict = replace(verdict, fix=diagnosis.fix)
            return transcript.result(request, verdict, diagnosis=diagnosis)
    if method not in ("GET", "HEAD") and not send_unsafe:
        return _predict(request, method, preflight, transcript, cross_origin=cross_origin)
    return _send_request(request, method, preflight, transcript, body)


def _prober(request: BrowserRequest, transcript: _Transcript) -> Probe:
    def probe(method: str, headers: tuple[tuple[str, str], ...], purpose: str) -> HttpResponse:
        lines = preflight_headers(request.origin, method, headers)
        return transcript("probe", "OPTIONS", request.url, lines, None, purpose).response

    return probe


def _predict(
    request: BrowserRequest,
    method: str,
    preflight: HttpResponse | None,
    transcript: _Transcript,
    *,
    cross_origin: bool,
) -> CheckResult:
    """The verdict for an unsafe request that is not sent, from what the server did answer."""
    why = f"the {method} request itself was not sent, because it may change data"
    if not cross_origin:
        basis, answer = "same-origin", HttpResponse(200, ())
    elif preflight is not None:
        basis, answer = "preflight", preflight
    else:
        # The browser sends this request without a preflight; a preflight for the same method
        # shows the policy without running the view.
        answer = _prober(request, transcript)(
            method,
            (),
            f"which CORS headers the server sends to this origin for {method} (the request "
            "itself is not sent)",
        )
        basis = "probe"
    predicted = HttpResponse(
        200,
        tuple(line for line in answer.headers if line[0].lower() in _PREDICTED_HEADERS),
        request.url,
    )
    verdict = evaluate(request, preflight=preflight, response=predicted)
    note = f"pass --send to send the {method} request too and observe its response"
    if basis == "probe" and not verdict.allowed:
        note += (
            " (the prediction rests on a probe preflight; a server that answers only actual "
            "requests needs --send to be judged)"
        )
    return transcript.result(
        request,
        # The expose list is not in a preflight answer: what the page can read is unknown.
        replace(verdict, readable_headers=frozenset()),
        notes=(note,),
        prediction=Prediction(basis, predicted, why),
    )


def _send_request(
    request: BrowserRequest,
    method: str,
    preflight: HttpResponse | None,
    transcript: _Transcript,
    body: bytes | None,
) -> CheckResult:
    """Send the actual request and follow its redirects as the browser does."""
    redirects: list[HttpResponse] = []
    redirect_preflights: list[HttpResponse | None] = []
    url, origin, data = request.url, request.origin, body
    headers = [*request.headers]
    if _origin_of(url) != request.origin:
        headers.append(("Origin", origin))
    response = transcript("request", method, url, headers, data).response
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
            answer = transcript(
                "preflight",
                "OPTIONS",
                url,
                preflight_headers(origin, method, request.headers),
                None,
            ).response
        redirect_preflights.append(answer)
        if (
            answer is not None
            and not preflight_check(replace(request, url=url, origin=origin), answer).allowed
        ):
            final = None  # the browser stops at the failed preflight; the model says so
            break
        response = transcript("request", method, url, headers, data).response
    else:
        final = response
    verdict = evaluate(
        request,
        preflight=preflight,
        response=final,
        redirects=redirects,
        redirect_preflights=redirect_preflights,
    )
    return transcript.result(request, verdict)
