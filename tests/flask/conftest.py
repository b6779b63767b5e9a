"""Fixtures for the Flask adapter's tests: apps, preflights, and crossgate's log."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

ORIGIN = "https://app.example.com"

Preflight = Callable[..., TestResponse]


@pytest.fixture
def app() -> Flask:
    """A production-like app (debug and testing off), so error paths behave as in production."""
    return Flask("crossgate_test")


@pytest.fixture
def preflight() -> Preflight:
    """Send a browser-like preflight: OPTIONS with Origin and Access-Control-Request-Method."""

    def send(
        client: FlaskClient,
        path: str,
        method: str = "PUT",
        *,
        origin: str = ORIGIN,
        request_headers: str | None = None,
        **kwargs: object,
    ) -> TestResponse:
        headers = [("Origin", origin), ("Access-Control-Request-Method", method)]
        if request_headers is not None:
            headers.append(("Access-Control-Request-Headers", request_headers))
        return client.options(path, headers=headers, **kwargs)

    return send


@pytest.fixture
def crossgate_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog recording everything the ``crossgate`` logger says, down to DEBUG."""
    with caplog.at_level(logging.DEBUG, logger="crossgate"):
        yield caplog
