"""An automaton written back as a regex in the subset PCRE, RE2 and Python read alike.

The proxy export writes this for a regex in ``origins`` instead of the user's text: literal
characters, character classes of literal characters and ranges, non-capturing groups,
alternation and ``*``, nothing else (no escapes like ``\\w``, no flags, no anchors, no lookaround),
so nginx's PCRE and Caddy's RE2 cannot read it otherwise than Python. The language is the
automaton's: the pattern's own, restricted to the characters a serialized origin can hold (the
export matches patterns only against serialized origins). Written by state elimination; a result
longer than :data:`MAX_LENGTH` raises ``TooLarge``.
"""

from __future__ import annotations

from dataclasses import dataclass

from crossgate._regex_automata import Automaton, TooLarge

#: The longest regex written for one pattern.
MAX_LENGTH = 20_000
_SPECIAL = frozenset(".+*?()[]{}|^$\\")
_RANGES = ("abcdefghijklmnopqrstuvwxyz", "0123456789")


@dataclass(frozen=True, slots=True)
class _Re:
    """A regex and how it binds: ``"atom"`` (stands alone before ``*``), ``"seq"``, ``"alt"``,
    or ``"empty"`` (matches only the empty string)."""

    text: str
    kind: str


_EMPTY = _Re("", "empty")


def _char_class(chars: frozenset[str]) -> _Re:
    if len(chars) == 1:
        [char] = chars
        return _Re("\\" + char if char in _SPECIAL else char, "atom")
    parts = []
    rest = set(chars)
    for run in _RANGES:
        present = [char for char in run if char in rest]
        if len(present) >= 3:
            # Contiguous stretches of the run, as ranges.
            start = None
            for index, char in enumerate(run + " "):
                inside = char in rest
                if inside and start is None:
                    start = index
                elif not inside and start is not None:
                    stretch = run[start:index]
                    parts.append(stretch if len(stretch) < 3 else f"{stretch[0]}-{stretch[-1]}")
                    rest -= set(stretch)
                    start = None
    parts += ["\\" + char if char in "[]\\^-" else char for char in sorted(rest)]
    return _Re(f"[{''.join(parts)}]", "atom")


def _group(part: _Re) -> str:
    return part.text if part.kind in ("atom", "empty") else f"(?:{part.text})"


def _concat(*parts: _Re) -> _Re:
    kept = [part for part in parts if part.kind != "empty"]
    if not kept:
        return _EMPTY
    if len(kept) == 1:
        return kept[0]
    return _Re("".join(part.text if part.kind != "alt" else _group(part) for part in kept), "seq")


def _union(first: _Re | None, second: _Re) -> _Re:
    if first is None or first == second:
        return second
    if first.kind == "empty":
        first, second = second, first
    if second.kind == "empty":
        return _Re(f"{_group(first)}?" if first.kind == "atom" else f"(?:{first.text})?", "atom")
    return _Re(f"{first.text}|{second.text}", "alt")


def _star(part: _Re | None) -> _Re:
    if part is None or part.kind == "empty":
        return _EMPTY
    return _Re(f"{_group(part)}*" if part.kind == "atom" else f"(?:{part.text})*", "atom")


def write_regex(machine: Automaton) -> str:
    """A regex matching what *machine* accepts (with ``fullmatch``); ``[^\\s\\S]`` (nothing) for
    a machine that accepts nothing. Raises ``TooLarge`` past :data:`MAX_LENGTH`."""
    count = len(machine.moves)
    start, final = count, count + 1
    edges: dict[tuple[int, int], _Re] = {}
    for state, row in enumerate(machine.moves):
        grouped: dict[int, set[str]] = {}
        for char, target in row.items():
            grouped.setdefault(target, set()).add(char)
        for target, chars in grouped.items():
            edges[(state, target)] = _char_class(frozenset(chars))
    edges[(start, 0)] = _EMPTY
    for state in machine.accepting:
        edges[(state, final)] = _union(edges.get((state, final)), _EMPTY)
    remaining = set(range(count))
    while remaining:
        # The state with the fewest paths through it goes first: the result stays short.
        def paths(state: int) -> int:
            into = sum(1 for (a, b) in edges if b == state and a != state)
            out = sum(1 for (a, b) in edges if a == state and b != state)
            return into * out

        state = min(remaining, key=lambda candidate: (paths(candidate), candidate))
        remaining.discard(state)
        loop = _star(edges.pop((state, state), None))
        into = [(a, edge) for (a, b), edge in edges.items() if b == state]
        out = [(b, edge) for (a, b), edge in edges.items() if a == state]
        for a, _ in into:
            del edges[(a, state)]
        for b, _ in out:
            del edges[(state, b)]
        for a, first in into:
            for b, last in out:
                edges[(a, b)] = _union(edges.get((a, b)), _concat(first, loop, last))
                if len(edges[(a, b)].text) > MAX_LENGTH:
                    raise TooLarge(f"its regex for the proxies would be over {MAX_LENGTH} long")
    found = edges.get((start, final))
    return "[^\\s\\S]" if found is None else found.text
