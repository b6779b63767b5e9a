"""The FastAPI app the ASGI export tests serve with uvicorn, export, and replay: every kind of
route the export reads (routes sharing a path, convertors, a ``path`` convertor, Mounts of
routes and of another app, a class endpoint, trailing slashes both ways, routes that may share
paths, a WebSocket route) behind one ``CORSMiddleware`` and a ``HeadersMiddleware`` around it.
"""

from __future__ import annotations

import re

from fastapi import FastAPI, Response, WebSocket
from starlette.endpoints import HTTPEndpoint
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, Router

from crossgate.asgi import CORSMiddleware, HeadersMiddleware

api = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@api.get("/items")
def list_items() -> list[str]:
    return ["apple"]


@api.post("/items", status_code=201)
def add_item() -> dict[str, int]:
    return {"id": 1}


@api.get("/items/mine")
def my_items() -> list[str]:
    return []


@api.put("/items/{item_id}")
def put_item(item_id: str) -> dict[str, str]:
    return {"stored": item_id}


@api.delete("/items/{item_id}")
def delete_item(item_id: str) -> dict[str, str]:
    return {"deleted": item_id}


@api.get("/files/{name:path}")
def read_file(name: str) -> dict[str, str]:
    return {"file": name}


@api.patch("/orders/{order_id:int}/")
def patch_order(order_id: int) -> dict[str, int]:
    return {"order": order_id}


@api.get("/users/{user_id:int}")
def get_user(user_id: int) -> dict[str, int]:
    return {"user": user_id}


@api.delete("/users/{name}")
def delete_user(name: str) -> dict[str, str]:
    return {"deleted": name}


@api.get("/boom")
def boom() -> None:
    raise RuntimeError("a bug")


@api.get("/negotiated")
def negotiated(response: Response) -> dict[str, str]:
    response.headers["Vary"] = "Accept-Encoding"
    return {"negotiated": "yes"}


@api.websocket("/ws")
async def socket(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.close()


class Legacy(HTTPEndpoint):
    async def get(self, request: Request) -> PlainTextResponse:
        return PlainTextResponse("legacy")


def report(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"report {request.path_params.get('number', '')}")


async def assets(scope: object, receive: object, send: object) -> None:
    response = PlainTextResponse("asset")
    await response(scope, receive, send)  # type: ignore[arg-type]


api.router.routes.append(Route("/legacy", Legacy))
api.mount(
    "/v1",
    Router(
        routes=[
            Route("/reports/", report, methods=["GET", "POST"]),
            Route("/reports/{number:int}", report, methods=["GET", "PUT"]),
        ]
    ),
)
api.mount("/assets", assets)

app = HeadersMiddleware(
    CORSMiddleware(
        api,
        origins=[
            "https://app.example.com",
            "https://*.tenant.example.com",
            "http://localhost:*",
            re.compile(r"https://preview-[0-9]+\.example\.net"),
        ],
        allow_headers=["Content-Type", "X-Token"],
        expose_headers=["X-Total"],
        supports_credentials=True,
        max_age=300,
        allow_private_network=True,
    ),
    headers={"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"},
)
