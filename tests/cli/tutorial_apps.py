"""Flask apps built as tutorials teach, in the situations people bring ("I added CORS and it is
still blocked"): served by gunicorn and inspected by ``flask --app`` in the tests.

``CROSSGATE_PAGE_ORIGIN`` names the page's origin (a browser test serves it on a free port).
"""

from __future__ import annotations

import os

from flask import Flask, Response, make_response

from crossgate.flask import CORS, cross_origin

PAGE = os.environ.get("CROSSGATE_PAGE_ORIGIN", "http://127.0.0.1:5002")
PARTNER = "https://partner.example.com"


def hand_set_app(page: str = PAGE, *, crossgate: bool = True) -> Flask:
    """A tutorial's hand-set ``*`` (after_request, and make_response in one view), then
    ``CORS(app, origins=[page], supports_credentials=True)`` on top (without it when not
    *crossgate*: the tutorial alone)."""
    app = Flask("hand_set")

    @app.get("/api/me")
    def me() -> str:
        return "me"

    @app.get("/api/made")
    def made() -> Response:
        response = make_response("made")
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    @app.after_request
    def allow_everyone(response: Response) -> Response:
        response.headers.setdefault("Access-Control-Allow-Origin", "*")
        return response

    if crossgate:
        CORS(app, origins=[page], supports_credentials=True)
    return app


def override_app(*, debug: bool = False) -> Flask:
    """The app's origins name the page; the decorator on ``partner_only`` names another."""
    app = Flask("override")
    app.debug = debug

    @app.get("/api/open")
    def open_data() -> str:
        return "open"

    @app.get("/api/partner")
    @cross_origin(origins=[PARTNER])
    def partner_only() -> str:
        return "partner"

    CORS(app, origins=[PAGE])
    return app


def methods_app() -> Flask:
    """``resources`` methods that a GET route does not accept."""
    app = Flask("methods")

    @app.get("/api/items")
    def items() -> str:
        return "items"

    CORS(
        app, resources={"/api/*": {"origins": [PAGE], "methods": ["GET", "POST", "PUT", "DELETE"]}}
    )
    return app


hand_set = hand_set_app()
tutorial_only = hand_set_app(crossgate=False)
override = override_app()
override_debug = override_app(debug=True)
methods = methods_app()
