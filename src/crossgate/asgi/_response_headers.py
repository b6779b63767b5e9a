"""``HeadersMiddleware``: crossgate's response headers (presets, CSP, HSTS) for an ASGI app.

The options are those of ``crossgate.flask.Headers`` and are compiled once, by the same
``compile_headers``; each response's ``http.response.start`` gets the policy's lines, with
``Vary`` and ``Cache-Control`` merged into the app's own. Wrap it outermost (around
``CORSMiddleware`` too) and the preflights crossgate answers carry the headers as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from crossgate._header_options import compile_header_options
from crossgate.asgi._cors import CORS_SCOPE_KEY, encode
from crossgate.asgi._startup import StartupGuard
from crossgate.asgi._types import ASGIApp, Message, Receive, Scope, Send
from crossgate.errors import ConfigError
from crossgate.headers import make_nonce

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from crossgate._options import HeadersOptions

#: Where ``csp_nonce`` keeps a request's nonce in the ASGI scope.
NONCE_SCOPE_KEY = "crossgate.csp_nonce"


def csp_nonce(scope: Scope) -> str:
    """The CSP nonce of the request of *scope* (``request.scope`` in Starlette and FastAPI),
    created on the first call and the same after: ``<script nonce="...">``.
    ``HeadersMiddleware`` adds ``'nonce-...'`` to the directives named in
    ``csp_nonce_directives``; a request that never calls it gets no nonce."""
    nonce: str | None = scope.get(NONCE_SCOPE_KEY)
    if nonce is None:
        nonce = scope[NONCE_SCOPE_KEY] = make_nonce()
    return nonce


class HeadersMiddleware(StartupGuard):
    """Response headers for every response of an ASGI app, with the options of
    ``crossgate.flask.Headers``.

    >>> app = HeadersMiddleware(FastAPI(), preset="api", headers={"Cache-Control": "no-store"})

    ``Strict-Transport-Security`` and ``upgrade-insecure-requests`` are sent only on https
    (the scope's ``scheme``: run the server with ``--proxy-headers`` behind a proxy). Invalid
    options raise ``ConfigError`` here, listing every problem with its fix; built by
    ``add_middleware``, they fail the lifespan startup instead.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        headers: Mapping[str, str | None] | None = None,
        **options: Unpack[HeadersOptions],
    ) -> None:
        self.app = app
        try:
            self.policy = compile_header_options(
                {"headers": headers, **options},
                owner="HeadersMiddleware",
                where="HeadersMiddleware(app)",
            )
        except ConfigError as error:
            self.fail_startup(error)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if await self.passed_on(scope, receive, send):
            return
        policy = self.policy

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name.decode("latin-1"), value.decode("latin-1"))
                    for name, value in message.get("headers", ())
                ]
                policy.apply(
                    headers,
                    secure=scope.get("scheme") == "https",
                    cross_origin_allowed=scope.get(CORS_SCOPE_KEY, False),
                    nonce=scope.get(NONCE_SCOPE_KEY),
                )
                message["headers"] = encode(headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)
