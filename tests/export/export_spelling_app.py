"""The app of issue 19's spellings: a credentialed ``/admin/<path:doc>`` next to a public
``'*'`` blueprint, where a path the proxy reads otherwise than the app would take the other
route's policy. ``without_crossgate`` copies any fixture app's routes and views into a Flask app
with no crossgate at all (the deployment where only the proxy answers CORS)."""

from __future__ import annotations

from flask import Blueprint, Flask, request

from crossgate.flask import CORS

ADMIN = "https://admin.example.com"

app = Flask(__name__)
public = Blueprint("public", __name__, url_prefix="/public")


@app.route("/admin/<path:doc>", methods=["GET", "PUT"])
def admin_doc(doc: str) -> dict[str, str]:
    return {"doc": doc}


@app.get("/admin/users")
def admin_users() -> dict[str, list[str]]:
    return {"users": []}


@app.get("/items/<int:number>")
def item(number: int) -> dict[str, int]:
    return {"item": number}


@public.route("/<path:name>", methods=["GET", "POST"])
def public_file(name: str) -> dict[str, str]:
    return {"name": name, "body": request.get_data(as_text=True)}


CORS(public, origins="*", expose_headers=["X-Public"])
app.register_blueprint(public)
CORS(app, origins=[ADMIN], supports_credentials=True, allow_headers=["X-Token"], max_age=120)


def without_crossgate(source: Flask) -> Flask:
    """A Flask app with *source*'s URL rules and views, and nothing of crossgate."""
    bare = Flask(f"{source.import_name}_bare")
    for rule in source.url_map.iter_rules():
        if rule.endpoint != "static":
            bare.url_map.add(rule.empty())
    bare.view_functions.update(source.view_functions)
    return bare
