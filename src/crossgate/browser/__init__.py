"""The browser's side of CORS, as a pure model: what a page's ``fetch()`` sends and accepts.

This package is the client half of the Fetch standard (CORS-safelisting, the CORS check, the
CORS-preflight check, redirects, exposed response headers) with Chromium's console wording for
every failure. It imports no framework and touches no network, so crossgate's tests, its CLI and
its users can ask "would a browser accept this response?" of any recorded exchange and get an
answer that names the failing step, the message the page's console shows, and the server-side fix
in terms of crossgate's options.

The model follows the standard, checked against Chromium 156. Where Chromium is laxer (it lets
``*`` cover ``Authorization``, drops ``User-Agent``, safelists a few client hints) the model keeps
the standard's rule, so a server that passes here passes in Firefox and Safari too. Where
Chromium is stricter the docstrings say so: it refuses ``Range`` positions past 2**63 - 2 (the
model does too) and checks a header repeated in one ``fetch()`` as one combined value (the model
checks each, as the standard and Firefox do).

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
response and verdict), ``_safelist`` (what needs a preflight), ``_wording`` (Chromium's console
text), ``_redirects`` (where a Location leads, and the request after each hop), ``_checks`` (the
CORS and preflight checks, readable headers) and ``_exchange`` (the whole ``fetch()``). What is
Chromium's own rather than the standard's sits in two places, its preflight-cache numbers in
``_checks`` and its wording in ``_wording``, so that a per-engine profile can replace them.
"""

from __future__ import annotations

from crossgate.browser._checks import cors_check, preflight_check, readable_response_headers
from crossgate.browser._exchange import evaluate
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
from crossgate.browser._values import BrowserRequest, HttpResponse, Verdict
from crossgate.browser._wording import console_message

__all__ = [
    "BrowserRequest",
    "Hop",
    "HttpResponse",
    "Verdict",
    "console_message",
    "cors_check",
    "evaluate",
    "first_hop",
    "follow_redirect",
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
