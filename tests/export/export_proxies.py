"""Real proxies for the export tests (and the security suite's nginx deployment test): gunicorn
serving a fixture app, nginx, Caddy and HAProxy in front of it with the exported configuration,
all on 127.0.0.1, as non-daemon children of the test.

Without nginx, Caddy or HAProxy the tests that need it are skipped on a workstation and fail
under CI (``CI`` set): a CI run that never reached the proxy has proved nothing.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import IO, Literal

import pytest

from crossgate.export import export_config

NGINX_MAIN = """
daemon off;
master_process off;
worker_processes 1;
error_log {root}/error.log warn;
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

#: A proxy the export writes for, and all three, in the order the tests run them.
Proxy = Literal["nginx", "caddy", "haproxy"]
KINDS: tuple[Proxy, ...] = ("nginx", "caddy", "haproxy")

PROXIES = {
    "nginx": ("nginx", "apt-get install -y nginx"),
    "caddy": ("caddy", "apt-get install -y caddy"),
    "haproxy": ("haproxy", "apt-get install -y haproxy"),
}


def binary(name: str) -> str:
    """The proxy's executable, or the test's verdict on its absence."""
    found = shutil.which(name) or next(
        (
            str(path)
            for path in (Path("/usr/sbin") / name, Path("/usr/bin") / name)
            if path.is_file()
        ),
        None,
    )
    if found is None:
        reason = f"{name} is missing: install it with 'apt-get install -y {name}'"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (under CI a missing proxy is a failure)", pytrace=False)
        pytest.skip(reason)
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def dead_port() -> Iterator[int]:
    """A port that refuses every connection for as long as the block runs: bound, never
    listening, so nothing else (the proxy itself, by a reused number) can take it meanwhile."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            raise AssertionError(f"{what} exited with {process.returncode}: {output[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"{what} did not listen on 127.0.0.1:{port}")


def stop(process: subprocess.Popen[bytes], sig: signal.Signals = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


def start(
    command: list[str],
    port: int,
    what: str,
    env: dict[str, str] | None = None,
    output: IO[bytes] | int = subprocess.PIPE,
) -> subprocess.Popen[bytes]:
    """*command* started, once it listens on *port*; its stdout and stderr go to *output*."""
    process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_for(port, process, what)
    except BaseException:
        stop(process)
        raise
    return process


@contextmanager
def gunicorn(
    module: str, workers: int = 1, *, app: str = "app", log: Path | None = None
) -> Iterator[int]:
    """gunicorn serving ``module:app`` on a free loopback port, importing what the tests import
    (a worktree's src/ when it comes first); with *log*, its output written there."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        f"{module}:{app}",
    ]
    with log.open("wb") if log is not None else nullcontext(subprocess.PIPE) as output:
        process = start(command, port, "gunicorn", env, output)
        try:
            yield port
        finally:
            stop(process)


def nginx_check(root: Path, config: str) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` of *config* (for the ``http {}`` context) inside a minimal main file."""
    (root / "crossgate.conf").write_text(config)
    (root / "nginx.conf").write_text(NGINX_MAIN.format(root=root))
    return subprocess.run(
        [
            binary("nginx"),
            "-t",
            "-p",
            str(root),
            "-c",
            str(root / "nginx.conf"),
            "-e",
            str(root / "error.log"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


@contextmanager
def nginx(root: Path, config: str, port: int) -> Iterator[int]:
    checked = nginx_check(root, config)
    assert checked.returncode == 0, checked.stderr
    command = [
        binary("nginx"),
        "-p",
        str(root),
        "-c",
        str(root / "nginx.conf"),
        "-e",
        str(root / "error.log"),
    ]
    process = start(command, port, "nginx")
    try:
        yield port
    finally:
        stop(process, signal.SIGQUIT)


def caddy_env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    # Caddy keeps state under HOME/XDG dirs: a private one, never the user's.
    env.update(
        HOME=str(root), XDG_DATA_HOME=str(root / "data"), XDG_CONFIG_HOME=str(root / "config")
    )
    return env


def caddy_check(root: Path, config: str) -> subprocess.CompletedProcess[str]:
    (root / "Caddyfile").write_text(config)
    return subprocess.run(
        [
            binary("caddy"),
            "validate",
            "--adapter",
            "caddyfile",
            "--config",
            str(root / "Caddyfile"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=caddy_env(root),
    )


@contextmanager
def caddy(root: Path, config: str, port: int) -> Iterator[int]:
    checked = caddy_check(root, config)
    assert checked.returncode == 0, checked.stderr + checked.stdout
    command = [
        binary("caddy"),
        "run",
        "--adapter",
        "caddyfile",
        "--config",
        str(root / "Caddyfile"),
    ]
    process = start(command, port, "caddy", caddy_env(root))
    try:
        yield port
    finally:
        stop(process)


def haproxy_check(root: Path, config: str) -> subprocess.CompletedProcess[str]:
    """``haproxy -c`` of the whole *config*."""
    (root / "haproxy.cfg").write_text(config)
    return subprocess.run(
        [binary("haproxy"), "-c", "-f", str(root / "haproxy.cfg")],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


@contextmanager
def haproxy(root: Path, config: str, port: int) -> Iterator[int]:
    checked = haproxy_check(root, config)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # -db: in the foreground, a child of the test (stopped with it).
    process = start([binary("haproxy"), "-db", "-f", str(root / "haproxy.cfg")], port, "haproxy")
    try:
        yield port
    finally:
        stop(process)


def send(
    port: int, method: str, path: str, headers: dict[str, str]
) -> tuple[int, list[tuple[str, str]]]:
    """One request to 127.0.0.1:*port*: the status and every header line, in order."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, response.getheaders()
    finally:
        connection.close()


# The CORS-relevant parts of a response, and how each is compared: one value exactly, or a set
# of list members (case-insensitively for header names and Vary tokens).
SINGLE = (
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-max-age",
)
SETS = ("access-control-allow-methods", "access-control-expose-headers")
CASELESS_SETS = ("access-control-allow-headers", "vary")
HEADER_POLICY = ("x-frame-options", "x-content-type-options")


def cors_view(response: tuple[int, list[tuple[str, str]]], is_preflight: bool) -> dict[str, object]:
    """The CORS-relevant parts of a response, in the form they are compared."""
    status, lines = response
    found: dict[str, list[str]] = {}
    for name, value in lines:
        found.setdefault(name.lower(), []).append(value)
    for name in SINGLE + SETS + ("access-control-allow-headers",):
        assert len(found.get(name, [])) <= 1, lines  # one line each, never a second
    view: dict[str, object] = {"status": status // 100 if is_preflight else status}
    for name in SINGLE + HEADER_POLICY:
        view[name] = found.get(name, [None])[0]
    for name in SETS + CASELESS_SETS:
        members = {
            item.strip() if name in SETS else item.strip().lower()
            for value in found.get(name, [])
            for item in value.split(",")
            if item.strip()
        }
        view[name] = members
    return view


Scenario = tuple[str, str, dict[str, str]]


def assert_answered_alike(upstream: int, proxy: int, scenario: Scenario) -> None:
    """The app (on *upstream*) and the proxy in front of it answer *scenario* (method, path,
    headers) alike in every CORS-relevant part (``cors_view``)."""
    method, path, headers = scenario
    is_preflight = method == "OPTIONS" and "Access-Control-Request-Method" in headers
    direct = cors_view(send(upstream, method, path, headers), is_preflight)
    assert cors_view(send(proxy, method, path, headers), is_preflight) == direct


@contextmanager
def run_proxy(kind: str, root: Path, config: str, port: int) -> Iterator[int]:
    """nginx, Caddy or HAProxy (*kind*) serving *config* on *port*."""
    runner = {"nginx": nginx, "caddy": caddy, "haproxy": haproxy}[kind]
    with runner(root, config, port):
        yield port


@contextmanager
def exported_proxy(
    kind: str,
    root: Path,
    app: object,
    upstream: int,
    *,
    export: Callable[..., str] = export_config,
) -> Iterator[int]:
    """nginx, Caddy or HAProxy (*kind*) on a free port, in front of 127.0.0.1:*upstream*,
    serving what *export* (``export_config``, or one called alike: ``export(app, kind,
    upstream=..., listen=...)``) writes for *app*, its files in *root*: its port."""
    port = free_port()
    config = export(app, kind, upstream=f"http://127.0.0.1:{upstream}", listen=f"127.0.0.1:{port}")
    with run_proxy(kind, root, config, port):
        yield port
