"""What ``flask crossgate routes`` and ``headers`` show of the flask-cors layer
(``crossgate.compat.flask_cors``). Only ``crossgate.cli._flask_commands`` imports this module
(it needs Flask); the layer itself never imports the tools.

The policy of a route is found the way a request to it finds it: a ``cross_origin`` view's own
(it wins fully), else the ``resources`` rule of each ``CORS(...)`` call in scope (the route's
blueprints, then the app) that covers the route's path. Several calls act as a union, so every
one that covers the path is listed, in the order their hooks run. A rule with variables
(``/items/<int:id>``) is matched as written: a regex written for real paths may not match it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from crossgate.compat.flask_cors._app import STATE_KEY, VIEW_ATTRIBUTE, app_state
from crossgate.compat.flask_cors.core import (
    ACL_CREDENTIALS,
    ACL_EXPOSE_HEADERS,
    ACL_MAX_AGE,
    ACL_ORIGIN,
)

if TYPE_CHECKING:
    from flask import Flask
    from werkzeug.routing import Rule

    from crossgate.compat.flask_cors._policy import CompatPolicy

Summary = dict[str, object]

_ECHOED = "<the request's Origin, when allowed>"


def uses_compat_layer(app: Flask) -> bool:
    """Whether the flask-cors layer is set up on *app* (its ``CORS`` or ``cross_origin``)."""
    return STATE_KEY in app.extensions


def summary(policy: CompatPolicy, source: str) -> Summary:
    """*policy* in the shape of ``CORSPolicy.summary()`` (native), for display."""
    origins = policy.origins
    shown: list[str] = ["*"] if origins.any_value else []
    never = {text: warning.rpartition("Fix: ")[2] for text, warning in origins.never}
    shown += [
        f"{text} (never matches: {never[text]})" if text in never else text
        for text in origins.literal_strings
    ]
    shown += [regex.pattern for regex in origins.regexes]
    headers = policy.allow_headers
    matched = dict(policy.matched_headers)
    expose = matched.get(ACL_EXPOSE_HEADERS)
    max_age = dict(policy.preflight_headers).get(ACL_MAX_AGE)
    return {
        "origins": shown,
        "methods": sorted(policy.methods),
        "allow_headers": "*"
        if headers.any_value
        else [*headers.literal_strings, *(regex.pattern for regex in headers.regexes)],
        "expose_headers": expose.split(", ") if expose else [],
        "supports_credentials": ACL_CREDENTIALS in matched,
        "max_age": int(max_age) if max_age is not None and max_age.isdigit() else max_age,
        "allow_private_network": policy.private_network_answer == "true",
        "source": source,
    }


class _Found(NamedTuple):
    policy: CompatPolicy
    #: The call and the rule: ``CORS(app), resource '/api/*'``, ``cross_origin``.
    origin: str
    #: The level, as ``flask crossgate headers`` names levels: app, blueprint 'name', view.
    level: str


def _policies(app: Flask, rule: Rule) -> list[_Found]:
    state = app_state(app)
    spec: Any = getattr(app.view_functions.get(rule.endpoint), VIEW_ATTRIBUTE, None)
    if spec is not None:
        # Raises ConfigError when the view's options and the app's config do not go together.
        return [_Found(spec.policy_for(app), f"cross_origin on {rule.endpoint!r}", "view")]
    found = []
    for name, registration in state.in_scope(rule.endpoint):
        match = registration.rules.lookup(rule.rule)
        if match is not None:
            pattern, policy = match
            level = "app" if name is None else f"blueprint {name!r}"
            call = "CORS(app)" if name is None else f"CORS(blueprint {name!r})"
            found.append(_Found(policy, f"{call}, resource {pattern!r}", level))
    return found


def route_policies(app: Flask, rule: Rule) -> list[Summary]:
    """The layer's policies that answer requests to *rule*, first the one that decides first."""
    return [summary(found.policy, f"flask-cors {found.origin}") for found in _policies(app, rule)]


def route_header_rows(app: Flask, rule: Rule) -> list[dict[str, object]]:
    """The CORS header lines the layer adds to responses of *rule* (to an allowed origin), as
    ``flask crossgate headers`` rows."""
    rows: list[dict[str, object]] = []
    for policy, origin, level in _policies(app, rule):
        lines = [(ACL_ORIGIN, "*" if policy.answer.wildcard else _ECHOED)]
        lines += policy.matched_headers
        if policy.varies and not policy.answer.wildcard:
            lines.append(("Vary", "Origin"))
        rows.extend(
            {
                "name": name,
                "value": value,
                "http_value": value,
                "source": f"flask-cors {origin}",
                "level": level,
                "override": False,
                "nonce_directives": [],
                "reason": "CORS, on responses to allowed origins",
            }
            for name, value in lines
        )
    return rows
