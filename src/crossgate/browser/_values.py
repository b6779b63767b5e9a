"""The values the browser model passes around: a page's request, a response, the verdict.

Plus the two text helpers every part of the model uses: ASCII-only case folding (header names
are bytes) and quoting an untrusted value for a message.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crossgate.errors import show

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def ascii_lower(text: str) -> str:
    """ASCII-only lowercase: header names are bytes, and ``str.lower`` would fold non-ASCII."""
    return text.translate(_ASCII_LOWER)


def ascii_upper(text: str) -> str:
    """ASCII-only uppercase, as ``fetch()`` normalizes a method (``"ß".upper()`` is ``"SS"``)."""
    return text.translate(_ASCII_UPPER)


def quoted(text: str) -> str:
    """An untrusted value in single quotes, made safe by :func:`crossgate.errors.show`."""
    return f"'{show(text)}'"


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
        wanted = ascii_lower(name)
        return [value.strip(" \t") for key, value in self.headers if ascii_lower(key) == wanted]

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
    :param status: the status of the response that decided (``None`` when there was none).
    :param origin: the ``Origin`` the browser sent with that response's request (``null`` after
        a redirect to a third origin); empty when allowed.
    :param location: for a failure on a redirect, the URL the redirect pointed to.
    :param engine: the name of the engine profile the verdict was reached with.
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
    status: int | None = None
    origin: str = ""
    location: str = ""
    engine: str = "chromium"


@dataclass(frozen=True, slots=True)
class EngineProfile:
    """Where one browser engine departs from another: every difference the model knows of.

    The model runs the Fetch standard's steps and asks the profile at each place where real
    engines were measured to differ. :data:`crossgate.browser.CHROMIUM`, ``FIREFOX``, ``WEBKIT``
    and ``STANDARD`` (the standard's own rules) are the profiles; ``PROFILES`` maps names to
    them.

    :param name: ``chromium``, ``firefox``, ``webkit`` or ``standard``.
    :param version: the engine version the fields were measured with.
    :param max_age_cap: the most seconds a preflight result is cached (``None``: no cap).
    :param max_age_default: seconds cached without ``Access-Control-Max-Age``.
    :param max_age_invalid: seconds cached for a value that is no number (``0``: not cached).
    :param max_age_overflow_to_default: a number too large for 64 bits falls back to
        *max_age_default* (``False``: it is cached for *max_age_cap*).
    :param wildcard_covers_authorization: ``Access-Control-Allow-Headers: *`` also allows
        ``Authorization`` (the standard says it never does).
    :param dropped_request_headers: header names ``fetch()`` silently drops beyond the
        forbidden ones (Chromium drops ``User-Agent``).
    :param safelists_client_hints: valid ``DPR``, ``Width``, ``Viewport-Width``, ``RTT``,
        ``Downlink``, ``ECT``, ``Device-Memory`` and ``Save-Data: on`` need no preflight.
    :param combines_repeated_headers: a header set twice is checked as one combined value
        (``text/plain, text/plain`` is no safelisted ``Content-Type``), not value by value.
    :param safelisted_total_limit: the total size of safelisted values above which they all
        need a preflight (``None``: no such limit).
    :param preflight_order: the order of the preflight answer's first checks: ``redirect``
        (a 3xx fails), ``cors`` (the CORS check), ``status`` (not 2xx fails; without a
        ``redirect`` step it catches redirects too).
    :param multiple_origins: what makes ``Access-Control-Allow-Origin`` "multiple values":
        ``comma-or-space`` in the value, a ``comma``, or several header ``lines``.
    :param reports_invalid_origin: a value that is no URL is reported as invalid rather than
        as not matching.
    :param redirect_drops_authorization: a redirect to another origin drops ``Authorization``.
    :param redirect_drops_body_headers: a redirect that turns the request into ``GET`` drops
        ``Content-Type`` and the other body headers.
    :param redirect_repeats_preflight: once preflighted, the request is preflighted again at
        every new URL even when it no longer needs one.
    :param wording: whose console wording: ``chromium``, ``firefox`` or ``webkit``.
    """

    name: str
    version: str
    max_age_cap: int | None
    max_age_default: int = 5
    max_age_invalid: int = 5
    max_age_overflow_to_default: bool = True
    wildcard_covers_authorization: bool = True
    dropped_request_headers: frozenset[str] = frozenset()
    safelists_client_hints: bool = False
    combines_repeated_headers: bool = True
    safelisted_total_limit: int | None = 1024
    preflight_order: tuple[str, ...] = ("redirect", "cors", "status")
    multiple_origins: str = "comma-or-space"
    reports_invalid_origin: bool = True
    redirect_drops_authorization: bool = True
    redirect_drops_body_headers: bool = True
    redirect_repeats_preflight: bool = False
    wording: str = "chromium"
