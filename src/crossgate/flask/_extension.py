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
from typing import TYPE_CHECKING, Any, TypeVar, cast

from flask import Blueprint, Flask, after_this_request, request, request_started
from flask.sansio.blueprints import BlueprintSetupState
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from crossgate._callsite import declaration_site
from crossgate._options import AppCORSOptions, CORSOptions
from crossgate.errors import ConfigError, Problem
from crossgate.flask import _edge as edge
from crossgate.flask._commands import register_commands
from crossgate.flask._state import (
    VIEW_OPTIONS_ATTRIBUTE,
    AppState,
    Declared,
    has_decorated_views,
    read_config,
    validate_declared,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

F = TypeVar("F", bound=Callable[..., Any])


def state_for(app: Flask) -> AppState:
    """The app's crossgate state, created (with the edge installed) on first use."""
    state = app.extensions.get("crossgate")
    if state is None:
        state = app.extensions["crossgate"] = AppState()
        state.edge = edge.install_edge(app, state)
    return cast(AppState, state)


def on_blueprint_registered(
    blueprint: Blueprint, declare: Callable[[Flask, AppState, str, str], None], caller: str
) -> None:
    """Call ``declare(app, state, name, url_prefix)`` each time *blueprint* is registered on
    an app, with its dotted name as registered (nested in another blueprint, renamed) and its
    URL prefix; the app then resolves its policies afresh at its first request. *caller*
    (``CORS``, ``Headers``) names the call in the error for a blueprint registered already."""

    def on_register(setup: BlueprintSetupState) -> None:
        app = cast(Flask, setup.app)
        state = state_for(app)
        state.resolved = None
        name = f"{setup.name_prefix}.{setup.name}".lstrip(".")
        declare(app, state, name, setup.url_prefix or "")

    try:
        blueprint.record(on_register)
    except AssertionError:  # Flask: a blueprint takes no setup once it is registered
        problem = Problem(
            "blueprint",
            blueprint.name,
            "is registered on an app already, so this policy would never apply to it",
            f"call {caller}({blueprint.name}, ...) before app.register_blueprint({blueprint.name})",
        )
        raise ConfigError([problem], context=f"{caller}(blueprint {blueprint.name!r})") from None


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
        app_options = Declared({**config, **merged}, declaration_site())
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
    frozen = Declared(options, declaration_site())

    def declare(app: Flask, state: AppState, name: str, url_prefix: str) -> None:
        state.blueprints[name] = (frozen, url_prefix)
        if state.app_options is not None:
            state.resolve(app)  # conflicts with the app's options surface now, at start-up

    on_blueprint_registered(blueprint, declare, "CORS")


def cross_origin(**options: Unpack[CORSOptions]) -> Callable[[F], F]:
    """Give one view its own policy; it wins over the app's and the blueprint's.

    >>> @app.put("/items/<int:id>")
    ... @cross_origin(origins=["http://localhost:3000"], methods=["PUT"])
    ... def update(id): ...

    Options the decorator does not name are inherited from the app and blueprint levels. Works
    without ``CORS(app)``: crossgate meets the app at its first request (see ``wrap_view``).
    """
    validate_declared(options, context="cross_origin()", allow_resources=False)
    frozen = Declared(options, declaration_site())

    def decorator(view: F) -> F:
        wrapper = wrap_view(view)
        setattr(wrapper, VIEW_OPTIONS_ATTRIBUTE, frozen)
        return wrapper

    return decorator


def wrap_view(view: F) -> F:
    """A wrapper of *view* to carry a crossgate decorator's policy (one wrapper per use, so the
    same function can be decorated differently for two routes).

    An app whose only crossgate use is a decorator has no edge until its first request: that
    request is met by ``_first_request``, which Flask calls before any ``before_request`` hook.
    """
    request_started.connect(_first_request)  # once: blinker keeps one connection per receiver
    wrapper: Any
    if inspect.iscoroutinefunction(view):

        @functools.wraps(view)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            return await view(*args, **kwargs)

        wrapper = async_wrapper
    else:

        @functools.wraps(view)
        def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
            return view(*args, **kwargs)

        wrapper = sync_wrapper
    return cast(F, wrapper)


#: Set in ``app.extensions`` once an app's first request found no crossgate decorator.
_NOT_DECORATED = "crossgate.not_decorated"


class _EarlyAnswer(HTTPException):
    """Carries crossgate's answer to a preflight out of Flask's ``request_started`` signal.

    Flask hands an HTTP exception without a code back as it is, and sends this one before any
    ``before_request`` hook has run.
    """


def _first_request(app: Flask, **_: object) -> None:
    """Meet the first request of an app whose only crossgate use is a view decorator, as the
    edge would have: a preflight is answered here, before the app's ``before_request`` hooks
    (an auth check) can see it; any other response gets its headers on the way out. The edge
    is installed here and meets every later request; an app that called ``CORS(app)`` or
    ``Headers(app)`` has it from start-up, and returns at the first test.
    """
    extensions = app.extensions
    if "crossgate" in extensions or _NOT_DECORATED in extensions:
        return
    if not has_decorated_views(app):
        extensions[_NOT_DECORATED] = True  # no route can be added after the first request
        return
    state = state_for(app)
    resolved = state.resolved = state.resolve(app)
    environ = request.environ
    origin: str | None = environ.get("HTTP_ORIGIN")
    if origin is not None and resolved.policies and edge.environ_is_preflight(environ):
        answer = edge.answer_preflight(app, resolved, environ, origin)
        if answer is not None:
            status, headers, body = answer
            raise _EarlyAnswer(response=app.response_class(body, status, headers))
    path = edge.request_path(environ)

    @after_this_request
    def add_headers(response: Response) -> Response:
        headers = response.headers.to_wsgi_list()
        edge.add_response_headers(app, resolved, environ, path, headers)
        response.headers = Headers(headers)
        return response
