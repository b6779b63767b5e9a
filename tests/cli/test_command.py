"""The ``crossgate`` command against a live server on 127.0.0.1."""

from __future__ import annotations

import io
import json
import socket
import sys
import time

import click
import httpx
import pytest
from click.testing import CliRunner

from crossgate.cli._command import main
from crossgate.cli._shared import network_error, progress

PAGE = "https://app.example.com"


def run(*args: str) -> tuple[int, str]:
    runner = CliRunner()
    result = runner.invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_allowed_request_exits_zero_and_marks_cors_headers(live_url):
    code, output = run("check", f"{live_url}/a", "--origin", PAGE)
    assert code == 0
    assert "ALLOWED" in output
    assert "Access-Control-Allow-Origin: https://app.example.com   <- CORS" in output.replace(
        "access-control-allow-origin", "Access-Control-Allow-Origin"
    )


def test_blocked_request_exits_one_with_console_text_and_fix(live_url):
    code, output = run("check", f"{live_url}/a", "--origin", "https://evil.example")
    assert code == 1
    assert "BLOCKED at step allow-origin-missing" in output
    assert "No 'Access-Control-Allow-Origin' header is present" in output
    assert "fix: add 'https://evil.example' to origins" in output


def test_preflighted_put_is_checked_and_sent_only_with_send(live_url):
    code, output = run(
        "check",
        f"{live_url}/a",
        "--origin",
        PAGE,
        "-X",
        "PUT",
        "-H",
        "Content-Type: application/json",
    )
    assert code == 0
    assert "> OPTIONS" in output
    assert "> PUT" not in output
    assert "--send" in output
    code, output = run(
        "check",
        f"{live_url}/a",
        "--origin",
        PAGE,
        "-X",
        "PUT",
        "-H",
        "Content-Type: application/json",
        "--send",
        "-d",
        "{}",
    )
    assert code == 0
    assert "> PUT" in output


def test_json_output_for_scripts(live_url):
    code, output = run("check", f"{live_url}/a", "--origin", PAGE, "--json")
    assert code == 0
    data = json.loads(output)
    assert data["allowed"] is True
    assert data["step"] == "ok"
    assert data["exchanges"][0]["status"] == 200
    assert "x-secret" not in data["readable_headers"]


def test_json_output_when_blocked(live_url):
    code, output = run("check", f"{live_url}/a", "--origin", "https://evil.example", "--json")
    assert code == 1
    data = json.loads(output)
    assert data["allowed"] is False
    assert data["console"].startswith("Access to fetch at")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_refused_connection_is_a_clear_error_with_status_two():
    code, output = run("check", f"http://127.0.0.1:{_free_port()}/a", "--origin", PAGE)
    assert code == 2
    assert "connection refused" in output
    assert "Traceback" not in output


def test_dns_failure_is_a_clear_error_with_status_two():
    code, output = run("check", "http://no-such-host.invalid/a", "--origin", PAGE)
    assert code == 2
    assert "could not resolve no-such-host.invalid" in output


def test_timeout_is_a_clear_error_with_status_two(live_url):
    code, output = run("check", f"{live_url}/slow", "--origin", PAGE, "--timeout", "0.2")
    assert code == 2
    assert "timed out" in output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["check", "ftp://x/a", "--origin", PAGE], "is not an http(s) URL"),
        (
            ["check", "http://127.0.0.1/a", "--origin", PAGE, "-H", "no colon"],
            "is not 'Name: value'",
        ),
        (["check", "http://127.0.0.1/a"], "Missing option '--origin'"),
    ],
)
def test_usage_errors_exit_two(args, expected):
    code, output = run(*args)
    assert code == 2
    assert expected in output


def test_version():
    code, output = run("--version")
    assert code == 0
    assert "crossgate" in output


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_spinner_runs_on_a_terminal_for_slow_steps_and_clears_its_line(monkeypatch):
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with progress("GET http://slow"):
        time.sleep(0.6)
    written = terminal.getvalue()
    assert "GET http://slow" in written
    assert written.endswith("\r")


def test_no_spinner_for_a_quick_step_or_off_a_terminal(monkeypatch):
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with progress("quick"):
        pass
    assert terminal.getvalue() == ""
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    with progress("piped"):
        time.sleep(0.4)
    assert piped.getvalue() == ""


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
            "TLS error",
        ),
        (httpx.RemoteProtocolError("Server disconnected"), "could not reach api.example.com"),
        (httpx.ConnectError(""), "could not reach api.example.com: ConnectError"),
    ],
)
def test_network_errors_are_named(error, expected):
    with pytest.raises(click.ClickException, match=expected):
        network_error("https://api.example.com/a", error)


def test_aborted_run_exits_two(monkeypatch):
    def abort(*args: object, **kwargs: object) -> None:
        raise click.exceptions.Abort()

    monkeypatch.setattr(click.Group, "main", abort)
    with pytest.raises(SystemExit) as exit_info:
        main.main(["check"])
    assert exit_info.value.code == 2
