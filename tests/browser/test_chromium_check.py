"""``crossgate check`` against real Chromium: the command's verdict is what the browser does.

For each of the cases a newcomer meets first (a credentialed JSON POST, a custom header the API
does not list, a method it does not list), a page in Chromium makes the ``fetch()`` to a crossgate
app on 127.0.0.1, then ``crossgate check`` runs the same request against the same app. Both must
come to the same outcome, with the console line Chromium printed; the check must also name the
real cause (never the origin, which is allowed) and send nothing but preflights.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from click.testing import CliRunner
from flask import Flask

from crossgate.browser import BrowserRequest
from crossgate.cli._command import main
from crossgate.flask import CORS

from .harness import ServerPool, Tab

pytestmark = pytest.mark.browser

JSON = (("Content-Type", "application/json"),)


@dataclass(frozen=True, slots=True)
class Case:
    """One ``fetch()``, the API options it meets, and what the check's fix must say."""

    id: str
    method: str
    headers: tuple[tuple[str, str], ...]
    credentials: bool
    allowed: bool
    fix_names: tuple[str, ...] = ()


CASES = [
    Case("credentialed-json-post", "POST", JSON, credentials=True, allowed=True),
    Case(
        "refused-header",
        "POST",
        (*JSON, ("X-Requested-With", "XMLHttpRequest")),
        credentials=False,
        allowed=False,
        fix_names=("'x-requested-with'", "allow_headers"),
    ),
    Case(
        "refused-method",
        "PATCH",
        JSON,
        credentials=False,
        allowed=False,
        fix_names=("'PATCH'", "to methods"),
    ),
]


def _api(page: str, *, debug: bool) -> Flask:
    """The issue's configuration: credentials on, two listed headers, no PATCH in methods."""
    app = Flask(f"check_api_{debug}")
    app.debug = debug

    @app.route("/api/items", methods=["GET", "POST", "PATCH"])
    def items() -> dict[str, bool]:
        return {"ok": True}

    CORS(
        app,
        origins=[page],
        supports_credentials=True,
        allow_headers=["Content-Type", "Authorization"],
        methods=["GET", "POST"],
    )
    return app


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_check_verdict_matches_chromium(
    case: Case, debug: bool, servers: ServerPool, page_origins: dict[str, str], tab: Tab
) -> None:
    page = page_origins["localhost"]
    server = servers.serve(_api(page, debug=debug))
    query = f"case={case.id}"
    request = BrowserRequest(
        server.url("127.0.0.1", f"/api/items?{query}"),
        page,
        method=case.method,
        headers=case.headers,
        credentials=case.credentials,
    )
    tab.open(page)
    seen = tab.fetch(request, "{}", None)
    assert seen.allowed is case.allowed, seen
    server.recorder.take(query)

    args = ["check", request.url, "--origin", page, "-X", case.method, "--json"]
    for name, value in case.headers:
        args += ["-H", f"{name}: {value}"]
    if case.credentials:
        args.append("--credentials")
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    data = json.loads(result.output)

    assert data["allowed"] is seen.allowed
    assert result.exit_code == (0 if seen.allowed else 1)
    if seen.allowed:
        assert data["predicted"] is True  # the POST was not sent, and the output says so
    else:
        assert seen.cors_errors == (data["console"],)
        for name in case.fix_names:
            assert name in data["fix"]
        assert "origins" not in data["fix"]
        assert data["cause"]["source"] == ("server" if debug else "probes")
    # The check sent preflights only: nothing that could change data reached the API.
    assert {exchange.method for exchange in server.recorder.take(query)} == {"OPTIONS"}
