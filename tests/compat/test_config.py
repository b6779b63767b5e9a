"""``CORS_*`` config keys and flask-cors's precedence, compared with flask-cors 6.0.5."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from .differential import (
    ACRH,
    ACRM,
    ORIGIN,
    OTHER,
    REQUESTS,
    CorsModule,
    Req,
    assert_same,
    preflight,
)

CONFIG_VALUES: dict[str, Any] = {
    "CORS_ORIGINS": [ORIGIN, OTHER],
    "CORS_METHODS": ["GET", "PUT"],
    "CORS_ALLOW_HEADERS": ["X-Custom"],
    "CORS_EXPOSE_HEADERS": ["X-Total"],
    "CORS_SUPPORTS_CREDENTIALS": True,
    "CORS_MAX_AGE": timedelta(hours=1),
    "CORS_SEND_WILDCARD": True,
    "CORS_AUTOMATIC_OPTIONS": False,
    "CORS_VARY_HEADER": False,
    "CORS_RESOURCES": {r"/api/*": {}},
    "CORS_INTERCEPT_EXCEPTIONS": False,
    "CORS_ALWAYS_SEND": False,
    "CORS_ALLOW_PRIVATE_NETWORK": True,
}

DECORATED_REQUESTS = [
    Req("get", path="/decorated", headers={"Origin": ORIGIN}),
    Req("get-other", path="/decorated", headers={"Origin": OTHER}),
    Req("no-origin", path="/decorated"),
    preflight("preflight", path="/decorated", **{ACRM: "PUT", ACRH: "X-Custom"}),
    preflight(
        "private-network",
        path="/decorated",
        **{ACRM: "GET", "Access-Control-Request-Private-Network": "true"},
    ),
]


def _configured(config: dict[str, Any], **options: Any) -> Any:
    def setup(cors: CorsModule, app: Flask) -> None:
        app.config.update(config)
        cors.CORS(app, **options)

    return setup


@pytest.mark.parametrize("key", sorted(CONFIG_VALUES))
def test_config_key(key: str) -> None:
    config = {key: CONFIG_VALUES[key]}
    if key == "CORS_SUPPORTS_CREDENTIALS":
        config["CORS_ORIGINS"] = [ORIGIN]
    assert_same(_configured(config))


@pytest.mark.parametrize(
    "key", sorted(set(CONFIG_VALUES) - {"CORS_RESOURCES", "CORS_INTERCEPT_EXCEPTIONS"})
)
def test_config_key_on_a_decorated_view(key: str) -> None:
    def setup(cors: CorsModule, app: Flask) -> None:
        app.config[key] = CONFIG_VALUES[key]
        if key in ("CORS_SUPPORTS_CREDENTIALS", "CORS_SEND_WILDCARD"):
            app.config["CORS_ORIGINS"] = [ORIGIN]

        @app.route("/decorated", methods=["GET", "PUT"])
        @cors.cross_origin()
        def decorated() -> str:
            return "decorated"

    assert_same(setup, DECORATED_REQUESTS)


def test_config_value_none_is_ignored() -> None:
    assert_same(_configured({"CORS_ORIGINS": None, "CORS_METHODS": None, "CORS_MAX_AGE": None}))


def test_precedence_config_then_constructor_then_init_app_then_resource() -> None:
    def setup(cors: CorsModule, app: Flask) -> None:
        app.config.update(CORS_ORIGINS=[OTHER], CORS_MAX_AGE=10, CORS_EXPOSE_HEADERS="X-Config")
        extension = cors.CORS(origins=[ORIGIN], max_age=20, methods=["PUT"])
        extension.init_app(
            app,
            max_age=30,
            resources={r"/api/*": {"expose_headers": "X-Resource"}, r"/public": {}},
        )

    assert_same(setup)


def test_config_is_read_once_by_the_extension() -> None:
    def setup(cors: CorsModule, app: Flask) -> None:
        app.config["CORS_ORIGINS"] = [ORIGIN]
        cors.CORS(app)
        app.config["CORS_ORIGINS"] = [OTHER]

    assert_same(setup)


def test_config_changes_apply_to_decorated_views() -> None:
    requests = [Req("get", path="/decorated", headers={"Origin": ORIGIN})]

    def app_with(cors: CorsModule) -> Flask:
        app = Flask("live")
        app.config["CORS_ORIGINS"] = [ORIGIN]

        @app.route("/decorated")
        @cors.cross_origin()
        def decorated() -> str:
            return "decorated"

        return app

    from .differential import IMPLEMENTATIONS, observe

    seen = {}
    for name, cors in IMPLEMENTATIONS.items():
        app = app_with(cors)
        before = observe(requests[0].send(app))
        app.config["CORS_ORIGINS"] = [OTHER]
        after = observe(requests[0].send(app))
        seen[name] = (before, after)
    assert seen["crossgate"] == seen["flask_cors"]
    before, after = seen["crossgate"]
    assert ("Access-Control-Allow-Origin", (ORIGIN,)) in before[1]
    assert "Access-Control-Allow-Origin" not in dict(after[1])


def test_decorator_reads_config_not_the_extension_arguments() -> None:
    def setup(cors: CorsModule, app: Flask) -> None:
        app.config["CORS_EXPOSE_HEADERS"] = "X-Config"
        cors.CORS(app, origins=[OTHER], max_age=99)

        @app.route("/decorated", methods=["GET", "PUT"])
        @cors.cross_origin(methods=["PUT"])
        def decorated() -> str:
            return "decorated"

    assert_same(setup, [*REQUESTS, *DECORATED_REQUESTS])
