"""crossgate for Flask: ``CORS`` and ``cross_origin``, applied to every response an app produces.

>>> from crossgate.flask import CORS
>>> CORS(app, origins=["https://app.example.com"], supports_credentials=True)
"""

from __future__ import annotations

from crossgate.errors import ConfigError
from crossgate.flask.extension import CORS, cross_origin

__all__ = ["CORS", "ConfigError", "cross_origin"]
