"""The app the export tests serve with gunicorn, export, and replay scenarios against.

It uses what a policy can say: exact origins, a subdomain pattern, a port wildcard, a regex,
credentials, expose headers, max-age, a fixed header list and reflected headers, ``resources``
rules, a blueprint policy, a ``@cross_origin`` view, converters, a trailing-slash redirect, an
error response, a view with its own ``Vary``, and a header policy. And URL rules whose paths
overlap with different methods (``/api2``, ``/api3``, ``/api4``, ``/bulk``): Werkzeug routes by
path and method, a proxy picks a location by path alone.
"""

from __future__ import annotations

import re

from flask import Blueprint, Flask, abort, request

from crossgate.flask import CORS, Headers, cross_origin

app = Flask(__name__)
public = Blueprint("public", __name__, url_prefix="/public")
admin = Blueprint("admin", __name__, url_prefix="/admin")
PARTNER = "https://partner.example.org"


@app.get("/items/")
def items() -> dict[str, list[int]]:
    return {"items": [1, 2]}


@app.post("/items/")
def create_item() -> tuple[dict[str, int], int]:
    return {"id": 3}, 201


@app.route("/items/<int:item_id>", methods=["GET", "PUT", "PATCH", "DELETE"])
def item(item_id: int) -> tuple[dict[str, int], dict[str, str]]:
    # An exposed header and one that is not: what a page may read is part of the proof.
    return {"id": item_id}, {"X-Request-Id": f"item-{item_id}", "X-Internal": "hidden"}


@app.get("/files/<path:name>")
def files(name: str) -> str:
    return name


@app.get("/boom")
def boom() -> str:
    abort(500)


@app.get("/negotiated")
def negotiated() -> tuple[str, int, dict[str, str]]:
    return "text", 200, {"Vary": "Accept-Encoding"}


@app.post("/decorated")
@cross_origin(origins=["https://partner.example.org"], max_age=60)
def decorated() -> str:
    return "decorated"


@app.put("/put-only")
@cross_origin(origins=["https://partner.example.org"])
def put_only() -> str:
    return "put"


@public.get("/feed")
def feed() -> dict[str, list[int]]:
    return {"feed": []}


@app.get("/private")
def private() -> str:
    return "no CORS here"


@app.route("/api/<name>", methods=["GET", "POST"])
def api_name(name: str) -> dict[str, str]:
    return {"name": name}


@app.route("/api/<path:rest>", methods=["GET", "POST"])
def api_rest(rest: str) -> dict[str, str]:
    return {"rest": rest}


@app.get("/docs/<name>/")
def doc(name: str) -> str:
    return name


@app.route("/orders/<int:order_id>", methods=["GET", "DELETE"])
def order(order_id: int) -> dict[str, int]:
    return {"order": order_id}


@app.get("/reports/<path:name>")
def report(name: str) -> str:
    return name


@app.get("/things")
def list_things() -> dict[str, list[int]]:
    return {"things": []}


@app.post("/things")
@cross_origin(origins=[PARTNER], max_age=60)
def add_thing() -> tuple[str, int]:
    return "added", 201


@app.get("/things/<int:thing_id>")
def thing(thing_id: int) -> dict[str, int]:
    return {"thing": thing_id}


@app.route("/things/<int:thing_id>", methods=["PUT", "DELETE"])
@cross_origin(origins=[PARTNER], supports_credentials=False, expose_headers=["X-Changed"])
def change_thing(thing_id: int) -> dict[str, int]:
    return {"changed": thing_id}


# Overlapping rules accepting different methods. /api2/x is matched by both rules: GET reaches
# the first (the app's policy), POST the second (its own). /api3: the method a 405 falls back to
# (the first of the path's methods, sorted) is the second rule's. /api4: both rules share one
# policy, so a preflight lists the methods of both. /bulk: static paths next to a rule with a
# variable, one of them reached without its trailing slash.
@app.get("/api2/<name>")
def api2_name(name: str) -> dict[str, str]:
    return {"name": name}


@app.post("/api2/<path:rest>")
@cross_origin(origins=[PARTNER], max_age=60, expose_headers=["X-Rest"])
def api2_rest(rest: str) -> tuple[dict[str, str], dict[str, str]]:
    return {"rest": rest, "body": request.get_data(as_text=True)}, {"X-Rest": rest}


@app.put("/api3/<name>")
def api3_name(name: str) -> dict[str, str]:
    return {"name": name}


@app.delete("/api3/<path:rest>")
@cross_origin(origins=[PARTNER], supports_credentials=False)
def api3_rest(rest: str) -> dict[str, str]:
    return {"rest": rest}


@app.get("/api4/<name>")
def api4_name(name: str) -> dict[str, str]:
    return {"name": name}


@app.post("/api4/<path:rest>")
def api4_rest(rest: str) -> dict[str, str]:
    return {"rest": rest}


@app.get("/bulk/special")
def bulk_special() -> str:
    return "special"


@app.get("/bulk/latest/")
def bulk_latest() -> str:
    return "latest"


@app.post("/bulk/<name>")
@cross_origin(origins=["https://admin.example.com"], max_age=90)
def bulk_name(name: str) -> str:
    return name


@admin.get("/users")
def users() -> dict[str, list[str]]:
    return {"users": []}


@app.post("/admin/users")
def add_user() -> tuple[str, int]:
    return "no CORS on this method", 201


CORS(public, origins="*", expose_headers=["X-Feed-Version"])
CORS(admin, origins=["https://admin.example.com"], max_age=120)
app.register_blueprint(public)
app.register_blueprint(admin)
CORS(
    app,
    origins=[
        "https://app.example.com",
        "https://*.tenant.example.com",
        "http://localhost:*",
        re.compile(r"https://preview-[0-9]+\.example\.net"),
    ],
    supports_credentials=True,
    expose_headers=["X-Request-Id"],
    max_age=600,
    resources={
        "/items/*": {"allow_headers": ["Content-Type", "X-Token"]},
        "/files/*": {},
        "/boom": {},
        "/negotiated": {},
        "/decorated": {},
        "/public/*": {},
        "/api/special": {"origins": [PARTNER]},
        "/api/public/*": {"origins": "*", "supports_credentials": False},
        "/api/*": {"max_age": 30},
        "/docs/intro/": {"origins": [PARTNER]},
        "/docs/*": {},
        "/orders/7": {"origins": [PARTNER]},
        "/orders/*": {},
        re.compile(r"/reports/[a-z]+\.csv"): {"expose_headers": ["X-Report"]},
        "/things": {},
        "/things/*": {},
        "/api2/*": {"max_age": 45},
        "/api3/*": {},
        "/api4/*": {"max_age": 20},
        "/bulk/special": {"origins": [PARTNER]},
        "/bulk/*": {},
    },
)
Headers(app, headers={"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"})
