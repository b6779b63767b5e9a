"""Blueprint policies: their routes and prefixes, nesting, and several registrations."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Blueprint, Flask

from crossgate.flask import CORS

ORIGIN = "https://app.example.com"
PARTNER = "https://partner.example.com"


def _acao(app: Flask, path: str, origin: str = ORIGIN, method: str = "GET") -> str | None:
    return (
        app.test_client()
        .open(path, method=method, headers={"Origin": origin})
        .headers.get("Access-Control-Allow-Origin")
    )


def _max_age(app: Flask, path: str, origin: str = ORIGIN) -> str | None:
    response = app.test_client().options(
        path, headers={"Origin": origin, "Access-Control-Request-Method": "GET"}
    )
    return response.headers.get("Access-Control-Max-Age")


def _blueprint(name: str, **options: Any) -> Blueprint:
    blueprint = Blueprint(name, __name__)
    if options:
        CORS(blueprint, **options)

    @blueprint.get("/hello")
    def hello() -> str:
        return f"hello from {name}"

    return blueprint


def test_a_blueprint_policy_covers_only_its_routes(app: Flask) -> None:
    app.register_blueprint(_blueprint("api", origins=[ORIGIN]), url_prefix="/api")

    @app.get("/hello")
    def hello() -> str:
        return "app"

    assert _acao(app, "/api/hello") == ORIGIN
    assert _acao(app, "/hello") is None
    assert _max_age(app, "/hello") is None  # Flask answered that OPTIONS, not crossgate


def test_an_app_route_under_a_blueprint_prefix_keeps_the_app_policy(app: Flask) -> None:
    CORS(app, origins=[PARTNER])
    app.register_blueprint(_blueprint("api", origins=[ORIGIN]), url_prefix="/api")

    @app.get("/api/health")
    def health() -> str:
        return "ok"

    assert _acao(app, "/api/health", PARTNER) == PARTNER
    assert _acao(app, "/api/health", ORIGIN) is None
    assert _acao(app, "/api/hello", ORIGIN) == ORIGIN


def test_a_parent_policy_covers_its_childrens_routes(app: Flask) -> None:
    parent = _blueprint("parent", origins=[ORIGIN], max_age=100)
    parent.register_blueprint(_blueprint("child"), url_prefix="/child")
    app.register_blueprint(parent, url_prefix="/parent")
    assert _acao(app, "/parent/child/hello") == ORIGIN
    assert _max_age(app, "/parent/child/hello") == "100"
    assert _acao(app, "/parent/child/missing") == ORIGIN  # a 404 under the child's prefix


def test_the_innermost_policy_wins_and_inherits_the_rest(app: Flask) -> None:
    parent = _blueprint("parent", origins=[ORIGIN], max_age=100, supports_credentials=True)
    child = _blueprint("child", origins=[PARTNER])
    grandchild = _blueprint("grandchild")
    grandchild_policy = _blueprint("deep", max_age=300)
    child.register_blueprint(grandchild, url_prefix="/g")
    child.register_blueprint(grandchild_policy, url_prefix="/d")
    parent.register_blueprint(child, url_prefix="/child")
    app.register_blueprint(parent, url_prefix="/parent")
    client = app.test_client()
    for path in ("/parent/child/hello", "/parent/child/g/hello", "/parent/child/missing"):
        assert _acao(app, path, PARTNER) == PARTNER
        assert _acao(app, path, ORIGIN) is None
        response = client.get(path, headers={"Origin": PARTNER})
        assert response.headers["Access-Control-Allow-Credentials"] == "true"  # from the parent
    assert _max_age(app, "/parent/child/hello", PARTNER) == "100"
    assert _max_age(app, "/parent/child/d/hello", PARTNER) == "300"
    assert _acao(app, "/parent/hello") == ORIGIN


def test_one_blueprint_on_two_apps_with_different_configs() -> None:
    api = _blueprint("api", supports_credentials=True)
    first, second = Flask("first"), Flask("second")
    first.config["CORS_ORIGINS"] = [ORIGIN]
    second.config["CORS_ORIGINS"] = [PARTNER]
    for app in (first, second):
        app.register_blueprint(api, url_prefix="/api")
    assert _acao(first, "/api/hello", ORIGIN) == ORIGIN
    assert _acao(first, "/api/hello", PARTNER) is None
    assert _acao(second, "/api/hello", PARTNER) == PARTNER
    assert _acao(second, "/api/hello", ORIGIN) is None


def test_one_blueprint_registered_twice_on_one_app(app: Flask) -> None:
    api = _blueprint("api", origins=[ORIGIN])
    app.register_blueprint(api, url_prefix="/v1")
    app.register_blueprint(api, url_prefix="/v2", name="api_v2")
    for path in ("/v1/hello", "/v2/hello", "/v2/missing"):
        assert _acao(app, path) == ORIGIN


def test_a_prefix_with_variables_is_covered_from_its_static_part(app: Flask) -> None:
    app.register_blueprint(_blueprint("api", origins=[ORIGIN]), url_prefix="/api/<lang>")
    assert _acao(app, "/api/en/hello") == ORIGIN
    assert _acao(app, "/api/en/missing") == ORIGIN
    assert _acao(app, "/elsewhere") is None


def test_a_blueprint_without_prefix_covers_its_routes_only(app: Flask) -> None:
    app.register_blueprint(_blueprint("api", origins=[ORIGIN]))
    assert _acao(app, "/hello") == ORIGIN
    assert _acao(app, "/missing") is None


@pytest.mark.parametrize("origins", [[PARTNER], "*"])
def test_a_blueprint_policy_may_replace_the_apps_origins(app: Flask, origins: object) -> None:
    CORS(app, origins=[ORIGIN])
    app.register_blueprint(_blueprint("public", origins=origins), url_prefix="/public")
    expected = "*" if origins == "*" else PARTNER
    assert _acao(app, "/public/hello", PARTNER) == expected
