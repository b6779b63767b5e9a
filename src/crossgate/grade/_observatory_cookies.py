"""The MDN HTTP Observatory's cookie test, rewritten in Python.

The Observatory keeps every cookie of its scan in a cookie jar and judges them by name:
a name containing ``login`` or ``sess`` is a session cookie (it must be ``Secure`` and
``HttpOnly``), one containing ``csrf`` an anti-CSRF token (it must have ``SameSite``). The
worst problem found is the result; a jar of cookies that are all ``Secure`` with ``SameSite``
earns +5. The jar here keeps the last cookie set per domain, path and name, drops the ones a
``Max-Age`` of zero or less deletes, and refuses a ``Domain`` outside the host that set it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

_COOKIE_ORDER = (
    "cookies-without-secure-flag-but-protected-by-hsts",
    "cookies-without-secure-flag",
    "cookies-session-without-secure-flag-but-protected-by-hsts",
    "cookies-samesite-flag-invalid",
    "cookies-anticsrf-without-samesite-flag",
    "cookies-session-without-httponly-flag",
    "cookies-session-without-secure-flag",
)


@dataclass(frozen=True, slots=True)
class _Cookie:
    name: str
    secure: bool
    http_only: bool
    same_site: str | None


def _jar(cookies: Iterable[tuple[str, str]]) -> list[_Cookie]:
    """The cookies a client keeps: the last one set per (domain, path, name); Max-Age=0
    deletes; a Domain outside the host is refused."""
    jar: dict[tuple[str, str, str], _Cookie] = {}
    for url, line in cookies:
        pair, *attributes = line.split(";")
        name, equals, _ = pair.partition("=")
        name = name.strip()
        if not equals or not name:
            continue
        host = (urlsplit(url).hostname or "").lower()
        domain, path = host, "/"
        secure = http_only = expired = False
        same_site: str | None = None
        for attribute in attributes:
            key, _, value = attribute.partition("=")
            key, value = key.strip().lower(), value.strip()
            if key == "secure":
                secure = True
            elif key == "httponly":
                http_only = True
            elif key == "samesite":
                lowered = value.lower()
                same_site = lowered if lowered in ("strict", "lax", "none") else None
            elif key == "domain" and value:
                domain = value.lstrip(".").lower()
            elif key == "path" and value.startswith("/"):
                path = value
            elif key == "max-age" and re.fullmatch(r"-?[0-9]+", value):
                expired = int(value) <= 0
        if domain != host and not host.endswith("." + domain):
            continue
        jar.pop((domain, path, name), None)
        if not expired:
            jar[(domain, path, name)] = _Cookie(name, secure, http_only, same_site)
    return [cookie for cookie in jar.values() if cookie.name != "heroku-session-affinity"]


def _samesite_invalid(line: str) -> bool:
    for part in line.strip().split(";"):
        key, *rest = part.strip().split("=")
        if key.strip().lower() == "samesite":
            value = rest[0].strip().lower() if rest else ""
            if value not in ("lax", "strict", "none"):
                return True
    return False


def cookies_test(
    set_cookie: Sequence[str], cookies: Iterable[tuple[str, str]], *, hsts_passed: bool
) -> tuple[str, bool, dict[str, object]]:
    """The Observatory's cookie test.

    :param set_cookie: the graded response's ``Set-Cookie`` lines (checked for a malformed
        ``SameSite``).
    :param cookies: every ``(url, Set-Cookie)`` received on the way (the cookie jar).
    :param hsts_passed: whether the HSTS test passed (a cookie without ``Secure`` is then
        protected by HSTS).
    """
    result: str | None = None

    def worse(candidate: str) -> None:
        nonlocal result
        if result is None or _COOKIE_ORDER.index(candidate) > _COOKIE_ORDER.index(result):
            result = candidate

    if any(_samesite_invalid(line) for line in set_cookie):
        worse("cookies-samesite-flag-invalid")
    jar = _jar(cookies)
    if not jar:
        return "cookies-not-found", True, {}
    for cookie in jar:
        lowered = cookie.name.lower()
        session = "login" in lowered or "sess" in lowered
        if not cookie.secure and cookie.same_site == "none":
            worse("cookies-samesite-flag-invalid")
        if not cookie.secure:
            worse(
                "cookies-without-secure-flag-but-protected-by-hsts"
                if hsts_passed
                else "cookies-without-secure-flag"
            )
        if "csrf" in lowered and not cookie.same_site:
            worse("cookies-anticsrf-without-samesite-flag")
        if session and not cookie.secure:
            worse(
                "cookies-session-without-secure-flag-but-protected-by-hsts"
                if hsts_passed
                else "cookies-session-without-secure-flag"
            )
        if session and not cookie.http_only:
            worse("cookies-session-without-httponly-flag")
    data: dict[str, object] = {"names": [cookie.name for cookie in jar]}
    if result is not None:
        return result, False, data
    if all(cookie.same_site for cookie in jar):
        return "cookies-secure-with-httponly-sessions-and-samesite", True, data
    return "cookies-secure-with-httponly-sessions", True, data
