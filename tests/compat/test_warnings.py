"""Warnings a flask-cors user sees: unknown options and keys, and risky combinations."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import pytest
from flask import Flask

import crossgate.compat.flask_cors as compat
from crossgate.compat.flask_cors import FlaskCorsCompatWarning

from .differential import ORIGIN, assert_same, make_app, with_cors


def test_warning_is_a_user_warning() -> None:
    assert issubclass(FlaskCorsCompatWarning, UserWarning)


def test_unknown_option_warns_with_the_closest_name_and_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with pytest.warns(
        FlaskCorsCompatWarning, match="'support_credentials'.*did you mean 'supports_credentials'"
    ) as seen:
        compat.CORS(make_app(), support_credentials=True)  # type: ignore[call-arg]
    # The warning points at the line that configured CORS, not into crossgate.
    assert seen[0].filename == __file__
    (record,) = [record for record in caplog.records if record.name == "flask_cors.core"]
    assert record.levelno == logging.WARNING
    assert "did you mean 'supports_credentials'" in record.getMessage()


def test_unknown_option_is_ignored_like_flask_cors() -> None:
    assert_same(with_cors(origin=ORIGIN), warns="did you mean 'origins'")


def _in_init_app() -> None:
    compat.CORS().init_app(make_app(), exposed_headers="X")  # type: ignore[call-arg]


def _in_a_resource() -> None:
    compat.CORS(make_app(), resources={"/api/*": {"max-age": 5}})


def _in_a_decorator() -> None:
    compat.cross_origin(allow_origins=[ORIGIN])  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("configure", "where"),
    [
        (_in_init_app, r"CORS\(\)"),
        (_in_a_resource, r"resources\['/api/\*'\]"),
        (_in_a_decorator, r"cross_origin\(\)"),
    ],
    ids=["init_app", "resource", "decorator"],
)
def test_unknown_option_everywhere_options_are_given(
    configure: Callable[[], None], where: str
) -> None:
    with pytest.warns(
        FlaskCorsCompatWarning, match=f"{where}: flask-cors ignores the unknown option"
    ):
        configure()


def test_misspelt_origins_on_a_view_says_the_view_allows_every_origin() -> None:
    app = make_app()
    with pytest.warns(FlaskCorsCompatWarning) as seen:

        @app.route("/decorated")
        @compat.cross_origin(origin="http://localhost:3000")  # type: ignore[call-arg]
        def decorated() -> str:
            return "decorated"

    (warning,) = seen
    assert str(warning.message) == (
        "cross_origin(): flask-cors ignores the unknown option 'origin', so the view allows "
        "every origin (origins='*') unless app.config['CORS_ORIGINS'] is set; "
        "did you mean 'origins'?"
    )
    # What the warning says is what happens.
    response = app.test_client().get("/decorated", headers={"Origin": "https://evil.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://evil.example"


@pytest.mark.parametrize(
    ("configure", "effect"),
    [
        (
            lambda: compat.CORS(make_app(), support_credentials=True),  # type: ignore[call-arg]
            "so the app does not allow credentials (supports_credentials=False)",
        ),
        (
            lambda: compat.CORS(make_app(), origins=[ORIGIN], resources={"/a": {"origin": "*"}}),
            "so resource '/a' allows only origins=['http://example.com']",
        ),
        (
            lambda: compat.CORS(make_app(), allowed_headers=["X-A"]),  # type: ignore[call-arg]
            "so the app allows every requested header (allow_headers='*')",
        ),
        (
            lambda: compat.CORS(make_app(), maxage=5),  # type: ignore[call-arg]
            "so the app uses max_age=None",
        ),
    ],
    ids=["credentials", "resource", "headers", "other"],
)
def test_unknown_option_says_what_applies_instead(
    configure: Callable[[], None], effect: str
) -> None:
    with pytest.warns(FlaskCorsCompatWarning, match=re.escape(effect)):
        configure()


def test_unknown_config_key_says_what_applies_instead() -> None:
    app = make_app()
    app.config["CORS_ORIGIN"] = ORIGIN
    app.config["CORS_ORIGINS"] = None  # ignored: the default applies
    with pytest.warns(
        FlaskCorsCompatWarning,
        match=re.escape("so CORS allows every origin (origins='*'); did you mean 'CORS_ORIGINS'?"),
    ):
        compat.CORS(app)


def test_unknown_option_without_a_close_name() -> None:
    with pytest.warns(
        FlaskCorsCompatWarning, match="ignores the unknown option 'zzz'; see the options"
    ):
        compat.CORS(make_app(), zzz=1)  # type: ignore[call-arg]


def test_unknown_config_key_warns_with_the_closest_key() -> None:
    app = make_app()
    app.config["CORS_HEADERS"] = "Content-Type"
    with pytest.warns(
        FlaskCorsCompatWarning,
        match=r"app.config\['CORS_HEADERS'\].*did you mean 'CORS_ALLOW_HEADERS'",
    ):
        compat.CORS(app)


def test_unknown_config_key_without_a_close_key() -> None:
    app = make_app()
    app.config["CORS_QQQQQQQQQQQQQQQQQQQQQQ"] = 1
    with pytest.warns(FlaskCorsCompatWarning, match="see the CORS_\\* keys"):
        compat.CORS(app)


def test_unknown_config_key_seen_by_a_decorated_view() -> None:
    app = make_app()

    @app.route("/decorated")
    @compat.cross_origin()
    def decorated() -> str:
        return "decorated"

    # The much-copied flask-cors README example sets CORS_HEADERS after the routes.
    app.config["CORS_HEADERS"] = "Content-Type"
    with pytest.warns(FlaskCorsCompatWarning, match="did you mean 'CORS_ALLOW_HEADERS'"):
        response = app.test_client().get("/decorated", headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    # Once per configuration, not once per request.
    app.test_client().get("/decorated", headers={"Origin": ORIGIN})


def test_any_origin_with_credentials_warns_with_the_fix_and_the_keyword() -> None:
    fix = re.escape("Fix: list the trusted origins, e.g. origins=['https://app.example.com']")
    keyword = re.escape("pass unsafe_any_origin_with_credentials=True")
    with pytest.warns(FlaskCorsCompatWarning, match=f"any site could read responses.*{fix}.*"):
        compat.CORS(make_app(), supports_credentials=True)
    with pytest.warns(FlaskCorsCompatWarning, match=keyword):
        compat.CORS(make_app(), supports_credentials=True)


def test_any_origin_with_credentials_warns_once_per_call() -> None:
    with pytest.warns(FlaskCorsCompatWarning) as seen:
        compat.CORS(make_app(), supports_credentials=True, resources={"/a": {}, "/b": {}, "/c": {}})
    assert len(seen) == 1


def test_any_origin_with_credentials_overridden_by_every_resource_does_not_warn() -> None:
    compat.CORS(make_app(), supports_credentials=True, resources={"/api/*": {"origins": [ORIGIN]}})


def test_any_origin_with_credentials_on_a_decorated_view_warns_on_first_request() -> None:
    app = make_app()

    @app.route("/decorated")
    @compat.cross_origin(supports_credentials=True)
    def decorated() -> str:
        return "decorated"

    with pytest.warns(FlaskCorsCompatWarning, match="any site could read responses"):
        response = app.test_client().get("/decorated", headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_config_origins_make_decorator_credentials_safe() -> None:
    app = Flask("safe")
    app.config["CORS_ORIGINS"] = [ORIGIN]

    @app.route("/decorated")
    @compat.cross_origin(supports_credentials=True)
    def decorated() -> str:
        return "decorated"

    response = app.test_client().get("/decorated", headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
