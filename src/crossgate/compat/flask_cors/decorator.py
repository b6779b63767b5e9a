"""``cross_origin``: flask-cors's view decorator, compiled once instead of on every request.

Like flask-cors, a decorated view's options are the defaults, then the app's ``CORS_*`` config,
then the decorator's arguments; the config is the current app's, so it is only known during a
request. flask-cors merges and parses all of it on every request. Here the decorator's own
arguments are checked when it is applied, and the merged policy is compiled on a view's first
request in each app, then reused for as long as the app's ``CORS_*`` values stay the same.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping
from functools import update_wrapper
from types import CodeType, MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar, cast

from flask import Flask, Response, current_app, make_response, request

from crossgate.compat.flask_cors._app import VIEW_ATTRIBUTE, app_state, evaluate
from crossgate.compat.flask_cors._log import decorator_logger
from crossgate.compat.flask_cors._notes import CONFIG_KEYS, Notes, emit
from crossgate.compat.flask_cors._policy import CompatPolicy, check_patterns, compile_policy
from crossgate.compat.flask_cors.core import DEFAULT_OPTIONS
from crossgate.errors import ConfigError, describe

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from crossgate.compat.flask_cors.core import CrossOriginOptionsInput

__all__ = ["cross_origin"]

F = TypeVar("F", bound=Callable[..., Any])

_CONFIG_KEYS = tuple(CONFIG_KEYS)
_CONFIG_OPTIONS = tuple(CONFIG_KEYS.values())


class _Spec:
    """One ``cross_origin(...)`` application: its options and its per-app compiled policies."""

    __slots__ = ("code", "handles_options", "options", "warned")

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.options = MappingProxyType(dict(options))
        #: The decorated view's code: where a warning found at its first request points.
        self.code: CodeType | None = None
        self.handles_options = bool(options.get("automatic_options", True))
        notes = Notes()
        notes.unknown_options(
            options,
            "cross_origin()",
            {**DEFAULT_OPTIONS, **options},
            "the view",
            config_may_change=True,
        )
        # Mistakes in the decorator's own patterns are found now, not on the first request.
        check_patterns(options, notes)
        if notes.problems:
            raise ConfigError(notes.problems, context="cross_origin()")
        self.warned = {str(warning) for warning in notes.warnings}
        emit(notes.warnings)

    def policy_for(self, app: Flask) -> CompatPolicy:
        """The compiled policy in *app*, recompiled only when its ``CORS_*`` config changed."""
        snapshot = tuple(map(app.config.get, _CONFIG_KEYS))
        state = app_state(app)
        cached = state.decorated.get(self)
        if cached is not None and cached[0] == snapshot:
            return cached[1]
        notes = Notes()
        notes.unknown_config_keys(app.config)
        configured = {
            option: value
            for option, value in zip(_CONFIG_OPTIONS, snapshot, strict=True)
            if value is not None
        }
        policy = compile_policy({**DEFAULT_OPTIONS, **configured, **self.options}, notes)
        if policy is None:
            raise ConfigError(notes.problems, context="cross_origin() with app.config")
        if policy.preflight_before_request and not state.answers_preflights_early:
            notes.warnings.append(
                "preflight_before_request on a cross_origin view needs the app to opt in: "
                "CORS(app, preflight_before_request=True) (with resources=[] if the app only "
                "uses decorators), or CORS_PREFLIGHT_BEFORE_REQUEST=True in app.config"
            )
        state.warned.update(self.warned)
        emit(notes.warnings, seen=state.warned, at=self.code)
        state.decorated[self] = (snapshot, policy)
        return policy

    def respond(self, view: Callable[..., Any], is_async: bool, args: Any, kwargs: Any) -> Response:
        """The decorated view's response: *view*'s, or Flask's answer to ``OPTIONS``."""
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        policy = self.policy_for(app)
        if policy.automatic_options and request.method == "OPTIONS":
            return evaluate(app.make_default_options_response(), policy)
        # An async view runs as Flask runs one (Flask's async extra); the wrapper stays sync.
        call = app.ensure_sync(view) if is_async else view
        return evaluate(make_response(call(*args, **kwargs)), policy)

    def early_answer(
        self, app: Flask, *, app_wide: bool, answer: Response | None = None
    ) -> Response | None:
        """The answer to a preflight before ``before_request`` hooks run, if opted in: by this
        view's options (or config), or ``app_wide`` by ``CORS(..., preflight_before_request=True)``.
        *answer* is Flask's answer to ``OPTIONS`` (made here when not given).
        """
        policy = self.policy_for(app)
        if not (self.handles_options and policy.automatic_options):
            return None
        if policy.preflight_before_request or app_wide:
            if answer is None:
                answer = app.make_default_options_response()
            return evaluate(answer, policy)
        return None


def cross_origin(*args: Any, **kwargs: Unpack[CrossOriginOptionsInput]) -> Callable[[F], F]:
    """Give one view its own CORS policy; on its route it wins over ``CORS(app)``.

    >>> @app.route("/items", methods=["GET", "PUT"])
    ... @cross_origin(origins=["https://app.example.com"], supports_credentials=True)
    ... def items(): ...

    The options are flask-cors's (see docs/migration.md); positional arguments are ignored, as
    in flask-cors. With ``automatic_options`` (the default) the view answers ``OPTIONS`` itself.
    ``async def`` views are supported.
    """
    spec = _Spec(kwargs)

    def decorator(view: F) -> F:
        is_async = inspect.iscoroutinefunction(view)
        if spec.code is None:
            spec.code = getattr(inspect.unwrap(view), "__code__", None)

        def wrapped(*args: Any, **kwargs: Any) -> Response:
            return spec.respond(view, is_async, args, kwargs)

        view_function: Any = update_wrapper(wrapped, view)
        if decorator_logger.isEnabledFor(logging.DEBUG):
            decorator_logger.debug(
                "cross_origin on %s with options %s",
                describe(getattr(view, "__qualname__", view)),
                describe(dict(spec.options)),
            )
        if spec.handles_options:
            view_function.required_methods = {*getattr(view, "required_methods", ()), "OPTIONS"}
            view_function.provide_automatic_options = False
        setattr(view_function, VIEW_ATTRIBUTE, spec)
        return cast(F, view_function)

    return decorator
