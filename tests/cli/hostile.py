"""A hand-written server on 127.0.0.1 that behaves as no honest server does: endless or
inflating bodies, control characters in its header values and status reasons. The tests run
``crossgate check``, ``audit`` and ``headers`` against it as a user would."""

from __future__ import annotations

import socket
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK = b"x" * 65536


def endless(handler: BaseHTTPRequestHandler) -> None:
    """A chunked body that never ends: written until the client hangs up."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    frame = b"%x\r\n" % len(CHUNK) + CHUNK + b"\r\n"
    try:
        while True:
            handler.wfile.write(frame)
    except OSError:
        handler.close_connection = True


def bomb(size: int) -> bytes:
    """*size* zero bytes, gzipped (about a thousandth of the size)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(1024 * 1024)
    return b"".join(packer.compress(zeros) for _ in range(size // len(zeros))) + packer.flush()


def inflating(body: bytes) -> Callable[[BaseHTTPRequestHandler], None]:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Encoding", "gzip")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        try:
            handler.wfile.write(body)
        except OSError:
            handler.close_connection = True

    return answer


def raw(head: bytes, body: bytes = b"") -> Callable[[BaseHTTPRequestHandler], None]:
    """An answer written byte for byte: a status line and headers no library would write."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        length = b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
        handler.wfile.write(head + length + body)
        handler.close_connection = True

    return answer


@contextmanager
def hostile(answer: Callable[[BaseHTTPRequestHandler], None]) -> Iterator[str]:
    """*answer* for every request, on 127.0.0.1; yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            answer(self)

        do_OPTIONS = do_POST = do_HEAD = do_GET

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(
            self, request: socket.socket | tuple[bytes, socket.socket], address: object
        ) -> None:
            """A client that hangs up mid-body is what the tests expect."""

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
