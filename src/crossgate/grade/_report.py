"""``crossgate headers URL``: fetch a page as the MDN HTTP Observatory would, grade it, say
how to earn the full score with crossgate.

:func:`observe` sends, through a ``Send`` transport (httpx, or a Flask app's test client), the
requests the Observatory's scan sends for one URL: a ``GET`` of the page, following redirects
(up to 10) and recording them when the URL is plain http, then its CORS preflight from the
Observatory's origin to the final URL. :func:`grade_report` scores what came back
(:mod:`crossgate.grade._observatory`) and adds a CSP analysis (:mod:`crossgate.grade._csp_eval`);
:func:`render_text` and :func:`render_json` show it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from crossgate.errors import show
from crossgate.grade._csp_eval import CspNote, evaluate_csp
from crossgate.grade._observatory import OBSERVATORY_ORIGIN, Graded, Observed, grade
from crossgate.grade._observatory_table import FIXES, GRADES, NOT_TESTED, OBSERVATORY_VERSION
from crossgate.inspect._check import Send

MAX_REDIRECTS = 10
_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
_REDIRECTS = (301, 302, 303, 307, 308)
_BODY_READ = 2 * 1024 * 1024
#: The best modifier of each test that a fix can earn (HSTS's +5 needs the preload list).
_BEST = {
    "content-security-policy": 10,
    "cookies": 5,
    "cross-origin-embedder-policy": 10,
    "cross-origin-opener-policy": 10,
    "referrer-policy": 5,
    "subresource-integrity": 5,
    "x-frame-options": 5,
    "cross-origin-resource-policy": 10,
}


def observe(url: str, send: Send) -> Observed:
    """GET *url* following redirects, then send the Observatory's CORS preflight."""
    chain: list[tuple[str, int]] = []
    cookies: list[tuple[str, str]] = []
    current = url
    while True:
        reply = send("GET", current, [("Accept", _ACCEPT)], None)
        response = reply.response
        chain.append((current, response.status))
        cookies += [
            (current, value) for name, value in response.headers if name.lower() == "set-cookie"
        ]
        location = next((v for k, v in response.headers if k.lower() == "location"), None)
        if response.status not in _REDIRECTS or location is None or len(chain) > MAX_REDIRECTS:
            break
        current = urljoin(current, location.strip())
        if urlsplit(current).scheme not in ("http", "https"):
            break
    preflight = [("Origin", OBSERVATORY_ORIGIN), ("Access-Control-Request-Method", "GET")]
    cors = send("OPTIONS", current, preflight, None).response
    return Observed(
        current,
        response.status,
        response.headers,
        reply.body[:_BODY_READ],
        redirects=tuple(chain) if urlsplit(url).scheme == "http" else None,
        cors=cors.headers,
        cookies=tuple(cookies),
    )


@dataclass(frozen=True, slots=True)
class Report:
    """A graded URL: the Observatory's score, the CSP analysis and the notes on what the
    command could not see as the Observatory would."""

    url: str
    graded: Graded
    csp: tuple[CspNote, ...]
    notes: tuple[str, ...]


def grade_report(observed: Observed, *, insecure: bool = False, inside_app: bool = False) -> Report:
    """Grade *observed*. *insecure*: its certificate was not checked; *inside_app*: it came
    from the app's test client.

    :raises ValueError: a status the Observatory does not grade.
    """
    graded = grade(observed)
    lines = observed.headers
    csp = evaluate_csp(
        [value for name, value in lines if name.lower() == "content-security-policy"],
        [value for name, value in lines if name.lower() == "content-security-policy-report-only"],
    )
    notes: list[str] = []
    if observed.redirects is None:
        notes.append(
            "redirection not tested: the Observatory also fetches the http:// URL and expects "
            "a redirect to https (-20 without one); grade the http:// URL to test it"
            + ("" if not inside_app else ", or Headers(app, https_redirect=True)")
        )
    if insecure and urlsplit(observed.url).scheme == "https":
        notes.append(
            "--insecure: the certificate was not checked and is taken as valid; the "
            "Observatory scores an invalid one hsts-invalid-cert (-20)"
        )
    if inside_app:
        notes.append(
            "graded inside the app (test client, https://localhost): no proxy or "
            "server in front of it added or removed headers"
        )
    return Report(observed.url, graded, tuple(csp), tuple(notes))


def reaches(grade_letter: str, minimum: str) -> bool:
    """Whether *grade_letter* is *minimum* or better."""
    return GRADES.index(grade_letter) <= GRADES.index(minimum)


#: Results where the test's bonus is out of reach: nothing to fix.
_NOTHING_TO_FIX = frozenset(
    {
        "cookies-not-found",
        "sri-not-implemented-response-not-html",
        "sri-not-implemented-but-no-scripts-loaded",
    }
)


def _fix(name: str, modifier: int, result: str) -> str | None:
    if result == NOT_TESTED and name == "redirection":
        return FIXES[name]
    if result in _NOTHING_TO_FIX:
        return None
    return FIXES[name] if modifier < _BEST.get(name, 0) else None


def render_json(report: Report) -> dict[str, object]:
    """``{"grade", "score", "tests": {name: {...}}}``."""
    tests: dict[str, object] = {}
    for test in report.graded.tests:
        entry: dict[str, object] = {
            "result": test.result,
            "modifier": test.modifier,
            "pass": test.passed,
            "description": test.description,
            "fix": _fix(test.name, test.modifier, test.result),
            "data": test.data,
        }
        if test.name == "content-security-policy":
            entry["analysis"] = [
                {
                    "severity": n.severity,
                    "directive": n.directive,
                    "message": n.message,
                    "fix": n.fix,
                }
                for n in report.csp
            ]
        tests[test.name] = entry
    return {"grade": report.graded.grade, "score": report.graded.score, "tests": tests}


def render_text(report: Report) -> str:
    """The grade, each test with its modifier and fix, the CSP analysis and the notes."""
    graded = report.graded
    lines = [
        f"{show(report.url)}",
        f"grade {graded.grade}  score {graded.score}  ({OBSERVATORY_VERSION})",
        "",
    ]
    for test in graded.tests:
        modifier = f"{test.modifier:+d}" if test.modifier else " 0"
        lines.append(f"  {modifier:>4}  {test.name:<31} {test.result}")
        lines.append(f"        {test.description}")
        fix = _fix(test.name, test.modifier, test.result)
        if fix:
            lines.append(f"        fix: {fix}")
    if report.csp:
        lines += ["", "CSP analysis:"]
        for note in report.csp:
            lines.append(f"  {note.severity:<6} {show(note.directive)}: {show(note.message)}")
            lines.append(f"         fix: {note.fix}")
    if report.notes:
        lines += ["", "notes:"]
        lines += [f"  - {note}" for note in report.notes]
    return "\n".join(lines)
