"""Where the user's code called into crossgate: the first frame outside the package.

A declaration (``CORS(...)``, ``@cross_origin(...)``) records it once, so a refusal can name the
line; a start-up warning of the flask-cors layer points at it.
"""

from __future__ import annotations

import os
import sys
from types import FrameType

# With the separator: a sibling such as ``crossgate_extras/`` is the user's code.
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def user_frame() -> FrameType:
    """The frame of the code that called into crossgate: the first one outside the package
    (the outermost frame if every frame is crossgate's)."""
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
    return frame


def declaration_site() -> str:
    """``file:line`` of ``user_frame``, relative to the working directory when it is below it."""
    frame = user_frame()
    filename = frame.f_code.co_filename
    relative = os.path.relpath(filename)
    shown = filename if relative.startswith("..") else relative
    return f"{shown}:{frame.f_lineno}"
