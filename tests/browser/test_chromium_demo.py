"""``make demo`` in real Chromium: every button does what the page says, and its screenshot
(docs/demo.png, rewritten only by ``make screenshot``: a test run leaves the tree as it was)."""

from __future__ import annotations

import importlib.util
import os
import re
import socket
from pathlib import Path
from types import ModuleType

import pytest
from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "demo.png"
BUILD_PATH = re.compile(r"/(work|root|home|tmp|Users|opt)/")


def _load_demo() -> ModuleType:
    # examples/ is not an installed package: load the file the Makefile runs.
    spec = importlib.util.spec_from_file_location("crossgate_demo", ROOT / "examples" / "demo.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _port(preferred: int) -> int:
    """*preferred* (``make demo``'s, so the screenshot shows its URLs) when free, else any."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", preferred))
        except OSError:
            probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_demo_buttons(chromium: Browser, tmp_path: Path) -> None:
    shot = SCREENSHOT if os.environ.get("CROSSGATE_SCREENSHOT") == "1" else tmp_path / "demo.png"
    api_port, page_port = _port(5001), _port(5002)
    servers = _load_demo().serve("127.0.0.1", api_port, page_port)
    context = chromium.new_context(viewport={"width": 1000, "height": 700})
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    try:
        page.goto(f"http://127.0.0.1:{page_port}/")
        outcomes: dict[str, str] = {}
        texts: dict[str, str] = {}
        # The credentialed button twice: the cookie set by the first answer comes back.
        for button in [
            "allowed-get",
            "json-post",
            "credentialed",
            "credentialed",
            "refused-origin",
            "view-raises",
        ]:
            out = page.locator(f"#{button}-out")
            page.click(f"#{button}")
            # The click shows "…" at once; data-outcome stays from an earlier click until then.
            page.wait_for_function(
                "(out) => out.dataset.outcome !== undefined && out.textContent !== '…'",
                arg=out.element_handle(),
            )
            outcomes[button] = out.get_attribute("data-outcome") or ""
            texts[button] = out.inner_text()
        page.screenshot(path=shot, full_page=True)
    finally:
        context.close()
        for server in servers:
            server.shutdown()

    assert outcomes == {
        "allowed-get": "allowed",
        "json-post": "allowed",
        "credentialed": "allowed",
        "refused-origin": "blocked",
        "view-raises": "allowed",
    }
    assert "HTTP 200" in texts["allowed-get"]
    assert "Hello from the API" in texts["allowed-get"]
    assert "HTTP 201" in texts["json-post"]
    assert '"name": "demo"' in texts["json-post"]
    assert '"user": "alice"' in texts["credentialed"]
    assert "TypeError: Failed to fetch" in texts["refused-origin"]
    assert "HTTP 500" in texts["view-raises"]
    assert "RuntimeError: the database is down" in texts["view-raises"]
    # The screenshot is docs/demo.png: no path of the machine that took it.
    assert 'File "…/examples/demo.py", line' in texts["view-raises"]
    assert BUILD_PATH.search(texts["view-raises"]) is None, texts["view-raises"]
    assert any(
        f"/api/partner-only' from origin 'http://127.0.0.1:{page_port}' has been blocked by CORS "
        "policy: No 'Access-Control-Allow-Origin' header" in line
        for line in console
    )
    assert shot.stat().st_size > 10_000
