"""Several apps in one process: each has its own policy and state, nothing leaks between them."""

from __future__ import annotations

from flask import Blueprint, Flask

from crossgate.flask import CORS, cross_origin

ORIGIN = "https://app.example.com"
PARTNER = "https://partner.example.com"


def _make(name: str) -> Flask:
    app = Flask(name)

    @app.get("/data")
    def data() -> str:
        return name

    return app


def test_apps_with_different_policies_do_not_see_each_other() -> None:
    first, second, bare = _make("first"), _make("second"), _make("bare")
    CORS(first, origins=[ORIGIN], supports_credentials=True)
    CORS(second, origins="*")
    for origin in (ORIGIN, PARTNER):
        assert (
            second.test_client()
            .get("/data", headers={"Origin": origin})
            .headers["Access-Control-Allow-Origin"]
            == "*"
        )
    allowed = first.test_client().get("/data", headers={"Origin": ORIGIN})
    assert allowed.headers["Access-Control-Allow-Credentials"] == "true"
    assert (
        "Access-Control-Allow-Origin"
        not in first.test_client().get("/data", headers={"Origin": PARTNER}).headers
    )
    assert "crossgate" not in bare.extensions
    assert bare.test_client().get("/data", headers={"Origin": ORIGIN}).headers.get("Vary") is None
    assert first.extensions["crossgate"] is not second.extensions["crossgate"]


def test_one_extension_object_serves_several_apps() -> None:
    cors = CORS(origins=[ORIGIN])
    apps = [_make("one"), _make("two")]
    for app in apps:
        cors.init_app(app, max_age=len(app.name))
    for app in apps:
        response = app.test_client().options(
            "/data", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}
        )
        assert response.headers["Access-Control-Max-Age"] == str(len(app.name))


def test_a_decorated_view_shared_by_two_apps_inherits_from_each() -> None:
    @cross_origin(max_age=30)
    def shared() -> str:
        return "shared"

    first, second = Flask("first"), Flask("second")
    CORS(first, origins=[ORIGIN])
    CORS(second, origins=[PARTNER], supports_credentials=True)
    for app in (first, second):
        app.add_url_rule("/shared", "shared", shared)
    assert (
        first.test_client()
        .get("/shared", headers={"Origin": ORIGIN})
        .headers["Access-Control-Allow-Origin"]
        == ORIGIN
    )
    second_response = second.test_client().get("/shared", headers={"Origin": PARTNER})
    assert second_response.headers["Access-Control-Allow-Credentials"] == "true"
    assert (
        "Access-Control-Allow-Origin"
        not in second.test_client().get("/shared", headers={"Origin": ORIGIN}).headers
    )


def test_registering_a_blueprint_on_one_app_does_not_touch_another() -> None:
    api = Blueprint("api", __name__)
    CORS(api, origins=[ORIGIN])

    @api.get("/x")
    def x() -> str:
        return "x"

    registered, other = _make("registered"), _make("other")
    registered.register_blueprint(api, url_prefix="/api")
    assert "crossgate" in registered.extensions
    assert "crossgate" not in other.extensions
