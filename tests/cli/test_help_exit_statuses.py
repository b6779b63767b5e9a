"""``crossgate check|audit|headers|export --help`` show examples and the exit statuses, and each
status documented there is the one the console command returns in a real run (a fresh
interpreter, against a server on 127.0.0.1)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live_server import Served, served

COMMAND = "import sys; sys.argv[0] = 'crossgate'; from crossgate.cli import main; main()"
TRUSTED = ("http://localhost:3000", "https://app.example.com")

EXPORTED = """
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from crossgate.asgi import CORSMiddleware


def items(request):
    return PlainTextResponse("[]")


routes = [Route("/api/items", items)]
app = CORSMiddleware(Starlette(routes=routes), origins=["https://app.example.com"])
unexportable = CORSMiddleware(Starlette(routes=routes), origins=lambda origin: True)
"""


def site(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """/api/items trusts two exact origins; /reflect lets any origin read with credentials;
    anything else is a page with no security headers."""
    path, origin = environ["PATH_INFO"], environ.get("HTTP_ORIGIN")
    headers = [("Content-Type", "text/html")]
    if path == "/api/items" and origin in TRUSTED:
        headers += [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
    elif path == "/reflect" and origin:
        headers += [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Credentials", "true"),
            ("Vary", "Origin"),
        ]
    start_response("200 OK", headers)
    return [b"<!DOCTYPE html><html><head><title>t</title></head><body>hi</body></html>"]


@pytest.fixture(scope="module")
def server() -> Iterator[Served]:
    with served(site) as running:
        yield running


def crossgate(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)}
    return subprocess.run(
        [sys.executable, "-c", COMMAND, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def documented(command: str) -> tuple[list[str], dict[int, str]]:
    """The examples and {exit status: meaning} of *command*'s --help."""
    shown = crossgate(command, "--help")
    assert shown.returncode == 0
    text = shown.stdout
    examples_at, statuses_at = text.index("Examples:"), text.index("Exit status:")
    assert examples_at < statuses_at
    examples = re.findall(r"^ +(crossgate .*(?:\\\n.*)*)$", text[examples_at:statuses_at], re.M)
    statuses = re.findall(r"^ +(\d)  (\S.*)$", text[statuses_at:], re.M)
    return [example.replace("\\\n", " ") for example in examples], {
        int(status): meaning for status, meaning in statuses
    }


def runs(server: Served, tmp_path: Path) -> dict[str, dict[int, list[list[str]]]]:
    """For each command, for each exit status, runs that must end with it."""
    url = server.url
    (tmp_path / "exported.py").write_text(EXPORTED)
    return {
        "check": {
            0: [[f"{url}/api/items", "--origin", "https://app.example.com"]],
            1: [[f"{url}/api/items", "--origin", "https://evil.example"]],
            2: [
                ["localhost:5000", "--origin", "https://app.example.com"],
                [f"{url}/api/items", "--origin", "app.example.com"],
                [f"{url}/api/items", "--origin", TRUSTED[0], "--timeout", "-1"],
            ],
        },
        "audit": {
            0: [[f"{url}/api/items", "--origin", "https://app.example.com"]],
            1: [[f"{url}/reflect", "--origin", "https://app.example.com"]],
            2: [["htp://127.0.0.1/"], [f"{url}/", "--concurrency", "0"]],
        },
        "headers": {
            0: [[f"{url}/"]],
            1: [[f"{url}/", "--min-grade", "a+"]],
            2: [
                [url.replace("http://", "")],
                [f"{url}/", "--min-grade", "z"],
                [f"{url}/", "--timeout", "0"],
            ],
        },
        "export": {
            0: [["nginx", "--app", "exported:app"]],
            2: [["nginx", "--app", "exported:unexportable"], ["nginx", "--app", "exported"]],
        },
    }


@pytest.mark.parametrize("command", ["check", "audit", "headers", "export"])
def test_help_shows_examples_and_each_exit_status_is_what_a_run_returns(
    command: str, server: Served, tmp_path: Path
) -> None:
    examples, statuses = documented(command)
    assert examples
    assert all(example.startswith(f"crossgate {command} ") for example in examples)
    expected = runs(server, tmp_path)[command]
    assert set(statuses) == set(expected)
    for status, cases in expected.items():
        for args in cases:
            ran = crossgate(command, *args, cwd=tmp_path)
            assert ran.returncode == status, (args, ran.stdout, ran.stderr)
            assert "Traceback" not in ran.stderr


@pytest.mark.parametrize("command", ["check", "audit", "headers"])
def test_the_first_example_runs_against_a_local_server(command: str, server: Served) -> None:
    examples, statuses = documented(command)
    local = shlex.split(examples[0].replace("http://localhost:5000", server.url))
    ran = crossgate(*local[1:])
    # The example's server allows the example's page: every first example ends with 0.
    assert ran.returncode == 0, (local, ran.stdout, ran.stderr)
    assert 0 in statuses
