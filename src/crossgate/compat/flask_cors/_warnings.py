"""Warnings a flask-cors user actually sees: ``warnings.warn``, plus a line on ``flask_cors.core``.

flask-cors only logged unknown options at WARNING on its own logger, which has no handler by
default, so misspelt options went unnoticed (corydolphin/flask-cors#197). The log line stays
where flask-cors put it, for those who watch that logger.

Some messages need no fix: a string read as its author meant it, or an unsafe flask-cors
behaviour kept on purpose. Those are ``Logged`` only, at their level, so an app's test suite
under ``-W error`` keeps passing.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

from crossgate.compat.flask_cors._log import core_logger

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class FlaskCorsCompatWarning(UserWarning):
    """A flask-cors configuration that works, but not the way its author most likely meant.

    Filter it like any warning, e.g. ``warnings.filterwarnings("ignore",
    category=FlaskCorsCompatWarning)``, or under pytest ``-W error`` with
    ``pytest.warns(FlaskCorsCompatWarning)``.
    """


@dataclass(frozen=True, slots=True)
class Logged:
    """A message for the ``flask_cors.core`` log alone, without a ``FlaskCorsCompatWarning``."""

    text: str
    level: int = logging.INFO


def _user_stacklevel() -> int:
    """The ``stacklevel`` (seen from ``emit``) of the first frame outside this package."""
    level = 1
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    return level


def emit(messages: Iterable[str | Logged]) -> None:
    """Warn once for each distinct message, pointing at the user's code that configured it;
    log each ``Logged`` one once, at its level."""
    unique = list(dict.fromkeys(messages))
    if not unique:
        return
    stacklevel = _user_stacklevel()
    for message in unique:
        if isinstance(message, Logged):
            core_logger.log(message.level, "%s", message.text)
            continue
        core_logger.warning("%s", message)
        warnings.warn(message, FlaskCorsCompatWarning, stacklevel=stacklevel)
