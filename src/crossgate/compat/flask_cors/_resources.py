"""The ``resources`` option in flask-cors's forms and order, compiled into ``crossgate._paths``.

flask-cors accepts a pattern, a list of patterns, or a dict ``{pattern: options}``; a dict is
sorted once (literal paths, then compiled regexes, then regex-looking strings; within each, more
``/`` first, then longer first: the order that fixed CVE-2024-6839), and the first rule that
covers the path wins. A literal covers exactly its path; a regex covers a path it matches at the
start (``re.match``), so ``r'/api/*'`` also covers ``/apiary``. As ``PathRules``: literals are
exact paths, each regex ``p`` becomes ``(?:p)(?s:.*)``, and a pattern covering every path is the
catch-all, tried last (the regexes after it are never reached).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from crossgate._paths import PathRules
from crossgate.compat.flask_cors._policy import CompatPolicy, probably_regex
from crossgate.errors import Problem

#: A resource's pattern as written, and its policy.
Rules = PathRules[tuple[str, CompatPolicy]]

# Patterns that cover every path: flask-cors's default r"/*" and its spelling of "*".
_EVERY_PATH = frozenset({"/*", ".*", "*"})
# Global inline flags, which Python accepts only at the start of a pattern.
_LEADING_FLAGS = re.compile(r"(?:\(\?[aiLmsux]+\))+")


def resource_pairs(resources: Any, problems: list[Problem]) -> list[tuple[Any, Any]]:
    """``(pattern, options)`` pairs in the order flask-cors tries them."""
    if isinstance(resources, dict):
        return sorted(resources.items(), key=_specificity)
    if isinstance(resources, (str, re.Pattern)):
        return [(resources, {})]
    if isinstance(resources, Iterable):
        return [(pattern, {}) for pattern in resources]
    problems.append(
        Problem(
            "resources",
            resources,
            "is not a path pattern",
            "pass a string, a list, or a dict {pattern: options}",
        )
    )
    return []


def _specificity(pair: tuple[Any, Any]) -> tuple[int, int, int, int]:
    pattern = pair[0]
    if isinstance(pattern, re.Pattern):
        group, text = (1, 0), str(pattern.pattern)
    else:
        text = ".*" if pattern == "*" else str(pattern)
        group = (1, 1) if probably_regex(text) else (0, 0)
    return (*group, -text.count("/"), -len(text))


def pattern_text(pattern: Any) -> str:
    """A resource pattern as written: a compiled regex's pattern, anything else as a string."""
    return str(pattern.pattern) if isinstance(pattern, re.Pattern) else str(pattern)


def _whole_path_regex(pattern: Any, problems: list[Problem]) -> re.Pattern[str] | None:
    """*pattern* (a regex string or a compiled str regex) as a regex that ``fullmatch``es
    exactly the paths ``re.match`` finds it at the start of; ``None`` (with a problem) if
    it is invalid."""
    if isinstance(pattern, re.Pattern):
        text, flags = pattern.pattern, pattern.flags
    else:
        text, flags = pattern, 0
    try:
        flags = re.compile(text, flags).flags  # with the pattern's own inline flags
    except re.error as error:
        message = f"is not a valid regular expression ({error})"
        problems.append(Problem("resources", text, message, "fix or escape it"))
        return None
    body = text[len(leading.group()) :] if (leading := _LEADING_FLAGS.match(text)) else text
    # A verbose pattern's trailing comment would swallow the suffix without the newline.
    end = "\n" if flags & re.VERBOSE else ""
    return re.compile(f"(?:{body}{end})(?s:.*)", flags)


def compile_rules(pairs: Iterable[tuple[Any, CompatPolicy]], problems: list[Problem]) -> Rules:
    """Compile ``(pattern, policy)`` pairs, tried in their order (see the module docstring)."""
    exact: dict[str, tuple[str, CompatPolicy]] = {}
    catch_all: dict[str, tuple[str, CompatPolicy]] = {}
    regexes: list[tuple[re.Pattern[str], tuple[str, CompatPolicy]]] = []
    for pattern, policy in pairs:
        value = (pattern_text(pattern), policy)
        if isinstance(pattern, str) and pattern in _EVERY_PATH:
            catch_all.setdefault("", value)
        elif isinstance(pattern, str) and not probably_regex(pattern):
            # Tried first: a dict puts literals first, and a list's patterns share one policy.
            exact.setdefault(pattern, value)
        elif isinstance(pattern, str) or (
            isinstance(pattern, re.Pattern) and isinstance(pattern.pattern, str)
        ):
            regex = _whole_path_regex(pattern, problems)  # checked even if never reached
            if regex is not None and not catch_all:
                regexes.append((regex, value))
        else:
            message = "is not a path pattern"
            problems.append(Problem("resources", pattern, message, "write a path like '/api/*'"))
    return PathRules(exact, catch_all, tuple(regexes))


def policies(rules: Rules) -> Iterator[CompatPolicy]:
    """Every policy *rules* can answer with."""
    values = [*rules.exact.values(), *rules.subtrees.values()]
    values += [value for _, value in rules.regexes]
    return (policy for _, policy in values)
