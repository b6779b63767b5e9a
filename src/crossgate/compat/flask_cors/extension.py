"""``CORS``: flask-cors's extension, with every option compiled once, at ``init_app``.

Precedence, lowest first, as in flask-cors: the defaults, ``app.config["CORS_*"]`` (read once,
here), the ``CORS(...)`` arguments, the ``init_app(...)`` arguments, a resource's own dict. Each
call adds one ``after_request`` hook (on the app or the blueprint given), so two calls act as a
union; a response that already carries ``Access-Control-Allow-Origin``, or that a
``cross_origin`` view evaluated, is left alone. Where nothing could tell the difference, the
hook only decides and the app's native edge writes the answer (``_app.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, Response
from flask.sansio.blueprints import BlueprintSetupState

from crossgate.compat.flask_cors._app import Registration, app_state, install
from crossgate.compat.flask_cors._log import extension_logger
from crossgate.compat.flask_cors._notes import Notes, config_options, emit
from crossgate.compat.flask_cors._policy import CompatPolicy, compile_policy
from crossgate.compat.flask_cors._resources import compile_rules, pattern_text, resource_pairs
from crossgate.compat.flask_cors.core import DEFAULT_OPTIONS
from crossgate.errors import ConfigError, Problem, describe
from crossgate.flask._commands import register_commands

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from crossgate.compat.flask_cors.core import CorsOptionsInput

__all__ = ["CORS"]


class CORS:
    """Cross-origin resource sharing for a Flask app or a blueprint, flask-cors style.

    >>> CORS(app)                                          # every route, every origin
    >>> CORS(app, resources={r"/api/*": {"origins": ["https://app.example.com"]}})
    >>> cors = CORS(supports_credentials=True); cors.init_app(app)   # application factory

    Options are flask-cors 6.0.5's (see docs/migration.md for each, and for where crossgate
    deliberately differs). Invalid patterns raise ``ValueError`` (a ``ConfigError``, listing
    every problem) here, at start-up; unknown options and risky combinations warn with
    ``FlaskCorsCompatWarning``.
    """

    def __init__(
        self, app: Flask | Blueprint | None = None, **kwargs: Unpack[CorsOptionsInput]
    ) -> None:
        self._options: Mapping[str, Any] = dict(kwargs)
        if app is not None:
            self.init_app(app, **kwargs)

    def init_app(self, app: Flask | Blueprint, **kwargs: Unpack[CorsOptionsInput]) -> None:
        """Apply CORS to *app* (a Flask app or a blueprint); *kwargs* override the constructor's."""
        notes = Notes()
        config = getattr(app, "config", None)
        configured: dict[str, Any] = {}
        if config is not None:
            notes.unknown_config_keys(config)
            configured = config_options(config)
        given = {**self._options, **kwargs}
        merged = {**DEFAULT_OPTIONS, **configured, **given}
        subject = "the app" if isinstance(app, Flask) else f"blueprint {describe(app.name)}"
        notes.unknown_options(given, "CORS()", merged, subject)
        # The app-wide options must be valid even if every resource overrides them (as in
        # flask-cors); their warnings are left to the resources that actually use them.
        base = compile_policy(merged, Notes(problems=notes.problems))
        compiled: list[tuple[Any, CompatPolicy]] = []
        for pattern, options in resource_pairs(merged["resources"], notes.problems):
            if not isinstance(options, Mapping):
                notes.problems.append(
                    Problem(
                        "resources",
                        options,
                        f"the options of {describe(pattern)} are not a dict",
                        "write {pattern: {...}}",
                    )
                )
                continue
            resource = {**merged, **options}
            notes.unknown_options(
                options,
                f"resources[{describe(pattern)}]",
                resource,
                f"resource {describe(pattern)}",
            )
            policy = compile_policy(resource, notes)
            if policy is not None:
                compiled.append((pattern, policy))
        rules = compile_rules(compiled, notes.problems)
        if notes.problems or base is None:
            unique = {str(problem): problem for problem in notes.problems}
            raise ConfigError(unique.values(), context="flask-cors compatibility")
        emit(notes.warnings, seen=app_state(app).warned if isinstance(app, Flask) else None)
        if extension_logger.isEnabledFor(logging.DEBUG):
            extension_logger.debug(
                "CORS on %s with resources %s",
                describe(app.name),
                describe([pattern_text(pattern) for pattern, _ in compiled]),
            )

        registration = Registration(rules, base.intercept_exceptions, base.preflight_before_request)
        early = base.preflight_before_request or any(
            policy.preflight_before_request for _, policy in compiled
        )
        app.after_request(registration.after_request)
        if isinstance(app, Flask):
            register_commands(app)
            install(app, early_preflights=early).registrations.append((None, registration))
            if base.intercept_exceptions:
                _intercept_exceptions(app, registration)
        else:

            def on_register(setup: BlueprintSetupState) -> None:
                name = f"{setup.name_prefix}.{setup.name}".lstrip(".")
                assert isinstance(setup.app, Flask)
                register_commands(setup.app)
                state = install(setup.app, early_preflights=early)
                state.registrations.append((name, registration))

            app.record(on_register)


def _intercept_exceptions(app: Flask, registration: Registration) -> None:
    """flask-cors's ``intercept_exceptions``: error responses get this call's headers first."""
    app_any: Any = app

    def with_cors(handler: Callable[..., Any]) -> Callable[..., Response]:
        def wrapped(*args: Any, **kwargs: Any) -> Response:
            return registration.add(app.make_response(handler(*args, **kwargs)))

        return wrapped

    app_any.handle_exception = with_cors(app_any.handle_exception)
    app_any.handle_user_exception = with_cors(app_any.handle_user_exception)
