"""Every ``headers=`` problem shows the value the user gave under the header, never the
header's name in its place (``headers['Content-Length']='Content-Length'`` was printed).

Checked through each front door that takes the option: ``crossgate.headers.compile_headers``,
``crossgate.flask.Headers`` and ``crossgate.asgi.HeadersMiddleware``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from crossgate.asgi import HeadersMiddleware
from crossgate.errors import ConfigError, Problem, describe
from crossgate.flask import Headers
from crossgate.headers import compile_headers
from tests.asgi_support import hello


def _flask(**options: Any) -> object:
    return Headers(Flask(__name__), **options)


def _asgi(**options: Any) -> object:
    return HeadersMiddleware(hello, **options)


FRONT_DOORS: list[Callable[..., object]] = [compile_headers, _flask, _asgi]

# (what wrong, the header's name, the value given under it): one row per kind of problem a
# `headers=` entry can have.
ERROR_KINDS: list[tuple[str, object, object]] = [
    ("not a token", "X Frame Options", "DENY"),
    ("colon in the name", "X-Frame-Options:", "DENY"),
    ("name not a string", 7, "DENY"),
    ("framing header", "Content-Length", "10"),
    ("hop-by-hop header", "Connection", "close"),
    ("CORS header", "Access-Control-Allow-Origin", "*"),
    ("deprecated header", "Feature-Policy", "camera 'none'"),
    ("deprecated, removed", "Expect-CT", None),
    ("XSS filter on", "X-XSS-Protection", "1; mode=block"),
    ("raw HSTS", "Strict-Transport-Security", "max-age=60"),
    ("value not a string", "X-Frame-Options", 5),
    ("empty value", "X-Frame-Options", "  "),
    ("control character", "X-Frame-Options", "DENY\r\nX-Evil: 1"),
    ("outside Latin-1", "X-Custom", "caf\u2603"),
    ("empty list", "Cache-Control", " , "),
    ("Vary not names", "Vary", "Origin Accept-Encoding"),
    ("CSP with a comma", "Content-Security-Policy", "default-src 'self', img-src *"),
    ("CSP misspelt", "Content-Security-Policy", "defualt-src 'self'"),
    ("CSP not lowercase", "Content-Security-Policy", "Default-Src 'self'"),
    ("CSP bad directive", "Content-Security-Policy", "img_src 'self'"),
    ("CSP given twice", "Content-Security-Policy", "img-src 'self'; img-src *"),
]


def _problems(front_door: Callable[..., object], **options: Any) -> tuple[Problem, ...]:
    with pytest.raises(ConfigError) as raised:
        front_door(**options)
    return raised.value.problems


@pytest.mark.parametrize("front_door", FRONT_DOORS, ids=["core", "flask", "asgi"])
@pytest.mark.parametrize(("kind", "name", "value"), ERROR_KINDS, ids=[k[0] for k in ERROR_KINDS])
def test_each_problem_shows_the_value_given_under_the_header(
    front_door: Callable[..., object], kind: str, name: object, value: object
) -> None:
    (problem,) = _problems(front_door, headers={name: value})
    assert problem.option == f"headers[{describe(name)}]"
    assert problem.value == value
    line = str(problem)
    assert line.startswith(f"headers[{describe(name)}]={describe(value)}: ")
    assert f"={describe(name)}:" not in line


def test_a_repeated_header_shows_the_repeated_value() -> None:
    (problem,) = _problems(
        compile_headers, headers={"X-Frame-Options": "DENY", "x-frame-options": "SAMEORIGIN"}
    )
    assert str(problem).startswith("headers['x-frame-options']='SAMEORIGIN': repeats")


# Names each refused for their own sake, whatever the value under them.
_REFUSED_NAMES = st.sampled_from(
    [
        "Content-Length",
        "Transfer-Encoding",
        "Upgrade",
        "Access-Control-Max-Age",
        "access-control-expose-headers",
        "Public-Key-Pins",
        "Feature-Policy",
        "Bad Name",
        "X-Id:",
        "X\u00e9",
    ]
)


@given(name=_REFUSED_NAMES, value=st.text(max_size=30) | st.none() | st.integers())
def test_a_refused_name_never_takes_the_place_of_the_value(name: str, value: object) -> None:
    with pytest.raises(ConfigError) as raised:
        compile_headers(headers={name: value})  # type: ignore[dict-item]
    (problem,) = raised.value.problems
    assert problem.value == value
    assert str(problem).startswith(f"headers[{describe(name)}]={describe(value)}: ")
