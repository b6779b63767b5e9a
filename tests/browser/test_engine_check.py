"""``crossgate check --browser``: each engine's verdict is what that engine does.

The command runs against the raw scenario servers for requests where the engines part ways; each
real engine makes the same ``fetch()`` from the same origin, and the command's verdict and
console lines for that engine must be the engine's. Chromium's Local Network Access is proven
with a page server Chromium was told is public (``--ip-address-space-overrides``).
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from crossgate.browser import BrowserRequest, console_message
from crossgate.cli._command import main
from crossgate.inspect import local_network_access

from .engines import ChromiumEngine, Engine
from .harness import LiveServer

pytestmark = pytest.mark.browser

# Requests where the engines disagree (User-Agent, a client hint) or word it differently.
DIFFERING = [
    ("user-agent", (("User-Agent", "crossgate-test"),)),
    ("client-hint-dpr", (("DPR", "2"),)),
    ("acao-two-values", ()),
    ("acao-not-a-url", ()),
    ("header-not-listed", ()),
]


@pytest.mark.parametrize(("scenario", "headers"), DIFFERING, ids=[row[0] for row in DIFFERING])
def test_check_all_gives_each_engine_its_own_verdict(
    scenario: str,
    headers: tuple[tuple[str, str], ...],
    warm_engine: Engine,
    engine_page: str,
    raw_apis: dict[str, LiveServer],
) -> None:
    engine = warm_engine
    method = "PUT" if scenario == "header-not-listed" else "GET"
    if method == "PUT":
        headers = (("Content-Type", "application/json"),)
    url = f"http://127.0.0.1:{raw_apis['api'].port}/s/{scenario}/0?check={engine.name}"
    request = BrowserRequest(url, engine_page, method=method, headers=headers)
    engine.open(engine_page)
    seen = engine.fetch(request, "{}" if method == "PUT" else None, None, sandboxed=False)

    args = ["check", url, "--origin", engine_page, "-X", method, "--browser", "all", "--json"]
    for name, value in headers:
        args += ["-H", f"{name}: {value}"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    data = json.loads(result.output)
    verdicts = {item["engine"]: item for item in data["engines"]}

    mine = verdicts[engine.name]
    assert mine["allowed"] is seen.allowed
    assert tuple(mine["console_lines"]) == seen.console
    assert data["allowed"] is all(item["allowed"] for item in data["engines"])
    assert result.exit_code == (0 if data["allowed"] else 1)
    if len({item["allowed"] for item in data["engines"]}) > 1:
        assert any("allow it" in line for line in data["differences"])


def test_local_network_access_is_asked_before_anything_is_sent(
    warm_engine: Engine, public_page: LiveServer, raw_apis: dict[str, LiveServer]
) -> None:
    """A public page fetching a loopback address: Chromium refuses before sending a byte,
    whatever CORS headers the server would send (this one answers ``*``)."""
    if not isinstance(warm_engine, ChromiumEngine):
        pytest.skip("Local Network Access is Chromium's")
    page = f"http://127.0.0.1:{public_page.port}"
    url = f"http://127.0.0.1:{raw_apis['api'].port}/s/acao-star/0?lna=1"
    request = BrowserRequest(url, page)
    warm_engine.open(page)
    seen = warm_engine.fetch(request, None, None, sandboxed=False)
    reached = raw_apis["api"].recorder.take("lna=1")

    blocked = local_network_access(request, page_space="public")
    assert blocked is not None
    assert not seen.allowed
    assert reached == []
    assert seen.console == (console_message(request, blocked),)

    args = ["check", url, "--origin", "https://app.example.com", "--browser", "chromium"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert "LOCAL NETWORK ACCESS" in result.output
    assert "no response header changes this" in result.output
    assert "targetAddressSpace" in result.output
    assert "local-network-access" in result.output
    raw_apis["api"].recorder.take("lna=1")
