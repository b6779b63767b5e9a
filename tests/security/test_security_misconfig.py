"""The misconfiguration classes of reference/security-cases.md, through a real Flask app, against
every way of writing "trust https://app.example.com", with and without credentials.

Target API: the app under test; trusted front end ``https://app.example.com``. An attack
succeeds when the attacker's Origin comes back in Access-Control-Allow-Origin (with
Access-Control-Allow-Credentials: the user's data), or when a hostile value reaches a header
or a log line raw.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any, cast

import pytest
from flask import Flask

from crossgate.errors import ConfigError
from crossgate.flask import CORS
from tests.security.security_model import APP, Answer, call_wsgi, make_environ

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"


def trusts_app(origin: str) -> bool:
    """The callable form: exactly the trusted front end."""
    return origin == APP


#: Every origin form, written to trust the front end, and what else it means to trust.
FORMS: dict[str, tuple[object, Callable[[str], bool]]] = {
    "exact": ([APP], lambda origin: origin == APP),
    "star": ("*", lambda origin: True),
    "subdomains": (
        ["https://*.example.com"],
        lambda origin: re.fullmatch(r"https://([a-z0-9-]+\.)+example\.com", origin) is not None,
    ),
    "port-wildcard": (
        ["https://app.example.com:*"],
        lambda origin: re.fullmatch(r"https://app\.example\.com(:[0-9]+)?", origin) is not None,
    ),
    "regex": ([re.compile(r"https://app\.example\.com")], lambda origin: origin == APP),
    "callable": ([trusts_app], lambda origin: origin == APP),
}

SPECIAL = [
    "_", "`", "%60", "{", "}", "!", "~", ";", "|", "&", "'", "(", ")", "*", ",", "$", "=", "+",
    "^", "%0b", "\x0b",
]  # fmt: skip
#: The attack origins of each class (security-cases.md, first column).
ATTACKS = {
    "reflects-any-origin": ["https://evil.com", "http://evil.com"],
    "null-trusted": ["null"],
    "prefix-match": ["https://app.example.com.evil.com"],
    "suffix-match": ["https://evilapp.example.com.evil.com", "https://evilexample.com"],
    "unescaped-dot": ["https://appxexample.com", "https://app-example.com"],
    "substring-match": ["https://example.co", "https://xample.com", "https://app.example.co"],
    "special-characters": [
        *(f"https://app.example.com{c}.evil.com" for c in SPECIAL),
        *(f"https://app.example.com{c}" for c in SPECIAL),
    ],
    "https-trusts-http": ["http://app.example.com"],
    "any-subdomain": ["https://evil.app.example.com"],
    "invalid-forms": ["https://app.example.com/", "https://APP.example.com", "*", ""],
    "oversize-non-ascii": [
        "https://" + "a" * 65536 + ".com",
        "https://ápp.example.com",
        "https://xn--pp-cia.example.com",
        "https://EXAMPLE.com",
    ],
    "header-injection": ["https://evil.com\r\nSet-Cookie: x=y", "https://app.example.com\n"],
}
CASES = [(kind, attack) for kind, attacks in ATTACKS.items() for attack in attacks]


def build(form: str, credentials: bool) -> Flask:
    app = Flask(f"misconfig_{form}")

    @app.route("/api/account", methods=["GET", "PUT", "DELETE"])
    def account() -> str:
        return "account"

    CORS(app, origins=cast(Any, FORMS[form][0]), supports_credentials=credentials)
    return app


def request(app: Flask, method: str, origin: str, **headers: str) -> Answer:
    named = {"Origin": origin, **{k.replace("_", "-"): v for k, v in headers.items()}}
    return call_wsgi(app, make_environ("/api/account", method, named, host="api.example.com"))


def assert_safe(answer: Answer, attack: str, intended: bool, credentials: bool) -> None:
    for name, value in answer.headers:
        assert "\r" not in value
        assert "\n" not in value, (name, value)
    origins = answer.get_all(ACAO)
    assert len(origins) <= 1, "two ACAO headers"
    if origins and origins[0] != "*":
        assert origins[0] == attack, "an ACAO for another origin"
        assert intended, f"{attack!r} was reflected"
        assert "Origin" in (answer.get("Vary") or "")
    if answer.get(ACAC) is not None:
        assert answer.get(ACAC) == "true"
        assert credentials
        assert origins
        assert origins != ["*"]


@pytest.mark.parametrize("credentials", [False, True], ids=["anonymous", "credentials"])
@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize(
    ("kind", "attack"), CASES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(CASES)]
)
def test_an_attack_origin_gets_the_safe_answer(
    form: str, credentials: bool, kind: str, attack: str
) -> None:
    if form == "star" and credentials:
        with pytest.raises(ConfigError, match=r"\*"):
            build(form, credentials)
        return
    app = build(form, credentials)
    intended = FORMS[form][1](attack) and attack.isascii() and attack.isprintable()
    actual = request(app, "GET", attack)
    assert actual.status == 200
    assert_safe(actual, attack, intended, credentials)
    probe = request(app, "OPTIONS", attack, Access_Control_Request_Method="PUT")
    assert probe.status in (204, 403)
    assert_safe(probe, attack, intended, credentials)
    if not intended and form != "star":
        assert probe.status == 403
    trusted = request(app, "GET", APP)
    assert trusted.get(ACAO) == ("*" if form == "star" else APP)


@pytest.mark.parametrize("credentials", [False, True], ids=["anonymous", "credentials"])
@pytest.mark.parametrize("form", sorted(set(FORMS) - {"star"}))
def test_every_answer_that_depends_on_origin_carries_vary(form: str, credentials: bool) -> None:
    app = build(form, credentials)
    for origin in (APP, "https://evil.com"):
        assert "Origin" in (request(app, "GET", origin).get("Vary") or "")
    plain = call_wsgi(app, make_environ("/api/account", "GET", {}, host="api.example.com"))
    assert "Origin" in (plain.get("Vary") or "")


@pytest.mark.parametrize("form", sorted(set(FORMS) - {"star"}))
@pytest.mark.parametrize(
    "requested", ["GET, DELETE", "delete", "PUT ", "put", "CONNECT", "TRACE", "G\r\nET", ""]
)
def test_the_requested_method_is_compared_exactly_and_never_echoed(
    form: str, requested: str
) -> None:
    app = build(form, credentials=True)
    answer = request(app, "OPTIONS", APP, Access_Control_Request_Method=requested)
    assert answer.status == 403
    allowed = answer.get("Access-Control-Allow-Methods") or ""
    assert requested not in allowed.split(", ") or not requested


@pytest.mark.parametrize(
    "requested_headers",
    ["," * 1_000_000, ",".join(f"x-h{i}" for i in range(10_000)), "x-a\r\nSet-Cookie: y=z"],
    ids=["commas", "ten-thousand-names", "injection"],
)
def test_a_header_list_flood_is_bounded_and_never_reflected(requested_headers: str) -> None:
    app = build("exact", credentials=True)
    started = time.perf_counter()
    answer = request(
        app,
        "OPTIONS",
        APP,
        Access_Control_Request_Method="PUT",
        Access_Control_Request_Headers=requested_headers,
    )
    assert time.perf_counter() - started < 2.0
    allowed = answer.get("Access-Control-Allow-Headers") or ""
    assert len(allowed) < 10_000
    assert "\n" not in allowed
    assert "Set-Cookie" not in allowed


def test_cr_lf_in_path_origin_and_request_headers_never_reaches_the_log_raw(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = build("exact", credentials=True)
    app.debug = True  # refusals are logged at WARNING
    environ = make_environ(
        "/api/account\r\nFORGED: path",
        "OPTIONS",
        {
            "Origin": "https://evil.com\r\nFORGED: origin",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "x-a\r\nFORGED: headers",
        },
        host="api.example.com",
    )
    with caplog.at_level(logging.DEBUG, logger="crossgate"):
        call_wsgi(app, environ)
        request(app, "GET", "https://evil.com\r\nFORGED: origin")
    for record in caplog.records:
        assert "\n" not in record.getMessage()
        assert "\r" not in record.getMessage()


@pytest.mark.parametrize(
    "path", ["/API/account", "/api/account/..", "/public/../api/account", "/api/%2e%2e/account"]
)
def test_path_tricks_get_the_policy_of_the_route_flask_dispatches_to(path: str) -> None:
    app = Flask("path_tricks")
    app.add_url_rule("/api/account", "account", lambda: "account")
    app.add_url_rule("/<path:anything>", "public", lambda anything: "public")
    CORS(
        app,
        origins="*",
        resources={
            "/api/*": {"origins": [APP], "supports_credentials": True},
            "/*": {"origins": "*"},
        },
    )
    answer = call_wsgi(app, make_environ(path, "GET", {"Origin": "https://evil.com"}))
    bare = Flask("path_tricks_bare")
    bare.add_url_rule("/api/account", "account", lambda: "account")
    bare.add_url_rule("/<path:anything>", "public", lambda anything: "public")
    routed_to_account = call_wsgi(bare, make_environ(path, "GET", {})).body == b"account"
    if routed_to_account:
        assert answer.get(ACAO) is None, "the account route got the public rule's answer"
    else:
        # Not the account route; a path under /api/ may still be held to the /api/* rule.
        assert answer.get(ACAO) in (None, "*")


def test_the_most_specific_rule_wins() -> None:
    app = Flask("rule_priority")
    app.add_url_rule("/api/admin/users", "users", lambda: "users")
    CORS(
        app,
        origins=[APP],
        resources={
            "/api/*": {"origins": "*"},
            "/api/admin/*": {"origins": [APP], "supports_credentials": True},
        },
    )
    answer = call_wsgi(app, make_environ("/api/admin/users", "GET", {"Origin": "https://e.com"}))
    assert answer.get(ACAO) is None


@pytest.mark.parametrize("configured", [False, True])
def test_private_network_access_is_allowed_only_when_configured(configured: bool) -> None:
    app = Flask("private_network")
    app.add_url_rule("/x", "x", lambda: "x", methods=["GET", "PUT"])
    CORS(app, origins=[APP], allow_private_network=configured)
    answer = call_wsgi(
        app,
        make_environ(
            "/x",
            "OPTIONS",
            {
                "Origin": APP,
                "Access-Control-Request-Method": "PUT",
                "Access-Control-Request-Private-Network": "true",
            },
        ),
    )
    granted = answer.get("Access-Control-Allow-Private-Network") == "true"
    assert granted is configured
