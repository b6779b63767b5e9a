"""What ``CrossOriginProtection`` costs a Flask app, as a share of bare Flask's request time.

Three cells, timed in interleaved rounds like the main benchmark (``measure.run_batch``):

- bare Flask answering a form POST;
- the same app with ``CrossOriginProtection``, the POST from its own page
  (``Sec-Fetch-Site: same-origin``): the protection's cost is the difference;
- the same protected app, the POST from another site: refused before Flask runs, so the whole
  refusal is the protection's cost;
- that refusal in an app with ``exempt`` (or a CORS policy with credentials), where the
  request's route must be found: Werkzeug's match, remembered per URL.

>>> python -m benchmarks.protection --quick
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Flask
from werkzeug.test import create_environ, run_wsgi_app

from benchmarks.measure import run_batch
from crossgate.flask import CrossOriginProtection

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

__all__ = ["TARGET", "Result", "main", "markdown", "measure", "render", "run"]

#: The protection's cost, as a share of bare Flask's request time, must stay under this.
TARGET = 0.1
TIMES = "\u00d7"
ORIGIN = "https://bank.example"
CELLS = ("bare", "allowed", "refused", "refused-routed")


def _app(*, protected: bool, exempt: Sequence[str] = ()) -> Flask:
    app = Flask("bench_protection")

    @app.post("/transfer")
    def transfer() -> str:
        return "moved"

    @app.post("/hooks/payment")
    def payment() -> str:
        return "paid"

    if protected:
        CrossOriginProtection(app, exempt=exempt)
    return app


def _environ(site: str, origin: str) -> WSGIEnvironment:
    return create_environ(
        "/transfer",
        "https://bank.example",
        method="POST",
        data="amount=100",
        content_type="application/x-www-form-urlencoded",
        headers={"Origin": origin, "Sec-Fetch-Site": site},
    )


def _cells() -> dict[str, tuple[Flask, WSGIEnvironment]]:
    bare, protected = _app(protected=False), _app(protected=True)
    with_exemption = _app(protected=True, exempt=["payment"])
    own = _environ("same-origin", ORIGIN)
    forged = _environ("cross-site", "https://evil.example")
    return {
        "bare": (bare, own),
        "allowed": (protected, own),
        "refused": (protected, forged),
        "refused-routed": (with_exemption, forged),
    }


@dataclass(frozen=True, slots=True)
class Result:
    """Median CPU microseconds per request of each cell."""

    medians: dict[str, float]

    @property
    def allowed_ratio(self) -> float:
        """The protection's cost on an allowed POST / bare Flask's request time."""
        return (self.medians["allowed"] - self.medians["bare"]) / self.medians["bare"]

    @property
    def refused_ratio(self) -> float:
        """The time of a refusal / bare Flask's request time."""
        return self.medians["refused"] / self.medians["bare"]

    @property
    def routed_ratio(self) -> float:
        """The same with ``exempt``, so the refused request's route is looked up (cached)."""
        return self.medians["refused-routed"] / self.medians["bare"]


def check() -> list[str]:
    """What is wrong with the cells' answers (timing a wrong answer proves nothing)."""
    refused = "403 FORBIDDEN"
    expected = {
        "bare": "200 OK",
        "allowed": "200 OK",
        "refused": refused,
        "refused-routed": refused,
    }
    problems = []
    for name, (app, environ) in _cells().items():
        body, status, _headers = run_wsgi_app(app, environ.copy(), buffered=True)
        if status != expected[name]:
            problems.append(f"{name}: {status} {b''.join(body)!r}")
    return problems


def measure(rounds: int, batch: int, warmup: int) -> Result:
    cells = _cells()
    for app, environ in cells.values():
        run_batch(app, environ, warmup)
    samples: dict[str, list[float]] = {name: [] for name in cells}
    order = list(cells)
    shuffler = random.Random(0)
    for _ in range(rounds):
        shuffler.shuffle(order)
        for name in order:
            app, environ = cells[name]
            cpu, _wall = run_batch(app, environ, batch)
            samples[name].append(cpu / batch / 1000)
    return Result({name: statistics.median(values) for name, values in samples.items()})


def _rows(result: Result) -> list[tuple[str, float]]:
    return [
        ("allowed POST: the protection's cost / bare Flask's request", result.allowed_ratio),
        ("refused POST: the refusal's time / bare Flask's request", result.refused_ratio),
        ("refused POST, app with exempt: the refusal's time / bare Flask's", result.routed_ratio),
    ]


def render(result: Result) -> str:
    lines = ["protection: " + ", ".join(f"{name} {result.medians[name]:.1f} µs" for name in CELLS)]
    for label, ratio in _rows(result):
        verdict = "PASS" if ratio < TARGET else "MISS"
        lines.append(f"{verdict:7} {label} < {TARGET}{TIMES}  {ratio:.3f}{TIMES}")
    return "\n".join(lines)


def markdown(result: Result) -> str:
    rows = [
        "## Cross-origin protection",
        "",
        "A form POST to a Flask view; CPU time per request, median of interleaved rounds "
        "(`python -m benchmarks.protection`).",
        "",
        "| cell | time per request |",
        "|---|---|",
        *(f"| {name} | {result.medians[name]:.1f} µs |" for name in CELLS),
        "",
        "| target | measured | verdict |",
        "|---|---|---|",
    ]
    for label, ratio in _rows(result):
        verdict = "PASS" if ratio < TARGET else "MISS"
        rows.append(f"| {label} < {TARGET}{TIMES} | {ratio:.3f}{TIMES} | {verdict} |")
    return "\n".join(rows) + "\n"


def run(*, quick: bool) -> Result:
    """Measure with ``make bench``'s settings (*quick*: a few seconds)."""
    problems = check()
    if problems:
        raise SystemExit("protection benchmark answers wrongly:\n  " + "\n  ".join(problems))
    rounds, batch = (10, 200) if quick else (30, 500)
    print(f"protection: {rounds} rounds of {batch} requests per cell", file=sys.stderr)
    return measure(rounds, batch, warmup=batch)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.protection",
        description="Time CrossOriginProtection against bare Flask.",
    )
    parser.add_argument("--quick", action="store_true", help="a short run, a few seconds")
    args = parser.parse_args(argv)
    print(render(run(quick=args.quick)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
