"""``CORS`` and ``cross_origin``: how a Flask app, a blueprint or one view declares its policy.

Option names are flask-cors's; the semantics are safer (see the README). Precedence, lowest
first: ``CORS_*`` config < ``CORS(...)`` arguments < ``init_app(...)`` arguments < a
``resources`` rule < a blueprint's ``CORS(bp, ...)`` < ``@cross_origin(...)`` on the view.
Each level overrides the options it names and inherits the rest.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from types import MappingProxyType
from typing import Any, TypeVar

from flask import Blueprint, Flask, Response, current_app, request
from flask.sansio.blueprints import BlueprintSetupState
from werkzeug.datastructures import Headers as ResponseHeaders

from crossgate.decide import PREFLIGHT_VARY, decide_actual, decide_preflight
from crossgate.flask.edge import _apply
from crossgate.flask.state import VIEW_OPTIONS_ATTRIBUTE, config_options, state_for, validate_declared
from crossgate.policy import build_policy

__all__ = ["CORS", "cross_origin"]

F = TypeVar("F", bound=Callable[..., Any])


class CORS:
    """CORS for a whole app, or for one blueprint (and the blueprints nested in it).

    >>> CORS(app, origins=["https://app.example.com"], supports_credentials=True)
    >>> CORS(api, origins="*")                       # a blueprint, before it is registered
    >>> cors = CORS(origins=[...]); cors.init_app(app)  # the application factory

    ``origins`` is required (no default is right for everyone); ``origins=[]`` declares no
    app-wide policy, leaving CORS to blueprints and ``@cross_origin`` views. Invalid options raise
    ``ConfigError`` here, at start-up, listing every problem with its fix.
    """

    def __init__(self, app: Flask | Blueprint | None = None, **options: object) -> None:
        validate_declared(options, context="CORS()", allow_resources=True)
        self._options = MappingProxyType(dict(options))
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask | Blueprint, **options: object) -> None:
        """Apply the policy to *app* (a Flask app or a blueprint); *options* override the constructor's."""
        validate_declared(options, context="init_app()", allow_resources=True)
        merged = {**self._options, **options}
        if isinstance(app, Blueprint):
            _declare_blueprint(app, merged)
            return
        state = state_for(app)
        if state.app_declared:
            raise RuntimeError("CORS was already initialised on this app: pass every option in one call")
        layered = {**config_options(app.config), **merged}
        state.resources = layered.pop("resources", None)
        state.base = layered
        state.app_declared = True
        state.resolve(app)  # every problem now, at start-up
        state.resolved = None  # routes may still be added; the edge resolves at the first request


def _declare_blueprint(blueprint: Blueprint, options: dict[str, object]) -> None:
    if "resources" in options:
        validate_declared(options, context=f"CORS(blueprint {blueprint.name!r})", allow_resources=False)
    frozen = MappingProxyType(options)

    def on_register(setup: BlueprintSetupState) -> None:
        name = f"{setup.name_prefix}.{setup.name}".lstrip(".")
        state = state_for(setup.app)
        state.blueprints[name] = frozen
        state.blueprint_prefixes[name] = setup.url_prefix or ""
        state.resolve(setup.app)
        state.resolved = None

    blueprint.record(on_register)


def cross_origin(**options: object) -> Callable[[F], F]:
    """Give one view its own policy; it wins over the app's and the blueprint's.

    >>> @app.put("/items/<int:id>")
    ... @cross_origin(origins=["http://localhost:3000"], methods=["PUT"])
    ... def update(id): ...

    Options the decorator does not name are inherited from the app and blueprint levels.
    """
    validate_declared(options, context="cross_origin()", allow_resources=False)
    frozen = MappingProxyType(dict(options))

    def decorator(view: F) -> F:
        if inspect.iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                app = current_app._get_current_object()  # type: ignore[attr-defined]
                if "crossgate" in app.extensions:
                    return _plain_options(app) or await view(*args, **kwargs)
                early, finish = _first_request(app, frozen)
                return early if early is not None else finish(await view(*args, **kwargs))

            wrapper: Any = async_wrapper
        else:

            @functools.wraps(view)
            def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
                app = current_app._get_current_object()  # type: ignore[attr-defined]
                if "crossgate" in app.extensions:
                    return _plain_options(app) or view(*args, **kwargs)
                early, finish = _first_request(app, frozen)
                return early if early is not None else finish(view(*args, **kwargs))

            wrapper = sync_wrapper
        setattr(wrapper, VIEW_OPTIONS_ATTRIBUTE, frozen)
        # The view answers OPTIONS itself: Flask's automatic answer would otherwise reply to a
        # preflight on the one request that can arrive before crossgate's edge exists.
        wrapper.provide_automatic_options = False
        wrapper.required_methods = {"OPTIONS"}
        return wrapper  # type: ignore[no-any-return]

    return decorator


def _plain_options(app: Flask) -> Response | None:
    """Flask's usual answer to an OPTIONS that is not a preflight (the edge took preflights)."""
    return app.make_default_options_response() if request.method == "OPTIONS" else None


def _first_request(
    app: Flask, options: MappingProxyType[str, object]
) -> tuple[Response | None, Callable[[Any], Response]]:
    """``cross_origin`` without ``CORS(app)``: install the edge for the next requests, and
    answer this one here (a preflight directly; an actual response through ``finish``)."""
    state = state_for(app)
    policy = build_policy({**config_options(app.config), **state.base, **options}, source="decorator")
    origin = request.headers.get("Origin")
    requested = request.headers.get("Access-Control-Request-Method")
    if request.method == "OPTIONS":
        if origin is None or requested is None:
            return app.make_default_options_response(), app.make_response
        rule = request.url_rule
        decision = decide_preflight(
            policy,
            origin,
            requested,
            request.headers.get("Access-Control-Request-Headers"),
            rule.methods or () if rule is not None else (),
        )
        answer = app.response_class(status=decision.status, headers=[*decision.headers, ("Vary", PREFLIGHT_VARY)])
        return answer, app.make_response

    def finish(result: Any) -> Response:
        response = app.make_response(result)
        headers = list(response.headers.items())
        _apply(headers, decide_actual(policy, origin))
        response.headers = ResponseHeaders(headers)
        return response

    return None, finish
