"""Configuration errors that end start-up, also for middleware Starlette builds lazily.

``app.add_middleware(CORSMiddleware, ...)`` does not construct the middleware: Starlette builds
its stack on the first ASGI call, which is the lifespan startup when the server sends one. A
``ConfigError`` raised there escapes into the server, and uvicorn's default ``--lifespan auto``
takes any exception as "lifespan unsupported", starts anyway and answers every request with a
500. So a middleware built by Starlette keeps its ``ConfigError`` and becomes a
``FailedStartup``: it answers the lifespan startup with ``lifespan.startup.failed`` and the
message (uvicorn and hypercorn then exit, in ``auto`` and ``on``), and an HTTP request that
arrives anyway (a server without lifespan) with a 500 naming the problem. Constructed directly
(``app = CORSMiddleware(app, ...)``), the middleware raises at once as before.
"""

from __future__ import annotations

import inspect
import logging

from crossgate.asgi._types import ASGIApp, Receive, Scope, Send
from crossgate.errors import ConfigError

logger = logging.getLogger("crossgate")

# Starlette's (and FastAPI's) method that constructs the classes given to add_middleware.
_BUILDER = "build_middleware_stack"
# The builder calls the class, whose __init__ may be a subclass's calling super().__init__.
_FRAMES_TO_LOOK = 8


def built_by_starlette() -> bool:
    """Whether the middleware being constructed was called by Starlette's lazy stack builder
    (so raising would reach the server instead of the code that configured it)."""
    frame = inspect.currentframe()
    for _ in range(_FRAMES_TO_LOOK):
        if frame is None:
            return False
        if frame.f_code.co_name == _BUILDER:
            return True
        frame = frame.f_back
    return False


class FailedStartup:
    """What a lazily built middleware with a bad configuration answers: the lifespan startup
    fails with the message, HTTP requests get a 500 naming the problem, websockets are closed.
    The problems are logged once, at ERROR, when it is made."""

    def __init__(self, error: ConfigError) -> None:
        self.error = error
        self.message = str(error)
        self._body = f"{self.message}\n".encode()
        logger.error("%s", self.message)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.failed", "message": self.message})
            else:
                await send({"type": "lifespan.shutdown.complete"})
        elif kind == "http":
            headers = [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(self._body)).encode()),
            ]
            await send({"type": "http.response.start", "status": 500, "headers": headers})
            await send({"type": "http.response.body", "body": self._body})
        else:
            await send({"type": "websocket.close", "code": 1011})


class StartupGuard:
    """What crossgate's HTTP middleware share: a bad configuration that ends start-up
    (``fail_startup``) and the calls they leave to others (``passed_on``)."""

    app: ASGIApp
    #: Set when Starlette built the middleware with invalid options: it answers everything.
    failed: FailedStartup | None = None

    def fail_startup(self, error: ConfigError) -> None:
        """Raise *error*, or, when Starlette is building its middleware stack (where a raise
        would reach the server), answer every call with it (``FailedStartup``)."""
        if not built_by_starlette():
            raise error
        self.failed = FailedStartup(error)

    async def passed_on(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Whether the call was answered without the middleware: by its failed start-up, or
        (not HTTP: lifespan, websocket) by the app it wraps."""
        if self.failed is not None:
            await self.failed(scope, receive, send)
            return True
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return True
        return False
