"""The writes CORS cannot stop: what a page on another site can make the user's browser send.

A form POST, a ``no-cors`` ``fetch()`` POST and a WebSocket handshake need no preflight: the
browser sends them with the user's cookies and the server acts before anything is withheld.
Whether the server refuses them is the job of cross-origin protection (crossgate's
``CrossOriginProtection``), not of CORS. This module writes the request such a page makes, as a
browser sends it (``Origin``, ``Sec-Fetch-Site``, ``Sec-Fetch-Mode``), and words what happened
to it in one line: it reached the view, or ``CrossOriginProtection`` refused it.

``crossgate check --send`` sends the write to the URL the user named (a write may change data:
never without ``--send``); ``flask crossgate check`` asks the app's protection without running
the view (:mod:`crossgate.inspect._flask_protection`); ``crossgate audit --send-writes`` sends
one with the user's cookies.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from crossgate._protect import REFUSED_BODY, SAFE_METHODS
from crossgate._public_suffixes import registrable_domain
from crossgate.browser import url_origin
from crossgate.inspect._check import Reply, Send
from crossgate.inspect._probes import EVIL

#: What each kind of write is called in the line a person reads.
_NAMES = {
    "form": "a form POST",
    "no-cors": "a no-cors fetch() POST",
    "websocket": "a WebSocket handshake",
}
#: The body of the form POST sent: recognisable in the server's log.
FORM_BODY = b"crossgate-check=1"
#: The code of a refusal for a request that carried Sec-Fetch-Site (every sent write does).
CROSS_SITE = "protection-cross-site"
_NOT_CORS = "CORS does not stop it, it only hides the response from the page"


@dataclass(frozen=True, slots=True)
class WriteCheck:
    """What happens to one write a page on *origin* sends to *url*.

    :param kind: ``form`` (a form POST, which stands for a ``no-cors`` POST too: the server
        sees the same), ``websocket``, or ``preflighted`` (a method no page sends without a
        preflight: the CORS verdict decides).
    :param site: the ``Sec-Fetch-Site`` the browser sends: ``same-site`` or ``cross-site``.
    :param outcome: ``reaches-view``, ``refused`` (by cross-origin protection), ``other`` (the
        server answered something else), ``not-sent`` or ``preflighted``.
    :param status: the answer's status, ``None`` when nothing was sent or it was predicted.
    :param code: the protection's reason code, for a refusal.
    :param why: for a write that reaches the view, why nothing refused it.
    """

    kind: str
    method: str
    url: str
    origin: str
    site: str
    outcome: str
    status: int | None = None
    code: str | None = None
    why: str = ""

    @property
    def line(self) -> str:
        """The sentence a person reads."""
        what = _NAMES.get(self.kind, f"a {self.method} request")
        head = f"{what} from {self.origin} ({self.site})"
        if self.outcome == "preflighted":
            return (
                f"{head} cannot be sent without a preflight: the CORS verdict decides "
                "whether the browser sends it"
            )
        if self.outcome == "not-sent":
            return (
                f"{head}: not sent, since it may change data; pass --send to send it and see "
                f"whether the server refuses it ({_NOT_CORS})"
            )
        if self.outcome == "refused":
            status = self.status if self.status is not None else 403
            return f"{head} would be refused by CrossOriginProtection ({status}, {self.code})"
        if self.outcome == "other":
            return (
                f"{head} was answered {self.status}, not by cross-origin protection: the "
                f"server refused or failed it for its own reasons ({_NOT_CORS})"
            )
        answered = f"{self.status}, " if self.status is not None else ""
        why = self.why or "no cross-origin protection"
        return f"{head} would reach the view ({answered}{why}): {_NOT_CORS}"


def fetch_site(origin: str, url: str) -> str:
    """The ``Sec-Fetch-Site`` a page on *origin* sends with a request to *url*."""
    target = url_origin(url)
    if origin == target:
        return "same-origin"
    page, there = urlsplit(origin), urlsplit(url)
    if (
        origin != "null"
        and page.scheme.removeprefix("ws") == there.scheme.removeprefix("ws")
        and page.hostname is not None
        and there.hostname is not None
        and registrable_domain(page.hostname) == registrable_domain(there.hostname)
    ):
        return "same-site"
    return "cross-site"


def write_kind(method: str, *, websocket: bool) -> str | None:
    """Which write a page sends for *method* (``None``: a safe method, nothing to judge)."""
    if websocket:
        return "websocket"
    method = method.upper()
    if method in SAFE_METHODS:
        return None
    return "form" if method == "POST" else "preflighted"


def write_lines(kind: str, origin: str, site: str) -> list[tuple[str, str]]:
    """The header lines the browser sends for a write of *kind* (``form`` or ``websocket``)."""
    lines = [("Origin", origin), ("Sec-Fetch-Site", site)]
    if kind == "websocket":
        return [
            *lines,
            ("Sec-Fetch-Mode", "websocket"),
            ("Connection", "Upgrade"),
            ("Upgrade", "websocket"),
            ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Key", "Y3Jvc3NnYXRlIGNoZWNrIQ=="),
        ]
    return [
        *lines,
        ("Sec-Fetch-Mode", "navigate"),
        ("Sec-Fetch-Dest", "document"),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ]


def refused_by_protection(status: int, body: bytes) -> bool:
    """Whether an answer is cross-origin protection's refusal (crossgate's body, in production
    or with the debug-mode reason)."""
    body = body.lstrip()
    return status == 403 and body.startswith((REFUSED_BODY, b"[protection-"))


def judge_reply(check: WriteCheck, reply: Reply) -> WriteCheck:
    """*check* with the outcome *reply* shows."""
    status = reply.response.status
    if refused_by_protection(status, reply.body):
        code = reply.body.lstrip()[1:].split(b"]", 1)[0].decode("ascii", "replace")
        return _with(check, "refused", status, code if code.startswith("protection-") else None)
    if 200 <= status < 400 or (check.kind == "websocket" and status == 101):
        return _with(check, "reaches-view", status, None)
    return _with(check, "other", status, None)


def _with(check: WriteCheck, outcome: str, status: int | None, code: str | None) -> WriteCheck:
    return WriteCheck(
        check.kind,
        check.method,
        check.url,
        check.origin,
        check.site,
        outcome,
        status,
        code or (CROSS_SITE if outcome == "refused" else None),
        check.why,
    )


def written(url: str, origin: str, method: str, *, websocket: bool) -> WriteCheck | None:
    """The write a page on *origin* would send to *url* for *method*, not yet judged
    (``None``: a safe method, or the page is the URL's own origin)."""
    kind = write_kind(method, websocket=websocket)
    site = fetch_site(origin, url)
    if kind is None or site == "same-origin":
        return None
    outcome = "preflighted" if kind == "preflighted" else "not-sent"
    shown = "GET" if kind == "websocket" else method.upper()
    return WriteCheck(kind, shown, url, origin, site, outcome)


def check_write(
    url: str,
    origin: str,
    method: str,
    send: Send,
    *,
    websocket: bool = False,
    send_write: bool = False,
    body: bytes | None = None,
) -> WriteCheck | None:
    """What happens to the write a page on *origin* sends to *url*: sent through *send* only
    with *send_write* (it may change data), to *url* only, redirects not followed."""
    check = written(url, origin, method, websocket=websocket)
    if check is None or check.outcome == "preflighted" or not send_write:
        return check
    lines = write_lines(check.kind, origin, check.site)
    data = None if check.kind == "websocket" else (body if body is not None else FORM_BODY)
    return judge_reply(check, send(check.method, url, lines, data))


#: The audit's forged write: a form on a page of a site no one owns, posting to the URL.
WRITE_ORIGIN = f"https://{EVIL}"
WRITE_GAIN = (
    "a page on any site can make a signed-in user's browser send this POST with their "
    "cookies (cross-site request forgery): CORS does not stop it, since the server acts "
    "before the browser hides the response"
)
WRITE_FIX = (
    "CrossOriginProtection(app) (crossgate.flask, or crossgate.asgi as middleware) refuses "
    "writes from untrusted sites; exempt only the routes that must accept them "
    "(docs/protection.md)"
)
GENERIC_WRITE_FIX = (
    "refuse non-GET requests whose Sec-Fetch-Site is cross-site or same-site (without it, "
    "whose Origin is not the Host) unless the origin is trusted, or require a CSRF token; "
    "SameSite=Lax cookies narrow it (same-site pages still send them)"
)


@dataclass(frozen=True, slots=True)
class ForgedWrite:
    """What ``crossgate audit`` learnt of cross-site writes.

    :param accepted: the server acted on the forged POST (the finding ``cross-site-write``).
    :param case: ``cross-site-write``, ``cross-site-write-refused`` or
        ``cross-site-write-unknown`` (nothing sent).
    :param message: the evidence of a finding, or the note.
    :param sent: how many requests were sent (0 or 1).
    """

    accepted: bool
    case: str
    message: str
    sent: int = 0


def _has_cookie(headers: Sequence[tuple[str, str]]) -> bool:
    return any(name.lower() == "cookie" and value.strip() for name, value in headers)


def forged_write(
    url: str,
    send: Send,
    headers: Sequence[tuple[str, str]],
    *,
    send_writes: bool,
    delay: float = 0.0,
    tick: Callable[[], None] = lambda: None,
) -> ForgedWrite:
    """With *send_writes* and a ``Cookie`` in *headers*: send the form POST a page on another
    site makes with the user's cookies, to *url* only (redirects not followed), and judge the
    answer. Otherwise send nothing and say why the audit cannot know."""
    if not (send_writes and _has_cookie(headers)):
        if _has_cookie(headers):
            message = (
                "cross-site writes: not sent; pass --send-writes to send one form POST from "
                f"{WRITE_ORIGIN} with the cookies given and see whether the server acts on it "
                "(it may change data)"
            )
        else:
            message = (
                "cross-site writes: cannot know whether a forged form POST would act as a "
                "signed-in user without the user's cookies; give them with -H 'Cookie: ...' "
                "and --send-writes (one POST, it may change data)"
            )
        return ForgedWrite(False, "cross-site-write-unknown", message)
    if delay > 0:
        time.sleep(delay)
    reply = send(
        "POST", url, [*write_lines("form", WRITE_ORIGIN, "cross-site"), *headers], FORM_BODY
    )
    tick()
    status = reply.response.status
    if refused_by_protection(status, reply.body):
        how = f"refused by cross-origin protection ({status})"
    elif 200 <= status < 400:
        evidence = (
            f"POST with Origin: {WRITE_ORIGIN}, Sec-Fetch-Site: cross-site, Sec-Fetch-Mode: "
            f"navigate, a form body and the cookies given -> {status}"
        )
        return ForgedWrite(True, "cross-site-write", evidence, 1)
    else:
        how = (
            f"answered {status}, not by cross-origin protection: check that the URL accepts "
            "POST and the cookies are valid"
        )
    message = f"cross-site writes: a form POST from {WRITE_ORIGIN} with the cookies was {how}"
    return ForgedWrite(False, "cross-site-write-refused", message, 1)
