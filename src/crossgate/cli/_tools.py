"""``crossgate audit URL`` and ``crossgate headers URL``: the commands, their live transport
(httpx, with ``--insecure`` for self-signed local certificates) and what they print.

Exit status, as ``crossgate check``: 0 nothing found (audit) or the grade reached
(``headers --min-grade``), 1 findings or a grade below the minimum, 2 usage or network error.
``flask crossgate audit`` and ``flask crossgate headers --grade`` print the same through
:func:`finish_audit` and :func:`finish_grade`.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NoReturn

import click

from crossgate.cli._shared import (
    EXIT_ALLOWED,
    EXIT_BLOCKED,
    json_option,
    live_send,
    options_as,
    parse_header_options,
    server_options,
    url_command,
    validate_origin,
)
from crossgate.errors import show
from crossgate.grade import GRADES, grade_report, observe, reaches, render_json, render_text
from crossgate.inspect import MAX_TRUSTED, PER_ORIGIN, SHARED, Audit, Send, run_audit


@contextmanager
def progress_bar(total: int, label: str) -> Iterator[Callable[[], None]]:
    """A bar on stderr, only on a terminal: the function it yields marks one request done."""
    if not sys.stderr.isatty():
        yield lambda: None
        return
    lock = threading.Lock()
    done = [0]

    def tick() -> None:
        with lock:
            done[0] += 1
            filled = 30 * done[0] // max(total, 1)
            sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (30 - filled)}] {done[0]}/{total}")
            sys.stderr.flush()

    try:
        yield tick
    finally:
        sys.stderr.write("\r" + " " * (len(label) + 45) + "\r")
        sys.stderr.flush()


def _trusted_origins(
    context: click.Context, parameter: click.Parameter, values: tuple[str, ...]
) -> tuple[str, ...]:
    if len(values) > MAX_TRUSTED:
        raise click.BadParameter(
            f"{len(values)} given; audit at most {MAX_TRUSTED} trusted origins per run",
            context,
            parameter,
        )
    return tuple(validate_origin(context, parameter, value) for value in values)


@dataclass(frozen=True, slots=True)
class AuditArgs:
    """What ``crossgate audit`` and ``flask crossgate audit`` are given besides the URL."""

    origins: tuple[str, ...]
    headers: tuple[str, ...]
    concurrency: int
    delay: float
    send_writes: bool
    as_json: bool


#: The options shared by ``crossgate audit`` and ``flask crossgate audit``, given to the
#: command as one :class:`AuditArgs` (its parameter ``given``).
audit_options = options_as(
    AuditArgs,
    click.option(
        "--origin",
        "origins",
        multiple=True,
        callback=_trusted_origins,
        help=f"An origin you trust (repeatable, at most {MAX_TRUSTED}); attack origins "
        "are derived from it. Without one, from the URL's own origin.",
    ),
    click.option(
        "-H",
        "--header",
        "headers",
        multiple=True,
        help="A header 'Name: value' added to each GET probe, e.g. a session cookie.",
    ),
    click.option(
        "--concurrency",
        default=4,
        show_default=True,
        type=click.IntRange(1, 16),
        help="Requests in flight at once.",
    ),
    click.option(
        "--delay",
        default=0.0,
        show_default=True,
        type=click.FloatRange(0, 60),
        help="Seconds between the starts of two requests.",
    ),
    click.option(
        "--send-writes",
        is_flag=True,
        help="Also send one cross-site form POST with the -H cookies (it may change "
        "data): a finding when the server accepts it.",
    ),
    json_option,
)


def finish_audit(audit: Audit, as_json: bool) -> NoReturn:
    """Print *audit* and exit 0 (no finding) or 1."""
    if as_json:
        findings = [
            {
                "class": finding.case,
                "origin": finding.origin,
                "severity": finding.severity,
                "evidence": finding.evidence,
                "fix": finding.fix,
            }
            for finding in audit.findings
        ]
        notes = [{"class": note.case, "message": note.message} for note in audit.notes]
        report = {"url": audit.url, "findings": findings, "notes": notes, "probes": audit.probes}
        click.echo(json.dumps(report))
    else:
        click.echo(render_audit(audit))
    sys.exit(EXIT_BLOCKED if audit.findings else EXIT_ALLOWED)


def render_audit(audit: Audit) -> str:
    """The audit as text: the server, each finding with its fix, the notes, a summary."""
    if audit.crossgate:
        server = f"crossgate (recognized: {audit.detected_by}); fixes name its options"
    else:
        server = "not recognized as crossgate; fixes are generic"
    lines = [show(audit.url), f"server: {server}", f"{audit.probes} requests sent", ""]
    for finding in audit.findings:
        lines += [
            f"FINDING {finding.case} [{finding.severity}] origin {show(finding.origin)}",
            f"  request:  {show(finding.evidence, whole=True)}",
            f"  attacker: {finding.gain}",
            f"  fix:      {finding.fix}",
            "",
        ]
    for note in audit.notes:
        lines.append(f"note {note.case}: {note.message}")
    if audit.notes:
        lines.append("")
    if audit.findings:
        high = sum(finding.severity == "high" for finding in audit.findings)
        count = len(audit.findings)
        lines.append(f"{count} finding{'s' if count != 1 else ''} ({high} high)")
    else:
        lines.append("no finding: no attack origin could read this URL")
    return "\n".join(lines)


@url_command(
    "audit",
    (
        "crossgate audit http://localhost:5000/api/items",
        "crossgate audit https://api.example.com/me --origin https://app.example.com \\\n"
        "      -H 'Cookie: session=...'",
    ),
    allowed="no finding: no attack origin could read URL",
    blocked="findings (each printed with its evidence and fix)",
)
@audit_options
@server_options
def audit_command(url: str, given: AuditArgs, timeout: float, insecure: bool) -> None:
    """Probe URL with attack origins: can another site's page read it?

    Sends at most SHARED + PER_ORIGIN requests per trusted origin (see the docs), GET and
    OPTIONS only; with --send-writes and a -H 'Cookie: ...', one cross-site form POST too.
    """
    extra = parse_header_options(given.headers)
    total = SHARED + PER_ORIGIN * max(len(given.origins), 1)
    with live_send(timeout, insecure=insecure) as send, progress_bar(total, "auditing") as tick:
        audit = run_audit(
            url,
            given.origins,
            send,
            headers=extra,
            concurrency=given.concurrency,
            delay=given.delay,
            tick=tick,
            send_writes=given.send_writes,
        )
    finish_audit(audit, given.as_json)


audit_command.help = (
    (audit_command.help or "").replace("SHARED", str(SHARED)).replace("PER_ORIGIN", str(PER_ORIGIN))
)


def grade_options(function: click.decorators.FC) -> click.decorators.FC:
    """``--json`` and ``--min-grade``, shared with ``flask crossgate headers --grade``."""
    function = click.option(
        "--min-grade",
        type=click.Choice(GRADES, case_sensitive=False),
        default=None,
        help="Exit 1 when the grade is below this (for CI).",
    )(function)
    return json_option(function)


def finish_grade(
    url: str,
    send: Send,
    *,
    as_json: bool,
    min_grade: str | None,
    insecure: bool = False,
    inside_app: bool = False,
) -> NoReturn:
    """Observe *url* through *send*, print its grade, exit 0, or 1 below *min_grade*."""
    observed = observe(url, send)
    try:
        report = grade_report(observed, insecure=insecure, inside_app=inside_app)
    except ValueError as error:
        raise click.ClickException(f"{show(observed.url)}: {error}") from None
    if as_json:
        click.echo(json.dumps(render_json(report), indent=2))
    else:
        click.echo(render_text(report))
    minimum = min_grade.upper() if min_grade else None
    if minimum is not None and not reaches(report.graded.grade, minimum):
        click.echo(f"grade {report.graded.grade} is below --min-grade {minimum}", err=True)
        sys.exit(EXIT_BLOCKED)
    sys.exit(EXIT_ALLOWED)


@url_command(
    "headers",
    (
        "crossgate headers http://localhost:5000/",
        "crossgate headers https://www.example.com/ --min-grade b",
    ),
    allowed="graded (and the grade reaches --min-grade, when given)",
    blocked="the grade is below --min-grade",
)
@grade_options
@server_options
def headers_command(
    url: str, as_json: bool, min_grade: str | None, timeout: float, insecure: bool
) -> None:
    """Grade URL's security headers by the MDN HTTP Observatory's scoring, with the fixes."""
    with live_send(timeout, insecure=insecure) as send:
        finish_grade(url, send, as_json=as_json, min_grade=min_grade, insecure=insecure)
