"""The commands say what cross-origin protection does: ``flask crossgate routes`` per route,
``flask crossgate check`` and ``crossgate check --send`` for a form POST and a WebSocket
handshake from another site (the latter against a live server on 127.0.0.1), with and without
``CrossOriginProtection``; the side effect is observed on the server."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import CliRunner
from flask import Blueprint, Flask

from crossgate.cli._command import main
from crossgate.flask import CORS, CrossOriginProtection
from crossgate.flask._commands import crossgate_group
from crossgate.inspect import fetch_site
from crossgate.inspect._writes import written
from tests.live_server import Served

PAGE = "https://app.example.com"
PARTNER = "https://partner.example.org"
EVIL = "https://evil.example"
REFUSED = "would be refused by CrossOriginProtection (403, protection-cross-site)"


def _bank(name: str, *, protect: bool, debug: bool = False) -> tuple[Flask, list[str]]:
    """A cookie-session app: POST /transfer moves money (recorded), /hooks/pay is a webhook."""
    app = Flask(name)
    app.debug = debug
    transfers: list[str] = []
    hooks = Blueprint("hooks", name)

    @hooks.post("/hooks/pay")
    def pay() -> str:
        return "paid"

    app.register_blueprint(hooks)

    @app.route("/transfer", methods=["GET", "POST"])
    def transfer() -> str:
        transfers.append("moved")
        return "done"

    CORS(app, origins=[PAGE], supports_credentials=True)
    if protect:
        CrossOriginProtection(app, trusted_origins=[PARTNER], exempt=["hooks"])
    return app, transfers


def _flask(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(crossgate_group, list(args))
    return result.exit_code, result.output


def test_routes_show_protected_exempt_and_the_trusted_origins():
    app, _ = _bank("routes_protected", protect=True)
    code, output = _flask(app, "routes")
    assert code == 0
    transfer = output.split("/transfer")[1]
    assert (
        "protection: protected; cross-site writes refused except from: "
        f"{PARTNER}, {PAGE}" in transfer
    )
    hooks = output.split("/hooks/pay")[1].split("/static")[0]
    assert "protection: exempt (by 'hooks'): writes from any site reach the view" in hooks


def test_routes_say_not_protected_without_the_protection():
    app, _ = _bank("routes_unprotected", protect=False)
    code, output = _flask(app, "routes")
    assert code == 0
    assert output.count("protection: not protected (no CrossOriginProtection on the app)") == 3


def test_routes_json_carries_the_protection():
    app, _ = _bank("routes_json", protect=True)
    code, output = _flask(app, "routes", "--json")
    assert code == 0
    rows = {row["rule"]: row["protection"] for row in json.loads(output)}
    assert rows["/transfer"] == {
        "state": "protected",
        "exempt_by": None,
        "trusted": [PARTNER, PAGE],
    }
    assert rows["/hooks/pay"] == {"state": "exempt", "exempt_by": "hooks", "trusted": []}
    unprotected, _ = _bank("routes_json_bare", protect=False)
    rows = {
        row["rule"]: row["protection"]
        for row in json.loads(_flask(unprotected, "routes", "--json")[1])
    }
    assert rows["/transfer"]["state"] == "not protected"


def test_routes_name_an_unknown_exemption():
    app, _ = _bank("routes_unknown", protect=False)
    CrossOriginProtection(app, exempt=["webhooks"])
    code, output = _flask(app, "routes")
    assert code != 0
    assert "'webhooks'" in output
    assert "is not an endpoint or a blueprint of this app" in output


def test_flask_check_predicts_refusal_without_running_the_view():
    app, transfers = _bank("check_protected", protect=True)
    code, output = _flask(app, "check", "/transfer", "-X", "POST", "--origin", EVIL, "--websocket")
    assert f"a form POST from {EVIL} (cross-site) {REFUSED}" in output
    assert f"a WebSocket handshake from {EVIL} (cross-site) {REFUSED}" in output
    assert transfers == []  # predicted: the view never ran
    assert code == 1  # the CORS verdict still decides the exit status


def test_flask_check_says_why_a_write_passes():
    app, _ = _bank("check_passes", protect=True)
    _, exempt = _flask(app, "check", "/hooks/pay", "-X", "POST", "--origin", EVIL)
    assert (
        "would reach the view (CrossOriginProtection lets it through: the route is exempt by "
        "'hooks')" in exempt
    )
    assert "CORS does not stop it" in exempt
    _, trusted = _flask(app, "check", "/transfer", "-X", "POST", "--origin", PAGE)
    assert f"{PAGE} is trusted" in trusted


def test_flask_check_without_protection_says_cors_does_not_stop_the_post():
    app, transfers = _bank("check_unprotected", protect=False)
    _, output = _flask(app, "check", "/transfer", "-X", "POST", "--origin", EVIL, "--json")
    (write,) = json.loads(output)["protection"]
    assert write["outcome"] == "reaches-view"
    assert write["message"] == (
        f"a form POST from {EVIL} (cross-site) would reach the view (no CrossOriginProtection "
        "on the app): CORS does not stop it, it only hides the response from the page"
    )
    assert transfers == []


def test_flask_check_of_a_read_or_a_preflighted_method():
    app, _ = _bank("check_read", protect=False)
    _, read = _flask(app, "check", "/transfer", "--origin", EVIL)
    assert "cross-origin protection" not in read
    _, put = _flask(app, "check", "/transfer", "-X", "PUT", "--origin", EVIL)
    assert f"a PUT request from {EVIL} (cross-site) cannot be sent without a preflight" in put


@pytest.fixture(scope="module", params=[False, True], ids=["unprotected", "protected"])
def live_bank(
    request: pytest.FixtureRequest, serve: Callable[[Flask], Served]
) -> tuple[Served, list[str], bool]:
    app, transfers = _bank(f"live_bank_{request.param}", protect=request.param)
    return serve(app), transfers, request.param


def _live(served: Served, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", f"{served.url}/transfer", *args])
    return result.exit_code, result.output


def test_live_check_sends_the_form_post_only_with_send(live_bank):
    served, transfers, _ = live_bank
    before, moved = len(served.methods), len(transfers)
    _, output = _live(served, "-X", "POST", "--origin", EVIL)
    assert f"a form POST from {EVIL} (cross-site): not sent, since it may change data" in output
    assert "POST" not in served.methods[before:]
    assert len(transfers) == moved


def test_live_check_send_reports_what_the_server_did(live_bank):
    served, transfers, protected = live_bank
    moved = len(transfers)
    _, output = _live(served, "-X", "POST", "--origin", EVIL, "--send", "--websocket")
    if protected:
        assert f"a form POST from {EVIL} (cross-site) {REFUSED}" in output
        assert f"a WebSocket handshake from {EVIL} (cross-site) {REFUSED}" in output
        # The CORS check's own POST (no Sec-Fetch-Site, Origin not the Host) is refused too.
        assert len(transfers) == moved
    else:
        assert (
            f"a form POST from {EVIL} (cross-site) would reach the view (200, no cross-origin "
            "protection): CORS does not stop it" in output
        )
        # The check's POST and the form POST both moved money: the side effect is real.
        assert len(transfers) == moved + 2


def test_live_check_send_json(live_bank):
    served, _, protected = live_bank
    _, output = _live(served, "-X", "POST", "--origin", EVIL, "--send", "--json")
    (write,) = json.loads(output)["protection"]
    assert write["outcome"] == ("refused" if protected else "reaches-view")
    assert write["status"] == (403 if protected else 200)
    assert write["site"] == "cross-site"


@pytest.mark.parametrize(
    ("origin", "url", "site"),
    [
        ("https://app.example.com", "https://app.example.com/x", "same-origin"),
        ("https://shop.example.com", "https://app.example.com/x", "same-site"),
        ("http://shop.example.com", "https://app.example.com/x", "cross-site"),
        ("https://evil.example", "https://app.example.com/x", "cross-site"),
        ("null", "https://app.example.com/x", "cross-site"),
    ],
)
def test_the_sec_fetch_site_a_browser_sends(origin, url, site):
    assert fetch_site(origin, url) == site
    write = written(url, origin, "POST", websocket=False)
    if site == "same-origin":
        assert write is None  # the app's own page: nothing to judge
    else:
        assert write is not None
        assert f"a form POST from {origin} ({site}): not sent" in write.line
