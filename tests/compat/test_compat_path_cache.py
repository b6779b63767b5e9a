"""The flask-cors layer keeps which ``resources`` rule covers each recent path: bounded, and
never for a path of unusual length, so a client sending endless distinct paths cannot grow it."""

from __future__ import annotations

from flask import Flask

from crossgate.compat.flask_cors import CORS
from crossgate.compat.flask_cors._app import app_state

ORIGIN = "https://app.example.com"


def make_app() -> Flask:
    app = Flask(__name__)

    @app.get("/api/<path:rest>")
    def api(rest: str) -> str:
        return rest

    @app.get("/public/<path:rest>")
    def public(rest: str) -> str:
        return rest

    CORS(app, resources={r"/api/*": {"origins": [ORIGIN]}})
    return app


def test_answers_stay_right_for_a_path_seen_before() -> None:
    client = make_app().test_client()
    for _ in range(3):
        covered = client.get("/api/items", headers={"Origin": ORIGIN})
        assert covered.headers["Access-Control-Allow-Origin"] == ORIGIN
        uncovered = client.get("/public/items", headers={"Origin": ORIGIN})
        assert "Access-Control-Allow-Origin" not in uncovered.headers


def test_the_kept_paths_are_bounded_and_long_ones_are_not_kept() -> None:
    app = make_app()
    client = app.test_client()
    for number in range(5000):
        response = client.get(f"/api/{number}", headers={"Origin": ORIGIN})
        assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    registration = app_state(app).registrations[0][1]
    assert len(registration.paths) == 4096
    long_path = "/api/" + "a" * 3000
    response = client.get(long_path, headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert registration.paths.get(long_path) is None
    assert registration.paths.get("/api/4999") is not None
