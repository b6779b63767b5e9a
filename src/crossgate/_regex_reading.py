"""Reading a compiled regex the way ``re`` reads it: where its wildcard dots are, and the flags
it was compiled with.

Knows regular expressions and nothing about origins; ``crossgate._origin_regex`` builds its
rewrites of ``origins`` entries on it. Everything here works on the tree of Python's own regex
parser (``re._parser`` since 3.11, ``sre_parse`` before), so groups, alternations, inline and
scoped flags, verbose whitespace and comments, character classes and escapes mean exactly what
they mean to ``re``. The tree is internal to CPython but has kept its shape since Python 3.5;
a dot it cannot place is left alone, which can only cost a rewrite, never invent one.
"""

from __future__ import annotations

import functools
import importlib
import re
import warnings
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar

try:
    _PARSER: Any = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - Python 3.10
    _PARSER = importlib.import_module("sre_parse")

_REPEATS = frozenset({"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"})


_P = ParamSpec("_P")
_R = TypeVar("_R")


def quiet(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run *function* without the warnings ``re`` gives while parsing (a "possible nested set"
    in a user's pattern, or in our rewrites of it): the user already saw them when compiling,
    and under ``-W error`` they would turn a judgement into a crash."""

    @functools.wraps(function)
    def quietly(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return function(*args, **kwargs)

    return quietly


def explicit_flags(pattern: re.Pattern[str]) -> int:
    """The flags passed to ``re.compile``, without those the pattern sets inline."""
    inline: int = _PARSER.parse(pattern.pattern, 0).state.flags
    return pattern.flags & ~inline & ~re.UNICODE


def _children(op: str, value: Any) -> list[Any]:
    """The sub-sequences of one parsed item (branches apart)."""
    if op == "SUBPATTERN":
        return [value[3]]
    if op == "ATOMIC_GROUP":
        return [value]
    if op in _REPEATS:
        return [value[2]]
    if op == "GROUPREF_EXISTS":
        return [part for part in value[1:] if part is not None]
    if op in ("ASSERT", "ASSERT_NOT"):
        return [value[1]]
    if op == "BRANCH":
        return list(value[1])
    return []


def _sentinel_pairs(source: str, count: int) -> list[int]:
    """The first code points of *count* pairs of private-use characters absent from *source*:
    each pair stands in for one dot while the rewritten pattern is parsed."""
    found: list[int] = []
    code = 0xE000
    while len(found) < count:
        if chr(code) not in source and chr(code + 1) not in source:
            found.append(code)
        code += 2
    return found


def _pair(first: int) -> str:
    return f"(?:\\u{first:04x}\\u{first + 1:04x})"


def _find_pair(items: Sequence[Any], first: int, *, alone: bool = False) -> bool | None:
    """Where the sentinel pair starting at *first* stands: ``None`` if nowhere in sequence (in a
    class, a comment), else whether it is itself quantified. *alone*: *items* is the whole body
    of a repeat, or of a group that is the whole of such a body."""
    for op, value in items:
        name = str(op)
        if name == "LITERAL" and value == first:
            # The pair's second half follows: the sentinels are in no class and no branch
            # prefix (they occur once), so nothing can come between them.
            return alone and len(items) == 2
        for child in _children(name, value):
            inner = name in _REPEATS or (name == "SUBPATTERN" and alone and len(items) == 1)
            found = _find_pair(child, first, alone=inner)
            if found is not None:
                return found
    return None


def loose_dots(source: str, flags: int) -> list[int]:
    """Positions in *source* of the dots ``re`` reads as an unquantified wildcard."""
    [first] = _sentinel_pairs(source, 1)
    positions = []
    for index, char in enumerate(source):
        if char != ".":
            continue
        variant = source[:index] + _pair(first) + source[index + 1 :]
        try:
            tree = _PARSER.parse(variant, flags)
        except re.error:
            continue  # an escaped dot, or one inside a comment: not a wildcard
        if _find_pair(tree, first) is False:
            positions.append(index)
    return positions
