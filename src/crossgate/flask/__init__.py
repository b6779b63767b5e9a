"""crossgate for Flask: CORS and response headers, applied to every response an app produces.

>>> from crossgate.flask import CORS, Headers
>>> CORS(app, origins=["https://app.example.com"], supports_credentials=True)
>>> Headers(app, preset="web", headers={"Cache-Control": "no-store"})
"""

from __future__ import annotations

try:
    import flask  # noqa: F401
except ModuleNotFoundError as missing:  # pragma: no cover - tests/test_missing_extras.py
    # Flask or one of its dependencies is absent: the optional extra was not installed.
    raise ImportError(
        f"crossgate.flask needs Flask, which is not installed ({missing.name} is missing). "
        "Fix: pip install 'crossgate[flask]'"
    ) from missing

from crossgate.errors import ConfigError
from crossgate.flask._extension import CORS, cross_origin
from crossgate.flask._protection import CrossOriginProtection
from crossgate.flask._response_headers import Headers, csp_nonce, headers
from crossgate.headers import HSTS

__all__ = [
    "CORS",
    "HSTS",
    "ConfigError",
    "CrossOriginProtection",
    "Headers",
    "cross_origin",
    "csp_nonce",
    "headers",
]
