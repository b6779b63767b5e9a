"""``make demo`` installs only what the demo runs on, so a fresh clone serves it in seconds."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO_EXTRAS = ("flask", "cli")


def extras() -> dict[str, list[str]]:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+, as in the dev toolchain
    with (ROOT / "pyproject.toml").open("rb") as file:
        optional: dict[str, list[str]] = tomllib.load(file)["project"]["optional-dependencies"]
    return optional


def distribution_name(requirement: str) -> str:
    return re.split(r"[<>=!~\[;\s]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_make_demo_installs_the_flask_and_cli_extras_only(tmp_path: Path) -> None:
    # A dry run in a directory without .venv prints the commands a fresh clone would run.
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    make = shutil.which("make")
    assert make is not None, "make is needed: the README's commands are make targets"
    # Run as a user would, not as a sub-make of `make test` (which would print directories).
    environ = _user_environment()
    result = subprocess.run(
        [make, "--no-print-directory", "-n", "demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env=environ,
    )
    installs = [line for line in result.stdout.splitlines() if "pip install" in line]
    assert installs == [".venv/bin/python -m pip install --quiet -e '.[flask,cli]'"], result.stdout
    assert result.stdout.rstrip().splitlines()[-1] == (
        ".venv/bin/python -m examples.demo --page-port 5002 --api-port 5001"
    )


def test_the_demo_imports_nothing_from_the_dev_toolchain() -> None:
    # If the demo started to need a dev-only package, `make demo` on a fresh clone would crash.
    optional = extras()
    demo_needs = {distribution_name(r) for extra in DEMO_EXTRAS for r in optional[extra]}
    dev_only = {distribution_name(r) for r in optional["dev"]} - demo_needs
    code = "import sys, examples.demo; print(' '.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    imported = {name.partition(".")[0] for name in result.stdout.split()}
    owners = packages_distributions()
    used = {dist.lower() for top in imported for dist in owners.get(top, [])}
    assert {"flask", "werkzeug"} <= used  # the mapping works: the demo is a Flask app
    assert not used & dev_only, f"the demo imports dev-only packages: {sorted(used & dev_only)}"


def _make(*args: str) -> list[str]:
    make = shutil.which("make")
    assert make is not None, "make is needed: the README's commands are make targets"
    return [make, "--no-print-directory", *args]


def _user_environment() -> dict[str, str]:
    # As a user runs make: not a sub-make of `make test`, no PORT of some other tool's.
    skipped = ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "PORT", "API_PORT")
    return {k: v for k, v in os.environ.items() if k not in skipped}


@pytest.mark.parametrize(
    ("args", "command"),
    [
        ((), "--page-port 5002 --api-port 5001"),
        (("PORT=8002", "API_PORT=8001"), "--page-port 8002 --api-port 8001"),
        (("PORT=9000",), "--page-port 9000 --api-port 5001"),
    ],
)
def test_make_demo_takes_its_ports_from_make(args: tuple[str, ...], command: str) -> None:
    result = subprocess.run(
        _make("-n", "-o", ".venv/.installed-demo", "demo", *args),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=_user_environment(),
    )
    assert result.stdout.splitlines() == [f".venv/bin/python -m examples.demo {command}"]


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def test_make_demo_serves_the_page_and_the_api_on_the_ports_given() -> None:
    page_port, api_port = _free_ports(2)
    page, api = f"http://127.0.0.1:{page_port}", f"http://127.0.0.1:{api_port}"
    # The demo's own interpreter (BIN) and no install step: what runs is the Makefile's command.
    demo = subprocess.Popen(
        _make(
            "-o",
            ".venv/.installed-demo",
            "demo",
            f"BIN={Path(sys.executable).parent}",
            f"PORT={page_port}",
            f"API_PORT={api_port}",
        ),
        cwd=ROOT,
        env=_user_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        html = _get_when_up(f"{page}/")
        assert f'const API = "{api}";' in html
        preflight = urllib.request.Request(
            f"{api}/api/items",
            method="OPTIONS",
            headers={"Origin": page, "Access-Control-Request-Method": "POST"},
        )
        with urllib.request.urlopen(preflight, timeout=10) as answer:
            assert answer.status == 204
            assert answer.headers["Access-Control-Allow-Origin"] == page
    finally:
        os.killpg(demo.pid, signal.SIGINT)
        output, _ = demo.communicate(timeout=30)
    assert f"page (open it in a browser): {page}/" in output


def _get_when_up(url: str) -> str:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                body: str = answer.read().decode()
                return body
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_the_demo_says_which_ports_to_choose_when_one_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        (free,) = _free_ports(1)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "examples.demo",
                "--page-port",
                str(port),
                "--api-port",
                str(free),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1 port {port} (page): another program" in result.stderr
    assert "make demo PORT=8002 API_PORT=8001" in result.stderr
