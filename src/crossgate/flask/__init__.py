"""crossgate for Flask: CORS and response headers, applied to every response an app produces.

>>> from crossgate.flask import CORS, Headers
>>> CORS(app, origins=["https://app.example.com"], supports_credentials=True)
>>> Headers(app, preset="web", headers={"Cache-Control": "no-store"})
"""

from __future__ import annotations

from crossgate.errors import ConfigError
from crossgate.flask.extension import CORS, cross_origin
from crossgate.flask.response_headers import Headers, csp_nonce, headers
from crossgate.headers import HSTS

__all__ = ["CORS", "HSTS", "ConfigError", "Headers", "cross_origin", "csp_nonce", "headers"]
