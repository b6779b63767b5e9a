"""crossgate: correct, fast and explainable CORS and response headers for Flask.

The core (this package's top-level modules) knows the standards and no framework; the
adapters (``crossgate.flask``, ``crossgate.compat.flask_cors``) know Flask and no standard.

>>> from crossgate.flask import CORS
>>> CORS(app, origins=["https://app.example.com"], supports_credentials=True)
"""

from __future__ import annotations

from crossgate.errors import ConfigError, Problem

__version__ = "0.1.0"

__all__ = ["ConfigError", "Problem", "__version__"]
