"""Three real browser engines behind one small interface: open a page origin, run a ``fetch()``.

- Chromium: Debian's ``/usr/bin/chromium`` through playwright, as the rest of the suite.
- Firefox ESR: ``firefox-esr --headless`` over WebDriver BiDi (the ``websockets`` sync client);
  console lines arrive as ``log.entryAdded`` events.
- WebKitGTK: MiniBrowser under Xvfb, running a page that asks the test process for its next
  ``fetch()``, its console read from stderr. (``WebKitWebDriver``'s automation views ignore
  ``--enable-write-console-messages-to-stdout``: measured with WebKitGTK 2.50.)

Each engine reports the console lines of one ``fetch()``: the engine's CORS error lines, tied to
the fetch by its URL (Chromium, Firefox) or by a marker the runner logs after it (WebKit).
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from crossgate.browser import BrowserRequest

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from playwright.sync_api import Browser, ConsoleMessage

__all__ = [
    "FIREFOX",
    "MINIBROWSER",
    "ChromiumEngine",
    "Engine",
    "EngineFetch",
    "FirefoxEngine",
    "WebKitEngine",
]

FIREFOX = Path("/usr/bin/firefox-esr")
MINIBROWSER = Path("/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser")
XVFB = Path("/usr/bin/Xvfb")
_TIMEOUT = 30.0

#: One fetch in the page, or in a sandboxed iframe of it (whose origin is opaque: "null").
FETCH_JS = """
async ({url, init, read, sandboxed}) => {
  const run = async (url, init, read) => {
    try {
      const response = await fetch(url, init), body = await response.text();
      return {allowed: true, status: response.status, body, error: "",
              header: read ? response.headers.get(read) : null};
    } catch (error) {
      return {allowed: false, status: null, body: "", header: null, error: String(error)};
    }
  };
  if (!sandboxed) return run(url, init, read);
  return new Promise((resolve) => {
    const frame = document.createElement("iframe");
    frame.sandbox = "allow-scripts";
    frame.srcdoc = "<script>const run = " + run.toString() + ";"
      + "addEventListener('message', async (e) => parent.postMessage(await run(...e.data), '*'));"
      + "<\\/script>";
    addEventListener("message", function answer(event) {
      if (event.source !== frame.contentWindow) return;
      // The frame stays a while: removed at once, its console line was sometimes lost.
      removeEventListener("message", answer); resolve(event.data);
      setTimeout(() => frame.remove(), 5000);
    });
    frame.onload = () => frame.contentWindow.postMessage([url, init, read], "*");
    document.body.appendChild(frame);
  });
}
"""


@dataclass(frozen=True, slots=True)
class EngineFetch:
    """What the page saw of one ``fetch()``, and the engine's CORS console lines for it."""

    allowed: bool
    status: int | None
    body: str
    header: str | None
    error: str
    console: tuple[str, ...]


class Engine(Protocol):
    """A running browser engine with one page."""

    name: str
    version: str

    def open(self, origin: str) -> None:
        """Show a blank page of *origin*."""

    def fetch(
        self, request: BrowserRequest, body: str | None, read: str | None, *, sandboxed: bool
    ) -> EngineFetch:
        """Run *request* in the page and return what the page and the console saw."""

    def close(self) -> None:
        """Stop the engine."""


def _init(request: BrowserRequest, body: str | None) -> dict[str, Any]:
    init: dict[str, Any] = {
        "method": request.method,
        "headers": [list(pair) for pair in request.headers],
        "credentials": "include" if request.credentials else "same-origin",
    }
    if body is not None:
        init["body"] = body
    return init


def _result(seen: dict[str, Any], console: Iterable[str]) -> EngineFetch:
    return EngineFetch(
        allowed=bool(seen["allowed"]),
        status=seen["status"],
        body=seen["body"],
        header=seen["header"],
        error=seen["error"],
        console=tuple(console),
    )


def _marker(url: str) -> str:
    """The part of a fetch's URL every later hop keeps too: ``/s/<case>/``."""
    match = re.search(r"/s/[^/]+/", url)
    return match.group() if match else url


class ChromiumEngine:
    """Chromium through playwright: one context and page for the whole session."""

    name = "chromium"
    # Chromium prints a CORS error before fetch() rejects; this absorbs scheduling jitter.
    _wait_ms = 30

    def __init__(self, browser: Browser) -> None:
        self.version = browser.version
        self._context = browser.new_context()
        self.page = self._context.new_page()
        self._console: list[str] = []
        self.page.on("console", self._on_console)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self._console.append(message.text)

    def open(self, origin: str) -> None:
        if not self.page.url.startswith(origin + "/"):
            self.page.goto(origin + "/")

    def fetch(
        self, request: BrowserRequest, body: str | None, read: str | None, *, sandboxed: bool
    ) -> EngineFetch:
        self._console.clear()
        arguments = {
            "url": request.url,
            "init": _init(request, body),
            "read": read,
            "sandboxed": sandboxed,
        }
        seen = self.page.evaluate(FETCH_JS, arguments)
        marker = _marker(request.url)

        def lines() -> list[str]:
            return [
                text
                for text in self._console
                if marker in text and ("CORS policy" in text or "Permission was denied" in text)
            ]

        self.page.wait_for_timeout(self._wait_ms)
        if not seen["allowed"]:
            for _ in range(50):
                if lines():
                    break
                self.page.wait_for_timeout(self._wait_ms)
        return _result(seen, lines())

    def close(self) -> None:
        self._context.close()


class FirefoxEngine:
    """Firefox ESR, headless, driven over WebDriver BiDi."""

    name = "firefox"

    def __init__(self) -> None:
        from websockets.sync.client import connect

        self._profile = tempfile.mkdtemp(prefix="crossgate-firefox-")
        Path(self._profile, "user.js").write_text(
            'user_pref("browser.shell.checkDefaultBrowser", false);\n'
            'user_pref("datareporting.policy.dataSubmissionEnabled", false);\n'
        )
        self._process = subprocess.Popen(
            [
                str(FIREFOX),
                "--headless",
                "--no-remote",
                "--profile",
                self._profile,
                "--remote-debugging-port=0",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._stack = ExitStack()
        self._next_id = 0
        self._console: list[str] = []
        self._origin = ""
        try:
            address = self._bidi_address()
            self._socket = self._stack.enter_context(
                connect(f"{address}/session", max_size=None, open_timeout=_TIMEOUT)
            )
            created = self._command("session.new", {"capabilities": {}})
            self.version = created["capabilities"]["browserVersion"]
            self._command("session.subscribe", {"events": ["log.entryAdded"]})
            tree = self._command("browsingContext.getTree", {})
            self._context = tree["contexts"][0]["context"]
        except BaseException:
            # Never leave a browser running behind a failed start.
            self._stack.close()
            _stop(self._process)
            raise

    def _bidi_address(self) -> str:
        assert self._process.stderr is not None
        deadline = time.monotonic() + _TIMEOUT
        for line in self._process.stderr:
            found = re.search(r"WebDriver BiDi listening on (ws://\S+)", line)
            if found:
                # Keep draining stderr so Firefox never blocks on a full pipe.
                self._drainer = threading.Thread(target=self._drain, daemon=True)
                self._drainer.start()
                return found.group(1)
            if time.monotonic() > deadline:
                break
        raise RuntimeError("Firefox did not open its WebDriver BiDi port")

    def _drain(self) -> None:
        assert self._process.stderr is not None
        for _ in self._process.stderr:
            pass

    def _command(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self._next_id += 1
        self._socket.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv(timeout=_TIMEOUT))
            if message.get("id") == self._next_id:
                if message["type"] != "success":
                    raise RuntimeError(f"{method} failed: {message}")
                result: dict[str, Any] = message["result"]
                return result
            self._event(message)

    def _event(self, message: dict[str, Any]) -> None:
        if message.get("method") == "log.entryAdded":
            self._console.append(message["params"].get("text") or "")

    def _pump(self, seconds: float) -> None:
        """Read the events that arrive within *seconds*."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                self._event(json.loads(self._socket.recv(timeout=left)))
            except TimeoutError:
                return

    def open(self, origin: str) -> None:
        if self._origin != origin:
            self._command(
                "browsingContext.navigate",
                {"context": self._context, "url": origin + "/", "wait": "complete"},
            )
            self._origin = origin

    def fetch(
        self, request: BrowserRequest, body: str | None, read: str | None, *, sandboxed: bool
    ) -> EngineFetch:
        self._console.clear()
        arguments = {
            "url": request.url,
            "init": _init(request, body),
            "read": read,
            "sandboxed": sandboxed,
        }
        expression = f"({FETCH_JS})({json.dumps(arguments)}).then(JSON.stringify)"
        answer = self._command(
            "script.evaluate",
            {"expression": expression, "target": {"context": self._context}, "awaitPromise": True},
        )
        seen = json.loads(answer["result"]["value"])
        marker = _marker(request.url)

        def lines() -> list[str]:
            return [
                text
                for text in self._console
                if marker in text and text.startswith("Cross-Origin Request Blocked")
            ]

        # Firefox reports CORS errors from its network process, just after the promise settles,
        # and a failed preflight or redirect in a second line a little later.
        self._pump(0.03)
        if not seen["allowed"]:
            for _ in range(50):
                if lines():
                    self._pump(0.15)
                    break
                self._pump(0.03)
        return _result(seen, lines())

    def close(self) -> None:
        # The browser may already be gone; it is stopped below anyway.
        with suppress(Exception):
            self._command("session.end", {})
        self._stack.close()
        _stop(self._process)
        self._drainer.join(timeout=10)
        shutil.rmtree(self._profile, ignore_errors=True)


_RUNNER_PAGE = """<!doctype html><meta charset=utf-8><title>crossgate runner</title><body><script>
const fetchOne = %s;
(async () => {
  for (;;) {
    const command = await (await fetch("/runner/next")).json();
    if (command.navigate) { location.href = command.navigate; return; }
    if (!command.id) continue;
    const result = await fetchOne(command.arguments);
    console.log("crossgate-done " + command.id);
    await fetch("/runner/result", {method: "POST", body: JSON.stringify({id: command.id, result})});
  }
})();
</script>"""


class _Runner:
    """The page server of the WebKit runner: hands out commands, collects results."""

    def __init__(self) -> None:
        self.commands: queue.Queue[dict[str, Any]] = queue.Queue()
        self.results: queue.Queue[dict[str, Any]] = queue.Queue()
        self.arrived: queue.Queue[str] = queue.Queue()
        self.page = (_RUNNER_PAGE % FETCH_JS).encode()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/runner/next":
            self.arrived.put(f"http://{environ['HTTP_HOST']}")
            try:
                command = self.commands.get(timeout=5)
            except queue.Empty:
                command = {}
            start_response("200 OK", [("Content-Type", "application/json")])
            yield json.dumps(command).encode()
            return
        if path == "/runner/result":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            self.results.put(json.loads(environ["wsgi.input"].read(length)))
            start_response("204 No Content", [])
            return
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        yield self.page


class WebKitEngine:
    """WebKitGTK's MiniBrowser under Xvfb, running a page that fetches what it is told."""

    name = "webkit"

    def __init__(self, serve: Any, version: str) -> None:
        self.version = version
        self.runner = _Runner()
        self.port: int = serve(self.runner).port
        read, write = os.pipe()
        self._xvfb = subprocess.Popen(
            [
                str(XVFB),
                "-displayfd",
                str(write),
                "-screen",
                "0",
                "1024x768x24",
                "-nolisten",
                "tcp",
            ],
            pass_fds=(write,),
            stderr=subprocess.DEVNULL,
        )
        os.close(write)
        with os.fdopen(read) as display:
            number = display.readline().strip()
        self._lines: queue.Queue[str] = queue.Queue()
        self._origin = f"http://localhost:{self.port}"
        self._browser = subprocess.Popen(
            [
                str(MINIBROWSER),
                "--enable-write-console-messages-to-stdout=true",
                f"{self._origin}/runner",
            ],
            env={**os.environ, "DISPLAY": f":{number}"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._read_console, daemon=True)
        self._reader.start()
        self._next_id = 0
        try:
            self._wait_for(self._origin)
        except BaseException:
            self.close()
            raise

    def _read_console(self) -> None:
        assert self._browser.stderr is not None
        for line in self._browser.stderr:
            self._lines.put(line.rstrip("\n"))

    def _wait_for(self, origin: str) -> None:
        deadline = time.monotonic() + _TIMEOUT
        while time.monotonic() < deadline:
            if self.runner.arrived.get(timeout=_TIMEOUT) == origin:
                return
        raise RuntimeError(f"the WebKit runner page did not load from {origin}")

    def open(self, origin: str) -> None:
        if origin != self._origin:
            self.runner.commands.put({"navigate": f"{origin}/runner"})
            self._wait_for(origin)
            self._origin = origin

    def fetch(
        self, request: BrowserRequest, body: str | None, read: str | None, *, sandboxed: bool
    ) -> EngineFetch:
        self._next_id += 1
        command_id = f"f{self._next_id}"
        arguments = {
            "url": request.url,
            "init": _init(request, body),
            "read": read,
            "sandboxed": sandboxed,
        }
        self.runner.commands.put({"id": command_id, "arguments": arguments})
        answer = self.runner.results.get(timeout=_TIMEOUT)
        assert answer["id"] == command_id, answer
        console: list[str] = []
        done = f"CONSOLE LOG crossgate-done {command_id}"
        deadline = time.monotonic() + _TIMEOUT
        while time.monotonic() < deadline:
            line = self._lines.get(timeout=_TIMEOUT)
            if line.endswith(done):
                break
            if "CONSOLE SECURITY ERROR " in line:
                console.append(line.partition("CONSOLE SECURITY ERROR ")[2])
        return _result(answer["result"], console)

    def close(self) -> None:
        _stop(self._browser)
        self._reader.join(timeout=10)
        _stop(self._xvfb)


def _stop(process: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    """Stop a process this module started, and close its pipes."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stderr is not None:
        process.stderr.close()


def webkit_version() -> str:
    """WebKitGTK's version, from the Debian package MiniBrowser comes with."""
    found = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Version}", "libwebkit2gtk-4.1-0"],
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.split("-")[0] or "unknown"
