"""uvicorn serving an ASGI fixture app on 127.0.0.1 for the ASGI export tests, started and
stopped as ``export_proxies`` starts gunicorn (a non-daemon child of the test)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from tests.export.export_proxies import free_port, start, stop


@contextmanager
def uvicorn(target: str) -> Iterator[int]:
    """uvicorn serving *target* (``module:attr``) on a free loopback port, importing what the
    tests import (a worktree's src/ when it comes first)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "critical",  # the fixture's deliberate 500 would fill the unread pipe
        target,
    ]
    process = start(command, port, "uvicorn", env)
    try:
        yield port
    finally:
        stop(process)
