"""The same policy at the proxy tier: an app's CORS (and static header) policies compiled into
nginx, Caddy or HAProxy configuration, or refused with the route and option that cannot be.

>>> text = export_config(app, "nginx", upstream="http://127.0.0.1:5000", listen="127.0.0.1:8080")

The command line is ``flask crossgate export nginx|caddy|haproxy --upstream URL --listen
HOST:PORT`` for a Flask app, and ``crossgate export nginx|caddy|haproxy --app module:attr ...``
for a Starlette or FastAPI app in ``crossgate.asgi.CORSMiddleware``
(``crossgate.export._asgi_table``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from crossgate.export._caddy import write_caddy
from crossgate.export._haproxy import write_haproxy
from crossgate.export._nginx import write_nginx
from crossgate.export._table import ExportError, Refusal

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["PROXIES", "ExportError", "Refusal", "check_upstream", "export_config"]

#: The proxies an export is written for.
PROXIES = ("nginx", "caddy", "haproxy")


def check_upstream(upstream: str) -> str:
    """*upstream* as the proxies need it (``http://host:port``), or ValueError with the fix."""
    parts = urlsplit(upstream)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # The user's own host and port, with the scheme the proxy needs, where there is one.
        address = upstream.split("://", 1)[-1].split("/", 1)[0]
        example = f"http://{address}" if address else "http://127.0.0.1:5000"
        raise ValueError(f"{upstream!r} is not an upstream URL: write {example!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(
            f"{upstream!r} has a path: the proxy passes each request's own path, so write "
            f"'{parts.scheme}://{parts.netloc}'"
        )
    return f"{parts.scheme}://{parts.netloc}"


def export_config(
    app: Flask, proxy: Literal["nginx", "caddy", "haproxy"], *, upstream: str, listen: str
) -> str:
    """The configuration of *proxy* answering CORS for *app* as the app does, in front of
    *upstream*, listening on *listen* (``host:port``). Raises ExportError (every refusal) or
    ValueError (a bad upstream)."""
    # Imported here: the Flask table needs Flask, which an ASGI app's export does not.
    from crossgate.export._routes import build_table

    upstream = check_upstream(upstream)
    source = app.import_name
    if proxy == "nginx":
        return write_nginx(
            build_table(app, "pcre"), upstream=upstream, listen=listen, source=source
        )
    if proxy == "haproxy":  # PCRE2, as nginx
        return write_haproxy(
            build_table(app, "pcre"), upstream=upstream, listen=listen, source=source
        )
    return write_caddy(build_table(app, "re2"), upstream=upstream, listen=listen, source=source)
