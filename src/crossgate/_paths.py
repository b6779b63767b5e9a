"""Path rules for the ``resources`` option: which request paths a policy covers.

Three forms, chosen explicitly (no guessing whether a string is a regular expression):

- an exact path: ``"/api/health"``;
- a subtree: ``"/api/*"`` covers ``/api`` and everything below it, at a segment boundary (not
  ``/apiary``); ``"/*"`` covers every path;
- a compiled ``re.Pattern``, matched with ``fullmatch`` against the path.

Paths are compared as the application routes them (WSGI ``PATH_INFO``: percent-decoded once,
``+`` kept, case-sensitive, ``..`` not resolved). The most specific rule wins: an exact path,
then the longest subtree, then the regular expressions in the order given, then ``"/*"``; of
identical patterns, the first wins. A look-up costs a few dictionary probes per path segment,
whatever the number of exact and subtree rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from crossgate.errors import Problem

T = TypeVar("T")

_REGEX_LOOKING = re.compile(r"[\\^$()\[\]{}?|<>]|\*(?!\Z)|[^/]\*\Z")


@dataclass(frozen=True, slots=True)
class PathRules(Generic[T]):
    """Compiled path rules, each carrying a value (a policy, a blueprint's policy...)."""

    exact: dict[str, T] = field(default_factory=dict)
    subtrees: dict[str, T] = field(default_factory=dict)
    regexes: tuple[tuple[re.Pattern[str], T], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.exact or self.subtrees or self.regexes)

    def lookup(self, path: str) -> T | None:
        """The value of the most specific rule covering *path*, or ``None``."""
        found = self.exact.get(path)
        if found is not None:
            return found
        if self.subtrees:
            prefix = path
            while prefix:
                found = self.subtrees.get(prefix)
                if found is not None:
                    return found
                prefix = prefix.rpartition("/")[0]
        for regex, value in self.regexes:
            if regex.fullmatch(path):
                return value
        # The catch-all "/*" is the least specific rule of all, below any regular expression.
        return self.subtrees.get("")


def compile_path_rules(
    rules: Iterable[tuple[object, T]], *, option: str = "resources"
) -> tuple[PathRules[T], list[Problem]]:
    """Compile ``(pattern, value)`` pairs; returns the rules and every problem found."""
    exact: dict[str, T] = {}
    subtrees: dict[str, T] = {}
    regexes: list[tuple[re.Pattern[str], T]] = []
    problems: list[Problem] = []
    for pattern, value in rules:
        if isinstance(pattern, re.Pattern) and isinstance(pattern.pattern, str):
            regexes.append((pattern, value))
        elif not isinstance(pattern, str):
            problems.append(Problem(option, pattern, "is not a path", "write a path like '/api/*'"))
        elif _REGEX_LOOKING.search(pattern):
            problems.append(
                Problem(
                    option,
                    pattern,
                    "is neither an exact path nor a '/prefix/*' subtree",
                    "write '/prefix/*' for a subtree, or pass re.compile(...) for a "
                    "regular expression",
                )
            )
        elif not pattern.startswith("/"):
            problems.append(
                Problem(option, pattern, "does not start with '/'", f"write {'/' + pattern!r}")
            )
        elif "//" in pattern:
            problems.append(
                Problem(
                    option,
                    pattern,
                    "has an empty segment, which no routed path has",
                    f"write {re.sub('/{2,}', '/', pattern)!r}",
                )
            )
        elif pattern.endswith("/*"):
            subtrees.setdefault(pattern[:-2], value)
        else:
            exact.setdefault(pattern, value)
    return PathRules(exact, subtrees, tuple(regexes)), problems
