"""The MDN HTTP Observatory's tests and score, on the responses one command observed.

:func:`grade` takes what ``crossgate headers`` (or ``flask crossgate headers --grade``) saw, an
:class:`Observed`, and runs the Observatory's twelve tests on it, the way
mdn/mdn-http-observatory's ``src/analyzer/tests/*.js`` decide them (rewritten, not copied), then
scores them as its ``src/scanner/index.js`` does: 100 plus every modifier, the positive ones
only when the score without them is at least 90, and the letter from the grade chart.

Repeated header lines are combined the way the Observatory's HTTP client (Node's) combines them:
joined with ", " (so two ``Strict-Transport-Security`` lines read as one invalid value), except
``Set-Cookie``, kept apart, and ``Content-Type``, whose first line wins.

What a header cannot tell is left out or approximated, and the docs say so: the HSTS preload
list (no host is taken as preloaded), registrable domains for the SRI test (crossgate's own
public-suffix table), and redirection, tested only when the command started from an http URL
and followed its redirects.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from crossgate._public_suffixes import registrable_domain
from crossgate.grade._observatory_cookies import cookies_test
from crossgate.grade._observatory_csp import csp_test
from crossgate.grade._observatory_table import (
    BONUS_THRESHOLD,
    NOT_TESTED,
    SCORE_TABLE,
    TEST_NAMES,
    grade_for,
)

#: The Origin the Observatory sends in its CORS preflight.
OBSERVATORY_ORIGIN = "https://http-observatory.security.mozilla.org"
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_SIX_MONTHS = 15_552_000
_SF_TOKEN = re.compile(r"[A-Za-z*][A-Za-z0-9!#$%&'*+\-.^_`|~:/]*")
_SF_BARE = r"(?:[A-Za-z*][A-Za-z0-9!#$%&'*+\-.^_`|~:/]*|-?[0-9]{1,15}(?:\.[0-9]{1,3})?|\?[01]"
_SF_BARE += r'|"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*"|:[A-Za-z0-9+/=]*:)'
_SF_PARAMS = re.compile(rf"(?:;\x20*[a-z*][a-z0-9_\-.*]*(?:={_SF_BARE})?)*")


@dataclass(frozen=True, slots=True)
class Observed:
    """What the command saw.

    :param url: the URL of the graded response (after redirects).
    :param status: its status.
    :param headers: its header lines.
    :param body: its body (read for ``<meta>`` policies and ``<script>`` tags when HTML).
    :param verified: whether its certificate was checked (``--insecure`` leaves it unchecked;
        the grade then takes it as valid and the command says so).
    :param redirects: when the command started from an http URL: each URL and status on the
        way, the graded response last; ``None`` when no redirect test was run.
    :param cors: the header lines answering the Observatory's CORS preflight; ``None`` if not sent.
    :param cookies: every ``Set-Cookie`` received, with the URL that set it, in order.
    """

    url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""
    verified: bool = True
    redirects: tuple[tuple[str, int], ...] | None = None
    cors: tuple[tuple[str, str], ...] | None = None
    cookies: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Tested:
    """One test: its result (the Observatory's name), modifier, meaning and what it read."""

    name: str
    result: str
    modifier: int
    passed: bool
    description: str
    data: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Graded:
    """The score (may exceed 100), the letter, and every test."""

    score: int
    grade: str
    tests: tuple[Tested, ...]


def _lines(headers: Iterable[tuple[str, str]], name: str) -> list[str]:
    return [value for key, value in headers if key.lower() == name]


def _joined(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    values = _lines(headers, name)
    return ", ".join(values) if values else None


def _site(host: str) -> str:
    """A host's registrable domain (an IP address is its own)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return registrable_domain(host)
    return host


def _mime(headers: Iterable[tuple[str, str]]) -> str:
    values = _lines(headers, "content-type")
    return values[0].split(";", 1)[0] if values else ""


class _Collector(HTMLParser):
    def __init__(self, tag: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tag = tag
        self.found: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == self.tag:
            self.found.append({name: value or "" for name, value in reversed(attrs)})


def html_elements(html: str, tag: str) -> list[dict[str, str]]:
    """The attributes of every *tag* element in *html* (names lowercased; first one wins)."""
    collector = _Collector(tag)
    collector.feed(html)
    collector.close()
    return collector.found


def _meta_policies(html: str) -> tuple[list[str], list[str]]:
    """The CSP of ``<meta http-equiv>`` tags, and the last ``<meta name="referrer">``."""
    csp: list[str] = []
    referrer: list[str] = []
    for meta in html_elements(html, "meta"):
        if "http-equiv" in meta and "content" in meta:
            if meta["content"] and meta["http-equiv"].strip().lower() == "content-security-policy":
                csp.append(meta["content"])
        elif meta.get("name", "").strip().lower() == "referrer" and meta.get("content"):
            referrer = [meta["content"]]
    return csp, referrer


def grade(observed: Observed) -> Graded:
    """Run every test on *observed* and score them as the Observatory does.

    :raises ValueError: for a status the Observatory refuses to grade (1xx, 4xx but 401 and
        403, 5xx), with its wording.
    """
    status = observed.status
    if status < 200 or (status >= 400 and status not in (401, 403)):
        raise ValueError(f"the site answered with status {status}, which is not graded")
    results = _results(observed)
    tests = tuple(
        Tested(name, result, SCORE_TABLE[result][0], passed, SCORE_TABLE[result][1], data)
        for name in TEST_NAMES
        for result, passed, data in (results[name],)
    )
    uncurved = 100 + sum(test.modifier for test in tests if test.modifier < 0)
    total = 100 + sum(test.modifier for test in tests)
    score = max(total if uncurved >= BONUS_THRESHOLD else uncurved, 0)
    return Graded(score, grade_for(score), tests)


Result = tuple[str, bool, dict[str, object]]


def _results(observed: Observed) -> dict[str, Result]:
    headers = observed.headers
    https = urlsplit(observed.url).scheme == "https"
    html = ""
    if _mime(headers) in _HTML_TYPES and observed.body:
        html = observed.body.decode("utf-8", "replace")
    meta_csp, meta_referrer = _meta_policies(html) if html else ([], [])
    csp = csp_test(
        _lines(headers, "content-security-policy"),
        meta_csp,
        bool(_joined(headers, "content-security-policy-report-only")),
        https=https,
    )
    hsts = _hsts(headers if https else None, observed.verified)
    return {
        "content-security-policy": (csp.result, csp.passed, {"policy": csp.policy, **csp.flags}),
        "cookies": cookies_test(
            _lines(headers, "set-cookie"), observed.cookies, hsts_passed=hsts[1]
        ),
        "cross-origin-embedder-policy": _structured(
            headers, "cross-origin-embedder-policy", "coep", ("require-corp", "credentialless")
        ),
        "cross-origin-opener-policy": _structured(
            headers,
            "cross-origin-opener-policy",
            "coop",
            ("same-origin", "same-origin-allow-popups", "noopener-allow-popups"),
        ),
        "cross-origin-resource-sharing": _cors(observed.cors),
        "redirection": _redirection(observed),
        "referrer-policy": _referrer(headers, meta_referrer),
        "strict-transport-security": hsts,
        "subresource-integrity": _sri(observed, html),
        "x-content-type-options": _nosniff(headers),
        "x-frame-options": _frame_options(headers, "frame-ancestors" in csp.policy),
        "cross-origin-resource-policy": _corp(headers),
    }


def _structured(
    headers: tuple[tuple[str, str], ...], name: str, prefix: str, strong: tuple[str, ...]
) -> Result:
    """COEP and COOP: the value must parse as one structured-field token (RFC 8941 item)."""
    value = _joined(headers, name)
    if not value:
        return f"{prefix}-not-implemented", True, {}
    text = value[:1024].strip()
    token = _SF_TOKEN.match(text)
    if token is not None and _SF_PARAMS.fullmatch(text, token.end()):
        policy = token[0]
        if policy in (*strong, "unsafe-none"):
            return f"{prefix}-implemented-with-{policy}", True, {"value": text}
    return f"{prefix}-header-invalid", False, {"value": text}


def _cors(answer: tuple[tuple[str, str], ...] | None) -> Result:
    allow_origin = _joined(answer, "access-control-allow-origin") if answer else None
    if not allow_origin:
        return "cross-origin-resource-sharing-not-implemented", True, {}
    value = allow_origin[:256].strip().lower()
    credentials = (_joined(answer or (), "access-control-allow-credentials") or "").strip()
    if value == "*":
        result = "cross-origin-resource-sharing-implemented-with-public-access"
    elif allow_origin == OBSERVATORY_ORIGIN and credentials.lower() == "true":
        return "cross-origin-resource-sharing-implemented-with-universal-access", False, {}
    else:
        result = "cross-origin-resource-sharing-implemented-with-restricted-access"
    return result, True, {"value": value}


def _redirection(observed: Observed) -> Result:
    route = observed.redirects
    if route is None:
        return NOT_TESTED, True, {}
    data: dict[str, object] = {"route": [url for url, _ in route]}
    if not observed.verified:
        return "redirection-invalid-cert", False, data
    parts = [urlsplit(url) for url, _ in route]
    if len(route) == 1:
        result = "redirection-missing"
    elif parts[-1].scheme != "https":
        result = "redirection-not-to-https"
    elif parts[1].scheme == "http":
        result = "redirection-not-to-https-on-initial-redirection"
    elif parts[0].scheme == "http" and parts[0].hostname != parts[1].hostname:
        result = "redirection-off-host-from-http"
    else:
        result = "redirection-to-https"
    return result, result == "redirection-to-https", data


_PRIVATE_REFERRERS = (
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
)
_UNSAFE_REFERRERS = (
    "origin",
    "origin-when-cross-origin",
    "unsafe-url",
    "no-referrer-when-downgrade",
)


def _referrer(headers: tuple[tuple[str, str], ...], meta: list[str]) -> Result:
    values = [*_lines(headers, "referrer-policy"), *meta]
    if not values:
        return "referrer-policy-not-implemented", True, {}
    known = [
        token.strip().lower()
        for token in ", ".join(values).split(",")
        if token.strip().lower() in (*_PRIVATE_REFERRERS, *_UNSAFE_REFERRERS)
    ]
    policy = known[-1] if known else ""  # the last valid one applies
    if policy in _PRIVATE_REFERRERS:
        return "referrer-policy-private", True, {"value": policy}
    if policy in _UNSAFE_REFERRERS:
        return "referrer-policy-unsafe", False, {"value": policy}
    return "referrer-policy-header-invalid", False, {}


def _hsts(headers: tuple[tuple[str, str], ...] | None, verified: bool) -> Result:
    if headers is None:
        return "hsts-not-implemented-no-https", False, {}
    if not verified:
        return "hsts-invalid-cert", False, {}
    value = _joined(headers, "strict-transport-security")
    if value is None:
        return "hsts-not-implemented", False, {}
    value = value[:1024]
    # As JavaScript's parseInt: a max-age that is not a number is NaN, which is not "less than
    # six months" either, so the Observatory takes it as long enough.
    max_age: float | None = None
    for parameter in (part.strip().lower() for part in value.split(";")):
        if parameter.startswith("max-age="):
            digits = re.match(r"\s*[+-]?[0-9]+", parameter[8:128])
            max_age = int(digits[0]) if digits else float("nan")
    if "," in value or max_age is None:
        return "hsts-header-invalid", False, {"value": value}
    if max_age < _SIX_MONTHS:
        return "hsts-implemented-max-age-less-than-six-months", False, {"max_age": max_age}
    return "hsts-implemented-max-age-at-least-six-months", True, {"value": value}


def _nosniff(headers: tuple[tuple[str, str], ...]) -> Result:
    value = _joined(headers, "x-content-type-options")
    if not value:
        return "x-content-type-options-not-implemented", False, {}
    if value[:256].strip().lower() == "nosniff":
        return "x-content-type-options-nosniff", True, {}
    return "x-content-type-options-header-invalid", False, {"value": value[:256]}


def _frame_options(headers: tuple[tuple[str, str], ...], frame_ancestors: bool) -> Result:
    value = (_joined(headers, "x-frame-options") or "")[:1024].strip().lower()
    if frame_ancestors:
        result = "x-frame-options-implemented-via-csp"
    elif not value:
        result = "x-frame-options-not-implemented"
    elif value in ("deny", "sameorigin"):
        result = "x-frame-options-sameorigin-or-deny"
    elif value.startswith("allow-from"):
        result = "x-frame-options-allow-from-origin"
    else:
        result = "x-frame-options-header-invalid"
    return result, SCORE_TABLE[result][0] >= 0, {"value": value} if value else {}


def _corp(headers: tuple[tuple[str, str], ...]) -> Result:
    value = (_joined(headers, "cross-origin-resource-policy") or "")[:256].strip().lower()
    if not value:
        return "corp-not-implemented", True, {}
    if value in ("same-site", "same-origin", "cross-origin"):
        return f"corp-implemented-with-{value}", True, {"value": value}
    return "corp-header-invalid", False, {"value": value}


_SRI_ORDER = (
    "sri-implemented-and-all-scripts-loaded-securely",
    "sri-implemented-and-external-scripts-loaded-securely",
    "sri-implemented-but-external-scripts-not-loaded-securely",
    "sri-not-implemented-but-external-scripts-loaded-securely",
    "sri-not-implemented-and-external-scripts-not-loaded-securely",
    "sri-not-implemented-response-not-html",
)


def _sri(observed: Observed, html: str) -> Result:
    mime = _mime(observed.headers)
    if mime and mime not in _HTML_TYPES:
        return "sri-not-implemented-response-not-html", True, {}
    scripts = html_elements(html, "script") if html else []
    if not scripts:
        return "sri-not-implemented-but-no-scripts-loaded", True, {}
    page = urlsplit(observed.url)
    site = _site((page.hostname or "").lower())
    result: str | None = None
    foreign = False
    external: list[str] = []
    for script in scripts:
        source = script.get("src", "")
        if not source:
            continue
        integrity = bool(script.get("integrity"))
        relative_protocol = re.match(r"//[^/]", source) is not None
        full_url = re.match(r"https?://", source) is not None
        relative = not relative_protocol and not full_url
        same_site = relative or relative_protocol
        if full_url:
            same_site = _site((urlsplit(source).hostname or "").lower()) == site
        secure_origin = relative or (same_site and not relative_protocol)
        secure_scheme = (full_url and source.startswith("https:")) or (
            relative and page.scheme == "https"
        )
        if secure_origin:
            if integrity and secure_scheme and result is None:
                result = "sri-implemented-and-all-scripts-loaded-securely"
            continue
        foreign = True
        external.append(source)
        if integrity and not secure_scheme:
            candidate = "sri-implemented-but-external-scripts-not-loaded-securely"
        elif not integrity and secure_scheme:
            candidate = "sri-not-implemented-but-external-scripts-loaded-securely"
        elif not integrity:
            candidate = "sri-not-implemented-and-external-scripts-not-loaded-securely"
        else:
            continue
        if result is None or _SRI_ORDER.index(candidate) > _SRI_ORDER.index(result):
            result = candidate
    if result is None:
        result = (
            "sri-implemented-and-external-scripts-loaded-securely"
            if foreign
            else "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"
        )
    return result, SCORE_TABLE[result][0] >= 0, {"external_scripts": external[:20]}
