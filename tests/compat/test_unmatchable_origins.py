"""Origins no browser can send, and warnings given once, at the user's line.

flask-cors compares a literal of ``origins`` with the Origin header as a string (ignoring
case), so ``'localhost:3000'`` or ``'http://localhost:3000/'`` silently allows nothing. The
layer serves them as flask-cors does (still nothing), but says so once per origin, with the fix
the native API gives, pointing at the line that wrote it.
"""

from __future__ import annotations

import inspect
import json
import logging
import warnings
from collections.abc import Callable, Iterator

import pytest
from flask import Flask

import crossgate.compat.flask_cors as compat
from crossgate.compat.flask_cors import FlaskCorsCompatWarning

#: What tutorials write, and the fix the native API gives for each.
NEVER_MATCHING = {
    "localhost:3000": "Fix: write 'http://localhost:3000'",
    "http://localhost:3000/": "Fix: write 'http://localhost:3000'",
    "http://localhost:port": "Fix: use a number from 1 to 65535",
    "https://example.com:443": "Fix: write 'https://example.com'",
}


def _app() -> Flask:
    app = Flask("unmatchable")

    @app.get("/api/items")
    def items() -> str:
        return "items"

    return app


@pytest.fixture
def caught() -> Iterator[list[warnings.WarningMessage]]:
    """Every warning, even one Python would print only once per place."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        yield seen


def _compat(seen: list[warnings.WarningMessage]) -> list[warnings.WarningMessage]:
    return [warning for warning in seen if issubclass(warning.category, FlaskCorsCompatWarning)]


def test_each_origin_that_can_never_match_warns_once_at_the_users_line(
    caught: list[warnings.WarningMessage], caplog: pytest.LogCaptureFixture
) -> None:
    app = _app()
    with caplog.at_level(logging.WARNING, "flask_cors.core"):
        # Listed twice (app-wide and in a resource): still one warning per origin.
        compat.CORS(app, origins=list(NEVER_MATCHING), resources={"/api/*": {}, "/other": {}})
        line = test_each_origin_that_can_never_match_warns_once_at_the_users_line.__code__
    found = _compat(caught)
    assert len(found) == len(NEVER_MATCHING)
    for (origin, fix), warning in zip(NEVER_MATCHING.items(), found, strict=True):
        assert repr(origin) in str(warning.message)
        assert fix in str(warning.message)
        assert "never matches" in str(warning.message)
        assert warning.filename == __file__
        assert line.co_firstlineno < warning.lineno
    # The log line says the same, at the same place.
    records = [record for record in caplog.records if record.name == "flask_cors.core"]
    assert [record.getMessage() for record in records] == [str(w.message) for w in found]
    assert {(record.pathname, record.lineno) for record in records} == {(__file__, found[0].lineno)}


def test_an_origin_that_never_matches_is_really_refused(
    caught: list[warnings.WarningMessage],
) -> None:
    app = _app()
    compat.CORS(app, origins=["http://localhost:3000/", "HTTPS://App.Example.com"])
    client = app.test_client()
    refused = client.get("/api/items", headers={"Origin": "http://localhost:3000"})
    assert "Access-Control-Allow-Origin" not in refused.headers
    # Written in another case, an origin still matches (flask-cors ignores case): no warning.
    allowed = client.get("/api/items", headers={"Origin": "https://app.example.com"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    (warning,) = _compat(caught)
    assert "'http://localhost:3000/' has a trailing slash" in str(warning.message)


def test_a_decorator_warns_where_it_is_written_and_not_again_on_the_first_request(
    caught: list[warnings.WarningMessage],
) -> None:
    app = _app()

    @app.get("/decorated")
    @compat.cross_origin(origins=["localhost:3000"])
    def decorated() -> str:
        return "decorated"

    (warning,) = _compat(caught)
    assert warning.filename == __file__
    assert "Fix: write 'http://localhost:3000'" in str(warning.message)
    response = app.test_client().get("/decorated", headers={"Origin": "http://localhost:3000"})
    assert "Access-Control-Allow-Origin" not in response.headers
    assert len(_compat(caught)) == 1


def _cors_then_view(app: Flask) -> Callable[[], object]:
    compat.CORS(app)

    @app.get("/decorated")
    @compat.cross_origin()
    def decorated() -> str:
        return "decorated"

    return decorated


def test_the_cors_headers_warning_is_given_once_and_points_at_the_users_code(
    caught: list[warnings.WarningMessage],
) -> None:
    app = _app()
    app.config["CORS_HEADERS"] = "Content-Type"
    _cors_then_view(app)
    app.test_client().get("/decorated", headers={"Origin": "http://localhost:3000"})
    (warning,) = _compat(caught)
    assert "did you mean 'CORS_ALLOW_HEADERS'" in str(warning.message)
    assert warning.filename == __file__


def test_a_warning_found_on_the_first_request_points_at_the_view(
    caught: list[warnings.WarningMessage],
) -> None:
    app = _app()

    @app.get("/decorated")
    @compat.cross_origin()
    def decorated() -> str:
        return "decorated"

    app.config["CORS_HEADERS"] = "Content-Type"
    client = app.test_client()
    client.get("/decorated", headers={"Origin": "http://localhost:3000"})
    client.get("/decorated", headers={"Origin": "http://localhost:3000"})
    (warning,) = _compat(caught)
    # The view's first line: its first decorator.
    view = inspect.unwrap(decorated).__code__
    assert (warning.filename, warning.lineno) == (__file__, view.co_firstlineno)


def test_routes_marks_the_origins_that_never_match(caught: list[warnings.WarningMessage]) -> None:
    app = _app()
    compat.CORS(app, origins=["localhost:3000", "https://app.example.com"])
    result = app.test_cli_runner().invoke(args=["crossgate", "routes", "--json"])
    assert result.exit_code == 0, result.output
    (row,) = [row for row in json.loads(result.output) if row["rule"] == "/api/items"]
    assert row["cors"]["origins"] == [
        "localhost:3000 (never matches: write 'http://localhost:3000')",
        "https://app.example.com",
    ]
    text = app.test_cli_runner().invoke(args=["crossgate", "routes"]).output
    assert "localhost:3000 (never matches: write 'http://localhost:3000')" in text


def test_a_reading_that_needs_no_fix_stays_quiet_by_default(
    caught: list[warnings.WarningMessage], caplog: pytest.LogCaptureFixture
) -> None:
    # 'http://localhost:*' is read as a port wildcard: noted at INFO, which flask-cors's
    # logger does not show unless asked, and never a warning.
    compat.CORS(_app(), origins=["http://localhost:*"])
    assert _compat(caught) == []
    assert [record for record in caplog.records if record.name == "flask_cors.core"] == []
