"""``flask crossgate check|audit|headers|export --help`` end with examples and the exit
statuses, and each status documented there is what the command returns inside a real app."""

from __future__ import annotations

import re

import pytest
from flask import Flask, Response, request

from crossgate.flask import CORS, Headers
from crossgate.flask._commands import crossgate_group


def build() -> Flask:
    app = Flask("help_statuses")

    @app.get("/api/items")
    def items() -> list[str]:
        return []

    @app.get("/reflect")
    def reflect() -> list[str]:
        return []

    @app.after_request
    def loose(response: Response) -> Response:
        # /reflect lets any origin read with credentials: an audit finding.
        if request.path == "/reflect" and "Origin" in request.headers:
            response.headers["Access-Control-Allow-Origin"] = request.headers["Origin"]
            response.headers["Access-Control-Allow-Credentials"] = "true"
        return response

    CORS(app, resources={"/api/*": {"origins": ["https://app.example.com"]}})
    Headers(app)
    return app


# For each command and documented status: arguments that return it.
RUNS = {
    "check": {
        0: ["check", "/api/items", "--origin", "https://app.example.com"],
        1: ["check", "/api/items", "--origin", "https://evil.example"],
        2: ["check", "api/items", "--origin", "https://app.example.com"],
    },
    "audit": {
        0: ["audit", "/api/items", "--origin", "https://app.example.com"],
        1: ["audit", "/reflect"],
        2: ["audit", "reflect"],
    },
    "headers": {
        0: ["headers"],
        1: ["headers", "/api/items", "--grade", "--min-grade", "A+"],
        2: ["headers", "--min-grade", "B"],
    },
    "export": {0: ["export", "nginx"], 2: ["export", "nginx", "--listen", "8080"]},
}


def documented(help_text: str) -> dict[int, str]:
    """The statuses the help lists under 'Exit status:'."""
    section = help_text.split("Exit status:", 1)[1]
    return {
        int(code): meaning for code, meaning in re.findall(r"^\s+([0-2])\s+(.+)$", section, re.M)
    }


@pytest.mark.parametrize("command", RUNS)
def test_each_documented_status_is_what_the_command_returns(command: str) -> None:
    app = build()
    runner = app.test_cli_runner()
    shown = runner.invoke(crossgate_group, [command, "--help"])
    assert shown.exit_code == 0
    assert "Examples:" in shown.output
    assert f"flask --app app crossgate {command}" in shown.output
    statuses = documented(shown.output)
    assert set(statuses) == set(RUNS[command]), shown.output
    for status, args in RUNS[command].items():
        result = runner.invoke(crossgate_group, args)
        assert result.exit_code == status, (args, result.output)
