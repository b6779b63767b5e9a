"""Show a ``CheckResult`` to a person (a ``curl -i``-like transcript) or to a script (JSON).

Everything printed that came from the network is escaped first: a hostile server must not be
able to write control sequences into the user's terminal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from crossgate.browser import (
    PROFILES,
    console_lines,
    console_message,
    needs_preflight,
    unsafe_request_header_names,
)
from crossgate.errors import show
from crossgate.inspect import CheckResult, Exchange, Prediction, WriteCheck

_OBSERVED = {
    "preflight": "observed: the preflight",
    "probe": "observed: a probe preflight (the browser sends none for this request)",
    "same-origin": "observed: nothing (same origin)",
}


def _is_cors_header(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith("access-control-") or lowered in ("origin", "vary", "location")


def _line(prefix: str, name: str, value: str, color: bool) -> str:
    text = f"{prefix} {show(name)}: {show(value)}"
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
    lines = [f"> {exchange.method} {show(exchange.url)}"]
    lines += [_line(">", name, value, color) for name, value in exchange.headers]
    lines.append(f"< HTTP {exchange.response.status}")
    lines += [_line("<", name, value, color) for name, value in exchange.response.headers]
    return lines


def _exchange_title(result: CheckResult, exchange: Exchange) -> str:
    if exchange.kind == "preflight":
        why = _why_preflight(result) or "the request is not simple"
        return f"* preflight: the browser asks first because {why}"
    if exchange.kind == "probe":
        return f"* probe (sent by crossgate, not by the browser): {show(exchange.purpose)}"
    return "* the request"


def _prediction_text(prediction: Prediction, color: bool) -> list[str]:
    source = {
        "preflight": "the CORS headers of the preflight answer above",
        "probe": "the CORS headers of the probe answer above",
        "same-origin": "a same-origin request, which no CORS check applies to",
    }[prediction.basis]
    lines = [
        f"* the request: NOT SENT ({prediction.why})",
        f"  PREDICTED response, from {source}:",
    ]
    lines += [
        _line("<", name, value, color) + " (predicted)"
        for name, value in prediction.response.headers
    ]
    return lines


def _cause_text(result: CheckResult) -> str:
    diagnosis = result.diagnosis
    assert diagnosis is not None
    if diagnosis.source == "server":
        return (
            f"{diagnosis.message} (the server's own reason [{diagnosis.code}], from its response)"
        )
    if diagnosis.source == "app":
        return f"{diagnosis.message} (the app's own reason [{diagnosis.code}], from its log)"
    if diagnosis.source == "preflight":
        return diagnosis.message
    count = sum(exchange.kind == "probe" for exchange in result.exchanges)
    return f"{diagnosis.message} (found with {count} probe preflight{'s' if count != 1 else ''})"


def render_text(result: CheckResult, *, color: bool = False) -> str:
    """The transcript, then the verdict, the console line, the cause and the fix."""
    lines: list[str] = []
    for exchange in result.exchanges:
        lines.append(_exchange_title(result, exchange))
        lines += _exchange_text(exchange, color)
        lines.append("")
    prediction = result.prediction
    if prediction is not None:
        lines += [*_prediction_text(prediction, color), ""]
    predicted = " (PREDICTED)" if prediction is not None else ""
    verdict = result.verdict
    if verdict.allowed:
        head = f"ALLOWED{predicted}: the page can read the response"
        lines.append(click.style(head, fg="green", bold=True) if color else head)
        if verdict.readable_headers:
            lines.append(
                f"  headers the page can read: {', '.join(sorted(verdict.readable_headers))}"
            )
        if verdict.max_age is not None:
            lines.append(f"  preflight cached for {verdict.max_age}s")
    else:
        head = f"BLOCKED{predicted} at step {verdict.step}"
        lines.append(click.style(head, fg="red", bold=True) if color else head)
        lines.append(f"  console: {show(console_message(result.request, verdict), whole=True)}")
    if prediction is not None:
        observed = _OBSERVED[prediction.basis]
        lines.append(
            f"  {observed}; predicted: the response to the {result.request.method} request, "
            "which was not sent"
        )
    if result.diagnosis is not None:
        lines.append(f"  cause: {show(_cause_text(result), whole=True)}")
    if verdict.fix:
        lines.append(f"  fix: {show(verdict.fix, whole=True)}")
    lines += [f"  note: {show(note, whole=True)}" for note in result.notes]
    lines += _local_network_text(result)
    return "\n".join(lines)


def _local_network_text(result: CheckResult) -> list[str]:
    blocked = result.local_network
    if blocked is None:
        return []
    return [
        "  LOCAL NETWORK ACCESS (Chromium 142+): Chromium asks the user before this fetch; "
        "without the permission it fails before anything is sent",
        f"  console: {show(console_message(result.request, blocked), whole=True)}",
        f"  what helps: {show(blocked.fix, whole=True)}",
    ]


def _exchange_json(exchange: Exchange) -> dict[str, Any]:
    return {
        "kind": exchange.kind,
        "purpose": exchange.purpose or None,
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
    profile = PROFILES.get(verdict.engine)
    return {
        "engine": verdict.engine,
        "engine_version": profile.version if profile else None,
        "allowed": verdict.allowed,
        "step": verdict.step,
        "message": verdict.message,
        "console": console_message(request, verdict),
        "console_lines": list(console_lines(request, verdict)),
        "fix": verdict.fix,
        "preflight_needed": (
            needs_preflight(request.method, request.headers, profile)
            if profile
            else verdict.preflight_needed
        ),
        "max_age": verdict.max_age,
        "readable_headers": sorted(verdict.readable_headers),
        "notes": list(result.notes),
        "predicted": result.prediction is not None,
        "prediction": _prediction_json(result.prediction),
        "cause": _cause_json(result),
        "exchanges": [_exchange_json(exchange) for exchange in result.exchanges],
        "local_network_access": _local_network_json(result),
    }


def _local_network_json(result: CheckResult) -> dict[str, Any] | None:
    blocked = result.local_network
    if blocked is None:
        return None
    return {
        "message": blocked.message,
        "console": console_message(result.request, blocked),
        "fix": blocked.fix,
    }


def _prediction_json(prediction: Prediction | None) -> dict[str, Any] | None:
    if prediction is None:
        return None
    return {
        "basis": prediction.basis,
        "why": prediction.why,
        "response_headers": [list(pair) for pair in prediction.response.headers],
    }


def _cause_json(result: CheckResult) -> dict[str, Any] | None:
    diagnosis = result.diagnosis
    if diagnosis is None:
        return None
    return {
        "source": diagnosis.source,
        "refused": list(diagnosis.refused),
        "code": diagnosis.code or None,
        "method": diagnosis.method,
        "headers": list(diagnosis.headers),
        "message": diagnosis.message,
        "fix": diagnosis.fix,
        "probes": sum(exchange.kind == "probe" for exchange in result.exchanges),
    }


def _label(result: CheckResult) -> str:
    profile = PROFILES.get(result.verdict.engine)
    return f"{result.verdict.engine} {profile.version}" if profile else result.verdict.engine


def differences(results: list[CheckResult]) -> list[str]:
    """Where the engines' verdicts part, and why, one sentence each."""
    found: list[str] = []
    if len({result.verdict.allowed for result in results}) > 1:
        allowed = [result.verdict.engine for result in results if result.verdict.allowed]
        blocked = [result.verdict.engine for result in results if not result.verdict.allowed]
        found.append(f"{', '.join(allowed)} allow it; {', '.join(blocked)} block it")
    if len({result.verdict.preflight_needed for result in results}) > 1:
        sending = [result.verdict.engine for result in results if result.verdict.preflight_needed]
        found.append(
            f"only {', '.join(sending)} send a preflight: engines differ on which request "
            "headers need one (Chromium drops User-Agent and lets client hints through; "
            "Chromium and WebKit check a repeated header as one combined value)"
        )
    if len({result.verdict.step for result in results}) > 1:
        steps = "; ".join(f"{result.verdict.engine}: {result.verdict.step}" for result in results)
        found.append(
            f"they stop at different steps ({steps}): the engines run the preflight checks in "
            "different orders, and Firefox and WebKit report an invalid origin as a mismatch"
        )
    ages = {result.verdict.engine: result.verdict.max_age for result in results}
    if len(set(ages.values())) > 1 and all(age is not None for age in ages.values()):
        shown = ", ".join(f"{engine} {age} s" for engine, age in ages.items())
        found.append(f"the preflight is cached for different times ({shown})")
    if any(result.local_network is not None for result in results):
        found.append(
            "Chromium 142+ asks for Local Network Access permission before the request is sent "
            "(Firefox and WebKit do not ask)"
        )
    return found


def render_engines_text(results: list[CheckResult], *, color: bool = False) -> str:
    """The first engine's transcript, then one verdict per engine, then where they differ."""
    shown = next((result for result in results if result.exchanges), results[0])
    lines = [render_text(shown, color=color), "", "* verdict per engine"]
    for result in results:
        verdict = result.verdict
        head = "ALLOWED" if verdict.allowed else f"BLOCKED at step {verdict.step}"
        if result.prediction is not None:
            head += " (PREDICTED)"
        lines.append(f"{_label(result)}: {head}")
        for line in console_lines(result.request, verdict):
            lines.append(f"  console: {show(line, whole=True)}")
        if verdict.fix and not verdict.allowed:
            lines.append(f"  fix: {show(verdict.fix, whole=True)}")
        if verdict.allowed and verdict.max_age is not None:
            lines.append(f"  preflight cached for {verdict.max_age}s")
        if result.local_network is not None:
            lines.append("  and first: Local Network Access permission (see above)")
        # What only this engine's exchange met (a header withheld after its redirect).
        lines += [
            f"  note: {show(note, whole=True)}" for note in result.notes if note not in shown.notes
        ]
    found = differences(results)
    if found:
        lines += ["", "* where they differ"] + [f"  - {item}" for item in found]
    else:
        lines += ["", "* every engine decides the same"]
    return "\n".join(lines)


def render_engines_json(results: list[CheckResult]) -> dict[str, Any]:
    """Every engine's verdict (as :func:`render_json`) and where they differ."""
    return {
        "allowed": all(result.verdict.allowed for result in results),
        "engines": [render_json(result) for result in results],
        "differences": differences(results),
    }


def render_writes_text(writes: Sequence[WriteCheck]) -> str:
    """What happens to the writes CORS cannot stop, one line each, after the verdict."""
    if not writes:
        return ""
    lines = ["", "* cross-origin protection: the writes a page sends without asking CORS"]
    lines += [f"  {show(write.line, whole=True)}" for write in writes]
    return "\n".join(lines)


def render_write_json(write: WriteCheck) -> dict[str, Any]:
    """One write's outcome for scripts."""
    return {
        "kind": write.kind,
        "method": write.method,
        "origin": write.origin,
        "site": write.site,
        "outcome": write.outcome,
        "status": write.status,
        "code": write.code,
        "message": write.line,
    }
