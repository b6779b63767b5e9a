"""flask-cors's public constants and option types, under the names code in the wild imports.

``from flask_cors.core import ACL_ORIGIN`` becomes
``from crossgate.compat.flask_cors.core import ACL_ORIGIN``; the values are flask-cors 6.0.5's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Any, TypedDict, Union

__all__ = [
    "ACL_ALLOW_HEADERS",
    "ACL_CREDENTIALS",
    "ACL_EXPOSE_HEADERS",
    "ACL_MAX_AGE",
    "ACL_METHODS",
    "ACL_ORIGIN",
    "ACL_REQUEST_HEADERS",
    "ACL_REQUEST_HEADER_PRIVATE_NETWORK",
    "ACL_REQUEST_METHOD",
    "ACL_RESPONSE_PRIVATE_NETWORK",
    "ALL_METHODS",
    "CONFIG_OPTIONS",
    "DEFAULT_OPTIONS",
    "FLASK_CORS_EVALUATED",
    "CorsOptionsInput",
    "CrossOriginOptionsInput",
]

# Response headers
ACL_ORIGIN = "Access-Control-Allow-Origin"
ACL_METHODS = "Access-Control-Allow-Methods"
ACL_ALLOW_HEADERS = "Access-Control-Allow-Headers"
ACL_EXPOSE_HEADERS = "Access-Control-Expose-Headers"
ACL_CREDENTIALS = "Access-Control-Allow-Credentials"
ACL_MAX_AGE = "Access-Control-Max-Age"
ACL_RESPONSE_PRIVATE_NETWORK = "Access-Control-Allow-Private-Network"

# Request headers
ACL_REQUEST_METHOD = "Access-Control-Request-Method"
ACL_REQUEST_HEADERS = "Access-Control-Request-Headers"
ACL_REQUEST_HEADER_PRIVATE_NETWORK = "Access-Control-Request-Private-Network"

ALL_METHODS = ["GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE"]

#: The ``app.config`` keys flask-cors reads (crossgate adds ``CORS_PREFLIGHT_BEFORE_REQUEST``).
CONFIG_OPTIONS = [
    "CORS_ORIGINS",
    "CORS_METHODS",
    "CORS_ALLOW_HEADERS",
    "CORS_EXPOSE_HEADERS",
    "CORS_SUPPORTS_CREDENTIALS",
    "CORS_MAX_AGE",
    "CORS_SEND_WILDCARD",
    "CORS_AUTOMATIC_OPTIONS",
    "CORS_VARY_HEADER",
    "CORS_RESOURCES",
    "CORS_INTERCEPT_EXCEPTIONS",
    "CORS_ALWAYS_SEND",
    "CORS_ALLOW_PRIVATE_NETWORK",
]

#: The attribute the decorator sets on a response it evaluated; the extension then skips it.
#: The same name as flask-cors's, so a half-migrated app (one import changed) still agrees.
FLASK_CORS_EVALUATED = "_FLASK_CORS_EVALUATED"

Pattern = Union[str, "re.Pattern[str]"]


class CrossOriginOptionsInput(TypedDict, total=False):
    """The keyword options of ``cross_origin`` (and of ``CORS``)."""

    origins: Pattern | Iterable[Pattern]
    methods: str | Iterable[str]
    expose_headers: str | Iterable[str] | None
    allow_headers: Pattern | Iterable[Pattern]
    supports_credentials: bool
    max_age: timedelta | int | str | None
    send_wildcard: bool
    vary_header: bool
    automatic_options: bool
    always_send: bool
    allow_private_network: bool
    preflight_before_request: bool
    unsafe_any_origin_with_credentials: bool


class CorsOptionsInput(CrossOriginOptionsInput, total=False):
    """The keyword options of ``CORS`` / ``CORS.init_app``: the decorator's, plus app-level ones."""

    resources: Pattern | list[Pattern] | dict[Pattern, dict[str, Any]]
    intercept_exceptions: bool


#: flask-cors's defaults, plus crossgate's ``preflight_before_request`` (off: as flask-cors) and
#: ``unsafe_any_origin_with_credentials`` (off: credentials only for listed origins,
#: docs/migration.md "The drop-in rule").
DEFAULT_OPTIONS: Mapping[str, Any] = MappingProxyType(
    {
        "origins": "*",
        "methods": ALL_METHODS,
        "allow_headers": "*",
        "expose_headers": None,
        "supports_credentials": False,
        "max_age": None,
        "send_wildcard": False,
        "automatic_options": True,
        "vary_header": True,
        "resources": r"/*",
        "intercept_exceptions": True,
        "always_send": True,
        "allow_private_network": False,
        "preflight_before_request": False,
        "unsafe_any_origin_with_credentials": False,
    }
)
