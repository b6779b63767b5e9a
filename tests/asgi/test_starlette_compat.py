"""crossgate.compat.starlette.CORSMiddleware: Starlette's API on crossgate's engine, beyond
what Starlette's own suite (test_starlette_suite.py) checks."""

from __future__ import annotations

import inspect
import logging
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware as StarletteCORS
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from crossgate.compat.starlette import CORSMiddleware, StarletteCompatWarning
from crossgate.errors import ConfigError
from tests.asgi_support import ORIGIN, OTHER, client, hello, preflight_headers


def test_the_signature_and_defaults_are_starlettes() -> None:
    ours = inspect.signature(CORSMiddleware).parameters
    theirs = inspect.signature(StarletteCORS).parameters
    # The drop-in has the newest Starlette's signature; an older one lacks what came later.
    added_later = {"allow_private_network"}
    assert [(p.name, p.default) for p in theirs.values()] == [
        (p.name, p.default)
        for p in ours.values()
        if p.kind is not p.KEYWORD_ONLY and (p.name in theirs or p.name not in added_later)
    ]


def test_a_fastapi_app_migrates_by_changing_the_import() -> None:
    api = FastAPI()

    @api.post("/items")
    def create() -> dict[str, bool]:
        return {"created": True}

    api.add_middleware(
        CORSMiddleware,
        allow_origins=[ORIGIN],
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
    )
    app = client(api)
    preflight = app.options("/items", headers=preflight_headers("POST", "Content-Type, X-Token"))
    assert preflight.status_code == 200
    assert preflight.text == "OK"
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert preflight.headers["access-control-allow-headers"] == "Content-Type, X-Token"
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert preflight.headers["access-control-max-age"] == "600"
    # Starlette answers a preflight for any of allow_methods on any path, routed or not.
    assert app.options("/elsewhere", headers=preflight_headers("PUT")).status_code == 200
    response = app.post("/items", headers={"Origin": ORIGIN})
    assert response.json() == {"created": True}
    assert response.headers["access-control-allow-origin"] == ORIGIN
    refused = app.options("/items", headers=preflight_headers("POST", origin=OTHER))
    assert refused.status_code == 400
    assert refused.text == "Disallowed CORS origin"


def test_only_what_starlette_refuses_is_a_config_error_in_starlettes_names() -> None:
    with pytest.raises(ConfigError) as error:
        CORSMiddleware(hello, allow_origins=["*"], allow_origin_regex="https://(.*")
    (problem,) = error.value.problems
    assert (problem.option, problem.value) == ("allow_origin_regex", "https://(.*")
    assert "does not compile" in problem.message
    assert "crossgate.compat.starlette.CORSMiddleware" in str(error.value)


def test_with_every_origin_allowed_the_regex_adds_nothing() -> None:
    app = client(CORSMiddleware(hello, allow_origins=["*"], allow_origin_regex=r"https://a\.b"))
    assert app.get("/", headers={"Origin": OTHER}).headers["access-control-allow-origin"] == "*"


def test_a_loose_regex_starts_with_a_warning_labelled_as_written() -> None:
    with pytest.warns(StarletteCompatWarning) as caught:
        loose = CORSMiddleware(hello, allow_origin_regex=r"https://app.example.com")
    (warning,) = caught
    text = str(warning.message)
    assert "allow_origin_regex='https://app.example.com'" in text
    assert "re.compile" not in text
    assert "allow_regex_wildcards=True" in text
    # Served as Starlette serves it (the dot matches any character), with no warning when the
    # consent says it is meant.
    app = client(loose)
    stand_in = "https://appxexample.com"
    assert app.get("/", headers={"Origin": stand_in}).headers["access-control-allow-origin"] == (
        stand_in
    )
    allowed = CORSMiddleware(
        hello, allow_origin_regex=r"https://app.example.com", allow_regex_wildcards=True
    )
    assert client(allowed).get("/", headers={"Origin": ORIGIN}).headers[
        "access-control-allow-origin"
    ] == (ORIGIN)


def test_plain_http_with_credentials_starts_with_a_warning() -> None:
    options = {"allow_origins": ["http://app.example.com"], "allow_credentials": True}
    with pytest.warns(StarletteCompatWarning, match="allow_insecure_http_origins=True"):
        app = CORSMiddleware(hello, **options)  # type: ignore[arg-type]
    response = client(app).get("/", headers={"Origin": "http://app.example.com"})
    assert response.headers["access-control-allow-origin"] == "http://app.example.com"
    assert response.headers["access-control-allow-credentials"] == "true"


def test_an_origin_that_never_matches_and_forbidden_methods_start_with_warnings() -> None:
    with pytest.warns(StarletteCompatWarning) as caught:
        app = CORSMiddleware(
            hello, allow_origins=[ORIGIN, ORIGIN + "/"], allow_methods=["GET", "TRACE"]
        )
    texts = [str(warning.message) for warning in caught]
    assert any(f"allow_origins={ORIGIN + '/'!r}" in text for text in texts)
    assert any("allow_methods='TRACE'" in text for text in texts)
    preflight = client(app).options("/", headers=preflight_headers("GET"))
    assert preflight.status_code == 200


def test_a_string_of_origins_is_one_origin_not_a_set_of_substrings() -> None:
    app = client(CORSMiddleware(hello, allow_origins=ORIGIN))
    assert app.get("/", headers={"Origin": ORIGIN}).headers["access-control-allow-origin"] == ORIGIN
    # Starlette tests `origin in allow_origins`: on a string, any substring was allowed.
    assert (
        "access-control-allow-origin" not in app.get("/", headers={"Origin": "https://app"}).headers
    )


def test_options_is_allowed_only_when_listed() -> None:
    default = client(CORSMiddleware(hello, allow_origins=[ORIGIN]))
    refused = default.options("/", headers=preflight_headers("OPTIONS"))
    assert (refused.status_code, refused.text) == (400, "Disallowed CORS method")
    listed = client(CORSMiddleware(hello, allow_origins=[ORIGIN], allow_methods=["OPTIONS"]))
    allowed = listed.options("/", headers=preflight_headers("OPTIONS"))
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-methods"] == "OPTIONS"


def test_a_refused_preflight_lists_every_failure_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = client(CORSMiddleware(hello, allow_origins=[ORIGIN], allow_headers=["X-Token"]))
    with caplog.at_level(logging.DEBUG, logger="crossgate"):
        everything = app.options("/", headers=preflight_headers("PUT", "X-Other", origin=OTHER))
        method = app.options("/", headers=preflight_headers("PUT", "X-Token, X-Other"))
        headers = app.options("/", headers=preflight_headers("GET", "X-Token, X-Other"))
    assert everything.text == "Disallowed CORS origin, method, headers"
    assert method.text == "Disallowed CORS method, headers"
    assert headers.text == "Disallowed CORS headers"
    assert [record.crossgate_reason for record in caplog.records] == [  # type: ignore[attr-defined]
        "origin-not-allowed",
        "method-not-routed",
        "header-not-allowed",
    ]


def test_a_private_network_preflight_is_answered_as_the_installed_starlette() -> None:
    """Starlette 0.51 and later refuse it unless ``allow_private_network=True``; before, the
    request header is not looked at (200 without ``Access-Control-Allow-Private-Network``, so
    the browser refuses)."""
    sent = {**preflight_headers("GET"), "Access-Control-Request-Private-Network": "true"}
    options: dict[str, Any] = {"allow_origins": [ORIGIN], "allow_headers": ["X-Token"]}
    ours = client(CORSMiddleware(hello, **options)).options("/", headers=sent)
    theirs = client(StarletteCORS(hello, **options)).options("/", headers=sent)
    assert (ours.status_code, ours.text) == (theirs.status_code, theirs.text)
    assert ours.text in ("Disallowed CORS private-network", "OK")
    assert ours.headers.items() == theirs.headers.items()
    assert "access-control-allow-private-network" not in ours.headers


@pytest.mark.parametrize("options", [{"allow_origins": ["*"]}, {"allow_origins": [ORIGIN]}])
@pytest.mark.parametrize(
    "sent",
    [{"Origin": OTHER}, {"Origin": ORIGIN, "Cookie": "session=1"}, {"Cookie": "session=1"}, {}],
    ids=["origin", "origin-cookie", "cookie", "none"],
)
def test_actual_responses_answer_and_vary_as_the_installed_starlette(
    options: dict[str, Any], sent: dict[str, str]
) -> None:
    """Before Starlette 1.0, ``'*'`` echoes the origin to a request carrying a cookie (without
    credentials); since 1.7 every response varies on Origin."""
    options = {**options, "expose_headers": ["X-Id"]}
    ours = client(CORSMiddleware(hello, **options)).get("/", headers=sent).headers
    theirs = client(StarletteCORS(hello, **options)).get("/", headers=sent).headers
    allowed = ours.get("access-control-allow-origin")
    assert allowed == theirs.get("access-control-allow-origin")
    assert ours.get_list("vary") == theirs.get_list("vary")
    assert "access-control-allow-credentials" not in ours
    if allowed is not None:  # a refused request gets no Expose-Headers (a documented difference)
        assert ours["access-control-expose-headers"] == theirs["access-control-expose-headers"]


def test_a_hand_set_allow_origin_is_replaced_for_every_origin_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Starlette overwrites it for an allowed origin only; the drop-in also removes it for a
    # refused one (docs/migration-starlette.md, "Differences").
    def own(request: Any) -> PlainTextResponse:
        return PlainTextResponse("own", headers={"Access-Control-Allow-Origin": "*"})

    caplog.set_level(logging.WARNING, logger="crossgate")
    app = Starlette(routes=[Route("/", own)])
    wrapped = client(CORSMiddleware(app, allow_origins=[ORIGIN], allow_credentials=True))
    allowed = wrapped.get("/", headers={"Origin": ORIGIN})
    assert allowed.headers.get_list("access-control-allow-origin") == [ORIGIN]
    refused = wrapped.get("/", headers={"Origin": OTHER})
    assert "access-control-allow-origin" not in refused.headers
    [line] = [record.getMessage() for record in caplog.records if record.name == "crossgate"]
    assert "[hand-set-header] endpoint 'test_a_hand_set_allow_origin" in line
