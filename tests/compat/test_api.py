"""The public surface: the one-line import change, ``core``'s constants, ``__version__``."""

from __future__ import annotations

import flask_cors
import flask_cors.core
import pytest
from flask import Flask, Response

import crossgate.compat.flask_cors as compat
import crossgate.compat.flask_cors.core as compat_core

CONSTANTS = [
    "ACL_ORIGIN",
    "ACL_METHODS",
    "ACL_ALLOW_HEADERS",
    "ACL_EXPOSE_HEADERS",
    "ACL_CREDENTIALS",
    "ACL_MAX_AGE",
    "ACL_RESPONSE_PRIVATE_NETWORK",
    "ACL_REQUEST_METHOD",
    "ACL_REQUEST_HEADERS",
    "ACL_REQUEST_HEADER_PRIVATE_NETWORK",
    "ALL_METHODS",
    "CONFIG_OPTIONS",
    "FLASK_CORS_EVALUATED",
]


def test_the_one_line_migration() -> None:
    from crossgate.compat.flask_cors import CORS, cross_origin

    app = Flask("migrated")

    @app.route("/")
    @cross_origin()
    def index() -> str:
        return "index"

    CORS(app)
    response = app.test_client().get("/", headers={"Origin": "https://a.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://a.example"


def test_module_alias_and_exports() -> None:
    import crossgate.compat.flask_cors as flask_cors_alias

    assert set(flask_cors.__all__) <= set(flask_cors_alias.__all__)
    assert flask_cors_alias.core.ACL_ORIGIN == "Access-Control-Allow-Origin"
    assert flask_cors_alias.__version__ == flask_cors.__version__ == "6.0.5"


@pytest.mark.parametrize("name", CONSTANTS)
def test_core_constant_matches_flask_cors(name: str) -> None:
    assert getattr(compat_core, name) == getattr(flask_cors.core, name)


def test_default_options_are_flask_cors_plus_the_layers_two() -> None:
    assert dict(compat_core.DEFAULT_OPTIONS) == {
        **flask_cors.core.DEFAULT_OPTIONS,
        "preflight_before_request": False,
        "unsafe_any_origin_with_credentials": False,
    }


def test_extension_and_decorator_modules_like_flask_cors() -> None:
    from crossgate.compat.flask_cors.decorator import cross_origin
    from crossgate.compat.flask_cors.extension import CORS

    assert CORS is compat.CORS
    assert cross_origin is compat.cross_origin


def test_positional_arguments_to_cross_origin_are_ignored() -> None:
    app = Flask("positional")

    @app.route("/")
    @compat.cross_origin("ignored", origins=["https://a.example"])
    def index() -> str:
        return "index"

    response = app.test_client().get("/", headers={"Origin": "https://a.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://a.example"


def test_application_factory_and_several_apps() -> None:
    cors = compat.CORS(origins=["https://a.example"])
    first, second = Flask("first"), Flask("second")
    cors.init_app(first)
    cors.init_app(second, origins=["https://b.example"])
    for app, origin in ((first, "https://a.example"), (second, "https://b.example")):
        app.add_url_rule("/", "index", lambda: "index")
        response = app.test_client().get("/", headers={"Origin": origin})
        assert response.headers["Access-Control-Allow-Origin"] == origin
    assert (
        first.extensions["crossgate.compat.flask_cors"]
        is not second.extensions["crossgate.compat.flask_cors"]
    )


# A hook registered before CORS runs after it, and keeps CORS's own hook in place.
@pytest.mark.parametrize("later_hook", [False, True], ids=["edge", "hook"])
def test_headers_replaced_by_a_plain_mapping_still_get_cors_headers(later_hook: bool) -> None:
    # OAuthlib-style views replace response.headers with a dict; flask-cors copes, and so must we.
    app = Flask("oauthlib")
    if later_hook:
        app.after_request(lambda response: response)

    @app.route("/token")
    def token() -> Response:
        response = app.response_class("token")
        response.headers = {"Content-Type": "text/plain"}  # type: ignore[assignment]
        return response

    compat.CORS(app)
    response = app.test_client().get("/token", headers={"Origin": "https://a.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://a.example"
