"""``crossgate check`` against crossgate apps on 127.0.0.1: the cases a newcomer meets first.

A credentialed JSON POST that is not sent, a refused custom header, a refused method, a refused
origin (each with the server in production and in debug mode) and a mistyped ``--origin``.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import CliRunner
from flask import Flask

from crossgate.cli._command import main
from crossgate.flask import CORS
from crossgate.flask._commands import crossgate_group
from tests.live_server import Served

PAGE = "http://localhost:3000"
JSON = ("-H", "Content-Type: application/json")
XRW = ("-H", "X-Requested-With: XMLHttpRequest")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", *args], catch_exceptions=False)
    return result.exit_code, result.output


def run_against(served: Served, *args: str) -> tuple[int, str, list[str]]:
    """Run the check on *served*; also return the methods the server received meanwhile."""
    before = len(served.methods)
    code, output = run(f"{served.url}/api/items", *args)
    return code, output, served.methods[before:]


def _app(name: str, *, debug: bool = False) -> Flask:
    """An API at /api/items (GET, POST, PATCH); the caller sets up CORS."""
    app = Flask(name)
    app.debug = debug

    @app.route("/api/items", methods=["GET", "POST", "PATCH"])
    def items() -> dict[str, bool]:
        return {"ok": True}

    return app


@pytest.fixture(scope="module")
def credentials_api(serve: Callable[[Flask], Served]) -> Served:
    """The issue's app: ``CORS(app, origins=[PAGE], supports_credentials=True)``."""
    app = _app("credentials_api")
    CORS(app, origins=[PAGE], supports_credentials=True)
    return serve(app)


@pytest.fixture(scope="module", params=[False, True], ids=["production", "debug"])
def strict_api(request: pytest.FixtureRequest, serve: Callable[[Flask], Served]) -> Served:
    """Lists its headers and methods; PATCH and X-Requested-With are not among them."""
    app = _app(f"strict_api_{request.param}", debug=request.param)
    CORS(
        app,
        origins=[PAGE],
        allow_headers=["Content-Type", "Authorization"],
        methods=["GET", "POST"],
    )
    return serve(app)


def test_unsent_credentialed_json_post_is_allowed_as_the_preflight_says(credentials_api):
    code, output, received = run_against(
        credentials_api, "-X", "POST", *JSON, "--origin", PAGE, "--credentials"
    )
    assert code == 0, output
    assert "ALLOWED (PREDICTED)" in output
    assert "allow-credentials" not in output.split("ALLOWED")[1]
    predicted = [line for line in output.splitlines() if line.endswith("(predicted)")]
    assert any("access-control-allow-credentials: true" in line.lower() for line in predicted)
    assert "predicted: the response to the POST request, which was not sent" in output
    assert received == ["OPTIONS"]


def test_unsent_request_prediction_in_json(credentials_api):
    url = f"{credentials_api.url}/api/items"
    code, output = run(url, "-X", "POST", *JSON, "--origin", PAGE, "--credentials", "--json")
    data = json.loads(output)
    assert code == 0
    assert data["allowed"] is True
    assert data["predicted"] is True
    assert data["prediction"]["basis"] == "preflight"
    headers = {name.lower(): value for name, value in data["prediction"]["response_headers"]}
    assert headers == {
        "access-control-allow-origin": PAGE,
        "access-control-allow-credentials": "true",
    }
    assert [exchange["kind"] for exchange in data["exchanges"]] == ["preflight"]


def test_sent_credentialed_post_matches_the_prediction(credentials_api):
    url = f"{credentials_api.url}/api/items"
    args = (url, "-X", "POST", *JSON, "--origin", PAGE, "--credentials", "--json")
    code, output = run(*args, "--send", "-d", "{}")
    data = json.loads(output)
    assert code == 0
    assert data["predicted"] is False
    assert data["prediction"] is None
    assert [exchange["kind"] for exchange in data["exchanges"]] == ["preflight", "request"]


@pytest.mark.parametrize(
    ("origin", "allowed"), [(PAGE, True), ("http://localhost:4000", False)], ids=["ok", "refused"]
)
def test_unsent_simple_post_is_predicted_from_a_probe_preflight(credentials_api, origin, allowed):
    args = ("-X", "POST", "-H", "Content-Type: text/plain", "--origin", origin, "--json")
    code, output, received = run_against(credentials_api, *args)
    data = json.loads(output)
    assert code == (0 if allowed else 1)
    assert data["allowed"] is allowed
    assert data["prediction"]["basis"] == "probe"
    assert [exchange["kind"] for exchange in data["exchanges"]] == ["probe"]
    assert received == ["OPTIONS"]


def test_refused_header_is_named_with_the_option_that_admits_it(strict_api):
    code, output, received = run_against(strict_api, "-X", "POST", *JSON, *XRW, "--origin", PAGE)
    assert code == 1
    assert "BLOCKED at step allow-origin-missing" in output
    fix = next(line for line in output.splitlines() if line.startswith("  fix: "))
    assert "'x-requested-with'" in fix
    assert "allow_headers" in fix
    assert "origins" not in fix
    assert "cause: " in output
    assert set(received) == {"OPTIONS"}


def test_refused_method_is_named_with_the_option_that_admits_it(strict_api):
    code, output, received = run_against(
        strict_api, "-X", "PATCH", *JSON, "--origin", PAGE, "--json"
    )
    data = json.loads(output)
    assert code == 1
    assert "'PATCH' to methods" in data["fix"]
    assert "origins" not in data["fix"]
    assert data["cause"]["refused"] == ["method"]
    assert data["cause"]["method"] == "PATCH"
    assert set(received) == {"OPTIONS"}


def test_refused_origin_is_still_blamed_on_the_origin(strict_api):
    url = f"{strict_api.url}/api/items"
    code, output = run(url, "-X", "PATCH", *XRW, "--origin", "http://localhost:4000", "--json")
    data = json.loads(output)
    assert code == 1
    assert "add 'http://localhost:4000' to origins" in data["fix"]
    assert data["cause"]["refused"] == ["origin"]


def test_debug_server_states_the_reason_and_spares_the_probes(serve):
    app = _app("debug_api", debug=True)
    CORS(app, origins=[PAGE], allow_headers=["Content-Type"])
    served = serve(app)
    code, output = run(f"{served.url}/api/items", "-X", "POST", *JSON, *XRW, "--origin", PAGE)
    assert code == 1
    assert "[header-not-allowed]" in output
    assert "* probe" not in output
    assert served.methods == ["OPTIONS"]


def test_production_server_is_diagnosed_with_listed_probe_preflights(serve):
    app = _app("production_api")
    CORS(app, origins=[PAGE], allow_headers=["Content-Type"])
    served = serve(app)
    code, output = run(
        f"{served.url}/api/items", "-X", "POST", *JSON, *XRW, "--origin", PAGE, "--json"
    )
    data = json.loads(output)
    assert code == 1
    probes = [exchange for exchange in data["exchanges"] if exchange["kind"] == "probe"]
    assert probes
    assert all(probe["method"] == "OPTIONS" and probe["purpose"] for probe in probes)
    assert data["cause"]["source"] == "probes"
    assert data["cause"]["probes"] == len(probes)
    assert data["cause"]["headers"] == ["x-requested-with"]
    assert set(served.methods) == {"OPTIONS"}
    assert len(served.methods) == 1 + len(probes)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("localhost:3000", "write 'http://localhost:3000'"),
        ("http://localhost:3000/", "write 'http://localhost:3000'"),
        ("http://localhost:3000/app", "has a path"),
        ("*", "is not an origin"),
        ("http://a\x1b[31m.com", "invalid host 'a\\x1b[31m.com'"),
    ],
)
def test_origin_that_is_no_origin_exits_two_with_the_librarys_fix(value, expected):
    result = CliRunner().invoke(main, ["check", "http://127.0.0.1:9/a", "--origin", value])
    assert result.exit_code == 2
    assert expected in result.output
    assert "--origin" in result.output
    assert "\x1b" not in result.output


def test_origin_is_normalised_as_the_browser_sends_it(credentials_api):
    code, output = run(f"{credentials_api.url}/api/items", "--origin", "HTTP://LOCALHOST:3000")
    assert code == 0
    assert f"> Origin: {PAGE}" in output


def test_null_origin_is_accepted_and_refused_by_the_server(credentials_api):
    code, output = run(f"{credentials_api.url}/api/items", "--origin", "null")
    assert code == 1
    assert "> Origin: null" in output


def test_flask_check_validates_origin_too():
    app = _app("flask_check_api")
    CORS(app, origins=[PAGE])
    result = app.test_cli_runner().invoke(
        crossgate_group, ["check", "/api/items", "--origin", "localhost:3000"]
    )
    assert result.exit_code == 2
    assert "write 'http://localhost:3000'" in result.output


def test_flask_check_reads_the_debug_reason_from_the_app(monkeypatch):
    # `flask --debug crossgate check`: Flask's CLI sets app.debug from FLASK_DEBUG.
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = _app("flask_debug_api")
    CORS(app, origins=[PAGE], methods=["GET"])
    result = app.test_cli_runner().invoke(
        crossgate_group, ["check", "/api/items", "-X", "PATCH", "--origin", PAGE]
    )
    assert result.exit_code == 1
    assert "[method-not-allowed]" in result.output
    assert "fix: add 'PATCH' to methods" in result.output
