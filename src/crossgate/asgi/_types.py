"""The ASGI 3 callable types the adapter speaks, spelled as the ASGI specification does.

Defined here so the core path imports no framework; Starlette, FastAPI and Quart apps match
them structurally.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
#: Any ASGI 3 app. Its arguments are typed loosely on purpose: Quart and hypercorn type theirs
#: with TypedDicts, which a MutableMapping parameter would reject.
ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]
