"""The spelling fixture app without crossgate, for gunicorn (``module:app``)."""

from __future__ import annotations

from tests.export.export_spelling_app import app as _app
from tests.export.export_spelling_app import without_crossgate

app = without_crossgate(_app)
