"""How options combine across levels: consent that loosens origins is never inherited, and a
public ('*') level never inherits credentials (issue 9, defects 1 and 9; issue 10, item 4)."""

from __future__ import annotations

import pytest
from flask import Blueprint, Flask

from crossgate.errors import ConfigError
from crossgate.flask import CORS, cross_origin

APP = "https://app.example.com"
EMBED = "https://embed.example.com"


def test_null_consent_does_not_reach_a_view_with_its_own_origins(app: Flask) -> None:
    @app.get("/account")
    @cross_origin(origins=[APP], supports_credentials=True)
    def account() -> str:
        return "account"

    @app.get("/widget")
    def widget() -> str:
        return "widget"

    CORS(app, origins=[EMBED, "null"], allow_null_origin=True)
    client = app.test_client()
    account_answer = client.get("/account", headers={"Origin": "null"})
    assert "Access-Control-Allow-Origin" not in account_answer.headers
    assert "Access-Control-Allow-Credentials" not in account_answer.headers
    assert client.get("/account", headers={"Origin": APP}).headers[
        "Access-Control-Allow-Origin"
    ] == (APP)
    # The level that listed 'null' with consent keeps it.
    assert client.get("/widget", headers={"Origin": "null"}).headers[
        "Access-Control-Allow-Origin"
    ] == ("null")


def test_null_consent_without_null_listed_is_refused_with_the_fix(app: Flask) -> None:
    with pytest.raises(ConfigError) as caught:
        CORS(app, origins=[APP], allow_null_origin=True)
    assert "'null' is not among the origins" in str(caught.value)
    assert "add 'null' to origins" in str(caught.value)


def test_a_view_that_inherits_origins_inherits_their_consent(app: Flask) -> None:
    @app.put("/embed")
    @cross_origin(methods=["PUT"])
    def embed() -> str:
        return "embed"

    CORS(app, origins=[EMBED, "null"], allow_null_origin=True)
    answer = app.test_client().put("/embed", headers={"Origin": "null"})
    assert answer.headers["Access-Control-Allow-Origin"] == "null"


@pytest.mark.parametrize("name", ["allow_null_origin", "allow_insecure_http_origins"])
def test_consent_given_where_no_origins_are_named_is_refused(name: str) -> None:
    with pytest.raises(ConfigError) as caught:
        cross_origin(**{name: True})  # type: ignore[arg-type]
    assert "in the same call as the origins" in str(caught.value)


def test_insecure_http_consent_does_not_reach_a_view_with_its_own_http_origin(
    app: Flask,
) -> None:
    @app.get("/partner")
    @cross_origin(origins=["http://partner.example.com"])
    def partner() -> str:
        return "partner"

    with pytest.raises(ConfigError) as caught:
        CORS(
            app,
            origins=["http://intranet.example.com"],
            supports_credentials=True,
            allow_insecure_http_origins=True,
        )
    message = str(caught.value)
    assert "http://partner.example.com" in message
    assert "decorator on 'partner'" in message
    assert "allow_insecure_http_origins=True" in message


def test_a_view_consenting_to_its_own_http_origin_is_accepted(app: Flask) -> None:
    @app.get("/partner")
    @cross_origin(origins=["http://partner.example.com"], allow_insecure_http_origins=True)
    def partner() -> str:
        return "partner"

    CORS(app, origins=[APP], supports_credentials=True)
    answer = app.test_client().get("/partner", headers={"Origin": "http://partner.example.com"})
    assert answer.headers["Access-Control-Allow-Credentials"] == "true"


def test_quickstart_public_blueprint_under_a_credentialed_app(app: Flask) -> None:
    """The README's quickstart: the app reads cookies, one blueprint is a public API."""
    public_api = Blueprint("public_api", __name__, url_prefix="/public")

    @public_api.get("/items")
    def items() -> list[int]:
        return [1, 2]

    @app.get("/me")
    def me() -> str:
        return "me"

    CORS(app, origins=[APP], supports_credentials=True)
    CORS(public_api, origins="*")
    app.register_blueprint(public_api)
    client = app.test_client()
    public = client.get("/public/items", headers={"Origin": "https://anyone.example"})
    assert public.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in public.headers
    private = client.get("/me", headers={"Origin": APP})
    assert private.headers["Access-Control-Allow-Credentials"] == "true"


def test_a_public_level_that_names_credentials_is_still_refused(app: Flask) -> None:
    @app.get("/open")
    @cross_origin(origins="*", supports_credentials=False)
    def open_view() -> str:
        return "open"

    CORS(app, origins=[APP], supports_credentials=True)
    answer = app.test_client().get("/open", headers={"Origin": "https://anyone.example"})
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    with pytest.raises(ConfigError, match="supports_credentials=True"):
        cross_origin(origins="*", supports_credentials=True)


def test_a_listed_level_still_inherits_credentials(app: Flask) -> None:
    """Credentials belong to the API (its cookies): a view listing origins keeps them."""

    @app.put("/items")
    @cross_origin(origins=[EMBED], methods=["PUT"])
    def put_item() -> str:
        return "ok"

    CORS(app, origins=[APP], supports_credentials=True)
    answer = app.test_client().put("/items", headers={"Origin": EMBED})
    assert answer.headers["Access-Control-Allow-Credentials"] == "true"


def test_config_and_cors_call_are_one_level(app: Flask) -> None:
    app.config["CROSSGATE_ALLOW_NULL_ORIGIN"] = True
    CORS(app, origins=[APP, "null"])

    @app.get("/")
    def index() -> str:
        return "index"

    answer = app.test_client().get("/", headers={"Origin": "null"})
    assert answer.headers["Access-Control-Allow-Origin"] == "null"
