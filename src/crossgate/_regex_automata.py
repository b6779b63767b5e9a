"""A compiled regex as a finite automaton, read exactly as ``re`` reads it.

Knows regular expressions and nothing about origins; ``crossgate._origin_language`` decides
what an automaton admits. The front end is Python's own regex parser (``re._parser`` since 3.11,
``sre_parse`` before), so groups, alternations, inline and scoped flags, verbose whitespace and
comments mean exactly what they mean to ``re``. Which characters one node matches is asked of
``re`` itself: each character node is compiled alone, with the flags in force where it stands,
and tried on every character of :data:`ALPHABET`. The automaton only reads that alphabet (every
character a serialized origin can hold), so its language is the pattern's language restricted to
strings over the alphabet, which is all that is ever matched against an origin.

What a finite automaton cannot hold exactly is refused by name (:class:`Unsupported`):
lookarounds, word boundaries, backreferences, conditionals, atomic groups and possessive repeats.
So is a class that Python reads differently from PCRE and RE2 (``[[:alnum:]]``, ``[a--b]``:
Python warns about them). An automaton larger than :data:`MAX_STATES` is refused too
(:class:`TooLarge`), so a hostile pattern costs a bounded time at start-up.
"""

from __future__ import annotations

import importlib
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

try:
    _PARSER: Any = importlib.import_module("re._parser")
    _COMPILER: Any = importlib.import_module("re._compiler")
except ImportError:  # pragma: no cover - Python 3.10
    _PARSER = importlib.import_module("sre_parse")
    _COMPILER = importlib.import_module("sre_compile")

#: Every character a serialized origin can hold (``scheme://host:port``, an IPv6 host in
#: brackets).
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-._:/+[]"
#: The most states the deterministic automaton of one pattern may have.
MAX_STATES = 2000
#: The most states its nondeterministic automaton may have (repeats written out).
MAX_NFA_STATES = 20000

_CHARACTER_NODES = frozenset({"LITERAL", "NOT_LITERAL", "ANY", "IN"})
_REPEATS = frozenset({"MAX_REPEAT", "MIN_REPEAT"})
#: The constructs no finite automaton holds exactly (nor RE2, so no proxy runs them), by opcode.
REFUSED_CONSTRUCTS = {
    "ASSERT": "a lookahead or lookbehind",
    "ASSERT_NOT": "a negative lookahead or lookbehind",
    "GROUPREF": "a backreference",
    "GROUPREF_EXISTS": "a conditional group",
    "ATOMIC_GROUP": "an atomic group",
    "POSSESSIVE_REPEAT": "a possessive repeat",
}
_START = frozenset({"AT_BEGINNING", "AT_BEGINNING_STRING", "AT_BEGINNING_LINE"})
_END = frozenset({"AT_END", "AT_END_STRING", "AT_END_LINE"})
# Kinds of empty move: always, only at the start of the string, only at its end.
_FREE, _AT_START, _AT_END = 0, 1, 2


class Unsupported(ValueError):
    """A construct no finite automaton holds exactly, or that engines read differently."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class TooLarge(ValueError):
    """The automaton would exceed :data:`MAX_STATES` (or :data:`MAX_NFA_STATES`)."""


@dataclass(frozen=True, slots=True)
class Automaton:
    """A deterministic automaton over :data:`ALPHABET`: state 0 starts; ``moves[state]`` maps
    a character to the next state (a missing character fails the match)."""

    moves: tuple[dict[str, int], ...]
    accepting: frozenset[int]

    def run(self, text: str, state: int = 0) -> int | None:
        """The state after reading *text* from *state*, or ``None`` if the match failed."""
        for char in text:
            found = self.moves[state].get(char)
            if found is None:
                return None
            state = found
        return state

    def accepts(self, text: str) -> bool:
        return self.run(text) in self.accepting


def parse(pattern: re.Pattern[str]) -> Any:
    """Python's parse tree of *pattern*; :class:`Unsupported` for a class Python warns about
    (a POSIX bracket look-alike, a set operation to come)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tree = _PARSER.parse(pattern.pattern, pattern.flags)
    for warning in caught:
        if issubclass(warning.category, FutureWarning):
            raise Unsupported(
                f"a character class Python reads differently from PCRE and RE2 ({warning.message})"
            )
    return tree


class _Builder:
    """Thompson's construction over the parse tree, character sets asked of ``re``."""

    def __init__(self) -> None:
        self.moves: list[list[tuple[frozenset[str], int]]] = []
        self.empty: list[list[tuple[int, int]]] = []
        self.sets: dict[tuple[str, int], frozenset[str]] = {}

    def state(self) -> int:
        if len(self.moves) >= MAX_NFA_STATES:
            raise TooLarge(f"its automaton would have more than {MAX_NFA_STATES} states")
        self.moves.append([])
        self.empty.append([])
        return len(self.moves) - 1

    def chars(self, node: tuple[Any, Any], flags: int) -> frozenset[str]:
        key = (repr(node), flags)
        found = self.sets.get(key)
        if found is None:
            state = _PARSER.State()
            state.flags = flags
            single = _COMPILER.compile(_PARSER.SubPattern(state, [node]), flags)
            found = frozenset(char for char in ALPHABET if single.fullmatch(char))
            self.sets[key] = found
        return found

    def sequence(self, items: Iterable[Any], start: int, flags: int) -> int:
        for op, value in items:
            start = self.item(str(op), value, start, flags)
        return start

    def item(self, op: str, value: Any, start: int, flags: int) -> int:
        if op in _CHARACTER_NODES:
            end = self.state()
            chars = self.chars((getattr(_PARSER, op), value), flags)
            if chars:
                self.moves[start].append((chars, end))
            return end
        if op in REFUSED_CONSTRUCTS:
            raise Unsupported(REFUSED_CONSTRUCTS[op])
        if op == "AT":
            where = str(value)
            if where not in _START | _END:
                raise Unsupported(r"a word boundary (\b or \B)")
            end = self.state()
            self.empty[start].append((end, _AT_START if where in _START else _AT_END))
            return end
        if op == "SUBPATTERN":
            _, add, remove, body = value
            return self.sequence(body, start, (flags | add) & ~remove)
        if op == "BRANCH":
            end = self.state()
            for branch in value[1]:
                entry = self.state()
                self.empty[start].append((entry, _FREE))
                self.empty[self.sequence(branch, entry, flags)].append((end, _FREE))
            return end
        if op in _REPEATS:
            return self.repeat(value, start, flags)
        raise Unsupported(f"the construct {op}")  # pragma: no cover - every opcode is above

    def repeat(self, value: Any, start: int, flags: int) -> int:
        low, high, body = value
        for _ in range(low):
            start = self.sequence(body, start, flags)
        if high == _PARSER.MAXREPEAT:
            # A fresh state for the loop: looping back to *start* itself would also reach the
            # empty moves *start* already has (an enclosing optional group's skip), accepting
            # what re does not ('(:*a)?' would match ':').
            loop = self.state()
            self.empty[start].append((loop, _FREE))
            self.empty[self.sequence(body, loop, flags)].append((loop, _FREE))
            return loop
        end = self.state()
        for _ in range(high - low):
            self.empty[start].append((end, _FREE))
            start = self.sequence(body, start, flags)
        self.empty[start].append((end, _FREE))
        return end


def _closure(
    builder: _Builder, states: Iterable[tuple[int, bool]], at_start: bool
) -> frozenset[tuple[int, bool]]:
    """Every (state, ended) reachable by empty moves. An ``ended`` state is past a ``$``: it
    can only accept, never read."""
    seen = set(states)
    stack = list(seen)
    while stack:
        state, ended = stack.pop()
        for target, kind in builder.empty[state]:
            if kind == _AT_START and not at_start:
                continue
            found = (target, ended or kind == _AT_END)
            if found not in seen:
                seen.add(found)
                stack.append(found)
    return frozenset(seen)


def automaton(pattern: re.Pattern[str]) -> Automaton:
    """The deterministic automaton of *pattern* (matched with ``fullmatch``) over
    :data:`ALPHABET`. Raises :class:`Unsupported` or :class:`TooLarge`."""
    tree = parse(pattern)
    builder = _Builder()
    start = builder.state()
    final = builder.sequence(tree, start, pattern.flags)
    first = _closure(builder, [(start, False)], at_start=True)
    ids = {first: 0}
    order = [first]
    moves: list[dict[str, int]] = []
    accepting = set()
    for index, current in enumerate(order):
        if any(state == final for state, _ in current):
            accepting.add(index)
        targets: dict[str, set[tuple[int, bool]]] = {}
        for state, ended in current:
            if ended:
                continue
            for chars, target in builder.moves[state]:
                for char in chars:
                    targets.setdefault(char, set()).add((target, False))
        row: dict[str, int] = {}
        made: dict[frozenset[tuple[int, bool]], frozenset[tuple[int, bool]]] = {}
        for char, found in targets.items():
            key = frozenset(found)
            closed = made.get(key)
            if closed is None:
                closed = made[key] = _closure(builder, key, at_start=False)
            if closed not in ids:
                if len(order) >= MAX_STATES:
                    raise TooLarge(f"its automaton would have more than {MAX_STATES} states")
                ids[closed] = len(order)
                order.append(closed)
            row[char] = ids[closed]
        moves.append(row)
    return Automaton(tuple(moves), frozenset(accepting))
