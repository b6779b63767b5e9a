"""``Headers``, ``headers`` and ``csp_nonce``: declarative response headers for a Flask app.

One policy, declared at up to three levels, covers every response the app sends: the app
(``Headers(app)``), a blueprint and the blueprints nested in it (``Headers(blueprint)``), one
view (``@headers``). The most specific level wins, header by header. The policies are compiled
and validated where they are declared; each app merges them into one policy per route at its
first request, and the WSGI edge applies it to whatever response leaves the app.

>>> Headers(app, preset="web", headers={"Cache-Control": "no-store"})
>>> Headers(admin, headers={"X-Robots-Tag": "noindex"})
>>> @app.get("/feed")
... @headers({"Cache-Control": "public, max-age=60", "Content-Security-Policy": None})
... def feed(): ...
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Blueprint, Flask, request

from crossgate._header_options import compile_header_options
from crossgate._options import AppHeadersOptions, HeadersOptions
from crossgate.errors import ConfigError, Problem
from crossgate.flask._commands import register_commands
from crossgate.flask._edge import NONCE_ENVIRON_KEY, proxy_fix_after
from crossgate.flask._extension import on_blueprint_registered, state_for, wrap_view
from crossgate.flask._state import VIEW_HEADERS_ATTRIBUTE, AppState
from crossgate.headers import HeaderPolicy, make_nonce

if TYPE_CHECKING:
    from typing_extensions import Unpack

F = TypeVar("F", bound=Callable[..., Any])


def csp_nonce() -> str:
    """The CSP nonce of the current request, created on the first call and the same after.

    Templates call it as ``{{ csp_nonce() }}`` (``Headers`` makes it a Jinja global):
    ``<script nonce="{{ csp_nonce() }}">``. The edge adds ``'nonce-...'`` to the directives
    named in ``csp_nonce_directives`` of the response's policy. A request that never calls it
    gets no nonce, and its CSP none either.
    """
    environ = request.environ
    nonce: str | None = environ.get(NONCE_ENVIRON_KEY)
    if nonce is None:
        nonce = environ[NONCE_ENVIRON_KEY] = make_nonce()
    return nonce


class Headers:
    """Response headers for a whole app, or for one blueprint (and the blueprints nested in it).

    >>> Headers(app, preset="web", headers={"Cache-Control": "no-store"})
    >>> Headers(admin, headers={"X-Robots-Tag": "noindex"})   # a blueprint, before registering
    >>> secure = Headers(preset="api"); secure.init_app(app)  # the application factory

    Options (see :func:`crossgate.headers.compile_headers`): ``preset``, ``headers``,
    ``override``, ``hsts``, ``csp``, ``csp_report_only``, ``csp_report_to``,
    ``csp_nonce_directives``; for an app also ``https_redirect=True``, which answers every
    plain-http request with a 308 to its https URL (never in debug or testing mode). Invalid
    options raise ``ConfigError`` here, listing every problem with its fix.
    """

    def __init__(
        self, app: Flask | Blueprint | None = None, **options: Unpack[AppHeadersOptions]
    ) -> None:
        self._options: Mapping[str, object] = MappingProxyType(dict(options))
        if app is None:
            _compile(options, "app", "Headers()", app_level=True)
        else:
            self.init_app(app)

    def init_app(self, app: Flask | Blueprint, **options: Unpack[AppHeadersOptions]) -> None:
        """Apply the policy to *app* (a Flask app or a blueprint); *options* override the
        constructor's. Raises ``ConfigError`` with every problem found."""
        merged = {**self._options, **options}
        if isinstance(app, Blueprint):
            _declare_blueprint(app, merged)
            return
        policy = _compile(merged, "app", "Headers(app)", app_level=True)
        https_redirect = bool(merged.get("https_redirect", False))
        state = state_for(app)
        register_commands(app)
        if state.app_headers is not None:
            raise RuntimeError(
                "Headers is already set up on this app: pass every option in one call"
            )
        assert state.edge is not None
        if https_redirect and proxy_fix_after(state.edge.wsgi_app):
            raise ConfigError(
                [
                    Problem(
                        "https_redirect",
                        True,
                        "would run before the ProxyFix that app.wsgi_app already had, so every "
                        "request would look like plain http and be redirected forever",
                        "set crossgate up (CORS(app), Headers(app)) before "
                        "app.wsgi_app = ProxyFix(app.wsgi_app, ...), so that ProxyFix runs first",
                    )
                ],
                context="Headers(app)",
            )
        state.app_headers = policy
        state.https_redirect = https_redirect
        state.resolved = None  # routes may still be added: the edge resolves at the first request
        app.add_template_global(csp_nonce)


def _declare_blueprint(blueprint: Blueprint, options: Mapping[str, object]) -> None:
    label = f"blueprint {blueprint.name!r}"
    policy = _compile(options, label, f"Headers({label})", app_level=False)

    def declare(app: Flask, state: AppState, name: str, url_prefix: str) -> None:
        state.header_blueprints[name] = (policy, url_prefix)
        app.add_template_global(csp_nonce)

    on_blueprint_registered(blueprint, declare, "Headers")


def headers(
    headers: Mapping[str, str | None] | None = None, **options: Unpack[HeadersOptions]
) -> Callable[[F], F]:
    """Give one view its own headers; they win over the app's and the blueprint's.

    >>> @app.get("/feed")
    ... @headers({"Cache-Control": "public, max-age=60"})
    ... def feed(): ...
    >>> @app.get("/embed")
    ... @headers({"X-Frame-Options": None}, csp={"frame-ancestors": "https://partner.example"})
    ... def embed(): ...

    A value of ``None`` removes a header a less specific level set. Headers the decorator does
    not name are inherited. Place it below ``@app.route``, like any view decorator. Invalid
    options raise ``ConfigError`` at import time.
    """
    policy = _compile({"headers": headers, **options}, "view", "@headers()", app_level=False)

    def decorator(view: F) -> F:
        # Stacked @headers: the outer one is applied last, so it wins.
        inner: HeaderPolicy | None = getattr(view, VIEW_HEADERS_ATTRIBUTE, None)
        wrapper = wrap_view(view)
        setattr(
            wrapper, VIEW_HEADERS_ATTRIBUTE, policy if inner is None else inner.merged_with(policy)
        )
        return wrapper

    return decorator


def _compile(
    options: Mapping[str, object], label: str, where: str, *, app_level: bool
) -> HeaderPolicy:
    """Validate *options* and compile their policy; raise one ConfigError with every problem."""

    def https_redirect(value: object) -> Problem | None:
        if not app_level:
            return Problem(
                "https_redirect",
                value,
                f"is an app-level option, not for {label}",
                "pass https_redirect=True to Headers(app)",
            )
        if not isinstance(value, bool):
            return Problem("https_redirect", value, "is not True or False", "write True")
        return None

    return compile_header_options(
        options, owner="Headers", where=where, context=label, own={"https_redirect": https_redirect}
    )
