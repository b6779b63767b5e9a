"""The options of ``CORS``, ``cross_origin``, ``Headers`` and ``headers``, as types.

Adapters annotate their keyword arguments with these (``**options: Unpack[CORSOptions]``), so
mypy and IDEs flag a misspelt name (``origin=``, ``support_credentials=``) and a wrong type where
it is written. Untyped callers still get a ``ConfigError`` naming the closest valid option at
start-up: the names are checked at run time too (``crossgate._policy.OPTION_NAMES``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import TypedDict

from crossgate.headers import HSTS

#: One entry of ``origins``: an origin or pattern string, a compiled regex, or a callable.
OriginEntry = str | re.Pattern[str] | Callable[[str], bool]
#: The ``origins`` option: one entry or several.
Origins = OriginEntry | Iterable[OriginEntry]
#: A ``resources`` path rule: an exact path, a ``'/prefix/*'`` subtree, or a compiled regex.
PathRule = str | re.Pattern[str]


class CORSOptions(TypedDict, total=False):
    """The CORS options of every level: app, ``resources`` rule, blueprint, view."""

    origins: Origins
    methods: str | Iterable[str]
    allow_headers: str | Iterable[str]
    expose_headers: str | Iterable[str]
    supports_credentials: bool
    max_age: int | timedelta
    allow_private_network: bool
    allow_null_origin: bool
    allow_insecure_http_origins: bool
    allow_regex_wildcards: bool


class AppCORSOptions(CORSOptions, total=False):
    """``CORS(app, ...)``: the options of every level, plus the app's ``resources`` rules."""

    resources: PathRule | Iterable[PathRule] | Mapping[PathRule, CORSOptions]


class HeadersOptions(TypedDict, total=False):
    """The response-header options of every level but the ``headers`` mapping itself."""

    preset: str
    override: Iterable[str]
    hsts: HSTS | bool
    csp: Mapping[str, str | Iterable[str]] | str
    csp_report_only: bool
    csp_report_to: str
    csp_nonce_directives: Iterable[str]


class AppHeadersOptions(HeadersOptions, total=False):
    """``Headers(app, ...)``: the options of every level, plus ``headers`` and the app's
    ``https_redirect``."""

    headers: Mapping[str, str | None]
    https_redirect: bool
