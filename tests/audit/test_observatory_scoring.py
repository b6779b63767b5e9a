"""The grade equals the MDN HTTP Observatory's: its rules, checked on cases from its own tests.

The header values and expected results below come from mdn/mdn-http-observatory's test suite
(``test/*.test.js``, main after v1.6.3); the pages are written anew with the same policies. Each
case runs through crossgate's rewrite and must land on the Observatory's result name, which
fixes the modifier; the score and letter then follow the Observatory's arithmetic.
"""

from __future__ import annotations

import pytest

from crossgate.grade import (
    OBSERVATORY_ORIGIN,
    SCORE_TABLE,
    TEST_NAMES,
    Graded,
    Observed,
    grade,
    grade_for,
)

SITE = "https://mozilla.org/"


def run(
    headers: tuple[tuple[str, str], ...] = (),
    *,
    body: str = "",
    content_type: str | None = "text/html",
    url: str = SITE,
    verified: bool = True,
    redirects: tuple[tuple[str, int], ...] | None = None,
    cors: tuple[tuple[str, str], ...] | None = None,
    cookies: tuple[str, ...] = (),
    status: int = 200,
) -> Graded:
    lines = headers if content_type is None else (("Content-Type", content_type), *headers)
    lines += tuple(("Set-Cookie", cookie) for cookie in cookies)
    observed = Observed(
        url,
        status,
        lines,
        body.encode(),
        verified=verified,
        redirects=redirects,
        cors=cors,
        cookies=tuple((url, cookie) for cookie in cookies),
    )
    return grade(observed)


def result(graded: Graded, name: str) -> str:
    return next(test.result for test in graded.tests if test.name == name)


def csp(value: str, **options: object) -> str:
    return result(run((("Content-Security-Policy", value),), **options), "content-security-policy")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            [
                "  ",
                "",
                "default-src 'none'; default-src 'none'",
                "defa",
                "default-src 'none'; img-src 'self'; default-src 'none'",
                "default-src 'none'; script-src 'strict-dynamic'",
            ],
            "csp-header-invalid",
        ),
        (
            [
                "default-src 'none'; script-src https://*",
                "default-src 'none'; script-src 'unsafe-inline'",
                "script-src 'unsafe-inline'",
                "script-src data:",
                "script-src http:",
                "script-src ftp:",
                "default-src 'unsafe-inline'",
                "default-src 'UNSAFE-INLINE'",
                "upgrade-insecure-requests",
                "script-src 'none'",
                "script-src https:",
                "script-src https://mozilla.org https:",
                "default-src https://mozilla.org https:",
                "default-src 'none'; script-src *",
                "default-src *; script-src *; object-src 'none'",
                "default-src 'none'; script-src 'none'; object-src *",
                "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'",
                "default-src 'none'; script-src 'unsafe-inline' http:",
                "object-src https:; script-src 'none'",
            ],
            "csp-implemented-with-unsafe-inline",
        ),
        (
            [
                "default-src http://mozilla.org",
                "default-src 'none'; script-src http://mozilla.org",
                "default-src 'none'; script-src ftp://mozilla.org",
            ],
            "csp-implemented-with-insecure-scheme",
        ),
        (
            [
                "default-src 'none'; img-src http://mozilla.org",
                "default-src 'self'; img-src ftp:",
                "default-src 'self'; img-src http:",
                "default-src 'none'; img-src https:; media-src http://mozilla.org",
                "default-src 'none'; img-src http: https:; script-src 'self'; style-src 'self'",
                "default-src 'none'; img-src 'none'; media-src http:; script-src 'self'; style-src 'self'",
                "default-src 'none'; img-src 'none'; media-src http:; script-src 'self'; style-src 'unsafe-inline'",
            ],
            "csp-implemented-with-insecure-scheme-in-passive-content-only",
        ),
        (["default-src 'none'; script-src 'unsafe-eval'"], "csp-implemented-with-unsafe-eval"),
        (
            [
                "object-src 'none'; script-src 'none'; style-src 'unsafe-inline'",
                "default-src 'none'; script-src https://mozilla.org; style-src 'unsafe-inline'",
                "default-src 'unsafe-inline'; script-src https://mozilla.org",
                "default-src 'none';;; ;;;style-src 'self' 'unsafe-inline'",
                "default-src 'none'; style-src data:",
                "default-src 'none'; style-src *",
                "default-src 'none'; style-src https:",
                "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-hqBEA/HXB3aJU2FgOnYN8rkAgEVgyfi3Vs1j2/XMPBB=' 'unsafe-inline'",
            ],
            "csp-implemented-with-unsafe-inline-in-style-src-only",
        ),
        (
            [
                "default-src https://mozilla.org",
                "default-src https://mozilla.org;;; ;;;script-src 'none'",
                "object-src 'none'; script-src https://mozilla.org; style-src https://mozilla.org; upgrade-insecure-requests;",
                "object-src 'none'; script-src 'strict-dynamic' 'nonce-abc' 'unsafe-inline'; style-src 'none'",
                "object-src 'none'; style-src 'self';script-src 'sha256-hqBEA/HXB3aJU2FgOnYN8rkAgEVgyfi3Vs1j2/XMPBA='",
                "object-src 'none'; style-src 'self'; script-src 'unsafe-inline' 'sha256-hqBEA/HXB3aJU2FgOnYN8rkAgEVgyfi3Vs1j2/XMPBA=''sha256-hqBEA/HXB3aJU2FgOnYN8rkAgEVgyfi3Vs1j2/XMPBB='",
                "object-src 'none'; script-src 'unsafe-inline' 'nonce-abc123' 'unsafe-inline'; style-src 'none'",
                "default-src https://mozilla.org; style-src 'unsafe-inline' 'nonce-abc123' 'unsafe-inline'",
                "default-src https://mozilla.org; style-src 'unsafe-inline' 'sha256-hqBEA/HXB3aJU2FgOnYN8rkAgEVgyfi3Vs1j2/XMPBB=' 'unsafe-inline'",
            ],
            "csp-implemented-with-no-unsafe",
        ),
        (
            [
                "default-src",
                "default-src 'none'; script-src 'strict-dynamic' 'nonce-abc123' 'unsafe-inline'",
                "default-src 'none'; script-src https://mozilla.org; style-src https://mozilla.org; upgrade-insecure-requests;",
                "default-src 'none'; object-src https://mozilla.org",
                "default-src 'none'; script-src 'strict-dynamic' 'nonce-abc123'",
                "default-src 'none'; script-src 'strict-dynamic' 'sha256-abc123'",
                "default-src 'none'; script-src 'strict-dynamic' 'sha256-abc123' https://*",
                "default-src 'none'; script-src 'strict-dynamic' 'sha256-abc123' 'unsafe-inline'",
                "default-src 'none'; script-src 'self', default-src 'none'; script-src 'self'",
            ],
            "csp-implemented-with-no-unsafe-default-src-none",
        ),
        (
            ["default-src 'none'; report-uri /a; report-uri /b"],
            "csp-implemented-but-duplicate-directives",
        ),
    ],
)
def test_csp_results_match_the_observatory(values: list[str], expected: str) -> None:
    assert {value: csp(value) for value in values} == dict.fromkeys(values, expected)


def test_csp_missing_report_only_and_intersection_of_policies() -> None:
    assert result(run(), "content-security-policy") == "csp-not-implemented"
    report_only = (("Content-Security-Policy-Report-Only", "default-src 'none'; report-to /r"),)
    assert result(run(report_only), "content-security-policy") == (
        "csp-not-implemented-but-reporting-enabled"
    )
    # Three policies: the middle one forbids inline style, so the combination does too.
    combined = run(
        (
            (
                "Content-Security-Policy",
                "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline', "
                "default-src 'none'; style-src 'self', "
                "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'",
            ),
        )
    )
    test = next(test for test in combined.tests if test.name == "content-security-policy")
    assert test.data["policy"] == {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
    }
    assert test.data["unsafeInlineStyle"] is False


def page(*metas: str) -> str:
    return "<!DOCTYPE html><html><head>" + "".join(metas) + "</head><body></body></html>"


NONE_META = '<meta http-equiv="Content-Security-Policy" content="default-src \'none\';">'
HTTPS_META = '<meta http-equiv="Content-Security-Policy" content="default-src https:">'


def test_meta_policies_count_as_the_observatory_counts_them() -> None:
    assert csp("default-src http:", body=page(NONE_META)) == (
        "csp-implemented-with-no-unsafe-default-src-none"
    )
    assert result(run(body=page(NONE_META)), "content-security-policy") == (
        "csp-implemented-with-no-unsafe-default-src-none"
    )
    assert csp("default-src 'none'", body=page(HTTPS_META)) == (
        "csp-implemented-with-no-unsafe-default-src-none"
    )
    assert csp("img-src 'none'", body=page(NONE_META)) == (
        "csp-implemented-with-no-unsafe-default-src-none"
    )
    several = page(
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "object-src 'none'; media-src 'none';\">",
        '<meta http-equiv="Content-SECURITY-Policy" content="connect-src \'self\'; '
        "font-src 'self'; child-src 'self'\">",
        '<meta http-equiv=" Content-Security-Policy " content="img-src \'self\'; '
        "style-src 'self' 'nonce-gAeQO8jI4VJCsrsXkcUVRCzQjiihKteQ'\">",
    )
    assert result(run(body=several), "content-security-policy") == (
        "csp-implemented-with-no-unsafe-default-src-none"
    )
    # frame-ancestors is ignored in a <meta> policy.
    framing = page('<meta http-equiv="Content-Security-Policy" content="frame-ancestors \'none\'">')
    assert result(run(body=framing), "content-security-policy") == "csp-not-implemented"
    assert csp("frame-anchestors 'none'", body=framing) == "csp-implemented-with-unsafe-inline"
    # Not HTML: a <meta> in the body means nothing.
    assert result(
        run(body=page(NONE_META), content_type="application/json"), "content-security-policy"
    ) == ("csp-not-implemented")


SESSION = "SESSIONID=bar; Domain=mozilla.org; Path=/"


@pytest.mark.parametrize(
    ("cookies", "hsts", "expected"),
    [
        ((), False, "cookies-not-found"),
        (
            (
                f"{SESSION}; Secure; HttpOnly",
                "foo=bar; Domain=mozilla.org; Secure; Path=/",
                "heroku-session-affinity=bar; Domain=mozilla.org; Path=/",
            ),
            False,
            "cookies-secure-with-httponly-sessions",
        ),
        (
            (
                f"{SESSION}; Secure; HttpOnly; SameSite=Strict",
                "SESSION_LAX=bar; Domain=mozilla.org; Path=/; Secure; HttpOnly; SameSite=Lax",
                "SESSION_NONE=bar; Domain=mozilla.org; Path=/; Secure; HttpOnly; SameSite=None",
            ),
            False,
            "cookies-secure-with-httponly-sessions-and-samesite",
        ),
        (
            (
                f"{SESSION}; Secure; HttpOnly; SameSite=Strict",
                "SESSION_NO=bar; Domain=mozilla.org; Path=/; Secure; HttpOnly",
            ),
            False,
            "cookies-secure-with-httponly-sessions",
        ),
        (
            ("CSRFTOKEN=bar; Domain=mozilla.org; Path=/; Secure; HttpOnly",),
            False,
            "cookies-anticsrf-without-samesite-flag",
        ),
        ((f"{SESSION}; Secure; HttpOnly; SameSite=",), False, "cookies-samesite-flag-invalid"),
        ((f"{SESSION}; Secure; HttpOnly; SameSite=True",), False, "cookies-samesite-flag-invalid"),
        (
            (f"{SESSION}; Secure; HttpOnly; SameSite=Invalid",),
            False,
            "cookies-samesite-flag-invalid",
        ),
        (
            ("foo=bar; Domain=mozilla.org; Path=/",),
            True,
            "cookies-without-secure-flag-but-protected-by-hsts",
        ),
        (
            (f"{SESSION}; HttpOnly",),
            True,
            "cookies-session-without-secure-flag-but-protected-by-hsts",
        ),
        (("foo=bar; Domain=mozilla.org; Path=/",), False, "cookies-without-secure-flag"),
        ((f"{SESSION}; Secure",), False, "cookies-session-without-httponly-flag"),
        ((f"{SESSION}; HttpOnly",), False, "cookies-session-without-secure-flag"),
        ((SESSION,), False, "cookies-session-without-secure-flag"),
        # Deleted on the way, or for another site: not in the jar.
        ((f"{SESSION}; Max-Age=0",), False, "cookies-not-found"),
        (("foo=bar; Domain=other.example",), False, "cookies-not-found"),
    ],
)
def test_cookie_results_match_the_observatory(
    cookies: tuple[str, ...], hsts: bool, expected: str
) -> None:
    headers = (("Strict-Transport-Security", "max-age=15768000"),) if hsts else ()
    assert result(run(headers, cookies=cookies), "cookies") == expected


@pytest.mark.parametrize(
    ("value", "url", "verified", "expected"),
    [
        (None, SITE, True, "hsts-not-implemented"),
        ("includeSubDomains; preload", SITE, True, "hsts-header-invalid"),
        (
            "max-age=15768000; includeSubDomains, max-age=15768000; includeSubDomains",
            SITE,
            True,
            "hsts-header-invalid",
        ),
        ("max-age=15768000", "http://mozilla.org/", True, "hsts-not-implemented-no-https"),
        ("max-age=15768000; includeSubDomains; preload", SITE, False, "hsts-invalid-cert"),
        ("max-age=86400", SITE, True, "hsts-implemented-max-age-less-than-six-months"),
        (
            "max-age=15768000; includeSubDomains; preload",
            SITE,
            True,
            "hsts-implemented-max-age-at-least-six-months",
        ),
        # parseInt('abc') is NaN, which the Observatory does not find "less than six months".
        ("max-age=abc", SITE, True, "hsts-implemented-max-age-at-least-six-months"),
    ],
)
def test_hsts_results_match_the_observatory(
    value: str | None, url: str, verified: bool, expected: str
) -> None:
    headers = (("Strict-Transport-Security", value),) if value else ()
    assert result(run(headers, url=url, verified=verified), "strict-transport-security") == expected


@pytest.mark.parametrize(
    ("name", "values", "expected"),
    [
        (
            "referrer-policy",
            [
                "no-referrer",
                "same-origin",
                "strict-origin",
                "STRICT-ORIGIN",
                "strict-origin-when-cross-origin",
                "no-referrer, whimsy",
            ],
            "referrer-policy-private",
        ),
        (
            "referrer-policy",
            ["whimsy", "whimsy, whimsy1, whimsy2"],
            "referrer-policy-header-invalid",
        ),
        (
            "referrer-policy",
            [
                "origin",
                "origin-when-cross-origin",
                "unsafe-url",
                "origin-when-cross-origin, no-referrer, unsafe-url",
                "no-referrer, unsafe-url",
            ],
            "referrer-policy-unsafe",
        ),
        ("x-content-type-options", ["nosniff", "nosniff "], "x-content-type-options-nosniff"),
        (
            "x-content-type-options",
            ["whimsy", "nosniff, nosniff"],
            "x-content-type-options-header-invalid",
        ),
        ("x-frame-options", ["DENY", "SAMEORIGIN"], "x-frame-options-sameorigin-or-deny"),
        ("x-frame-options", ["whimsy", "SAMEORIGIN, SAMEORIGIN"], "x-frame-options-header-invalid"),
        (
            "x-frame-options",
            ["ALLOW-FROM https://mozilla.org"],
            "x-frame-options-allow-from-origin",
        ),
        (
            "cross-origin-resource-policy",
            ["whimsy", "same-origin, cross-origin"],
            "corp-header-invalid",
        ),
        ("cross-origin-resource-policy", ["same-site"], "corp-implemented-with-same-site"),
        ("cross-origin-resource-policy", ["same-origin"], "corp-implemented-with-same-origin"),
        ("cross-origin-resource-policy", ["cross-origin"], "corp-implemented-with-cross-origin"),
        (
            "cross-origin-opener-policy",
            [
                "whimsy",
                '"same-origin"',
                "Same-Origin",
                "SAME-ORIGIN",
                "same-origin; report-to=coop endpoint",
                "same-origin, unsafe-none",
            ],
            "coop-header-invalid",
        ),
        (
            "cross-origin-opener-policy",
            ["same-origin", 'same-origin; report-to="coop-endpoint"', "same-origin; report-to"],
            "coop-implemented-with-same-origin",
        ),
        (
            "cross-origin-opener-policy",
            ["same-origin-allow-popups", 'same-origin-allow-popups; report-to="coop-endpoint"'],
            "coop-implemented-with-same-origin-allow-popups",
        ),
        (
            "cross-origin-opener-policy",
            ["noopener-allow-popups"],
            "coop-implemented-with-noopener-allow-popups",
        ),
        ("cross-origin-opener-policy", ["unsafe-none"], "coop-implemented-with-unsafe-none"),
        (
            "cross-origin-embedder-policy",
            ["require-corp", 'require-corp; report-to="e"'],
            "coep-implemented-with-require-corp",
        ),
        (
            "cross-origin-embedder-policy",
            ["credentialless"],
            "coep-implemented-with-credentialless",
        ),
        ("cross-origin-embedder-policy", ["unsafe-none"], "coep-implemented-with-unsafe-none"),
        (
            "cross-origin-embedder-policy",
            ["whimsy", "Require-Corp", "require-corp, unsafe-none"],
            "coep-header-invalid",
        ),
    ],
)
def test_header_results_match_the_observatory(name: str, values: list[str], expected: str) -> None:
    found = {value: result(run(((name, value),)), name) for value in values}
    assert found == dict.fromkeys(values, expected)


def test_missing_headers_and_repeated_lines() -> None:
    bare = run()
    assert result(bare, "referrer-policy") == "referrer-policy-not-implemented"
    assert result(bare, "x-content-type-options") == "x-content-type-options-not-implemented"
    assert result(bare, "x-frame-options") == "x-frame-options-not-implemented"
    assert result(bare, "cross-origin-resource-policy") == "corp-not-implemented"
    assert result(bare, "cross-origin-opener-policy") == "coop-not-implemented"
    assert result(bare, "cross-origin-embedder-policy") == "coep-not-implemented"
    # Two lines read as one joined value, as the Observatory's HTTP client joins them.
    twice = run(
        (
            ("Cross-Origin-Resource-Policy", "same-origin"),
            ("Cross-Origin-Resource-Policy", "cross-origin"),
        )
    )
    assert result(twice, "cross-origin-resource-policy") == "corp-header-invalid"
    both = run((("X-Frame-Options", "DENY"), ("Content-Security-Policy", "frame-ancestors 'none'")))
    assert result(both, "x-frame-options") == "x-frame-options-implemented-via-csp"
    referrer = page('<meta name="referrer" content="no-referrer, same-origin">')
    assert result(run(body=referrer), "referrer-policy") == "referrer-policy-private"
    overridden = run((("Referrer-Policy", "unsafe-url"),), body=referrer)
    assert result(overridden, "referrer-policy") == "referrer-policy-private"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (None, "cross-origin-resource-sharing-not-implemented"),
        ((), "cross-origin-resource-sharing-not-implemented"),
        (
            (("Access-Control-Allow-Origin", "*"),),
            "cross-origin-resource-sharing-implemented-with-public-access",
        ),
        (
            (("Access-Control-Allow-Origin", "https://mozilla.org"),),
            "cross-origin-resource-sharing-implemented-with-restricted-access",
        ),
        (
            (
                ("Access-Control-Allow-Origin", OBSERVATORY_ORIGIN),
                ("Access-Control-Allow-Credentials", "true"),
            ),
            "cross-origin-resource-sharing-implemented-with-universal-access",
        ),
    ],
)
def test_cors_results_match_the_observatory(
    answer: tuple[tuple[str, str], ...] | None, expected: str
) -> None:
    assert result(run(cors=answer), "cross-origin-resource-sharing") == expected


@pytest.mark.parametrize(
    ("route", "verified", "expected"),
    [
        (
            (("http://mozilla.org/", 301), ("https://mozilla.org/", 200)),
            True,
            "redirection-to-https",
        ),
        ((("http://mozilla.org/", 200),), True, "redirection-missing"),
        (
            (("http://mozilla.org/", 301), ("http://www.mozilla.org/", 200)),
            True,
            "redirection-not-to-https",
        ),
        (
            (
                ("http://mozilla.org/", 301),
                ("http://www.mozilla.org/", 301),
                ("https://www.mozilla.org/", 200),
            ),
            True,
            "redirection-not-to-https-on-initial-redirection",
        ),
        (
            (("http://mozilla.org/", 301), ("https://www.mozilla.org/", 200)),
            True,
            "redirection-off-host-from-http",
        ),
        (
            (("http://mozilla.org/", 301), ("https://mozilla.org/", 200)),
            False,
            "redirection-invalid-cert",
        ),
    ],
)
def test_redirection_results_match_the_observatory(
    route: tuple[tuple[str, int], ...], verified: bool, expected: str
) -> None:
    graded = run(url=route[-1][0], redirects=route, verified=verified)
    assert result(graded, "redirection") == expected


SAME = '<script src="/static/js/foo.js"></script>'
SIGNED = 'integrity="sha384-zTm/dblzLXQNp3CgY+hfaC/WJ6h4XtNrePh2CW2+rO9GPuNiPb9jmthvAL+oI/dQ" crossorigin="anonymous"'


@pytest.mark.parametrize(
    ("scripts", "content_type", "expected"),
    [
        ("", "text/html", "sri-not-implemented-but-no-scripts-loaded"),
        (SAME, "application/json", "sri-not-implemented-response-not-html"),
        (SAME, "text/html", "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"),
        (
            "<script>start()</script>",
            "text/html",
            "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
        ),
        (
            f'<script src="https://mozilla.org/a.js"></script>{SAME}',
            "text/html",
            "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
        ),
        (
            f'{SAME}<script src="https://fb.me/react.js" {SIGNED}></script>',
            "text/html",
            "sri-implemented-and-external-scripts-loaded-securely",
        ),
        (
            f'<script src="/static/js/react.js" {SIGNED}></script>',
            "text/html",
            "sri-implemented-and-all-scripts-loaded-securely",
        ),
        (
            f'{SAME}<script src="https://fb.me/react.js"></script>',
            "text/html",
            "sri-not-implemented-but-external-scripts-loaded-securely",
        ),
        (
            f'{SAME}<script src="http://fb.me/a.js" {SIGNED}></script><script src="https://fb.me/b.js" {SIGNED}></script>',
            "text/html",
            "sri-implemented-but-external-scripts-not-loaded-securely",
        ),
        (
            f'{SAME}<script src="//fb.me/a.js" {SIGNED}></script>',
            "text/html",
            "sri-implemented-but-external-scripts-not-loaded-securely",
        ),
        (
            f'{SAME}<script src="http://fb.me/a.js"></script>',
            "text/html",
            "sri-not-implemented-and-external-scripts-not-loaded-securely",
        ),
        (
            f'{SAME}<script src="//fb.me/a.js"></script>',
            "text/html",
            "sri-not-implemented-and-external-scripts-not-loaded-securely",
        ),
    ],
)
def test_sri_results_match_the_observatory(scripts: str, content_type: str, expected: str) -> None:
    body = f"<html><head>{scripts}</head><body></body></html>"
    assert result(run(body=body, content_type=content_type), "subresource-integrity") == expected


@pytest.mark.parametrize(
    ("score", "letter"),
    [
        (0, "F"),
        (-10, "F"),
        (24, "F"),
        (25, "D-"),
        (30, "D"),
        (39, "D"),
        (40, "D+"),
        (45, "C-"),
        (50, "C"),
        (59, "C"),
        (60, "C+"),
        (65, "B-"),
        (70, "B"),
        (79, "B"),
        (80, "B+"),
        (85, "A-"),
        (90, "A"),
        (99, "A"),
        (100, "A+"),
        (120, "A+"),
    ],
)
def test_grade_chart(score: int, letter: str) -> None:
    assert grade_for(score) == letter


def test_bonuses_count_only_from_an_uncurved_ninety() -> None:
    good = (
        ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
        ("Strict-Transport-Security", "max-age=63072000"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
    )
    # 100 + 10 (CSP) + 5 (framing via CSP) + 5 (referrer) + 10 (CORP); SRI: not HTML.
    assert (run(good, content_type="application/json").score, run(good).grade) == (130, "A+")
    # Without nosniff (-5) the uncurved score is 95: bonuses still count.
    assert run(good[:2] + good[3:], content_type="application/json").score == 125
    # Without HSTS (-20) it is 80: no bonus, B+.
    weak = run(good[:1] + good[2:], content_type="application/json")
    assert (weak.score, weak.grade) == (80, "B+")
    nothing = run()
    # CSP -25, XCTO -5, XFO -20, HSTS -20: 30, and never below 0.
    assert (nothing.score, nothing.grade) == (30, "D")
    assert run((), cookies=("SESSIONID=1",), url="http://mozilla.org/").score == 0


def test_every_test_is_scored_from_the_table() -> None:
    graded = run()
    assert [test.name for test in graded.tests] == list(TEST_NAMES)
    for test in graded.tests:
        assert test.modifier == SCORE_TABLE[test.result][0]


def test_unexpected_status_is_not_graded() -> None:
    for status in (404, 500, 101):
        with pytest.raises(ValueError, match=str(status)):
            run(status=status)
    assert run(status=403).grade == run(status=200).grade


def test_policies_intersect_by_path_and_bad_percent_encoding_is_invalid() -> None:
    both = run(
        (
            (
                "Content-Security-Policy",
                "default-src 'self' https://a.example/x/, default-src https://a.example/x/y 'self'",
            ),
        )
    )
    test = next(test for test in both.tests if test.name == "content-security-policy")
    assert test.data["policy"] == {"default-src": ["'self'", "https://a.example/x/y"]}
    euro = "script-src https://a.example/%E2%82%AC; object-src 'none'; style-src 'self'"
    assert csp(f"{euro}, {euro}") == "csp-implemented-with-no-unsafe"
    for bad in ("%zz", "%FF"):
        policy = f"script-src https://a.example/{bad}; object-src 'none'"
        assert csp(f"{policy}, {policy}") == "csp-header-invalid"
