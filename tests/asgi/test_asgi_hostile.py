"""Hostile request headers sent to crossgate.asgi: CR/LF, bytes that are not latin-1 text,
megabyte values. Nothing crashes, and nothing from the request is written back unchecked."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossgate.asgi import CORSMiddleware
from crossgate.asgi._routes import MAX_CACHED_PATH, MAX_CACHED_PATHS, RouteTable
from crossgate.asgi._types import Message
from tests.asgi_support import ORIGIN, call, hello, http_scope, start_of

MEGABYTE = 1024 * 1024
POLICIES: dict[str, dict[str, Any]] = {
    "exact": {"origins": [ORIGIN]},
    "subdomains": {"origins": ["https://*.example.com"]},
    "any": {"origins": "*"},
}

HOSTILE_ORIGINS = [
    b"https://app.example.com\r\nSet-Cookie: a=b",
    b"https://\xff\xfe.example.com",
    b"https://a.example.com\x00",
    b"https://" + b"a" * MEGABYTE + b".example.com",
    "https://exämple.example.com".encode(),
]


def _lines(messages: list[Message]) -> list[bytes]:
    (start,) = [message for message in messages if message["type"] == "http.response.start"]
    return [name + b": " + value for name, value in start["headers"]]


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("origin", HOSTILE_ORIGINS, ids=["crlf", "bytes", "nul", "huge", "utf8"])
@pytest.mark.parametrize("method", ["GET", "OPTIONS"])
def test_a_hostile_origin_is_never_reflected(policy: str, origin: bytes, method: str) -> None:
    headers = [
        (b"origin", origin),
        (b"access-control-request-method", b"PUT"),
        (b"access-control-request-evil", origin),
    ]
    messages = call(CORSMiddleware(hello, **POLICIES[policy]), http_scope(method, "/", headers))
    status, lines = start_of(messages)
    if policy == "any":  # every origin may read: the answer is '*', nothing is echoed
        assert status == (204 if method == "OPTIONS" else 200)
        assert lines["access-control-allow-origin"] == ["*"]
    else:
        assert status == (403 if method == "OPTIONS" else 200)
        assert "access-control-allow-origin" not in lines
    assert not any(origin[8:20] in line for line in _lines(messages))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (b"access-control-request-method", b"PUT\r\nX-Evil: 1"),
        (b"access-control-request-method", b"\xff"),
        (b"access-control-request-method", b"P" * MEGABYTE),
        (b"access-control-request-headers", b"x-token\r\nx-evil: 1"),
        (b"access-control-request-headers", b"x-\xff"),
        (b"access-control-request-headers", b"x-a," * (MEGABYTE // 4)),
    ],
)
def test_a_hostile_preflight_is_refused_without_echo(
    name: bytes, value: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    headers = [(b"origin", ORIGIN.encode()), (b"access-control-request-method", b"PUT")]
    headers = [*[line for line in headers if line[0] != name], (name, value)]
    with caplog.at_level(logging.DEBUG, logger="crossgate"):
        messages = call(
            CORSMiddleware(hello, origins=[ORIGIN]), http_scope("OPTIONS", "/", headers)
        )
    status, lines = start_of(messages)
    assert status == 403
    assert "access-control-allow-origin" not in lines
    assert not any(b"evil" in line or b"\xff" in line for line in _lines(messages))
    (record,) = caplog.records
    logged = record.getMessage()
    assert "\r" not in logged
    assert "\n" not in logged
    assert len(logged) < 2000


@settings(max_examples=200, deadline=None)
@given(origin=st.binary(max_size=64), method=st.sampled_from(["GET", "OPTIONS"]))
def test_any_origin_bytes_are_answered_and_only_an_allowed_origin_is_echoed(
    origin: bytes, method: str
) -> None:
    headers = [(b"origin", origin), (b"access-control-request-method", b"GET")]
    messages = call(CORSMiddleware(hello, origins=[ORIGIN]), http_scope(method, "/", headers))
    status, lines = start_of(messages)
    allowed = origin == ORIGIN.encode()
    assert status == (
        204 if method == "OPTIONS" and allowed else 403 if method == "OPTIONS" else 200
    )
    assert lines.get("access-control-allow-origin", []) == ([ORIGIN] if allowed else [])


def test_the_route_table_stays_bounded_whatever_paths_are_sent() -> None:
    from starlette.routing import Route, Router

    router = Router(routes=[Route("/items/{id}", hello, methods=["PUT"])])
    table = RouteTable(router)
    for number in range(MAX_CACHED_PATHS + 500):
        assert table.resolve(http_scope("OPTIONS", f"/items/{number}")).methods == frozenset(
            {"PUT"}
        )
    assert table.resolve(http_scope("OPTIONS", "/items/" + "1" * MAX_CACHED_PATH)).found
    assert len(table._known) == MAX_CACHED_PATHS
    assert "/items/0" not in table._known  # the oldest went first
    assert f"/items/{MAX_CACHED_PATHS + 499}" in table._known
