"""The MDN HTTP Observatory's score table and grade chart, and crossgate's fix for each test.

The numbers are the Observatory's (mdn/mdn-http-observatory ``src/grader/charts.js``, scoring
algorithm 6: the v1.6.3 release plus the COOP and COEP tests of the main branch, commit 2d230d2).
The sentences are crossgate's own. Each test's ``fix`` names the ``Headers(...)`` option or
preset that earns the test's best modifier.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

#: What the scoring follows, as the docs and ``--json`` state it.
OBSERVATORY_VERSION = "mdn-http-observatory 1.6.3 + COOP/COEP scoring (main 2d230d2, algorithm 6)"
#: Bonuses (positive modifiers) count only when the score without them reaches this.
BONUS_THRESHOLD = 90
#: Our result for a test the command could not run (no modifier).
NOT_TESTED = "not-tested"

#: The tests, in the Observatory's order.
TEST_NAMES = (
    "content-security-policy",
    "cookies",
    "cross-origin-embedder-policy",
    "cross-origin-opener-policy",
    "cross-origin-resource-sharing",
    "redirection",
    "referrer-policy",
    "strict-transport-security",
    "subresource-integrity",
    "x-content-type-options",
    "x-frame-options",
    "cross-origin-resource-policy",
)

_TABLE: dict[str, tuple[int, str]] = {
    # Content-Security-Policy
    "csp-implemented-with-no-unsafe-default-src-none": (
        10,
        "CSP starts from default-src 'none' and allows nothing unsafe",
    ),
    "csp-implemented-with-no-unsafe": (5, "CSP allows neither inline script nor eval"),
    "csp-implemented-with-unsafe-inline-in-style-src-only": (
        0,
        "CSP is unsafe only in style-src ('unsafe-inline', data: or a whole scheme)",
    ),
    "csp-implemented-with-insecure-scheme-in-passive-content-only": (
        -10,
        "CSP lets images or media load over plain http",
    ),
    "csp-implemented-with-unsafe-eval": (-10, "CSP allows 'unsafe-eval'"),
    "csp-implemented-with-unsafe-inline": (
        -20,
        "CSP lets inline or any-host script run ('unsafe-inline', data:, a whole scheme or *, "
        "or no script-src/object-src at all)",
    ),
    "csp-implemented-with-insecure-scheme": (-20, "CSP lets resources load over plain http"),
    "csp-header-invalid": (-25, "the CSP cannot be parsed"),
    "csp-not-implemented": (-25, "no Content-Security-Policy"),
    "csp-not-implemented-but-reporting-enabled": (
        -25,
        "only Content-Security-Policy-Report-Only: nothing is enforced",
    ),
    "csp-implemented-but-duplicate-directives": (0, "CSP repeats report-uri or report-to"),
    # Cookies
    "cookies-secure-with-httponly-sessions-and-samesite": (
        5,
        "every cookie is Secure and has SameSite; session cookies are HttpOnly",
    ),
    "cookies-secure-with-httponly-sessions": (
        0,
        "every cookie is Secure and session cookies are HttpOnly, but not all have SameSite",
    ),
    "cookies-not-found": (0, "no cookies set"),
    "cookies-without-secure-flag-but-protected-by-hsts": (
        -5,
        "a cookie lacks Secure (HSTS keeps it off plain http)",
    ),
    "cookies-session-without-secure-flag-but-protected-by-hsts": (
        -10,
        "a session cookie lacks Secure (HSTS keeps it off plain http)",
    ),
    "cookies-without-secure-flag": (-20, "a cookie lacks Secure, or was set over http"),
    "cookies-samesite-flag-invalid": (
        -20,
        "a cookie's SameSite is not Strict, Lax or None (or None without Secure)",
    ),
    "cookies-anticsrf-without-samesite-flag": (-20, "an anti-CSRF cookie has no SameSite"),
    "cookies-session-without-httponly-flag": (-30, "a session cookie lacks HttpOnly"),
    "cookies-session-without-secure-flag": (
        -40,
        "a session cookie lacks Secure, or was set over http",
    ),
    # CORS
    "cross-origin-resource-sharing-not-implemented": (
        0,
        "other origins get no CORS access (the Observatory's origin was refused)",
    ),
    "cross-origin-resource-sharing-implemented-with-public-access": (
        0,
        "Access-Control-Allow-Origin: * (public, without credentials)",
    ),
    "cross-origin-resource-sharing-implemented-with-restricted-access": (
        0,
        "CORS access restricted to chosen origins",
    ),
    "cross-origin-resource-sharing-implemented-with-universal-access": (
        -50,
        "any origin is echoed back with credentials: every site can read it as the user",
    ),
    # Redirection
    "redirection-all-redirects-preloaded": (0, "every host on the way is HSTS-preloaded"),
    "redirection-to-https": (0, "http redirects to https on the same host first"),
    "redirection-not-needed-no-http": (0, "nothing answers on plain http"),
    "redirection-off-host-from-http": (
        -5,
        "http redirects to https on another host, so this host's HSTS is never seen",
    ),
    "redirection-not-to-https-on-initial-redirection": (
        -10,
        "http redirects to http first, https only later",
    ),
    "redirection-not-to-https": (-20, "the redirects end on plain http"),
    "redirection-missing": (-20, "http does not redirect to https"),
    "redirection-invalid-cert": (-20, "a certificate on the way is invalid"),
    # Referrer-Policy
    "referrer-policy-private": (
        5,
        "Referrer-Policy keeps paths private (no-referrer, same-origin, strict-origin or "
        "strict-origin-when-cross-origin)",
    ),
    "referrer-policy-not-implemented": (0, "no Referrer-Policy (browsers default to private)"),
    "referrer-policy-unsafe": (-5, "Referrer-Policy sends full URLs or sends over http"),
    "referrer-policy-header-invalid": (-5, "Referrer-Policy cannot be recognized"),
    # Strict-Transport-Security
    "hsts-preloaded": (5, "the host is in the browsers' HSTS preload list"),
    "hsts-implemented-max-age-at-least-six-months": (0, "HSTS for at least six months"),
    "hsts-implemented-max-age-less-than-six-months": (-10, "HSTS for less than six months"),
    "hsts-not-implemented": (-20, "no Strict-Transport-Security"),
    "hsts-header-invalid": (-20, "Strict-Transport-Security cannot be recognized"),
    "hsts-not-implemented-no-https": (-20, "not served over https, so no HSTS"),
    "hsts-invalid-cert": (-20, "the certificate is invalid, so HSTS does not apply"),
    # Subresource Integrity
    "sri-implemented-and-all-scripts-loaded-securely": (
        5,
        "scripts carry integrity= and load from this site over https",
    ),
    "sri-implemented-and-external-scripts-loaded-securely": (
        5,
        "scripts of other sites carry integrity= and load over https",
    ),
    "sri-not-implemented-response-not-html": (0, "not HTML: no scripts to check"),
    "sri-not-implemented-but-no-scripts-loaded": (0, "the page loads no script"),
    "sri-not-implemented-but-all-scripts-loaded-from-secure-origin": (
        0,
        "scripts come from this site only, without integrity=",
    ),
    "sri-not-implemented-but-external-scripts-loaded-securely": (
        -5,
        "scripts of other sites load over https but without integrity=",
    ),
    "sri-implemented-but-external-scripts-not-loaded-securely": (
        -20,
        "scripts of other sites load over http or a protocol-relative URL",
    ),
    "sri-not-implemented-and-external-scripts-not-loaded-securely": (
        -50,
        "scripts of other sites load over http or a protocol-relative URL, without integrity=",
    ),
    # X-Content-Type-Options
    "x-content-type-options-nosniff": (0, "X-Content-Type-Options: nosniff"),
    "x-content-type-options-not-implemented": (-5, "no X-Content-Type-Options"),
    "x-content-type-options-header-invalid": (-5, "X-Content-Type-Options is not nosniff"),
    # X-Frame-Options
    "x-frame-options-implemented-via-csp": (5, "framing is restricted by CSP frame-ancestors"),
    "x-frame-options-sameorigin-or-deny": (5, "X-Frame-Options: SAMEORIGIN or DENY"),
    "x-frame-options-allow-from-origin": (0, "X-Frame-Options: ALLOW-FROM (ignored by browsers)"),
    "x-frame-options-not-implemented": (-20, "nothing restricts framing (clickjacking)"),
    "x-frame-options-header-invalid": (-20, "X-Frame-Options cannot be recognized"),
    # Cross-Origin-Resource-Policy
    "corp-implemented-with-same-origin": (10, "Cross-Origin-Resource-Policy: same-origin"),
    "corp-implemented-with-same-site": (10, "Cross-Origin-Resource-Policy: same-site"),
    "corp-implemented-with-cross-origin": (
        0,
        "Cross-Origin-Resource-Policy: cross-origin (any site may embed it)",
    ),
    "corp-not-implemented": (0, "no Cross-Origin-Resource-Policy (any site may embed it)"),
    "corp-header-invalid": (-5, "Cross-Origin-Resource-Policy cannot be recognized"),
    # Cross-Origin-Embedder-Policy
    "coep-implemented-with-require-corp": (10, "Cross-Origin-Embedder-Policy: require-corp"),
    "coep-implemented-with-credentialless": (
        10,
        "Cross-Origin-Embedder-Policy: credentialless",
    ),
    "coep-implemented-with-unsafe-none": (0, "Cross-Origin-Embedder-Policy: unsafe-none"),
    "coep-not-implemented": (0, "no Cross-Origin-Embedder-Policy"),
    "coep-header-invalid": (-5, "Cross-Origin-Embedder-Policy cannot be recognized"),
    # Cross-Origin-Opener-Policy
    "coop-implemented-with-same-origin": (10, "Cross-Origin-Opener-Policy: same-origin"),
    "coop-implemented-with-same-origin-allow-popups": (
        10,
        "Cross-Origin-Opener-Policy: same-origin-allow-popups",
    ),
    "coop-implemented-with-noopener-allow-popups": (
        10,
        "Cross-Origin-Opener-Policy: noopener-allow-popups",
    ),
    "coop-implemented-with-unsafe-none": (0, "Cross-Origin-Opener-Policy: unsafe-none"),
    "coop-not-implemented": (0, "no Cross-Origin-Opener-Policy"),
    "coop-header-invalid": (-5, "Cross-Origin-Opener-Policy cannot be recognized"),
    # Ours: a test this command could not run.
    NOT_TESTED: (0, "not tested"),
}
#: expectation -> (modifier, what it means).
SCORE_TABLE: Mapping[str, tuple[int, str]] = MappingProxyType(_TABLE)

_CSP_FIX = (
    "Headers(app, preset='api') for JSON; for HTML start from default-src 'none': "
    "csp={'default-src': \"'none'\", 'script-src': \"'self'\", 'style-src': \"'self'\", "
    "'img-src': \"'self'\", 'connect-src': \"'self'\", 'form-action': \"'self'\", "
    "'base-uri': \"'none'\", 'frame-ancestors': \"'none'\"} (+10); preset='web' or 'strict' "
    "earn 0 and +5"
)
#: test -> what earns its best modifier, in crossgate's options.
FIXES: Mapping[str, str] = MappingProxyType(
    {
        "content-security-policy": _CSP_FIX,
        "cookies": "set every cookie with Secure and SameSite, session cookies HttpOnly: in "
        "Flask SESSION_COOKIE_SECURE=True, SESSION_COOKIE_SAMESITE='Lax' (+5)",
        "cross-origin-embedder-policy": "Headers(app, preset='strict'), or headers="
        "{'Cross-Origin-Embedder-Policy': 'require-corp'} (+10; every cross-origin "
        "subresource must then opt in)",
        "cross-origin-opener-policy": "Headers(app, preset='web') or preset='strict' "
        "(Cross-Origin-Opener-Policy: same-origin, +10)",
        "cross-origin-resource-sharing": "CORS(app, origins=[...]) with the exact origins that "
        "may read it; crossgate never sends credentials to an origin it does not list (0)",
        "redirection": "Headers(app, https_redirect=True): plain http gets a 308 to the same "
        "URL on https (0)",
        "referrer-policy": "any preset: web sends strict-origin-when-cross-origin, api "
        "no-referrer, strict same-origin (+5)",
        "strict-transport-security": "any preset over https (max-age two years, 0); +5 only "
        "for hosts in the browsers' preload list: hsts=HSTS(preload=True), then submit the "
        "host to the preload list",
        "subresource-integrity": "add integrity='sha384-...' crossorigin='anonymous' to every "
        "<script src> of another site, loaded over https (+5; not a header)",
        "x-content-type-options": "any preset (X-Content-Type-Options: nosniff, 0)",
        "x-frame-options": "any preset: CSP frame-ancestors plus X-Frame-Options (+5)",
        "cross-origin-resource-policy": "any preset (same-origin, +10); on routes with a CORS "
        "policy crossgate sends cross-origin (0): headers={'Cross-Origin-Resource-Policy': "
        "'same-site'} earns +10 when the readers are your own subdomains",
    }
)

_CHART = (
    (100, "A+"),
    (90, "A"),
    (85, "A-"),
    (80, "B+"),
    (70, "B"),
    (65, "B-"),
    (60, "C+"),
    (50, "C"),
    (45, "C-"),
    (40, "D+"),
    (30, "D"),
    (25, "D-"),
    (0, "F"),
)
#: The letter grades, best first.
GRADES = tuple(grade for _, grade in _CHART)


def grade_for(score: int) -> str:
    """The letter for *score*: rounded down to a multiple of 5 and capped at 100, as the
    Observatory's chart does."""
    key = min(max(score, 0) // 5 * 5, 100)
    return next(grade for floor, grade in _CHART if key >= floor)
