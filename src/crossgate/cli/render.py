"""Show a ``CheckResult`` to a person (a ``curl -i``-like transcript) or to a script (JSON).

Everything printed that came from the network is escaped first: a hostile server must not be
able to write control sequences into the user's terminal.
"""

from __future__ import annotations

from typing import Any

import click

from crossgate.browser import console_message, needs_preflight, unsafe_request_header_names
from crossgate.cli.check import CheckResult, Exchange

__all__ = ["render_json", "render_text"]

_MAX_VALUE = 300


def _is_cors_header(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith("access-control-") or lowered in ("origin", "vary", "location")


def _safe(text: str) -> str:
    shown = "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text[:_MAX_VALUE])
    return shown + ("…" if len(text) > _MAX_VALUE else "")


def _line(prefix: str, name: str, value: str, color: bool) -> str:
    text = f"{prefix} {_safe(name)}: {_safe(value)}"
    if _is_cors_header(name):
        text = (
            click.style(text, bold=True) + click.style("   ◀ CORS", fg="cyan")
            if color
            else f"{text}   <- CORS"
        )
    return text


def _why_preflight(result: CheckResult) -> str:
    request = result.request
    reasons = []
    if request.method.upper() not in ("GET", "HEAD", "POST"):
        reasons.append(f"method {request.method} is not CORS-safelisted")
    names = unsafe_request_header_names(request.headers)
    if names:
        reasons.append(
            f"header{'s' if len(names) > 1 else ''} {', '.join(names)} not CORS-safelisted"
        )
    return "; ".join(reasons)


def _exchange_text(exchange: Exchange, color: bool) -> list[str]:
    lines = [f"> {exchange.method} {_safe(exchange.url)}"]
    lines += [_line(">", name, value, color) for name, value in exchange.headers]
    lines.append(f"< HTTP {exchange.response.status}")
    lines += [_line("<", name, value, color) for name, value in exchange.response.headers]
    return lines


def render_text(result: CheckResult, *, color: bool = False) -> str:
    """The transcript, then the verdict, the console line and the fix."""
    lines: list[str] = []
    for exchange in result.exchanges:
        if exchange.kind == "preflight":
            why = _why_preflight(result) or "the request is not simple"
            lines.append(f"* preflight: the browser asks first because {why}")
        else:
            lines.append("* the request")
        lines += _exchange_text(exchange, color)
        lines.append("")
    verdict = result.verdict
    if verdict.allowed:
        head = "ALLOWED: the page can read the response"
        lines.append(click.style(head, fg="green", bold=True) if color else head)
        if verdict.readable_headers:
            lines.append(
                f"  headers the page can read: {', '.join(sorted(verdict.readable_headers))}"
            )
        if verdict.max_age is not None:
            lines.append(f"  preflight cached for {verdict.max_age}s")
    else:
        head = f"BLOCKED at step {verdict.step}"
        lines.append(click.style(head, fg="red", bold=True) if color else head)
        lines.append(f"  console: {_safe(console_message(result.request, verdict))}")
    if verdict.fix:
        lines.append(f"  fix: {_safe(verdict.fix)}")
    lines += [f"  note: {note}" for note in result.notes]
    return "\n".join(lines)


def _exchange_json(exchange: Exchange) -> dict[str, Any]:
    return {
        "kind": exchange.kind,
        "method": exchange.method,
        "url": exchange.url,
        "request_headers": [list(pair) for pair in exchange.headers],
        "status": exchange.response.status,
        "response_headers": [list(pair) for pair in exchange.response.headers],
    }


def render_json(result: CheckResult) -> dict[str, Any]:
    """A JSON-serialisable summary for scripts and CI."""
    verdict = result.verdict
    request = result.request
    return {
        "allowed": verdict.allowed,
        "step": verdict.step,
        "message": verdict.message,
        "console": console_message(request, verdict),
        "fix": verdict.fix,
        "preflight_needed": needs_preflight(request.method, request.headers),
        "max_age": verdict.max_age,
        "readable_headers": sorted(verdict.readable_headers),
        "notes": list(result.notes),
        "exchanges": [_exchange_json(exchange) for exchange in result.exchanges],
    }
