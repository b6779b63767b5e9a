"""``CORS`` and ``cross_origin``: how a Flask app, a blueprint or one view declares its policy.

Option names are flask-cors's; the semantics are safer (see the README). Precedence, lowest
first: ``CORS_*`` config < ``CORS(...)`` arguments < ``init_app(...)`` arguments < a
``resources`` rule < a blueprint's ``CORS(bp, ...)`` (outer, then nested) < ``@cross_origin(...)``
on the view. Each level overrides the options it names and inherits the rest.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, cast

from flask import Blueprint, Flask, current_app, request, request_started
from flask.sansio.blueprints import BlueprintSetupState
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from crossgate.decide import Decision
from crossgate.errors import ConfigError
from crossgate.flask.commands import register_commands
from crossgate.flask.edge import (
    answer_preflight,
    apply_decision,
    apply_headers,
    decide_request,
    install_edge,
    is_preflight,
    request_path,
    route_policies,
)
from crossgate.flask.state import VIEW_OPTIONS_ATTRIBUTE, AppState, read_config, validate_declared
from crossgate.headers import HeaderPolicy
from crossgate.options import AppCORSOptions, CORSOptions

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["CORS", "cross_origin", "state_for", "wrap_view"]

F = TypeVar("F", bound=Callable[..., Any])


def state_for(app: Flask) -> AppState:
    """The app's crossgate state, created (with the edge installed) on first use."""
    state = app.extensions.get("crossgate")
    if state is None:
        state = app.extensions["crossgate"] = AppState()
        state.edge = install_edge(app, state)
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

    def __init__(
        self, app: Flask | Blueprint | None = None, **options: Unpack[AppCORSOptions]
    ) -> None:
        self._options: Mapping[str, object] = MappingProxyType(dict(options))
        if app is None:
            validate_declared(options, context="CORS()", allow_resources=True)
        else:
            self.init_app(app)

    def init_app(self, app: Flask | Blueprint, **options: Unpack[AppCORSOptions]) -> None:
        """Apply the policy to *app* (a Flask app or a blueprint).

        *options* override the constructor's; for an app, both override its ``CORS_*`` config,
        read now. Raises ``ConfigError`` with every problem of the app's configuration.
        """
        merged = {**self._options, **options}
        if isinstance(app, Blueprint):
            _declare_blueprint(app, merged)
            return
        state = state_for(app)
        register_commands(app)
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


def cross_origin(**options: Unpack[CORSOptions]) -> Callable[[F], F]:
    """Give one view its own policy; it wins over the app's and the blueprint's.

    >>> @app.put("/items/<int:id>")
    ... @cross_origin(origins=["http://localhost:3000"], methods=["PUT"])
    ... def update(id): ...

    Options the decorator does not name are inherited from the app and blueprint levels. Works
    without ``CORS(app)``: the view answers the app's very first request, the edge the others.
    """
    validate_declared(options, context="cross_origin()", allow_resources=False)
    frozen = MappingProxyType(dict(options))
    request_started.connect(_preflight_before_hooks)  # once: blinker keeps one per receiver

    def decorator(view: F) -> F:
        wrapper = wrap_view(view, answers_options=True)
        setattr(wrapper, VIEW_OPTIONS_ATTRIBUTE, frozen)
        # The view answers OPTIONS itself: Flask's automatic answer would otherwise reply to a
        # preflight on the one request that can arrive before crossgate's edge exists.
        wrapper.provide_automatic_options = False  # type: ignore[attr-defined]
        wrapper.required_methods = {"OPTIONS"}  # type: ignore[attr-defined]
        return wrapper

    return decorator


def wrap_view(view: F, *, answers_options: bool) -> F:
    """Wrap a decorated view so that the app's first request, which can reach it before the
    edge exists, still gets what the edge would have added. From then on the wrapper only
    answers OPTIONS (when *answers_options*: the view's own answer, see ``cross_origin``).
    """
    wrapper: Any
    if inspect.iscoroutinefunction(view):

        @functools.wraps(view)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            entered = _enter(answers_options)
            if isinstance(entered, Response):
                return entered
            result = await view(*args, **kwargs)
            return result if entered is None else _finish(result, entered)

        wrapper = async_wrapper
    else:

        @functools.wraps(view)
        def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
            entered = _enter(answers_options)
            if isinstance(entered, Response):
                return entered
            result = view(*args, **kwargs)
            return result if entered is None else _finish(result, entered)

        wrapper = sync_wrapper
    return cast(F, wrapper)


class _EarlyAnswer(HTTPException):
    """Carries crossgate's answer to a preflight out of Flask's ``request_started`` signal.

    Flask hands an HTTP exception without a code back as it is, and sends this one before any
    ``before_request`` hook has run.
    """


def _preflight_before_hooks(app: Flask, **_: object) -> None:
    """Answer a preflight that is the very first request of an app whose only crossgate use
    is ``@cross_origin``, before its ``before_request`` hooks (an auth check) can see it.

    Every later request meets the edge, which is installed here; an app that called
    ``CORS(app)`` has it from start-up and returns at the first test.
    """
    if "crossgate" in app.extensions or request.method != "OPTIONS":
        return
    environ = request.environ
    origin: str | None = environ.get("HTTP_ORIGIN")
    if origin is None or not is_preflight(environ):
        return
    if not any(hasattr(view, VIEW_OPTIONS_ATTRIBUTE) for view in app.view_functions.values()):
        return  # not an app of crossgate's
    state = state_for(app)
    resolved = state.resolved = state.resolve(app)
    answer = answer_preflight(app, resolved, environ, origin)
    if answer is not None:
        status, headers, body = answer
        raise _EarlyAnswer(response=app.response_class(body, status, headers))


class _FirstRequest(NamedTuple):
    """What the edge would have added to the response of the app's first request."""

    decision: Decision | None
    header_policy: HeaderPolicy | None
    cross_origin_allowed: bool


def _enter(answers_options: bool) -> Response | _FirstRequest | None:
    """Before a decorated view: an answer instead of the view's (Flask's usual one to an
    OPTIONS request), what to add to the view's response, or None when the edge adds it.

    Only the app's first request can reach the view without the edge having run: the edge is
    installed on first use of crossgate, and here that is now (a preflight never gets here: see
    ``_preflight_before_hooks``). With several crossgate decorators on one view, the outermost
    finds no edge and adds everything; the others then find the edge and add nothing.
    """
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    options = answers_options and request.method == "OPTIONS"
    if "crossgate" in app.extensions:
        return app.make_default_options_response() if options else None
    state = state_for(app)
    resolved = state.resolved = state.resolve(app)
    environ = request.environ
    origin: str | None = environ.get("HTTP_ORIGIN")
    path = request_path(environ)
    policy, header_policy = route_policies(app, resolved, environ, path)
    decision = None if policy is None else decide_request(app, policy, environ, path, origin)
    first = _FirstRequest(decision, header_policy, policy is not None)
    if options:
        return cast(Response, _finish(app.make_default_options_response(), first))
    return first


def _finish(result: Any, first: _FirstRequest) -> Any:
    response = current_app.make_response(result)
    headers = response.headers.to_wsgi_list()
    if first.decision is not None:
        apply_decision(headers, first.decision)
    if first.header_policy is not None:
        apply_headers(
            first.header_policy,
            headers,
            request.environ,
            cross_origin_allowed=first.cross_origin_allowed,
        )
    response.headers = Headers(headers)
    return response
