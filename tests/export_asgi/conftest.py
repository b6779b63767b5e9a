"""Markers of the ASGI export tests."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "proxies: starts an app server, nginx, Caddy and HAProxy on 127.0.0.1 (runs in make test)",
    )
