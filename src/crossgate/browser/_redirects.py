"""Redirects as the browser follows them: where a Location leads, and the request after a hop.

One resolution of a ``Location`` (:func:`resolve_redirect`) and one origin of a URL
(:func:`url_origin`) serve the model and the ``crossgate check`` command, which sends what
:func:`follow_redirect` says the browser sends next: the same URL, method, headers and
``Origin``, so the exchange it records is the one the model judges.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import urljoin, urlsplit, urlunsplit

from crossgate.browser._profiles import CHROMIUM
from crossgate.browser._safelist import normalize_method
from crossgate.browser._values import (
    BrowserRequest,
    EngineProfile,
    HttpResponse,
    Verdict,
    ascii_lower,
    quoted,
)
from crossgate.browser._wording import message

#: Fetch fails the 21st redirect of one fetch.
MAX_REDIRECTS = 20

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = MappingProxyType({"http": 80, "https": 443})
# Chromium answers these redirect targets with a network error rather than a CORS message.
_UNSAFE_REDIRECT_SCHEMES = frozenset({"about", "data"})
# Fetch's "request-body-header names": dropped with the body when a redirect turns it into GET.
_REQUEST_BODY_HEADERS = frozenset(
    {"content-encoding", "content-language", "content-location", "content-type"}
)


def is_redirect(response: HttpResponse) -> bool:
    """Whether the browser follows *response*: a 301, 302, 303, 307 or 308 with a Location."""
    return response.status in _REDIRECT_STATUSES and bool(response.get("Location"))


def url_origin(url: str) -> str | None:
    """The serialized origin of an http(s) URL, ``None`` for anything else (an opaque origin).

    >>> url_origin("https://API.example.com:443/items?page=2")
    'https://api.example.com'
    """
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


def resolve_redirect(url: str, location: str) -> str | None:
    """Where a redirect's *location* leads from *url*, written as the browser writes URLs.

    A relative or scheme-relative ``Location`` is resolved against *url*; an http(s) URL gets
    its host lowercased and its default port dropped. ``None`` when the ``Location`` is no URL
    the browser could go to (``http://`` with no host, a port that is not a number).

    >>> resolve_redirect("https://api.example.com/v1/items", "../v2/items")
    'https://api.example.com/v2/items'
    >>> resolve_redirect("https://api.example.com/a", "//CDN.example.net:443/a")
    'https://cdn.example.net/a'
    >>> resolve_redirect("https://api.example.com/a", "http://") is None
    True
    """
    try:
        written = urlsplit(location)
        # urljoin would read "http://" (no host) as a reference to the base URL itself.
        absolute = written.scheme and location[len(written.scheme) + 1 :].startswith("//")
        target = written if absolute else urlsplit(urljoin(url, location))
        port = target.port
    except ValueError:
        return None
    if target.scheme not in _DEFAULT_PORTS:
        return target.geturl()
    host = target.hostname
    if not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS[target.scheme]:
        host = f"{host}:{port}"
    user, at, _ = target.netloc.rpartition("@")
    return urlunsplit(target._replace(netloc=f"{user}{at}{host}"))


@dataclass(frozen=True, slots=True)
class Hop:
    """The request as the browser sends it to one URL of a redirect chain.

    :param url: where it goes.
    :param method: the method, normalized; a redirect can turn it into ``GET``.
    :param headers: the page's headers as they stand: a redirect to another origin drops
        ``Authorization``, one that turns the request into ``GET`` drops the body's headers.
    :param cors: whether the request is in CORS mode (the ``Origin`` header is sent and the CORS
        check runs), which it stays once it has been.
    :param origin: the ``Origin`` header: the page's origin, or ``null`` once a server of a
        third origin has chosen where the request goes (a "tainted origin").
    """

    url: str
    method: str
    headers: tuple[tuple[str, str], ...]
    cors: bool
    origin: str


def first_hop(request: BrowserRequest) -> Hop:
    """The request as the page's ``fetch()`` first sends it."""
    return Hop(
        url=request.url,
        method=normalize_method(request.method),
        headers=request.headers,
        cors=url_origin(request.url) != request.origin,
        origin=request.origin,
    )


def _stopped(
    code: str, fix: str, url: str, profile: EngineProfile, *, wording: str | None = None
) -> Verdict:
    """The failure *code* that stops a fetch at a redirect from *url*, in *profile*'s words
    (those of *wording* when the console says more than the code)."""
    text = message(wording or code, profile=profile)
    return Verdict(False, code, text, fix, stage="redirect", url=url)


def follow_redirect(
    request: BrowserRequest,
    hop: Hop,
    redirect: HttpResponse,
    followed: int,
    *,
    profile: EngineProfile = CHROMIUM,
) -> Hop | Verdict:
    """The request the browser sends after *redirect*, the answer to *hop*; or the failure that
    stops the fetch. *followed* counts the redirects followed before this one.

    WebKit keeps ``Authorization`` across origins and the body headers when the method turns
    into ``GET`` (``profile.redirect_drops_*``)."""
    location = redirect.get("Location") or ""
    if followed >= MAX_REDIRECTS:
        fix = (
            f"browsers follow at most {MAX_REDIRECTS} redirects: break the redirect loop or "
            "link to the final URL"
        )
        return _stopped("too-many-redirects", fix, hop.url, profile)
    new_url = resolve_redirect(hop.url, location)
    fix = f"redirect to an http(s) URL (the Location was {quoted(location)})"
    if new_url is None:
        return _stopped("redirect-invalid", fix, hop.url, profile)
    target = urlsplit(new_url)
    if target.scheme in _UNSAFE_REDIRECT_SCHEMES:
        return _stopped("redirect-invalid", fix, hop.url, profile, wording="redirect-unsafe")
    if target.scheme not in _DEFAULT_PORTS:
        return _stopped("redirect-scheme", fix, new_url, profile)
    new_origin = url_origin(new_url)
    if (target.username or target.password) and new_origin != request.origin:
        fix = f"remove the user name and password from the redirect Location {quoted(location)}"
        return _stopped("redirect-credentials", fix, hop.url, profile)
    current_origin = url_origin(hop.url)
    cross_origin = new_origin != current_origin
    headers = hop.headers
    if cross_origin and profile.redirect_drops_authorization:
        # Credentials the page meant for one origin must not reach another.
        headers = tuple(pair for pair in headers if ascii_lower(pair[0]) != "authorization")
    method = hop.method
    if (redirect.status in (301, 302) and method == "POST") or (
        redirect.status == 303 and method not in ("GET", "HEAD")
    ):
        method = "GET"
        if profile.redirect_drops_body_headers:
            headers = tuple(
                pair for pair in headers if ascii_lower(pair[0]) not in _REQUEST_BODY_HEADERS
            )
    # Once a server of a third origin has chosen where the request goes, no later server can
    # trust the page's origin: the browser sends "null" from then on.
    tainted = cross_origin and request.origin != current_origin
    return Hop(
        url=new_url,
        method=method,
        headers=headers,
        cors=hop.cors or new_origin != request.origin,
        origin="null" if tainted else hop.origin,
    )
