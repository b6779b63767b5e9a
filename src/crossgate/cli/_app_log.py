"""What the app itself said while ``flask crossgate check`` ran it: its refusal reasons and
hand-set header warnings, read from the ``crossgate`` log, put in the check's result.

A browser sees only headers, so ``crossgate check`` guesses the cause from them. Inside the app
there is no need to guess: the engine logged why it refused (the level that decided, the
origins it allows, a near miss), and the edge logged a CORS header the app set by hand. The
cause shown is then the app's own, never a guess that contradicts it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from crossgate._engine import logger
from crossgate._hand_set import HAND_SET_CODE
from crossgate._reasons import Reason
from crossgate.inspect import CheckResult, KnownCause
from crossgate.inspect._diagnose import Diagnosis, refused_parts


class _Collected(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.reasons: list[Reason] = []
        self.hand_set: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        reason = getattr(record, "crossgate_refusal", None)
        if isinstance(reason, Reason):
            self.reasons.append(reason)
        if getattr(record, "crossgate_reason", None) == HAND_SET_CODE:
            # The line after the request's method and path: "endpoint ... answered with ...".
            self.hand_set.append(record.getMessage().partition(f" [{HAND_SET_CODE}] ")[2])


@contextmanager
def app_log() -> Iterator[_Collected]:
    """Collect the ``crossgate`` log's refusals and warnings for the duration of the block
    (every level, and not printed: the check shows them in place)."""
    collected = _Collected()
    level, propagate = logger.level, logger.propagate
    logger.addHandler(collected)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield collected
    finally:
        logger.removeHandler(collected)
        logger.setLevel(level)
        logger.propagate = propagate


def _app_diagnosis(reason: Reason) -> Diagnosis:
    return Diagnosis(
        "app", refused_parts(reason.code), reason.message, reason.fix, code=reason.code
    )


def known_cause(collected: _Collected) -> KnownCause:
    """The app's own reason for a refusal at a stage, as the check meets it (the latest one
    logged for that stage): the check then sends no probe to find it."""

    def cause(stage: str) -> Diagnosis | None:
        preflight = stage == "preflight"
        reason = next((r for r in reversed(collected.reasons) if r.preflight == preflight), None)
        return None if reason is None else _app_diagnosis(reason)

    return cause


def with_app_reasons(results: list[CheckResult], collected: _Collected) -> list[CheckResult]:
    """*results* with the cause and fix of each blocked one replaced by the app's own reason
    (the first refusal logged for the stage that decided), and the hand-set header warnings as
    notes."""
    notes = tuple(dict.fromkeys(collected.hand_set))
    shown = []
    for result in results:
        verdict = result.verdict
        if not verdict.allowed:
            preflight = verdict.stage == "preflight"
            reason = next((r for r in collected.reasons if r.preflight == preflight), None)
            if reason is not None:
                diagnosis = _app_diagnosis(reason)
                result = replace(
                    result, diagnosis=diagnosis, verdict=replace(verdict, fix=reason.fix)
                )
        shown.append(replace(result, notes=(*result.notes, *notes)) if notes else result)
    return shown
