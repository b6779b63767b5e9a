"""The browser's side of CORS, as a pure model: what a page's ``fetch()`` sends and accepts.

This module is the client half of the Fetch standard (CORS-safelisting, the CORS check, the
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
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from urllib.parse import SplitResult, urljoin, urlsplit

from crossgate._fetch import (
    FORBIDDEN_METHODS,
    NORMALIZED_METHODS,
    SAFELISTED_METHODS,
    SAFELISTED_RESPONSE_HEADERS,
    is_forbidden_header_name,
)
from crossgate._http import TOKEN
from crossgate.errors import show

__all__ = [
    "BrowserRequest",
    "HttpResponse",
    "Verdict",
    "console_message",
    "cors_check",
    "evaluate",
    "is_safelisted_request_header",
    "needs_preflight",
    "normalize_method",
    "preflight_check",
    "readable_response_headers",
    "unsafe_request_header_names",
]

# Fetch's limits and Chromium's choices where the standard leaves them to the browser.
_MAX_REDIRECTS = 20
_DEFAULT_MAX_AGE = 5
_MAX_AGE_CAP = 7200
_SAFELISTED_VALUE_MAX = 128
_SAFELISTED_TOTAL_MAX = 1024
_INT64_MAX = 2**63 - 1

_METHOD_OVERRIDE_HEADERS = frozenset(
    {"x-http-method", "x-http-method-override", "x-method-override"}
)
_REQUEST_BODY_HEADERS = frozenset(
    {"content-encoding", "content-language", "content-location", "content-type"}
)
_SAFELISTED_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
_FORBIDDEN_RESPONSE_HEADERS = frozenset({"set-cookie", "set-cookie2"})
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = MappingProxyType({"http": 80, "https": 443})
# Chromium answers these redirect targets with a network error rather than a CORS message.
_UNSAFE_REDIRECT_SCHEMES = frozenset({"about", "data"})
_CORS_SCHEMES = (
    "chrome, chrome-experimental-site-token-provider, chrome-extension, chrome-untrusted, "
    "data, http, https, isolated-app"
)

_HTTP_WHITESPACE = " \t\r\n"
_UNSAFE_BYTES = re.compile(r'[\x00-\x08\x0a-\x1f"():<>?@\[\\\]{}\x7f]')
_LANGUAGE = re.compile(r"[0-9A-Za-z *,\-.;=]*")
_RANGE = re.compile(r"bytes=([0-9]+)-([0-9]*)")
_MAX_AGE = re.compile(r"[+-]?[0-9]{1,19}")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")

_PREFLIGHT_PREFIX = "Response to preflight request doesn't pass access control check: "
_VALID_VALUE_HINT = " Have the server send the header with a valid value."
# Steps whose console line is Chromium's "Failed to load resource" rather than a CORS message.
_NETWORK_ERROR_STEPS = frozenset({"too-many-redirects", "redirect-invalid"})
# Steps that report a gap in what the caller passed, not something a browser prints.
_INPUT_STEPS = frozenset({"preflight-missing", "response-missing"})


@dataclass(frozen=True, slots=True)
class BrowserRequest:
    """A ``fetch()`` made by a page: where to, from which origin, and with what.

    :param url: the absolute URL fetched.
    :param origin: the page's serialized origin (``https://app.example.com`` or ``null``).
    :param method: the method as the page wrote it; see :func:`normalize_method`.
    :param headers: the ``(name, value)`` pairs the page set, in order.
    :param credentials: ``True`` for credentials mode ``'include'`` (cookies and HTTP auth sent
        cross-origin), ``False`` for the default ``'same-origin'``.
    """

    url: str
    origin: str
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    credentials: bool = False

    def __post_init__(self) -> None:
        # A list passed by mistake would make the value mutable and unhashable.
        object.__setattr__(self, "headers", tuple((name, value) for name, value in self.headers))


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A response as the browser received it: the status and the raw header lines.

    Several lines may share one name, exactly as a server or proxy sent them; the model combines
    them the way Chromium does (values joined with ``", "``).

    :param status: the HTTP status code.
    :param headers: the ``(name, value)`` header lines, in order.
    :param url: the URL this response answered; :func:`cors_check` and :func:`preflight_check`
        report it (defaulting to the request's URL), :func:`evaluate` works it out from the
        ``Location`` headers instead.
    """

    status: int
    headers: tuple[tuple[str, str], ...]
    url: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", tuple((name, value) for name, value in self.headers))

    def get_all(self, name: str) -> list[str]:
        """Return the value of every line called *name* (case-insensitive), trimmed, in order."""
        wanted = _lower(name)
        return [value.strip(" \t") for key, value in self.headers if _lower(key) == wanted]

    def get(self, name: str) -> str | None:
        """Return the lines called *name* combined into one value, or ``None`` when absent.

        >>> HttpResponse(200, (("Vary", "Origin"), ("vary", " Accept "))).get("VARY")
        'Origin, Accept'
        """
        values = self.get_all(name)
        return ", ".join(values) if values else None


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the browser decided, which step decided it, what it prints and how to fix it.

    :param allowed: whether the page gets the response (``fetch()`` resolves).
    :param step: a stable code for the deciding step: ``ok`` and ``same-origin`` when allowed;
        otherwise one of ``preflight-missing``, ``response-missing``, ``preflight-redirect``,
        ``preflight-status``, ``allow-origin-missing``, ``allow-origin-multiple``,
        ``allow-origin-invalid``, ``allow-origin-wildcard-credentials``,
        ``allow-origin-mismatch``, ``allow-credentials``, ``allow-methods-parse``,
        ``allow-headers-parse``, ``method-not-allowed``, ``header-not-allowed``,
        ``redirect-credentials``, ``redirect-scheme``, ``redirect-invalid``,
        ``too-many-redirects``.
    :param message: Chromium's console text for the failure: what follows "has been blocked by
        CORS policy: " (with the preflight prefix where Chromium adds one), or the network error
        for ``too-many-redirects`` and ``redirect-invalid``; empty when allowed.
    :param fix: what to change on the server, in terms of crossgate's options; a note (for
        example about ``max_age``) or empty when allowed.
    :param stage: which response decided: ``preflight``, ``redirect`` or ``response``.
    :param url: the URL of that response, as the console line names it.
    :param preflight_needed: whether the browser sends (or sent) a preflight.
    :param max_age: seconds Chromium caches the first passing preflight, ``None`` without one.
    :param missing_headers: for ``header-not-allowed``, every request header name not allowed.
    :param readable_headers: when allowed, the response header names the page's script can read.
    """

    allowed: bool
    step: str
    message: str = ""
    fix: str = ""
    stage: str = "response"
    url: str = ""
    preflight_needed: bool = False
    max_age: int | None = None
    missing_headers: tuple[str, ...] = ()
    readable_headers: frozenset[str] = field(default_factory=frozenset)


def normalize_method(method: str) -> str:
    """Return *method* as the browser sends it.

    ``DELETE``, ``GET``, ``HEAD``, ``OPTIONS``, ``POST`` and ``PUT`` are upper-cased whatever
    their case; every other method is kept exactly as written, so ``patch`` stays ``patch``
    (and then matches neither ``PATCH`` in ``Access-Control-Allow-Methods`` nor most servers).

    >>> normalize_method("delete"), normalize_method("patch")
    ('DELETE', 'patch')
    """
    upper = method.translate(_ASCII_UPPER)
    return upper if upper in NORMALIZED_METHODS else method


def is_safelisted_request_header(name: str, value: str) -> bool:
    """Tell whether one ``(name, value)`` pair is a CORS-safelisted request header.

    The value is first trimmed of leading and trailing whitespace, as ``fetch()`` does. This
    checks a single header; :func:`unsafe_request_header_names` adds the rule on the total size.
    """
    return _is_safelisted(_lower(name), value.strip(_HTTP_WHITESPACE))


def unsafe_request_header_names(headers: Iterable[tuple[str, str]]) -> list[str]:
    """Return the header names a browser puts in ``Access-Control-Request-Headers``.

    The names are lowercased, de-duplicated and sorted. Headers a page may not set (``Cookie``,
    ``Host``, ``Sec-*``, ``Proxy-*``, a method override naming ``TRACE``...) are left out, since
    ``fetch()`` silently drops them. When the safelisted values add up to more than 1024 bytes,
    their names are unsafe too.

    Chromium 156 differs in three places, none of which makes this list shorter than Chromium's
    for a request that works in every browser: it also drops ``User-Agent`` and safelists a few
    client hints (``DPR``, ``Save-Data``, ``Width``...), which Firefox and Safari preflight; and
    it checks repeated headers as one combined value, so two ``Content-Type`` lines preflight
    there.

    >>> unsafe_request_header_names([("X-Trace", "1"), ("Content-Type", "application/json"),
    ...                              ("Accept", "*/*"), ("Cookie", "a=b")])
    ['content-type', 'x-trace']
    """
    unsafe: set[str] = set()
    safelisted: set[str] = set()
    safelisted_size = 0
    for raw_name, raw_value in headers:
        name = _lower(raw_name)
        value = raw_value.strip(_HTTP_WHITESPACE)
        if _is_forbidden_request_header(name, value):
            continue
        if _is_safelisted(name, value):
            safelisted.add(name)
            safelisted_size += len(value)
        else:
            unsafe.add(name)
    if safelisted_size > _SAFELISTED_TOTAL_MAX:
        unsafe |= safelisted
    return sorted(unsafe)


def needs_preflight(method: str, headers: Iterable[tuple[str, str]]) -> bool:
    """Tell whether a cross-origin ``fetch()`` with this method and these headers is preflighted.

    It is when the (normalized) method is not ``GET``, ``HEAD`` or ``POST``, or when any header
    is not CORS-safelisted. A preflight cache entry can spare the browser the request, but the
    server must still be ready to answer it.

    >>> needs_preflight("post", [("Content-Type", "text/plain; charset=utf-8")])
    False
    >>> needs_preflight("GET", [("Authorization", "Bearer t")])
    True
    """
    if normalize_method(method) not in SAFELISTED_METHODS:
        return True
    return bool(unsafe_request_header_names(headers))


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
    failure = _cors_failure(request.origin, request.credentials, response, url, "response")
    if failure is not None:
        return failure
    return Verdict(
        True,
        "ok",
        url=url,
        readable_headers=_exposed_headers(request.credentials, response),
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
    verdict = _preflight_verdict(
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
    if _origin_of(request.url) == request.origin:
        return _present_headers(response)
    if cors_check(request, response).allowed:
        return _exposed_headers(request.credentials, response)
    return frozenset()


def evaluate(
    request: BrowserRequest,
    *,
    preflight: HttpResponse | None,
    response: HttpResponse | None,
    redirects: Sequence[HttpResponse] = (),
    redirect_preflights: Sequence[HttpResponse | None] = (),
) -> Verdict:
    """Decide the whole ``fetch()``: preflight, every redirect hop, and the final response.

    :param preflight: the answer to the preflight sent to ``request.url``, or ``None`` when the
        server was not asked (a needed but missing preflight yields ``preflight-missing``).
    :param response: the final response, ``None`` if not available (``response-missing``).
    :param redirects: the redirect responses (3xx with ``Location``) met on the way, in order.
    :param redirect_preflights: ``redirect_preflights[i]`` answers the preflight sent to the
        URL that ``redirects[i]`` points to; the browser preflights again at every new URL
        while the request still needs it.
    :raises ValueError: if an item of *redirects* is not a redirect.

    Every hop's URL is worked out from the ``Location`` headers. The CORS check runs on every
    cross-origin hop; after a hop to another origin from a URL not of the page's origin, the
    browser sends ``Origin: null`` for the rest of the chain; ``Authorization`` is dropped when a
    redirect changes origin; a 301/302 turns ``POST`` into ``GET`` and a 303 turns anything but
    ``GET``/``HEAD`` into ``GET``, without the body headers; the 21st redirect fails.
    """
    for index, redirect in enumerate(redirects):
        if redirect.status not in _REDIRECT_STATUSES or not redirect.get("Location"):
            raise ValueError(
                f"redirects[{index}] is not a redirect (status {redirect.status}, Location "
                f"{redirect.get('Location')!r}): pass the last response as response="
            )
    state = _Hop(
        url=request.url,
        method=normalize_method(request.method),
        headers=request.headers,
        cors=_origin_of(request.url) != request.origin,
        tainted=False,
    )
    answers = [preflight, *redirect_preflights]
    preflight_needed = False
    first_preflight: Verdict | None = None
    index = 0
    while True:
        last = index == len(redirects)
        hop: HttpResponse | None = response if last else redirects[index]
        stage = "response" if last else "redirect"
        origin = "null" if state.tainted else request.origin
        if state.cors and needs_preflight(state.method, state.headers):
            preflight_needed = True
            answer = answers[index] if index < len(answers) else None
            if answer is None:
                return Verdict(
                    False,
                    "preflight-missing",
                    f"No preflight response was given for {show(state.url)}, which needs one.",
                    "pass the OPTIONS response as preflight= (or redirect_preflights= for a "
                    "redirect target)",
                    stage="preflight",
                    url=state.url,
                    preflight_needed=True,
                    max_age=first_preflight.max_age if first_preflight else None,
                )
            checked = _preflight_verdict(
                origin, request.credentials, state.method, state.headers, answer, state.url
            )
            if not checked.allowed:
                return replace(checked, preflight_needed=True)
            first_preflight = first_preflight or checked
        max_age = first_preflight.max_age if first_preflight else None
        if hop is None:
            return Verdict(
                False,
                "response-missing",
                f"No response was given for {show(state.url)}.",
                "pass the response to the actual request as response=",
                url=state.url,
                preflight_needed=preflight_needed,
                max_age=max_age,
            )
        if state.cors:
            failure = _cors_failure(origin, request.credentials, hop, state.url, stage)
            if failure is not None:
                return replace(failure, preflight_needed=preflight_needed, max_age=max_age)
        if last:
            return Verdict(
                True,
                "ok" if state.cors else "same-origin",
                fix=first_preflight.fix if first_preflight else "",
                url=state.url,
                preflight_needed=preflight_needed,
                max_age=max_age,
                readable_headers=(
                    _exposed_headers(request.credentials, hop)
                    if state.cors
                    else _present_headers(hop)
                ),
            )
        followed = _follow(request, state, hop, index)
        if isinstance(followed, Verdict):
            return replace(followed, preflight_needed=preflight_needed, max_age=max_age)
        state = followed
        index += 1


def console_message(request: BrowserRequest, verdict: Verdict) -> str:
    """Return the line Chromium prints in the page's console for *verdict* ('' when allowed).

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


@dataclass(frozen=True, slots=True)
class _Hop:
    """The request as it stands before one hop: redirects change all of it."""

    url: str
    method: str
    headers: tuple[tuple[str, str], ...]
    cors: bool
    tainted: bool


def _follow(
    request: BrowserRequest, state: _Hop, redirect: HttpResponse, index: int
) -> _Hop | Verdict:
    """Apply one redirect to the request, or return the failure that stops it."""
    location = redirect.get("Location") or ""
    stage = "redirect"
    if index >= _MAX_REDIRECTS:
        return Verdict(
            False,
            "too-many-redirects",
            "net::ERR_TOO_MANY_REDIRECTS",
            f"browsers follow at most {_MAX_REDIRECTS} redirects: break the redirect loop or "
            "link to the final URL",
            stage=stage,
            url=state.url,
        )
    target = _resolve(state.url, location)
    fix = f"redirect to an http(s) URL (the Location was {_quote(location)})"
    if target is None:
        return Verdict(
            False, "redirect-invalid", "net::ERR_INVALID_REDIRECT", fix, stage=stage, url=state.url
        )
    if target.scheme in _UNSAFE_REDIRECT_SCHEMES:
        return Verdict(
            False, "redirect-invalid", "net::ERR_UNSAFE_REDIRECT", fix, stage=stage, url=state.url
        )
    new_url = target.geturl()
    if target.scheme not in _DEFAULT_PORTS:
        return Verdict(
            False,
            "redirect-scheme",
            f"Cross origin requests are only supported for protocol schemes: {_CORS_SCHEMES}.",
            fix,
            stage=stage,
            url=new_url,
        )
    new_origin = _origin_of(new_url)
    if (target.username or target.password) and new_origin != request.origin:
        # Chromium 156 prints an empty location here; the fix names the real one.
        return Verdict(
            False,
            "redirect-credentials",
            "Redirect location '' contains a username and password, which is disallowed for "
            "cross-origin requests.",
            f"remove the user name and password from the redirect Location {_quote(location)}",
            stage=stage,
            url=state.url,
        )
    current_origin = _origin_of(state.url)
    cross_origin = new_origin != current_origin
    headers = state.headers
    if cross_origin:
        # Credentials the page meant for one origin must not reach another.
        headers = tuple(pair for pair in headers if _lower(pair[0]) != "authorization")
    method = state.method
    if (redirect.status in (301, 302) and method == "POST") or (
        redirect.status == 303 and method not in ("GET", "HEAD")
    ):
        method = "GET"
        headers = tuple(pair for pair in headers if _lower(pair[0]) not in _REQUEST_BODY_HEADERS)
    # Once a server of a third origin has chosen where the request goes, no later server can
    # trust the page's origin: the browser sends "null" from then on (a "tainted origin").
    return _Hop(
        url=new_url,
        method=method,
        headers=headers,
        cors=state.cors or new_origin != request.origin,
        tainted=state.tainted or (cross_origin and request.origin != current_origin),
    )


def _preflight_verdict(
    origin: str,
    credentials: bool,
    method: str,
    headers: Iterable[tuple[str, str]],
    response: HttpResponse,
    url: str,
) -> Verdict:
    """The CORS-preflight check for one preflight response (*method* already normalized)."""
    stage = "preflight"
    location = response.get("Location")
    if response.status in _REDIRECT_STATUSES and location:
        return Verdict(
            False,
            "preflight-redirect",
            _PREFLIGHT_PREFIX + "Redirect is not allowed for a preflight request.",
            f"the preflight was redirected ({response.status} to {_quote(location)}): request "
            "the final URL directly (for example with the trailing slash Werkzeug redirects to)",
            stage=stage,
            url=url,
        )
    failure = _cors_failure(origin, credentials, response, url, stage)
    if failure is not None:
        return failure
    if not 200 <= response.status <= 299:
        return Verdict(
            False,
            "preflight-status",
            _PREFLIGHT_PREFIX + "It does not have HTTP ok status.",
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
            "Cannot parse Access-Control-Allow-Methods response header field in preflight "
            "response.",
            f"Access-Control-Allow-Methods must be a comma-separated list of method names: "
            f"remove {_quote(methods)} from methods",
            stage=stage,
            url=url,
        )
    header_names = _token_list(response.get("Access-Control-Allow-Headers"))
    if isinstance(header_names, str):
        return Verdict(
            False,
            "allow-headers-parse",
            "Cannot parse Access-Control-Allow-Headers response header field in preflight "
            "response.",
            f"Access-Control-Allow-Headers must be a comma-separated list of header names: "
            f"remove {_quote(header_names)} from allow_headers",
            stage=stage,
            url=url,
        )
    wildcard = not credentials and "*" in methods
    if method not in SAFELISTED_METHODS and method not in methods and not wildcard:
        return Verdict(
            False,
            "method-not-allowed",
            f"Method {show(method)} is not allowed by Access-Control-Allow-Methods in "
            "preflight response.",
            f"add {_quote(method)} to methods" + _method_note(method, methods, credentials),
            stage=stage,
            url=url,
        )
    allowed_headers = {_lower(name) for name in header_names}
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
            f"Request header field {show(missing[0])} is not allowed by "
            "Access-Control-Allow-Headers in preflight response.",
            f"add {', '.join(_quote(name) for name in missing)} to allow_headers"
            + _header_note(missing, allowed_headers, credentials),
            stage=stage,
            url=url,
            missing_headers=missing,
        )
    max_age, note = _max_age(response.get("Access-Control-Max-Age"))
    return Verdict(True, "ok", fix=note, stage=stage, url=url, max_age=max_age)


def _cors_failure(
    origin: str, credentials: bool, response: HttpResponse, url: str, stage: str
) -> Verdict | None:
    """The CORS check in Chromium's order; ``None`` when it passes."""
    prefix = _PREFLIGHT_PREFIX if stage == "preflight" else ""
    allow_origin = response.get("Access-Control-Allow-Origin")
    if allow_origin == "*":
        if not credentials:
            return None
        return Verdict(
            False,
            "allow-origin-wildcard-credentials",
            prefix + "The value of the 'Access-Control-Allow-Origin' header in the response "
            "must not be the wildcard '*' when the request's credentials mode is 'include'.",
            f"with supports_credentials=True, list the allowed origins in origins instead of "
            f"'*' so that {_quote(origin)} is echoed; or send the request without credentials",
            stage=stage,
            url=url,
        )
    if allow_origin is None:
        return Verdict(
            False,
            "allow-origin-missing",
            prefix + "No 'Access-Control-Allow-Origin' header is present on the requested "
            "resource.",
            _origin_fix(origin, stage),
            stage=stage,
            url=url,
        )
    if allow_origin != origin:
        shown = show(allow_origin)
        if "," in allow_origin or " " in allow_origin:
            return Verdict(
                False,
                "allow-origin-multiple",
                prefix + f"The 'Access-Control-Allow-Origin' header contains multiple values "
                f"'{shown}', but only one is allowed." + _VALID_VALUE_HINT,
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
                prefix + f"The 'Access-Control-Allow-Origin' header contains the invalid value "
                f"'{shown}'." + _VALID_VALUE_HINT,
                "Access-Control-Allow-Origin must be '*' or one origin written "
                "scheme://host[:port]; " + _origin_fix(origin, stage),
                stage=stage,
                url=url,
            )
        return Verdict(
            False,
            "allow-origin-mismatch",
            prefix + f"The 'Access-Control-Allow-Origin' header has a value '{shown}' that is "
            "not equal to the supplied origin." + _VALID_VALUE_HINT,
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
                prefix + "The value of the 'Access-Control-Allow-Credentials' header in the "
                f"response is '{show(allow_credentials or '')}' which must be 'true' when the "
                "request's credentials mode is 'include'.",
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
    return f"add {_quote(origin)} to origins{where}"


def _method_note(method: str, listed: frozenset[str], credentials: bool) -> str:
    """Why a listed-looking method did not match."""
    if any(item.translate(_ASCII_UPPER) == method.translate(_ASCII_UPPER) for item in listed):
        return f" (methods match case-sensitively and the browser sends {_quote(method)})"
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
    if not _MAX_AGE.fullmatch(value) or not -_INT64_MAX - 1 <= int(value) <= _INT64_MAX:
        return _DEFAULT_MAX_AGE, (
            f"Access-Control-Max-Age {_quote(value)} is not a number of seconds, so the browser "
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


def _exposed_headers(credentials: bool, response: HttpResponse) -> frozenset[str]:
    """Readable header names of a response that passed the CORS check."""
    present = _present_headers(response)
    listed = _token_list(response.get("Access-Control-Expose-Headers"))
    exposed = frozenset() if isinstance(listed, str) else {_lower(name) for name in listed}
    if "*" in exposed and not credentials:
        return present
    return frozenset(name for name in present if name in SAFELISTED_RESPONSE_HEADERS | exposed)


def _present_headers(response: HttpResponse) -> frozenset[str]:
    """Every header name in *response* a script may see at all."""
    names = {_lower(name) for name, _ in response.headers}
    return frozenset(names - _FORBIDDEN_RESPONSE_HEADERS)


def _is_forbidden_request_header(name: str, value: str) -> bool:
    """A header ``fetch()`` silently drops: the browser alone sets it."""
    if is_forbidden_header_name(name):
        return True
    if name in _METHOD_OVERRIDE_HEADERS:
        methods = {
            item.strip(_HTTP_WHITESPACE).translate(_ASCII_UPPER) for item in value.split(",")
        }
        return not methods.isdisjoint(FORBIDDEN_METHODS)
    return False


def _is_safelisted(name: str, value: str) -> bool:
    """The CORS-safelisted request-header rules for one normalized header."""
    # fetch() refuses characters beyond one byte; for the model they make the header unsafe.
    if len(value) > _SAFELISTED_VALUE_MAX or any(ord(char) > 0xFF for char in value):
        return False
    if name == "accept":
        return not _UNSAFE_BYTES.search(value)
    if name in ("accept-language", "content-language"):
        return bool(_LANGUAGE.fullmatch(value))
    if name == "content-type":
        return not _UNSAFE_BYTES.search(value) and _mime_essence(value) in _SAFELISTED_CONTENT_TYPES
    if name == "range":
        match = _RANGE.fullmatch(value)
        if match is None:
            return False
        start, end = match.groups()
        # Chromium also refuses positions it cannot hold in a signed 64-bit integer.
        limit = _INT64_MAX - 1
        return int(start) <= limit and (not end or int(start) <= int(end) <= limit)
    return False


def _mime_essence(value: str) -> str | None:
    """The essence (``type/subtype``, lowercased) of a MIME type, ``None`` if it is invalid.

    Follows the WHATWG "parse a MIME type" steps as far as the essence; parameters cannot make
    the parse fail.
    """
    text = value.strip(_HTTP_WHITESPACE)
    kind, slash, rest = text.partition("/")
    if not slash or not TOKEN.fullmatch(kind):
        return None
    subtype = rest.partition(";")[0].rstrip(_HTTP_WHITESPACE)
    if not TOKEN.fullmatch(subtype):
        return None
    return _lower(f"{kind}/{subtype}")


def _looks_like_url(value: str) -> bool:
    """Approximate Chromium's URL validity, which picks "invalid" over "not equal" wording."""
    cleaned = value.replace("\t", "").replace("\n", "").replace("\r", "")
    scheme = _SCHEME.match(cleaned)
    if scheme is None:
        return False
    if _lower(scheme.group()[:-1]) not in ("http", "https", "ws", "wss", "ftp"):
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


def _origin_of(url: str) -> str | None:
    """The serialized origin of an http(s) URL, ``None`` for anything else (an opaque origin)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname
    if parts.scheme not in _DEFAULT_PORTS or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def _resolve(base: str, location: str) -> SplitResult | None:
    """Resolve a ``Location`` against the URL that sent it; ``None`` if it is no URL."""
    try:
        written = urlsplit(location)
        # urljoin would read "http://" (no host) as a reference to the base URL itself.
        absolute = written.scheme and location[len(written.scheme) + 1 :].startswith("//")
        target = written if absolute else urlsplit(urljoin(base, location))
        target.port  # noqa: B018 - urlsplit checks the port only when asked
    except ValueError:
        return None
    if target.scheme in _DEFAULT_PORTS and not target.hostname:
        return None
    return target


def _lower(text: str) -> str:
    """ASCII-only lowercase: header names are bytes, and ``str.lower`` would fold non-ASCII."""
    return text.translate(_ASCII_LOWER)


def _quote(text: str) -> str:
    """An untrusted value in single quotes, made safe by :func:`crossgate.errors.show`."""
    return f"'{show(text)}'"
