"""The browser's side of CORS, as a pure model: what a page's ``fetch()`` sends and accepts.

This package is the client half of the Fetch standard (CORS-safelisting, the CORS check, the
CORS-preflight check, redirects, exposed response headers) with each engine's console wording
for every failure. It imports no framework and touches no network, so crossgate's tests, its CLI and
its users can ask "would a browser accept this response?" of any recorded exchange and get an
answer that names the failing step, the message the page's console shows, and the server-side fix
in terms of crossgate's options.

Every function takes an engine profile (``profile=``): :data:`CHROMIUM` (the default),
:data:`FIREFOX`, :data:`WEBKIT`, each measured in that engine (Chromium 156, Firefox ESR 153,
WebKitGTK 2.50), or :data:`STANDARD`, the Fetch standard's own rules. Each place the engines
differ is a named field of :class:`EngineProfile`: how long a preflight is cached, whether
``*`` covers ``Authorization`` (all three engines: yes; the standard: no), which request headers
need a preflight, the order of the preflight checks, what redirects keep, and the console
wording.

Example::

    >>> request = BrowserRequest("https://api.example.com/items", "https://app.example.com",
    ...                          method="PUT", headers=(("Content-Type", "application/json"),))
    >>> needs_preflight(request.method, request.headers)
    True
    >>> preflight = HttpResponse(204, (("Access-Control-Allow-Origin", "https://app.example.com"),
    ...                                ("Access-Control-Allow-Methods", "PUT")))
    >>> verdict = preflight_check(request, preflight)
    >>> verdict.step, verdict.fix
    ('header-not-allowed', "add 'content-type' to allow_headers")

The package's modules, each importing only the ones listed before it: ``_values`` (the request,
response, verdict and the profile's fields), ``_profiles`` (the four profiles), ``_wording``
(each engine's console text), ``_safelist`` (what needs a preflight), ``_redirects`` (where a
Location leads, and the request after each hop), ``_checks`` (the CORS and preflight checks,
readable headers, the preflight cache) and ``_exchange`` (the whole ``fetch()``).
"""

from __future__ import annotations

from crossgate.browser._checks import cors_check, preflight_check, readable_response_headers
from crossgate.browser._exchange import evaluate
from crossgate.browser._profiles import (
    CHROMIUM,
    ENGINES,
    FIREFOX,
    PROFILES,
    STANDARD,
    WEBKIT,
    get_profile,
)
from crossgate.browser._redirects import (
    Hop,
    first_hop,
    follow_redirect,
    is_redirect,
    resolve_redirect,
    url_origin,
)
from crossgate.browser._safelist import (
    is_safelisted_request_header,
    needs_preflight,
    normalize_method,
    unsafe_request_header_names,
)
from crossgate.browser._values import BrowserRequest, EngineProfile, HttpResponse, Verdict
from crossgate.browser._wording import console_lines, console_message

__all__ = [
    "CHROMIUM",
    "ENGINES",
    "FIREFOX",
    "PROFILES",
    "STANDARD",
    "WEBKIT",
    "BrowserRequest",
    "EngineProfile",
    "Hop",
    "HttpResponse",
    "Verdict",
    "console_lines",
    "console_message",
    "cors_check",
    "evaluate",
    "first_hop",
    "follow_redirect",
    "get_profile",
    "is_redirect",
    "is_safelisted_request_header",
    "needs_preflight",
    "normalize_method",
    "preflight_check",
    "readable_response_headers",
    "resolve_redirect",
    "unsafe_request_header_names",
    "url_origin",
]
