"""The one place the ``crossgate`` commands read a URL argument (check, audit, headers).

A URL that is not ``http(s)://host[:port][/path]`` in ASCII is a usage error that shows what was
given (escaped for the terminal) and, when the intent is plain, the URL to type instead:
``localhost:5000`` becomes ``http://localhost:5000``, ``htps://`` becomes ``https://``, a space
in a path ``%20``, a Unicode host name its punycode.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import click

from crossgate.errors import closest_name, show

_SCHEMES = ("http", "https")
# Schemes of other kinds of URL, never a misspelt http.
_OTHER_SCHEMES = frozenset({"ftp", "file", "data", "blob", "about", "mailto", "javascript"})
# What a host may be once repaired: a DNS name (labels of letters, digits, '-', '_') or an
# IPv6 literal in brackets.
_HOST = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?|\[[0-9A-Fa-f:.]+\]")
_LOOPBACK = re.compile(r"(localhost|127(\.\d+){3}|0\.0\.0\.0|\[::1\])(:\d*)?", re.IGNORECASE)
# Characters a path, query or fragment may carry as they are; the rest is percent-encoded.
_URL_SAFE = "/?#&=;:@!$'()*+,-._~%[]"


def url_argument(context: click.Context, parameter: click.Parameter, value: str) -> str:
    """click callback: *value* when it is an http(s) URL crossgate can send to, else a usage
    error (exit status 2) that shows the value and the fix."""
    problem = url_problem(value)
    if problem is not None:
        raise click.BadParameter(problem, context, parameter)
    return value


def url_problem(value: str) -> str | None:
    """What is wrong with *value* as the URL of a check, with the fix; ``None`` when nothing."""
    given = f"'{show(value)}'"
    wrong, repaired = _repair(value)
    if not wrong:
        return None
    if repaired is None:
        return f"{given} {wrong}"
    return f"{given} {wrong}: did you mean {show(repaired)}?"


def _repair(value: str) -> tuple[str, str | None]:
    """(what is wrong, the URL meant, or None when it cannot be guessed); ('', value) for a
    URL with nothing wrong."""
    text = value.strip()
    wrongs = ["has spaces around it"] if text != value else []
    scheme_wrong, text = _repair_scheme(text)
    if scheme_wrong:
        wrongs.append(scheme_wrong)
    if not text:
        return (f"{scheme_wrong}: write http:// or https:// and the host", None)
    scheme, rest = text.split("://", 1)
    authority, slash, tail = rest.partition("/")
    path = slash + tail
    if "@" in authority:
        return ("carries a user name or password, which fetch() refuses (send -H instead)", None)
    host, port = _split_port(authority)
    if host is None or port is None:
        return (f"has {show(repr(authority))} where host[:port] belongs (a port is 1-65535)", None)
    if not host:
        return ("has no host (write the host after ://, e.g. http://localhost:5000)", None)
    ascii_host = _ascii_host(host)
    if ascii_host is None:
        return (
            f"has {show(repr(host))} as its host, which is not a host name "
            "(letters, digits, '-' and '.', no spaces)",
            None,
        )
    if ascii_host != host:
        wrongs.append("has a host name outside ASCII (its punycode is what is looked up)")
    safe_path = quote(path, safe=_URL_SAFE)
    if safe_path != path:
        wrongs.append(
            "has spaces, control characters or non-ASCII in its path (percent-encode them)"
        )
    if not wrongs:
        return ("", value)
    return (", ".join(wrongs), f"{scheme}://{ascii_host}{port}{safe_path}")


def _repair_scheme(text: str) -> tuple[str, str]:
    """(what is wrong with the scheme, *text* with ``http(s)://`` in front) or (what is wrong,
    '') when no http(s) URL is meant."""
    written = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)(:/{0,3}|/{1,3})", text)
    if written is not None and ("://" in text[: written.end()] or written[1].lower() in _SCHEMES):
        scheme = written[1].lower()
        rest = text[written.end() :]
        if scheme in ("ws", "wss"):
            # A WebSocket is judged from its handshake, a GET to the same URL in http(s).
            return (
                "is a WebSocket URL (crossgate judges its handshake with --websocket)",
                f"http{scheme[2:]}://{rest}",
            )
        if scheme not in _SCHEMES:
            close = closest_name(scheme, _SCHEMES)
            if close is None or scheme in _OTHER_SCHEMES:
                shown = show(repr(written[1]))
                return (f"is not an http(s) URL (its scheme is {shown})", "")
            return (f"has the scheme {show(repr(written[1]))}, a typo", f"{close}://{rest}")
        if written[2] != "://":
            return (f"has {show(repr(written[0]))} where {scheme}:// belongs", f"{scheme}://{rest}")
        return ("", f"{scheme}://{rest}" if written[1] != scheme else text)
    if re.fullmatch(r":\d+(/.*)?", text):
        return ("has no scheme and no host", f"http://localhost{text}")
    if not text or text.startswith(("/", ":")):
        return ("is not an http(s) URL", "")
    # host[:port][/path] without a scheme: a local server is plain http, anything else https.
    scheme = "http" if _LOOPBACK.match(text.split("/", 1)[0]) else "https"
    return ("has no scheme", f"{scheme}://{text}")


def _split_port(authority: str) -> tuple[str | None, str | None]:
    """(host, ':port' or ''); (None, None) when what follows the host is not a port."""
    host, colon, port = authority.rpartition(":") if not authority.endswith("]") else ("", "", "")
    if not colon or (host.startswith("[") and not host.endswith("]")):
        return authority, ""
    if port == "":
        return host, ""
    if not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
        return None, None
    return host, f":{port}"


def _ascii_host(host: str) -> str | None:
    """*host* as it is looked up (punycode for a Unicode name), None when it is not a host."""
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    return host if _HOST.fullmatch(host) else None
