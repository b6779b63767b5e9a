"""``python -m benchmarks.run``: time every variant, check the targets, regenerate the docs page.

>>> python -m benchmarks.run            # full run, under 3 minutes on 2 cores
>>> python -m benchmarks.run --quick    # about 20 seconds, for a first look

Writes ``docs/benchmarks.md`` and ``docs/benchmarks.png`` (or into ``--out``). Exits non-zero
only when a variant answers a request wrongly; a missed target is reported, not an error.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import benchmarks.asgi
import benchmarks.judging
import benchmarks.protection
import benchmarks.proxy
from benchmarks.measure import ROOT, Cell, build_cells, measure, memory_probe, run_memory_child
from benchmarks.report import Report, environment, evaluate, render_markdown, summarize, write_chart
from benchmarks.variants import Variant, call, check, load_compat, main_variants, scale_variants

__all__ = ["PROFILES", "Profile", "main", "prepare"]


@dataclass(frozen=True, slots=True)
class Profile:
    """How much to measure: rounds of one batch per cell, and the memory probe's size."""

    rounds: int
    batch: int
    warmup: int
    memory_requests: int

    def describe(self, name: str) -> str:
        return (
            f"{name}: {self.rounds} rounds of {self.batch} requests per (variant, request), "
            f"{self.warmup} warm-up requests each"
        )


PROFILES = {
    "full": Profile(rounds=30, batch=300, warmup=300, memory_requests=1_000_000),
    "quick": Profile(rounds=10, batch=150, warmup=100, memory_requests=100_000),
}


def prepare() -> tuple[list[Variant], list[Cell], list[str]]:
    """Build every variant and check its answer to each request kind.

    A wrong answer stops the run (timing an app that does not do the job proves nothing),
    except for the compat variant, which is skipped with a note while it is being written.
    """
    notes: list[str] = []
    compat, why = load_compat()
    if compat is None:
        notes.append(f"compat variant skipped: {why}")
    variants: list[Variant] = []
    cells: list[Cell] = []
    for variant in main_variants(compat) + scale_variants():
        try:
            built = build_cells([variant])
            problems = [
                f"{cell.kind.label}: {problem}"
                for cell in built
                for problem in check(variant, cell.kind, call(cell.app, cell.environ))
            ]
        except Exception as error:
            if variant.key != "compat":
                raise
            built, problems = [], [f"{type(error).__name__}: {error}"]
        if problems and variant.key == "compat":
            notes.append("compat variant skipped, it answers wrongly: " + "; ".join(problems))
            continue
        if problems:
            raise SystemExit(f"{variant.label} answers wrongly:\n  " + "\n  ".join(problems))
        variants.append(variant)
        cells += built
    return variants, cells, notes


def _progress(done: int, rounds: int) -> None:
    if done == rounds or done % max(rounds // 5, 1) == 0:
        print(f"  round {done}/{rounds}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="Time crossgate against bare Flask, a hand-written CORS and flask-cors.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a short run (about 20 s), 100,000 requests for memory"
    )
    parser.add_argument("--rounds", type=int, help="rounds of batches (overrides the profile)")
    parser.add_argument("--batch", type=int, help="requests per batch (overrides the profile)")
    parser.add_argument(
        "--memory-requests", type=int, help="requests of the memory probe; 0 skips it"
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs", help="where benchmarks.md/.png go"
    )
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child is not None:
        print(json.dumps(dataclasses.asdict(memory_probe(args.memory_child))))
        return 0

    name = "quick" if args.quick else "full"
    profile = dataclasses.replace(
        PROFILES[name],
        **{
            field: value
            for field, value in (
                ("rounds", args.rounds),
                ("batch", args.batch),
                ("memory_requests", args.memory_requests),
            )
            if value is not None
        },
    )
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    variants, cells, notes = prepare()
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    print(
        f"timing {len(cells)} (variant, request) pairs: {profile.describe(name)}", file=sys.stderr
    )
    samples = measure(
        cells, rounds=profile.rounds, batch=profile.batch, warmup=profile.warmup, progress=_progress
    )
    memory = None
    memory_note = "skipped"
    if profile.memory_requests > 0:
        print(
            f"memory probe: {profile.memory_requests:,} requests in a child process",
            file=sys.stderr,
        )
        probed = run_memory_child(profile.memory_requests)
        memory = (probed.requests, probed.allowed, probed.growth)
        memory_note = f"{probed.requests:,} requests in {probed.seconds:.0f} s"
    settings = {
        "Run": profile.describe(name),
        "Memory probe": memory_note,
        "Duration": f"{time.perf_counter() - started:.0f} s",
        # Other processes on the machine inflate every number: the load says how busy it was.
        "Load average (1 min)": f"{load_before:.2f} at start, {os.getloadavg()[0]:.2f} at end",
        "Date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    asgi = benchmarks.asgi.run(quick=args.quick)
    proxy = benchmarks.proxy.run(quick=args.quick)
    protection = benchmarks.protection.run(quick=args.quick)
    judging = benchmarks.judging.run(quick=args.quick)
    report = Report(variants, samples, summarize(samples), memory, notes, settings, environment())
    targets = evaluate(report)
    args.out.mkdir(parents=True, exist_ok=True)
    chart = args.out / "benchmarks.png"
    write_chart(report, chart)
    page = args.out / "benchmarks.md"
    text = render_markdown(report, targets, chart.name) + "\n" + benchmarks.asgi.markdown(asgi)
    text += "\n" + benchmarks.proxy.markdown(proxy)
    text += "\n" + benchmarks.protection.markdown(protection)
    text += "\n" + benchmarks.judging.markdown(judging)
    page.write_text(text, encoding="utf-8")
    width = max(len(target.goal) for target in targets)
    for target in targets:
        print(f"{target.verdict:7} {target.goal:{width}}  {target.measured}")
    print(benchmarks.asgi.render(asgi))
    print(benchmarks.proxy.render(proxy))
    print(benchmarks.protection.render(protection))
    print(benchmarks.judging.render(judging))
    print(f"wrote {page} and {chart} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
