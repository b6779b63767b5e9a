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
- a compiled ``re.Pattern``, matched with ``fullmatch`` against the serialized origin, and
  judged at start-up by ``crossgate.origin_regex`` (a loose ``.`` or a wildcard that runs into
  the domain name is refused unless ``allow_regex_wildcards=True``);
- a plain (not ``async``) callable ``origin -> bool``, called with the serialized origin; only
  ``True`` grants;
- the literal ``"null"``, only together with ``allow_null_origin=True``.
"""

from __future__ import annotations

import functools
import inspect
import ipaddress
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from crossgate.errors import Problem, describe

if TYPE_CHECKING:
    from crossgate.origin_regex import WideRegex

__all__ = [
    "MAX_ORIGIN_LENGTH",
    "CheckFailure",
    "HostPattern",
    "Origin",
    "OriginError",
    "OriginMatcher",
    "OriginSpec",
    "compile_origins",
    "insecure_origins",
    "is_loopback_host",
    "parse_origin",
    "parse_request_origin",
    "registrable_domain",
]

logger = logging.getLogger("crossgate")

#: Longer Origin headers are refused without further parsing (a host is at most 253 octets).
MAX_ORIGIN_LENGTH = 512

#: The URL Standard's special schemes with a default port, which serialization omits.
DEFAULT_PORTS = {"ftp": 21, "http": 80, "https": 443, "ws": 80, "wss": 443}

OriginSpec = str | re.Pattern[str] | Callable[[str], bool]

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

# Registrable suffixes under which unrelated parties own names: ``https://*.github.io`` would
# trust every GitHub Pages site. A full public-suffix list would be a runtime dependency; this
# covers the single-label suffixes (every TLD) and the multi-label ones users actually write.
_PUBLIC_SUFFIXES = frozenset(
    {
        "co.uk",
        "org.uk",
        "ac.uk",
        "gov.uk",
        "ltd.uk",
        "plc.uk",
        "me.uk",
        "net.uk",
        "com.au",
        "net.au",
        "org.au",
        "edu.au",
        "gov.au",
        "co.nz",
        "org.nz",
        "net.nz",
        "co.jp",
        "ne.jp",
        "or.jp",
        "ac.jp",
        "go.jp",
        "co.kr",
        "or.kr",
        "com.cn",
        "net.cn",
        "org.cn",
        "com.tw",
        "com.hk",
        "co.in",
        "net.in",
        "org.in",
        "com.br",
        "net.br",
        "org.br",
        "com.mx",
        "com.ar",
        "com.tr",
        "com.sg",
        "com.my",
        "co.za",
        "org.za",
        "com.ua",
        "co.il",
        "com.pl",
        "com.ru",
        "github.io",
        "gitlab.io",
        "herokuapp.com",
        "vercel.app",
        "netlify.app",
        "pages.dev",
        "workers.dev",
        "web.app",
        "firebaseapp.com",
        "appspot.com",
        "azurewebsites.net",
        "cloudfront.net",
        "blogspot.com",
        "s3.amazonaws.com",
        "amplifyapp.com",
        "onrender.com",
        "fly.dev",
        "glitch.me",
        "repl.co",
        "ngrok.io",
        "ngrok-free.app",
        "trycloudflare.com",
    }
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
        # A real label boundary: "evilexample.com" must not match "*.example.com", nor the apex.
        boundary = len(host) - len(self.host) - 1
        return boundary > 0 and host[boundary] == "." and host.endswith(self.host)

    def __str__(self) -> str:
        host = f"*.{self.host}" if self.subdomains else self.host
        if self.any_port:
            return f"{self.scheme}://{host}:*"
        return Origin(self.scheme, host, self.port).serialize()


@dataclass(frozen=True, slots=True)
class CheckFailure:
    """An ``origins`` callable raised, or answered something other than ``True`` or ``False``;
    the origin was refused."""

    #: The callable's qualified name.
    check: str
    #: What went wrong, as ``"raised KeyError: 'tenant'"`` or ``"returned 'false'"``.
    error: str


def is_loopback_host(host: str) -> bool:
    """Whether a browser treats *host* as the local machine (a potentially trustworthy origin)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def registrable_domain(host: str) -> str:
    """The part of a DNS *host* that one party registers: ``example.com`` for
    ``app.example.com``, ``example.co.uk`` for ``www.example.co.uk``, ``me.github.io`` for
    ``me.github.io`` (every name under a public suffix belongs to someone else)."""
    labels = host.split(".")
    for size in (3, 2):
        if len(labels) > size and ".".join(labels[-size:]) in _PUBLIC_SUFFIXES:
            return ".".join(labels[-size - 1 :])
    return ".".join(labels[-2:])


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
    if ("." not in suffix and suffix != "localhost") or suffix in _PUBLIC_SUFFIXES:
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


def _name(check: Callable[..., object]) -> str:
    return getattr(check, "__qualname__", None) or repr(check)


def _shown(value: object) -> str:
    """*value* escaped and bounded for a log line; a ``__repr__`` that raises cannot break it."""
    try:
        return describe(value)
    except Exception:
        return f"<{type(value).__name__} object>"


def _ask(check: Callable[[str], bool], origin: str) -> bool | CheckFailure:
    """*check*'s answer for *origin*: ``True``, ``False``, or why it gave neither."""
    try:
        answer: object = check(origin)
    except Exception as error:
        failure = CheckFailure(_name(check), f"raised {type(error).__name__}: {error}")
        logger.error(
            "the origins callable %s raised for Origin %s; the origin is refused",
            failure.check,
            describe(origin),
            exc_info=True,
        )
        return failure
    if answer is True or answer is False:
        return answer
    if inspect.iscoroutine(answer):
        answer.close()  # never awaited, and never to be: no "was never awaited" warning
    failure = CheckFailure(_name(check), f"returned {_shown(answer)}")
    logger.error(
        "the origins callable %s returned %s for Origin %s, not True or False; the origin is "
        "refused (only True allows an origin)",
        failure.check,
        failure.error.removeprefix("returned "),
        describe(origin),
    )
    return failure


def is_async_callable(check: object) -> bool:
    """Whether calling *check* gives a coroutine or an async generator instead of an answer:
    an ``async def`` function or method, a ``functools.partial`` of one, or an object whose
    ``__call__`` is one."""
    while isinstance(check, functools.partial):
        check = check.func
    # What Python runs when the object is called: its class's __call__, found along the MRO.
    call = next(
        (kind.__dict__["__call__"] for kind in type(check).__mro__ if "__call__" in kind.__dict__),
        None,
    )
    return any(
        inspect.iscoroutinefunction(candidate) or inspect.isasyncgenfunction(candidate)
        for candidate in (check, call)
    )


@dataclass(frozen=True, slots=True)
class OriginMatcher:
    """The compiled ``origins`` option: answers "may this Origin read the response?"."""

    exact: frozenset[str]
    any_origin: bool = False
    host_patterns: tuple[HostPattern, ...] = ()
    regexes: tuple[re.Pattern[str], ...] = ()
    predicates: tuple[Callable[[str], bool], ...] = ()
    allow_null: bool = False
    #: The regexes that admit every host of a scheme (``r"https://.*"``): ``'*'`` in effect,
    #: so a policy with credentials refuses them (``origin_regex.any_host_problem``).
    any_host: tuple[WideRegex, ...] = ()

    @property
    def admits_any_host(self) -> bool:
        """Whether an entry other than ``'*'`` admits every host of a scheme."""
        return bool(self.any_host)

    @property
    def varies(self) -> bool:
        """Whether the answer depends on the request's Origin (so responses need Vary)."""
        return not self.any_origin

    def allows(self, origin: str) -> bool:
        """Whether *origin*, the raw ``Origin`` header, is allowed. Never raises."""
        return self.match(origin) is True

    def match(self, origin: str) -> bool | CheckFailure:
        """``True`` when *origin* (the raw ``Origin`` header) is allowed, else ``False`` or a
        ``CheckFailure``. Never raises.

        Patterns, regular expressions and callables only ever see an origin in serialized form
        (``parse_request_origin``), so no user code is handed control characters or 64 KB.

        Only ``True`` from a callable allows the origin: not a truthy value (a coroutine from an
        ``async def``, the string ``"false"``), which could only grant by mistake. A callable
        that raises or answers anything else refuses the origin: an error must never grant
        access, and one failing look-up (a database down) must not turn every cross-origin
        request into a 500. The other callables still get their say. It is not silent either:
        it is logged on the ``crossgate`` logger at ERROR level (a raise with its traceback),
        and the ``CheckFailure`` returned becomes the refusal's reason
        (``origin-check-failed``).
        """
        if self.any_origin or origin in self.exact:
            return True
        if origin == "null":
            return self.allow_null
        if not (self.host_patterns or self.regexes or self.predicates):
            return False
        parsed = parse_request_origin(origin)
        if parsed is None:
            return False
        for pattern in self.host_patterns:
            if pattern.matches(parsed.scheme, parsed.host, parsed.port):
                return True
        for regex in self.regexes:
            if regex.fullmatch(origin):
                return True
        failure: bool | CheckFailure = False
        for predicate in self.predicates:
            verdict = _ask(predicate, origin)
            if verdict is True:
                return True
            if verdict is not False:
                failure = verdict
        return failure

    def describe(self) -> list[str]:
        """Human-readable list of what is allowed, for ``flask crossgate routes``."""
        if self.any_origin:
            return ["*"]
        shown = sorted(self.exact)
        shown += [str(pattern) for pattern in self.host_patterns]
        shown += [f"re.compile({regex.pattern!r})" for regex in self.regexes]
        shown += [f"{_name(predicate)}()" for predicate in self.predicates]
        if self.allow_null:
            shown.append("null")
        return shown


def compile_origins(
    origins: object,
    *,
    allow_null: bool = False,
    allow_regex_wildcards: bool = False,
    option: str = "origins",
) -> tuple[OriginMatcher | None, list[Problem]]:
    """Compile the ``origins`` option into a matcher, and every problem found.

    The matcher holds the valid entries, so callers can check it further and report those
    problems in the same pass; it is ``None`` only when *origins* is not even a list. Use it
    only when there are no problems.

    ``allow_null=True`` is the knowing consent to ``Origin: null``: with it, ``null`` is
    allowed (listing ``"null"`` too is harmless); without it, listing ``"null"`` is a problem.

    A compiled regex with a loose ``.`` or a wildcard that runs into the domain name is a
    problem (with an origin it lets in, and the fix) unless ``allow_regex_wildcards=True``;
    see ``crossgate.origin_regex``. A regex that admits every host of a scheme is not a
    problem here, but is recorded in ``OriginMatcher.any_host``: the policy refuses it with
    credentials, as it refuses ``'*'``. An ``async def`` callable is a problem: its coroutine
    would be taken for an answer.
    """
    # Imported here: origin_regex builds on this module's parsing, and only start-up needs it.
    from crossgate import origin_regex

    problems: list[Problem] = []
    if isinstance(origins, (str, re.Pattern)) or callable(origins):
        items: list[object] = [origins]
    elif isinstance(origins, Iterable) and not isinstance(origins, (bytes, bytearray)):
        items = list(origins)
    else:
        problems.append(
            Problem(
                option,
                origins,
                "is not an origin or a list of origins",
                "pass a list like ['https://app.example.com']",
            )
        )
        return None, problems
    exact: set[str] = set()
    host_patterns: list[HostPattern] = []
    regexes: list[re.Pattern[str]] = []
    predicates: list[Callable[[str], bool]] = []
    any_host: list[WideRegex] = []
    any_origin = False
    null_listed = False
    for item in items:
        if isinstance(item, re.Pattern):
            if isinstance(item.pattern, str):
                regexes.append(item)
                problems += origin_regex.regex_problems(
                    item, option=option, allow_wildcards=allow_regex_wildcards
                )
                wide = origin_regex.wide_regex(item)
                if wide is not None:
                    any_host.append(wide)
            else:
                problems.append(
                    Problem(option, item, "is a bytes pattern", "compile a str pattern")
                )
        elif isinstance(item, str):
            if item == "*":
                any_origin = True
            elif item == "null":
                null_listed = True
            else:
                try:
                    parsed = _parse(item, patterns=True)
                except OriginError as error:
                    message, fix = origin_regex.string_regex_hint(item) or (
                        error.message,
                        error.fix,
                    )
                    problems.append(Problem(option, item, message, fix))
                    continue
                if isinstance(parsed, Origin):
                    exact.add(parsed.serialize())
                else:
                    host_patterns.append(parsed)
        elif callable(item):
            if is_async_callable(item):
                problems.append(_async_problem(option, item))
            else:
                predicates.append(item)
        else:
            problems.append(
                Problem(
                    option,
                    item,
                    "is not an origin",
                    "write a string like 'https://app.example.com'",
                )
            )
    if null_listed and not allow_null:
        problems.append(
            Problem(
                option,
                "null",
                "'null' is the Origin of sandboxed iframes, file: pages and redirected requests; "
                "any site can send it",
                "remove 'null', or pass allow_null_origin=True if you accept that risk",
            )
        )
    if allow_null and not null_listed and not any_origin:
        problems.append(
            Problem(
                "allow_null_origin",
                True,
                "consents to Origin: null, but 'null' is not among the origins next to it",
                "add 'null' to origins if sandboxed iframes or file: pages must read responses, "
                "or remove allow_null_origin=True",
            )
        )
    if any_origin and (exact or host_patterns or regexes or predicates):
        problems.append(
            Problem(
                option,
                items,
                "'*' already allows every origin, so the other entries do nothing",
                "keep only '*', or remove it",
            )
        )
    matcher = OriginMatcher(
        exact=frozenset(exact),
        any_origin=any_origin,
        host_patterns=tuple(host_patterns),
        regexes=tuple(regexes),
        predicates=tuple(predicates),
        allow_null=allow_null and null_listed,
        any_host=tuple(any_host),
    )
    return matcher, problems


def _async_problem(option: str, check: Callable[..., object]) -> Problem:
    return Problem(
        option,
        check,
        f"{_name(check)} is an async callable; crossgate asks origins callables synchronously, "
        "while it answers the request, so it would get a coroutine back, never an answer",
        "make it a plain def that answers from memory, like "
        "'def allowed(origin): return origin in trusted', with trusted a set that a "
        "background task or a timer refreshes",
    )


def insecure_origins(matcher: OriginMatcher) -> list[str]:
    """Plain-http, non-loopback entries: readable by anyone on the network path. A regex is
    one when it allows such an origin (``r"https?://app\\.example\\.com"``)."""
    from crossgate import origin_regex  # see compile_origins

    found = []
    for value in sorted(matcher.exact):
        parsed = parse_request_origin(value)
        assert parsed is not None  # the matcher holds serialized origins only
        if parsed.scheme in ("http", "ws") and not is_loopback_host(parsed.host):
            found.append(value)
    found += [
        str(pattern)
        for pattern in matcher.host_patterns
        if pattern.scheme in ("http", "ws") and not is_loopback_host(pattern.host)
    ]
    found += [
        origin_regex.show_regex(regex)
        for regex in matcher.regexes
        if origin_regex.plain_http_example(regex) is not None
    ]
    return found
