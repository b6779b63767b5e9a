"""A policy given to a blueprint that is registered already would never apply (Flask takes no
setup on it any more): crossgate refuses it at start-up, naming the order that works."""

from __future__ import annotations

import pytest
from flask import Blueprint, Flask

from crossgate.errors import ConfigError
from crossgate.flask import CORS, Headers


@pytest.mark.parametrize("caller", [CORS, Headers])
def test_a_policy_after_register_blueprint_says_to_swap_the_two_lines(caller: type) -> None:
    app = Flask("order")
    public = Blueprint("public", "order", url_prefix="/public")
    app.register_blueprint(public)
    with pytest.raises(ConfigError) as raised:
        caller(public)
    name = caller.__name__
    assert str(raised.value).splitlines() == [
        f"invalid crossgate configuration ({name}(blueprint 'public')): 1 problem",
        "  - blueprint='public': is registered on an app already, so this policy would never "
        f"apply to it. Fix: call {name}(public, ...) before app.register_blueprint(public)",
    ]


def test_before_register_blueprint_the_policy_applies() -> None:
    app = Flask("order")
    public = Blueprint("public", "order", url_prefix="/public")
    public.add_url_rule("/x", "x", lambda: "x")
    CORS(public, origins="*")
    Headers(public, preset="api")
    app.register_blueprint(public)
    response = app.test_client().get("/public/x", headers={"Origin": "https://a.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
