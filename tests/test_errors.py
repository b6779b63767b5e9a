"""ConfigError, Problem and describe(): how configuration mistakes and untrusted values read."""

from __future__ import annotations

import pickle

import pytest

from crossgate.errors import MAX_SHOWN, ConfigError, Problem, describe


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("https://app.example.com", "'https://app.example.com'"),
        ("evil\r\nSet-Cookie: x=y", "'evil\\r\\nSet-Cookie: x=y'"),
        ("bücher\x00", "'b\\xfccher\\x00'"),
        ("it's", '"it\'s"'),
        ('say "it\'s"', "'say \"it\\'s\"'"),
        (42, "42"),
        (["a\nb"], "['a\\nb']"),
        (None, "None"),
    ],
)
def test_describe_escapes_control_and_non_ascii_characters(value: object, shown: str) -> None:
    assert describe(value) == shown


@pytest.mark.parametrize("value", ["x" * 1_000_000, ["x" * 100] * 10_000])
def test_describe_truncates_long_values_and_says_how_much_was_cut(value: object) -> None:
    shown = describe(value)
    assert len(shown) < MAX_SHOWN + 40
    assert shown.endswith("more characters)")
    assert "\n" not in shown


def test_describe_of_a_long_string_counts_the_characters_left_out() -> None:
    assert describe("a" * (MAX_SHOWN + 5)) == "'" + "a" * MAX_SHOWN + "' (+5 more characters)"


def test_a_problem_names_the_option_the_value_and_the_fix() -> None:
    problem = Problem("max_age", -1, "must not be negative", "write max_age=600")
    assert str(problem) == "max_age=-1: must not be negative. Fix: write max_age=600"


def test_config_error_lists_every_problem_on_its_own_line() -> None:
    problems = [
        Problem("origins", "localhost", "has no scheme", "write 'http://localhost:5000'"),
        Problem("methods", "TRACE", "is forbidden", "remove 'TRACE'"),
    ]
    error = ConfigError(problems, context="app")
    lines = str(error).splitlines()
    assert lines[0] == "invalid crossgate configuration (app): 2 problems"
    assert lines[1] == f"  - {problems[0]}"
    assert lines[2] == f"  - {problems[1]}"
    assert error.problems == tuple(problems)
    assert isinstance(error, ValueError)


def test_config_error_with_one_problem_and_no_context() -> None:
    error = ConfigError([Problem("origins", None, "missing", "add it")])
    assert str(error).splitlines()[0] == "invalid crossgate configuration: 1 problem"


def test_a_value_with_line_breaks_cannot_add_lines_to_the_error() -> None:
    error = ConfigError([Problem("origins", "a\r\n  - forged problem", "bad", "fix")])
    assert len(str(error).splitlines()) == 2


def test_config_error_survives_pickling_with_its_problems() -> None:
    error = ConfigError([Problem("origins", "x", "bad", "fix")], context="app")
    copy = pickle.loads(pickle.dumps(error))
    assert copy.problems == error.problems
    assert str(copy) == str(error)
