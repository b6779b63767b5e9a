"""Warnings a flask-cors user actually sees: ``warnings.warn``, plus a line on ``flask_cors.core``.

flask-cors only logged unknown options at WARNING on its own logger, which has no handler by
default, so misspelt options went unnoticed (corydolphin/flask-cors#197). The log line stays
where flask-cors put it, for those who watch that logger.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterable

from crossgate.compat.flask_cors._log import core_logger

__all__ = ["FlaskCorsCompatWarning", "emit"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class FlaskCorsCompatWarning(UserWarning):
    """A flask-cors configuration that works, but not the way its author most likely meant.

    Filter it like any warning, e.g. ``warnings.filterwarnings("ignore",
    category=FlaskCorsCompatWarning)``, or under pytest ``-W error`` with
    ``pytest.warns(FlaskCorsCompatWarning)``.
    """


def _user_stacklevel() -> int:
    """The ``stacklevel`` (seen from ``emit``) of the first frame outside this package."""
    level = 1
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    return level


def emit(messages: Iterable[str]) -> None:
    """Warn once for each distinct message, pointing at the user's code that configured it."""
    unique = list(dict.fromkeys(messages))
    if not unique:
        return
    stacklevel = _user_stacklevel()
    for message in unique:
        core_logger.warning("%s", message)
        warnings.warn(message, FlaskCorsCompatWarning, stacklevel=stacklevel)
