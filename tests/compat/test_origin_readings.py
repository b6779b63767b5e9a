"""Regex-looking origin strings read as their authors meant them, and the warnings (with fixes
proven under full match) where the full match refuses what flask-cors's prefix match admitted."""

from __future__ import annotations

import logging
import re

import flask_cors
import pytest
from flask import Flask

import crossgate.compat.flask_cors as compat
from crossgate.compat.flask_cors import FlaskCorsCompatWarning

ACAO = "Access-Control-Allow-Origin"


def make_app(cors: object, **options: object) -> Flask:
    app = Flask("readings")
    app.add_url_rule("/x", "x", lambda: "x")
    cors.CORS(app, **options)  # type: ignore[attr-defined]
    return app


def allowed(app: Flask, origin: str) -> bool:
    return app.test_client().get("/x", headers={"Origin": origin}).headers.get(ACAO) == origin


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_a_port_wildcard_admits_every_port_of_its_host_only(
    host: str, caplog: pytest.LogCaptureFixture
) -> None:
    written = f"http://{host}:*"
    with caplog.at_level(logging.INFO, "flask_cors.core"):
        app = make_app(compat, origins=[written])  # -W error: a note, not a warning
    original = make_app(flask_cors, origins=[written])
    for origin in (f"http://{host}:5000", f"http://{host}:3000", f"http://{host}"):
        assert allowed(app, origin), origin
        assert allowed(original, origin), origin
    # flask-cors's prefix reading admitted another host; the port wildcard does not.
    attack = f"http://{host}.evil.example"
    assert allowed(original, attack)
    assert not allowed(app, attack)
    assert not allowed(app, f"https://{host}:5000")
    [record] = caplog.records
    assert record.levelno == logging.INFO
    assert f"{written!r} is read as a port wildcard" in record.getMessage()
    assert repr(attack) in record.getMessage()


def test_a_subdomain_pattern_admits_subdomains_and_not_lookalikes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, "flask_cors.core"):
        app = make_app(compat, origins="https://*.example.com")
    original = make_app(flask_cors, origins="https://*.example.com")
    assert allowed(app, "https://shop.example.com")
    assert allowed(app, "https://a.b.example.com")
    assert not allowed(original, "https://shop.example.com")  # flask-cors: no subdomain
    for lookalike in ("https://xexample.com", "https://example.com", "http://shop.example.com"):
        assert not allowed(app, lookalike), lookalike
    assert allowed(original, "https://xexample.com")
    [record] = caplog.records
    assert "is read as a subdomain pattern" in record.getMessage()
    assert "admitted no subdomain" in record.getMessage()


def test_each_reading_is_noted_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, "flask_cors.core"):
        make_app(
            compat,
            origins=["http://localhost:*"],
            resources={"/a": {}, "/b": {}, "/c": {}},
        )
    assert len(caplog.records) == 1


#: Regexes whose full match refuses an origin of a host they admit that flask-cors admitted,
#: with an origin each is meant for.
PREFIX_READ = [
    (r"http://(localhost|127\.0\.0\.1):*", "http://127.0.0.1:5173"),
    (r"https://app\.example\.com", "https://app.example.com:8443"),
    (r"https://.*\.example\.com", "https://shop.example.com:8443"),
    (r"https?://(www\.)?example\.org", "http://www.example.org:8080"),
    (r"http://localhost:3\d\d", "http://localhost:3000"),
]


@pytest.mark.parametrize(("regex", "meant"), PREFIX_READ)
def test_a_narrowed_regex_warns_with_a_fix_that_holds_under_full_match(
    regex: str, meant: str
) -> None:
    with pytest.warns(FlaskCorsCompatWarning, match="is matched against the whole origin") as seen:
        app = make_app(compat, origins=regex)
    original = make_app(flask_cors, origins=regex)
    message = str(seen[0].message)
    named = re.search(r"but not '([^']+)', which flask-cors admitted", message)
    assert named is not None, message
    # The origin named is one flask-cors admitted and the full match refuses.
    assert allowed(original, named[1])
    assert not allowed(app, named[1])
    fix = re.search(r"write r'(.+)'$", message)
    assert fix is not None, message
    fixed = make_app(compat, origins=fix[1])
    # The fix admits what the regex admitted, the origin named and the one the author meant ...
    admitted = re.search(r"it admits '([^']+)'", message)
    assert admitted is not None
    for origin in (admitted[1], named[1], meant):
        assert allowed(fixed, origin), (fix[1], origin)
    # ... and refuses the other hosts that the prefix reading let in.
    host = meant.split("://")[1].split(":")[0]
    for attack in (f"http://{host}.evil.example", f"https://{host}.evil.example:8443"):
        assert not allowed(fixed, attack), (fix[1], attack)


def test_a_compiled_regex_gets_its_fix_as_a_compile_call() -> None:
    with pytest.warns(FlaskCorsCompatWarning, match=re.escape("write re.compile(r")) as seen:
        make_app(compat, origins=[re.compile(r"https://app\.example\.com")])
    assert "(?::[0-9]+)?" in str(seen[0].message)


@pytest.mark.parametrize(
    "regex",
    [
        r"https://app\.example\.com$",
        r"https?://localhost:\d+",
        r"https://app\.example\.com(:\d+)?",
        r"https://.*",
    ],
)
def test_a_regex_both_readings_agree_on_draws_no_warning(regex: str) -> None:
    make_app(compat, origins=regex)  # -W error: any warning fails
