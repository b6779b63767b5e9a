"""An app with header policies only (no CORS), whose URL rules overlap with different methods:
a POST to /h/x reaches the second rule, whose header policy is not the first's."""

from __future__ import annotations

from flask import Flask

from crossgate.flask import Headers, headers

app = Flask(__name__)


@app.get("/h/<name>")
@headers(
    {"X-Frame-Options": "SAMEORIGIN", "Cache-Control": "no-store"}, override=["X-Frame-Options"]
)
def named(name: str) -> str:
    return name


@app.post("/h/<path:rest>")
def rest(rest: str) -> str:
    return rest


Headers(app, headers={"X-Frame-Options": "DENY"})
