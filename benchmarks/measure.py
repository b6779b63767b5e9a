"""The timing loop and the memory probe.

Timing is in-process: each *cell* (a variant and a request kind) runs in batches of identical
requests, and every round runs one batch of every cell in a fresh random order, so that drift of
the machine (frequency, other processes, cache) is spread over all variants alike. Each batch
gives one sample per clock: thread CPU time and wall time, divided by the batch size.

The memory probe runs in a child process (``python -m benchmarks.run --memory-child N``) so that
its resident size is not the benchmark's own.
"""

from __future__ import annotations

import gc
import json
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import crossgate.flask
from benchmarks.variants import API_PATH, KINDS, Kind, Variant, base_app, environ_for

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment
    from flask import Flask

__all__ = [
    "MEMORY_PATTERN",
    "Cell",
    "MemoryResult",
    "Samples",
    "build_cells",
    "measure",
    "memory_probe",
    "rss_bytes",
    "run_batch",
    "run_memory_child",
]

#: The origins option of the memory probe: every request's Origin is a different subdomain of it.
MEMORY_PATTERN = "https://*.example.com"
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class Cell:
    """One variant's app and one prebuilt request: the unit that is timed."""

    variant: Variant
    kind: Kind
    app: Flask
    environ: WSGIEnvironment

    @property
    def key(self) -> tuple[str, str]:
        return self.variant.key, self.kind.key


@dataclass(slots=True)
class Samples:
    """Per-request microseconds, one value per batch, for each clock."""

    cpu_us: list[float] = field(default_factory=list)
    wall_us: list[float] = field(default_factory=list)


def build_cells(variants: Iterable[Variant]) -> list[Cell]:
    """One app per variant, shared by the cells of its request kinds."""
    cells = []
    for variant in variants:
        app = variant.build()
        cells += [
            Cell(variant, kind, app, environ_for(kind, variant.path)) for kind in variant.kinds
        ]
    return cells


def _write(data: bytes) -> None:
    """The ``write`` callable of ``start_response``: nothing to send in-process."""


def _start_response(
    status: str, headers: list[tuple[str, str]], exc_info: object = None
) -> Callable[[bytes], None]:
    return _write


def run_batch(app: Flask, environ: WSGIEnvironment, count: int) -> tuple[int, int]:
    """Call *app* *count* times with copies of *environ*; the (CPU, wall) nanoseconds it took.

    Each response's iterable is consumed and closed, as a WSGI server does: Flask tears the
    request down in ``close``.
    """
    copy = environ.copy
    start_response = _start_response
    cpu_start = time.thread_time_ns()
    wall_start = time.perf_counter_ns()
    for _ in range(count):
        result = app(copy(), start_response)
        for _chunk in result:
            pass
        close = getattr(result, "close", None)
        if close is not None:
            close()
    wall = time.perf_counter_ns() - wall_start
    cpu = time.thread_time_ns() - cpu_start
    return cpu, wall


def measure(
    cells: list[Cell],
    *,
    rounds: int,
    batch: int,
    warmup: int,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> dict[tuple[str, str], Samples]:
    """Warm every cell up, then time *rounds* rounds of one *batch* per cell, in shuffled order."""
    for cell in cells:
        run_batch(cell.app, cell.environ, warmup)
    samples = {cell.key: Samples() for cell in cells}
    order = list(cells)
    shuffler = random.Random(seed)
    gc.collect()
    for done in range(1, rounds + 1):
        shuffler.shuffle(order)
        for cell in order:
            cpu, wall = run_batch(cell.app, cell.environ, batch)
            found = samples[cell.key]
            found.cpu_us.append(cpu / batch / 1000)
            found.wall_us.append(wall / batch / 1000)
        if progress is not None:
            progress(done, rounds)
    return samples


def rss_bytes() -> int:
    """This process's resident set size now (VmRSS), in bytes."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


@dataclass(frozen=True, slots=True)
class MemoryResult:
    """Resident size around *requests* requests, each with a different allowed Origin."""

    requests: int
    allowed: int
    rss_before: int
    rss_after: int
    seconds: float

    @property
    def growth(self) -> int:
        return self.rss_after - self.rss_before


def memory_probe(requests: int, *, warmup: int = 20_000) -> MemoryResult:
    """Run *requests* requests through crossgate, each from a different allowed origin; every
    other one a preflight to a different path (the routing of preflights is cached, bounded).

    Counts the responses whose ACAO echoes their own Origin, so a probe that silently stopped
    allowing (and so stopped exercising the allowed path) shows. The warm-up fills the
    allocator's pools and Flask's caches before the first reading.
    """
    app = base_app()
    app.add_url_rule("/files/<path:name>", "files", _file, methods=["GET", "PUT"])
    crossgate.flask.CORS(app, origins=[MEMORY_PATTERN], supports_credentials=True)
    base = environ_for(KINDS[0], API_PATH)
    preflight = environ_for(next(kind for kind in KINDS if kind.preflight), API_PATH)
    origin = ""
    allowed = 0

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: object = None
    ) -> Callable[[bytes], None]:
        nonlocal allowed
        if ("Access-Control-Allow-Origin", origin) in headers:
            allowed += 1
        return _write

    def run(prefix: str, count: int) -> None:
        nonlocal origin
        for index in range(count):
            if index % 2:
                environ = preflight.copy()
                environ["PATH_INFO"] = f"/files/{prefix}{index}"
            else:
                environ = base.copy()
            origin = environ["HTTP_ORIGIN"] = f"https://{prefix}{index}.example.com"
            result = app(environ, start_response)
            for _chunk in result:
                pass
            close = getattr(result, "close", None)
            if close is not None:
                close()

    run("warm", warmup)
    allowed = 0
    gc.collect()
    before = rss_bytes()
    started = time.perf_counter()
    run("u", requests)
    seconds = time.perf_counter() - started
    gc.collect()
    return MemoryResult(requests, allowed, before, rss_bytes(), seconds)


def _file(name: str) -> str:
    return name


def run_memory_child(requests: int) -> MemoryResult:
    """``memory_probe`` in a fresh interpreter, so the benchmark's own memory stays out of it."""
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--memory-child", str(requests)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the memory probe failed:\n{completed.stderr}")
    fields = json.loads(completed.stdout.strip().splitlines()[-1])
    return MemoryResult(**fields)
