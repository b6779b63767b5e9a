"""What the browser tests drive and record: live WSGI servers, a Chromium tab, and the replay.

Every API under test runs on 127.0.0.1 behind a :class:`Recorder`, which keeps each exchange as
it went over the wire. :func:`replay` hands exactly those responses (preflight, redirects, final
response) to :func:`crossgate.browser.evaluate`, so the model is judged on what Chromium judged.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from playwright.sync_api import ConsoleMessage, Page
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from crossgate.browser import (
    CHROMIUM,
    BrowserRequest,
    EngineProfile,
    HttpResponse,
    Verdict,
    evaluate,
    is_redirect,
)

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from .engines import Engine, EngineFetch
    from .scenarios import Scenario

__all__ = [
    "CORS_BLOCKED",
    "Exchange",
    "FetchResult",
    "LiveServer",
    "Recorder",
    "ServerPool",
    "Tab",
    "recorded_exchanges",
    "replay",
    "run_scenario",
]

#: What Chromium's console line says between the request and the reason.
CORS_BLOCKED = "has been blocked by CORS policy: "
# Chromium prints the CORS error before fetch() rejects; this only absorbs scheduling jitter.
_CONSOLE_WAIT_MS = 30
_CONSOLE_POLLS = 50

_FETCH_JS = """
async ({url, init, read}) => {
  try {
    const response = await fetch(url, init);
    const body = await response.text();
    return {allowed: true, status: response.status, body,
            header: read ? response.headers.get(read) : null, error: "",
            names: [...response.headers.keys()]};
  } catch (error) {
    return {allowed: false, status: null, body: "", header: null, error: String(error),
            names: []};
  }
}
"""


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request as the server received it and the status line and headers it answered."""

    method: str
    path: str
    query: str
    request_headers: tuple[tuple[str, str], ...]
    status: int
    response_headers: tuple[tuple[str, str], ...]
    #: When the server answered (``time.monotonic()``), to order exchanges across servers.
    at: float = 0.0

    def request_header(self, name: str) -> str | None:
        """The request header called *name* (case-insensitive), ``None`` when absent."""
        wanted = name.lower()
        return next((value for key, value in self.request_headers if key.lower() == wanted), None)

    @property
    def is_preflight(self) -> bool:
        """OPTIONS with ``Access-Control-Request-Method``: a CORS preflight."""
        return (
            self.method == "OPTIONS"
            and self.request_header("Access-Control-Request-Method") is not None
        )

    def response(self) -> HttpResponse:
        """The response as the browser model takes it."""
        return HttpResponse(self.status, self.response_headers)


class Recorder:
    """WSGI middleware that keeps every exchange of the app it wraps, in the order answered.

    An exchange is recorded when the app starts its response, so before the browser reads it:
    once a ``fetch()`` settles, every exchange it caused is here.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._exchanges: list[Exchange] = []

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING", "")
        request_headers = tuple(_request_headers(environ))

        def recording_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
        ) -> Callable[[bytes], object]:
            exchange = Exchange(
                method,
                path,
                query,
                request_headers,
                int(status.split()[0]),
                tuple(headers),
                time.monotonic(),
            )
            with self._lock:
                self._exchanges.append(exchange)
            return start_response(status, headers, exc_info)

        return self._app(environ, recording_start_response)

    def take(self, query: str) -> list[Exchange]:
        """Remove and return the exchanges whose query string is *query*, in order."""
        with self._lock:
            taken = [exchange for exchange in self._exchanges if exchange.query == query]
            self._exchanges = [exchange for exchange in self._exchanges if exchange.query != query]
        return taken


def _request_headers(environ: WSGIEnvironment) -> Iterable[tuple[str, str]]:
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            yield key[5:].replace("_", "-").title(), value
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            yield key.replace("_", "-").title(), value


@dataclass(frozen=True, slots=True)
class LiveServer:
    """A recorded app listening on 127.0.0.1; reach it under any loopback host name."""

    port: int
    recorder: Recorder

    def url(self, host: str, path: str) -> str:
        return f"http://{host}:{self.port}{path}"


class _QuietHandler(WSGIRequestHandler):
    """Keeps Werkzeug's access log out of the test report; the recorder has every request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class ServerPool:
    """Threaded Werkzeug servers on free ports, all stopped by :meth:`close`."""

    def __init__(self) -> None:
        self._running: list[tuple[BaseWSGIServer, threading.Thread]] = []

    def serve(self, app: WSGIApplication) -> LiveServer:
        recorder = Recorder(app)
        server = make_server("127.0.0.1", 0, recorder, threaded=True, request_handler=_QuietHandler)
        # A short poll keeps shutdown quick: it waits for the serving loop to look.
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        self._running.append((server, thread))
        return LiveServer(server.server_port, recorder)

    def close(self) -> None:
        for server, thread in self._running:
            server.shutdown()
            thread.join()
            server.server_close()
        self._running.clear()


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What the page saw: the response (``allowed``) or the rejection, and the console."""

    allowed: bool
    status: int | None
    body: str
    header: str | None
    error: str
    cors_errors: tuple[str, ...]
    #: Every response header name the page's script can read (lowercase, sorted).
    names: tuple[str, ...] = ()


class Tab:
    """A page that runs ``fetch()`` from whichever origin a test asks for.

    The page is only navigated when the origin changes; the console's CORS errors are collected
    per fetch.
    """

    def __init__(self, page: Page) -> None:
        self.page = page
        self._console: list[str] = []
        page.on("console", self._on_console)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self._console.append(message.text)

    def open(self, origin: str) -> None:
        """Show a blank page of *origin* (served by the page server)."""
        if not self.page.url.startswith(origin + "/"):
            self.page.goto(origin + "/")

    def fetch(self, request: BrowserRequest, body: str | None, read: str | None) -> FetchResult:
        """Run *request* as ``fetch()`` in the page; *read* names a response header to read."""
        self._console.clear()
        init: dict[str, Any] = {
            "method": request.method,
            "headers": [list(pair) for pair in request.headers],
            "credentials": "include" if request.credentials else "same-origin",
        }
        if body is not None:
            init["body"] = body
        seen = self.page.evaluate(_FETCH_JS, {"url": request.url, "init": init, "read": read})
        self.page.wait_for_timeout(_CONSOLE_WAIT_MS)
        if not seen["allowed"]:
            for _ in range(_CONSOLE_POLLS):
                if self._cors_errors():
                    break
                self.page.wait_for_timeout(_CONSOLE_WAIT_MS)
        return FetchResult(
            allowed=seen["allowed"],
            status=seen["status"],
            body=seen["body"],
            header=seen["header"],
            error=seen["error"],
            cors_errors=self._cors_errors(),
            names=tuple(seen["names"]),
        )

    def _cors_errors(self) -> tuple[str, ...]:
        return tuple(text for text in self._console if CORS_BLOCKED in text)


def replay(
    request: BrowserRequest,
    exchanges: list[Exchange],
    cached_preflight: HttpResponse | None,
    profile: EngineProfile = CHROMIUM,
) -> tuple[Verdict, HttpResponse | None]:
    """Ask the browser model about one ``fetch()``, given every exchange it caused.

    The exchanges are cut into hops: the preflight sent to a URL (if any) and the response from
    it. When the first URL got no preflight, *cached_preflight* stands for the entry Chromium's
    preflight cache used. Returns the verdict and the preflight that covered the first URL.
    """
    hops: list[tuple[HttpResponse | None, HttpResponse | None]] = []
    pending: HttpResponse | None = None
    for exchange in exchanges:
        if exchange.is_preflight:
            pending = exchange.response()
        else:
            hops.append((pending, exchange.response()))
            pending = None
    if pending is not None or not hops:
        hops.append((pending, None))
    elif (last := hops[-1][1]) is not None and is_redirect(last):
        # The browser stopped at a redirect (its CORS check failed): nothing answered after it.
        hops.append((None, None))
    preflight = hops[0][0] or cached_preflight
    redirects = [response for _, response in hops[:-1] if response is not None]
    verdict = evaluate(
        request,
        preflight=preflight,
        response=hops[-1][1],
        redirects=redirects,
        redirect_preflights=[answer for answer, _ in hops[1:]],
        profile=profile,
    )
    return verdict, preflight


def recorded_exchanges(apis: dict[str, LiveServer], query: str) -> list[Exchange]:
    """Every exchange of the servers whose query is *query*, in the order answered."""
    taken = [exchange for server in apis.values() for exchange in server.recorder.take(query)]
    return sorted(taken, key=lambda exchange: exchange.at)


def run_scenario(
    engine: Engine, page: str, apis: dict[str, LiveServer], scenario: Scenario, query: str
) -> tuple[BrowserRequest, list[tuple[EngineFetch, list[Exchange]]]]:
    """Run *scenario* from *page* in *engine*: the request and, per fetch, what was seen."""
    base = f"http://127.0.0.1:{apis[scenario.hops[0].server].port}"
    request = BrowserRequest(
        f"{base}/s/{scenario.id}/0?{query}",
        "null" if scenario.sandboxed else page,
        method=scenario.method,
        headers=scenario.headers,
        credentials=scenario.credentials,
    )
    engine.open(page)
    runs = []
    for attempt in range(scenario.repeat):
        if attempt:
            # Firefox stores a preflight result a moment after the fetch settles: a fetch
            # sent at once may miss it.
            time.sleep(0.3)
        seen = engine.fetch(request, scenario.body, scenario.read, sandboxed=scenario.sandboxed)
        runs.append((seen, recorded_exchanges(apis, query)))
    return request, runs
