"""The checks a browser runs on what the server answered: the CORS check, the CORS-preflight
check, and which response headers the page may read.

Each check follows Chromium's order, so the first failure found is the one its console reports,
and words its fix in crossgate's options. Chromium's own numbers (how long it caches a preflight)
are the constants below; its wording is ``_wording``'s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from crossgate._fetch import SAFELISTED_METHODS, SAFELISTED_RESPONSE_HEADERS
from crossgate._http import TOKEN
from crossgate.browser._redirects import is_redirect, url_origin
from crossgate.browser._safelist import (
    INT64_MAX,
    needs_preflight,
    normalize_method,
    unsafe_request_header_names,
)
from crossgate.browser._values import (
    BrowserRequest,
    HttpResponse,
    Verdict,
    ascii_lower,
    ascii_upper,
    quoted,
)
from crossgate.browser._wording import message

__all__ = [
    "cors_check",
    "cors_failure",
    "exposed_headers",
    "preflight_check",
    "preflight_verdict",
    "present_headers",
    "readable_response_headers",
]

# Chromium's preflight cache: the age without Access-Control-Max-Age, and its upper bound.
_DEFAULT_MAX_AGE = 5
_MAX_AGE_CAP = 7200

_MAX_AGE = re.compile(r"[+-]?[0-9]{1,19}")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_FORBIDDEN_RESPONSE_HEADERS = frozenset({"set-cookie", "set-cookie2"})


def cors_check(request: BrowserRequest, response: HttpResponse) -> Verdict:
    """Run the CORS check a browser applies to every cross-origin response the page reads.

    The steps follow Chromium's order: a wildcard ``Access-Control-Allow-Origin`` passes unless
    the request has credentials; a missing header fails; a value other than the request's
    serialized origin fails (as "multiple values" when it holds a comma or space, as "invalid"
    when it is no URL); then a request with credentials needs
    ``Access-Control-Allow-Credentials: true``, exactly. It applies to any status: a 500 without
    CORS headers is a CORS error in the page.
    """
    url = response.url or request.url
    failure = cors_failure(request.origin, request.credentials, response, url, "response")
    if failure is not None:
        return failure
    return Verdict(
        True,
        "ok",
        url=url,
        readable_headers=exposed_headers(request.credentials, response),
    )


def preflight_check(request: BrowserRequest, preflight_response: HttpResponse) -> Verdict:
    """Check the answer to the preflight (``OPTIONS``) the browser sends before *request*.

    In Chromium's order: a redirect fails, then the CORS check, then the status must be 2xx;
    then ``Access-Control-Allow-Methods`` and ``-Headers`` must parse as comma-separated tokens,
    the method must be safelisted or listed (case-sensitive; ``*`` for a request without
    credentials), and every unsafe header must be listed (case-insensitive; ``*`` for a request
    without credentials, but never for ``Authorization``). The verdict carries the number of
    seconds Chromium caches the result (``Access-Control-Max-Age``).

    Chromium 156 still lets ``*`` cover ``Authorization`` (Firefox and Safari do not, as the
    standard says); this model fails it so that a passing server works everywhere. When several
    headers are missing the message names the first in ``Access-Control-Request-Headers`` order
    and ``missing_headers`` lists them all; Chromium may name another one of them.
    """
    url = preflight_response.url or request.url
    verdict = preflight_verdict(
        request.origin,
        request.credentials,
        normalize_method(request.method),
        request.headers,
        preflight_response,
        url,
    )
    return replace(verdict, preflight_needed=needs_preflight(request.method, request.headers))


def readable_response_headers(request: BrowserRequest, response: HttpResponse) -> frozenset[str]:
    """Return the lowercased names of the headers in *response* the page's script can read.

    A same-origin page reads every header but ``Set-Cookie``. Cross-origin, the response must
    pass the CORS check (else the page reads nothing); then the page reads the CORS-safelisted
    response headers (``Cache-Control``, ``Content-Language``, ``Content-Length``,
    ``Content-Type``, ``Expires``, ``Last-Modified``, ``Pragma``) and the names listed in
    ``Access-Control-Expose-Headers`` (crossgate's ``expose_headers``). A ``*`` there exposes
    everything only for a request without credentials; an unparsable list exposes nothing.
    ``Set-Cookie`` and ``Set-Cookie2`` are never exposed.
    """
    if url_origin(request.url) == request.origin:
        return present_headers(response)
    if cors_check(request, response).allowed:
        return exposed_headers(request.credentials, response)
    return frozenset()


def preflight_verdict(
    origin: str,
    credentials: bool,
    method: str,
    headers: Iterable[tuple[str, str]],
    response: HttpResponse,
    url: str,
) -> Verdict:
    """The CORS-preflight check for one preflight response (*method* already normalized)."""
    stage = "preflight"
    if is_redirect(response):
        return Verdict(
            False,
            "preflight-redirect",
            message("preflight-redirect"),
            f"the preflight was redirected ({response.status} to "
            f"{quoted(response.get('Location') or '')}): request "
            "the final URL directly (for example with the trailing slash Werkzeug redirects to)",
            stage=stage,
            url=url,
        )
    failure = cors_failure(origin, credentials, response, url, stage)
    if failure is not None:
        return failure
    if not 200 <= response.status <= 299:
        return Verdict(
            False,
            "preflight-status",
            message("preflight-status"),
            f"the preflight got status {response.status}: answer OPTIONS with 200 or 204 (let "
            "crossgate handle it before authentication, CSRF protection or routing rejects it)",
            stage=stage,
            url=url,
        )
    methods = _token_list(response.get("Access-Control-Allow-Methods"))
    if isinstance(methods, str):
        return Verdict(
            False,
            "allow-methods-parse",
            message("allow-methods-parse"),
            f"Access-Control-Allow-Methods must be a comma-separated list of method names: "
            f"remove {quoted(methods)} from methods",
            stage=stage,
            url=url,
        )
    header_names = _token_list(response.get("Access-Control-Allow-Headers"))
    if isinstance(header_names, str):
        return Verdict(
            False,
            "allow-headers-parse",
            message("allow-headers-parse"),
            f"Access-Control-Allow-Headers must be a comma-separated list of header names: "
            f"remove {quoted(header_names)} from allow_headers",
            stage=stage,
            url=url,
        )
    wildcard = not credentials and "*" in methods
    if method not in SAFELISTED_METHODS and method not in methods and not wildcard:
        return Verdict(
            False,
            "method-not-allowed",
            message("method-not-allowed", value=method),
            f"add {quoted(method)} to methods" + _method_note(method, methods, credentials),
            stage=stage,
            url=url,
        )
    allowed_headers = {ascii_lower(name) for name in header_names}
    wildcard = not credentials and "*" in allowed_headers
    missing = tuple(
        name
        for name in unsafe_request_header_names(headers)
        if name not in allowed_headers and not (wildcard and name != "authorization")
    )
    if missing:
        return Verdict(
            False,
            "header-not-allowed",
            message("header-not-allowed", value=missing[0]),
            f"add {', '.join(quoted(name) for name in missing)} to allow_headers"
            + _header_note(missing, allowed_headers, credentials),
            stage=stage,
            url=url,
            missing_headers=missing,
        )
    max_age, note = _max_age(response.get("Access-Control-Max-Age"))
    return Verdict(True, "ok", fix=note, stage=stage, url=url, max_age=max_age)


def cors_failure(
    origin: str, credentials: bool, response: HttpResponse, url: str, stage: str
) -> Verdict | None:
    """The CORS check in Chromium's order; ``None`` when it passes."""
    preflight = stage == "preflight"
    allow_origin = response.get("Access-Control-Allow-Origin")
    if allow_origin == "*":
        if not credentials:
            return None
        return Verdict(
            False,
            "allow-origin-wildcard-credentials",
            message("allow-origin-wildcard-credentials", preflight=preflight),
            f"with supports_credentials=True, list the allowed origins in origins instead of "
            f"'*' so that {quoted(origin)} is echoed; or send the request without credentials",
            stage=stage,
            url=url,
        )
    if allow_origin is None:
        return Verdict(
            False,
            "allow-origin-missing",
            message("allow-origin-missing", preflight=preflight),
            _origin_fix(origin, stage),
            stage=stage,
            url=url,
        )
    if allow_origin != origin:
        if "," in allow_origin or " " in allow_origin:
            return Verdict(
                False,
                "allow-origin-multiple",
                message("allow-origin-multiple", value=allow_origin, preflight=preflight),
                "send one Access-Control-Allow-Origin value: list the origins in origins and "
                "crossgate echoes the matching one; if it already does, another layer (a proxy, "
                "a second CORS extension, an after_request hook) adds the header again",
                stage=stage,
                url=url,
            )
        if allow_origin != "null" and not _looks_like_url(allow_origin):
            return Verdict(
                False,
                "allow-origin-invalid",
                message("allow-origin-invalid", value=allow_origin, preflight=preflight),
                "Access-Control-Allow-Origin must be '*' or one origin written "
                "scheme://host[:port]; " + _origin_fix(origin, stage),
                stage=stage,
                url=url,
            )
        return Verdict(
            False,
            "allow-origin-mismatch",
            message("allow-origin-mismatch", value=allow_origin, preflight=preflight),
            _origin_fix(origin, stage)
            + (
                " (origins are written scheme://host[:port], without a trailing slash)"
                if allow_origin.rstrip("/") == origin
                else ""
            ),
            stage=stage,
            url=url,
        )
    if credentials:
        allow_credentials = response.get("Access-Control-Allow-Credentials")
        if allow_credentials != "true":
            return Verdict(
                False,
                "allow-credentials",
                message("allow-credentials", value=allow_credentials or "", preflight=preflight),
                "set supports_credentials=True so that Access-Control-Allow-Credentials: true is "
                "sent; or send the request without credentials",
                stage=stage,
                url=url,
            )
    return None


def _origin_fix(origin: str, stage: str) -> str:
    """How to get *origin* allowed, worded for the response that lacked it."""
    if origin == "null":
        return (
            "the browser sent Origin: null (the request was redirected to another origin, or the "
            "page is sandboxed or a file): link to the final URL instead of redirecting; adding "
            "'null' to origins would trust every sandboxed page"
        )
    where = {
        "preflight": " so that the OPTIONS preflight is answered with it",
        "redirect": " for the redirecting URL too: the browser checks every redirect",
        "response": "; if it is there already, this response (often an error page) was sent "
        "without crossgate's headers",
    }[stage]
    return f"add {quoted(origin)} to origins{where}"


def _method_note(method: str, listed: frozenset[str], credentials: bool) -> str:
    """Why a listed-looking method did not match."""
    if any(ascii_upper(item) == ascii_upper(method) for item in listed):
        return f" (methods match case-sensitively and the browser sends {quoted(method)})"
    if credentials and "*" in listed:
        return " ('*' is a literal method name for a request with credentials)"
    return ""


def _header_note(missing: tuple[str, ...], listed: set[str], credentials: bool) -> str:
    """Why a ``*`` in ``Access-Control-Allow-Headers`` did not cover *missing*."""
    if "*" not in listed:
        return ""
    if credentials:
        return " ('*' is a literal header name for a request with credentials)"
    # Only Authorization can be missing when '*' counts, so it is the one to explain.
    return (
        " ('*' never covers Authorization: Firefox and Safari block it, Chromium 156 still "
        "lets it through)"
    )


def _max_age(value: str | None) -> tuple[int, str]:
    """Seconds Chromium caches a preflight for this ``Access-Control-Max-Age``, and a note."""
    if value is None:
        return _DEFAULT_MAX_AGE, ""
    if not _MAX_AGE.fullmatch(value) or not -INT64_MAX - 1 <= int(value) <= INT64_MAX:
        return _DEFAULT_MAX_AGE, (
            f"Access-Control-Max-Age {quoted(value)} is not a number of seconds, so the browser "
            f"caches the preflight for {_DEFAULT_MAX_AGE} s: set max_age to an integer"
        )
    seconds = int(value)
    if seconds > _MAX_AGE_CAP:
        return _MAX_AGE_CAP, (
            f"Chromium caches a preflight for at most {_MAX_AGE_CAP} s (Firefox 86400 s): a "
            f"larger max_age only helps Firefox"
        )
    # A negative age is a request not to cache at all.
    return max(seconds, 0), ""


def _token_list(value: str | None) -> frozenset[str] | str:
    """Parse a comma-separated token list; return the first bad item instead on failure.

    Empty items are skipped, as Chromium does (``PUT,,GET`` parses).
    """
    if value is None:
        return frozenset()
    items = [item.strip(" \t") for item in value.split(",")]
    for item in items:
        if item and not TOKEN.fullmatch(item):
            return item
    return frozenset(item for item in items if item)


def exposed_headers(credentials: bool, response: HttpResponse) -> frozenset[str]:
    """Readable header names of a response that passed the CORS check."""
    present = present_headers(response)
    listed = _token_list(response.get("Access-Control-Expose-Headers"))
    exposed = frozenset() if isinstance(listed, str) else {ascii_lower(name) for name in listed}
    if "*" in exposed and not credentials:
        return present
    return frozenset(name for name in present if name in SAFELISTED_RESPONSE_HEADERS | exposed)


def present_headers(response: HttpResponse) -> frozenset[str]:
    """Every header name in *response* a script may see at all."""
    names = {ascii_lower(name) for name, _ in response.headers}
    return frozenset(names - _FORBIDDEN_RESPONSE_HEADERS)


def _looks_like_url(value: str) -> bool:
    """Approximate Chromium's URL validity, which picks "invalid" over "not equal" wording."""
    cleaned = value.replace("\t", "").replace("\n", "").replace("\r", "")
    scheme = _SCHEME.match(cleaned)
    if scheme is None:
        return False
    if ascii_lower(scheme.group()[:-1]) not in ("http", "https", "ws", "wss", "ftp"):
        return True
    authority = re.split(r"[/?#\\]", cleaned[scheme.end() :].lstrip("/\\"), maxsplit=1)[0]
    host_port = authority.rpartition("@")[2]
    if host_port.startswith("["):
        host, bracket, port = host_port[1:].partition("]")
        if not bracket or not re.fullmatch(r"[0-9A-Fa-f:.]+", host):
            return False
        port = port[1:] if port.startswith(":") else port
    else:
        host, _, port = host_port.partition(":")
        # Percent-escapes decode to ordinary characters; a lone '%' is forbidden.
        bare = re.sub(r"%[0-9A-Fa-f]{2}", "", host)
        if not host or re.search(r"[\x00-\x20#%/:<>?@\[\\\]^|\x7f]", bare):
            return False
    digits = port.lstrip("0")
    return bool(re.fullmatch(r"[0-9]{0,5}", digits)) and int(digits or "0") <= 65535
