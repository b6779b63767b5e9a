"""``CORS`` and ``cross_origin``: how a Flask app, a blueprint or one view declares its policy.

Option names are flask-cors's; the semantics are safer (see the README). Precedence, lowest
first: ``CORS_*`` config < ``CORS(...)`` arguments < ``init_app(...)`` arguments < a
``resources`` rule < a blueprint's ``CORS(bp, ...)`` (outer, then nested) < ``@cross_origin(...)``
on the view. Each level overrides the options it names and inherits the rest.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import replace
from types import MappingProxyType
from typing import Any, TypeVar, cast

from flask import Blueprint, Flask, current_app, request
from flask.sansio.blueprints import BlueprintSetupState
from werkzeug.datastructures import Headers
from werkzeug.wrappers import Response

from crossgate.decide import Decision
from crossgate.errors import ConfigError
from crossgate.flask.edge import (
    answer_preflight,
    apply_decision,
    decide_response,
    install_edge,
    is_preflight,
    request_path,
)
from crossgate.flask.state import VIEW_OPTIONS_ATTRIBUTE, AppState, read_config, validate_declared

__all__ = ["CORS", "cross_origin"]

F = TypeVar("F", bound=Callable[..., Any])


def state_for(app: Flask) -> AppState:
    """The app's crossgate state, created (with the edge installed) on first use."""
    state = app.extensions.get("crossgate")
    if state is None:
        state = app.extensions["crossgate"] = AppState()
        install_edge(app, state)
    return cast(AppState, state)


class CORS:
    """CORS for a whole app, or for one blueprint (and the blueprints nested in it).

    >>> CORS(app, origins=["https://app.example.com"], supports_credentials=True)
    >>> CORS(api, origins="*")                       # a blueprint, before it is registered
    >>> cors = CORS(origins=[...]); cors.init_app(app)  # the application factory

    ``origins`` is required (no default is right for everyone); ``origins=[]`` declares no
    app-wide policy, leaving CORS to ``resources``, blueprints and ``@cross_origin`` views.
    Invalid options raise ``ConfigError`` here, at start-up, listing every problem with its fix.
    """

    def __init__(self, app: Flask | Blueprint | None = None, **options: object) -> None:
        self._options = MappingProxyType(dict(options))
        if app is None:
            validate_declared(options, context="CORS()", allow_resources=True)
        else:
            self.init_app(app)

    def init_app(self, app: Flask | Blueprint, **options: object) -> None:
        """Apply the policy to *app* (a Flask app or a blueprint).

        *options* override the constructor's; for an app, both override its ``CORS_*`` config,
        read now. Raises ``ConfigError`` with every problem of the app's configuration.
        """
        merged = {**self._options, **options}
        if isinstance(app, Blueprint):
            _declare_blueprint(app, merged)
            return
        state = state_for(app)
        if state.app_options is not None:
            raise RuntimeError("CORS is already set up on this app: pass every option in one call")
        config, problems = read_config(app.config)
        app_options = MappingProxyType({**config, **merged})
        try:
            replace(state, app_options=app_options).resolve(app)
        except ConfigError as error:
            problems.extend(error.problems)
        if problems:
            raise ConfigError(problems, context="CORS(app)")
        state.app_options = app_options
        state.resolved = None  # routes may still be added: the edge resolves at the first request


def _declare_blueprint(blueprint: Blueprint, options: dict[str, object]) -> None:
    validate_declared(options, context=f"CORS(blueprint {blueprint.name!r})", allow_resources=False)
    frozen = MappingProxyType(options)

    def on_register(setup: BlueprintSetupState) -> None:
        app = cast(Flask, setup.app)
        state = state_for(app)
        name = f"{setup.name_prefix}.{setup.name}".lstrip(".")
        state.blueprints[name] = (frozen, setup.url_prefix or "")
        state.resolved = None
        if state.app_options is not None:
            state.resolve(app)  # conflicts with the app's options surface now, at start-up

    blueprint.record(on_register)


def cross_origin(**options: object) -> Callable[[F], F]:
    """Give one view its own policy; it wins over the app's and the blueprint's.

    >>> @app.put("/items/<int:id>")
    ... @cross_origin(origins=["http://localhost:3000"], methods=["PUT"])
    ... def update(id): ...

    Options the decorator does not name are inherited from the app and blueprint levels. Works
    without ``CORS(app)``: the view answers the app's very first request, the edge the others.
    """
    validate_declared(options, context="cross_origin()", allow_resources=False)
    frozen = MappingProxyType(dict(options))

    def decorator(view: F) -> F:
        wrapper: Any
        if inspect.iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                entered = _enter()
                if isinstance(entered, Response):
                    return entered
                return _finish(await view(*args, **kwargs), entered)

            wrapper = async_wrapper
        else:

            @functools.wraps(view)
            def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
                entered = _enter()
                if isinstance(entered, Response):
                    return entered
                return _finish(view(*args, **kwargs), entered)

            wrapper = sync_wrapper
        setattr(wrapper, VIEW_OPTIONS_ATTRIBUTE, frozen)
        # The view answers OPTIONS itself: Flask's automatic answer would otherwise reply to a
        # preflight on the one request that can arrive before crossgate's edge exists.
        wrapper.provide_automatic_options = False
        wrapper.required_methods = {"OPTIONS"}
        return cast(F, wrapper)

    return decorator


def _enter() -> Response | Decision | None:
    """Before a decorated view: an answer (Flask's usual one to a non-preflight OPTIONS, or a
    preflight's), the headers to add to the view's response, or None when the edge adds them.

    Only the app's first request can reach the view without the edge having run: the edge is
    installed on first use of crossgate, and here that is now.
    """
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    edge_ran = "crossgate" in app.extensions
    state = state_for(app)
    if edge_ran:
        return app.make_default_options_response() if request.method == "OPTIONS" else None
    resolved = state.resolved = state.resolve(app)
    environ = request.environ
    origin: str | None = environ.get("HTTP_ORIGIN")
    if request.method != "OPTIONS":
        return decide_response(app, resolved, environ, request_path(environ), origin)
    answer = (
        answer_preflight(app, resolved, environ, origin)
        if origin is not None and is_preflight(environ)
        else None
    )
    if answer is None:
        return app.make_default_options_response()
    status, headers, body = answer
    return app.response_class(body, status, headers)


def _finish(result: Any, decision: Decision | None) -> Any:
    if decision is None:
        return result
    response = current_app.make_response(result)
    headers = response.headers.to_wsgi_list()
    apply_decision(headers, decision)
    response.headers = Headers(headers)
    return response
