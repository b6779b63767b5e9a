"""The fixture app without crossgate: the same routes and views, no CORS or header policy in
the app (the edge is unwrapped), as deployed behind a proxy that answers for it."""

from __future__ import annotations

from crossgate.flask._edge import Edge
from tests.export.export_fixture_app import app as _with_crossgate

_edge = _with_crossgate.wsgi_app
assert isinstance(_edge, Edge)
app = _edge.wsgi_app
