"""The layer's decisions on the ``flask_cors`` loggers, where flask-cors users look for them.

flask-cors logs on ``flask_cors.core`` (how a request's headers were decided: DEBUG, and INFO
when an ``OPTIONS`` request names no allowed method), ``flask_cors.extension`` (which
``resources`` rule covered a path, and responses left alone: DEBUG) and
``flask_cors.decorator`` (a view decorated: DEBUG); unknown options at WARNING. Its package
gives the ``flask_cors`` logger a ``NullHandler`` and the level WARNING unless one was set, so
``logging.getLogger("flask_cors").setLevel(logging.DEBUG)`` is how its users turn the
decisions on. The same is done here, with the same loggers and levels, in crossgate's words.

Every value that comes from a request (origin, path, method, header names and values) goes
through ``crossgate.errors.describe`` first: a CR or LF never starts a forged log line
(CVE-2024-1681). The checks are cheap enough for the per-request path: one ``isEnabledFor``
per logger, and nothing else unless a level is on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from crossgate._http import Header
from crossgate.compat.flask_cors.core import ACL_METHODS
from crossgate.errors import describe


def quiet_by_default(logger: logging.Logger) -> None:
    """What flask-cors does to its logger on import: a ``NullHandler``, and the level WARNING
    unless the application set one."""
    if not any(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
        logger.addHandler(logging.NullHandler())
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.WARNING)


quiet_by_default(logging.getLogger("flask_cors"))
core_logger = logging.getLogger("flask_cors.core")
extension_logger = logging.getLogger("flask_cors.extension")
decorator_logger = logging.getLogger("flask_cors.decorator")

_DEBUG = logging.DEBUG


def _lines(headers: Iterable[Header]) -> str:
    return describe("; ".join(f"{name}: {value}" for name, value in headers))


def log_decision(
    origin: str | None,
    method: str,
    environ: Mapping[str, Any],
    headers: Sequence[Header],
    *,
    wildcard: bool,
) -> None:
    """Explain the headers decided for one request (*wildcard*: the policy answers ``*`` to
    every origin). Call it only when ``core_logger`` is enabled for INFO."""
    # Access-Control-Allow-Origin is always the first line when there is one.
    allowed = headers[0][1] if headers else None
    if core_logger.isEnabledFor(_DEBUG):
        if origin:
            if allowed is None:
                core_logger.debug(
                    "Origin %s is not an allowed origin: no CORS headers", describe(origin)
                )
            elif wildcard:
                core_logger.debug(
                    "Origin %s: every origin is allowed and send_wildcard is on, so '*' is sent",
                    describe(origin),
                )
            else:
                core_logger.debug("Origin %s is allowed", describe(origin))
        elif allowed is None:
            core_logger.debug("No Origin header (not a cross-origin request): no CORS headers")
        else:
            core_logger.debug("No Origin header: always_send answers %s", describe(allowed))
    if (
        method == "OPTIONS"
        and allowed is not None
        and not any(name == ACL_METHODS for name, _ in headers)
    ):
        core_logger.info(
            "OPTIONS request whose Access-Control-Request-Method (%s) is not among the allowed "
            "methods: no preflight headers",
            describe(environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD", "")),
        )
    if allowed is not None and core_logger.isEnabledFor(_DEBUG):
        core_logger.debug("CORS headers added: %s", _lines(headers))


def log_resource(path: str, pattern: str | None) -> None:
    """Say which ``resources`` rule covers *path* (None: none). Call it only when
    ``extension_logger`` is enabled for DEBUG."""
    if pattern is None:
        extension_logger.debug("No resources rule covers %s: no CORS headers", describe(path))
    else:
        extension_logger.debug(
            "Path %s is covered by the resources rule %s", describe(path), describe(pattern)
        )


def log_left_alone(*, decided: bool = False) -> None:
    """Say that a response keeps the CORS headers it has (a view's own, or ``cross_origin``'s);
    *decided*: after its headers were decided (and logged), so they were not added."""
    if extension_logger.isEnabledFor(_DEBUG):
        extension_logger.debug(
            "The response already has Access-Control-Allow-Origin, or a cross_origin view "
            "decided its headers: left as it is%s",
            " (the CORS headers above were not added)" if decided else "",
        )
