"""flask-cors 6.0.5's API on crossgate's compiled core: migrate by changing one import.

>>> from crossgate.compat.flask_cors import CORS, cross_origin   # was: from flask_cors import ...
>>> CORS(app, resources={r"/api/*": {"origins": ["https://app.example.com"]}})

Same options, defaults, ``CORS_*`` config keys, precedence and headers as flask-cors 6.0.5,
except where flask-cors is wrong (anchored regexes, exact method checks, headers on debug-mode
errors, opt-in ``preflight_before_request``): docs/migration.md lists every difference.
Options are compiled once, at ``init_app`` or decoration time, never per request.
"""

from __future__ import annotations

try:
    import flask  # noqa: F401
except ModuleNotFoundError as missing:  # pragma: no cover - tests/test_missing_extras.py
    # Flask or one of its dependencies is absent: the optional extra was not installed.
    raise ImportError(
        "crossgate.compat.flask_cors needs Flask, which is not installed "
        f"({missing.name} is missing). Fix: pip install 'crossgate[flask]'"
    ) from missing

from crossgate.compat.flask_cors._notes import FlaskCorsCompatWarning
from crossgate.compat.flask_cors.decorator import cross_origin
from crossgate.compat.flask_cors.extension import CORS

#: The flask-cors version whose behaviour this module reproduces (``crossgate.__version__`` is
#: crossgate's own), for code that checks ``flask_cors.__version__``.
__version__ = "6.0.5"

__all__ = ["CORS", "FlaskCorsCompatWarning", "__version__", "cross_origin"]
