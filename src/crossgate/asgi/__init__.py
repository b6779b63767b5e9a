"""crossgate for ASGI apps: Starlette, FastAPI, Quart, or any ASGI 3 callable.

>>> from crossgate.asgi import CORSMiddleware, HeadersMiddleware
>>> app = HeadersMiddleware(CORSMiddleware(app, origins=["https://app.example.com"]), preset="api")

Both take the options of their Flask counterparts (``CORS``, ``Headers``), run on the same
engine and need no framework: Starlette is used only to read a Starlette app's routes.
"""

from __future__ import annotations

from crossgate.asgi._cors import CORSMiddleware
from crossgate.asgi._protection import CrossOriginProtection
from crossgate.asgi._response_headers import HeadersMiddleware, csp_nonce

__all__ = ["CORSMiddleware", "CrossOriginProtection", "HeadersMiddleware", "csp_nonce"]
