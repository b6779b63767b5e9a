"""The drop-in rule for credentials with any origin: the app starts, only listed origins get
credentials, one warning says so with the fix, and a greppable keyword keeps flask-cors's way."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from flask import Flask

import crossgate.compat.flask_cors as compat
from crossgate.compat.flask_cors import FlaskCorsCompatWarning

LISTED = "https://app.example.com"
STRANGER = "https://evil.example"
ACAC = "Access-Control-Allow-Credentials"
ACAO = "Access-Control-Allow-Origin"


def make_app() -> Flask:
    app = Flask("drop_in_rule")

    @app.route("/api/items", methods=["GET", "PUT"])
    def items() -> str:
        return "items"

    return app


def get(app: Flask, origin: str) -> dict[str, str]:
    return dict(app.test_client().get("/api/items", headers={"Origin": origin}).headers)


def preflight(app: Flask, origin: str) -> dict[str, str]:
    headers = {"Origin": origin, "Access-Control-Request-Method": "PUT"}
    return dict(app.test_client().options("/api/items", headers=headers).headers)


def test_any_origin_with_credentials_gives_credentials_only_to_listed_origins(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app()
    with (
        caplog.at_level(logging.WARNING, "flask_cors.core"),
        pytest.warns(FlaskCorsCompatWarning) as seen,
    ):
        compat.CORS(app, origins=[LISTED, "*"], supports_credentials=True)
    # Once, on the logger and as the warning class, with the exact fix for this app.
    assert len(seen) == 1
    message = str(seen[0].message)
    assert f"Fix: list only the trusted origins: origins=[{LISTED!r}]" in message
    assert "unsafe_any_origin_with_credentials=True" in message
    assert [record.getMessage() for record in caplog.records] == [message]
    # The listed origin keeps its credentials; a stranger gets the credential-less answer.
    assert get(app, LISTED)[ACAC] == "true"
    stranger = get(app, STRANGER)
    assert stranger[ACAO] == STRANGER
    assert ACAC not in stranger
    assert preflight(app, LISTED)[ACAC] == "true"
    assert ACAC not in preflight(app, STRANGER)
    assert preflight(app, STRANGER)[ACAO] == STRANGER


def test_an_upper_case_listed_origin_keeps_its_credentials() -> None:
    app = make_app()
    with pytest.warns(FlaskCorsCompatWarning):
        compat.CORS(app, origins=["*", "https://APP.example.com"], supports_credentials=True)
    assert get(app, "HTTPS://APP.EXAMPLE.COM")[ACAC] == "true"


@pytest.mark.parametrize("regex", [r"https?://.+", r".*", r"https://[^/]+"])
def test_a_regex_admitting_every_host_is_any_origin_too(regex: str) -> None:
    app = make_app()
    with pytest.warns(FlaskCorsCompatWarning, match="any site could read responses") as seen:
        compat.CORS(
            app, origins=[regex, r"https://.*\.example\.com(:\d+)?"], supports_credentials=True
        )
    assert len(seen) == 1
    stranger = get(app, STRANGER)
    assert stranger[ACAO] == STRANGER
    assert ACAC not in stranger
    # A regex naming the app's domain is a listing: its origins keep credentials.
    assert get(app, "https://shop.example.com")[ACAC] == "true"


def test_only_credentials_make_any_origin_a_warning() -> None:
    app = make_app()
    compat.CORS(app, origins="*")  # -W error: no warning
    assert get(app, STRANGER)[ACAO] == STRANGER


def test_the_keyword_keeps_flask_cors_and_logs_the_choice(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app()
    with caplog.at_level(logging.INFO, "flask_cors.core"):
        compat.CORS(app, supports_credentials=True, unsafe_any_origin_with_credentials=True)
    # No FlaskCorsCompatWarning (-W error would raise it): a choice, logged at WARNING.
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith("unsafe_any_origin_with_credentials=True: as with")
    assert get(app, STRANGER)[ACAC] == "true"
    assert preflight(app, STRANGER)[ACAC] == "true"


def test_the_keyword_as_a_config_key() -> None:
    app = make_app()
    app.config["CORS_SUPPORTS_CREDENTIALS"] = True
    app.config["CORS_UNSAFE_ANY_ORIGIN_WITH_CREDENTIALS"] = True
    compat.CORS(app)
    assert get(app, STRANGER)[ACAC] == "true"


def test_a_decorated_view_takes_the_safe_reading_too() -> None:
    app = Flask("decorated")

    @app.route("/view")
    @compat.cross_origin(origins=["*", LISTED], supports_credentials=True)
    def view() -> str:
        return "view"

    client = app.test_client()
    with pytest.warns(FlaskCorsCompatWarning, match=re.escape(f"origins=[{LISTED!r}]")):
        assert ACAC not in client.get("/view", headers={"Origin": STRANGER}).headers
    assert client.get("/view", headers={"Origin": LISTED}).headers[ACAC] == "true"


def test_send_wildcard_with_credentials_still_fails_as_in_flask_cors() -> None:
    # flask-cors raises a ValueError here too: no app ever started with it.
    with pytest.raises(ValueError, match="send_wildcard"):
        compat.CORS(make_app(), supports_credentials=True, send_wildcard=True)


@pytest.mark.parametrize(
    ("keyword", "option"),
    [
        ("CORS_EXPOSE_HEADERS", "expose_headers"),
        ("CORS_SUPPORTS_CREDENTIALS", "supports_credentials"),
        ("cors_origins", "origins"),
    ],
)
def test_a_config_key_passed_as_a_keyword_names_both_spellings(keyword: str, option: str) -> None:
    expected = f"did you mean {option!r}, or app.config['{keyword.upper()}']?"
    options: dict[str, Any] = {keyword: ["X-Total"]}
    with pytest.warns(FlaskCorsCompatWarning, match=re.escape(expected)) as seen:
        compat.CORS(make_app(), **options)
    assert f"flask-cors ignores the unknown option {keyword!r}" in str(seen[0].message)
