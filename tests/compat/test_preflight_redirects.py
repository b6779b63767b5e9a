"""``preflight_before_request`` on URLs Werkzeug redirects (``/items`` for the route ``/items/``).

A browser never follows a redirect for a preflight, so a 308 (or the auth hook's 401) fails it.
The early answer follows Werkzeug's redirect on the server side, as the native edge does, and
answers with the policy of the route reached.
"""

from __future__ import annotations

import pytest
from flask import Blueprint, Flask, Response
from werkzeug.test import TestResponse

import crossgate.compat.flask_cors as compat

from .differential import ACRM, ORIGIN, OTHER, preflight


def _guarded_app() -> Flask:
    """An app whose auth hook answers 401 to every request it sees."""
    app = Flask("redirects")
    app.before_request(lambda: Response("login required", status=401))

    @app.route("/items/", methods=["GET", "PUT"])
    def items() -> str:
        return "items"

    return app


def _comparable(response: TestResponse) -> list[tuple[str, str]]:
    return sorted(
        (name, ", ".join(sorted(value.split(", "))) if name == "Allow" else value)
        for name, value in response.headers.items()
    )


def test_a_redirected_preflight_is_answered_by_the_route_it_leads_to() -> None:
    app = _guarded_app()
    compat.CORS(app, origins=[ORIGIN], max_age=60, preflight_before_request=True)
    response = preflight("p", path="/items", **{ACRM: "PUT"}).send(app)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Access-Control-Max-Age"] == "60"
    # Flask's answer to OPTIONS on /items/, not on the redirecting /items (which has none).
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "PUT"}
    # The same answer as the preflight to the route's own URL (Allow's order aside).
    direct = preflight("p", path="/items/", **{ACRM: "PUT"}).send(app)
    assert direct.status_code == 200
    assert _comparable(response) == _comparable(direct)


def test_a_redirected_preflight_from_a_refused_origin_gets_no_cors_headers() -> None:
    app = _guarded_app()
    compat.CORS(app, origins=[ORIGIN], preflight_before_request=True)
    response = preflight("p", OTHER, path="/items", **{ACRM: "PUT"}).send(app)
    assert "Access-Control-Allow-Origin" not in response.headers


def test_the_policy_of_the_path_reached_decides() -> None:
    app = _guarded_app()
    compat.CORS(
        app,
        origins=[ORIGIN],
        resources={"/items/": {"preflight_before_request": True}, "/items": {}},
    )
    assert preflight("p", path="/items", **{ACRM: "PUT"}).send(app).status_code == 200
    other = _guarded_app()
    compat.CORS(
        other,
        origins=[ORIGIN],
        resources={"/items": {"preflight_before_request": True}, "/items/": {}},
    )
    assert preflight("p", path="/items", **{ACRM: "PUT"}).send(other).status_code == 401


def test_without_the_option_the_auth_hook_still_answers_as_in_flask_cors() -> None:
    app = _guarded_app()
    compat.CORS(app, origins=[ORIGIN], resources={"/nothing": {"preflight_before_request": True}})
    assert preflight("p", path="/items", **{ACRM: "PUT"}).send(app).status_code == 401


def test_a_redirected_preflight_to_a_decorated_view() -> None:
    app = _guarded_app()

    @app.route("/decorated/", methods=["PUT"])
    @compat.cross_origin(origins=[OTHER], max_age=5)
    def decorated() -> str:
        return "decorated"

    compat.CORS(app, resources=[], preflight_before_request=True)
    response = preflight("p", OTHER, path="/decorated", **{ACRM: "PUT"}).send(app)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == OTHER
    assert response.headers["Access-Control-Max-Age"] == "5"
    assert set(response.headers["Allow"].split(", ")) == {"OPTIONS", "PUT"}


@pytest.mark.parametrize("prefix", ["/v1", "/v1/inner"])
def test_a_redirected_preflight_into_a_blueprint(prefix: str) -> None:
    app = _guarded_app()
    api = Blueprint("api", __name__)
    api.add_url_rule("/things/", "things", lambda: "things", methods=["PUT"])
    compat.CORS(api, origins=[ORIGIN], preflight_before_request=True)
    if prefix == "/v1":
        app.register_blueprint(api, url_prefix=prefix)
    else:
        outer = Blueprint("outer", __name__)
        outer.register_blueprint(api, url_prefix="/inner")
        app.register_blueprint(outer, url_prefix="/v1")
    response = preflight("p", path=f"{prefix}/things", **{ACRM: "PUT"}).send(app)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_redirects_that_lead_to_no_answer_to_options_are_left_to_the_app() -> None:
    app = _guarded_app()
    app.add_url_rule(
        "/strict/", "strict", lambda: "strict", methods=["GET"], provide_automatic_options=False
    )
    app.add_url_rule("/old", "old", redirect_to="/strict/")
    app.add_url_rule("/gone", "gone", redirect_to="/nowhere")
    compat.CORS(app, origins=[ORIGIN], preflight_before_request=True)
    for path in ("/old", "/gone"):
        assert preflight("p", path=path, **{ACRM: "GET"}).send(app).status_code == 401
