"""Reading a compiled regex the way ``re`` reads it: where its wildcard dots are, and example
strings it matches.

Knows regular expressions and nothing about origins; ``crossgate.origin_regex`` builds its
judgement of ``origins`` entries on it. Everything here works on the tree of Python's own regex
parser (``re._parser`` since 3.11, ``sre_parse`` before), so groups, alternations, inline and
scoped flags, verbose whitespace and comments, character classes and escapes mean exactly what
they mean to ``re``. The tree is internal to CPython but has kept its shape since Python 3.5;
anything this module does not know makes it write no example, which can only cost a finding,
never invent one.
"""

from __future__ import annotations

import functools
import importlib
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ParamSpec, TypeVar

__all__ = ["explicit_flags", "loose_dots", "marked", "quiet", "write_examples"]

try:
    _PARSER: Any = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - Python 3.10
    _PARSER = importlib.import_module("sre_parse")

_REPEATS = frozenset({"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"})
# Tried in order when an example must pick a character from a class: host characters first.
_CLASS_CANDIDATES = "abcdefghijklmnopqrstuvwxyz0123456789-_.:/ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# Bounds on the work: drafts kept at each step, repeats written, length of an example.
_MAX_EXAMPLES = 8
_MAX_REPEAT_EXAMPLE = 64
_MAX_LENGTH = 512


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


class _Draft:
    """A partial example: text so far, the text of each group it closed, and whether it went
    through the target sentinel."""

    __slots__ = ("groups", "hit", "text")

    def __init__(self, text: str, groups: dict[int, str], hit: bool = False) -> None:
        self.text = text
        self.groups = groups
        self.hit = hit

    def add(self, text: str, hit: bool = False) -> _Draft:
        return _Draft(self.text + text, self.groups, self.hit or hit)


class _Writer:
    """Writes example strings a parsed pattern matches, following the tree ``re`` built.

    *marks* maps sentinel code points (standing in for a loose dot) to the text to write for
    them; drafts that write *target* are marked. With *some*, an optional part is written once
    rather than left out.
    """

    def __init__(self, marks: dict[int, str], *, some: bool, target: int | None = None) -> None:
        self.marks = marks
        self.some = some
        self.target = target

    def sequence(self, items: Iterable[Any], drafts: list[_Draft]) -> list[_Draft]:
        for op, value in items:
            drafts = self.item(str(op), value, drafts)[:_MAX_EXAMPLES]
            drafts = [draft for draft in drafts if len(draft.text) <= _MAX_LENGTH]
            if not drafts:
                break
        return drafts

    def item(self, op: str, value: Any, drafts: list[_Draft]) -> list[_Draft]:
        if op == "LITERAL":
            text = self.marks.get(value, chr(value))
            return [draft.add(text, value == self.target) for draft in drafts]
        if op == "NOT_LITERAL":
            return [draft.add("b" if value == ord("a") else "a") for draft in drafts]
        if op == "ANY":
            return [draft.add("a") for draft in drafts]
        if op == "IN":
            char = _class_char(value)
            return [] if char is None else [draft.add(char) for draft in drafts]
        if op in ("AT", "ASSERT", "ASSERT_NOT"):
            return drafts  # the final fullmatch decides whether the example holds
        if op == "BRANCH":
            branches = value[1]
            if self.target is not None:
                # Only the branches through the target dot: the others cannot prove anything.
                target = {self.target: ""}
                branches = [branch for branch in branches if _holds(branch, target)] or branches
            return [done for branch in branches for done in self.sequence(branch, drafts)]
        if op == "SUBPATTERN":
            return self.group(value[0], value[3], drafts)
        if op == "ATOMIC_GROUP":
            return self.sequence(value, drafts)
        if op in _REPEATS:
            low, high, body = value
            count = low
            if low == 0 and high > 0 and (self.some or _holds(body, self.marks)):
                count = 1
            if count > _MAX_REPEAT_EXAMPLE:
                return []
            for _ in range(count):
                drafts = self.sequence(body, drafts)
            return drafts
        if op == "GROUPREF":
            return [draft.add(draft.groups[value]) for draft in drafts if value in draft.groups]
        if op == "GROUPREF_EXISTS":
            group, yes, no = value
            done: list[_Draft] = []
            for draft in drafts:
                chosen = yes if group in draft.groups else no
                done += self.sequence(chosen or (), [draft])
            return done
        return []

    def group(self, number: int | None, body: Any, drafts: list[_Draft]) -> list[_Draft]:
        done = []
        for draft in drafts:
            for result in self.sequence(body, [draft]):
                if number is not None:
                    groups = dict(result.groups)
                    groups[number] = result.text[len(draft.text) :]
                    result = _Draft(result.text, groups, result.hit)
                done.append(result)
        return done


def _holds(items: Iterable[Any], marks: dict[int, str]) -> bool:
    """Whether a sentinel of *marks* appears anywhere in the parsed *items*."""
    for op, value in items:
        name = str(op)
        if name == "LITERAL" and value in marks:
            return True
        if any(_holds(child, marks) for child in _children(name, value)):
            return True
    return False


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


def _class_char(items: Sequence[Any]) -> str | None:
    """A character the parsed character class *items* accepts, host characters first."""
    negated = bool(items) and str(items[0][0]) == "NEGATE"
    for char in _CLASS_CANDIDATES:
        if _in_class(char, items) != negated:
            return char
    return None


def _in_class(char: str, items: Sequence[Any]) -> bool:
    code = ord(char)
    for op, value in items:
        name = str(op)
        if name == "LITERAL" and value == code:
            return True
        if name == "RANGE" and value[0] <= code <= value[1]:
            return True
        if name == "CATEGORY":
            category = str(value).removeprefix("CATEGORY_")
            test = {
                "DIGIT": char.isdigit(),
                "SPACE": char.isspace(),
                "WORD": char.isalnum() or char == "_",
            }
            if test.get(category):
                return True
            if category.startswith("NOT_") and not test.get(category[4:], True):
                return True
    return False


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


def write_examples(
    pattern: re.Pattern[str],
    source: str,
    marks: dict[int, str],
    *,
    accept: Callable[[str], bool],
    target: int | None = None,
    modes: tuple[bool, ...] = (False, True),
) -> list[str]:
    """Strings *pattern* fullmatches that *accept* takes, written from the parsed *source*
    (*pattern*'s own text, or one ``marked`` from it: its sentinels written as *marks* says,
    and only drafts through *target*, if given). First with the fewest repeats, then with
    optional parts written once (*modes*); lower case under ``re.IGNORECASE``."""
    tree = _PARSER.parse(source, pattern.flags)
    found: list[str] = []
    for some in modes:
        writer = _Writer(marks, some=some, target=target)
        for draft in writer.sequence(tree, [_Draft("", {})]):
            if target is not None and not draft.hit:
                continue
            # Case-insensitive parts (re.I, "(?i)", "(?i:...)") may be written in upper case.
            for text in dict.fromkeys((draft.text.lower(), draft.text)):
                if text not in found and accept(text) and pattern.fullmatch(text):
                    found.append(text)
    return found


def marked(source: str, positions: list[int]) -> tuple[str, list[int]]:
    """*source* with the dot at each of *positions* replaced by a sentinel pair, and the first
    code point of each pair, in the order of *positions*."""
    codes = _sentinel_pairs(source, len(positions))
    text = source
    for index, code in sorted(zip(positions, codes, strict=True), reverse=True):
        text = text[:index] + _pair(code) + text[index + 1 :]
    return text, codes
