"""Cross-origin request protection, sans I/O: the forgery that CORS cannot stop.

CORS decides who may *read* a response. A page on another site can still *send* a form POST, a
``no-cors`` fetch or a WebSocket handshake with the user's cookies, and the server acts before
the browser withholds anything. This module decides, per request, whether such a write came
from a site the app trusts, with the algorithm of Go's ``net/http.CrossOriginProtection``:

- ``GET``, ``HEAD`` and ``OPTIONS`` pass (a WebSocket handshake is judged like a write);
- ``Sec-Fetch-Site: same-origin`` or ``none`` passes; any other value is refused unless the
  ``Origin`` is trusted;
- without ``Sec-Fetch-Site``: no ``Origin`` passes (a client that is not a browser), an
  ``Origin`` whose host and port are the request's ``Host`` passes, any other (``null``
  included) is refused unless trusted.

Trusted are the ``trusted_origins`` and the origins the route's CORS policy allows *with
credentials*; an exempt route is never refused. Both are facts about the route the framework
dispatches to, which only the adapter can find: it hands them over as a function that
``decide`` calls only for a request it would otherwise refuse, so an allowed write costs a few
comparisons.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from crossgate._origin_matcher import OriginMatcher
from crossgate._origins import compile_origins, insecure_origins
from crossgate._policy import CORSPolicy
from crossgate._reasons import Reason
from crossgate.errors import ConfigError, Problem, describe

#: Methods that must not change state: never refused (a WebSocket handshake is not one of them).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Sec-Fetch-Site values that mean the page is the app's own, or the user typed the URL.
_SAME_ORIGIN = frozenset({"same-origin", "none"})
#: The body of a refusal outside debug mode: short, and says nothing about the configuration.
REFUSED_BODY = b"Cross-origin request refused.\n"
_DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}

#: What each engine shows for a refused write, by the reason's code (the catalogue has the rest).
_BROWSER_SHOWS = (
    "a form submission shows the 403 page; a no-cors fetch() resolves with an opaque response "
    "(status 0); a cors-mode fetch() rejects with 'TypeError: Failed to fetch' and Chromium "
    "prints \"No 'Access-Control-Allow-Origin' header is present on the requested resource.\" "
    "unless the origin is trusted; a WebSocket fails with 'Unexpected response code: 403' "
    "(Chromium) and close code 1006"
)


class RouteFacts(NamedTuple):
    """What the adapter knows of the route a request is dispatched to."""

    #: The route, or a blueprint or mount around it, is named in ``exempt``.
    exempt: bool
    #: The route's CORS policy (None: no CORS policy covers it).
    policy: CORSPolicy | None


@dataclass(frozen=True, slots=True)
class Protection:
    """The compiled ``trusted_origins``; build it with ``compile_protection``."""

    trusted: OriginMatcher | None = None

    def trusts(self, origin: str | None, policy: CORSPolicy | None) -> bool:
        """Whether *origin* may write: listed in ``trusted_origins``, or allowed by the
        route's CORS *policy* with credentials (it may already read with the user's cookies).
        A policy without credentials, ``'*'`` included, trusts nobody."""
        if origin is None:
            return False
        if self.trusted is not None and self.trusted.allows(origin):
            return True
        return policy is not None and policy.supports_credentials and policy.origins.allows(origin)


def compile_protection(trusted_origins: object, *, context: str) -> Protection:
    """*trusted_origins* compiled with the ``origins`` option's syntax and start-up judgement,
    or a ``ConfigError`` naming *context* with every problem.

    Stricter than ``origins`` where trust means more than reading: ``'*'``, ``'null'``,
    any-host regexes and plain-http origins off this machine are refused, with no consent
    keyword, since each would let a forger's page write with the user's cookies.
    """
    if isinstance(trusted_origins, (list, tuple, set, frozenset)) and not trusted_origins:
        return Protection()
    matcher, problems = compile_origins(trusted_origins, option="trusted_origins")
    if matcher is not None:
        if matcher.any_origin:
            problems.append(
                Problem(
                    "trusted_origins",
                    "*",
                    "trusting every origin turns the protection off",
                    "list the sites whose pages may send writes, or exempt the routes that "
                    "must accept writes from anywhere",
                )
            )
        problems.extend(
            Problem(
                "trusted_origins",
                wide.pattern,
                f"this regex trusts every {wide.scheme} origin (even {wide.example!r}): it is "
                "'*' in effect",
                "list the trusted origins, or a subdomain pattern like 'https://*.example.com'",
            )
            for wide in matcher.any_host
        )
        insecure = insecure_origins(matcher)
        if insecure:
            problems.append(
                Problem(
                    "trusted_origins",
                    insecure,
                    "plain-http origins can be impersonated by anyone on the network path",
                    "use https origins (http is accepted for localhost and loopback addresses)",
                )
            )
    if problems:
        raise ConfigError(problems, context=context)
    assert matcher is not None
    return Protection(matcher)


def same_host(origin: str, host: str | None) -> bool:
    """Whether *origin*'s host and port are the request's *host* (the ``Host`` header), a
    default port written or not."""
    if host is None:
        return False
    scheme, separator, netloc = origin.partition("://")
    if not separator:
        return False
    host = host.lower()
    if netloc == host:
        return True
    default = _DEFAULT_PORTS.get(scheme)
    name, _, port = host.rpartition(":")
    return default is not None and port == default and netloc == name


def decide(
    protection: Protection,
    method: str,
    fetch_site: str | None,
    origin: str | None,
    host: str | None,
    route: Callable[[], RouteFacts],
    *,
    websocket: bool = False,
) -> Reason | None:
    """Why the request must be refused, or None when it passes.

    *fetch_site*, *origin* and *host* are the ``Sec-Fetch-Site``, ``Origin`` and ``Host``
    header values (None: absent). *route* is asked only when the request would be refused.
    """
    if method in SAFE_METHODS and not websocket:
        return None
    if fetch_site is not None:
        if fetch_site in _SAME_ORIGIN:
            return None
        code = "protection-cross-site"
    elif origin is None or (origin != "null" and same_host(origin, host)):
        return None
    else:
        code = "protection-origin-null" if origin == "null" else "protection-origin-not-host"
    if protection.trusted is not None and origin is not None and protection.trusted.allows(origin):
        return None  # listed: no need to find the route
    facts = route()
    if facts.exempt or protection.trusts(origin, facts.policy):
        return None
    action = "WebSocket handshake" if websocket else f"{method} request"
    return Reason(
        code,
        (
            ("action", action),
            ("origin", origin if origin is not None else "(none)"),
            ("site", fetch_site),
            ("host", host if host is not None else "(none)"),
        ),
    )


def explain(reason: Reason) -> str:
    """The one line a log or a debug-mode body shows for a protection refusal."""
    return (
        f"[{reason.code}] cross-origin write refused: {reason.message}. Fix: {reason.fix}. "
        f"Browser: {_BROWSER_SHOWS}"
    )


@dataclass(slots=True)
class LogLimiter:
    """At most *burst* refusal lines per *window* seconds for one app; the next line after a
    quiet spell says how many were left out. A flood of forged requests must not flood the log.
    """

    burst: int = 20
    window: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _start: float = -1e18
    _count: int = 0
    _dropped: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def admit(self) -> int | None:
        """None when this line must be left out, else how many were left out before it."""
        with self._lock:
            now = self.clock()
            if now - self._start >= self.window:
                self._start, self._count = now, 0
            if self._count >= self.burst:
                self._dropped += 1
                return None
            self._count += 1
            dropped, self._dropped = self._dropped, 0
            return dropped


def log_refusal(
    logger: logging.Logger,
    limiter: LogLimiter,
    level: int,
    method: str,
    path: str,
    reason: Reason,
) -> None:
    """Write a refusal to *logger*, escaped and rate-limited."""
    if not logger.isEnabledFor(level):
        return
    dropped = limiter.admit()
    if dropped is None:
        return
    suffix = f" ({dropped} similar lines left out)" if dropped else ""
    logger.log(
        level,
        "%s %s %s%s",
        describe(method),
        describe(path),
        explain(reason),
        suffix,
        extra={"crossgate_reason": reason.code},
    )


def refusal_body(
    logger: logging.Logger,
    limiter: LogLimiter,
    method: str,
    path: str,
    reason: Reason,
    *,
    debug: bool,
) -> bytes:
    """Log a refusal (WARNING in debug mode, else INFO) and return its 403's body: the
    explanation in debug mode, a plain sentence that gives nothing away otherwise."""
    level = logging.WARNING if debug else logging.INFO
    log_refusal(logger, limiter, level, method, path, reason)
    return f"{explain(reason)}\n".encode() if debug else REFUSED_BODY


def exempt_problems(
    exempt: object, known: Iterable[str] | None, *, what: str, example: str
) -> tuple[frozenset[str], list[Problem]]:
    """The *exempt* names, and a problem for each one that is not a string or, when *known*
    (the route names the app has) is given, not among them. *what* says what a name should be,
    *example* how to write one."""
    if isinstance(exempt, str) or not isinstance(exempt, Iterable):
        problem = Problem("exempt", exempt, "is not a list of names", f"write [{example}]")
        return frozenset(), [problem]
    names: set[str] = set()
    problems: list[Problem] = []
    for name in exempt:
        if not isinstance(name, str):
            problems.append(Problem("exempt", name, f"is not {what}", f"write {example}"))
        elif known is not None and name not in known:
            candidates = ", ".join(sorted(known)[:10]) or "none"
            problems.append(
                Problem(
                    "exempt",
                    name,
                    f"is not {what} of this app (known: {candidates})",
                    f"name one as the framework does, like {example}; paths are never matched",
                )
            )
        else:
            names.add(name)
    return frozenset(names), problems
