"""Chromium's console wording: the text of every failure, and the line the console prints.

The checks and the redirect steps ask :func:`message` for the text of a failure by its key
(mostly the verdict's step), so every word Chromium prints is in :data:`CHROMIUM_MESSAGES`. The
texts were observed in Chromium 156; a per-engine profile would pass its own table here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from crossgate.browser._values import BrowserRequest, Verdict
from crossgate.errors import show

__all__ = ["CHROMIUM_MESSAGES", "console_message", "message"]

_PREFLIGHT_PREFIX = "Response to preflight request doesn't pass access control check: "
_VALID_VALUE_HINT = " Have the server send the header with a valid value."

#: Chromium's text for each failure; ``{value}`` is the offending value, escaped.
CHROMIUM_MESSAGES: Mapping[str, str] = MappingProxyType(
    {
        "allow-origin-wildcard-credentials": (
            "The value of the 'Access-Control-Allow-Origin' header in the response must not be "
            "the wildcard '*' when the request's credentials mode is 'include'."
        ),
        "allow-origin-missing": (
            "No 'Access-Control-Allow-Origin' header is present on the requested resource."
        ),
        "allow-origin-multiple": (
            "The 'Access-Control-Allow-Origin' header contains multiple values '{value}', but "
            "only one is allowed." + _VALID_VALUE_HINT
        ),
        "allow-origin-invalid": (
            "The 'Access-Control-Allow-Origin' header contains the invalid value '{value}'."
            + _VALID_VALUE_HINT
        ),
        "allow-origin-mismatch": (
            "The 'Access-Control-Allow-Origin' header has a value '{value}' that is not equal to "
            "the supplied origin." + _VALID_VALUE_HINT
        ),
        "allow-credentials": (
            "The value of the 'Access-Control-Allow-Credentials' header in the response is "
            "'{value}' which must be 'true' when the request's credentials mode is 'include'."
        ),
        "preflight-redirect": (
            _PREFLIGHT_PREFIX + "Redirect is not allowed for a preflight request."
        ),
        "preflight-status": _PREFLIGHT_PREFIX + "It does not have HTTP ok status.",
        "allow-methods-parse": (
            "Cannot parse Access-Control-Allow-Methods response header field in preflight response."
        ),
        "allow-headers-parse": (
            "Cannot parse Access-Control-Allow-Headers response header field in preflight response."
        ),
        "method-not-allowed": (
            "Method {value} is not allowed by Access-Control-Allow-Methods in preflight response."
        ),
        "header-not-allowed": (
            "Request header field {value} is not allowed by Access-Control-Allow-Headers in "
            "preflight response."
        ),
        "too-many-redirects": "net::ERR_TOO_MANY_REDIRECTS",
        "redirect-invalid": "net::ERR_INVALID_REDIRECT",
        "redirect-unsafe": "net::ERR_UNSAFE_REDIRECT",
        "redirect-scheme": (
            "Cross origin requests are only supported for protocol schemes: chrome, "
            "chrome-experimental-site-token-provider, chrome-extension, chrome-untrusted, data, "
            "http, https, isolated-app."
        ),
        # Chromium 156 prints an empty location here; the verdict's fix names the real one.
        "redirect-credentials": (
            "Redirect location '' contains a username and password, which is disallowed for "
            "cross-origin requests."
        ),
    }
)

# Steps whose console line is Chromium's "Failed to load resource" rather than a CORS message.
_NETWORK_ERROR_STEPS = frozenset({"too-many-redirects", "redirect-invalid"})
# Steps that report a gap in what the caller passed, not something a browser prints.
_INPUT_STEPS = frozenset({"preflight-missing", "response-missing"})


def message(key: str, *, value: str = "", preflight: bool = False) -> str:
    """Chromium's text for the failure *key*, with *value* escaped into it.

    *preflight*: the CORS check failed on a preflight's answer, which Chromium prefixes with
    "Response to preflight request doesn't pass access control check: ".
    """
    text = CHROMIUM_MESSAGES[key].format(value=show(value))
    return _PREFLIGHT_PREFIX + text if preflight else text


def console_message(request: BrowserRequest, verdict: Verdict) -> str:
    """Return the line Chromium prints in the page's console for *verdict* ('' when allowed).

    >>> from crossgate.browser import HttpResponse, cors_check
    >>> request = BrowserRequest("https://api.example.com/a", "https://app.example.com")
    >>> console_message(request, cors_check(request, HttpResponse(200, ())))
    "Access to fetch at 'https://api.example.com/a' from origin 'https://app.example.com' has \
been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested \
resource."
    """
    if verdict.allowed:
        return ""
    if verdict.step in _NETWORK_ERROR_STEPS:
        return f"Failed to load resource: {verdict.message}"
    if verdict.step in _INPUT_STEPS:
        return verdict.message
    redirected = "" if verdict.url == request.url else f"(redirected from '{show(request.url)}') "
    return (
        f"Access to fetch at '{show(verdict.url)}' {redirected}from origin "
        f"'{show(request.origin)}' has been blocked by CORS policy: {verdict.message}"
    )
