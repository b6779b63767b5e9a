"""A Flask app's cross-origin protection, read for ``flask crossgate routes`` and ``check``.

:func:`route_protection` says what the app's ``CrossOriginProtection`` does on one route:
protected, exempt (and by which name) or not protected at all, and which origins it trusts
there. :func:`predict_in_app` answers what happens to a form POST or a WebSocket handshake
from an origin by running the app's own protection layer on the request a browser sends, with
a stand-in where the view would be: the decision is the real one and no view runs, so nothing
changes. Only ``crossgate.cli._flask_commands`` imports this module (it needs Flask).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.test import EnvironBuilder

from crossgate._policy import CORSPolicy
from crossgate.flask._protection import EXTENSION_KEY, ProtectionLayer
from crossgate.flask._state import AppState
from crossgate.inspect._writes import FORM_BODY, WriteCheck, write_lines, written

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


@dataclass(frozen=True, slots=True)
class RouteProtection:
    """What cross-origin protection does on one route.

    :param state: ``protected``, ``exempt`` or ``not protected`` (no ``CrossOriginProtection``
        on the app).
    :param exempt_by: the ``exempt`` name (endpoint or blueprint) that covers the route.
    :param trusted: the origins whose writes pass: ``trusted_origins``, then those the route's
        CORS policy allows with credentials.
    """

    state: str
    exempt_by: str | None = None
    trusted: tuple[str, ...] = ()

    def row(self) -> dict[str, object]:
        """The JSON form (``flask crossgate routes --json``)."""
        return {"state": self.state, "exempt_by": self.exempt_by, "trusted": list(self.trusted)}

    @property
    def line(self) -> str:
        """The sentence ``flask crossgate routes`` prints."""
        if self.state == "not protected":
            return "protection: not protected (no CrossOriginProtection on the app)"
        if self.state == "exempt":
            return (
                f"protection: exempt (by {self.exempt_by!r}): writes from any site reach the view"
            )
        trusted = ", ".join(self.trusted) if self.trusted else "none"
        return f"protection: protected; cross-site writes refused except from: {trusted}"


def _layer(app: Flask) -> ProtectionLayer | None:
    layer = app.extensions.get(EXTENSION_KEY)
    return layer if isinstance(layer, ProtectionLayer) else None


def _unique(origins: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(origins))


def route_protection(app: Flask, endpoint: str, policy: CORSPolicy | None) -> RouteProtection:
    """The protection of the route *endpoint*, whose CORS policy is *policy*.

    Raises ``ConfigError`` when ``exempt`` names something the app does not have.
    """
    layer = _layer(app)
    if layer is None:
        return RouteProtection("not protected")
    if endpoint in layer.exempt_endpoints():
        name = next(
            name
            for name in sorted(layer.names)
            if endpoint == name or endpoint.startswith(name + ".")
        )
        return RouteProtection("exempt", name)
    trusted = layer.protection.trusted
    listed = trusted.summary() if trusted is not None else []
    if policy is not None and policy.supports_credentials:
        listed += policy.origins.summary()
    return RouteProtection("protected", None, _unique(listed))


def _policy(app: Flask, endpoint: str, rule: str) -> CORSPolicy | None:
    state = app.extensions.get("crossgate")
    if not isinstance(state, AppState):
        return None
    resolved = state.resolved or state.resolve(app)
    return resolved.for_endpoint(endpoint, rule)


def predict_in_app(
    app: Flask,
    path: str,
    origin: str,
    method: str,
    *,
    websocket: bool = False,
    base: str = "http://localhost",
) -> WriteCheck | None:
    """What happens to the write a page on *origin* sends to *path* (``None``: a safe method,
    or the app's own origin), decided by the app's protection layer with no view run."""
    check = written(base + path, origin, method, websocket=websocket)
    if check is None or check.outcome == "preflighted":
        return check
    layer = _layer(app)
    if layer is None:
        return replace(check, outcome="reaches-view", why="no CrossOriginProtection on the app")
    builder = EnvironBuilder(
        path=path,
        base_url=base,
        method=check.method,
        headers=write_lines(check.kind, origin, check.site),
        data=None if check.kind == "websocket" else FORM_BODY,
    )
    environ = builder.get_environ()
    builder.close()
    reached: list[bool] = []

    def view_stand_in(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        reached.append(True)
        start_response("204 NO CONTENT", [])
        return []

    answer: list[int] = []

    def start_response(status: str, headers: object, exc_info: object = None) -> object:
        answer.append(int(status.split(" ", 1)[0]))
        return lambda data: None

    deciding = ProtectionLayer(app, layer.protection, layer.names, view_stand_in)
    deciding(environ, start_response)  # type: ignore[arg-type]
    if not reached:
        return replace(check, outcome="refused", status=answer[0], code="protection-cross-site")
    return replace(check, outcome="reaches-view", why=_why_passed(app, environ, check, origin))


def _why_passed(app: Flask, environ: WSGIEnvironment, check: WriteCheck, origin: str) -> str:
    """Why the protection let a write through: the route is exempt or the origin trusted."""
    try:
        adapter = app.url_map.bind_to_environ(environ)
        rule, _ = adapter.match(method=check.method, return_rule=True)
    except HTTPException:
        return "CrossOriginProtection lets it through: no route of the app answers it"
    found = route_protection(app, rule.endpoint, _policy(app, rule.endpoint, rule.rule))
    if found.state == "exempt":
        return f"CrossOriginProtection lets it through: the route is exempt by {found.exempt_by!r}"
    return (
        f"CrossOriginProtection lets it through: {origin} is trusted (trusted_origins, or the "
        "route's CORS policy allows it with credentials)"
    )
