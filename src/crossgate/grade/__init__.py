"""Grade a response's security headers by the MDN HTTP Observatory's scoring, and judge its CSP.

The library behind ``crossgate headers URL`` and ``flask crossgate headers PATH --grade``.
:func:`observe` fetches a URL as the Observatory's scan does, through the same ``Send``
transport as :mod:`crossgate.inspect`; :func:`grade` scores an :class:`Observed` (100 plus every
test's modifier, and the letter); :func:`grade_report` adds the fixes and a CSP analysis
(:func:`evaluate_csp`), and :func:`render_text` / :func:`render_json` show it.

>>> graded = grade(Observed("https://example.com/", 200, (("Content-Type", "text/html"),)))
>>> graded.grade, graded.score
"""

from __future__ import annotations

from crossgate.grade._csp_eval import CspNote, evaluate_csp
from crossgate.grade._observatory import OBSERVATORY_ORIGIN, Graded, Observed, Tested, grade
from crossgate.grade._observatory_table import (
    GRADES,
    OBSERVATORY_VERSION,
    SCORE_TABLE,
    TEST_NAMES,
    grade_for,
)
from crossgate.grade._report import (
    MAX_REDIRECTS,
    Report,
    grade_report,
    observe,
    reaches,
    render_json,
    render_text,
)

__all__ = [
    "GRADES",
    "MAX_REDIRECTS",
    "OBSERVATORY_ORIGIN",
    "OBSERVATORY_VERSION",
    "SCORE_TABLE",
    "TEST_NAMES",
    "CspNote",
    "Graded",
    "Observed",
    "Report",
    "Tested",
    "evaluate_csp",
    "grade",
    "grade_for",
    "grade_report",
    "observe",
    "reaches",
    "render_json",
    "render_text",
]
