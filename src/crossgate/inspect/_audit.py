"""``crossgate audit``: can an attacker's page read this endpoint?

:func:`run_audit` sends the probes of :mod:`crossgate.inspect._probes` through a transport (the same
``Send`` as ``crossgate check``: httpx for a live server, the test client inside a Flask app),
a few at a time, and asks the browser model (:mod:`crossgate.browser`) what a page on each
attack origin could read, with and without the user's cookies. Only what lets an attacker read
something (or send what only trusted pages should) is a finding; what is merely unusual is a
note: ``Access-Control-Allow-Origin: *`` without credentials is a public API by design, and an
upper-case spelling of a trusted origin is never sent by a browser.

The server is recognized as crossgate by its answer to a refused preflight (the body starts
``CORS preflight refused``, or carries a debug-mode reason) or by the ``Vary`` line of its
preflight answers, which only crossgate writes in that order; the fixes are then worded in
crossgate's options.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from crossgate._engine import PREFLIGHT_VARY
from crossgate._http import split_list
from crossgate._origins import OriginError, parse_origin
from crossgate.browser import BrowserRequest, HttpResponse, cors_check, preflight_check
from crossgate.errors import show
from crossgate.inspect._advice import ADVICE
from crossgate.inspect._check import Reply, Send, cut_note
from crossgate.inspect._diagnose import read_server_reason
from crossgate.inspect._probes import (
    ATTACK_CLASSES,
    Probe,
    derive_probes,
    preflight_probes,
    write_probes,
)
from crossgate.inspect._writes import (
    GENERIC_WRITE_FIX,
    WRITE_FIX,
    WRITE_GAIN,
    WRITE_ORIGIN,
    forged_write,
)

# The start of a probe's body that is kept: enough for a refusal's first line and reason.
_BODY_KEPT = 4096
# What a page sets a header it asks a preflight for to: a JSON body's type.
_SAMPLE_VALUE = "application/json"
_PATTERN_CLASSES = frozenset(ATTACK_CLASSES) - {"reflect-any-origin", "null-origin"}


@dataclass(frozen=True, slots=True)
class Finding:
    """Something an attacker's page can read or do.

    :param case: the class id (``reflect-any-origin``, ``vary-origin-missing``...).
    :param origin: the attack origin (or the request) that got through.
    :param severity: ``high`` when the user's cookies go along, ``medium`` or ``low`` otherwise.
    :param evidence: the request sent and the answer's CORS headers.
    :param gain: what an attacker gains.
    :param fix: the fix, in crossgate's options when the server is crossgate.
    """

    case: str
    origin: str
    severity: str
    evidence: str
    gain: str
    fix: str


@dataclass(frozen=True, slots=True)
class Note:
    """Something worth knowing that lets no attacker read anything."""

    case: str
    message: str


@dataclass(frozen=True, slots=True)
class Audit:
    """The findings, the notes, how many requests were sent, and whether the server is
    crossgate (``detected_by`` says how it was recognized)."""

    url: str
    findings: tuple[Finding, ...]
    notes: tuple[Note, ...]
    probes: int
    crossgate: bool
    detected_by: str = ""


def _lines(probe: Probe, extra: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    lines = [("Accept", "*/*")]
    if probe.origin is not None:
        lines.append(("Origin", probe.origin))
    if probe.method == "OPTIONS":
        assert probe.request_method is not None
        lines.append(("Access-Control-Request-Method", probe.request_method))
        if probe.request_headers:
            lines.append(("Access-Control-Request-Headers", probe.request_headers))
    else:
        lines += extra  # a preflight never carries the user's credentials
    return lines


def _send_all(
    url: str,
    probes: Sequence[Probe],
    send: Send,
    extra: Sequence[tuple[str, str]],
    *,
    concurrency: int,
    delay: float,
    tick: Callable[[], None],
) -> list[Reply]:
    """Every probe's reply, in order; at most *concurrency* at a time, starts *delay* apart."""
    lock = threading.Lock()
    next_start = [time.monotonic()]

    def one(probe: Probe) -> Reply:
        if delay > 0:
            with lock:
                wait = next_start[0] - time.monotonic()
                next_start[0] = max(next_start[0], time.monotonic()) + delay
            if wait > 0:
                time.sleep(wait)
        reply = send(probe.method, url, _lines(probe, extra), None)
        tick()
        # Only a refusal's first words are read (_recognize): no probe keeps a whole body.
        return replace(reply, body=reply.body[:_BODY_KEPT])

    if concurrency <= 1:
        return [one(probe) for probe in probes]
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = [pool.submit(one, probe) for probe in probes]
        try:
            return [future.result() for future in futures]
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _header(response: HttpResponse, name: str) -> list[str]:
    return [value for key, value in response.headers if key.lower() == name]


def _reads(url: str, probe: Probe, response: HttpResponse) -> tuple[bool, bool]:
    """Whether a page on the probe's origin reads *response* with, and without, cookies."""
    assert probe.origin is not None
    return tuple(  # type: ignore[return-value]
        cors_check(BrowserRequest(url, probe.origin, "GET", (), credentials), response).allowed
        for credentials in (True, False)
    )


def _evidence(probe: Probe, response: HttpResponse) -> str:
    asked = f"{probe.method} with Origin: {show(probe.origin or '(none)')}"
    if probe.request_method:
        asked += f", Access-Control-Request-Method: {probe.request_method}"
    if probe.request_headers:
        asked += f", Access-Control-Request-Headers: {probe.request_headers}"
    names = ["access-control-allow-origin", "access-control-allow-credentials", "vary"]
    if probe.method == "OPTIONS":
        names += ["access-control-allow-methods", "access-control-allow-headers"]
    got = [f"{key}: {show(value)}" for key, value in response.headers if key.lower() in names]
    return f"{asked} -> {response.status}" + (f" {'; '.join(got)}" if got else "")


def _finding(case: str, probe: Probe, response: HttpResponse, high: bool, ours: bool) -> Finding:
    gain, crossgate_fix, generic_fix = ADVICE[case]
    if high:
        gain += ", with the user's cookies: whatever the user can see or do here"
    return Finding(
        case,
        probe.origin or "(no Origin)",
        "high" if high else "low",
        _evidence(probe, response),
        gain,
        crossgate_fix if ours else generic_fix,
    )


def _is_valid_allow_origin(value: str) -> bool:
    if value in ("*", "null"):
        return True
    try:
        return parse_origin(value).serialize() == value
    except OriginError:
        return False


def run_audit(
    url: str,
    trusted: tuple[str, ...],
    send: Send,
    *,
    headers: Sequence[tuple[str, str]] = (),
    concurrency: int = 4,
    delay: float = 0.0,
    tick: Callable[[], None] = lambda: None,
    send_writes: bool = False,
) -> Audit:
    """Audit *url*: send the probes, then judge the answers as a browser would.

    :param trusted: the origins the owner trusts (serialized); attack origins derive from them.
    :param headers: header lines added to every GET probe (a session cookie, a token).
    :param tick: called after each request (a progress bar).
    :param send_writes: also send one cross-site form POST with *headers* (it may change
        data), when they carry a ``Cookie``: a finding when the server accepts it.
    """
    first = derive_probes(url, trusted)
    replies = _send_all(url, first, send, headers, concurrency=concurrency, delay=delay, tick=tick)
    answered = list(zip(first, (reply.response for reply in replies), strict=True))
    bodies = {probe: reply.body for probe, reply in zip(first, replies, strict=True)}
    accepted = [
        probe
        for probe, response in answered
        if probe.case in ATTACK_CLASSES and any(_reads(url, probe, response))
    ]
    # From an attack origin the server accepts when there is one: that is what an attacker
    # could send; else from a trusted origin, which shows the server's habit (a note).
    origin = next((probe.origin for probe in accepted), None) or (trusted[:1] or (None,))[0]
    second = preflight_probes(origin) if origin is not None else ()
    # What the origin no one trusts may send, whether or not it may read.
    attacker = next((probe.origin for probe in first if probe.case == "reflect-any-origin"), None)
    second += write_probes(attacker) if attacker is not None else ()
    more = _send_all(url, second, send, (), concurrency=1, delay=delay, tick=tick)
    answered += zip(second, (reply.response for reply in more), strict=True)
    ours, detected_by = _recognize(answered, bodies)
    findings, notes = _judge(url, answered, trusted, ours)
    write = forged_write(url, send, headers, send_writes=send_writes, delay=delay, tick=tick)
    if write.accepted:
        fix = WRITE_FIX if ours else GENERIC_WRITE_FIX
        findings.append(Finding(write.case, WRITE_ORIGIN, "high", write.message, WRITE_GAIN, fix))
    else:
        notes.append(Note(write.case, write.message))
    sent = len(answered) + write.sent
    cut = [reply for reply in [*replies, *more] if reply.body_cut]
    if cut:
        notes.append(Note("body-cut", cut_note(url) + f" ({len(cut)} answers)"))
    return Audit(url, tuple(findings), tuple(notes), sent, ours, detected_by)


def _recognize(
    answered: list[tuple[Probe, HttpResponse]], bodies: dict[Probe, bytes]
) -> tuple[bool, str]:
    for probe, response in answered:
        if probe.case == "fingerprint" and response.status == 403:
            body = bodies.get(probe, b"").lstrip()
            if body.startswith(b"CORS preflight refused") or read_server_reason(body):
                return True, "its refused preflight answers 'CORS preflight refused'"
    for probe, response in answered:
        if probe.method == "OPTIONS" and PREFLIGHT_VARY in _header(response, "vary"):
            return True, f"its preflight answers carry 'Vary: {PREFLIGHT_VARY}'"
    return False, ""


def _judge(
    url: str, answered: list[tuple[Probe, HttpResponse]], trusted: tuple[str, ...], ours: bool
) -> tuple[list[Finding], list[Note]]:
    found: dict[str, Finding] = {}
    counts: dict[str, int] = {}
    notes: dict[str, Note] = {}
    readable = {
        probe.origin: any(_reads(url, probe, response))
        for probe, response in answered
        if probe.method == "GET" and probe.origin is not None
    }
    for probe, response in answered:
        allow = _header(response, "access-control-allow-origin")
        bad = [
            value for value in allow if value != probe.origin and not _is_valid_allow_origin(value)
        ]
        if len(allow) > 1 or bad:
            shown = ", ".join(show(value) for value in allow)
            notes.setdefault(
                "invalid-allow-origin",
                Note(
                    "invalid-allow-origin",
                    f"Access-Control-Allow-Origin: {shown} (to Origin {show(probe.origin or '')})"
                    " is not one origin, '*' or 'null': browsers reject it, so no page reads "
                    "the response",
                ),
            )
        if allow == ["*"]:
            _wildcard_notes(response, notes)
        if probe.method == "OPTIONS":
            reads = readable.get(probe.origin or "", False)
            _preflight(url, probe, response, trusted, ours, found, notes, reads=reads)
            continue
        if probe.origin is None:
            continue
        with_cookies, without = _reads(url, probe, response)
        reads = with_cookies or without
        if reads and allow != ["*"] and not _vary(response) & {"origin", "*"}:
            missing = _finding("vary-origin-missing", probe, response, False, ours)
            severity = "medium" if with_cookies else "low"
            found.setdefault("vary-origin-missing", replace(missing, severity=severity))
        if probe.case == "trusted" and not reads:
            notes.setdefault(
                "trusted-not-allowed",
                Note(
                    "trusted-not-allowed",
                    f"the trusted origin {show(probe.origin)} cannot read this URL itself: "
                    "is it the right URL (and method)?",
                ),
            )
        if probe.case == "upper-case-origin" and reads and allow != ["*"]:
            notes.setdefault(
                "upper-case-origin",
                Note(
                    "upper-case-origin",
                    f"{show(probe.origin)} is accepted: harmless, browsers send origins in "
                    "lower case",
                ),
            )
        if probe.case in ATTACK_CLASSES and reads and allow != ["*"]:
            counts[probe.case] = counts.get(probe.case, 0) + 1
            finding = _finding(probe.case, probe, response, with_cookies, ours)
            held = found.get(probe.case)
            if held is None or (finding.severity == "high" and held.severity != "high"):
                found[probe.case] = finding
    if "reflect-any-origin" in found:
        # Every pattern class follows from echoing any origin: one finding says it.
        subsumed = sum(counts.pop(case, 0) for case in _PATTERN_CLASSES if found.pop(case, None))
        if subsumed:
            head = found["reflect-any-origin"]
            found["reflect-any-origin"] = Finding(
                head.case,
                head.origin,
                head.severity,
                head.evidence + f" (and {subsumed} other attack origins were accepted)",
                head.gain,
                head.fix,
            )
    order = [
        *ATTACK_CLASSES,
        "preflight-any-method",
        "preflight-any-header",
        "write-without-read",
        "vary-origin-missing",
    ]
    findings = [found[case] for case in order if case in found]
    findings = [
        finding if counts.get(finding.case, 1) <= 1 else _with_count(finding, counts[finding.case])
        for finding in findings
    ]
    return findings, list(notes.values())


def _with_count(finding: Finding, count: int) -> Finding:
    evidence = finding.evidence + f" ({count - 1} other origins of this class got through too)"
    return replace(finding, evidence=evidence)


def _vary(response: HttpResponse) -> set[str]:
    return {token.lower() for value in _header(response, "vary") for token in split_list(value)}


def _wildcard_notes(response: HttpResponse, notes: dict[str, Note]) -> None:
    notes.setdefault(
        "public-wildcard",
        Note(
            "public-wildcard",
            "Access-Control-Allow-Origin: * lets every site read responses sent without "
            "cookies: right for a public API, wrong for an intranet or a server that trusts "
            "the caller's network address",
        ),
    )
    credentials = _header(response, "access-control-allow-credentials")
    if credentials and credentials[0].strip().lower() == "true":
        notes.setdefault(
            "wildcard-with-credentials",
            Note(
                "wildcard-with-credentials",
                "'*' with Access-Control-Allow-Credentials: true: browsers refuse every "
                "request with cookies (crossgate cannot be configured this way)",
            ),
        )


def _asked(probe: Probe) -> str:
    if probe.case == "preflight-any-header":
        return f"any request header ({probe.request_headers} was asked for)"
    if probe.case == "preflight-any-method":
        return f"any method ({probe.request_method} was asked for)"
    header = f" with {probe.request_headers}" if probe.request_headers else ""
    return f"a {probe.request_method}{header}"


def _preflight(
    url: str,
    probe: Probe,
    response: HttpResponse,
    trusted: tuple[str, ...],
    ours: bool,
    found: dict[str, Finding],
    notes: dict[str, Note],
    *,
    reads: bool,
) -> None:
    """Judge a probe preflight: an echo of whatever is asked, or a write without a read.

    The position (docs/audit.md): credentials are what a page on another site has that its
    author's own machine has not, so only a preflight that lets them through is high. Without
    them, an echo on a route answered with ``*`` is the public API the owner declared: a note.
    """
    if probe.case not in ("preflight-any-method", "preflight-any-header", "write-without-read"):
        return
    assert probe.origin is not None
    assert probe.request_method is not None
    headers = ((probe.request_headers, _SAMPLE_VALUE),) if probe.request_headers else ()
    asked = BrowserRequest(url, probe.origin, probe.request_method, headers)
    if probe.case == "preflight-any-method":
        echoed = probe.request_method in split_list(
            ", ".join(_header(response, "access-control-allow-methods"))
        )
    elif probe.case == "preflight-any-header":
        listed = ", ".join(_header(response, "access-control-allow-headers"))
        echoed = probe.request_headers in {name.lower() for name in split_list(listed)}
    else:
        # Whatever the page may send is a write it could not make with a form, unless the
        # page may read the answer too: then the reading finding names the origin already.
        echoed = not reads
    if not (echoed and preflight_check(asked, response).allowed):
        return
    if probe.origin in trusted:
        what = "method" if probe.case == "preflight-any-method" else "request header"
        notes.setdefault(
            probe.case,
            Note(
                probe.case,
                f"preflights from {show(probe.origin)} get any {what} they ask for: harmless "
                "while only trusted origins are allowed; a fixed list is safer",
            ),
        )
        return
    credentialed = BrowserRequest(url, probe.origin, asked.method, asked.headers, credentials=True)
    high = preflight_check(credentialed, response).allowed
    if not high and _header(response, "access-control-allow-origin") == ["*"]:
        notes.setdefault(
            f"public-{probe.case}",
            Note(
                f"public-{probe.case}",
                f"preflights from any site may send {_asked(probe)} without cookies "
                "(Access-Control-Allow-Origin: *): what any client can send a public API, "
                "so not a finding; with cookies they may not",
            ),
        )
        return
    finding = _finding(probe.case, probe, response, high, ours)
    if probe.case == "write-without-read":
        evidence = finding.evidence + "; its GET is refused that origin: no read, but a write"
        finding = replace(finding, evidence=evidence)
    held = found.get(probe.case)
    if held is None or (finding.severity == "high" and held.severity != "high"):
        found[probe.case] = finding
