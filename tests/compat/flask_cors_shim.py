"""Makes ``import flask_cors`` mean ``crossgate.compat.flask_cors``.

``test_flask_cors_suite.py`` copies this file, as ``conftest.py``, next to flask-cors 6.0.5's own
tests; pytest loads it before it imports any test module, so every ``from flask_cors import *``
and ``from flask_cors.core import *`` in them reaches the compatibility layer instead of the
installed flask-cors.
"""

from __future__ import annotations

import importlib
import sys

for _name in ("", ".core", ".decorator", ".extension"):
    sys.modules["flask_cors" + _name] = importlib.import_module(
        "crossgate.compat.flask_cors" + _name
    )
