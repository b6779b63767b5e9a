"""A WSGI app served on 127.0.0.1 for the tests that need a real server, with the methods it
received. (At the top of tests/, beside flask_support.py, so any test directory can use it.)"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import make_server

WSGIApp = Callable[[dict[str, Any], Any], Any]


class Served:
    """A WSGI app listening on 127.0.0.1, and the methods it received, in order."""

    def __init__(self, app: WSGIApp) -> None:
        self.methods: list[str] = []

        def recording(environ: dict[str, Any], start_response: Any) -> Any:
            self.methods.append(environ["REQUEST_METHOD"])
            return app(environ, start_response)

        self._server = make_server("127.0.0.1", 0, recording, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()


@contextmanager
def served(app: WSGIApp) -> Iterator[Served]:
    """*app* served on 127.0.0.1 for the duration of the block."""
    server = Served(app)
    try:
        yield server
    finally:
        server.close()
