"""How crossgate finds what a web app is made of: the layers of middleware around it.

WSGI and ASGI middleware keep the app they wrap in ``.app`` (Werkzeug's ``ProxyFix``,
Starlette's middleware, crossgate's own). The edge looks there for a ``ProxyFix``, the ASGI
middleware for the Starlette router, the export for crossgate's middleware; all walk the same
way, with the same bound.
"""

from __future__ import annotations

from collections.abc import Iterator

#: How deep a walk goes: a loop of ``.app`` references (or a very deep stack) ends there.
MAX_LAYERS = 16


def layers(app: object) -> Iterator[object]:
    """*app*, then the app each layer wraps (its ``.app``), outside in, up to ``MAX_LAYERS``
    layers; the walk ends at a layer without ``.app``."""
    layer: object | None = app
    for _ in range(MAX_LAYERS):
        if layer is None:
            return
        yield layer
        layer = getattr(layer, "app", None)
