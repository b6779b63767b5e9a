"""From samples to answers: statistics, the targets with PASS/MISS, the Markdown page, the chart.

Overheads are paired: a variant's overhead over bare Flask is the median, over rounds, of its
per-request CPU time minus bare Flask's in the same round, so drift between rounds cancels out.
"""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.measure import MEMORY_PATTERN, Samples
from benchmarks.variants import KINDS, SCALE_KINDS, Kind, Variant

__all__ = [
    "MEMORY_LIMIT",
    "Report",
    "Stats",
    "Target",
    "environment",
    "evaluate",
    "render_markdown",
    "summarize",
    "write_chart",
]

#: Largest acceptable resident-size growth over the memory probe, in bytes.
MEMORY_LIMIT = 5 * 1024 * 1024
FLOOR_FACTOR = 1.0
FLASK_CORS_FACTOR = 0.25
#: The flask-cors layer keeps flask-cors's ``after_request`` hook, whose place among the app's
#: hooks users can observe (docs/migration.md, "What it costs"). Flask calling that hook and the
#: hook reading the request cost what the native API spends in all; twice the native overhead
#: is that price (still about a quarter of flask-cors's own).
COMPAT_FACTOR = 2.0
PREFLIGHT_FACTOR = 0.30
FLATNESS = 0.10
#: The multiplication sign, spelt so that linters do not take it for the letter x.
TIMES = "\u00d7"

Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Stats:
    """Per-request microseconds of one cell."""

    cpu_median: float
    cpu_min: float
    wall_median: float
    wall_min: float


def summarize(samples: Mapping[Key, Samples]) -> dict[Key, Stats]:
    """Median and minimum of each cell's samples, for both clocks."""
    return {
        key: Stats(
            statistics.median(found.cpu_us),
            min(found.cpu_us),
            statistics.median(found.wall_us),
            min(found.wall_us),
        )
        for key, found in samples.items()
    }


@dataclass(frozen=True, slots=True)
class Report:
    """Everything the page shows. ``memory`` is ``(requests, allowed, growth in bytes)`` or None."""

    variants: Sequence[Variant]
    samples: Mapping[Key, Samples]
    stats: Mapping[Key, Stats]
    memory: tuple[int, int, int] | None
    notes: Sequence[str]
    settings: Mapping[str, str]
    environment: Mapping[str, str]

    def overhead(self, variant: str, kind: str, base: str = "bare") -> float | None:
        """Median over rounds of ``variant - base`` CPU µs per request, or None if not measured."""
        mine = self.samples.get((variant, kind))
        theirs = self.samples.get((base, kind))
        if mine is None or theirs is None:
            return None
        return statistics.median(a - b for a, b in zip(mine.cpu_us, theirs.cpu_us, strict=True))

    def ratio(self, variant: str, reference: str, kind: str) -> float | None:
        """Median over rounds of ``variant / reference`` CPU time, or None if not measured."""
        mine = self.samples.get((variant, kind))
        theirs = self.samples.get((reference, kind))
        if mine is None or theirs is None:
            return None
        return statistics.median(a / b for a, b in zip(mine.cpu_us, theirs.cpu_us, strict=True))

    def cpu(self, variant: str, kind: str) -> float | None:
        found = self.stats.get((variant, kind))
        return None if found is None else found.cpu_median


@dataclass(frozen=True, slots=True)
class Target:
    """One goal: what was measured, against which limit, and whether it was met (None: not run)."""

    goal: str
    measured: str
    passed: bool | None

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "MISS", None: "NOT RUN"}[self.passed]


def _ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}{TIMES}" if denominator > 0.05 else "n/a"


def _overhead_target(
    report: Report, variant: str, reference: str, factor: float, goal: str
) -> Target:
    mine = report.overhead(variant, "get-allowed")
    theirs = report.overhead(reference, "get-allowed")
    if mine is None or theirs is None:
        return Target(goal, "not measured", None)
    measured = f"{mine:.2f} µs vs {theirs:.2f} µs = {_ratio(mine, theirs)}"
    return Target(goal, measured, mine <= factor * theirs)


def _flatness_target(report: Report, group: str, goal: str) -> Target:
    members = sorted((v for v in report.variants if v.group == group), key=lambda v: v.scale)
    if len(members) < 2:
        return Target(goal, "not measured", None)
    smallest, largest = members[0], members[-1]
    worst: tuple[float, str] = (0.0, "")
    for kind in SCALE_KINDS:
        low = report.cpu(smallest.key, kind.key)
        high = report.cpu(largest.key, kind.key)
        ratio = report.ratio(largest.key, smallest.key, kind.key)
        if low is None or high is None or ratio is None:
            return Target(goal, "not measured", None)
        change = ratio - 1
        if abs(change) >= abs(worst[0]) or not worst[1]:
            worst = (change, f"{kind.label}: {low:.1f} → {high:.1f} µs")
    measured = f"worst {worst[0]:+.1%} ({worst[1]})"
    return Target(goal, measured, abs(worst[0]) <= FLATNESS)


def _time_target(
    report: Report, variant: str, reference: str, kind: str, factor: float, goal: str
) -> Target:
    mine = report.cpu(variant, kind)
    theirs = report.cpu(reference, kind)
    ratio = report.ratio(variant, reference, kind)
    if mine is None or theirs is None or ratio is None:
        return Target(goal, "not measured", None)
    measured = f"{mine:.1f} µs vs {theirs:.1f} µs, paired ratio {ratio:.2f}{TIMES}"
    return Target(goal, measured, ratio <= factor)


def evaluate(report: Report) -> list[Target]:
    """Every target, measured on this run."""
    x = TIMES
    targets = [
        _overhead_target(
            report,
            "crossgate",
            "floor",
            FLOOR_FACTOR,
            f"allowed GET: crossgate's overhead ≤ {FLOOR_FACTOR} {x} the floor's",
        ),
        _overhead_target(
            report,
            "crossgate-resources",
            "floor",
            FLOOR_FACTOR,
            f"allowed GET: crossgate + resources, overhead ≤ {FLOOR_FACTOR} {x} the floor's",
        ),
        _overhead_target(
            report,
            "crossgate",
            "flask-cors",
            FLASK_CORS_FACTOR,
            f"allowed GET: crossgate's overhead ≤ {FLASK_CORS_FACTOR} {x} flask-cors's",
        ),
        _overhead_target(
            report,
            "crossgate-resources",
            "flask-cors",
            FLASK_CORS_FACTOR,
            f"allowed GET: crossgate + resources, overhead ≤ {FLASK_CORS_FACTOR} {x} flask-cors's",
        ),
        _overhead_target(
            report,
            "compat",
            "crossgate-resources",
            COMPAT_FACTOR,
            f"allowed GET: compat's overhead ≤ {COMPAT_FACTOR} {x} native's (same resources)",
        ),
    ]
    targets += [
        _time_target(
            report,
            "crossgate",
            "bare",
            kind.key,
            PREFLIGHT_FACTOR,
            f"{kind.label}: crossgate's time ≤ {PREFLIGHT_FACTOR} {x} bare Flask's own OPTIONS",
        )
        for kind in KINDS
        if kind.preflight
    ]
    targets += [
        _flatness_target(report, "origins", f"flat from 1 to 1000 exact origins (±{FLATNESS:.0%})"),
        _flatness_target(report, "rules", f"flat from 1 to 100 resource rules (±{FLATNESS:.0%})"),
    ]
    goal = (
        f"memory: RSS growth ≤ {MEMORY_LIMIT // 2**20} MiB over unique allowed origins "
        "and preflight paths"
    )
    if report.memory is None:
        targets.append(Target(goal, "not measured", None))
    else:
        requests, allowed, growth = report.memory
        measured = f"{growth / 2**20:+.2f} MiB over {requests:,} origins ({allowed:,} allowed)"
        targets.append(Target(goal, measured, growth <= MEMORY_LIMIT and allowed == requests))
    return targets


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def environment() -> dict[str, str]:
    """The machine and the versions the numbers were taken with."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "CPU": _cpu_model(),
        "Cores": f"{os.cpu_count()} ({usable} usable by this process)",
        "OS": platform.platform(),
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "Flask": _version("flask"),
        "Werkzeug": _version("werkzeug"),
        "flask-cors": _version("flask-cors"),
        "crossgate": _version("crossgate"),
    }


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _kind_table(report: Report, kind_key: str, variants: Iterable[Variant]) -> list[str]:
    lines = [
        "| Variant | CPU median µs | CPU min µs | wall median µs | wall min µs "
        f"| overhead over bare µs | {TIMES} floor's overhead | {TIMES} flask-cors's overhead |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    floor = report.overhead("floor", kind_key)
    flask_cors = report.overhead("flask-cors", kind_key)
    for variant in variants:
        found = report.stats.get((variant.key, kind_key))
        if found is None:
            continue
        extra = report.overhead(variant.key, kind_key)
        if variant.key == "bare" or extra is None:
            columns = ["—", "—", "—"]
        else:
            columns = [
                f"{extra:+.2f}",
                _ratio(extra, floor) if floor is not None else "—",
                _ratio(extra, flask_cors) if flask_cors is not None else "—",
            ]
        times = (found.cpu_median, found.cpu_min, found.wall_median, found.wall_min)
        lines.append(
            f"| {variant.label} | " + " | ".join([*(f"{t:.1f}" for t in times), *columns]) + " |"
        )
    return lines


def _scale_table(report: Report) -> list[str]:
    lines = [
        "| Variant | "
        + " | ".join(f"{kind.label}: CPU median (min) µs" for kind in SCALE_KINDS)
        + " |",
        "|---|" + "--:|" * len(SCALE_KINDS),
    ]
    for group in ("origins", "rules"):
        members = sorted((v for v in report.variants if v.group == group), key=lambda v: v.scale)
        if not members:
            continue
        first = members[0]
        for variant in members:
            cells = []
            for kind in SCALE_KINDS:
                found = report.stats.get((variant.key, kind.key))
                low = report.cpu(first.key, kind.key)
                if found is None or low is None:
                    cells.append("—")
                    continue
                change = "" if variant is first else f", {found.cpu_median / low - 1:+.1%}"
                cells.append(f"{found.cpu_median:.1f} ({found.cpu_min:.1f}){change}")
            lines.append(f"| {variant.label} | " + " | ".join(cells) + " |")
    return lines


_INTRODUCTION = """\
What crossgate costs per request, against bare Flask, a hand-written `after_request` (the floor:
ACAO for listed origins and `Vary: Origin`, with `headers.add`) and flask-cors. Regenerate this
page and the chart with `make bench` (`--quick` for a short run)."""

_METHOD = """\
Each app is called in-process as a WSGI server calls it, `app(environ, start_response)`, with a
copy of a prebuilt environ per request; the body is consumed and closed. Every (variant,
request) pair is warmed up, then timed in batches: each round runs one batch of every pair, in
a new random order, so that drift of the machine hits all alike. Times are per request: thread
CPU time (`time.thread_time_ns`) and wall time (`time.perf_counter_ns`), median and minimum
over the batches. *Overhead over bare* is the median over rounds of the variant's CPU time
minus bare Flask's in the same round; negative is faster than bare Flask. Targets on times
and table sizes use the paired ratio likewise: the median over rounds of one CPU time divided
by the other in the same round. For bare Flask and
the floor, a preflight is answered by Flask's automatic OPTIONS; so it is for flask-cors and,
by default, for the compat layer, which keep flask-cors's order (the app's `before_request`
hooks see preflights) unless `preflight_before_request=True`. Only native crossgate answers
preflights before Flask dispatches. The ratio columns divide by
the floor's and by flask-cors's (resources + 2 origins + credentials) overhead for the same
request; `n/a` where that divisor is about zero."""

_SCALING = """\
crossgate with 1, 100 and 1000 exact origins (the request's origin is one of them), and with
1, 10 and 100 subtree rules `/r0/*` ... (the request path under the last rule). Percentages
compare with the smallest table."""


def render_markdown(report: Report, targets: Sequence[Target], chart: str | None) -> str:
    """The whole of docs/benchmarks.md."""
    main = [v for v in report.variants if v.group == "main"]
    facts = {**report.environment, **report.settings}
    lines = [
        "# Benchmarks",
        "",
        "<!-- Generated by `make bench` (python -m benchmarks.run). Do not edit: rerun it. -->",
        "",
        _INTRODUCTION,
        "",
        "## Machine and versions",
        "",
        "| | |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in facts.items()),
        "",
        "## How it is measured",
        "",
        _METHOD,
        "",
        "## Targets",
        "",
        "| Target | Measured (CPU, medians) | Result |",
        "|---|---|---|",
        *(f"| {target.goal} | {target.measured} | **{target.verdict}** |" for target in targets),
        "",
    ]
    if report.notes:
        lines += ["Notes:", "", *(f"- {note}" for note in report.notes), ""]
    lines += ["## Per-request cost", ""]
    for kind in KINDS:
        lines += [f"### {kind.label}", "", *_kind_table(report, kind.key, main), ""]
    lines += ["## Scaling", "", _SCALING, "", *_scale_table(report), "", "## Memory", ""]
    if report.memory is None:
        lines += ["Not measured in this run.", ""]
    else:
        requests, allowed, growth = report.memory
        lines += [
            f"crossgate with `origins=['{MEMORY_PATTERN}']`, in a fresh process:",
            f"{requests:,} requests, each from a different subdomain ({allowed:,} answered",
            f"with their own ACAO). Resident set size grew by {growth / 2**20:+.2f} MiB from a",
            "warmed-up start to the end (both read after `gc.collect()`).",
            "",
        ]
    if chart is not None:
        lines += ["## Chart", "", f"![Per-request cost]({chart})", ""]
    return "\n".join(lines)


def write_chart(report: Report, path: Path) -> None:
    """Three panels: GET overhead over bare, preflight time, and scaling; PNG at *path*."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    main = [v for v in report.variants if v.group == "main"]
    figure, (gets, preflights, scaling) = plt.subplots(
        1, 3, figsize=(16, 6.5), gridspec_kw={"width_ratios": [3, 2, 2]}, layout="constrained"
    )
    palette = plt.get_cmap("tab10")
    colour = {variant.key: palette(index) for index, variant in enumerate(main)}

    def grouped_bars(
        axes: Any, kinds: Sequence[Kind], variants: Sequence[Variant], overhead: bool
    ) -> None:
        width = 0.8 / max(len(variants), 1)
        for index, variant in enumerate(variants):
            values = [
                (
                    report.overhead(variant.key, kind.key)
                    if overhead
                    else report.cpu(variant.key, kind.key)
                )
                or 0.0
                for kind in kinds
            ]
            positions = [k + (index - (len(variants) - 1) / 2) * width for k in range(len(kinds))]
            axes.bar(positions, values, width, label=variant.label, color=colour[variant.key])
        axes.set_xticks(range(len(kinds)), [kind.label for kind in kinds])

    grouped_bars(
        gets,
        [kind for kind in KINDS if not kind.preflight],
        [v for v in main if v.key != "bare"],
        True,
    )
    gets.axhline(0, color="black", linewidth=0.8)
    gets.set_ylabel("CPU µs per request over bare Flask (median)")
    gets.set_title("Actual requests: cost added to bare Flask")
    grouped_bars(preflights, [kind for kind in KINDS if kind.preflight], main, False)
    preflights.set_ylabel("CPU µs per request (median)")
    preflights.set_title("Preflights: total time (bare: automatic OPTIONS)")
    handles, labels = preflights.get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncol=4, fontsize=8)

    for group, style, name in (
        ("origins", "-", "exact origins"),
        ("rules", "--", "resource rules"),
    ):
        members = sorted((v for v in report.variants if v.group == group), key=lambda v: v.scale)
        for index, kind in enumerate(SCALE_KINDS):
            points = [(v.scale, report.cpu(v.key, kind.key)) for v in members]
            xs = [x for x, y in points if y is not None]
            ys = [y for _, y in points if y is not None]
            if xs:
                scaling.plot(
                    xs,
                    ys,
                    linestyle=style,
                    marker="o",
                    color=palette(index + 7),
                    label=f"{name}, {kind.label}",
                )
    scaling.set_xscale("log")
    scaling.set_ylim(bottom=0)
    scaling.set_xlabel("number of exact origins / resource rules")
    scaling.set_ylabel("CPU µs per request (median)")
    scaling.set_title("crossgate: cost against table size")
    scaling.legend(fontsize=7, loc="lower left")

    env = report.environment
    title = f"crossgate per-request cost: {env.get('CPU')}, {env.get('Python')}"
    figure.suptitle(title, fontsize=10)
    figure.savefig(path, dpi=110)
    plt.close(figure)
