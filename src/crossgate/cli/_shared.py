"""What the ``crossgate`` subcommands share: exit statuses, the ``-H`` and ``--origin`` options,
the progress spinner and the wording of network errors.

Kept apart from :mod:`crossgate.cli._command`, which assembles the command group, so each
subcommand's module can be imported on its own.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import NoReturn

import click

from crossgate import __version__
from crossgate._origins import OriginError, parse_origin
from crossgate.browser import HttpResponse
from crossgate.inspect import Reply, Send

EXIT_ALLOWED, EXIT_BLOCKED, EXIT_ERROR = 0, 1, 2
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
        headers={"User-Agent": f"crossgate/{__version__}"},
    ) as client:

        def send(method: str, url: str, lines: list[tuple[str, str]], data: bytes | None) -> Reply:
            try:
                with progress(f"{method} {url}") if spin else nullcontext():
                    response = client.request(method, url, headers=lines, content=data)
            except httpx.HTTPError as error:
                network_error(url, error)
            return Reply(
                HttpResponse(response.status_code, tuple(response.headers.multi_items()), url),
                response.content,
            )

        yield send


def network_error(url: str, error: Exception) -> NoReturn:
    """Say why *url* could not be reached, as a usage error (exit status 2)."""
    import httpx

    text = str(error)
    host = url.split("//", 1)[-1].split("/", 1)[0]
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
