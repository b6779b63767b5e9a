"""What an origin is: parsing what users write and what browsers send, and serialising it.

An origin, as a browser sends it in the ``Origin`` header, is ``scheme://host[:port]``: lowercase
host, no trailing slash, no default port (URL Standard, "serialization of an origin"), or the
literal ``null``. :func:`parse_origin` reads what a user wrote, normalising case and default
ports, and refuses anything that is not an origin with the fix; :func:`parse_entry` also reads
the host patterns ``https://*.example.com`` and ``http://localhost:*``;
:func:`parse_request_origin` accepts only the serialized form a browser sends.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from crossgate._public_suffixes import is_public_suffix

#: Longer Origin headers are refused without further parsing (a host is at most 253 octets).
MAX_ORIGIN_LENGTH = 512

#: The URL Standard's special schemes with a default port, which serialization omits.
DEFAULT_PORTS = {"ftp": 21, "http": 80, "https": 443, "ws": 80, "wss": 443}


_FORM = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#]*)(?P<rest>.*)", re.S
)
_PORT_TAIL = re.compile(r":(?P<port>[^:\]]*)\Z")
_PORT = re.compile(r"[0-9]{1,5}\Z")
_LABEL_TEXT = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_LABEL = re.compile(_LABEL_TEXT + r"\Z")
# What a browser sends: lowercase, no default port, no empty label. Used to vet request headers.
_SERIALIZED = re.compile(
    rf"(?P<scheme>[a-z][a-z0-9+.-]*)://"
    rf"(?:\[(?P<ipv6>[0-9a-f:]+)\]|(?P<host>{_LABEL_TEXT}(?:\.{_LABEL_TEXT})*))"
    r"(?::(?P<port>[1-9][0-9]{0,4}))?\Z"
)
# The URL Standard reads a host whose last label is a number as an IPv4 address.
_NUMERIC_LABEL = re.compile(r"[0-9]+\Z|0x[0-9a-f]*\Z")
_ZERO_RUN = re.compile(r"\b0(?::0)+\b")


class OriginError(ValueError):
    """A string that is not an origin. ``fix`` says what to write instead."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(f"{message}. Fix: {fix}")
        self.message = message
        self.fix = fix


@dataclass(frozen=True, slots=True)
class Origin:
    """A tuple origin: scheme, host and port (``None`` for the scheme's default port)."""

    scheme: str
    host: str
    port: int | None = None

    def serialize(self) -> str:
        """The origin as a browser sends it in the ``Origin`` header."""
        if self.port is None:
            return f"{self.scheme}://{self.host}"
        return f"{self.scheme}://{self.host}:{self.port}"

    def __str__(self) -> str:
        return self.serialize()


@dataclass(frozen=True, slots=True)
class HostPattern:
    """``https://*.example.com`` (``subdomains``) and/or ``http://localhost:*`` (``any_port``)."""

    scheme: str
    host: str
    port: int | None
    subdomains: bool
    any_port: bool

    def matches(self, scheme: str, host: str, port: int | None) -> bool:
        """Whether the parts of a serialized request origin fall under this pattern."""
        if scheme != self.scheme or not (self.any_port or port == self.port):
            return False
        if not self.subdomains:
            return host == self.host
        # A real label boundary: "evilexample.com" must not match "*.example.com", nor the apex.
        boundary = len(host) - len(self.host) - 1
        return boundary > 0 and host[boundary] == "." and host.endswith(self.host)

    def __str__(self) -> str:
        host = f"*.{self.host}" if self.subdomains else self.host
        if self.any_port:
            return f"{self.scheme}://{host}:*"
        return Origin(self.scheme, host, self.port).serialize()


def is_loopback_host(host: str) -> bool:
    """Whether a browser treats *host* as the local machine (a potentially trustworthy origin)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _serialize_ipv6(address: ipaddress.IPv6Address) -> str:
    """The URL Standard's IPv6 serializer: lowercase hex pieces, the first longest run of two
    or more zero pieces as ``::``, never dotted IPv4 (which some Python versions print)."""
    value = int(address)
    text = ":".join(f"{(value >> shift) & 0xFFFF:x}" for shift in range(112, -16, -16))
    runs = list(_ZERO_RUN.finditer(text))
    if not runs:
        return text
    longest = max(runs, key=lambda run: len(run[0]))
    return text[: longest.start()].rstrip(":") + "::" + text[longest.end() :].lstrip(":")


def _host_of(authority: str) -> str:
    if authority.startswith("["):
        return authority.partition("]")[0] + "]"
    return authority.partition(":")[0]


def _no_scheme(text: str, bare: str) -> OriginError:
    host = _host_of(bare.removeprefix("*."))
    if not is_loopback_host(host):
        return OriginError(
            f"{text!r} is not an origin: it has no scheme", f"write 'https://{bare}'"
        )
    if bare == host:
        fix = f"write 'http://{bare}:5000', with the port the page is served from"
    else:
        fix = f"write 'http://{bare}'"
    return OriginError(f"{text!r} is not an origin: it has no scheme", fix)


def _ipv6_host(raw: str, text: str) -> str:
    inner = raw[1:-1] if raw.endswith("]") else ""
    try:
        if "%" in inner:
            raise ValueError("browsers never send an IPv6 zone")
        address = ipaddress.IPv6Address(inner)
    except ValueError:
        raise OriginError(
            f"{text!r} has an invalid IPv6 address", "write it like 'http://[::1]:8000'"
        ) from None
    return f"[{_serialize_ipv6(address)}]"


def _normalise_host(raw: str, text: str, *, allow_star: bool) -> str:
    if raw.startswith("["):
        return _ipv6_host(raw, text)
    if not raw:
        raise OriginError(
            f"{text!r} has no host", "write scheme://host[:port], like 'https://app.example.com'"
        )
    if not raw.isascii():
        try:
            encoded = raw.lower().encode("idna").decode("ascii")
        except UnicodeError:
            encoded = "xn--..."
        raise OriginError(
            f"{text!r} has a non-ASCII host; browsers send the punycode form",
            f"write {text.replace(raw, encoded)!r}",
        )
    host = raw.lower()
    labels = host.split(".")
    wildcard = allow_star and len(labels) > 1 and labels[0] == "*"
    for label in labels[1:] if wildcard else labels:
        if "*" in label:
            raise OriginError(
                f"{text!r} has '*' where only a whole leftmost label may be a wildcard",
                "write '*' alone for every origin, a subdomain pattern like "
                "'https://*.example.com', or pass re.compile(...)",
            )
        if not _LABEL.match(label):
            raise OriginError(
                f"{text!r} has an invalid host {raw!r}",
                "use letters, digits, '-' and '_' in dot-separated labels, like 'app.example.com'",
            )
    if _NUMERIC_LABEL.match(labels[-1]):
        if wildcard:
            raise OriginError(
                f"{text!r}: an IP address has no subdomains", "list the exact origin instead"
            )
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise OriginError(
                f"{text!r} has a host browsers read as an IPv4 address, written unusually",
                "write the address as four decimal numbers, like 'http://127.0.0.1:8000'",
            ) from None
    return host


def _parse(text: str, *, patterns: bool) -> Origin | HostPattern:
    if len(text) > MAX_ORIGIN_LENGTH:
        raise OriginError(
            f"the value is longer than {MAX_ORIGIN_LENGTH} characters", "write one origin"
        )
    if text != text.strip():
        raise OriginError(f"{text!r} has surrounding whitespace", f"write {text.strip()!r}")
    if "," in text:
        parts = [part.strip() for part in text.split(",") if part.strip()]
        raise OriginError(
            f"{text!r} holds several values in one string", f"write a list: {parts!r}"
        )
    form = _FORM.match(text)
    if form is None:
        bare = text.rstrip("/")
        if "://" not in text and bare and "/" not in bare and " " not in bare:
            raise _no_scheme(text, bare)
        raise OriginError(
            f"{text!r} is not an origin",
            "write scheme://host[:port], like 'https://app.example.com'",
        )
    scheme = form["scheme"].lower()
    if scheme == "file":
        raise OriginError(
            f"{text!r}: pages loaded from file: URLs send 'Origin: null'",
            "serve the page over http://localhost, "
            "or allow 'null' knowingly with allow_null_origin=True",
        )
    authority = form["authority"]
    rest = form["rest"]
    written = f"write {f'{scheme}://{authority}'!r}"
    only = "an origin is only scheme://host[:port]"
    if rest == "/":
        raise OriginError(f"{text!r} has a trailing slash; the Origin header never does", written)
    if rest.startswith("/"):
        raise OriginError(f"{text!r} has a path; {only}", written)
    if rest.startswith("?"):
        raise OriginError(f"{text!r} has a query; {only}", written)
    if rest:
        raise OriginError(f"{text!r} has a fragment; {only}", written)
    if "@" in authority:
        raise OriginError(
            f"{text!r} has user information; the Origin header never does",
            f"write {f'{scheme}://' + authority.rpartition('@')[2]!r}",
        )
    raw_host, port_text = authority, None
    tail = _PORT_TAIL.search(authority)
    if tail is not None:
        raw_host, port_text = authority[: tail.start()], tail["port"]
    any_port = patterns and port_text == "*"
    port: int | None = None
    if port_text is not None and not any_port:
        if not _PORT.match(port_text) or not 0 < int(port_text) < 65536:
            raise OriginError(
                f"{text!r} has an invalid port {port_text!r}", "use a number from 1 to 65535"
            )
        port = int(port_text)
        if DEFAULT_PORTS.get(scheme) == port:
            port = None  # an explicit default port is the same origin; browsers omit it
    host = _normalise_host(raw_host, text, allow_star=patterns)
    if host.startswith("*."):
        return _subdomain_pattern(text, scheme, host[2:], port, any_port)
    if any_port:
        return HostPattern(scheme, host, None, subdomains=False, any_port=True)
    return Origin(scheme, host, port)


def _subdomain_pattern(
    text: str, scheme: str, suffix: str, port: int | None, any_port: bool
) -> HostPattern:
    if suffix != "localhost" and ("." not in suffix or is_public_suffix(suffix)):
        raise OriginError(
            f"{text!r} would trust every site under the public suffix {suffix!r}",
            f"list your own sites, like '{scheme}://example.{suffix}', or a pattern under "
            f"your own domain, like '{scheme}://*.example.{suffix}'",
        )
    return HostPattern(scheme, suffix, port, subdomains=True, any_port=any_port)


def parse_origin(text: str) -> Origin:
    """Parse one origin as a user would write it, normalising case and default ports.

    >>> parse_origin("https://APP.example.com:443").serialize()
    'https://app.example.com'

    Raises ``OriginError`` (with the fix) for anything that is not an origin.
    """
    parsed = _parse(text, patterns=False)
    assert isinstance(parsed, Origin)  # without patterns=True there is no wildcard to return
    return parsed


def parse_entry(text: str) -> Origin | HostPattern:
    """Parse one string of the ``origins`` option: an origin, or a host pattern
    (``https://*.example.com``, ``http://localhost:*``).

    >>> str(parse_entry("https://*.Example.com"))
    'https://*.example.com'

    Raises ``OriginError`` (with the fix) for anything else.
    """
    return _parse(text, patterns=True)


def parse_request_origin(value: str) -> Origin | None:
    """Parse an ``Origin`` request header strictly: the serialized form or nothing.

    Browsers always send the serialized form, so anything else (upper case, a default port,
    a path, control characters, a non-canonical IP address) is not worth normalising: it is
    refused. Whatever this accepts, ``parse_origin`` parses to the same origin.

    >>> parse_request_origin("https://app.example.com:8443")
    Origin(scheme='https', host='app.example.com', port=8443)
    >>> parse_request_origin("https://APP.example.com") is None
    True
    """
    if len(value) > MAX_ORIGIN_LENGTH:
        return None
    form = _SERIALIZED.match(value)
    if form is None:
        return None
    scheme = form["scheme"]
    port = form["port"]
    number = int(port) if port is not None else None
    if number is not None and (number > 65535 or DEFAULT_PORTS.get(scheme) == number):
        return None
    host = form["host"]
    try:
        if host is None:
            host = f"[{_serialize_ipv6(ipaddress.IPv6Address(form['ipv6']))}]"
            if host[1:-1] != form["ipv6"]:
                return None
        elif _NUMERIC_LABEL.match(host.rpartition(".")[2]):
            ipaddress.IPv4Address(host)
    except ValueError:
        return None
    return Origin(scheme, host, number)
