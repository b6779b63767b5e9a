"""The CSP analysis: each weakness a policy has, how bad it is, and the fix."""

from __future__ import annotations

import pytest

from crossgate.grade import evaluate_csp
from crossgate.headers import PRESETS


def found(policy: str, report_only: str = "") -> dict[tuple[str, str], str]:
    notes = evaluate_csp([policy] if policy else [], [report_only] if report_only else [])
    return {(note.severity, note.directive): note.message for note in notes}


@pytest.mark.parametrize(
    ("policy", "severity", "directive", "words"),
    [
        ("img-src 'self'", "high", "script-src", "scripts from anywhere run"),
        (
            "default-src 'self'; script-src 'self' 'unsafe-inline'",
            "high",
            "script-src",
            "'unsafe-inline'",
        ),
        ("default-src 'self' 'unsafe-eval'", "medium", "default-src", "'unsafe-eval'"),
        ("script-src https: data:; object-src 'none'", "high", "script-src", "data:, https:"),
        ("script-src 'self'", "high", "object-src", "from anywhere"),
        ("script-src 'self'; object-src *", "high", "object-src", "any host"),
        ("script-src 'nonce-abc'; object-src 'none'", "medium", "base-uri", "defeats the nonces"),
        ("script-src 'nonce-abc'; object-src 'none'", "medium", "script-src", "is short (2 bytes)"),
        ("script-src 'strict-dynamic'; object-src 'none'", "high", "script-src", "without a nonce"),
        (
            "script-src http://cdn.example.com; object-src 'none'",
            "medium",
            "script-src",
            "plain-http",
        ),
        ("script-src 'self'; object-src 'none'; report-uri /r", "info", "report-uri", "report-to"),
        ("script-src 'self'; object-src 'none'", "info", "frame-ancestors", "clickjacking"),
        ("script-src https://cdn.example.com; object-src 'none'", "info", "script-src", "JSONP"),
        ("default-src 'self'; style-src 'unsafe-inline'", "info", "style-src", "inline styles"),
    ],
)
def test_each_weakness_is_found(policy: str, severity: str, directive: str, words: str) -> None:
    assert words in found(policy)[(severity, directive)]


def test_a_strong_nonce_policy_has_nothing_high_or_medium() -> None:
    nonce = "'nonce-" + "A" * 22 + "'"
    strong = found(
        f"script-src {nonce} 'strict-dynamic'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'"
    )
    assert strong == {}


def test_report_only_is_judged_but_said_to_enforce_nothing() -> None:
    notes = found("", report_only="script-src 'unsafe-inline'")
    assert "the report-only policy blocks nothing" in notes[("high", "(policy)")]
    assert ("high", "script-src") in notes
    assert "no Content-Security-Policy is enforced" in found("")[("high", "(policy)")]


@pytest.mark.parametrize("name", ["web", "api", "strict"])
def test_the_presets_have_no_high_weakness(name: str) -> None:
    policy = next(h.value for h in PRESETS[name].headers if h.name == "Content-Security-Policy")
    severities = {severity for severity, _ in found(policy)}
    assert "high" not in severities
    assert "medium" not in severities
