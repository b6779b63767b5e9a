"""TLS servers on 127.0.0.1 under the name api.example.com, for the audit and grade tests.

The certificate comes from a throw-away CA (trustme); the name resolves to 127.0.0.1 only in
the process under test, through a patched ``socket.getaddrinfo`` that refuses every other name,
so no request can leave the machine.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import trustme
from werkzeug.serving import make_server

WSGIApp = Callable[[dict[str, Any], Any], Any]
NAMES = ("api.example.com", "app.example.com", "localhost")


@pytest.fixture(scope="session")
def certificate_authority() -> trustme.CA:
    return trustme.CA()


class TlsServer:
    """A WSGI app on 127.0.0.1 over TLS; ``url`` names it api.example.com."""

    def __init__(self, app: WSGIApp, ca: trustme.CA) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert(*NAMES, "127.0.0.1").configure_cert(context)
        self._server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=context)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self.port = self._server.server_port
        self.url = f"https://api.example.com:{self.port}/"

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()


@pytest.fixture(scope="module")
def tls_serve(certificate_authority: trustme.CA) -> Iterator[Callable[[WSGIApp], TlsServer]]:
    running: list[TlsServer] = []

    def start(app: WSGIApp) -> TlsServer:
        running.append(TlsServer(app, certificate_authority))
        return running[-1]

    yield start
    for server in running:
        server.close()


def resolve_test_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolve the test names to 127.0.0.1 and refuse every other name."""
    real = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name in NAMES or name == "127.0.0.1":
            return real("127.0.0.1", *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, f"{name}: not resolved in tests")

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


@pytest.fixture
def loopback_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test names resolve to 127.0.0.1 for one test; no other name resolves."""
    resolve_test_names(monkeypatch)
