"""The checks a browser runs on what the server answered: the CORS check, the CORS-preflight
check, and which response headers the page may read.

Each check follows the order of the engine profile it is given (Chromium's by default), so the
first failure found is the one that engine's console reports, and words its fix in crossgate's
options. How long each engine caches a preflight is its profile's (``max_age_*``); the wording
is ``_wording``'s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from crossgate._fetch import SAFELISTED_METHODS, SAFELISTED_RESPONSE_HEADERS
from crossgate._http import TOKEN
from crossgate.browser._profiles import CHROMIUM
from crossgate.browser._redirects import is_redirect, url_origin
from crossgate.browser._safelist import (
    INT64_MAX,
    needs_preflight,
    normalize_method,
    unsafe_request_header_names,
)
from crossgate.browser._values import (
    BrowserRequest,
    EngineProfile,
    HttpResponse,
    Verdict,
    ascii_lower,
    ascii_upper,
    quoted,
)
from crossgate.browser._wording import message

_MAX_AGE = re.compile(r"[+-]?[0-9]+")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_FORBIDDEN_RESPONSE_HEADERS = frozenset({"set-cookie", "set-cookie2"})
# The lists a preflight answer carries, parsed in this order: (header, the step that fails when
# it is not a list, what it lists, the option that writes it).
_ALLOW_LISTS = (
    ("Access-Control-Allow-Methods", "allow-methods-parse", "method names", "methods"),
    ("Access-Control-Allow-Headers", "allow-headers-parse", "header names", "allow_headers"),
)


def cors_check(
    request: BrowserRequest, response: HttpResponse, *, profile: EngineProfile = CHROMIUM
) -> Verdict:
    """Run the CORS check a browser applies to every cross-origin response the page reads.

    The steps follow Chromium's order: a wildcard ``Access-Control-Allow-Origin`` passes unless
    the request has credentials; a missing header fails; a value other than the request's
    serialized origin fails (as "multiple values" when it holds a comma or space, as "invalid"
    when it is no URL); then a request with credentials needs
    ``Access-Control-Allow-Credentials: true``, exactly. It applies to any status: a 500 without
    CORS headers is a CORS error in the page.
    """
    url = response.url or request.url
    failure = cors_failure(
        request.origin, request.credentials, response, url, "response", profile=profile
    )
    if failure is not None:
        return failure
    return Verdict(
        True,
        "ok",
        url=url,
        readable_headers=exposed_headers(request.credentials, response),
        status=response.status,
        engine=profile.name,
    )


def preflight_check(
    request: BrowserRequest,
    preflight_response: HttpResponse,
    *,
    profile: EngineProfile = CHROMIUM,
) -> Verdict:
    """Check the answer to the preflight (``OPTIONS``) the browser sends before *request*.

    In Chromium's order: a redirect fails, then the CORS check, then the status must be 2xx
    (Firefox runs the CORS check first; WebKit checks the status, redirects included, before
    the CORS check); then ``Access-Control-Allow-Methods`` and ``-Headers`` must parse as
    comma-separated tokens, the method must be safelisted or listed (case-sensitive; ``*`` for
    a request without credentials), and every unsafe header must be listed (case-insensitive;
    ``*`` for a request without credentials). The verdict carries the number of seconds the
    engine caches the result (``Access-Control-Max-Age``).

    The standard says ``*`` never covers ``Authorization``; Chromium 156, Firefox ESR 153 and
    WebKitGTK 2.50 all let it (``profile=STANDARD`` refuses it). When several headers are
    missing the message names the first in ``Access-Control-Request-Headers`` order and
    ``missing_headers`` lists them all; an engine may name another one of them.
    """
    url = preflight_response.url or request.url
    verdict = preflight_verdict(
        request.origin,
        request.credentials,
        normalize_method(request.method),
        request.headers,
        preflight_response,
        url,
        profile=profile,
    )
    return replace(
        verdict, preflight_needed=needs_preflight(request.method, request.headers, profile)
    )


def readable_response_headers(
    request: BrowserRequest, response: HttpResponse, *, profile: EngineProfile = CHROMIUM
) -> frozenset[str]:
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
    if cors_check(request, response, profile=profile).allowed:
        return exposed_headers(request.credentials, response)
    return frozenset()


def _refusal(
    step: str,
    text: str,
    fix: str,
    stage: str,
    url: str,
    response: HttpResponse,
    origin: str,
    profile: EngineProfile,
    **extra: Any,
) -> Verdict:
    """A failed check's verdict, with what every refusal records of the exchange."""
    return Verdict(
        False,
        step,
        text,
        fix,
        stage=stage,
        url=url,
        status=response.status,
        origin=origin,
        engine=profile.name,
        **extra,
    )


def preflight_verdict(
    origin: str,
    credentials: bool,
    method: str,
    headers: Iterable[tuple[str, str]],
    response: HttpResponse,
    url: str,
    *,
    profile: EngineProfile = CHROMIUM,
) -> Verdict:
    """The CORS-preflight check for one preflight response (*method* already normalized)."""
    headers = tuple(headers)
    stage = "preflight"

    def fail(step: str, text: str, fix: str, **extra: Any) -> Verdict:
        return _refusal(step, text, fix, stage, url, response, origin, profile, **extra)

    for check in profile.preflight_order:
        if check == "redirect" and is_redirect(response):
            return fail(
                "preflight-redirect",
                message("preflight-redirect", profile=profile, status=response.status),
                f"the preflight was redirected ({response.status} to "
                f"{quoted(response.get('Location') or '')}): request the final URL directly "
                "(for example with the trailing slash Werkzeug redirects to)",
            )
        if check == "cors":
            failure = cors_failure(origin, credentials, response, url, stage, profile=profile)
            if failure is not None:
                return failure
        if check == "status" and not 200 <= response.status <= 299:
            return fail(
                "preflight-status",
                message("preflight-status", profile=profile, status=response.status),
                f"the preflight got status {response.status}: answer OPTIONS with 200 or 204 "
                "(let crossgate handle it before authentication, CSRF protection or routing "
                "rejects it)",
            )
    lists: dict[str, frozenset[str]] = {}
    for header, step, names, option in _ALLOW_LISTS:
        parsed = _token_list(response.get(header))
        if isinstance(parsed, str):
            return fail(
                step,
                message(step, value=parsed, profile=profile),
                f"{header} must be a comma-separated list of {names}: "
                f"remove {quoted(parsed)} from {option}",
            )
        lists[header] = parsed
    methods, header_names = lists.values()
    wildcard = not credentials and "*" in methods
    if method not in SAFELISTED_METHODS and method not in methods and not wildcard:
        return fail(
            "method-not-allowed",
            message("method-not-allowed", value=method, profile=profile),
            f"add {quoted(method)} to methods" + _method_note(method, methods, credentials),
        )
    allowed_headers = {ascii_lower(name) for name in header_names}
    wildcard = not credentials and "*" in allowed_headers
    covers_authorization = profile.wildcard_covers_authorization
    missing = tuple(
        name
        for name in unsafe_request_header_names(headers, profile)
        if name not in allowed_headers
        and not (wildcard and (covers_authorization or name != "authorization"))
    )
    if missing:
        # WebKit names the header as the page spelled it; the others lowercase it.
        named = missing[0]
        if profile.wording == "webkit":
            named = next((key for key, _ in headers if ascii_lower(key) == named), named)
        return fail(
            "header-not-allowed",
            message("header-not-allowed", value=named, profile=profile),
            f"add {', '.join(quoted(name) for name in missing)} to allow_headers"
            + _header_note(missing, allowed_headers, credentials),
            missing_headers=missing,
        )
    max_age, note = _max_age(response.get("Access-Control-Max-Age"), profile)
    return Verdict(
        True,
        "ok",
        fix=note,
        stage=stage,
        url=url,
        max_age=max_age,
        status=response.status,
        engine=profile.name,
    )


def cors_failure(
    origin: str,
    credentials: bool,
    response: HttpResponse,
    url: str,
    stage: str,
    *,
    profile: EngineProfile = CHROMIUM,
) -> Verdict | None:
    """The CORS check in the engine's order; ``None`` when it passes."""
    preflight = stage == "preflight"

    def fail(step: str, fix: str, value: str = "") -> Verdict:
        text = message(
            step,
            value=value,
            preflight=preflight,
            profile=profile,
            status=response.status,
            origin=origin,
        )
        return _refusal(step, text, fix, stage, url, response, origin, profile)

    allow_origin = response.get("Access-Control-Allow-Origin")
    if allow_origin == "*":
        if not credentials:
            return None
        return fail(
            "allow-origin-wildcard-credentials",
            f"a credentialed request never accepts '*'. crossgate never sends '*' with "
            f"supports_credentials=True: if origins is '*', list the allowed origins instead so "
            f"that {quoted(origin)} is echoed; if origins is a list already, the '*' was set by "
            f"hand (an after_request hook, make_response, a proxy) on a response crossgate does "
            f"not cover: remove it and cover the route; or send the request without credentials",
        )
    if allow_origin is None:
        return fail("allow-origin-missing", _origin_fix(origin, stage))
    if allow_origin != origin:
        if _is_multiple(allow_origin, response, profile):
            return fail(
                "allow-origin-multiple",
                "send one Access-Control-Allow-Origin value: list the origins in origins and "
                "crossgate echoes the matching one; if it already does, another layer (a proxy, "
                "a second CORS extension, an after_request hook) adds the header again",
                allow_origin,
            )
        if (
            profile.reports_invalid_origin
            and allow_origin != "null"
            and not _looks_like_url(allow_origin)
        ):
            return fail(
                "allow-origin-invalid",
                "Access-Control-Allow-Origin must be '*' or one origin written "
                "scheme://host[:port]; " + _origin_fix(origin, stage),
                allow_origin,
            )
        slash = allow_origin.rstrip("/") == origin
        return fail(
            "allow-origin-mismatch",
            _origin_fix(origin, stage)
            + (
                " (origins are written scheme://host[:port], without a trailing slash)"
                if slash
                else ""
            ),
            allow_origin,
        )
    if credentials:
        allow_credentials = response.get("Access-Control-Allow-Credentials")
        if allow_credentials != "true":
            return fail(
                "allow-credentials",
                "set supports_credentials=True so that Access-Control-Allow-Credentials: true is "
                "sent; or send the request without credentials",
                allow_credentials or "",
            )
    return None


def _is_multiple(allow_origin: str, response: HttpResponse, profile: EngineProfile) -> bool:
    """Whether the engine reports this ``Access-Control-Allow-Origin`` as several values."""
    if profile.multiple_origins == "lines":
        return len(response.get_all("Access-Control-Allow-Origin")) > 1
    if profile.multiple_origins == "comma":
        return "," in allow_origin
    return "," in allow_origin or " " in allow_origin


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
        " ('*' does not cover Authorization in the Fetch standard, though Chromium 156, "
        "Firefox 153 and WebKit 2.50 still let it through: list it)"
    )


def _max_age(value: str | None, profile: EngineProfile) -> tuple[int, str]:
    """Seconds the engine caches a preflight for this ``Access-Control-Max-Age``, and a note."""
    cap = profile.max_age_cap
    if value is None:
        return profile.max_age_default, ""
    if not _MAX_AGE.fullmatch(value):
        seconds = profile.max_age_invalid
        return seconds, (
            f"Access-Control-Max-Age {quoted(value)} is not a number of seconds, so the browser "
            f"caches the preflight for {seconds} s: set max_age to an integer"
        )
    # A hostile value may have thousands of digits: no int() for those.
    number = int(value) if len(value) <= 40 else INT64_MAX * (-1 if value[0] == "-" else 2)
    if not -INT64_MAX - 1 <= number <= INT64_MAX:
        if profile.max_age_overflow_to_default:
            return profile.max_age_default, (
                f"Access-Control-Max-Age {quoted(value)} is too large a number, so the browser "
                f"caches the preflight for {profile.max_age_default} s: set max_age to at most "
                f"{cap if cap is not None else 86400}"
            )
        number = cap if cap is not None else number
    if cap is not None and number > cap:
        return cap, (
            f"{profile.name.capitalize()} caches a preflight for at most {cap} s (Chromium "
            "7200 s, Firefox 86400 s, WebKit 600 s): a larger max_age only helps the others"
        )
    # A negative age is a request not to cache at all.
    return max(number, 0), ""


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
