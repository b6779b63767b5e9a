"""What crossgate reads of Werkzeug's URL rules, all in ``crossgate.flask._routing``.

Werkzeug has no public API for a rule's pieces, parts and converters; the export reads the
private ``Rule._trace``, ``Rule._parts`` and ``Rule._converters``. These tests pin the shape
crossgate relies on, so a Werkzeug release that changes it fails here, saying what to update,
instead of somewhere deep in an export.
"""

from __future__ import annotations

from importlib.metadata import version

import pytest
from flask import Flask
from werkzeug.routing import IntegerConverter, PathConverter, Rule

from crossgate._paths import compile_path_rules
from crossgate.flask._routing import possible_resources, rule_converters, rule_parts, rule_trace

WERKZEUG = version("werkzeug")
UPDATE = "update crossgate/flask/_routing.py (the one place that reads it) for this release"


@pytest.fixture
def rule() -> Rule:
    app = Flask(__name__)

    @app.route("/files/<int:number>/<path:name>")
    def files(number: int, name: str) -> str:
        return name

    return next(rule for rule in app.url_map.iter_rules() if rule.endpoint == "files")


@pytest.mark.parametrize("private", ["_trace", "_parts", "_converters"])
def test_werkzeug_rules_still_have_what_the_export_reads(rule: Rule, private: str) -> None:
    assert hasattr(rule, private), f"Werkzeug {WERKZEUG}'s Rule has no {private}: {UPDATE}"


def test_a_rules_trace_is_its_pieces_after_the_host_marker(rule: Rule) -> None:
    trace = list(rule_trace(rule))
    assert trace[1:] == [
        (False, "/"),
        (False, "files"),
        (False, "/"),
        (True, "number"),
        (False, "/"),
        (True, "name"),
    ], f"Werkzeug {WERKZEUG} changed Rule._trace: {UPDATE}"


def test_a_rules_parts_say_which_are_static_and_how_they_weigh(rule: Rule) -> None:
    parts = list(rule_parts(rule))
    assert all(hasattr(part, "static") and hasattr(part, "weight") for part in parts), (
        f"Werkzeug {WERKZEUG} changed Rule._parts: {UPDATE}"
    )
    assert [part.static for part in parts][-2:] == [False, False]
    # Werkzeug prefers an int over a path: the export orders regex locations the same way.
    assert parts[-2].weight < parts[-1].weight


def test_a_rules_converters_are_by_variable(rule: Rule) -> None:
    converters = rule_converters(rule)
    assert isinstance(converters.get("number"), IntegerConverter), (
        f"Werkzeug {WERKZEUG} changed Rule._converters: {UPDATE}"
    )
    assert isinstance(converters.get("name"), PathConverter)


@pytest.mark.parametrize(
    ("path", "exact", "possible"),
    [
        ("/api/health", True, {1}),
        ("/api/items", True, {2}),
        ("/elsewhere", True, {0}),
        # A rule with variables under /api/: any rule under it may cover its paths.
        ("/api/", False, {1, 2}),
        ("/public/", False, {0}),
    ],
)
def test_the_resource_rules_that_can_cover_a_url_rule(
    path: str, exact: bool, possible: set[int]
) -> None:
    rules, problems = compile_path_rules([("/api/health", 1), ("/api/*", 2)])
    assert problems == []
    assert possible_resources(rules, path, exact) == possible
