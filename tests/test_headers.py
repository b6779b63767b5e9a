"""Tests for crossgate.headers: presets, validation, apply at the WSGI edge, merging, describe."""

from __future__ import annotations

import base64
import dataclasses
import doctest
import importlib
import pkgutil
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import crossgate.headers
from crossgate.errors import ConfigError, describe
from crossgate.headers import (
    HSTS,
    PRESETS,
    HeaderPolicy,
    HeaderSetting,
    compile_headers,
    make_nonce,
)

DOCS = Path(__file__).resolve().parent.parent / "docs" / "headers-presets.md"
NONCE = "bm9uY2Utbm9uY2Utbm9uY2U="


def applied(
    policy: HeaderPolicy,
    headers: list[tuple[str, str]] | None = None,
    *,
    secure: bool = True,
    cross_origin_allowed: bool = False,
    nonce: str | None = None,
) -> list[tuple[str, str]]:
    result = list(headers or [])
    policy.apply(result, secure=secure, cross_origin_allowed=cross_origin_allowed, nonce=nonce)
    return result


def values(headers: list[tuple[str, str]], name: str) -> list[str]:
    return [value for key, value in headers if key.lower() == name.lower()]


def directives(csp: str) -> dict[str, list[str]]:
    parsed = {}
    for part in csp.split(";"):
        words = part.split()
        parsed[words[0]] = words[1:]
    return parsed


def config_error(**options: Any) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        compile_headers(**options)
    return info.value


# Presets


def test_docstring_examples_hold() -> None:
    # The examples live in the package's modules, where the names they show are defined.
    modules = [
        importlib.import_module(f"crossgate.headers.{module.name}")
        for module in pkgutil.iter_modules(crossgate.headers.__path__)
    ]
    attempted = sum(doctest.testmod(m, raise_on_error=True).attempted for m in modules)
    assert attempted >= 2


def test_no_headers_unless_asked() -> None:
    policy = compile_headers()
    assert policy.names() == ()
    assert applied(policy, [("Content-Type", "text/html")]) == [("Content-Type", "text/html")]


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_sends_every_header_it_lists_on_https(name: str) -> None:
    preset = PRESETS[name]
    result = applied(compile_headers(preset=name))
    assert result == [(header.name, header.value) for header in preset.headers]


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_headers_have_reasons_and_the_default_hsts(name: str) -> None:
    preset = PRESETS[name]
    assert preset.name == name
    assert preset.summary
    assert all(header.reason for header in preset.headers)
    sent = {header.name: header.value for header in preset.headers}
    assert sent["Strict-Transport-Security"] == HSTS().value
    assert sent["X-Content-Type-Options"] == "nosniff"
    assert sent["Cross-Origin-Resource-Policy"] == "same-origin"


def test_presets_follow_the_references_where_they_differ() -> None:
    web = {h.name: h.value for h in PRESETS["web"].headers}
    api = {h.name: h.value for h in PRESETS["api"].headers}
    strict = {h.name: h.value for h in PRESETS["strict"].headers}
    # Flask-WTF checks the Referer on https form posts: no-referrer would break HTML apps.
    assert web["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert strict["Referrer-Policy"] == "same-origin"
    assert api["Referrer-Policy"] == "no-referrer"
    assert web["X-Frame-Options"] == "SAMEORIGIN"
    assert strict["X-Frame-Options"] == api["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in api["Content-Security-Policy"]
    assert strict["Cross-Origin-Embedder-Policy"] == "require-corp"
    assert strict["Cache-Control"] == "no-store"
    assert "X-XSS-Protection" not in web | api | strict


def test_presets_cannot_be_changed() -> None:
    with pytest.raises(TypeError):
        PRESETS["mine"] = PRESETS["web"]  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        PRESETS["web"].headers[0].value = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("given", "fix"),
    [
        ("wbe", "write 'web'"),
        ("API", "write 'api'"),
        ("stric", "write 'strict'"),
        ("owasp", "choose one of 'web', 'api', 'strict'"),
        (3, "choose one of 'web', 'api', 'strict'"),
    ],
)
def test_unknown_preset_names_the_closest(given: object, fix: str) -> None:
    error = config_error(preset=given)
    assert describe(given) in str(error)
    assert fix in str(error)
    if given == "owasp":
        assert "write" not in str(error)


def test_docs_list_every_preset_header_and_value() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for preset in PRESETS.values():
        section = text.split(f"### Preset `{preset.name}`\n", 1)[1].split("\n#", 1)[0]
        assert preset.summary in section
        for header in preset.headers:
            row = f"| `{header.name}` | `{header.value}` | {header.reason} |"
            assert row in section, header.name


# Validation: every problem names the value and the fix


HEADER_CASES = [
    ({"Bad Name": "x"}, "x", "use letters, digits and '-'"),
    ({"X-Frame-Options:": "DENY"}, "DENY", "write 'X-Frame-Options'"),
    ({1: "x"}, "x", "use letters, digits and '-'"),
    ({"X-Custom": "a\r\nSet-Cookie: x=1"}, "a\r\nSet-Cookie: x=1", "remove the control"),
    ({"X-Custom": "a\x00b"}, "a\x00b", "remove the control characters"),
    ({"X-Custom": "caf\u2603"}, "caf\u2603", "use ASCII"),
    ({"X-Custom": 5}, 5, "give the value as a str"),
    ({"X-Custom": "  "}, "  ", "None to remove an inherited header"),
    ({"X-XSS-Protection": "1; mode=block"}, "1; mode=block", "remove it (modern browsers ignore"),
    ({"Expect-CT": "max-age=86400"}, "max-age=86400", "Certificate Transparency is enforced"),
    ({"Feature-Policy": "camera 'none'"}, "camera 'none'", "use Permissions-Policy"),
    ({"Public-Key-Pins": "pin-sha256=x"}, "pin-sha256=x", "remove it"),
    ({"Access-Control-Allow-Origin": "*"}, "*", "CORS options"),
    ({"access-control-max-age": "600"}, "600", "origins="),
    (
        {"Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload"},
        "max-age=31536000; includeSubDomains; preload",
        "use hsts=HSTS(max_age=31536000, include_subdomains=True, preload=True)",
    ),
    ({"Strict-Transport-Security": "max-age=1y"}, "max-age=1y", "use hsts=HSTS(...)"),
    ({"Strict-Transport-Security": None}, None, "use hsts=False"),
    ({"Strict-Transport-Security": 31536000}, 31536000, "use hsts=HSTS(...)"),
    ({"Vary": "Origin Accept-Encoding"}, "Origin Accept-Encoding", "'Origin, Accept-Encoding'"),
    ({"Cache-Control": " , "}, " , ", "give at least one member"),
    (
        {"X-Frame-Options": "DENY", "x-frame-options": "SAMEORIGIN"},
        "SAMEORIGIN",
        "give each header once",
    ),
    ({"Content-Security-Policy": "default-src self"}, "self", "write \"'self'\""),
]
SERVER_MANAGED = [
    "Connection",
    "Keep-Alive",
    "Proxy-Connection",
    "Transfer-Encoding",
    "TE",
    "Trailer",
    "Upgrade",
    "Content-Length",
]


@pytest.mark.parametrize(("headers", "value", "fix"), HEADER_CASES)
def test_invalid_headers_are_refused_with_the_fix(
    headers: dict[Any, Any], value: object, fix: str
) -> None:
    message = str(config_error(headers=headers))
    # The line names the header in brackets and shows the value given under it.
    assert f"headers[{describe(list(headers)[-1])}]" in message
    assert f"]={describe(value)}: " in message
    assert fix in message


@pytest.mark.parametrize("name", SERVER_MANAGED)
def test_hop_by_hop_and_framing_headers_are_refused(name: str) -> None:
    message = str(config_error(headers={name: "x"}))
    assert f"headers[{describe(name)}]='x': " in message
    assert "hop-by-hop or framing" in message
    assert "Fix: remove it" in message


def test_headers_must_be_a_mapping() -> None:
    message = str(config_error(headers=[("X-Frame-Options", "DENY")]))
    assert "give a dict" in message


@pytest.mark.parametrize(
    "headers",
    [
        {"X-XSS-Protection": "0"},
        {"X-XSS-Protection": None},
        {"X-Custom": "caf\xe9"},
        {"X-Custom": "a\tb"},
        {"Vary": "*"},
        {"Vary": "Accept-Encoding, , Cookie"},
        {"Cache-Control": 'no-cache="Set-Cookie, X-Id", max-age=0'},
        {"Content-Security-Policy": "default-src 'self'; fenced-frame-src 'none'"},
        {"Content-Security-Policy-Report-Only": "default-src 'none'; some-future-src x"},
    ],
)
def test_legitimate_headers_are_accepted(headers: dict[str, str | None]) -> None:
    compile_headers(headers=headers)


HSTS_CASES = [
    (31536000, 31536000, "hsts=HSTS(max_age=...)"),
    (HSTS(max_age=-1), -1, "give a whole number of seconds"),
    (HSTS(max_age=True), True, "give a whole number of seconds"),
    (HSTS(max_age=86400, preload=True), 86400, "HSTS(max_age=31536000, ...)"),
    (
        HSTS(include_subdomains=False, preload=True),
        False,
        "HSTS(include_subdomains=True, preload=True)",
    ),
]


@pytest.mark.parametrize(("hsts", "value", "fix"), HSTS_CASES)
def test_invalid_hsts_is_refused_with_the_fix(hsts: Any, value: object, fix: str) -> None:
    message = str(config_error(hsts=hsts))
    assert f"={describe(value)}: " in message
    assert fix in message


def test_invalid_hsts_cannot_produce_a_value() -> None:
    with pytest.raises(ConfigError) as info:
        _ = HSTS(max_age=60, include_subdomains=False, preload=True).value
    assert len(info.value.problems) == 2


@pytest.mark.parametrize(
    ("hsts", "value"),
    [
        (HSTS(), "max-age=63072000; includeSubDomains"),
        (HSTS(max_age=0, include_subdomains=False), "max-age=0"),
        (HSTS(max_age=31536000, preload=True), "max-age=31536000; includeSubDomains; preload"),
    ],
)
def test_hsts_value(hsts: HSTS, value: str) -> None:
    assert hsts.value == value


CSP_CASES: list[tuple[dict[str, Any], object, str]] = [
    ({"csp": "default-src 'self', img-src *"}, "default-src 'self', img-src *", "remove the ','"),
    ({"csp": "default-src 'self'\r\nX: y"}, "default-src 'self'\r\nX: y", "remove the control"),
    ({"csp": "img-src b\u00fccher.example"}, "img-src b\u00fccher.example", "punycode"),
    ({"csp": {"img-src": "'self'; script-src *"}}, "'self'; script-src *", "its own key"),
    ({"csp": {"img-src": ["'self'", "data:,"]}}, "data:,", "remove the ','"),
    ({"csp": {"img-src": 5}}, 5, "a list of strings"),
    ({"csp": {"img-src": [5]}}, 5, "give sources as str"),
    ({"csp": {5: "'self'"}}, "'self'", "use a str key"),
    ({"csp": 5}, 5, "give a string"),
    ({"csp": ""}, "", "give at least one"),
    ({"csp": " ; "}, " ; ", "give at least one"),
    ({"csp": {}}, {}, "give at least one"),
    ({"csp": "Default-Src 'self'"}, "Default-Src 'self'", "write 'default-src'"),
    ({"csp": {"img_src": "'self'"}}, {"img_src": "'self'"}, "check the spelling"),
    ({"csp": "defualt-src 'self'"}, "defualt-src 'self'", "write 'default-src'"),
    (
        {"csp": "default-src 'self'; default-src *"},
        "default-src 'self'; default-src *",
        "merge the sources",
    ),
    ({"csp": {"script-src": ["self", "'unsafe-inline'"]}}, "self", "write \"'self'\""),
    ({"csp": "object-src none"}, "none", "write \"'none'\""),
    ({"csp_report_only": True}, True, "give csp="),
    ({"csp_report_to": "csp"}, "csp", "give csp="),
    ({"csp_nonce_directives": ["script-src"]}, ["script-src"], "give csp="),
    ({"csp": "default-src 'self'", "csp_report_to": "a b"}, "a b", "Reporting-Endpoints"),
    (
        {"csp": "default-src 'self'; report-to one", "csp_report_to": "two"},
        "two",
        "give the endpoint once",
    ),
    ({"csp": "default-src 'self'", "csp_nonce_directives": ["img-src"]}, "img-src", "'script-src'"),
    (
        {"csp": "default-src 'self'", "csp_nonce_directives": "script-src"},
        "script-src",
        "write csp_nonce_directives=['script-src']",
    ),
    ({"csp": "default-src 'self'", "csp_nonce_directives": 5}, 5, "give a list of str"),
    (
        {"csp": "img-src 'self'", "csp_nonce_directives": ["script-src"]},
        "script-src",
        "add 'script-src' to csp",
    ),
    (
        {"csp": "img-src 'self'", "csp_nonce_directives": ["default-src"]},
        "default-src",
        "add 'default-src' to csp",
    ),
    (
        {"csp": "default-src 'self'", "headers": {"Content-Security-Policy": "img-src *"}},
        "img-src *",
        "give the policy once",
    ),
    (
        {
            "preset": "web",
            "csp_report_only": True,
            "headers": {"Content-Security-Policy-Report-Only": "img-src *"},
        },
        "img-src *",
        "csp_report_only=True with the preset's policy",
    ),
]


@pytest.mark.parametrize(("options", "value", "fix"), CSP_CASES)
def test_invalid_csp_is_refused_with_the_fix(
    options: dict[str, Any], value: object, fix: str
) -> None:
    message = str(config_error(**options))
    assert f"={describe(value)}: " in message
    assert fix in message


OVERRIDE_CASES: list[tuple[dict[str, Any], object, str]] = [
    ({"preset": "web", "override": ["X-Frame-Option"]}, "X-Frame-Option", "'X-Frame-Options'"),
    ({"preset": "web", "override": ["X-Unrelated"]}, "X-Unrelated", "add the header to headers="),
    ({"override": ["X-Frame-Options"]}, "X-Frame-Options", "add the header to headers="),
    (
        {"headers": {"X-Frame-Options": None}, "override": ["X-Frame-Options"]},
        "X-Frame-Options",
        "add the header to headers=",
    ),
    ({"preset": "web", "override": [7]}, 7, "add the header to headers="),
    (
        {"preset": "web", "override": "X-Frame-Options"},
        "X-Frame-Options",
        "write override=['X-Frame-Options']",
    ),
]


@pytest.mark.parametrize(("options", "value", "fix"), OVERRIDE_CASES)
def test_override_names_a_header_of_the_policy(
    options: dict[str, Any], value: object, fix: str
) -> None:
    message = str(config_error(**options))
    assert f"override={describe(value)}: " in message
    assert fix in message


def test_every_problem_is_reported_at_once() -> None:
    error = config_error(
        preset="wbe",
        headers={"Connection": "close", "X-Custom": "a\nb", "Expect-CT": "x"},
        override=["X-Nope"],
        hsts=HSTS(max_age=10, preload=True),
        csp={"defualt-src": "self"},
        csp_nonce_directives=["img-src"],
        csp_report_to="a b",
        context="blueprint 'admin'",
    )
    options = [problem.option for problem in error.problems]
    assert options == [
        "preset",
        "headers['Connection']",
        "headers['X-Custom']",
        "headers['Expect-CT']",
        "hsts.max_age",
        "csp",
        "csp['defualt-src']",
        "csp_nonce_directives",
        "csp_report_to",
        "override",
    ]
    assert str(error).startswith("invalid crossgate configuration (blueprint 'admin'): 10 problems")
    assert "\n  - headers['X-Custom']='a\\nb'" in str(error)


# Apply: the response's own headers, list-valued headers, override


def test_apply_mutates_the_given_list() -> None:
    headers = [("Content-Type", "text/html")]
    same = headers
    compile_headers(headers={"X-Frame-Options": "DENY"}).apply(headers, secure=True)
    assert same is headers
    assert headers == [("Content-Type", "text/html"), ("X-Frame-Options", "DENY")]


def test_a_header_the_view_set_wins_whatever_its_case() -> None:
    policy = compile_headers(preset="web")
    result = applied(policy, [("x-frame-options", "DENY"), ("X-Frame-Options", "DENY")])
    assert values(result, "X-Frame-Options") == ["DENY", "DENY"]
    assert values(result, "Referrer-Policy") == ["strict-origin-when-cross-origin"]


def test_override_replaces_every_line_the_view_set() -> None:
    policy = compile_headers(headers={"X-Frame-Options": "DENY"}, override=["x-frame-options"])
    result = applied(
        policy,
        [("X-Frame-Options", "ALLOWALL"), ("Content-Type", "text/html"), ("x-frame-options", "x")],
    )
    assert result == [("Content-Type", "text/html"), ("X-Frame-Options", "DENY")]


def test_override_of_a_list_valued_header_replaces_it() -> None:
    policy = compile_headers(headers={"Cache-Control": "no-store"}, override=["Cache-Control"])
    result = applied(policy, [("Cache-Control", "public, max-age=600")])
    assert result == [("Cache-Control", "no-store")]


def test_vary_merges_into_the_first_line_without_duplicates() -> None:
    policy = compile_headers(headers={"Vary": "Origin, Accept-Encoding"})
    result = applied(
        policy,
        [
            ("vary", "Cookie"),
            ("Content-Type", "text/html"),
            ("VARY", "accept-encoding,  cookie,"),
        ],
    )
    assert result == [("vary", "Cookie, accept-encoding, Origin"), ("Content-Type", "text/html")]


def test_vary_star_absorbs_every_other_member() -> None:
    assert applied(compile_headers(headers={"Vary": "Origin"}), [("Vary", "*")]) == [("Vary", "*")]
    assert applied(compile_headers(headers={"Vary": "*"}), [("Vary", "Origin")]) == [("Vary", "*")]


def test_vary_absent_from_the_response_is_added() -> None:
    assert applied(compile_headers(headers={"Vary": "Origin"})) == [("Vary", "Origin")]


@pytest.mark.parametrize(
    ("configured", "sent"),
    [
        ("Origin,origin ,  Cookie,", "Origin, Cookie"),
        ("Origin, *", "*"),
    ],
)
def test_a_configured_vary_is_cleaned_up_like_a_merged_one(configured: str, sent: str) -> None:
    policy = compile_headers(headers={"Vary": configured})
    assert applied(policy) == [("Vary", sent)]
    assert policy.settings[0].value == sent


def test_cache_control_merges_by_directive_and_the_view_keeps_its_arguments() -> None:
    policy = compile_headers(headers={"Cache-Control": "no-store, max-age=0, private"})
    result = applied(policy, [("Cache-Control", 'MAX-AGE=600, private="Set-Cookie, X-Id"')])
    assert result == [("Cache-Control", 'MAX-AGE=600, private="Set-Cookie, X-Id", no-store')]


def test_merged_lines_drop_members_with_control_characters() -> None:
    policy = compile_headers(headers={"Vary": "Origin"})
    result = applied(policy, [("Vary", "Cookie, X\r\nSet-Cookie: a=b")])
    assert result == [("Vary", "Cookie, Origin")]


def test_hsts_only_on_secure_responses() -> None:
    policy = compile_headers(preset="api")
    assert "Strict-Transport-Security" not in dict(applied(policy, secure=False))
    secure = dict(applied(policy, secure=True))
    assert secure["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"


@pytest.mark.parametrize(
    ("hsts", "sent"),
    [
        (None, "max-age=63072000; includeSubDomains"),
        (True, "max-age=63072000; includeSubDomains"),
        (HSTS(max_age=600, include_subdomains=False), "max-age=600"),
        (False, None),
    ],
)
def test_hsts_option_replaces_or_removes_the_presets(hsts: HSTS | bool | None, sent: str) -> None:
    policy = compile_headers(preset="web", hsts=hsts)
    assert dict(applied(policy, secure=True)).get("Strict-Transport-Security") == sent
    assert "Strict-Transport-Security" not in dict(applied(policy, secure=False))


def test_hsts_without_a_preset() -> None:
    policy = compile_headers(hsts=HSTS(max_age=31536000, preload=True))
    assert applied(policy) == [
        ("Strict-Transport-Security", "max-age=31536000; includeSubDomains; preload")
    ]
    assert applied(policy, secure=False) == []


def test_upgrade_insecure_requests_only_on_secure_responses() -> None:
    policy = compile_headers(preset="strict")
    secure = dict(applied(policy, secure=True))["Content-Security-Policy"]
    plain = dict(applied(policy, secure=False))["Content-Security-Policy"]
    assert secure.endswith("; upgrade-insecure-requests")
    assert "upgrade-insecure-requests" not in plain
    assert plain == secure.removesuffix("; upgrade-insecure-requests")


def test_a_policy_of_only_upgrade_insecure_requests_is_not_sent_on_http() -> None:
    policy = compile_headers(csp={"upgrade-insecure-requests": ""})
    assert applied(policy) == [("Content-Security-Policy", "upgrade-insecure-requests")]
    assert applied(policy, secure=False) == []


def test_a_raw_csp_header_is_sent_verbatim() -> None:
    raw = "default-src 'self'; upgrade-insecure-requests"
    policy = compile_headers(preset="web", headers={"Content-Security-Policy": raw})
    assert dict(applied(policy, secure=False))["Content-Security-Policy"] == raw


def test_headers_none_removes_a_preset_header() -> None:
    policy = compile_headers(preset="web", headers={"X-Frame-Options": None})
    assert "X-Frame-Options" not in dict(applied(policy))
    assert "X-Frame-Options" not in policy.names()


# CORP and CORS


def test_preset_corp_relaxes_when_cors_lets_other_origins_read() -> None:
    policy = compile_headers(preset="api")
    assert dict(applied(policy))["Cross-Origin-Resource-Policy"] == "same-origin"
    relaxed = dict(applied(policy, cross_origin_allowed=True))
    assert relaxed["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert relaxed["X-Frame-Options"] == "DENY"


def test_an_explicit_corp_is_kept_as_given() -> None:
    policy = compile_headers(preset="api", headers={"Cross-Origin-Resource-Policy": "same-origin"})
    relaxed = dict(applied(policy, cross_origin_allowed=True))
    assert relaxed["Cross-Origin-Resource-Policy"] == "same-origin"


def test_corp_the_view_set_is_kept_on_cors_routes() -> None:
    policy = compile_headers(preset="api")
    result = applied(
        policy, [("Cross-Origin-Resource-Policy", "same-site")], cross_origin_allowed=True
    )
    assert values(result, "Cross-Origin-Resource-Policy") == ["same-site"]


def test_inherited_preset_corp_still_relaxes() -> None:
    policy = compile_headers(preset="web").merged_with(compile_headers(headers={"X-A": "1"}))
    relaxed = dict(applied(policy, cross_origin_allowed=True))
    assert relaxed["Cross-Origin-Resource-Policy"] == "cross-origin"


# CSP: report-only, report-to, nonces


def test_csp_from_a_dict_and_from_a_string_are_the_same() -> None:
    from_dict = compile_headers(
        csp={
            "default-src": "'self'",
            "img-src": ["'self'", "data:"],
            "upgrade-insecure-requests": [],
        }
    )
    from_text = compile_headers(
        csp="default-src  'self' ;img-src 'self' data:; upgrade-insecure-requests;"
    )
    expected = "default-src 'self'; img-src 'self' data:; upgrade-insecure-requests"
    assert applied(from_dict) == applied(from_text) == [("Content-Security-Policy", expected)]


def test_csp_replaces_the_presets_policy() -> None:
    policy = compile_headers(preset="web", csp="default-src 'none'")
    assert dict(applied(policy))["Content-Security-Policy"] == "default-src 'none'"
    assert [s.source for s in policy.settings if s.name == "Content-Security-Policy"] == ["csp"]


def test_report_only_sends_the_report_only_header_instead() -> None:
    policy = compile_headers(csp="default-src 'self'", csp_report_only=True)
    assert applied(policy) == [("Content-Security-Policy-Report-Only", "default-src 'self'")]


def test_report_only_turns_the_presets_policy_into_a_trial() -> None:
    policy = compile_headers(preset="api", csp_report_only=True)
    sent = dict(applied(policy))
    assert "Content-Security-Policy" not in sent
    assert (
        sent["Content-Security-Policy-Report-Only"] == "default-src 'none'; frame-ancestors 'none'"
    )


def test_report_only_csp_beside_an_enforced_raw_policy() -> None:
    policy = compile_headers(
        headers={"Content-Security-Policy": "default-src *"},
        csp="default-src 'self'",
        csp_report_only=True,
    )
    assert applied(policy) == [
        ("Content-Security-Policy", "default-src *"),
        ("Content-Security-Policy-Report-Only", "default-src 'self'"),
    ]


def test_report_to_is_appended_as_a_directive() -> None:
    policy = compile_headers(preset="strict", csp_report_to="csp-endpoint")
    secure = dict(applied(policy))["Content-Security-Policy"]
    plain = dict(applied(policy, secure=False))["Content-Security-Policy"]
    assert directives(secure)["report-to"] == ["csp-endpoint"]
    assert plain.endswith("; report-to csp-endpoint")


def test_nonce_goes_into_exactly_the_named_directives() -> None:
    policy = compile_headers(
        csp={"default-src": "'self'", "script-src": "'self'", "style-src": "'self'"},
        csp_nonce_directives=["script-src"],
    )
    sent = directives(dict(applied(policy, nonce=NONCE))["Content-Security-Policy"])
    assert sent == {
        "default-src": ["'self'"],
        "script-src": ["'self'", f"'nonce-{NONCE}'"],
        "style-src": ["'self'"],
    }


def test_a_nonce_directive_named_twice_gets_one_nonce() -> None:
    policy = compile_headers(csp="script-src 'self'", csp_nonce_directives=["script-src"] * 2)
    sent = dict(applied(policy, nonce=NONCE))["Content-Security-Policy"]
    assert sent == f"script-src 'self' 'nonce-{NONCE}'"


def test_without_a_nonce_the_policy_is_sent_as_configured() -> None:
    policy = compile_headers(csp="script-src 'self'", csp_nonce_directives=["script-src"])
    assert applied(policy) == [("Content-Security-Policy", "script-src 'self'")]


def test_nonce_directive_missing_from_the_policy_starts_from_default_src() -> None:
    policy = compile_headers(
        csp="default-src 'self' https://cdn.example",
        csp_nonce_directives=["script-src", "style-src"],
    )
    plain = directives(dict(applied(policy))["Content-Security-Policy"])
    assert plain["script-src"] == plain["style-src"] == ["'self'", "https://cdn.example"]
    nonced = directives(dict(applied(policy, nonce=NONCE))["Content-Security-Policy"])
    assert nonced["script-src"] == ["'self'", "https://cdn.example", f"'nonce-{NONCE}'"]
    assert nonced["default-src"] == ["'self'", "https://cdn.example"]


def test_nonce_replaces_none_instead_of_joining_it() -> None:
    policy = compile_headers(preset="api", csp_nonce_directives=["script-src"])
    plain = directives(dict(applied(policy))["Content-Security-Policy"])
    assert plain["script-src"] == ["'none'"]
    nonced = directives(dict(applied(policy, nonce=NONCE))["Content-Security-Policy"])
    assert nonced["script-src"] == [f"'nonce-{NONCE}'"]


def test_nonce_on_plain_http_keeps_upgrade_insecure_requests_off() -> None:
    policy = compile_headers(preset="web", csp_nonce_directives=["script-src"])
    sent = directives(dict(applied(policy, secure=False, nonce=NONCE))["Content-Security-Policy"])
    assert sent["script-src"] == ["'self'", f"'nonce-{NONCE}'"]
    assert "upgrade-insecure-requests" not in sent


def test_a_nonce_is_ignored_by_a_policy_without_nonce_directives() -> None:
    policy = compile_headers(preset="web")
    assert applied(policy, nonce=NONCE) == applied(policy)


@pytest.mark.parametrize("nonce", ["", "abc'; script-src *", "abc\r\nX: y", "a=b"])
def test_a_nonce_that_is_not_base64_is_refused(nonce: str) -> None:
    policy = compile_headers(csp="script-src 'self'", csp_nonce_directives=["script-src"])
    with pytest.raises(ValueError, match="make_nonce"):
        policy.apply([], secure=True, nonce=nonce)


def test_make_nonce_is_128_random_bits_in_base64() -> None:
    nonces = {make_nonce() for _ in range(20)}
    assert len(nonces) == 20
    for nonce in nonces:
        assert len(base64.b64decode(nonce, validate=True)) == 16


# Merging scopes: app > blueprint > view


def test_the_more_specific_scope_wins_header_by_header() -> None:
    app = compile_headers(preset="web", context="app")
    view = compile_headers(headers={"X-Frame-Options": "DENY"}, context="view 'embed'")
    sent = dict(applied(app.merged_with(view)))
    assert sent["X-Frame-Options"] == "DENY"
    assert sent["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert list(sent) == list(dict(applied(app)))


def test_none_removes_the_inherited_header_for_that_scope_only() -> None:
    app = compile_headers(preset="web")
    view = compile_headers(headers={"X-Frame-Options": None}, hsts=False)
    merged = app.merged_with(view)
    assert "X-Frame-Options" not in dict(applied(merged))
    assert "Strict-Transport-Security" not in dict(applied(merged))
    assert "X-Frame-Options" in dict(applied(app))


def test_a_removal_does_not_touch_the_header_the_view_set() -> None:
    merged = compile_headers(preset="web").merged_with(
        compile_headers(headers={"X-Frame-Options": None})
    )
    assert values(applied(merged, [("X-Frame-Options", "DENY")]), "X-Frame-Options") == ["DENY"]


def test_merging_is_associative() -> None:
    app = compile_headers(preset="strict", context="app")
    blueprint = compile_headers(headers={"X-Frame-Options": None, "Vary": "Cookie"}, context="bp")
    view = compile_headers(headers={"Cache-Control": None, "X-A": "1"}, context="view")
    left = app.merged_with(blueprint).merged_with(view)
    right = app.merged_with(blueprint.merged_with(view))
    assert left == right
    assert left.context == "app > bp > view"
    assert applied(left) == applied(right)
    assert "X-Frame-Options" not in left.names()


def test_a_more_specific_scope_can_restore_a_removed_header() -> None:
    app = compile_headers(preset="web")
    blueprint = compile_headers(headers={"X-Frame-Options": None})
    view = compile_headers(headers={"X-Frame-Options": "DENY"})
    assert dict(applied(app.merged_with(blueprint).merged_with(view)))["X-Frame-Options"] == "DENY"


def test_override_travels_with_the_winning_setting() -> None:
    app = compile_headers(headers={"X-Frame-Options": "DENY"}, override=["X-Frame-Options"])
    view = compile_headers(headers={"X-Frame-Options": "SAMEORIGIN"})
    response = [("X-Frame-Options", "ALLOWALL")]
    assert values(applied(app, response), "X-Frame-Options") == ["DENY"]
    assert values(applied(app.merged_with(view), response), "X-Frame-Options") == ["ALLOWALL"]


def test_merging_leaves_both_policies_unchanged() -> None:
    app = compile_headers(preset="api")
    before = applied(app)
    app.merged_with(compile_headers(headers={"X-Frame-Options": None}))
    assert applied(app) == before
    with pytest.raises(dataclasses.FrozenInstanceError):
        app.context = "x"  # type: ignore[misc]


# Describe


def test_describe_says_where_each_header_comes_from() -> None:
    app = compile_headers(preset="web", hsts=HSTS(max_age=600), context="app")
    view = compile_headers(
        headers={"X-Frame-Options": None, "X-Robots-Tag": "noindex"},
        csp="default-src 'self'",
        context="view",
    )
    settings = {s.name: s for s in app.merged_with(view).settings}
    assert settings["Referrer-Policy"].source == "preset:web"
    assert settings["Referrer-Policy"].context == "app"
    assert settings["Strict-Transport-Security"].source == "hsts"
    assert settings["Strict-Transport-Security"].http_value is None
    assert "600" in settings["Strict-Transport-Security"].reason
    assert settings["Content-Security-Policy"].source == "csp"
    assert settings["X-Robots-Tag"] == HeaderSetting(
        "X-Robots-Tag", "noindex", "noindex", "headers", "set in headers=", "view"
    )
    assert settings["X-Frame-Options"].value is None
    assert settings["Cross-Origin-Resource-Policy"].cross_origin_value == "cross-origin"
    assert all(s.reason for s in settings.values())
    assert "X-Frame-Options" not in app.merged_with(view).names()
    assert "X-Robots-Tag" in app.merged_with(view).names()


def test_describe_shows_override_and_nonce_directives() -> None:
    policy = compile_headers(
        preset="strict", override=["Cache-Control"], csp_nonce_directives=["script-src"]
    )
    settings = {s.name: s for s in policy.settings}
    assert settings["Cache-Control"].override
    assert not settings["X-Frame-Options"].override
    assert settings["Content-Security-Policy"].nonce_directives == ("script-src",)


# Properties

HEADER_NAMES = st.sampled_from(
    ["Vary", "vary", "Cache-Control", "X-Frame-Options", "Content-Type", "Content-Security-Policy"]
)
POLICIES = st.sampled_from(
    [
        compile_headers(preset="web", csp_nonce_directives=["script-src"]),
        compile_headers(preset="api", override=["X-Frame-Options"]),
        compile_headers(preset="strict", headers={"Vary": "Origin, Cookie"}),
        compile_headers(headers={"Cache-Control": "no-store"}, override=["Cache-Control"]),
    ]
)
NONCES = st.one_of(
    st.none(), st.binary(min_size=16, max_size=16).map(lambda b: base64.b64encode(b).decode())
)


@given(
    policy=POLICIES,
    response=st.lists(st.tuples(HEADER_NAMES, st.text(max_size=30)), max_size=6),
    secure=st.booleans(),
    cross_origin_allowed=st.booleans(),
    nonce=NONCES,
)
def test_apply_never_writes_a_control_character(
    policy: HeaderPolicy,
    response: list[tuple[str, str]],
    secure: bool,
    cross_origin_allowed: bool,
    nonce: str | None,
) -> None:
    result = applied(
        policy, response, secure=secure, cross_origin_allowed=cross_origin_allowed, nonce=nonce
    )
    for line in result:
        if line not in response:
            assert re.search(r"[\r\n\x00]", line[0] + line[1]) is None, line


VARY_MEMBERS = st.sampled_from(
    ["Origin", "origin", "Accept-Encoding", "ACCEPT-ENCODING", "Cookie", "Accept-Language", "*"]
)


@given(
    policy_members=st.lists(VARY_MEMBERS.filter(lambda m: m != "*"), min_size=1, max_size=4),
    lines=st.lists(st.lists(VARY_MEMBERS, max_size=4), max_size=3),
    other=st.booleans(),
)
def test_merging_vary_is_idempotent_and_duplicate_free(
    policy_members: list[str], lines: list[list[str]], other: bool
) -> None:
    policy = compile_headers(headers={"Vary": ", ".join(policy_members)})
    response = [("Vary", ", ".join(members)) for members in lines]
    if other:
        response.insert(0, ("Content-Type", "application/json"))
    once = applied(policy, response)
    assert applied(policy, once) == once
    (merged,) = values(once, "Vary")
    members = [member.strip().lower() for member in merged.split(",")]
    assert len(members) == len(set(members))
    expected = {m.lower() for m in policy_members} | {m.lower() for ms in lines for m in ms}
    assert set(members) == ({"*"} if "*" in expected else expected)
    assert len(once) == 1 + other
