"""The one exception a user must handle at start-up: ``ConfigError``.

Configuration is validated as a whole; every problem found is collected into a ``Problem``
(the option, the offending value, what is wrong and how to fix it) and all of them are raised
together, so a user fixes their configuration in one pass instead of one error at a time.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["MAX_SHOWN", "ConfigError", "Problem", "describe", "show"]

#: How many characters of an untrusted value any message, log line or terminal line shows.
MAX_SHOWN = 200


def describe(value: object) -> str:
    """Return a short, printable, single-line rendering of *value* for messages and logs.

    Control characters and non-ASCII are escaped (so CR/LF can never break a log line) and long
    values are truncated with a note of how much was cut.
    """
    if isinstance(value, str):
        text = value
        shown = ascii(text[:MAX_SHOWN])
    else:
        text = ascii(value)
        if not text.isprintable():
            text = ascii(text)[1:-1]  # a __repr__ may hold CR/LF; ascii() keeps them
        shown = text[:MAX_SHOWN]
    cut = len(text) - MAX_SHOWN
    if cut > 0:
        shown += f" (+{cut} more characters)"
    return shown


def show(text: str, *, whole: bool = False) -> str:
    """*text* made safe for one terminal or console line, readable as written: printable
    characters (Unicode host names too) kept, every other one escaped (``\\u000A``), and the
    length capped at ``MAX_SHOWN`` with a note of how much was cut. *whole*: not capped, for a
    line composed by crossgate whose untrusted parts were capped already."""
    limit = len(text) if whole else MAX_SHOWN
    shown = "".join(map(_escape, text[:limit]))
    cut = len(text) - limit
    return shown + (f"... (+{cut} more characters)" if cut > 0 else "")


def _escape(char: str) -> str:
    # As Chromium's console shows an invisible character: \uXXXX.
    if char.isprintable():
        return char
    code = ord(char)
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def closest_name(name: str, candidates: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The valid name a misspelt *name* most likely meant, or ``None``: what a fix suggests.
    *cutoff* is how alike they must be (``difflib``'s ratio, from 0 to 1)."""
    found = difflib.get_close_matches(name, list(candidates), n=1, cutoff=cutoff)
    return found[0] if found else None


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a configuration: where, what value, why, and the fix."""

    option: str
    value: object
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.option}={describe(self.value)}: {self.message}. Fix: {self.fix}"


class ConfigError(ValueError):
    """Invalid configuration, found at start-up. ``problems`` lists every problem found."""

    problems: tuple[Problem, ...]
    context: str

    def __init__(self, problems: Iterable[Problem], *, context: str = "") -> None:
        self.problems = tuple(problems)
        self.context = context
        head = f"invalid crossgate configuration{f' ({context})' if context else ''}"
        count = len(self.problems)
        lines = [f"{head}: {count} problem{'s' if count != 1 else ''}"]
        lines.extend(f"  - {problem}" for problem in self.problems)
        super().__init__("\n".join(lines))

    def __reduce__(self) -> tuple[object, ...]:
        # The default rebuilds from ``args`` (the message), which is not what __init__ takes.
        return _rebuild, (self.problems, self.context)


def _rebuild(problems: tuple[Problem, ...], context: str) -> ConfigError:
    return ConfigError(problems, context=context)
