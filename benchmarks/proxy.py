"""``python -m benchmarks.proxy``: preflights per second answered by nginx (the exported
configuration) against the same preflights answered by the app under gunicorn.

gunicorn serves a small crossgate app (2 sync workers) on 127.0.0.1; nginx runs the
configuration ``flask crossgate export nginx`` prints for it, on 127.0.0.1 too. A load loop of
asyncio connections sends one allowed preflight over and over, for a fixed time per round;
rounds alternate between nginx and gunicorn so drift of a shared machine falls on both. The
median of the rounds is reported, and the ratio. The load is bounded (a few seconds, loopback
only); the client is Python, so nginx's figure is a lower bound: it is the client that tires.

>>> python -m benchmarks.proxy            # about 15 s
>>> python -m benchmarks.proxy --quick    # about 5 s
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ProxyResult", "main", "markdown", "render", "run"]

APP_SOURCE = """
from flask import Flask
from crossgate.flask import CORS

app = Flask(__name__)


@app.route("/api/items/<int:item_id>", methods=["GET", "PUT", "DELETE"])
def item(item_id):
    return {"id": item_id}


CORS(app, origins=["https://app.example.com"], supports_credentials=True, max_age=600)
"""

NGINX_MAIN = """
daemon off;
master_process off;
worker_processes 1;
error_log {root}/error.log error;
pid {root}/nginx.pid;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {root}/client_body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    include {root}/crossgate.conf;
}}
"""

REQUEST = (
    b"OPTIONS /api/items/7 HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://app.example.com\r\n"
    b"Access-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: content-type\r\n\r\n"
)
CONNECTIONS = 8


@dataclass(frozen=True, slots=True)
class ProxyResult:
    """Preflights per second: the median round of each, and the rounds' count."""

    nginx: float
    app: float
    rounds: int
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.nginx / self.app if self.app else 0.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listened on 127.0.0.1:{port}")


@contextmanager
def _child(command: list[str], port: int, env: dict[str, str] | None = None) -> Iterator[None]:
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait(port, process)
        yield
    finally:
        process.send_signal(signal.SIGTERM if "gunicorn" in command else signal.SIGQUIT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _client(port: int, until: float, counts: list[int]) -> None:
    """Send preflights until *until*, reconnecting when the server closes (gunicorn does)."""
    reader = writer = None
    while time.monotonic() < until:
        if writer is None:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        assert reader is not None
        writer.write(REQUEST)
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 204") and not head.startswith(b"HTTP/1.0 204"):
            raise RuntimeError(f"the preflight was not allowed: {head[:80]!r}")
        counts[0] += 1
        if b"connection: close" in head.lower():
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def _load(port: int, seconds: float) -> float:
    counts = [0]
    started = time.monotonic()
    until = started + seconds
    await asyncio.gather(*(_client(port, until, counts) for _ in range(CONNECTIONS)))
    return counts[0] / (time.monotonic() - started)


def run(*, quick: bool) -> ProxyResult | None:
    """Measure both; None when nginx or gunicorn is not installed (the page says so)."""
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is None or shutil.which("gunicorn", path=str(Path(sys.executable).parent)) is None:
        return None
    rounds, seconds = (3, 0.8) if quick else (5, 1.5)
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "bench_proxy_app.py").write_text(APP_SOURCE)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(root), *(p for p in sys.path if p)])
        upstream, port = _free_port(), _free_port()
        gunicorn = [
            sys.executable, "-m", "gunicorn", "--workers", "2", "--bind",
            f"127.0.0.1:{upstream}", "--chdir", str(root), "bench_proxy_app:app",
        ]  # fmt: skip
        sys.path.insert(0, str(root))
        try:
            from bench_proxy_app import app  # type: ignore[import-not-found]

            from crossgate.export import export_config

            config = export_config(
                app, "nginx", upstream=f"http://127.0.0.1:{upstream}", listen=f"127.0.0.1:{port}"
            )
        finally:
            sys.path.remove(str(root))
            sys.modules.pop("bench_proxy_app", None)
        (root / "crossgate.conf").write_text(config)
        (root / "nginx.conf").write_text(NGINX_MAIN.format(root=root))
        proxy = [
            nginx,
            "-p",
            str(root),
            "-c",
            str(root / "nginx.conf"),
            "-e",
            str(root / "error.log"),
        ]
        measured: dict[str, list[float]] = {"nginx": [], "app": []}
        with _child(gunicorn, upstream, env), _child(proxy, port):
            asyncio.run(_load(port, 0.3))  # warm-up
            asyncio.run(_load(upstream, 0.3))
            for _ in range(rounds):
                measured["nginx"].append(asyncio.run(_load(port, seconds)))
                measured["app"].append(asyncio.run(_load(upstream, seconds)))
    return ProxyResult(
        statistics.median(measured["nginx"]), statistics.median(measured["app"]), rounds
    )


def render(result: ProxyResult | None) -> str:
    """One line for the terminal."""
    if result is None:
        return "proxy: skipped (nginx or gunicorn is not installed)"
    return (
        f"preflights/s: nginx {result.nginx:,.0f}, app under gunicorn {result.app:,.0f} "
        f"(x{result.ratio:.1f})"
    )


def markdown(result: ProxyResult | None) -> str:
    """The section of docs/benchmarks.md."""
    lines = ["## Preflights at the edge: nginx against the app under gunicorn", ""]
    if result is None:
        lines.append("Not measured: nginx or gunicorn is not installed on this machine.")
        return "\n".join(lines) + "\n"
    lines += [
        "The same allowed preflight (`OPTIONS /api/items/7`, PUT with `content-type`), answered "
        "by nginx running the configuration `flask crossgate export nginx` prints, and by the "
        f"app under gunicorn (2 sync workers); {CONNECTIONS} keep-alive connections from an "
        f"asyncio client on the same machine, {result.rounds} interleaved rounds, median. The "
        "client is Python, so nginx's figure is a lower bound.",
        "",
        "| answered by | preflights per second |",
        "|---|---|",
        f"| nginx (exported) | {result.nginx:,.0f} |",
        f"| the app under gunicorn | {result.app:,.0f} |",
        "",
        f"nginx answers **{result.ratio:.1f} times** as many preflights per second, without a "
        "Python worker (see [deployment.md](deployment.md)).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    args = parser.parse_args(argv)
    print(render(run(quick=args.quick)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
