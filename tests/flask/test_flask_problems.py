"""Mistakes explain themselves, all at once (issue 10, items 7 and 8)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from crossgate.errors import ConfigError
from crossgate.flask import CORS, cross_origin, headers


def test_the_seed_style_app_gets_every_problem_in_one_round(app: Flask) -> None:
    app.config["CORS_HEADERS"] = "Content-Type"
    options: dict[str, Any] = {"origin": "localhost", "headers": "Content-Type"}
    with pytest.raises(ConfigError) as caught:
        CORS(app, **options)
    reported = [(problem.option, problem.value) for problem in caught.value.problems]
    assert reported == [
        ("CORS_HEADERS", "Content-Type"),
        ("origin (in app)", "localhost"),
        ("origin (read as origins) (in app)", "localhost"),
        ("headers (in app)", "Content-Type"),
    ]
    message = str(caught.value)
    assert "did you mean 'origins'?" in message
    assert "write 'http://localhost:5000'" in message
    assert "did you mean 'allow_headers'?" in message
    # origins is not reported missing: the misspelt name meant it.
    assert "no origins were given" not in message


def test_missing_origins_is_reported_with_the_other_problems(app: Flask) -> None:
    with pytest.raises(ConfigError) as caught:
        CORS(app, methods=["TRACE"], max_age=-1)
    options = [problem.option for problem in caught.value.problems]
    assert options == ["methods (in app)", "max_age (in app)", "origins (in app)"]


def test_a_decorator_reports_its_misspelt_values_too() -> None:
    options: dict[str, Any] = {"origin": "localhost:3000", "support_credentials": "yes"}
    with pytest.raises(ConfigError) as caught:
        cross_origin(**options)
    message = str(caught.value)
    assert "did you mean 'origins'?" in message
    assert "write 'http://localhost:3000'" in message
    assert "did you mean 'supports_credentials'?" in message
    assert "must be True or False" in message


def test_headers_decorator_answers_a_misspelt_option_like_the_extension() -> None:
    options: dict[str, Any] = {"presets": "web"}
    with pytest.raises(ConfigError, match="presets='web': is not an option of Headers"):
        headers({"X-Robots-Tag": "noindex"}, **options)
