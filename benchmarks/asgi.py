"""``python -m benchmarks.asgi``: what CORS costs an ASGI app, crossgate.asgi against Starlette's.

Three apps serve the same Starlette route (``GET``/``PUT`` on one path, a short text body):
bare, wrapped in Starlette's ``CORSMiddleware`` and wrapped in ``crossgate.asgi.CORSMiddleware``,
both allowing the same origin and methods. Two requests are timed: an allowed actual ``GET``
and an allowed preflight for ``PUT``. The apps are called in-process as an ASGI server would
(``await app(scope, receive, send)``), so only the app and its middleware are measured.

Rounds are interleaved: each round times one batch of every (app, request) pair in a fresh
random order, so drift of a shared machine falls on every app alike; the median of the rounds
is reported. An actual request's overhead is its time minus the bare app's; a preflight is
answered by the middleware without the app, so its cost is compared whole.

>>> python -m benchmarks.asgi            # about 20 s
>>> python -m benchmarks.asgi --quick    # a few seconds
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware as StarletteCORS
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from benchmarks.report import TIMES
from crossgate.asgi import CORSMiddleware

__all__ = ["APPS", "KINDS", "Result", "build_apps", "check", "main", "measure", "scope_for"]

ORIGIN = "https://app.example.com"
PATH = "/api/items"
APPS = ("bare", "starlette", "crossgate")
KINDS = ("actual", "preflight")
#: The target: crossgate.asgi's cost at most this times Starlette's CORSMiddleware's.
TARGET = 1.0


def _items(request: Request) -> PlainTextResponse:
    return PlainTextResponse("items")


def build_apps() -> dict[str, Any]:
    """The three apps, each with its own Starlette app (so none shares another's caches)."""

    def bare() -> Starlette:
        return Starlette(routes=[Route(PATH, _items, methods=["GET", "PUT"])])

    return {
        "bare": bare(),
        "starlette": StarletteCORS(bare(), allow_origins=[ORIGIN], allow_methods=["GET", "PUT"]),
        "crossgate": CORSMiddleware(bare(), origins=[ORIGIN]),
    }


def scope_for(kind: str) -> dict[str, Any]:
    """The http scope of one request kind, as a server builds it."""
    headers = [(b"host", b"api.example.com"), (b"origin", ORIGIN.encode())]
    method = "GET"
    if kind == "preflight":
        method = "OPTIONS"
        headers += [
            (b"access-control-request-method", b"PUT"),
            (b"access-control-request-headers", b"content-type"),
        ]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": PATH,
        "raw_path": PATH.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
    }


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _call(app: Any, scope: dict[str, Any]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(dict(scope), _receive, send)
    return sent


def check(app_name: str, kind: str, messages: Sequence[Mapping[str, Any]]) -> list[str]:
    """What is wrong with an app's answer (nothing for a correct one): timing a wrong answer
    would prove nothing."""
    start = messages[0]
    headers = {name.decode().lower(): value.decode() for name, value in start["headers"]}
    if app_name == "bare":
        return [] if start["status"] in (200, 405) else [f"status {start['status']}"]
    problems = []
    if start["status"] not in (200, 204):
        problems.append(f"status {start['status']}")
    if headers.get("access-control-allow-origin") != ORIGIN:
        problems.append("no Access-Control-Allow-Origin for the allowed origin")
    if kind == "preflight" and "PUT" not in headers.get("access-control-allow-methods", ""):
        problems.append("PUT not in Access-Control-Allow-Methods")
    return problems


async def _batch(app: Any, scope: dict[str, Any], size: int) -> float:
    """Microseconds of CPU time per request over *size* requests."""
    send_nothing = _send_nothing
    started = time.thread_time_ns()
    for _ in range(size):
        await app(dict(scope), _receive, send_nothing)
    return (time.thread_time_ns() - started) / size / 1000


async def _send_nothing(message: Any) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Result:
    """Median microseconds per request of each (app, kind), and the ratios derived from them."""

    medians: dict[tuple[str, str], float]

    def overhead(self, app: str, kind: str) -> float:
        """What the middleware adds to the bare app's time (actual requests)."""
        return self.medians[app, kind] - self.medians["bare", kind]

    @property
    def actual_ratio(self) -> float:
        """crossgate's overhead on an allowed GET, over Starlette's."""
        return self.overhead("crossgate", "actual") / self.overhead("starlette", "actual")

    @property
    def preflight_ratio(self) -> float:
        """crossgate's time to answer a preflight, over Starlette's."""
        return self.medians["crossgate", "preflight"] / self.medians["starlette", "preflight"]


async def measure(rounds: int, batch: int, warmup: int) -> Result:
    """Time every (app, kind) pair in interleaved rounds; raise if an app answers wrongly."""
    apps = build_apps()
    cells = [(name, kind) for name in APPS for kind in KINDS]
    for name, kind in cells:
        problems = check(name, kind, await _call(apps[name], scope_for(kind)))
        if problems:
            raise SystemExit(f"{name} answers a {kind} request wrongly: {'; '.join(problems)}")
        await _batch(apps[name], scope_for(kind), warmup)
    samples: dict[tuple[str, str], list[float]] = {cell: [] for cell in cells}
    order = list(cells)
    for _ in range(rounds):
        random.shuffle(order)
        for name, kind in order:
            samples[name, kind].append(await _batch(apps[name], scope_for(kind), batch))
    return Result({cell: statistics.median(found) for cell, found in samples.items()})


def render(result: Result) -> str:
    """The result as the lines ``make bench`` prints."""
    lines = ["ASGI (µs CPU per request, median):", f"  {'':10}{'actual GET':>12}{'preflight':>12}"]
    for name in APPS:
        actual, preflight = result.medians[name, "actual"], result.medians[name, "preflight"]
        lines.append(f"  {name:10}{actual:12.1f}{preflight:12.1f}")
    for label, ratio in (
        ("allowed GET: crossgate.asgi's overhead / Starlette's", result.actual_ratio),
        ("allowed preflight: crossgate.asgi's time / Starlette's", result.preflight_ratio),
    ):
        verdict = "met" if ratio <= TARGET else "MISSED"
        lines.append(f"{verdict:7} {label} = {ratio:.2f}{TIMES} (target ≤ {TARGET}{TIMES})")
    return "\n".join(lines)


def markdown(result: Result) -> str:
    """The result as a section of ``docs/benchmarks.md``."""
    rows = [
        "## ASGI: crossgate.asgi against Starlette's CORSMiddleware",
        "",
        "CPU microseconds per request through the whole ASGI app (median of interleaved rounds),",
        "the same Starlette app bare, with Starlette's `CORSMiddleware`, and with",
        "`crossgate.asgi.CORSMiddleware` allowing the same origin.",
        "",
        "| app | allowed GET | allowed preflight |",
        "|---|---|---|",
    ]
    for name in APPS:
        actual, preflight = result.medians[name, "actual"], result.medians[name, "preflight"]
        rows.append(f"| {name} | {actual:.1f} µs | {preflight:.1f} µs |")
    rows += [
        "",
        "| target | measured | verdict |",
        "|---|---|---|",
    ]
    for label, ratio in (
        ("allowed GET: crossgate.asgi's overhead / Starlette's", result.actual_ratio),
        ("allowed preflight: crossgate.asgi's time / Starlette's", result.preflight_ratio),
    ):
        verdict = "PASS" if ratio <= TARGET else "MISS"
        rows.append(f"| {label} ≤ {TARGET}{TIMES} | {ratio:.2f}{TIMES} | {verdict} |")
    return "\n".join(rows) + "\n"


def run(*, quick: bool) -> Result:
    """Measure with ``make bench``'s settings (*quick*: a few seconds)."""
    rounds, batch = (10, 200) if quick else (30, 500)
    print(f"ASGI: {rounds} rounds of {batch} requests per (app, request)", file=sys.stderr)
    return asyncio.run(measure(rounds, batch, warmup=batch))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.asgi",
        description="Time crossgate.asgi against Starlette's CORSMiddleware and a bare app.",
    )
    parser.add_argument("--quick", action="store_true", help="a short run, a few seconds")
    parser.add_argument("--rounds", type=int, help="rounds of batches")
    parser.add_argument("--batch", type=int, help="requests per batch")
    args = parser.parse_args(argv)
    rounds = args.rounds or (10 if args.quick else 30)
    batch = args.batch or (200 if args.quick else 500)
    print(f"ASGI: {rounds} rounds of {batch} requests per (app, request)", file=sys.stderr)
    print(render(asyncio.run(measure(rounds, batch, warmup=batch))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
