"""Under gunicorn, refusals are logged only when the app asks, and the README's way works."""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.markdown_samples import ROOT, parse

LOGGING_LINES = (
    "logging.basicConfig()",
    'logging.getLogger("crossgate").setLevel(logging.DEBUG)',
)
REFUSAL = "[origin-not-allowed] CORS preflight refused: origin 'https://evil.example'"


def readme_app() -> str:
    """The README's app that shows how to see refusals."""
    samples = [
        sample
        for sample in parse(ROOT / "README.md")
        if sample.file == "app.py" and all(line in sample.code for line in LOGGING_LINES)
    ]
    assert len(samples) == 1, "the README shows one app.py with the logging lines"
    return samples[0].code


@contextmanager
def gunicorn(directory: Path, *options: str) -> Iterator[tuple[int, Path]]:
    """gunicorn serving ``app:app`` from *directory* on a free port of 127.0.0.1."""
    log = directory / "stderr.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                "127.0.0.1:0",
                "--no-control-socket",
                "--workers",
                "1",
                *options,
                "app:app",
            ],
            cwd=directory,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            yield wait_for_port(process, log), log
        finally:
            process.terminate()
            process.wait(timeout=30)


def wait_for_port(process: subprocess.Popen[bytes], log: Path) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        text = log.read_text()
        listening = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", text)
        if listening and "Booting worker" in text:
            return int(listening[1])
        assert process.poll() is None, f"gunicorn exited:\n{text}"
        time.sleep(0.1)
    raise AssertionError(f"gunicorn did not start:\n{log.read_text()}")


def refused_preflight(port: int) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(
            "OPTIONS",
            "/api/items",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        return connection.getresponse().status
    finally:
        connection.close()


def test_the_readme_way_shows_refusals_under_gunicorn(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(readme_app(), encoding="utf-8")
    with gunicorn(tmp_path) as (port, log):
        assert refused_preflight(port) == 403
    assert REFUSAL in log.read_text()


def test_without_it_gunicorn_log_level_debug_shows_nothing(tmp_path: Path) -> None:
    # The README says --log-level debug is not the way: it sets gunicorn's own loggers only.
    code = readme_app()
    for line in LOGGING_LINES:
        code = code.replace(line, "")
    (tmp_path / "app.py").write_text(code, encoding="utf-8")
    with gunicorn(tmp_path, "--log-level", "debug") as (port, log):
        assert refused_preflight(port) == 403
    text = log.read_text()
    assert "[DEBUG]" in text  # gunicorn did log at debug level
    assert "origin-not-allowed" not in text
