"""The audit's position (docs/audit.md): what is a finding and what a note, applied alike to the
README's own setup and to every fix the refusal log gives.

Each fix text of the refusal catalogue is applied to an app as it says, and ``flask crossgate
audit`` must find nothing there: the log never recommends what the audit flags.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint, Flask, request

from crossgate._reasons import CATALOGUE
from crossgate.flask import CORS
from crossgate.flask._commands import crossgate_group
from tests.markdown_samples import ROOT, parse

PAGE = "https://app.example.com"
ADMIN = "https://admin.example.com"
CREDENTIALED: dict[str, Any] = {"origins": [PAGE], "supports_credentials": True}


def flask_audit(app: Flask, path: str, *origins: str) -> tuple[int, str]:
    given = [item for origin in origins for item in ("--origin", origin)]
    result = app.test_cli_runner().invoke(crossgate_group, ["audit", path, *given])
    return result.exit_code, result.output


def readme_app(tmp_path: Path) -> Flask:
    """The README quickstart's app.py, run as a reader would run it."""
    (code,) = [
        sample.code
        for sample in parse(ROOT / "README.md")
        if sample.file == "app.py" and "public_api" in sample.code
    ]
    namespace: dict[str, Any] = {"__name__": "quickstart_app"}
    exec(compile(code, str(tmp_path / "app.py"), "exec"), namespace)
    app: Flask = namespace["app"]
    return app


def test_the_readme_quickstart_audits_clean(tmp_path: Path) -> None:
    app = readme_app(tmp_path)
    code, out = flask_audit(app, "/public/status")
    assert code == 0, out
    assert "FINDING" not in out
    assert "note public-preflight-any-header: preflights from any site may send any request" in out
    assert "without cookies (Access-Control-Allow-Origin: *)" in out
    assert "no finding: no attack origin could read this URL" in out
    # A CI job reading --json sees the same: no finding, the note carried.
    result = app.test_cli_runner().invoke(crossgate_group, ["audit", "/public/status", "--json"])
    report = json.loads(result.output)
    assert (result.exit_code, report["findings"]) == (0, [])
    assert "public-preflight-any-header" in {note["class"] for note in report["notes"]}
    # The credentialed part of the same app stays clean too, from its trusted page.
    code, out = flask_audit(app, "/items/1", "http://localhost:3000")
    assert code == 0, out


def test_an_echo_with_credentials_stays_a_high_finding() -> None:
    app = Flask("echo_with_credentials")

    @app.after_request
    def echo(response: Any) -> Any:

        origin = request.headers.get("Origin")
        if origin:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Credentials"] = "true"
            response.headers["Vary"] = "Origin"
            asked = request.headers.get("Access-Control-Request-Headers")
            if asked:
                response.headers["Access-Control-Allow-Headers"] = asked
        return response

    @app.get("/me")
    def me() -> dict[str, str]:
        return {"user": "alice"}

    code, out = flask_audit(app, "/me", PAGE)
    assert code == 1
    assert "FINDING preflight-any-header [high] origin https://evil.test" in out
    assert "note public-preflight-any-header" not in out


@dataclass(frozen=True)
class Scenario:
    """An app refusing with *code*, the request refused, and the app once its fix is applied."""

    code: str
    before: Callable[[], Flask]
    request: tuple[str, dict[str, str]]
    fixed_by: str  # a phrase of the fix text the log gave
    after: Callable[[], Flask]
    path: str
    trusted: tuple[str, ...]


def api(*methods: str, name: str = "api", **options: Any) -> Flask:
    app = Flask(name)
    if options:
        CORS(app, **options)

    @app.route("/api", methods=list(methods or ["GET"]))
    def endpoint() -> dict[str, str]:
        return {"user": "alice"}

    return app


def raising(origin: str) -> bool:
    raise LookupError("the origin table is down")


def reports(*rules: str) -> Flask:
    """An app whose resources rules cover *rules*, with a view at /reports."""
    app = Flask("reports")
    CORS(app, resources={rule: dict(CREDENTIALED) for rule in rules})

    @app.get("/reports")
    def endpoint() -> dict[str, str]:
        return {"user": "alice"}

    return app


def public_blueprint() -> Flask:
    app = Flask("public_blueprint")
    CORS(app, origins=[PAGE], supports_credentials=True)
    blueprint = Blueprint("public_api", "public_api", url_prefix="/public")

    @blueprint.get("/api")
    def endpoint() -> dict[str, bool]:
        return {"ok": True}

    CORS(blueprint, origins="*")
    app.register_blueprint(blueprint)
    return app


def preflight(origin: str, method: str = "GET", headers: str = "") -> tuple[str, dict[str, str]]:
    lines = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        lines["Access-Control-Request-Headers"] = headers
    return "/api", lines


SCENARIOS = [
    Scenario(
        "origin-not-allowed",
        lambda: api(**CREDENTIALED),
        preflight(ADMIN),
        f"add {ADMIN} to origins",
        lambda: api(origins=[PAGE, ADMIN], supports_credentials=True),
        "/api",
        (PAGE, ADMIN),
    ),
    Scenario(
        "origin-null",
        lambda: api(**CREDENTIALED),
        preflight("null"),
        "origins=* answers null too",
        lambda: api(origins="*"),
        "/api",
        (),
    ),
    Scenario(
        "origin-check-failed",
        lambda: api(origins=raising),
        preflight(PAGE),
        "return True or False for every origin",
        lambda: api(origins=lambda origin: origin == PAGE),
        "/api",
        (PAGE,),
    ),
    Scenario(
        "method-not-allowed",
        lambda: api("GET", "PUT", methods=["GET"], **CREDENTIALED),
        preflight(PAGE, "PUT"),
        "add PUT to methods",
        lambda: api("GET", "PUT", methods=["GET", "PUT"], **CREDENTIALED),
        "/api",
        (PAGE,),
    ),
    Scenario(
        "method-not-routed",
        lambda: api("GET", **CREDENTIALED),
        preflight(PAGE, "PUT"),
        "add PUT to the routes methods",
        lambda: api("GET", "PUT", **CREDENTIALED),
        "/api",
        (PAGE,),
    ),
    Scenario(
        "route-not-covered",
        lambda: reports("/api/*"),
        ("/reports", preflight(PAGE)[1]),
        "a resources rule in CORS(app, ...)",
        lambda: reports("/api/*", "/reports"),
        "/reports",
        (PAGE,),
    ),
    Scenario(
        "header-not-allowed",
        lambda: api(allow_headers=["Content-Type"], **CREDENTIALED),
        preflight(PAGE, "GET", "x-token"),
        "add x-token to allow_headers",
        lambda: api(allow_headers=["Content-Type", "X-Token"], **CREDENTIALED),
        "/api",
        (PAGE,),
    ),
    Scenario(
        "header-not-allowed",
        lambda: api(allow_headers=["Content-Type"], **CREDENTIALED),
        preflight(PAGE, "GET", "x-token"),
        "or leave allow_headers at its default *",
        lambda: api(**CREDENTIALED),
        "/api",
        (PAGE,),
    ),
    Scenario(
        "header-not-allowed",
        lambda: api(allow_headers=["Content-Type"], origins="*"),
        preflight(PAGE, "GET", "x-token"),
        "or leave allow_headers at its default *",
        public_blueprint,
        "/public/api",
        (),
    ),
]
#: Reasons whose fix changes nothing an audit can see: the client is no browser, or the
#: request is too large; protection's fixes are judged by the cross-site-write tests.
NOTHING_TO_APPLY = {"origin-malformed", "method-invalid", "headers-invalid", "headers-too-large"}


def test_every_fix_text_with_something_to_apply_is_cross_checked() -> None:
    protection = {code for code in CATALOGUE if code.startswith("protection-")}
    applied = {scenario.code for scenario in SCENARIOS}
    assert applied | NOTHING_TO_APPLY | protection == set(CATALOGUE)


@pytest.mark.parametrize(
    "scenario", SCENARIOS, ids=[f"{s.code}-{i}" for i, s in enumerate(SCENARIOS)]
)
def test_applying_a_fix_from_the_log_leaves_nothing_for_the_audit(
    scenario: Scenario, caplog: pytest.LogCaptureFixture
) -> None:
    path, lines = scenario.request
    with caplog.at_level(logging.DEBUG, logger="crossgate"):
        scenario.before().test_client().options(path, headers=lines)
    logged = [record for record in caplog.records if hasattr(record, "crossgate_reason")]
    assert [getattr(record, "crossgate_reason", None) for record in logged] == [scenario.code]
    # The log quotes the values it names; the phrase is matched as a reader reads it.
    assert scenario.fixed_by in logged[0].getMessage().replace("'", "")
    code, out = flask_audit(scenario.after(), scenario.path, *scenario.trusted)
    assert code == 0, out
    assert "FINDING" not in out
