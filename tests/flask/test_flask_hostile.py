"""Hostile requests: whatever a client sends, the app answers and never echoes it unchecked."""

from __future__ import annotations

import re

from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from crossgate.flask import CORS, cross_origin

ALLOWED = ("https://app.example.com", "http://localhost:3000")


def _check(origin: str) -> bool:
    if origin.endswith(".raises.example"):
        raise RuntimeError("a buggy origins callable")
    return origin.endswith(".callable.example")


def _make_app() -> Flask:
    app = Flask("hostile")
    CORS(
        app,
        origins=[*ALLOWED, "https://*.example.org", re.compile(r"https://[a-z]+\.regex\.example")],
        supports_credentials=True,
    )

    @app.route("/items/", methods=["GET", "PUT"])
    def items() -> str:
        return "items"

    @app.get("/callable")
    @cross_origin(origins=[_check])
    def callable_view() -> str:
        return "callable"

    return app


APP = _make_app()  # built once: hypothesis runs many examples against one app

header_values = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(max_codepoint=0xFF)),
    st.binary().map(lambda raw: raw.decode("latin-1")),
    st.sampled_from(ALLOWED).map(lambda origin: origin + "\r\nSet-Cookie: x=y"),
    st.builds(lambda n: "https://" + "a" * n + ".example.org", st.integers(0, 70000)),
    st.from_regex(
        r"https://[a-z.\-]{0,20}\.(example\.org|callable\.example|raises\.example)", fullmatch=True
    ),
)


def _assert_safe(response: TestResponse, origin: str) -> None:
    assert 200 <= response.status_code < 600
    for name, value in response.headers.items():
        assert "\r" not in value, name
        assert "\n" not in value, name
    acao = response.headers.getlist("Access-Control-Allow-Origin")
    assert acao in ([], [origin])
    if acao:
        assert re.fullmatch(r"https?://[a-z0-9.\-]+(:[0-9]+)?", origin), origin


@settings(max_examples=150, deadline=None)
@given(origin=header_values, path=st.sampled_from(["/items/", "/items", "/callable", "/missing"]))
def test_any_origin_on_an_actual_request(origin: str, path: str) -> None:
    response = APP.test_client().get(path, environ_overrides={"HTTP_ORIGIN": origin})
    _assert_safe(response, origin)


@settings(max_examples=150, deadline=None)
@given(
    origin=st.one_of(header_values, st.sampled_from(ALLOWED)),
    method=st.one_of(st.sampled_from(["PUT", "GET", "DELETE", "put"]), st.text(max_size=20)),
    request_headers=header_values,
    path=st.sampled_from(["/items/", "/items", "/callable", "/missing"]),
)
def test_any_preflight(origin: str, method: str, request_headers: str, path: str) -> None:
    response = APP.test_client().options(
        path,
        environ_overrides={
            "HTTP_ORIGIN": origin,
            "HTTP_ACCESS_CONTROL_REQUEST_METHOD": method,
            "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": request_headers,
        },
    )
    _assert_safe(response, origin)
    for name in ("Access-Control-Allow-Headers", "Access-Control-Allow-Methods"):
        value = response.headers.get(name, "")
        assert re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z\-, ]*", value), (name, value)
