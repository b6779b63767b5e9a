"""The Starlette drop-in starts wherever Starlette starts (the safe reading of any origin with
credentials, the keyword that keeps Starlette's answer), its subclasses work as Starlette's do,
and where it is not unsafe it answers as the installed Starlette does, header for header."""

from __future__ import annotations

import inspect
import logging
import re
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware as StarletteCORS

from crossgate.compat.starlette import CORSMiddleware, StarletteCompatWarning
from tests.asgi_support import ORIGIN, OTHER, client, hello, preflight_headers

FIX = "allow_origins=['https://app.example.com']"


#: Every instance attribute some Starlette version's constructor sets.
STARLETTE_ATTRIBUTES = {
    "allow_origins",
    "allow_methods",
    "allow_headers",
    "allow_all_origins",
    "allow_all_headers",
    "allow_credentials",
    "preflight_explicit_allow_origin",
    "allow_origin_regex",
    "allow_private_network",
    "simple_headers",
    "preflight_headers",
}
#: The keyword exists since Starlette 0.51; the drop-in takes it whatever Starlette is installed.
STARLETTE_OPTIONS = set(inspect.signature(StarletteCORS).parameters)


def _acao(
    app: Any, origin: str, path: str = "/", cookie: bool = False
) -> tuple[str | None, str | None]:
    sent = {"Origin": origin, **({"Cookie": "session=1"} if cookie else {})}
    headers = client(app).get(path, headers=sent).headers
    return headers.get("access-control-allow-origin"), headers.get(
        "access-control-allow-credentials"
    )


def test_the_fastapi_tutorial_configuration_starts_with_the_safe_reading(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = FastAPI()

    @api.get("/health")
    def health() -> dict[str, bool]:
        return {"ok": True}

    api.add_middleware(
        CORSMiddleware,
        allow_origins=["*", ORIGIN],
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
    )
    app = client(api)
    with (
        caplog.at_level(logging.WARNING, logger="crossgate.compat.starlette"),
        pytest.warns(StarletteCompatWarning) as caught,
    ):
        health_check = app.get("/health")  # builds the stack: the app starts and serves
    assert health_check.json() == {"ok": True}
    (warning,) = caught
    assert "allow_origins=['*'] with allow_credentials=True" in str(warning.message)
    assert FIX in str(warning.message)
    assert "unsafe_any_origin_with_credentials=True" in str(warning.message)
    assert [record.getMessage() for record in caplog.records] == [str(warning.message)]
    # The origin someone listed keeps credentials; every other site reads without them.
    listed = app.get("/health", headers={"Origin": ORIGIN}).headers
    assert listed["access-control-allow-origin"] == ORIGIN
    assert listed["access-control-allow-credentials"] == "true"
    other = app.get("/health", headers={"Origin": OTHER}).headers
    assert other["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in other
    preflight = app.options("/health", headers=preflight_headers("PUT", "X-Token", origin=OTHER))
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in preflight.headers


@pytest.mark.parametrize("cookie", [False, True], ids=["plain", "cookie"])
def test_the_safe_reading_gives_other_sites_starlettes_credential_less_answer(
    cookie: bool,
) -> None:
    """Other sites get what the installed Starlette answers without credentials: ``*``, or
    before Starlette 1.0 their origin echoed to a request carrying a cookie; never
    ``Access-Control-Allow-Credentials``."""
    with pytest.warns(StarletteCompatWarning):
        ours = CORSMiddleware(hello, allow_origins=["*"], allow_credentials=True)
    without = StarletteCORS(hello, allow_origins=["*"])
    sent = {"Origin": OTHER, **({"Cookie": "session=1"} if cookie else {})}
    mine, theirs = (client(app).get("/", headers=sent).headers for app in (ours, without))
    assert mine.get("access-control-allow-origin") == theirs.get("access-control-allow-origin")
    assert mine.get_list("vary") == theirs.get_list("vary")
    assert "access-control-allow-credentials" not in mine


def test_a_credentialed_any_host_regex_gets_the_safe_reading() -> None:
    with pytest.warns(StarletteCompatWarning, match=re.escape("allow_origin_regex='https?://.+'")):
        app = CORSMiddleware(hello, allow_origin_regex=r"https?://.+", allow_credentials=True)
    # Echoed as Starlette echoes a regex match, but without the user's cookies.
    assert _acao(app, OTHER) == (OTHER, None)
    assert _acao(app, "http://localhost:5173") == ("http://localhost:5173", None)


def test_the_keyword_keeps_starlettes_answer_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="crossgate.compat.starlette"):
        app = CORSMiddleware(
            hello,
            allow_origins=["*"],
            allow_credentials=True,
            unsafe_any_origin_with_credentials=True,
        )
    (record,) = caplog.records
    assert "unsafe_any_origin_with_credentials=True" in record.getMessage()
    starlette = StarletteCORS(hello, allow_origins=["*"], allow_credentials=True)
    # A request with the user's cookies: every Starlette echoes the origin with credentials.
    assert _acao(app, OTHER, cookie=True) == _acao(starlette, OTHER, cookie=True) == (OTHER, "true")
    # Without a cookie: the same (before Starlette 1.0, '*' with credentials, which browsers
    # refuse for a credentialed request).
    assert _acao(app, OTHER) == _acao(starlette, OTHER)
    preflight = client(app).options("/", headers=preflight_headers("GET", origin=OTHER))
    assert preflight.headers["access-control-allow-origin"] == OTHER
    assert preflight.headers["access-control-allow-credentials"] == "true"


class LocalPorts(CORSMiddleware):
    """What projects write: every port of localhost, besides the origins listed."""

    def is_allowed_origin(self, origin: str) -> bool:
        if re.fullmatch(r"http://localhost(:\d+)?", origin):
            return True
        return super().is_allowed_origin(origin)


class StarletteLocalPorts(StarletteCORS):
    def is_allowed_origin(self, origin: str) -> bool:
        if re.fullmatch(r"http://localhost(:\d+)?", origin):
            return True
        return super().is_allowed_origin(origin)


@pytest.mark.parametrize(
    "options",
    [
        {"allow_origins": [ORIGIN]},
        {"allow_origins": ["*"], "expose_headers": ["X-Id"], "max_age": 60},
        {
            "allow_origins": [ORIGIN],
            "allow_methods": ["*"],
            "allow_headers": ["X-Token"],
            "allow_credentials": True,
            "allow_origin_regex": r"https://[a-z]+\.example\.org",
            "allow_private_network": True,
        },
        {"allow_origins": ORIGIN, "allow_headers": ["*"]},
    ],
)
def test_starlettes_instance_attributes_with_starlettes_values(options: dict[str, Any]) -> None:
    ours = CORSMiddleware(hello, **options)
    options = {name: value for name, value in options.items() if name in STARLETTE_OPTIONS}
    theirs = StarletteCORS(hello, **options)
    names = {name for name in vars(theirs) if name != "app"}
    # The installed version's attributes (9 before Starlette 0.51, 11 since 1.0), no others.
    assert names <= STARLETTE_ATTRIBUTES
    assert len(names) >= 9
    assert STARLETTE_ATTRIBUTES & set(vars(ours)) == names
    assert {name: getattr(ours, name) for name in names} == {
        name: getattr(theirs, name) for name in names
    }


def test_a_subclass_is_allowed_origin_is_consulted_and_super_works() -> None:
    ours, theirs = (
        LocalPorts(hello, allow_origins=[ORIGIN]),
        StarletteLocalPorts(hello, allow_origins=[ORIGIN]),
    )
    for origin in ("http://localhost:5000", ORIGIN, OTHER):
        assert _acao(ours, origin) == _acao(theirs, origin)
        sent = preflight_headers("GET", origin=origin)
        mine, real = (
            client(ours).options("/", headers=sent),
            client(theirs).options("/", headers=sent),
        )
        assert (mine.status_code, mine.text) == (real.status_code, real.text)
    assert _acao(ours, "http://localhost:5000") == ("http://localhost:5000", None)
    assert ours.is_allowed_origin(ORIGIN) is True
    assert ours.is_allowed_origin(OTHER) is False


def test_a_subclass_that_raises_refuses_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(CORSMiddleware):
        def is_allowed_origin(self, origin: str) -> bool:
            raise LookupError("the database is down")

    app = Broken(hello, allow_origins=[ORIGIN])
    with caplog.at_level(logging.ERROR, logger="crossgate"):
        assert _acao(app, ORIGIN) == (None, None)
    assert any(
        "the database is down" in record.getMessage() or record.exc_info
        for record in caplog.records
    )


def _answer(app: Any, headers: dict[str, str]) -> tuple[int, str, dict[str, str]]:
    response = client(app).options("/", headers=headers)
    lines = {name: value for name, value in response.headers.items() if name != "content-length"}
    return response.status_code, response.text, lines


@pytest.mark.parametrize(
    ("options", "sent"),
    [
        ({"allow_origins": [ORIGIN], "allow_methods": ["PUT", "GET", "DELETE"]}, ("PUT", None)),
        ({"allow_origins": [ORIGIN], "allow_methods": ["PUT", "GET"]}, ("PATCH", None)),
        ({"allow_origins": [ORIGIN], "allow_headers": ["X-Token"]}, ("GET", "X-Other")),
        ({"allow_origins": ["*"], "allow_headers": ["*"]}, ("GET", "X-Any")),
        ({"allow_origins": [ORIGIN], "allow_credentials": True}, ("DELETE", None)),
        ({"allow_origins": ["https://x.example"], "max_age": 5}, ("GET", None)),
    ],
    ids=["order", "method", "header", "star", "credentials", "origin"],
)
def test_preflights_answered_header_for_header_as_starlette(
    options: dict[str, Any], sent: tuple[str, str | None]
) -> None:
    headers = preflight_headers(*sent)
    assert _answer(CORSMiddleware(hello, **options), headers) == _answer(
        StarletteCORS(hello, **options), headers
    )


@pytest.mark.parametrize(
    "options", [{"allow_origins": [ORIGIN]}, {"allow_origins": ["*"]}, {"allow_origins": []}]
)
@pytest.mark.parametrize("origin", [ORIGIN, OTHER, None])
def test_actual_responses_vary_as_the_installed_starlette(
    options: dict[str, Any], origin: str | None
) -> None:
    sent = {} if origin is None else {"Origin": origin}
    ours = client(CORSMiddleware(hello, **options)).get("/", headers=sent).headers
    theirs = client(StarletteCORS(hello, **options)).get("/", headers=sent).headers
    assert ours.get_list("vary") == theirs.get_list("vary")
    assert ours.get("access-control-allow-origin") == theirs.get("access-control-allow-origin")
