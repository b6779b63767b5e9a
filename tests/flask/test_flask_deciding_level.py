"""A refused origin names the level whose ``origins`` decided, with the line that declared it,
the origins it allows and a near miss: in the log and in the debug-mode body of a refused
preflight (the same Reason)."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

import pytest
from flask import Blueprint, Flask

from crossgate.flask import CORS, cross_origin

PAGE = "http://127.0.0.1:5002"
HERE = "tests/flask/test_flask_deciding_level.py"


def declared(name: str) -> str:
    """``file:line`` of the declaration marked ``# declares: name`` below."""
    lines = Path(__file__).read_text(encoding="utf-8").splitlines()
    number = next(n for n, line in enumerate(lines, 1) if line.endswith(f"# declares: {name}"))
    return f"{HERE}:{number}"


def make_app(*, debug: bool = True) -> Flask:
    app = Flask("levels")
    app.debug = debug

    @app.get("/open")
    def open_data() -> str:
        return "open"

    @app.get("/partner")
    @cross_origin(origins=["https://partner.example.com"])  # declares: partner
    def partner_only() -> str:
        return "partner"

    @app.get("/api/items")
    def items() -> str:
        return "items"

    shop = Blueprint("shop", __name__, url_prefix="/shop")

    @shop.get("/cart")
    def cart() -> str:
        return "cart"

    CORS(shop, origins=["https://shop.example.com"])  # declares: shop
    app.register_blueprint(shop)
    CORS(  # declares: app
        app,
        origins=[PAGE],
        resources={"/api/*": {"origins": ["https://www.api.example.com"]}, "/*": {}},
    )
    return app


def refusal(app: Flask, path: str, origin: str, caplog: pytest.LogCaptureFixture) -> str:
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="crossgate"):
        sent = {"Origin": origin, "Access-Control-Request-Method": "PUT"}
        response = app.test_client().options(path, headers=sent)
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    [line] = [record.getMessage() for record in caplog.records]
    assert body.strip() in line  # the debug body is the log's reason
    return body


@pytest.mark.parametrize(
    ("path", "origin", "level", "allowed"),
    [
        (
            "/partner",
            PAGE,
            f"@cross_origin(...) on view 'partner_only' ({declared('partner')})",
            "https://partner.example.com",
        ),
        (
            "/shop/cart",
            PAGE,
            f"CORS(blueprint 'shop') ({declared('shop')})",
            "https://shop.example.com",
        ),
        (
            "/api/items",
            PAGE,
            f"the resources rule '/api/*' of CORS(app) ({declared('app')})",
            "https://www.api.example.com",
        ),
        ("/open", "https://evil.example", f"CORS(app) ({declared('app')})", PAGE),
    ],
)
def test_the_level_that_decided_is_named_with_its_line(
    caplog: pytest.LogCaptureFixture, path: str, origin: str, level: str, allowed: str
) -> None:
    body = refusal(make_app(), path, origin, caplog)
    assert (
        f"is not in the allowed origins of {level}, which decided for this route: {allowed}" in body
    )
    assert f"add {origin!r} to origins of {level}" in body


@pytest.mark.parametrize(
    ("path", "origin", "aspect"),
    [
        ("/open", "http://localhost:5002", "localhost vs 127.0.0.1"),
        ("/open", "http://127.0.0.1:5003", "the port"),
        ("/open", "https://127.0.0.1:5002", "the scheme"),
        ("/api/items", "https://api.example.com", "a 'www.' prefix"),
    ],
)
def test_a_near_miss_is_pointed_out(
    caplog: pytest.LogCaptureFixture, path: str, origin: str, aspect: str
) -> None:
    body = refusal(make_app(), path, origin, caplog)
    assert f"only in {aspect}" in body
    assert "if the page is meant to be" in body


def test_only_config_names_the_config() -> None:
    app = Flask("config_only")
    app.config["CORS_ORIGINS"] = [PAGE]
    shop = Blueprint("shop", __name__)

    @shop.get("/cart")
    def cart() -> str:
        return "cart"

    CORS(shop, supports_credentials=True)
    app.register_blueprint(shop)
    app.debug = True
    sent = {"Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"}
    body = app.test_client().options("/cart", headers=sent).get_data(as_text=True)
    assert f"of the app's CORS_* config, which decided for this route: {PAGE}" in body


def test_production_bodies_say_nothing_of_the_configuration() -> None:
    sent = {"Origin": "http://localhost:5002", "Access-Control-Request-Method": "PUT"}
    body = make_app(debug=False).test_client().options("/open", headers=sent).get_data()
    assert body == b"CORS preflight refused.\n"


def test_a_declaration_outside_the_working_directory_is_named_by_its_full_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = tmp_path / "elsewhere_app.py"
    module.write_text(
        "from flask import Flask\n"
        "from crossgate.flask import CORS\n"
        "app = Flask('elsewhere')\n"
        "app.debug = True\n"
        "app.add_url_rule('/x', 'x', lambda: 'x')\n"
        "CORS(app, origins=['https://app.example.com'])\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(Path(__file__).parent)
    app = importlib.import_module("elsewhere_app").app
    sent = {"Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"}
    body = app.test_client().options("/x", headers=sent).get_data(as_text=True)
    assert f"of CORS(app) ({module}:6)" in body
