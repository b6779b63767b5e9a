"""What the ``crossgate`` subcommands share: exit statuses, how a command on a URL is declared
(:func:`url_command`), the ``-H``, ``--origin`` and ``--json`` options, the progress spinner and
the wording of network errors.

Kept apart from :mod:`crossgate.cli._command`, which assembles the command group, so each
subcommand's module can be imported on its own.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any, NoReturn

import click

from crossgate import __version__
from crossgate._origins import OriginError, parse_origin
from crossgate.browser import HttpResponse
from crossgate.cli._url import url_argument
from crossgate.errors import show
from crossgate.inspect import BODY_LIMIT, BODY_SECONDS, Reply, Send

EXIT_ALLOWED, EXIT_BLOCKED, EXIT_ERROR = 0, 1, 2
# What a proxy reads as one listen address: a name or IPv4 address, or an IPv6 one in brackets.
_LISTEN_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]")
#: What exit status 2 means for a command that talks to a server.
UNREACHABLE = "a usage error (a bad URL or option), or the server could not be reached"
_DNS_HINTS = ("name or service", "nodename", "getaddrinfo", "name resolution", "no address")


def parse_header_options(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """``-H 'Name: value'`` options as header pairs; a usage error for anything else."""
    pairs = []
    for value in values:
        name, colon, rest = value.partition(":")
        if not colon or not name.strip() or any(char in value for char in "\r\n"):
            raise click.BadParameter(f"{value!r} is not 'Name: value'", param_hint="-H")
        pairs.append((name.strip(), rest.strip()))
    return tuple(pairs)


def validate_listen(context: click.Context, parameter: click.Parameter, value: str) -> str:
    """``--listen`` as ``host:port``, the host never implied: a proxy given a port alone
    listens on every interface, which a person asks for in so many words (``0.0.0.0:PORT``)."""
    host, colon, port = value.rpartition(":")
    if not colon:  # one word: a port alone, or a host without its port
        host, port = ("", value) if value.isdigit() else (value, "")
    if not host:
        raise click.BadParameter(
            f"{value!r} has no host, and a port alone listens on every interface: write "
            f"'127.0.0.1:{port}' for this machine only, or '0.0.0.0:{port}' for every interface",
            context,
            parameter,
        )
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise click.BadParameter(
            f"{value!r} has no port from 1 to 65535: write, for example, '{host}:8080'",
            context,
            parameter,
        )
    if not _LISTEN_HOST.fullmatch(host):
        raise click.BadParameter(
            f"{value!r}: {host!r} is not a host name, an IPv4 address or a bracketed IPv6 "
            "address: write, for example, '127.0.0.1:8080' or '[::1]:8080'",
            context,
            parameter,
        )
    return value


def validate_origin(context: click.Context, parameter: click.Parameter, value: str) -> str:
    """``--origin`` as a browser sends it: checked and normalised as crossgate's ``origins``.

    ``null`` (a sandboxed or ``file:`` page) is accepted as it is; anything else that is not
    ``scheme://host[:port]`` is a usage error with the library's own message and fix.
    """
    if value == "null":
        return value
    try:
        return parse_origin(value).serialize()
    except OriginError as error:
        raise click.BadParameter(str(error), context, parameter) from None


@contextmanager
def progress(label: str) -> Iterator[None]:
    """A spinner on stderr for anything slower than a moment (only on a terminal)."""
    done = threading.Event()

    def spin() -> None:
        if done.wait(0.3):
            return
        frames = "|/-\\"
        index = 0
        while not done.wait(0.1):
            sys.stderr.write(f"\r{frames[index % 4]} {label}")
            sys.stderr.flush()
            index += 1
        sys.stderr.write("\r" + " " * (len(label) + 2) + "\r")
        sys.stderr.flush()

    thread = threading.Thread(target=spin, daemon=True) if sys.stderr.isatty() else None
    if thread is not None:
        thread.start()
    try:
        yield
    finally:
        done.set()
        if thread is not None:
            thread.join()


@contextmanager
def live_send(timeout: float, *, insecure: bool = False, spin: bool = False) -> Iterator[Send]:
    """A ``Send`` over httpx: redirects not followed, network errors as clear messages; with
    *spin*, a spinner (:func:`progress`) while each request waits."""
    import httpx  # the cli extra; `flask crossgate` imports this module without it

    with httpx.Client(
        follow_redirects=False,
        timeout=timeout,
        verify=not insecure,
        # Only what read_capped decodes a chunk at a time, never more than it needs.
        headers={"User-Agent": f"crossgate/{__version__}", "Accept-Encoding": "gzip, deflate"},
    ) as client:

        def send(method: str, url: str, lines: list[tuple[str, str]], data: bytes | None) -> Reply:
            try:
                with (
                    progress(f"{method} {url}") if spin else nullcontext(),
                    client.stream(method, url, headers=lines, content=data) as response,
                ):
                    encoding = response.headers.get("Content-Encoding", "")
                    chunks = Deadline(response.iter_raw(), BODY_SECONDS)
                    body, cut = read_capped(chunks, encoding, BODY_LIMIT)
                    cut = cut or chunks.overdue
            except httpx.HTTPError as error:
                network_error(url, error)
            headers = tuple(response.headers.multi_items())
            return Reply(HttpResponse(response.status_code, headers, url), body, cut)

        yield send


class Deadline:
    """The chunks of a body until *seconds* have passed since the first was asked for; then no
    more (:attr:`overdue` says so), however slowly the server keeps sending."""

    def __init__(self, chunks: Iterable[bytes], seconds: float) -> None:
        self._chunks = iter(chunks)
        self._seconds = seconds
        self._end: float | None = None
        self.overdue = False

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        now = time.monotonic()
        if self._end is None:
            self._end = now + self._seconds
        elif now > self._end:
            self.overdue = True
            raise StopIteration
        return next(self._chunks)


def read_capped(chunks: Iterable[bytes], encoding: str, limit: int) -> tuple[bytes, bool]:
    """The body from its raw *chunks*, decoded (``gzip``, ``deflate``), and whether it went on
    past *limit* bytes: then only the first *limit* are kept and reading stops, so a server
    that sends an endless body, or a small one that inflates to gigabytes, costs at most
    *limit* plus one chunk. A body in an encoding not asked for is kept as sent."""
    decoder = (
        zlib.decompressobj(zlib.MAX_WBITS | 32)  # zlib or gzip, told by the first bytes
        if encoding.strip().lower() in ("gzip", "x-gzip", "deflate")
        else None
    )
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        if decoder is not None:
            try:
                chunk = decoder.decompress(chunk, limit + 1 - size)
            except zlib.error:
                break  # what came before is kept; the rest cannot be read
        size += len(chunk)
        if size > limit:
            parts.append(chunk[: len(chunk) - (size - limit)])
            return b"".join(parts), True
        parts.append(chunk)
    return b"".join(parts), False


def network_error(url: str, error: Exception) -> NoReturn:
    """Say why *url* could not be reached, as a usage error (exit status 2)."""
    import httpx

    text = show(str(error))  # a server's bytes may be quoted in it
    host = show(url.split("//", 1)[-1].split("/", 1)[0])
    if isinstance(error, httpx.TimeoutException):
        message = f"timed out talking to {host}: the server did not answer in time (try --timeout)"
    elif "CERTIFICATE" in text.upper() or "SSL" in text.upper() or "TLS" in text.upper():
        message = f"TLS error with {host}: {text} (is the certificate valid for this host name?)"
    elif "refused" in text.lower():
        message = f"connection refused by {host}: is the server running and listening on that port?"
    elif any(hint in text.lower() for hint in _DNS_HINTS):
        message = f"could not resolve {host}: check the host name (DNS failure: {text})"
    else:
        message = f"could not reach {host}: {text or type(error).__name__}"
    raise click.ClickException(message)


def help_epilog(
    examples: tuple[str, ...], *, allowed: str, blocked: str | None = None, error: str = UNREACHABLE
) -> str:
    """The end of a command's ``--help``: its examples and the exit statuses it returns (what
    *allowed*, *blocked* and *error* mean for it), laid out as written (``\\b`` keeps click
    from rewrapping a paragraph)."""
    statuses = {EXIT_ALLOWED: allowed, EXIT_BLOCKED: blocked, EXIT_ERROR: error}
    lines = ["\b", "Examples:", *(f"  {example}" for example in examples), "", "\b"]
    lines.append("Exit status:")
    lines.extend(f"  {status}  {meaning}" for status, meaning in statuses.items() if meaning)
    return "\n".join(lines)


def url_command(
    name: str, examples: tuple[str, ...], *, allowed: str, blocked: str
) -> Callable[[Callable[..., None]], click.Command]:
    """A ``crossgate`` command on a URL (``check``, ``audit``, ``headers``): the command *name*,
    its ``--help`` ending with *examples* and its exit statuses (:func:`help_epilog`; 2: a usage
    or network error), and its URL argument, checked by :func:`crossgate.cli._url.url_argument`."""
    epilog = help_epilog(examples, allowed=allowed, blocked=blocked)

    def decorate(function: Callable[..., None]) -> click.Command:
        with_url = click.argument("url", callback=url_argument)(function)
        return click.command(name, epilog=epilog)(with_url)

    return decorate


#: ``--json``, for the commands whose output scripts read.
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts and CI.")


def timeout_option(function: click.decorators.FC) -> click.decorators.FC:
    """``--timeout``: seconds, more than none (a negative value crashed deep in the socket)."""
    return click.option(
        "--timeout",
        default=10.0,
        show_default=True,
        type=click.FloatRange(min=0, min_open=True),
        help="Seconds to wait for each response.",
    )(function)


def server_options(function: click.decorators.FC) -> click.decorators.FC:
    """``--timeout`` and ``--insecure``, for the commands that may meet a local certificate."""
    function = click.option(
        "--insecure", is_flag=True, help="Do not check the certificate (self-signed, local)."
    )(function)
    return timeout_option(function)


def options_as(
    kind: Callable[..., object], *options: Callable[[Callable[..., None]], Callable[..., None]]
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A decorator adding *options* (click options, in the order ``--help`` lists them) to a
    command, which gets their values as one ``kind(...)`` in its parameter ``given``: commands
    that share options share one signature."""
    names = [field.name for field in dataclasses.fields(kind)]  # type: ignore[arg-type]

    def decorate(function: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(function)
        def command(**values: Any) -> None:
            function(given=kind(**{name: values.pop(name) for name in names}), **values)

        for option in reversed(options):
            command = option(command)
        return command

    return decorate


#: The proxies ``export`` writes for (``crossgate.export.PROXIES``, named here without importing
#: the export for every command).
EXPORT_PROXIES = ("nginx", "caddy", "haproxy")


def export_options(server: str, port: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """PROXY, ``--upstream`` (where *server* serves the app, by default on *port*) and
    ``--listen``: what both export commands are given besides the app."""

    def decorate(function: Callable[..., None]) -> Callable[..., None]:
        function = click.option(
            "--listen",
            default="127.0.0.1:8080",
            show_default=True,
            callback=validate_listen,
            help="host:port the proxy listens on (0.0.0.0:PORT for every interface).",
        )(function)
        return click.option(
            "--upstream",
            default=f"http://127.0.0.1:{port}",
            show_default=True,
            help=f"Where the app listens ({server}): http://host:port.",
        )(function)

    return decorate


proxy_argument = click.argument("proxy", type=click.Choice(EXPORT_PROXIES))
