"""``python -m benchmarks.judging``: what judging a regex in ``origins`` costs at start-up.

Each pattern is compiled into an ``origins`` matcher (automaton, search of its hosts, and for a
refused one the rewrites tried for a fix) with the judgement's memo cleared each time; the
median of the rounds is reported. Realistic patterns have a target (50 ms each); hostile ones
(built to be expensive) are judged, or refused by the size limits, in bounded time. Reading the
Public Suffix List, once per process, is measured apart.

>>> python -m benchmarks.judging            # about 10 s
>>> python -m benchmarks.judging --quick
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from crossgate import _origin_regex as origin_regex
from crossgate._origins import compile_origins

__all__ = ["HOSTILE", "REALISTIC", "JudgingResult", "main", "markdown", "render", "run"]

#: Patterns people write, each judged in under 50 ms.
REALISTIC = (
    r"https://app\.example\.com",
    r"https://[a-z0-9-]+\.example\.com(?::[0-9]+)?",
    r"(?i)https://(app|admin|api)\.example\.(com|org)",
    r"https://pr-[0-9]+\.preview\.example\.com|https://www\.other\.org",
    r"https://.*example\.com",  # refused: the search, then the rewrites tried for a fix
)
#: Patterns built to be expensive: judged, or refused by the size limits, in bounded time.
HOSTILE = (
    r"https://(a|b)*a(a|b){14}\.example\.com",
    r"https://[a-z]{1,60}\.[a-z]{1,60}\.[a-z]{1,60}\.example\.com",
    r"https://(" + "|".join(f"h{n}[a-z]*x{n}" for n in range(60)) + r")\.example\.com",
)
TARGET_SECONDS = 0.050


@dataclass(frozen=True, slots=True)
class JudgingResult:
    #: Seconds to read the Public Suffix List, in a fresh process.
    list_seconds: float
    #: (pattern, median seconds, problems found) for each pattern.
    realistic: tuple[tuple[str, float, int], ...]
    hostile: tuple[tuple[str, float, int], ...]


def _time(source: str, rounds: int) -> tuple[str, float, int]:
    pattern = re.compile(source)
    timings = []
    found = 0
    for _ in range(rounds):
        origin_regex._verdict.cache_clear()
        started = time.perf_counter()
        _, problems = compile_origins([pattern])
        timings.append(time.perf_counter() - started)
        found = len(problems)
    return source, statistics.median(timings), found


def _list_seconds() -> float:
    code = (
        "import time; from crossgate._public_suffixes import registrable_domain; "
        "t = time.perf_counter(); registrable_domain('a.example.com'); "
        "print(time.perf_counter() - t)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=60
    )
    return float(done.stdout)


def run(*, quick: bool = False) -> JudgingResult:
    rounds = 3 if quick else 9
    compile_origins(["https://*.example.com"])  # the list is read once, before timing
    return JudgingResult(
        _list_seconds(),
        tuple(_time(source, rounds) for source in REALISTIC),
        tuple(_time(source, 1 if quick else 3) for source in HOSTILE),
    )


def _short(source: str) -> str:
    return source if len(source) <= 60 else source[:57] + "..."


def render(result: JudgingResult) -> str:
    lines = [f"judging origins regexes (Public Suffix List read in {result.list_seconds:.3f} s)"]
    for source, seconds, found in result.realistic:
        verdict = "ok  " if seconds < TARGET_SECONDS else "MISS"
        lines.append(f"  {verdict} {seconds * 1000:7.1f} ms  {found} problem(s)  {_short(source)}")
    for source, seconds, found in result.hostile:
        lines.append(f"  hostile {seconds * 1000:7.1f} ms  {found} problem(s)  {_short(source)}")
    return "\n".join(lines)


def markdown(result: JudgingResult) -> str:
    rows = [
        "## Judging a regex in origins",
        "",
        f"Reading the whole Public Suffix List, once per process: {result.list_seconds:.3f} s. "
        f"Target for a realistic pattern: under {TARGET_SECONDS * 1000:.0f} ms "
        "(`python -m benchmarks.judging`).",
        "",
        "| pattern | kind | median | problems |",
        "|---|---|---|---|",
    ]
    for kind, results in (("realistic", result.realistic), ("hostile", result.hostile)):
        for source, seconds, found in results:
            shown = _short(source).replace("|", "\\|")
            rows.append(f"| `{shown}` | {kind} | {seconds * 1000:.1f} ms | {found} |")
    return "\n".join(rows) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.judging")
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    args = parser.parse_args(argv)
    print(render(run(quick=args.quick)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
