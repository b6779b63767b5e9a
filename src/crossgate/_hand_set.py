"""Hand-set CORS headers: a response that leaves the app already carrying CORS headers.

Tutorials set ``Access-Control-Allow-Origin: *`` in an ``after_request`` hook or on
``make_response``. Add ``CORS(app, origins=[...], supports_credentials=True)`` and two answers
meet on one response. crossgate's wins, on every response a CORS policy covers:

- its policy is what the user configured for CORS, and the one ``flask crossgate routes``
  shows; the hand-set line is usually a leftover from before crossgate;
- keeping a hand-set ``*`` would refuse every credentialed request the policy allows, and
  adding crossgate's credentials beside it would send ``*`` with credentials: neither is what
  anyone configured. Replacing is the only answer that is both what was asked and safe;
- a hand-set line for an origin the policy refuses is removed, so no code path can open a
  response wider than the policy.

``Access-Control-Allow-Origin`` and ``-Allow-Credentials`` are always crossgate's (they decide
who reads, and with which cookies); ``Access-Control-Expose-Headers`` is crossgate's when its
policy exposes headers, and left as the app wrote it otherwise (it gives nothing to an origin
the policy refuses). Each replaced value that differed from crossgate's is a ``HandSet``; the
adapter logs them with ``HandSetLog``: one WARNING per endpoint naming both values and the fix.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import NamedTuple

from crossgate._bounded import BoundedCache
from crossgate._engine import Decision, add_vary, logger
from crossgate._fetch import ACAC, ACAO, ACEH
from crossgate._http import Header
from crossgate._protect import LogLimiter
from crossgate.errors import describe

_ALWAYS_OWNED = {ACAO.lower(): ACAO, ACAC.lower(): ACAC}
_EXPOSE = ACEH.lower()
#: How many endpoints (or paths, for responses no route produced) a log remembers warning about.
WARNED_ENDPOINTS = 1024

FIX = "remove the hand-set header; crossgate writes it"
#: The ``crossgate_reason`` of the warning's log record.
HAND_SET_CODE = "hand-set-header"


class HandSet(NamedTuple):
    """A CORS header the app set by hand that crossgate replaced: its name, the app's value
    (repeated lines joined with ``", "``) and crossgate's (None: crossgate writes none)."""

    header: str
    app_value: str
    crossgate_value: str | None


def apply_replacing(headers: list[Header], decision: Decision) -> tuple[HandSet, ...]:
    """Write an actual request's *decision* into a response's header list, in place, replacing
    the CORS headers the app set by hand (see the module's docstring for which), and merging
    ``Vary``. Returns the hand-set values that differed from crossgate's.

    ``crossgate._engine.apply`` is the flask-cors layer's: it keeps the app's header, as
    flask-cors does.
    """
    has_vary = False
    hand_set = False
    for name, _ in headers:  # one pass: this runs on every response
        lowered = name.lower()
        if lowered == "vary":
            has_vary = True
        elif lowered in _ALWAYS_OWNED or lowered == _EXPOSE:
            hand_set = True
    found: tuple[HandSet, ...] = ()
    if hand_set:
        found = _take_over(headers, decision)
    if decision.headers:
        headers.extend(decision.headers)
    add_vary(headers, decision.vary, present=has_vary)
    return found


def _take_over(headers: list[Header], decision: Decision) -> tuple[HandSet, ...]:
    """Remove the app's lines of the headers crossgate writes; the differing ones, found."""
    ours = {name.lower(): value for name, value in decision.headers}
    owned = dict(_ALWAYS_OWNED)
    if _EXPOSE in ours:
        owned[_EXPOSE] = ACEH
    theirs: dict[str, list[str]] = {}
    kept = []
    for name, value in headers:
        lowered = name.lower()
        if lowered in owned:
            theirs.setdefault(lowered, []).append(value)
        else:
            kept.append((name, value))
    headers[:] = kept
    found = []
    for lowered, values in theirs.items():
        app_value = ", ".join(values)
        crossgate_value = ours.get(lowered)
        if not _same(lowered, app_value, crossgate_value):
            found.append(HandSet(owned[lowered], app_value, crossgate_value))
    return tuple(found)


def _same(lowered: str, app_value: str, crossgate_value: str | None) -> bool:
    if crossgate_value is None:
        return False
    if lowered == _EXPOSE:  # a list of names, compared as one: case and order do not matter
        return _names(app_value) == _names(crossgate_value)
    return app_value.strip() == crossgate_value


def _names(value: str) -> frozenset[str]:
    return frozenset(part.strip().lower() for part in value.split(",") if part.strip())


def hand_set_line(found: tuple[HandSet, ...], origin: str | None) -> str:
    """The sentence naming each replaced header, both values and the fix (escaped)."""
    asked = "a request without Origin" if origin is None else f"origin {describe(origin)}"
    parts = []
    for header, app_value, crossgate_value in found:
        written = "none" if crossgate_value is None else describe(crossgate_value)
        parts.append(
            f"{header}: the app set {describe(app_value)}, crossgate's policy writes {written} "
            f"for {asked}"
        )
    return (
        "; ".join(parts) + ". crossgate sent its policy's value instead (the CORS policy "
        f"decides who may read, and with credentials). Fix: {FIX}"
    )


@dataclass(slots=True)
class HandSetLog:
    """Warns once per endpoint about hand-set headers, in the ``crossgate`` log: at most
    ``WARNED_ENDPOINTS`` remembered, and at most the limiter's burst of lines per window (paths
    no route serves are the clients' to choose)."""

    warned: BoundedCache[str, bool] = field(
        default_factory=lambda: BoundedCache(WARNED_ENDPOINTS), repr=False
    )
    limiter: LogLimiter = field(default_factory=LogLimiter, repr=False)

    def warn(
        self, endpoint: str, method: str, path: str, origin: str | None, found: tuple[HandSet, ...]
    ) -> None:
        """Log *found* for *endpoint* unless it was logged already (escaped, one line)."""
        if endpoint in self.warned or not logger.isEnabledFor(logging.WARNING):
            return
        self.warned.put(endpoint, True)
        if self.limiter.admit() is None:
            return
        logger.warning(
            f"%s %s [{HAND_SET_CODE}] endpoint %s answered with a hand-set CORS header: %s",
            describe(method),
            describe(path),
            describe(endpoint),
            hand_set_line(found, origin),
            extra={"crossgate_reason": HAND_SET_CODE},
        )
