"""An app without crossgate answering ``GET /v``: the upstream of the tests that compare a
proxy's CORS answers with another app's own (the proxy hides the upstream's CORS headers and
answers preflights itself). With ``?vary=...``, it sends that ``Vary``, as a view may."""

from __future__ import annotations

from flask import Flask, Response, request

app = Flask(__name__)


@app.get("/v")
def view() -> Response:
    response = Response("v")
    if "vary" in request.args:
        response.headers["Vary"] = request.args["vary"]
    return response
