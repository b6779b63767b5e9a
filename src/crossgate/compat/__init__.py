"""Compatibility layers: other CORS libraries' APIs, running on crossgate's compiled core.

``crossgate.compat.flask_cors`` speaks flask-cors 6.0.5 (change one import to migrate).
"""

from __future__ import annotations

__all__: list[str] = []
