"""The catalogue of reasons: every refusal renders, in plain words, escaped and bounded."""

from __future__ import annotations

import pytest

from crossgate._reasons import CATALOGUE, Reason, chromium_console
from crossgate.errors import MAX_SHOWN

NO_ACAO = "No 'Access-Control-Allow-Origin' header is present on the requested resource."

# The facts each code is given by decide(), and words its message and fix must contain.
FACTS: dict[str, tuple[tuple[tuple[str, object], ...], str, str]] = {
    "origin-not-allowed": (
        (("origin", "https://evil.example"),),
        "origin 'https://evil.example' is not in the allowed origins",
        "add 'https://evil.example' to origins",
    ),
    "origin-null": ((), "origin 'null'", "allow_null_origin=True"),
    "origin-malformed": (
        (("origin", "https://EVIL.example"),),
        "the Origin header 'https://EVIL.example' is not a serialized origin",
        "the client is not a browser",
    ),
    "origin-check-failed": (
        (("origin", "https://a.example"), ("check", "tenants"), ("error", "returned 'no'")),
        "the origins callable 'tenants' did not answer True or False for origin "
        "'https://a.example' (it \"returned 'no'\")",
        "make 'tenants' return True or False",
    ),
    "method-invalid": (
        (("method", "GET, PUT"),),
        "Access-Control-Request-Method 'GET, PUT' is not a single method name",
        "browsers send exactly one method name",
    ),
    "method-not-allowed": (
        (("method", "PUT"), ("allowed", "GET")),
        "method 'PUT' is not allowed by the CORS policy (allowed: 'GET')",
        "add 'PUT' to methods",
    ),
    "method-not-routed": (
        (("method", "PATCH"), ("allowed", "GET, PUT")),
        "the route does not accept method 'PATCH' (it accepts: 'GET, PUT')",
        "add 'PATCH' to the route's methods",
    ),
    "headers-invalid": (
        (("headers", "a b"),),
        "Access-Control-Request-Headers 'a b' is not a list of header names",
        "browsers send lowercase names separated by commas",
    ),
    "headers-too-large": (
        (("size", 5000), ("limit", 4096)),
        "Access-Control-Request-Headers is 5000 bytes, more than the 4096 crossgate reads",
        "send fewer custom headers",
    ),
    "header-not-allowed": (
        (("header", "x-token"), ("allowed", "Content-Type")),
        "request header 'x-token' is not in allow_headers ('Content-Type')",
        "add 'x-token' to allow_headers",
    ),
    "route-not-covered": (
        (("path", "/items"),),
        "no CORS policy covers the route of '/items'",
        "CORS on its blueprint, or @cross_origin(...) on its view",
    ),
    "protection-cross-site": (
        (("action", "POST request"), ("origin", "https://evil.example"), ("site", "cross-site")),
        "a 'POST request' came from another site (Sec-Fetch-Site: 'cross-site', Origin: "
        "'https://evil.example') that is not trusted",
        "add 'https://evil.example' to trusted_origins",
    ),
    "protection-origin-not-host": (
        (("action", "PUT request"), ("origin", "https://evil.example"), ("host", "a.example")),
        "came from Origin 'https://evil.example', which is not the Host 'a.example'",
        "pass the original Host on (ProxyFix with x_host=1)",
    ),
    "protection-origin-null": (
        (("action", "WebSocket handshake"),),
        "a 'WebSocket handshake' came with Origin 'null'",
        "'null' can never be trusted",
    ),
}


def test_every_code_in_the_catalogue_is_tested() -> None:
    assert set(FACTS) == set(CATALOGUE)
    assert all(spec.code == code for code, spec in CATALOGUE.items())


@pytest.mark.parametrize("code", sorted(FACTS))
@pytest.mark.parametrize("preflight", [False, True])
def test_every_reason_renders_its_message_fix_and_browser_text(code: str, preflight: bool) -> None:
    facts, message, fix = FACTS[code]
    reason = Reason(code, facts, preflight)
    assert message in reason.message
    assert fix in reason.fix
    kind = "preflight" if preflight else "request"
    assert str(reason) == (
        f"[{code}] CORS {kind} refused: {reason.message}. Fix: {reason.fix}. "
        f"Browser console: {reason.chromium}"
    )
    assert reason.chromium == chromium_console(preflight=preflight)


def test_chromium_wording() -> None:
    assert chromium_console(preflight=False) == NO_ACAO
    assert chromium_console(preflight=True) == (
        "Response to preflight request doesn't pass access control check: " + NO_ACAO
    )


@pytest.mark.parametrize(
    "untrusted",
    [
        "https://evil.example\r\nSet-Cookie: session=stolen",
        "https://evil.example\n[origin-not-allowed] CORS request refused: forged",
        "https://bücher.example\u202e\x1b[31m",
        "https://evil.example/" + "x" * 1_000_000,
        "https://evil.example/{origin}{0}{",
    ],
    ids=["crlf", "forged-line", "non-ascii-and-escapes", "1MB", "format-braces"],
)
@pytest.mark.parametrize("code", sorted(code for code, (facts, _, _) in FACTS.items() if facts))
def test_untrusted_facts_are_escaped_and_truncated(untrusted: str, code: str) -> None:
    facts = tuple((name, untrusted) for name, _ in FACTS[code][0])
    rendered = str(Reason(code, facts, preflight=True))
    assert rendered.isascii()
    assert rendered.isprintable()
    assert len(rendered) < 2_000
    if len(untrusted) > MAX_SHOWN:
        assert "more characters)" in rendered


def test_a_reason_is_a_value() -> None:
    assert Reason("origin-null") == Reason("origin-null", (), False)
    assert hash(Reason("origin-null")) == hash(Reason("origin-null"))


def test_the_catalogue_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        CATALOGUE["origin-null"] = CATALOGUE["origin-not-allowed"]  # type: ignore[index]
