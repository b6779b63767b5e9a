"""Where an ASGI app keeps what its export needs: crossgate's ``CORSMiddleware`` (its compiled
policy), a ``HeadersMiddleware`` around it (whose lines the preflights get too), and the
Starlette router whose routes the middleware reads.

The app is read from the outside in: a wrapper's ``.app``, down to a Starlette or FastAPI app,
then that app's ``user_middleware`` (``add_middleware``; the first is the outermost), which
Starlette builds only when the app first runs: they are built here as Starlette builds them,
with their own arguments, so their options are checked as they will be.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crossgate._layers import layers
from crossgate.asgi import CORSMiddleware, HeadersMiddleware
from crossgate.asgi._routes import find_router
from crossgate.errors import ConfigError
from crossgate.export._table import ExportError, Refusal

if TYPE_CHECKING:
    from collections.abc import Iterator

    from crossgate._policy import CORSPolicy
    from crossgate.asgi._types import Receive, Scope, Send
    from crossgate.headers import HeaderPolicy

_WHERE = "CORSMiddleware"


@dataclass(frozen=True, slots=True)
class Layers:
    """What the export reads from an ASGI app."""

    cors: CORSPolicy
    #: The header policy of a ``HeadersMiddleware`` outside the CORS middleware (the preflights
    #: it answers get its lines); None when there is none, or it is inside.
    headers: HeaderPolicy | None
    #: The Starlette router of the app the CORS middleware wraps.
    router: Any


async def _no_app(scope: Scope, receive: Receive, send: Send) -> None:
    """The app given to a middleware built only to read its options; never called."""
    raise AssertionError("the export never runs the app")  # pragma: no cover


def _outside_in(app: object) -> Iterator[tuple[object, object]]:
    """Each layer of *app* from the outside in, with the app its router is found from."""
    for layer in layers(app):
        yield layer, getattr(layer, "app", None)
        user = getattr(layer, "user_middleware", None)
        if isinstance(user, list) and getattr(layer, "router", None) is not None:
            for entry in user:
                yield entry, layer
            return


def _built(entry: object, refusals: list[Refusal]) -> object:
    """A ``Middleware(cls, ...)`` entry of ``user_middleware`` built when it is crossgate's
    (with its own arguments); anything else as it is."""
    cls = getattr(entry, "cls", None)
    if not (isinstance(cls, type) and issubclass(cls, (CORSMiddleware, HeadersMiddleware))):
        return entry
    try:
        return cls(_no_app, *getattr(entry, "args", ()), **getattr(entry, "kwargs", {}))
    except (ConfigError, TypeError) as error:
        refusals.append(Refusal(f"add_middleware({cls.__name__})", "configuration", str(error)))
        return entry


def _foreign_cors(layer: object) -> str | None:
    """The dotted name of a CORS middleware that is not crossgate's (Starlette's own)."""
    cls = getattr(layer, "cls", type(layer))
    name = getattr(cls, "__name__", "")
    if "cors" in name.lower() and isinstance(cls, type):
        return f"{cls.__module__}.{name}"
    return None


def _subclass_refusal(cls: type) -> Refusal:
    return Refusal(
        "app",
        _WHERE,
        f"is {cls.__module__}.{cls.__name__}, not crossgate.asgi.CORSMiddleware itself: the "
        "export writes what that one answers, and a subclass may answer otherwise "
        "(crossgate.compat.starlette's answers every path, with 200 or 400, as Starlette "
        "does); use crossgate.asgi.CORSMiddleware (see docs/migration-starlette.md)",
    )


def find_layers(app: object) -> Layers:
    """The CORS policy, outer header policy and router of *app*, or ExportError saying what
    is missing or cannot be exported."""
    refusals: list[Refusal] = []
    cors: list[tuple[CORSPolicy, object]] = []
    headers: list[HeaderPolicy] = []
    foreign: list[str] = []
    for entry, router_source in _outside_in(app):
        layer = _built(entry, refusals)
        if isinstance(layer, CORSMiddleware):
            if type(layer) is not CORSMiddleware:
                refusals.append(_subclass_refusal(type(layer)))
            cors.append((layer.policy, router_source))
        elif isinstance(layer, HeadersMiddleware):
            if not cors:
                headers.append(layer.policy)
        else:
            name = _foreign_cors(layer)
            if name is not None:
                foreign.append(name)
    if refusals:
        raise ExportError(refusals)
    if not cors:
        found = f" (found {', '.join(foreign)}, which the export cannot read)" if foreign else ""
        raise ExportError(
            [
                Refusal(
                    "app",
                    _WHERE,
                    f"of crossgate.asgi was not found around or inside the app{found}: wrap "
                    "it, app = CORSMiddleware(app, origins=[...])",
                )
            ]
        )
    if len(cors) > 1:
        refusals.append(
            Refusal("app", _WHERE, "wraps it twice: the proxy answers with one policy; keep one")
        )
    if len(headers) > 1:
        refusals.append(
            Refusal(
                "app",
                "HeadersMiddleware",
                "wraps it twice: the proxy adds the lines of one header policy; merge them",
            )
        )
    policy, source = cors[0]
    router = find_router(source)
    if router is None:
        refusals.append(
            Refusal(
                "app",
                _WHERE,
                "wraps an app without a Starlette router, so which paths it serves is not known "
                "to the export: export a Starlette or FastAPI app, or keep CORS in the app",
            )
        )
    if refusals:
        raise ExportError(refusals)
    return Layers(policy, headers[0] if headers else None, router)
