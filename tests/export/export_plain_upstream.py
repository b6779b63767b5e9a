"""An app without crossgate answering ``GET /v``: the upstream of the tests that compare a
proxy's CORS answers with another app's own (the proxy hides the upstream's CORS headers and
answers preflights itself, so only the status and the body come from here)."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/v")
def view() -> str:
    return "v"
