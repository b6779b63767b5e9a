"""The layer's decisions on the ``flask_cors`` loggers, as flask-cors logs them, escaped."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

import crossgate
import crossgate.compat.flask_cors as compat
from crossgate.compat.flask_cors._log import quiet_by_default

from .differential import ACRM, IMPLEMENTATIONS, ORIGIN, OTHER, CorsModule, Req, make_app, preflight


@pytest.fixture
def flask_cors_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """What a flask-cors user does to see its decisions: the ``flask_cors`` logger at DEBUG."""
    with caplog.at_level(logging.DEBUG, logger="flask_cors"):
        yield caplog


def _messages(caplog: pytest.LogCaptureFixture) -> list[tuple[str, int, str]]:
    return [
        (record.name, record.levelno, record.getMessage())
        for record in caplog.records
        if record.name.startswith("flask_cors")
    ]


def _app(**options: object) -> Flask:
    app = make_app()
    compat.CORS(app, **options)  # type: ignore[arg-type]
    return app


def test_an_allowed_origin_is_logged_with_the_rule_and_the_headers(
    flask_cors_log: pytest.LogCaptureFixture,
) -> None:
    app = _app(resources={r"/api/*": {"origins": [ORIGIN]}})
    flask_cors_log.clear()
    app.test_client().get("/api/items", headers={"Origin": ORIGIN})
    assert _messages(flask_cors_log) == [
        (
            "flask_cors.extension",
            logging.DEBUG,
            "Path '/api/items' is covered by the resources rule '/api/*'",
        ),
        ("flask_cors.core", logging.DEBUG, "Origin 'http://example.com' is allowed"),
        (
            "flask_cors.core",
            logging.DEBUG,
            "CORS headers added: 'Access-Control-Allow-Origin: http://example.com'",
        ),
    ]


def test_a_refused_origin_and_an_uncovered_path_are_logged(
    flask_cors_log: pytest.LogCaptureFixture,
) -> None:
    app = _app(resources={r"/api/*": {"origins": [ORIGIN]}})
    client = app.test_client()
    flask_cors_log.clear()
    client.get("/api/items", headers={"Origin": OTHER})
    assert ("flask_cors.core", logging.DEBUG) in {
        (n, level) for n, level, _ in _messages(flask_cors_log)
    }
    assert "Origin 'https://other.org' is not an allowed origin: no CORS headers" in [
        message for _, _, message in _messages(flask_cors_log)
    ]
    flask_cors_log.clear()
    client.get("/public", headers={"Origin": ORIGIN})
    assert _messages(flask_cors_log) == [
        (
            "flask_cors.extension",
            logging.DEBUG,
            "No resources rule covers '/public': no CORS headers",
        )
    ]


def test_a_refused_preflight_method_is_logged_at_info(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = _app(methods=["GET"])
    with caplog.at_level(logging.INFO, logger="flask_cors"):
        app.test_client().options("/api/items", headers={"Origin": ORIGIN, ACRM: "PUT"})
    assert _messages(caplog) == [
        (
            "flask_cors.core",
            logging.INFO,
            "OPTIONS request whose Access-Control-Request-Method ('PUT') is not among the "
            "allowed methods: no preflight headers",
        )
    ]


def test_decorated_views_log_their_decisions(flask_cors_log: pytest.LogCaptureFixture) -> None:
    app = make_app()

    @app.route("/decorated")
    @compat.cross_origin(origins=[ORIGIN], send_wildcard=False)
    def decorated() -> str:
        return "decorated"

    assert "cross_origin on " in _messages(flask_cors_log)[0][2]
    flask_cors_log.clear()
    app.test_client().get("/decorated")
    assert (
        "flask_cors.core",
        logging.DEBUG,
        "No Origin header: always_send answers 'http://example.com'",
    ) in _messages(flask_cors_log)


def test_request_values_are_escaped_in_the_log(flask_cors_log: pytest.LogCaptureFixture) -> None:
    app = _app(origins=[ORIGIN], methods=["GET"])
    flask_cors_log.clear()
    client = app.test_client()
    # Raw environ values: the test client refuses CR/LF in headers, a WSGI server may not.
    client.get(
        "/api/items",
        environ_overrides={
            "PATH_INFO": "/api/items\r\nforged",
            "HTTP_ORIGIN": "https://a.example\r\nINFO forged line",
        },
    )
    client.options(
        "/api/items",
        environ_overrides={
            "HTTP_ORIGIN": ORIGIN,
            "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PURGE\nforged",
        },
    )
    messages = [message for _, _, message in _messages(flask_cors_log)]
    assert len(messages) >= 5
    for message in messages:
        assert "\r" not in message
        assert "\n" not in message
    assert "Path '/api/items\\r\\nforged' is covered by the resources rule '/*'" in messages
    assert (
        "Origin 'https://a.example\\r\\nINFO forged line' is not an allowed origin: no CORS headers"
    ) in messages
    assert any("('PURGE\\nforged')" in message for message in messages)


def test_importing_the_layer_sets_the_flask_cors_logger_up_as_flask_cors_does() -> None:
    # A fresh interpreter: this one has imported the real flask-cors too.
    code = (
        "import logging, crossgate.compat.flask_cors, sys; "
        "logger = logging.getLogger('flask_cors'); "
        "print(logger.level, [type(h).__name__ for h in logger.handlers]); "
        "assert 'flask_cors' not in sys.modules"
    )
    source_root = str(Path(crossgate.__file__).resolve().parents[1])
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": source_root},
        timeout=60,
        check=True,
    )
    assert done.stdout.split(maxsplit=1) == [str(logging.WARNING), "['NullHandler']\n"]


def test_nothing_is_logged_below_warning_unless_the_user_turns_it_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = _app(origins=[ORIGIN])
    # The root logger at DEBUG, the flask_cors logger at its default level.
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.WARNING, logger="flask_cors"):
        app.test_client().get("/api/items", headers={"Origin": ORIGIN})
        app.test_client().options("/api/items", headers={"Origin": ORIGIN, ACRM: "PURGE"})
    assert _messages(caplog) == []


def test_quiet_by_default_is_what_flask_cors_does_to_its_logger() -> None:
    fresh = logging.Logger("fresh")
    quiet_by_default(fresh)
    quiet_by_default(fresh)
    assert fresh.level == logging.WARNING
    assert [type(handler) for handler in fresh.handlers] == [logging.NullHandler]
    chosen = logging.Logger("chosen", logging.DEBUG)
    quiet_by_default(chosen)
    assert chosen.level == logging.DEBUG


def test_wildcard_answers_and_unanswered_requests_without_origin_are_logged(
    flask_cors_log: pytest.LogCaptureFixture,
) -> None:
    app = _app(resources={"/api/*": {"send_wildcard": True}, "/public": {"always_send": False}})
    client = app.test_client()
    flask_cors_log.clear()
    client.get("/api/items", headers={"Origin": ORIGIN})
    client.get("/public")
    messages = [message for _, _, message in _messages(flask_cors_log)]
    assert (
        "Origin 'http://example.com': every origin is allowed and send_wildcard is on, "
        "so '*' is sent"
    ) in messages
    assert "No Origin header (not a cross-origin request): no CORS headers" in messages


def _levels(
    module: CorsModule, request: Req, caplog: pytest.LogCaptureFixture, hooks: bool
) -> set[tuple[str, int]]:
    app = make_app()
    if hooks:
        # A hook registered first runs last: the layer's edge leaves its hook in place.
        app.after_request(lambda response: response)

    @app.route("/decorated")
    @module.cross_origin(origins=[ORIGIN])
    def decorated() -> str:
        return "decorated"

    module.CORS(app, resources={r"/api/*": {"origins": [ORIGIN], "methods": ["GET"]}})
    caplog.clear()
    request.send(app)
    return {
        (record.name, record.levelno)
        for record in caplog.records
        if record.name.startswith("flask_cors")
    }


@pytest.mark.parametrize(
    "request_",
    [
        Req("allowed", headers={"Origin": ORIGIN}),
        Req("refused", headers={"Origin": OTHER}),
        Req("no-origin"),
        Req("uncovered", path="/public", headers={"Origin": ORIGIN}),
        Req("decorated", path="/decorated", headers={"Origin": ORIGIN}),
        preflight("refused-method", **{ACRM: "PUT"}),
        preflight("allowed-method", **{ACRM: "GET"}),
    ],
    ids=lambda request: request.name,
)
@pytest.mark.parametrize("hooks", [False, True], ids=["edge", "hooks"])
def test_the_same_loggers_and_levels_as_flask_cors(
    request_: Req, hooks: bool, flask_cors_log: pytest.LogCaptureFixture
) -> None:
    expected = _levels(IMPLEMENTATIONS["flask_cors"], request_, flask_cors_log, hooks)
    assert expected
    assert _levels(compat, request_, flask_cors_log, hooks) == expected
