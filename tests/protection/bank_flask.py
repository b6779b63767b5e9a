"""The protected Flask app of the browser tests, for gunicorn (gthread) with flask-sock.

``CROSSGATE_TRUSTED_ORIGIN`` is the page origin its CORS policy allows with credentials. The
``open_*`` routes are exempt: the control that shows a forger's requests do reach an app.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, request, session
from flask_sock import Sock  # type: ignore[import-untyped]

from crossgate.flask import CORS, CrossOriginProtection
from tests.protection.attack_page import Ledger, page, query_of

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

ledger = Ledger()
app = Flask(__name__)
app.secret_key = "browser tests only"
sock = Sock(app)


@app.get("/login")
def login() -> str:
    session["user"] = "alice"
    back = request.args.get("back", "")
    go = f"location.href = {json.dumps(back)};" if back else ""
    return f"<!doctype html><title>logged in</title><script>{go}</script>"


@app.get("/page")
def attack_page() -> Response:
    return Response(page(query_of(request.query_string.decode())), mimetype="text/html")


@app.get("/ledger")
def report() -> Response:
    return Response(ledger.report(request.query_string.decode()), mimetype="application/json")


def transfer() -> str:
    ledger.effect(request.query_string.decode(), "user" in session)
    return "moved"


def chat(socket: Any) -> None:
    ledger.effect(request.query_string.decode(), "user" in session)
    socket.send("hello")
    socket.receive(timeout=5)


app.add_url_rule("/transfer", "transfer", transfer, methods=["POST"])
app.add_url_rule("/open/transfer", "open_transfer", transfer, methods=["POST"])
sock.route("/ws", endpoint="chat")(chat)
sock.route("/open/ws", endpoint="open_chat")(chat)

CORS(
    app,
    origins=[os.environ.get("CROSSGATE_TRUSTED_ORIGIN", "http://localhost")],
    supports_credentials=True,
)
CrossOriginProtection(app, exempt=["open_transfer", "open_chat"])

_inner = app.wsgi_app


def _recorded(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """Record every request as it arrives, before the protection judges it."""
    headers = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    ledger.arrived(environ.get("QUERY_STRING", ""), headers)
    return _inner(environ, start_response)


app.wsgi_app = _recorded  # type: ignore[method-assign]
