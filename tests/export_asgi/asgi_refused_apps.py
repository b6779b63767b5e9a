"""Small ASGI apps for the refusal and command-line tests of ``crossgate export``: each is
importable as ``tests.export_asgi.asgi_refused_apps:NAME``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware as StarletteCORS
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Host, Match, Route

from crossgate.asgi import CORSMiddleware, HeadersMiddleware
from crossgate.compat.starlette import CORSMiddleware as CompatCORS

ORIGINS = ["https://app.example.com"]


def page(request: Request) -> PlainTextResponse:
    return PlainTextResponse("page")


class NotAdmin(Convertor[str]):
    """A name other than admin: a lookahead, which RE2 cannot run."""

    regex = r"(?!admin/)[a-z]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("crossgate_not_admin", NotAdmin())


def trusted(origin: str) -> bool:
    return origin.endswith(".example.com")


def starlette(*routes: BaseRoute) -> Starlette:
    return Starlette(routes=[Route("/page", page), *routes])


callable_origin = CORSMiddleware(starlette(), origins=[*ORIGINS, trusted])
lookahead_convertor = CORSMiddleware(
    starlette(Route("/people/{name:crossgate_not_admin}", page)), origins=ORIGINS
)
dollar_header = CORSMiddleware(starlette(), origins=ORIGINS, expose_headers=["X-Cost$"])
host_route = CORSMiddleware(
    starlette(Host("api.example.com", app=Starlette(routes=[Route("/v", page)]))),
    origins=[*ORIGINS, trusted],
)


class Custom(BaseRoute):
    """A route type the export does not know."""

    def matches(self, scope: Any) -> tuple[Match, dict[str, Any]]:
        return Match.NONE, {}


custom_route = CORSMiddleware(starlette(Custom()), origins=ORIGINS)

without_cors = FastAPI()
starlette_cors = Starlette(
    routes=[Route("/page", page)], middleware=[Middleware(StarletteCORS, allow_origins=ORIGINS)]
)
compat_cors = CompatCORS(starlette(), allow_origins=ORIGINS)
twice_wrapped = CORSMiddleware(CORSMiddleware(starlette(), origins=ORIGINS), origins=ORIGINS)
twice_headers = HeadersMiddleware(
    HeadersMiddleware(CORSMiddleware(starlette(), origins=ORIGINS), preset="api"), preset="api"
)


async def bare(scope: Any, receive: Any, send: Any) -> None:
    await PlainTextResponse("bare")(scope, receive, send)


no_router = CORSMiddleware(bare, origins=ORIGINS)

added = Starlette(
    routes=[Route("/page", page, methods=["GET", "PUT"])],
    middleware=[
        Middleware(HeadersMiddleware, headers={"X-Frame-Options": "DENY"}),
        Middleware(CORSMiddleware, origins=ORIGINS, max_age=30),
    ],
)
added_with_errors = Starlette(
    routes=[Route("/page", page)],
    middleware=[Middleware(CORSMiddleware, origins=["localhost:3000"], max_age=-1)],
)
headers_inside = CORSMiddleware(
    HeadersMiddleware(starlette(), headers={"X-Frame-Options": "DENY"}), origins=ORIGINS
)
