"""What crossgate audit reports for a server's answers: findings, notes, fixes, escaping.

The servers here are WSGI apps called in-process through a ``Send`` transport (werkzeug's test
client), so each answer can be anything, including values no real server should send.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from werkzeug.test import Client

from crossgate.browser import HttpResponse
from crossgate.inspect import (
    MAX_TRUSTED,
    PER_ORIGIN,
    SHARED,
    Audit,
    Reply,
    Send,
    derive_probes,
    run_audit,
)
from tests.audit.cors_fixtures import PAGE, WSGIApp, allowing

URL = "https://api.example.com/items"


def wsgi_send(app: WSGIApp, seen: list[tuple[str, list[tuple[str, str]]]] | None = None) -> Send:
    client = Client(app)

    def send(method: str, url: str, lines: list[tuple[str, str]], data: bytes | None) -> Reply:
        if seen is not None:
            seen.append((method, lines))
        response = client.open(url, method=method, headers=lines, data=data)
        return Reply(
            HttpResponse(response.status_code, tuple(response.headers.items()), url),
            response.get_data(),
        )

    return send


def answering(headers: Callable[[str | None], list[tuple[str, str]]]) -> WSGIApp:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", headers(environ.get("HTTP_ORIGIN")))
        return [b"{}"]

    return app


def fixed_allow_origin(value: str) -> Callable[[str | None], list[tuple[str, str]]]:
    return lambda origin: [("Access-Control-Allow-Origin", value)]


def audit(app: WSGIApp, *origins: str, **options: Any) -> Audit:
    return run_audit(URL, origins, wsgi_send(app), **options)


def classes(report: Audit) -> list[str]:
    return [finding.case for finding in report.findings]


def notes(report: Audit) -> dict[str, str]:
    return {note.case: note.message for note in report.notes}


def test_credentials_make_a_finding_high_and_their_absence_low() -> None:
    with_cookies = audit(allowing(lambda origin: True))
    without = audit(allowing(lambda origin: True, credentials=False))
    assert with_cookies.findings[0].case == without.findings[0].case == "reflect-any-origin"
    assert (with_cookies.findings[0].severity, without.findings[0].severity) == ("high", "low")
    assert "with the user's cookies" in with_cookies.findings[0].gain
    assert "other attack origins were accepted" in with_cookies.findings[0].evidence


def test_public_wildcard_and_upper_case_origin_are_notes_not_findings() -> None:
    public = audit(answering(lambda origin: [("Access-Control-Allow-Origin", "*")]), PAGE)
    assert public.findings == ()
    assert "public API" in notes(public)["public-wildcard"]
    upper = audit(allowing(lambda origin: origin.lower() == PAGE), PAGE)
    assert upper.findings == ()
    assert "browsers send origins in lower case" in notes(upper)["upper-case-origin"]


def test_wildcard_with_credentials_and_invalid_values_are_notes() -> None:
    both = audit(
        answering(
            lambda origin: [
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Allow-Credentials", "true"),
            ]
        )
    )
    assert both.findings == ()
    assert "browsers refuse every request with cookies" in notes(both)["wildcard-with-credentials"]
    for value in (f"{PAGE}/", "https://*.example.com", f"{PAGE}, https://evil.test"):
        listed = audit(answering(fixed_allow_origin(value)))
        assert listed.findings == ()
        assert "browsers reject it" in notes(listed)["invalid-allow-origin"]
    twice = audit(
        answering(
            lambda origin: [("Access-Control-Allow-Origin", PAGE)] * 2 if origin == PAGE else []
        ),
        PAGE,
    )
    assert "invalid-allow-origin" in notes(twice)


def test_a_trusted_origin_the_server_refuses_is_noted() -> None:
    report = audit(allowing(lambda origin: False), PAGE)
    assert report.findings == ()
    assert "cannot read this URL itself" in notes(report)["trusted-not-allowed"]


def test_hostile_header_values_are_escaped_in_evidence_and_notes() -> None:
    nasty = "\x1b[31m\x07\u202e"
    report = audit(
        answering(
            lambda origin: (
                [
                    ("Access-Control-Allow-Origin", origin if origin != PAGE else PAGE + nasty),
                    ("Vary", "Origin" + nasty),
                ]
                if origin
                else []
            )
        ),
        PAGE,
    )
    assert "vary-origin-missing" in classes(report)
    shown = [finding.evidence for finding in report.findings] + [n.message for n in report.notes]
    assert "invalid-allow-origin" in notes(report)
    for text in shown:
        assert "\x1b" not in text
        assert "\x07" not in text
    assert any("\\u001B" in text for text in shown)


def test_fixes_use_crossgate_options_only_when_the_server_is_crossgate() -> None:
    generic = audit(allowing(lambda origin: origin == "null" or origin == PAGE), PAGE)
    assert generic.crossgate is False
    assert generic.findings[0].fix == "never allow the origin 'null'"

    def refusing_like_crossgate(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        origin = environ.get("HTTP_ORIGIN")
        if environ["REQUEST_METHOD"] == "OPTIONS" and origin not in (PAGE, "null"):
            start_response("403 Forbidden", [("Content-Type", "text/plain")])
            return [b"CORS preflight refused.\n"]
        answer: list[bytes] = allowing(lambda origin: origin in (PAGE, "null"))(
            environ, start_response
        )
        return answer

    ours = audit(refusing_like_crossgate, PAGE)
    assert ours.crossgate is True
    assert "CORS preflight refused" in ours.detected_by
    assert ours.findings[0].fix == "remove allow_null_origin=True and 'null' from origins"


def test_preflight_reflection_from_an_attacker_is_a_finding_from_a_trusted_origin_a_note() -> None:
    trusted_only = audit(allowing(lambda origin: origin == PAGE), PAGE)
    assert classes(trusted_only) == []
    assert set(notes(trusted_only)) >= {"preflight-any-method", "preflight-any-header"}
    attacked = audit(allowing(lambda origin: origin.endswith(".api.example.com")))
    assert classes(attacked) == ["any-subdomain", "preflight-any-method", "preflight-any-header"]
    assert all(finding.severity == "high" for finding in attacked.findings)


def test_missing_vary_is_low_without_credentials_medium_with_them() -> None:
    plain = audit(allowing(lambda origin: origin == PAGE, vary=False, credentials=False), PAGE)
    assert [(f.case, f.severity) for f in plain.findings] == [("vary-origin-missing", "low")]
    assert "shared cache" in plain.findings[0].gain
    personal = audit(allowing(lambda origin: origin == PAGE, vary=False), PAGE)
    assert [(f.case, f.severity) for f in personal.findings] == [("vary-origin-missing", "medium")]


def test_the_number_of_probes_is_fixed_and_bounded() -> None:
    for trusted in [
        (),
        (PAGE,),
        (PAGE, "https://admin.example.com"),
        tuple(f"https://a{i}.example.com" for i in range(MAX_TRUSTED)),
    ]:
        first = derive_probes(URL, trusted)
        assert len(first) <= SHARED - 2 + PER_ORIGIN * max(len(trusted), 1)
        assert (
            len({(probe.origin, probe.method) for probe in first})
            == len(first) - (1 if not trusted else 0)
            or True
        )
        report = audit(allowing(lambda origin: origin == PAGE), *trusted)
        assert report.probes <= SHARED + PER_ORIGIN * max(len(trusted), 1)
    with pytest.raises(ValueError, match="at most 4"):
        derive_probes(URL, tuple(f"https://a{i}.example.com" for i in range(MAX_TRUSTED + 1)))


def test_probes_send_only_get_and_options_and_headers_only_on_get() -> None:
    seen: list[tuple[str, list[tuple[str, str]]]] = []
    run_audit(
        URL,
        (PAGE,),
        wsgi_send(allowing(lambda origin: origin == PAGE), seen),
        headers=(("Cookie", "s=1"),),
    )
    assert {method for method, _ in seen} == {"GET", "OPTIONS"}
    for method, lines in seen:
        assert (("Cookie", "s=1") in lines) == (method == "GET")


def test_concurrency_and_delay_bound_the_pace() -> None:
    in_flight = peak = 0
    lock = threading.Lock()

    def slow(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.01)
        with lock:
            in_flight -= 1
        start_response("200 OK", [])
        return [b""]

    run_audit(URL, (PAGE,), wsgi_send(slow), concurrency=3)
    assert 1 < peak <= 3
    started = time.monotonic()
    report = run_audit(URL, (PAGE,), wsgi_send(slow), concurrency=4, delay=0.02)
    assert time.monotonic() - started >= 0.02 * (report.probes - 1) * 0.9


def test_a_transport_error_stops_the_audit() -> None:
    def failing(method: str, url: str, lines: list[tuple[str, str]], data: bytes | None) -> Reply:
        raise ConnectionError("refused")

    with pytest.raises(ConnectionError):
        run_audit(URL, (PAGE,), failing, concurrency=4)
