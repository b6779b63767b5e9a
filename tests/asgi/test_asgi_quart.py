"""A Quart app works through crossgate.asgi: it has no Starlette router, so ``methods`` says
what a preflight may ask for."""

from __future__ import annotations

from quart import Quart

from crossgate.asgi import CORSMiddleware
from tests.asgi_support import ORIGIN, OTHER, client, preflight_headers


def test_a_quart_app_gets_preflights_answered_and_its_responses_covered() -> None:
    quart = Quart(__name__)
    calls: list[str] = []

    @quart.route("/items", methods=["GET", "PUT"])
    async def items() -> dict[str, str]:
        calls.append("items")
        return {"items": "yes"}

    app = client(CORSMiddleware(quart, origins=[ORIGIN], methods=["GET", "PUT"]))
    preflight = app.options("/items", headers=preflight_headers("PUT", "Content-Type"))
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-methods"] == "GET, PUT"
    assert app.options("/items", headers=preflight_headers("DELETE")).status_code == 403
    assert calls == []
    response = app.put("/items", headers={"Origin": ORIGIN})
    assert response.json() == {"items": "yes"}
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["vary"] == "Origin"
    refused = app.get("/items", headers={"Origin": OTHER})
    assert "access-control-allow-origin" not in refused.headers
    assert calls == ["items", "items"]
