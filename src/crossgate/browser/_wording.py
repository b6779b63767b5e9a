"""Each engine's console wording: the text of every failure, and the lines the console prints.

The checks and the redirect steps ask :func:`message` for the text of a failure by its key
(mostly the verdict's step) in the words of the profile's engine: :data:`CHROMIUM_MESSAGES`
(Chromium 156), :data:`FIREFOX_MESSAGES` (Firefox ESR 153) and :data:`WEBKIT_MESSAGES`
(WebKitGTK 2.50), all observed in those engines. A key an engine was not seen to print falls back
to Chromium's text. :func:`console_lines` builds the lines the engine's console shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from crossgate.browser._profiles import CHROMIUM, PROFILES
from crossgate.browser._values import BrowserRequest, EngineProfile, Verdict
from crossgate.errors import show

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

_ACAO = "\u2018Access-Control-Allow-Origin\u2019"

#: Firefox's "(Reason: ...)" for each failure (its console quotes with curly quotes).
FIREFOX_MESSAGES: Mapping[str, str] = MappingProxyType(
    {
        "allow-origin-missing": f"CORS header {_ACAO} missing",
        "allow-origin-mismatch": f"CORS header {_ACAO} does not match \u2018{{value}}\u2019",
        "allow-origin-multiple": f"Multiple CORS header {_ACAO} not allowed",
        "allow-origin-wildcard-credentials": (
            f"Credential is not supported if the CORS header {_ACAO} is \u2018*\u2019"
        ),
        "allow-credentials": (
            "expected \u2018true\u2019 in CORS header \u2018Access-Control-Allow-Credentials\u2019"
        ),
        "preflight-status": "CORS preflight response did not succeed",
        "preflight-redirect": "CORS request external redirect not allowed",
        "method-not-allowed": (
            "Did not find method in CORS header \u2018Access-Control-Allow-Methods\u2019"
        ),
        "header-not-allowed": (
            "header \u2018{value}\u2019 is not allowed according to header "
            "\u2018Access-Control-Allow-Headers\u2019 from CORS preflight response"
        ),
        "allow-methods-parse": (
            "invalid token \u2018{value}\u2019 in CORS header "
            "\u2018Access-Control-Allow-Methods\u2019"
        ),
        "allow-headers-parse": (
            "invalid token \u2018{value}\u2019 in CORS header "
            "\u2018Access-Control-Allow-Headers\u2019"
        ),
        "request-failed": "CORS request did not succeed",
    }
)

#: WebKit's console text for each failure.
WEBKIT_MESSAGES: Mapping[str, str] = MappingProxyType(
    {
        "allow-origin-missing": (
            "Origin {origin} is not allowed by Access-Control-Allow-Origin. Status code: {status}"
        ),
        "allow-origin-mismatch": (
            "Origin {origin} is not allowed by Access-Control-Allow-Origin. Status code: {status}"
        ),
        "allow-origin-multiple": "Access-Control-Allow-Origin cannot contain more than one origin.",
        "allow-origin-wildcard-credentials": (
            "Cannot use wildcard in Access-Control-Allow-Origin when credentials flag is true."
        ),
        "allow-credentials": (
            'Credentials flag is true, but Access-Control-Allow-Credentials is not "true".'
        ),
        "preflight-status": "Preflight response is not successful. Status code: {status}",
        "method-not-allowed": "Method {value} is not allowed by Access-Control-Allow-Methods.",
        "header-not-allowed": (
            "Request header field {value} is not allowed by Access-Control-Allow-Headers."
        ),
        "allow-methods-parse": "Header Access-Control-Allow-Methods has an invalid value: {value}",
        "allow-headers-parse": "Header Access-Control-Allow-Headers has an invalid value: {value}",
    }
)

_TABLES = MappingProxyType(
    {"chromium": CHROMIUM_MESSAGES, "firefox": FIREFOX_MESSAGES, "webkit": WEBKIT_MESSAGES}
)
# Steps whose console line is Chromium's "Failed to load resource" rather than a CORS message.
_NETWORK_ERROR_STEPS = frozenset({"too-many-redirects", "redirect-invalid"})
# Steps that report a gap in what the caller passed, not something a browser prints.
_INPUT_STEPS = frozenset({"preflight-missing", "response-missing"})
# Firefox adds the response's status to these reasons.
_FIREFOX_WITH_STATUS = frozenset({"allow-origin-missing", "preflight-status"})
_FIREFOX_BLOCKED = (
    "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at "
)


def message(
    key: str,
    *,
    value: str = "",
    preflight: bool = False,
    profile: EngineProfile = CHROMIUM,
    status: int | None = None,
    origin: str = "",
) -> str:
    """The text of the failure *key* in the words of *profile*'s engine, values escaped.

    *preflight*: the CORS check failed on a preflight's answer, which Chromium prefixes with
    "Response to preflight request doesn't pass access control check: ".
    """
    table = _TABLES[profile.wording]
    if key not in table:
        table = CHROMIUM_MESSAGES
    text = table[key].format(value=show(value), status=status, origin=show(origin))
    if preflight and table is CHROMIUM_MESSAGES:
        return _PREFLIGHT_PREFIX + text
    return text


def console_message(request: BrowserRequest, verdict: Verdict) -> str:
    """Return the line the engine of *verdict* prints in the page's console ('' when allowed).

    The first of :func:`console_lines`, which for Chromium is the only one.

    >>> from crossgate.browser import HttpResponse, cors_check
    >>> request = BrowserRequest("https://api.example.com/a", "https://app.example.com")
    >>> console_message(request, cors_check(request, HttpResponse(200, ())))
    "Access to fetch at 'https://api.example.com/a' from origin 'https://app.example.com' has \
been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested \
resource."
    """
    lines = console_lines(request, verdict)
    return lines[0] if lines else ""


def console_lines(request: BrowserRequest, verdict: Verdict) -> tuple[str, ...]:
    """Every CORS error line the engine of *verdict* prints for the blocked ``fetch()``.

    Chromium prints one line; Firefox adds "CORS request did not succeed" after a failed
    preflight or redirect; WebKit names the redirect target when a redirect failed.
    """
    if verdict.allowed:
        return ()
    if verdict.step in _INPUT_STEPS:
        return (verdict.message,)
    wording = PROFILES[verdict.engine].wording if verdict.engine in PROFILES else "chromium"
    if wording == "firefox":
        return _firefox_lines(verdict)
    if wording == "webkit" and verdict.step not in _NETWORK_ERROR_STEPS:
        if verdict.stage == "redirect" and verdict.location:
            return (
                f"Cross-origin redirection to {show(verdict.location)} denied by Cross-Origin "
                f"Resource Sharing policy: {verdict.message}",
            )
        return (verdict.message,)
    return (_chromium_line(request, verdict),)


def _chromium_line(request: BrowserRequest, verdict: Verdict) -> str:
    if verdict.step in _NETWORK_ERROR_STEPS:
        return f"Failed to load resource: {verdict.message}"
    redirected = "" if verdict.url == request.url else f"(redirected from '{show(request.url)}') "
    return (
        f"Access to fetch at '{show(verdict.url)}' {redirected}from origin "
        f"'{show(request.origin)}' has been blocked by CORS policy: {verdict.message}"
    )


def _firefox_lines(verdict: Verdict) -> tuple[str, ...]:
    url = show(verdict.url)

    def line(reason: str, step: str, status: int | None) -> str:
        where = f"\u2018{url}\u2019" if step == "allow-origin-wildcard-credentials" else url
        suffix = f" Status code: {status}." if step in _FIREFOX_WITH_STATUS else ""
        return f"{_FIREFOX_BLOCKED}{where}. (Reason: {reason}).{suffix}"

    failed = f"{_FIREFOX_BLOCKED}{url}. (Reason: {FIREFOX_MESSAGES['request-failed']})."
    failed += " Status code: (null)."
    lines = [line(verdict.message, verdict.step, verdict.status)]
    if verdict.step == "preflight-redirect":
        lines.append(line(FIREFOX_MESSAGES["preflight-status"], "preflight-status", verdict.status))
    if verdict.stage in ("preflight", "redirect"):
        lines.append(failed)
        # A preflight answered with a redirect that also fails the CORS check: twice.
        redirected = verdict.status is not None and 300 <= verdict.status <= 399
        if verdict.stage == "preflight" and redirected and verdict.step != "preflight-redirect":
            lines.append(failed)
    return tuple(lines)
