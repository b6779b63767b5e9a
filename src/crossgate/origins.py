"""Origins: parsing and serialising them, and matching a request's Origin against allowed ones.

An origin, as a browser sends it in the ``Origin`` header, is ``scheme://host[:port]``: lowercase
host, no trailing slash, no default port (URL Standard, "serialization of an origin"), or the
literal ``null``. Users write origins in configuration; this module turns what they wrote into a
``OriginMatcher`` once, at start-up, and refuses anything that is not an origin with the fix.

Accepted forms, and nothing else (no guessing whether a string is a regular expression):

- an exact origin: ``"https://app.example.com"``, ``"http://localhost:3000"``;
- ``"*"``: every origin;
- a subdomain pattern: ``"https://*.example.com"`` (one or more labels, never the apex);
- a port wildcard: ``"http://localhost:*"`` (any port, or none);
- a compiled ``re.Pattern``, matched with ``fullmatch`` against the serialized origin;
- a callable ``origin -> bool``, called with the serialized origin;
- the literal ``"null"``, only together with ``allow_null_origin=True``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from crossgate.errors import Problem

__all__ = [
    "MAX_ORIGIN_LENGTH",
    "HostPattern",
    "Origin",
    "OriginError",
    "OriginMatcher",
    "OriginSpec",
    "compile_origins",
    "is_loopback_host",
    "parse_origin",
]

#: Longer Origin headers are refused without further parsing (a host is at most 253 octets).
MAX_ORIGIN_LENGTH = 512

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

OriginSpec = str | re.Pattern[str] | Callable[[str], bool]

_SCHEME = r"[A-Za-z][A-Za-z0-9+.-]*"
_FORM = re.compile(rf"(?P<scheme>{_SCHEME})://(?P<authority>[^/?#]*)(?P<rest>.*)", re.DOTALL)
_PORT_TAIL = re.compile(r":(?P<port>[^:\]]*)\Z")
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\Z")
# What a browser sends: already lowercase, no default port. Used to vet request headers.
_SERIALIZED = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<host>\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::(?P<port>[1-9][0-9]{0,4}))?\Z"
)

# Registrable suffixes under which unrelated parties own names: ``https://*.github.io`` would
# trust every GitHub Pages site. A full public-suffix list would be a runtime dependency; this
# covers the single-label suffixes (every TLD) and the multi-label ones users actually write.
_PUBLIC_SUFFIXES = frozenset(
    """
    co.uk org.uk ac.uk gov.uk ltd.uk plc.uk me.uk net.uk
    com.au net.au org.au edu.au gov.au co.nz org.nz net.nz
    co.jp ne.jp or.jp ac.jp go.jp co.kr or.kr com.cn net.cn org.cn com.tw com.hk
    co.in net.in org.in com.br net.br org.br com.mx com.ar com.tr com.sg com.my
    co.za org.za com.ua co.il com.pl com.ru
    github.io gitlab.io herokuapp.com vercel.app netlify.app pages.dev workers.dev web.app
    firebaseapp.com appspot.com azurewebsites.net cloudfront.net blogspot.com
    s3.amazonaws.com amplifyapp.com onrender.com fly.dev glitch.me repl.co ngrok.io
    ngrok-free.app trycloudflare.com
    """.split()
)


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
        # A real label boundary: "evilexample.com" must not match "*.example.com".
        return host.endswith(self.dotted_suffix) and len(host) > len(self.dotted_suffix)

    @property
    def dotted_suffix(self) -> str:
        return "." + self.host

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


def _guess_scheme(host: str) -> str:
    return "http" if is_loopback_host(host.split(":")[0]) else "https"


def _normalise_host(raw: str, text: str, *, allow_star: bool) -> str:
    if raw.startswith("["):
        try:
            address = ipaddress.IPv6Address(raw[1:-1] if raw.endswith("]") else "")
        except ValueError:
            raise OriginError(f"{text!r} has an invalid IPv6 address", "write it like 'http://[::1]:8000'") from None
        return f"[{address.compressed}]"
    host = raw.lower()
    if not host:
        raise OriginError(f"{text!r} has no host", "write scheme://host[:port], like 'https://app.example.com'")
    if not host.isascii():
        try:
            encoded = host.encode("idna").decode("ascii")
        except UnicodeError:
            encoded = "xn--..."
        raise OriginError(
            f"{text!r} has a non-ASCII host; browsers send the punycode form",
            f"write {text.replace(raw, encoded)!r}",
        )
    labels = host.split(".")
    for index, label in enumerate(labels):
        if allow_star and index == 0 and label == "*":
            continue
        if "*" in label:
            raise OriginError(
                f"{text!r} has '*' where only a whole leftmost label may be a wildcard",
                "write a subdomain pattern like 'https://*.example.com', or pass re.compile(...)",
            )
        if not _LABEL.match(label):
            raise OriginError(f"{text!r} has an invalid host {raw!r}", "use letters, digits, '-' and '.' only")
    return host


def _parse(text: str, *, patterns: bool) -> Origin | HostPattern:
    if len(text) > MAX_ORIGIN_LENGTH:
        raise OriginError(f"the value is longer than {MAX_ORIGIN_LENGTH} characters", "write one origin")
    if text != text.strip():
        raise OriginError(f"{text!r} has surrounding whitespace", f"write {text.strip()!r}")
    form = _FORM.match(text)
    if form is None:
        bare = text.rstrip("/")
        if "://" not in text and bare and "/" not in bare and " " not in bare:
            return _raise_no_scheme(text, bare)
        raise OriginError(f"{text!r} is not an origin", "write scheme://host[:port], like 'https://app.example.com'")
    scheme = form["scheme"].lower()
    authority = form["authority"]
    rest = form["rest"]
    suggestion = f"{scheme}://{authority}"
    if rest == "/":
        raise OriginError(f"{text!r} has a trailing slash; the Origin header never does", f"write {suggestion!r}")
    if rest.startswith("/"):
        raise OriginError(f"{text!r} has a path; an origin is only scheme://host[:port]", f"write {suggestion!r}")
    if rest.startswith("?"):
        raise OriginError(f"{text!r} has a query; an origin is only scheme://host[:port]", f"write {suggestion!r}")
    if rest.startswith("#"):
        raise OriginError(f"{text!r} has a fragment; an origin is only scheme://host[:port]", f"write {suggestion!r}")
    if "@" in authority:
        raise OriginError(
            f"{text!r} has user information; the Origin header never does",
            f"write {f'{scheme}://' + authority.rsplit('@', 1)[1]!r}",
        )
    if scheme == "file":
        raise OriginError(
            f"{text!r}: pages loaded from file: URLs send 'Origin: null'",
            "serve the page over http://localhost, or allow 'null' knowingly with allow_null_origin=True",
        )
    raw_host, port_text = authority, None
    tail = _PORT_TAIL.search(authority)
    if tail is not None:
        raw_host, port_text = authority[: tail.start()], tail["port"]
    any_port = patterns and port_text == "*"
    port: int | None = None
    if port_text is not None and not any_port:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise OriginError(f"{text!r} has an invalid port {port_text!r}", "use a number from 1 to 65535")
        port = int(port_text)
        if DEFAULT_PORTS.get(scheme) == port:
            port = None  # an explicit default port is the same origin; browsers omit it
    host = _normalise_host(raw_host, text, allow_star=patterns)
    if host.startswith("*."):
        return _subdomain_pattern(text, scheme, host[2:], port, any_port)
    if any_port:
        return HostPattern(scheme, host, None, subdomains=False, any_port=True)
    return Origin(scheme, host, port)


def _raise_no_scheme(text: str, bare: str) -> Origin:
    scheme = _guess_scheme(bare.removeprefix("*."))
    raise OriginError(
        f"{text!r} is not an origin: it has no scheme",
        f"write {f'{scheme}://{bare}'!r}",
    )


def _subdomain_pattern(text: str, scheme: str, suffix: str, port: int | None, any_port: bool) -> HostPattern:
    try:
        ipaddress.ip_address(suffix)
    except ValueError:
        pass
    else:
        raise OriginError(f"{text!r}: an IP address has no subdomains", "list the exact origin instead")
    if ("." not in suffix and suffix != "localhost") or suffix in _PUBLIC_SUFFIXES:
        raise OriginError(
            f"{text!r} would trust every site under the public suffix {suffix!r}",
            f"name your own domain, like '{scheme}://*.example.{suffix}'",
        )
    return HostPattern(scheme, suffix, port, subdomains=True, any_port=any_port)


def parse_origin(text: str) -> Origin:
    """Parse one origin as a user would write it, normalising case and default ports.

    >>> parse_origin("https://APP.example.com:443").serialize()
    'https://app.example.com'

    Raises ``OriginError`` (with the fix) for anything that is not an origin.
    """
    parsed = _parse(text, patterns=False)
    assert isinstance(parsed, Origin)
    return parsed


def parse_request_origin(value: str) -> Origin | None:
    """Parse an ``Origin`` request header strictly: the serialized form or nothing.

    Browsers always send the serialized form, so anything else (upper case, a default port,
    a path, control characters) is not worth normalising: it is refused.
    """
    if len(value) > MAX_ORIGIN_LENGTH:
        return None
    form = _SERIALIZED.match(value)
    if form is None:
        return None
    port = form["port"]
    number = int(port) if port is not None else None
    scheme = form["scheme"]
    if number is not None and (number > 65535 or DEFAULT_PORTS.get(scheme) == number):
        return None
    return Origin(scheme, form["host"], number)


@dataclass(frozen=True, slots=True)
class OriginMatcher:
    """The compiled ``origins`` option: answers "may this Origin read the response?"."""

    exact: frozenset[str]
    any_origin: bool = False
    host_patterns: tuple[HostPattern, ...] = ()
    regexes: tuple[re.Pattern[str], ...] = ()
    predicates: tuple[Callable[[str], bool], ...] = ()
    allow_null: bool = False

    @property
    def varies(self) -> bool:
        """Whether the answer depends on the request's Origin (so responses need Vary)."""
        return not self.any_origin

    @property
    def needs_parsing(self) -> bool:
        return bool(self.host_patterns or self.regexes or self.predicates)

    def allows(self, origin: str) -> bool:
        """Whether *origin*, the raw ``Origin`` header, is allowed. Never raises for bad input."""
        if self.any_origin or origin in self.exact:
            return True
        if origin == "null":
            return self.allow_null
        if not self.needs_parsing:
            return False
        parsed = parse_request_origin(origin)
        if parsed is None:
            return False
        for pattern in self.host_patterns:
            if pattern.matches(parsed.scheme, parsed.host, parsed.port):
                return True
        if any(regex.fullmatch(origin) for regex in self.regexes):
            return True
        return any(predicate(origin) for predicate in self.predicates)

    def describe(self) -> list[str]:
        """Human-readable list of what is allowed, for ``flask crossgate routes``."""
        if self.any_origin:
            return ["*"]
        shown = sorted(self.exact)
        shown += [str(pattern) for pattern in self.host_patterns]
        shown += [f"re.compile({regex.pattern!r})" for regex in self.regexes]
        shown += [getattr(predicate, "__qualname__", repr(predicate)) + "()" for predicate in self.predicates]
        if self.allow_null:
            shown.append("null")
        return shown


def _as_list(origins: OriginSpec | Iterable[OriginSpec]) -> list[OriginSpec]:
    if isinstance(origins, (str, re.Pattern)) or callable(origins):
        return [origins]
    return list(origins)


def compile_origins(
    origins: object,
    *,
    allow_null: bool = False,
    option: str = "origins",
) -> tuple[OriginMatcher | None, list[Problem]]:
    """Compile the ``origins`` option. Returns the matcher, or ``None`` and every problem found."""
    problems: list[Problem] = []
    if not (isinstance(origins, (str, re.Pattern)) or callable(origins) or isinstance(origins, Iterable)):
        problems.append(Problem(option, origins, "is not an origin or a list of origins", "pass a list like ['https://app.example.com']"))
        return None, problems
    exact: set[str] = set()
    host_patterns: list[HostPattern] = []
    regexes: list[re.Pattern[str]] = []
    predicates: list[Callable[[str], bool]] = []
    any_origin = False
    null_listed = False
    for item in _as_list(origins):  # type: ignore[arg-type]
        if isinstance(item, re.Pattern):
            if not isinstance(item.pattern, str):
                problems.append(Problem(option, item, "is a bytes pattern", "compile a str pattern"))
            else:
                regexes.append(item)
        elif isinstance(item, str):
            if item == "*":
                any_origin = True
            elif item == "null":
                null_listed = True
            else:
                try:
                    parsed = _parse(item, patterns=True)
                except OriginError as error:
                    problems.append(Problem(option, item, error.message, error.fix))
                    continue
                if isinstance(parsed, Origin):
                    exact.add(parsed.serialize())
                else:
                    host_patterns.append(parsed)
        elif callable(item):
            predicates.append(item)
        else:
            problems.append(Problem(option, item, "is not an origin", "write a string like 'https://app.example.com'"))
    if null_listed and not allow_null:
        problems.append(
            Problem(
                option,
                "null",
                "'null' is the Origin of sandboxed iframes, file: pages and redirected requests; any site can send it",
                "remove 'null', or pass allow_null_origin=True if you accept that risk",
            )
        )
    if any_origin and (exact or host_patterns or regexes or predicates):
        problems.append(
            Problem(option, origins, "'*' already allows every origin, so the other entries do nothing", "keep only '*', or remove it")
        )
    if problems:
        return None, problems
    matcher = OriginMatcher(
        exact=frozenset(exact),
        any_origin=any_origin,
        host_patterns=tuple(host_patterns),
        regexes=tuple(regexes),
        predicates=tuple(predicates),
        allow_null=allow_null,
    )
    return matcher, problems


def insecure_origins(matcher: OriginMatcher) -> list[str]:
    """Plain-http, non-loopback entries: readable by anyone on the network path."""
    found = []
    for value in sorted(matcher.exact):
        parsed = parse_request_origin(value)
        if parsed is not None and parsed.scheme in ("http", "ws") and not is_loopback_host(parsed.host):
            found.append(value)
    found += [
        str(pattern)
        for pattern in matcher.host_patterns
        if pattern.scheme in ("http", "ws") and not is_loopback_host(pattern.host)
    ]
    return found


def unescaped_dot_risks(matcher: OriginMatcher) -> list[str]:
    """Regexes with a '.' that is not escaped right before a top-level-domain-like ending.

    ``re.compile(r"https://app.example.com")`` also accepts ``https://appxexample.com``.
    """
    risky = re.compile(r"(?<!\\)\.[a-z]{2,}\)?\$?\Z")
    return [regex.pattern for regex in matcher.regexes if risky.search(regex.pattern)]
