"""The Starlette drop-in says each thing once: one ``StarletteCompatWarning`` pointing at the
user's line and one log record, with the fix; a loose ``allow_origin_regex`` with credentials
gets the safe reading of ``'*'`` with credentials (it was two warnings, the second refusing
the consent the first advised, and the regex silently dropped)."""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from starlette.middleware.cors import CORSMiddleware as StarletteCORS

from crossgate.compat.starlette import CORSMiddleware, StarletteCompatWarning
from tests.asgi_support import ORIGIN, client, hello, preflight_headers

LOGGER = "crossgate.compat.starlette"
LISTED = "https://partner.example.net"

# (the loose regex, a site of a domain it does not name, a site it is meant for, the fix)
LOOSE = [
    (r"https://.*example\.com", "https://xexample.com", "https://app.example.com", "(?:.*\\.)?"),
    (r"https://app.example.com", "https://appxexample.com", "https://app.example.com", "app\\."),
    (r"https://[a-z]+\.github\.io", "https://x.github.io", "https://me.github.io", "name your"),
]


def _acao(app: Any, origin: str) -> tuple[str | None, str | None]:
    headers = client(app).get("/", headers={"Origin": origin}).headers
    return (
        headers.get("access-control-allow-origin"),
        headers.get("access-control-allow-credentials"),
    )


def _construct(
    caplog: pytest.LogCaptureFixture, build: Callable[[], Any]
) -> tuple[Any, list[warnings.WarningMessage], list[str]]:
    """*build*'s middleware, the warnings it gave and the records it logged."""
    caplog.clear()
    with (
        warnings.catch_warnings(record=True) as caught,
        caplog.at_level(logging.WARNING, logger=LOGGER),
    ):
        warnings.simplefilter("always")
        app = build()
    logged = [record.getMessage() for record in caplog.records if record.name == LOGGER]
    return app, caught, logged


@pytest.mark.parametrize(("regex", "attack", "meant", "fix"), LOOSE)
def test_a_loose_credentialed_regex_is_one_warning_with_the_fix(
    caplog: pytest.LogCaptureFixture, regex: str, attack: str, meant: str, fix: str
) -> None:
    app, caught, logged = _construct(
        caplog,
        lambda: CORSMiddleware(
            hello, allow_origins=[LISTED], allow_origin_regex=regex, allow_credentials=True
        ),
    )
    assert len(caught) == 1
    (warning,) = caught
    assert warning.category is StarletteCompatWarning
    assert warning.filename == __file__  # the user's line, not crossgate's
    message = str(warning.message)
    assert logged == [message]
    assert f"allow_origin_regex={regex!r} with allow_credentials=True" in message
    assert f"would let {attack!r}, a site anyone can register" in message
    assert fix in message
    assert "unsafe_any_origin_with_credentials=True" in message
    assert "allow_regex_wildcards=True if" not in message  # no consent that is then refused
    # The safe reading: the regex's sites read without the user's cookies, the listed origin
    # with them; Starlette's own answer gives the attacker's site the cookies.
    assert _acao(app, meant) == (meant, None)
    assert _acao(app, attack) == (attack, None)
    assert _acao(app, LISTED) == (LISTED, "true")
    theirs = StarletteCORS(hello, allow_origin_regex=regex, allow_credentials=True)
    assert _acao(theirs, attack) == (attack, "true")
    preflight = client(app).options("/", headers=preflight_headers("GET", origin=meant))
    assert preflight.status_code == 200
    assert "access-control-allow-credentials" not in preflight.headers


@pytest.mark.parametrize(("regex", "attack", "meant", "fix"), LOOSE)
def test_the_keyword_keeps_starlettes_answer_to_a_loose_regex_logged_once(
    caplog: pytest.LogCaptureFixture, regex: str, attack: str, meant: str, fix: str
) -> None:
    app, caught, logged = _construct(
        caplog,
        lambda: CORSMiddleware(
            hello,
            allow_origin_regex=regex,
            allow_credentials=True,
            unsafe_any_origin_with_credentials=True,
        ),
    )
    assert caught == []
    (line,) = logged
    assert "lets sites nobody listed read responses made with the user's cookies" in line
    assert _acao(app, attack) == (attack, "true")


class Subclass(CORSMiddleware):
    """A subclass overriding is_allowed_origin: its options are read twice."""

    def is_allowed_origin(self, origin: str) -> bool:
        return origin == "http://localhost:5173" or super().is_allowed_origin(origin)


CONFIGURATIONS: list[dict[str, Any]] = [
    {"allow_origins": ["*"], "allow_credentials": True},
    {"allow_origin_regex": r"https?://.+", "allow_credentials": True},
    {"allow_origin_regex": r"https://.*example\.com", "allow_credentials": True},
    {"allow_origin_regex": r"https://.*\.example.org"},
    {
        "allow_origins": ["null", "localhost:3000", "http://api.example.com"],
        "allow_credentials": True,
    },
    {
        "allow_origins": [ORIGIN],
        "allow_methods": ["TRACE", "CONNECT"],
        "expose_headers": ["Set-Cookie"],
    },
]


@pytest.mark.parametrize("middleware", [CORSMiddleware, Subclass])
@pytest.mark.parametrize("options", CONFIGURATIONS)
def test_no_warning_is_given_twice(
    caplog: pytest.LogCaptureFixture, middleware: type[CORSMiddleware], options: dict[str, Any]
) -> None:
    _, caught, logged = _construct(caplog, lambda: middleware(hello, **options))
    messages = [str(warning.message) for warning in caught]
    assert messages
    assert len(set(messages)) == len(messages)
    assert logged == messages
    assert all(warning.filename == __file__ for warning in caught)


def test_a_subclass_warns_as_the_class_does(caplog: pytest.LogCaptureFixture) -> None:
    options: dict[str, Any] = {
        "allow_origin_regex": r"https://.*example\.com",
        "allow_credentials": True,
    }
    _, plain, _ = _construct(caplog, lambda: CORSMiddleware(hello, **options))
    app, sub, logged = _construct(caplog, lambda: Subclass(hello, **options))
    assert [str(w.message) for w in sub] == [str(w.message) for w in plain] == logged
    # The override decides, with credentials, as a callable in origins would.
    assert _acao(app, "http://localhost:5173") == ("http://localhost:5173", "true")
    assert re.search(r"\(\?:\.\*\\\.\)\?example", str(sub[0].message))
