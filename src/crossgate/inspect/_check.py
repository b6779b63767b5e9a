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
  the server's debug body or found with a few probe preflights (see
  :mod:`crossgate.inspect._diagnose`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from crossgate.browser import (
    CHROMIUM,
    BrowserRequest,
    EngineProfile,
    Hop,
    HttpResponse,
    Verdict,
    evaluate,
    first_hop,
    follow_redirect,
    is_redirect,
    needs_preflight,
    normalize_method,
    preflight_check,
    unsafe_request_header_names,
    url_origin,
)
from crossgate.inspect._diagnose import (
    Diagnosis,
    Probe,
    diagnose,
    diagnose_response,
    unheaded_response,
)
from crossgate.inspect._local_network import local_network_access

# The part of a body kept for reading a server's refusal reason; more is never needed.
_BODY_KEPT = 4096
#: The most of one response body a transport reads (2 MiB): enough for a refusal reason and for
#: the HTML the header grade reads; the rest is never read, whatever the server sends.
BODY_LIMIT = 2 * 1024 * 1024
#: The longest a transport reads one response body (seconds, from its first byte): a server that
#: drips a byte just inside each read timeout, forever, is cut there too.
BODY_SECONDS = 20.0
#: Request headers given for the URL's own origin, never sent to another: why, in a note.
_ORIGIN_BOUND = {
    "cookie": "a browser sends each site only the cookies that site set",
    "authorization": "credentials meant for one origin never go to another (WebKit would send "
    "it; crossgate does not send your token to another host)",
}
# The CORS headers of a preflight answer that an actual response carries too.
_PREDICTED_HEADERS = frozenset({"access-control-allow-origin", "access-control-allow-credentials"})


@dataclass(frozen=True, slots=True)
class Reply:
    """What a transport got back: the response as the browser model takes it, and its body."""

    response: HttpResponse
    body: bytes = b""
    #: The body went on past :data:`BODY_LIMIT` or :data:`BODY_SECONDS`; *body* is its start.
    body_cut: bool = False


def cut_note(url: str) -> str:
    """What the commands say when a body was cut at :data:`BODY_LIMIT` or :data:`BODY_SECONDS`."""
    return (
        f"the body of {url} was cut: crossgate reads at most {BODY_LIMIT // (1024 * 1024)} MiB "
        f"of a response, for at most {BODY_SECONDS:g} s, and closed the connection there"
    )


#: method, absolute URL, request header lines, body -> the reply (redirects not followed).
Send = Callable[[str, str, list[tuple[str, str]], bytes | None], Reply]
#: The stage a refusal happened at (``preflight``, ``response``) -> its cause, if known.
KnownCause = Callable[[str], Diagnosis | None]


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
    #: Chromium's Local Network Access prompt, when the fetch reaches a more private address.
    local_network: Verdict | None = None


def preflight_headers(
    origin: str,
    method: str,
    headers: tuple[tuple[str, str], ...],
    profile: EngineProfile = CHROMIUM,
) -> list[tuple[str, str]]:
    """The header lines of the preflight *profile*'s engine sends before *method* with
    *headers*."""
    lines = [("Origin", origin), ("Access-Control-Request-Method", method), ("Accept", "*/*")]
    names = unsafe_request_header_names(headers, profile)
    if names:
        lines.append(("Access-Control-Request-Headers", ",".join(names)))
    return lines


class _Transcript:
    """Sends through the transport and keeps every exchange, in order."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.exchanges: list[Exchange] = []
        self.notes: list[str] = []

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
        if reply.body_cut:
            self.notes.append(cut_note(url))
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
        every = (*notes, *self.notes)
        return CheckResult(request, tuple(self.exchanges), verdict, every, prediction, diagnosis)


def run_check(
    request: BrowserRequest,
    send: Send,
    *,
    send_unsafe: bool = False,
    body: bytes | None = None,
    profile: EngineProfile = CHROMIUM,
    known_cause: KnownCause | None = None,
) -> CheckResult:
    """Do what *profile*'s browser would do for *request*; return the verdict and transcript.

    *known_cause* gives the cause of a refusal when it is known without asking the server (by
    the stage refused, ``preflight`` or ``response``; ``flask crossgate check`` reads the app's
    log): then no probe is sent for it.
    """
    transcript = _Transcript(send)
    method = normalize_method(request.method)
    cross_origin = url_origin(request.url) != request.origin

    preflight: HttpResponse | None = None
    if cross_origin and needs_preflight(method, request.headers, profile):
        sent = transcript(
            "preflight",
            "OPTIONS",
            request.url,
            preflight_headers(request.origin, method, request.headers, profile),
            None,
        )
        preflight = sent.response
        checked = preflight_check(request, preflight, profile=profile)
        verdict = replace(checked, preflight_needed=True)
        if not verdict.allowed:
            diagnosis = None
            if verdict.step == "allow-origin-missing":
                diagnosis = known_cause("preflight") if known_cause is not None else None
                if diagnosis is None:
                    probe = _prober(request, transcript)
                    diagnosis = diagnose(request, sent.body, verdict.fix, probe)
            if diagnosis is not None:
                verdict = replace(verdict, fix=diagnosis.fix)
            return transcript.result(request, verdict, diagnosis=diagnosis)
    if method not in ("GET", "HEAD") and not send_unsafe:
        return _predict(
            request, method, preflight, transcript, cross_origin=cross_origin, profile=profile
        )
    return _send_request(request, preflight, transcript, body, profile, known_cause)


def run_checks(
    request: BrowserRequest,
    send: Send,
    profiles: Sequence[EngineProfile] = (CHROMIUM,),
    *,
    target_address_space: str | None = None,
    send_unsafe: bool = False,
    body: bytes | None = None,
    guess_address_space: bool = True,
    known_cause: KnownCause | None = None,
) -> list[CheckResult]:
    """Run the check once per engine in *profiles* (each sends what that engine sends).

    Chromium's result notes Local Network Access when the URL is more private than the page
    (its host says so, or *target_address_space*; the guess is skipped without
    *guess_address_space*): Chromium then asks the user first.
    """
    local_network = (
        local_network_access(request, target_address_space)
        if guess_address_space or target_address_space is not None
        else None
    )
    results = []
    for profile in profiles:
        result = run_check(
            request,
            send,
            send_unsafe=send_unsafe,
            body=body,
            profile=profile,
            known_cause=known_cause,
        )
        if profile.name == "chromium" and local_network is not None:
            result = replace(result, local_network=local_network)
        results.append(result)
    return results


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
    profile: EngineProfile,
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
    verdict = evaluate(request, preflight=preflight, response=predicted, profile=profile)
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
    preflight: HttpResponse | None,
    transcript: _Transcript,
    body: bytes | None,
    profile: EngineProfile,
    known_cause: KnownCause | None,
) -> CheckResult:
    """Send the actual request and follow its redirects as the browser does.

    Each hop is the browser model's (``follow_redirect``): the URL, method, headers and
    ``Origin`` sent are the ones the verdict is judged on. Where the browser stops (a failed
    preflight, a Location that is no URL, the 21st redirect) nothing more is sent, and
    ``evaluate`` reaches the same failure from the responses so far.
    """
    redirects: list[HttpResponse] = []
    redirect_preflights: list[HttpResponse | None] = []
    hop, data = first_hop(request), body
    home = url_origin(request.url) or request.url
    response = transcript("request", hop.method, hop.url, _request_lines(hop), data).response
    final: HttpResponse | None = None
    while is_redirect(response):
        redirects.append(response)
        followed = follow_redirect(request, hop, response, len(redirects) - 1, profile=profile)
        if isinstance(followed, Verdict):
            break
        if followed.method != hop.method:
            data = None  # a redirect that turns the request into GET drops the body
        hop = followed
        answer: HttpResponse | None = None
        # Firefox and WebKit preflight again at every hop once they have preflighted.
        again = preflight is not None and profile.redirect_repeats_preflight
        if hop.cors and (again or needs_preflight(hop.method, hop.headers, profile)):
            answer = transcript(
                "preflight",
                "OPTIONS",
                hop.url,
                preflight_headers(hop.origin, hop.method, hop.headers, profile),
                None,
            ).response
        redirect_preflights.append(answer)
        at_hop = BrowserRequest(hop.url, hop.origin, hop.method, hop.headers, request.credentials)
        if answer is not None and not preflight_check(at_hop, answer, profile=profile).allowed:
            break
        lines = _request_lines(hop)
        there = url_origin(hop.url) or hop.url
        if there != home:
            lines = _withhold(lines, home, there, transcript.notes)
        response = transcript("request", hop.method, hop.url, lines, data).response
    else:
        final = response
    verdict = evaluate(
        request,
        preflight=preflight,
        response=final,
        redirects=redirects,
        redirect_preflights=redirect_preflights,
        profile=profile,
    )
    if final is None or redirects or verdict.step != "allow-origin-missing":
        return transcript.result(request, verdict)
    diagnosis = known_cause("response") if known_cause is not None else None
    if diagnosis is None:
        diagnosis = _unheaded(request, final, preflight, transcript, verdict.fix)
    return transcript.result(request, replace(verdict, fix=diagnosis.fix), diagnosis=diagnosis)


def _unheaded(
    request: BrowserRequest,
    final: HttpResponse,
    preflight: HttpResponse | None,
    transcript: _Transcript,
    origin_fix: str,
) -> Diagnosis:
    """Why the actual response to *request* carried no ``Access-Control-Allow-Origin``: a
    preflight the browser sent was accepted, so the origin is; otherwise probe preflights for
    its method ask the server (its debug reason first, when one comes back)."""
    if preflight is not None:
        return unheaded_response(request, final, "preflight")
    return diagnose_response(
        request,
        final,
        origin_fix,
        _prober(request, transcript),
        lambda: transcript.exchanges[-1].body,
    )


def _withhold(
    lines: list[tuple[str, str]], home: str, there: str, notes: list[str]
) -> list[tuple[str, str]]:
    """*lines* without the headers given for *home* that must not reach *there*, another origin;
    a note for each withheld (once)."""
    kept = []
    for name, value in lines:
        why = _ORIGIN_BOUND.get(name.lower())
        if why is None:
            kept.append((name, value))
            continue
        note = (
            f"{name} was not sent to {there} after the redirect: the value given with -H is "
            f"for {home}, and {why}"
        )
        if note not in notes:
            notes.append(note)
    return kept


def _request_lines(hop: Hop) -> list[tuple[str, str]]:
    """The header lines the browser sends at *hop*: the page's, and Origin in CORS mode."""
    lines = [*hop.headers]
    if hop.cors:
        lines.append(("Origin", hop.origin))
    return lines
