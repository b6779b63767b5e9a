"""conftest.py of the Starlette test run (copied next to Starlette's own tests at test time).

Starlette's ``tests/middleware/test_cors.py`` imports ``starlette.middleware.cors``; here that
name is crossgate's drop-in, so the suite exercises ``crossgate.compat.starlette``.
Starlette's own conftest is not used: it only adds the trio backend and an optional
blocking-call detector, neither of which concerns CORS.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

import pytest
from starlette.testclient import TestClient

import crossgate.compat.starlette

sys.modules["starlette.middleware.cors"] = crossgate.compat.starlette


@pytest.fixture
def test_client_factory() -> Any:
    return functools.partial(TestClient, backend="asyncio")
