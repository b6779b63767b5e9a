"""The situations people bring ("I added CORS and it is still blocked"), through the real
commands: ``flask --app ... crossgate check|routes`` in a fresh process, and ``crossgate check``
against gunicorn on 127.0.0.1. Each must name the real cause, and never the wrong fix.

The apps are in tutorial_apps.py: a tutorial's hand-set ``*`` under
``CORS(..., supports_credentials=True)``, a ``@cross_origin`` overriding the app's origins, and
``resources`` methods a GET route does not accept.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.cli.tutorial_apps import PAGE, PARTNER
from tests.export.export_proxies import gunicorn as served_by_gunicorn

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")])}
WRONG_WILDCARD_FIX = "list the allowed origins in origins instead of"
WRONG_ORIGIN_FIX = "if it is there already"


def flask(app: str, *args: str) -> subprocess.CompletedProcess[str]:
    flask_script = Path(sys.executable).with_name("flask")
    return subprocess.run(
        [str(flask_script), "--app", f"tests.cli.tutorial_apps:{app}", "crossgate", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=ENV,
        timeout=120,
        check=False,
    )


def test_check_names_the_decorator_that_decided_not_the_app_level():
    finished = flask("override", "check", "/api/partner", "--origin", PAGE)
    assert finished.returncode == 1
    out = finished.stdout
    assert "@cross_origin(...) on view 'partner_only' (tests/cli/tutorial_apps.py:" in out
    assert f"which decided for this route: {PARTNER}" in out
    assert "[origin-not-allowed]" in out
    assert WRONG_ORIGIN_FIX not in out  # the app level lists the page: that advice misleads


def test_check_points_out_a_near_miss():
    finished = flask("override", "check", "/api/open", "--origin", "http://localhost:5002")
    assert finished.returncode == 1
    assert "only in localhost vs 127.0.0.1" in finished.stdout
    assert f"if the page is meant to be {PAGE!r}, open it from there" in finished.stdout
    assert "of CORS(app) (tests/cli/tutorial_apps.py:" in finished.stdout


def test_check_names_the_route_not_the_methods_option():
    finished = flask("methods", "check", "/api/items", "--origin", PAGE, "-X", "DELETE")
    assert finished.returncode == 1
    out = finished.stdout
    assert "the route does not accept method 'DELETE'" in out
    assert "[method-not-routed]" in out
    assert "add 'DELETE' to the route's methods" in out
    assert "add 'DELETE' to methods" not in out  # it is in methods already


def test_routes_shows_the_methods_a_preflight_is_answered_with():
    finished = flask("methods", "routes")
    assert finished.returncode == 0, finished.stderr
    assert (
        "methods: GET (configured: DELETE, GET, POST, PUT; the route does not accept "
        "DELETE, POST, PUT: their preflights are refused)"
    ) in finished.stdout
    assert "methods: DELETE, GET, POST, PUT" not in finished.stdout
    as_json = flask("methods", "routes", "--json")
    [items] = [row for row in json.loads(as_json.stdout) if row["rule"] == "/api/items"]
    assert items["cors"]["methods"] == ["DELETE", "GET", "POST", "PUT"]
    assert items["cors"]["effective_methods"] == ["GET"]


def test_check_on_hand_set_headers_names_them_and_works_with_credentials():
    finished = flask("hand_set", "check", "/api/made", "--origin", PAGE, "--credentials")
    assert finished.returncode == 0, finished.stdout
    out = finished.stdout
    assert "ALLOWED" in out
    assert "note: endpoint 'made' answered with a hand-set CORS header" in out
    assert f"the app set '*', crossgate's policy writes {PAGE!r}" in out
    assert "Fix: remove the hand-set header; crossgate writes it" in out
    assert WRONG_WILDCARD_FIX not in out
    assert finished.stderr == ""  # shown in place, not twice


@contextmanager
def gunicorn(app: str, log: Path) -> Iterator[str]:
    with served_by_gunicorn("tests.cli.tutorial_apps", app=app, log=log) as port:
        yield f"http://127.0.0.1:{port}"


def crossgate_check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from crossgate.cli import main; main()", "check", *args],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("path", ["/api/me", "/api/made"])
def test_live_hand_set_star_is_replaced_and_logged(tmp_path: Path, path: str):
    log = tmp_path / "gunicorn.log"
    with gunicorn("hand_set", log) as url:
        finished = crossgate_check(url + path, "--origin", PAGE, "--credentials")
    assert finished.returncode == 0, finished.stdout
    shown = finished.stdout.lower()
    assert f"< access-control-allow-origin: {PAGE}" in shown
    assert "< access-control-allow-origin: *" not in shown
    assert WRONG_WILDCARD_FIX not in finished.stdout
    endpoint = path.rpartition("/")[2]
    assert (
        f"[hand-set-header] endpoint {endpoint!r} answered with a hand-set CORS header: "
        f"Access-Control-Allow-Origin: the app set '*', crossgate's policy writes {PAGE!r}"
    ) in log.read_text()


def test_live_check_reads_the_deciding_level_from_a_debug_server(tmp_path: Path):
    with gunicorn("override_debug", tmp_path / "gunicorn.log") as url:
        finished = crossgate_check(url + "/api/partner", "--origin", PAGE, "-X", "PUT")
    assert finished.returncode == 1
    out = finished.stdout
    assert "@cross_origin(...) on view 'partner_only' (tests/cli/tutorial_apps.py:" in out
    assert "the server's own reason [origin-not-allowed]" in out
    assert WRONG_ORIGIN_FIX not in out


def test_live_check_names_a_hand_set_star_as_the_cause_where_crossgate_does_not_write(
    tmp_path: Path,
):
    # The tutorial without crossgate: nothing replaces its '*'. The check cannot see the app's
    # code, so it names both ways a '*' reaches a credentialed request, the hand-set one first
    # when origins is a list.
    with gunicorn("tutorial_only", tmp_path / "gunicorn.log") as url:
        finished = crossgate_check(url + "/api/me", "--origin", PAGE, "--credentials")
    assert finished.returncode == 1
    out = finished.stdout
    assert "BLOCKED at step allow-origin-wildcard-credentials" in out
    assert "if origins is a list already, the '*' was set by hand" in out
    assert "(an after_request hook, make_response, a proxy)" in out
