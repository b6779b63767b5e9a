"""Path rules for ``resources``: which policy covers which request path."""

from __future__ import annotations

import re

import pytest

from crossgate._paths import PathRules, compile_path_rules


def rules(*pairs: tuple[object, str]) -> PathRules[str]:
    compiled, problems = compile_path_rules(pairs)
    assert problems == []
    return compiled


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        ("/api/health", "exact"),
        ("/api/users", "api"),
        ("/api", "api"),
        ("/api/", "api"),
        ("/api/v2/users/7", "api-v2"),
        ("/api/v2", "api-v2"),
        ("/api/v20", "api"),
        ("/apiary", "catch-all"),
        ("/reports/2026.csv", "regex-csv"),
        ("/reports/2026.pdf", "regex-reports"),
        ("/", "catch-all"),
        ("/API/users", "catch-all"),
        ("/api/a+b", "api"),
    ],
)
def test_the_most_specific_rule_wins(path: str, rule: str) -> None:
    compiled = rules(
        ("/*", "catch-all"),
        (re.compile(r"/reports/.*\.csv"), "regex-csv"),
        (re.compile(r"/reports/.*"), "regex-reports"),
        ("/api/*", "api"),
        ("/api/v2/*", "api-v2"),
        ("/api/health", "exact"),
    )
    assert compiled.lookup(path) == rule


def test_a_subtree_stops_at_a_segment_boundary() -> None:
    compiled = rules(("/api/*", "api"))
    assert compiled.lookup("/api") == "api"
    assert compiled.lookup("/api/x/y") == "api"
    assert compiled.lookup("/apiary") is None
    assert compiled.lookup("/ap") is None
    assert compiled.lookup("") is None


def test_exact_paths_are_exact_and_case_sensitive() -> None:
    compiled = rules(("/api/x", "x"))
    assert compiled.lookup("/api/x") == "x"
    assert compiled.lookup("/API/x") is None
    assert compiled.lookup("/api/x/") is None
    assert compiled.lookup("/api/x/y") is None


def test_a_regex_must_match_the_whole_path() -> None:
    compiled = rules((re.compile(r"/api/\d+"), "numbered"))
    assert compiled.lookup("/api/42") == "numbered"
    assert compiled.lookup("/api/42/delete") is None
    assert compiled.lookup("/v1/api/42") is None


def test_regexes_are_tried_in_the_order_given() -> None:
    compiled = rules((re.compile(r"/a/.*"), "first"), (re.compile(r"/a/b"), "second"))
    assert compiled.lookup("/a/b") == "first"


def test_of_identical_patterns_the_first_wins() -> None:
    compiled = rules(("/api/*", "first"), ("/api/*", "second"), ("/x", "one"), ("/x", "two"))
    assert compiled.lookup("/api/y") == "first"
    assert compiled.lookup("/x") == "one"


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        ("/public/../api/x", "public"),
        ("/public/%2e%2e/api/x", "public"),
        ("/api/a b", "api"),
        ("/api/a+b", "api-plus"),
        ("/api/a%2Bb", "api"),
    ],
)
def test_paths_are_compared_as_routed_never_resolved(path: str, rule: str) -> None:
    """The adapter passes the path Flask routes on; no '..' is resolved, '+' stays '+'."""
    compiled = rules(("/public/*", "public"), ("/api/*", "api"), ("/api/a+b", "api-plus"))
    assert compiled.lookup(path) == rule


def test_empty_rules_are_false_and_find_nothing() -> None:
    empty: PathRules[str] = PathRules()
    assert not empty
    assert empty.lookup("/anything") is None
    assert rules(("/x", "x"))
    assert rules(("/x/*", "x"))
    assert rules((re.compile("/x"), "x"))


@pytest.mark.parametrize(
    ("pattern", "message", "fix"),
    [
        ("api/*", "does not start with '/'", "write '/api/*'"),
        ("", "does not start with '/'", "write '/'"),
        ("*", "does not start with '/'", "write '/*'"),
        ("/api*", "neither an exact path nor a '/prefix/*' subtree", "re.compile(...)"),
        ("/api/*/users", "neither an exact path", "write '/prefix/*'"),
        ("/api/v[12]/*", "neither an exact path", "re.compile(...)"),
        ("/users/<int:id>", "neither an exact path", "re.compile(...)"),
        ("^/api/.*$", "neither an exact path", "re.compile(...)"),
        ("api*", "neither an exact path", "re.compile(...)"),
        ("/api/(x|y)", "neither an exact path", "re.compile(...)"),
        ("/api//*", "empty segment", "write '/api/*'"),
        ("//x", "empty segment", "write '/x'"),
        (5, "is not a path", "'/api/*'"),
        (re.compile(b"/api"), "is not a path", "'/api/*'"),
    ],
)
def test_invalid_patterns_are_refused_with_the_fix(pattern: object, message: str, fix: str) -> None:
    compiled, problems = compile_path_rules([(pattern, "x"), ("/ok", "ok")], option="url_prefix")
    [problem] = problems
    assert problem.option == "url_prefix"
    assert problem.value == pattern
    assert message in problem.message
    assert fix in problem.fix
    assert compiled.lookup("/ok") == "ok"
