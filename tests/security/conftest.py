"""Markers of the security probe."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "deployment: starts gunicorn and nginx on 127.0.0.1 (runs in make test)"
    )
