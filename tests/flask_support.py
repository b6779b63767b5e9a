"""Views shared by the Flask tests: one of every kind of value a Flask view can return, and one
that raises. (Here, not in tests/flask/: a package there would shadow Flask itself.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, abort, redirect, stream_with_context

#: One view per kind of return value Flask accepts, plus aborts and a crash.
VIEWS: dict[str, Callable[[], Any]] = {
    "str": lambda: "text",
    "bytes": lambda: b"bytes",
    "dict": lambda: {"json": True},
    "list": lambda: [1, 2],
    "tuple-status": lambda: ("created", 201),
    "tuple-headers": lambda: ("with headers", {"X-Extra": "1"}),
    "tuple-status-headers": lambda: ("replaced", 202, {"Vary": "Accept-Language", "X-Extra": "1"}),
    "response": lambda: Response("response", status=203),
    "generator": lambda: (part for part in ("str", "eamed")),
    "streamed": lambda: Response(stream_with_context(iter([b"chunk"]))),
    "redirect": lambda: redirect("/elsewhere"),
    "abort": lambda: abort(403),
    "teapot": lambda: abort(418),
    "raises": lambda: 1 / 0,
}


class Boom(RuntimeError):
    """The error ``boom`` raises, so a test can tell it from any other."""


def boom() -> str:
    """A view that raises ``Boom``."""
    raise Boom("the view broke")
