"""The ``resources`` option: which request paths get which compiled policy, in flask-cors's order.

flask-cors accepts a pattern, a list of patterns, or a dict ``{pattern: options}``. A dict is
sorted once: literal paths first, then compiled regexes, then regex-looking strings; within each,
more ``/`` first, then longer first (the deterministic order that fixed CVE-2024-6839). The first
rule that covers the path wins.

A literal covers exactly its path (case-sensitive). A regex covers a path when it matches at the
start of it (``re.match``, as in flask-cors): ``r'/api/*'`` covers ``/api``, ``/api/items`` and
also ``/apiary``, ``r'/test_acl*'`` covers ``/test_acl_abort_404``. Regex strings are compiled
case-sensitively; a compiled pattern keeps its own flags.

The path is the one the app routes (``request.path``: decoded once, ``+`` kept, case kept).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from crossgate.compat.flask_cors._policy import CompatPolicy, probably_regex
from crossgate.errors import Problem

__all__ = ["Rules", "compile_rules", "pattern_text", "resource_pairs"]

# Patterns that cover every path: flask-cors's default r"/*" and its spelling of "*".
_EVERY_PATH = frozenset({"/*", ".*"})


def resource_pairs(resources: Any, problems: list[Problem]) -> list[tuple[Any, Any]]:
    """``(pattern, options)`` pairs in the order flask-cors tries them."""
    if isinstance(resources, dict):
        pairs = [(_re_fix(pattern), options) for pattern, options in resources.items()]
        pairs.sort(key=_specificity)
        return pairs
    if isinstance(resources, str):
        return [(_re_fix(resources), {})]
    if isinstance(resources, Iterable):
        return [(_re_fix(pattern), {}) for pattern in resources]
    if isinstance(resources, re.Pattern):
        return [(resources, {})]
    problems.append(
        Problem(
            "resources",
            resources,
            "is not a path pattern",
            "pass a string, a list, or a dict {pattern: options}",
        )
    )
    return []


def _re_fix(pattern: Any) -> Any:
    return ".*" if pattern == "*" else pattern


def _specificity(pair: tuple[Any, Any]) -> tuple[int, int, int, int]:
    pattern = pair[0]
    if isinstance(pattern, re.Pattern):
        text = str(pattern.pattern)
        return (1, 0, -text.count("/"), -len(text))
    text = str(pattern)
    group = (1, 1) if probably_regex(text) else (0, 0)
    return (*group, -text.count("/"), -len(text))


#: Whether a rule covers a path: a match object, ``True`` or ``False``.
PathTest = Callable[[str], object]


def _compile_path(pattern: Any, problems: list[Problem]) -> PathTest | None:
    """The test for one resource pattern; ``None`` (with a problem) if it is invalid."""
    if isinstance(pattern, re.Pattern) and isinstance(pattern.pattern, str):
        return _regex_test(pattern.pattern, pattern.flags, problems)
    if not isinstance(pattern, str):
        problems.append(
            Problem("resources", pattern, "is not a path pattern", "write a path like '/api/*'")
        )
        return None
    if pattern in _EVERY_PATH:
        return _every_path
    if probably_regex(pattern):
        return _regex_test(pattern, 0, problems)
    return pattern.__eq__


def _every_path(path: str) -> bool:
    return True


def _regex_test(text: str, flags: int, problems: list[Problem]) -> PathTest | None:
    try:
        regex = re.compile(text, flags)
    except re.error as error:
        problems.append(
            Problem(
                "resources",
                text,
                f"is not a valid regular expression ({error})",
                "fix or escape it",
            )
        )
        return None
    return regex.match


@dataclass(frozen=True, slots=True)
class Rules:
    """Compiled resources: ``(test, policy)`` in the order they are tried."""

    entries: tuple[tuple[PathTest, CompatPolicy], ...]
    #: Each entry's pattern as the user wrote it (a compiled regex: its pattern), for logs and
    #: ``flask crossgate routes``.
    patterns: tuple[str, ...] = ()

    def lookup(self, path: str) -> CompatPolicy | None:
        """The policy of the first rule that covers *path*."""
        for test, policy in self.entries:
            if test(path):
                return policy
        return None

    def find(self, path: str) -> tuple[str, CompatPolicy] | None:
        """The pattern and the policy of the first rule that covers *path*."""
        for pattern, (test, policy) in zip(self.patterns, self.entries, strict=True):
            if test(path):
                return pattern, policy
        return None


def pattern_text(pattern: Any) -> str:
    """A resource pattern as written: a compiled regex's pattern, anything else as a string."""
    return str(pattern.pattern) if isinstance(pattern, re.Pattern) else str(pattern)


def compile_rules(pairs: Iterable[tuple[Any, CompatPolicy]], problems: list[Problem]) -> Rules:
    """Compile ``(pattern, policy)`` pairs, keeping their order."""
    entries = []
    patterns = []
    for pattern, policy in pairs:
        test = _compile_path(pattern, problems)
        if test is not None:
            entries.append((test, policy))
            patterns.append(pattern_text(pattern))
    return Rules(tuple(entries), tuple(patterns))
