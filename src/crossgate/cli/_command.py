"""The ``crossgate`` command group, and the options ``flask crossgate check`` shares with it.

    crossgate check https://api.example.com/items --origin https://app.example.com -X PUT \\
        -H 'Content-Type: application/json' --credentials

Exit status: 0 the browser would allow it, 1 it would block it, 2 usage or network error.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import click

from crossgate import __version__
from crossgate._public_suffixes import list_version
from crossgate.browser import ENGINES, BrowserRequest, EngineProfile, get_profile
from crossgate.cli._export import export_command
from crossgate.cli._render import (
    render_engines_json,
    render_engines_text,
    render_json,
    render_text,
    render_write_json,
    render_writes_text,
)
from crossgate.cli._shared import (
    EXIT_ALLOWED,
    EXIT_BLOCKED,
    EXIT_ERROR,
    json_option,
    live_send,
    options_as,
    parse_header_options,
    timeout_option,
    url_command,
    validate_origin,
)
from crossgate.cli._tools import audit_command, headers_command
from crossgate.inspect import (
    ADDRESS_SPACES,
    CheckResult,
    KnownCause,
    Send,
    WriteCheck,
    check_write,
    run_checks,
)


def selected_engines(browser: str) -> list[EngineProfile]:
    """The profiles ``--browser`` names: one engine, or all three."""
    return list(ENGINES) if browser == "all" else [get_profile(browser)]


def check_engines(
    request: BrowserRequest,
    send: Send,
    *,
    browser: str,
    target_address_space: str | None,
    send_unsafe: bool,
    body: bytes | None,
    guess_address_space: bool = True,
    known_cause: KnownCause | None = None,
) -> list[CheckResult]:
    """:func:`crossgate.inspect.run_checks` for the engines ``--browser`` names."""
    return run_checks(
        request,
        send,
        selected_engines(browser),
        target_address_space=target_address_space,
        send_unsafe=send_unsafe,
        body=body,
        guess_address_space=guess_address_space,
        known_cause=known_cause,
    )


def check_live(
    request: BrowserRequest,
    *,
    send_unsafe: bool,
    body: bytes | None,
    timeout: float,
    browser: str = "chromium",
    target_address_space: str | None = None,
) -> list[CheckResult]:
    """Run the check against a live server with httpx, for each engine ``--browser`` selects."""
    with live_send(timeout, spin=True) as send:
        return check_engines(
            request,
            send,
            browser=browser,
            target_address_space=target_address_space,
            send_unsafe=send_unsafe,
            body=body,
        )


def live_writes(
    request: BrowserRequest,
    send_write: bool,
    websocket: bool,
    body: bytes | None,
    timeout: float,
) -> list[WriteCheck]:
    """The writes CORS cannot stop, judged on the live server at the request's URL only."""
    kinds = [(request.method, False)] + ([("GET", True)] if websocket else [])
    found = []
    with live_send(timeout) as send:
        for method, handshake in kinds:
            write = check_write(
                request.url,
                request.origin,
                method,
                send,
                websocket=handshake,
                send_write=send_write,
                body=body,
            )
            if write is not None:
                found.append(write)
    return found


class _Group(click.Group):
    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any
    ) -> NoReturn:
        # click exits 1 on ClickException and 2 on usage errors; crossgate keeps 1 for "blocked".
        try:
            super().main(args, prog_name, standalone_mode=False, **extra)
        except click.exceptions.Abort:
            click.echo("aborted", err=True)
            sys.exit(EXIT_ERROR)
        except click.ClickException as error:
            error.show()
            sys.exit(EXIT_ERROR)
        sys.exit(EXIT_ALLOWED)


@click.group(cls=_Group)
@click.version_option(
    __version__,
    prog_name="crossgate",
    message=f"%(prog)s, version %(version)s (Public Suffix List {list_version()})",
)
def main() -> None:
    """Check, audit and explain CORS the way a browser enforces it."""


@dataclass(frozen=True, slots=True)
class CheckArgs:
    """What ``crossgate check`` and ``flask crossgate check`` are given besides the URL."""

    origin: str
    method: str
    headers: tuple[str, ...]
    credentials: bool
    data: str | None
    send_unsafe: bool
    websocket: bool
    as_json: bool
    browser: str
    target_address_space: str | None

    def request(self, url: str) -> BrowserRequest:
        """The fetch() these options describe, to *url*."""
        lines = parse_header_options(self.headers)
        return BrowserRequest(url, self.origin, self.method, lines, self.credentials)

    @property
    def body(self) -> bytes | None:
        return self.data.encode() if self.data is not None else None


#: The options shared by ``crossgate check`` and ``flask crossgate check``, given to the command
#: as one :class:`CheckArgs` (its parameter ``given``).
request_options = options_as(
    CheckArgs,
    click.option(
        "--origin",
        required=True,
        callback=validate_origin,
        help="The page's origin, e.g. https://app.example.com (or null).",
    ),
    click.option(
        "-X",
        "--request",
        "method",
        default="GET",
        show_default=True,
        help="The fetch() method.",
    ),
    click.option(
        "-H",
        "--header",
        "headers",
        multiple=True,
        help="A request header 'Name: value' (repeatable).",
    ),
    click.option(
        "--credentials",
        is_flag=True,
        help="credentials: 'include' (cookies sent cross-origin).",
    ),
    click.option("-d", "--data", default=None, help="A request body (sent only with --send)."),
    click.option(
        "--send",
        "send_unsafe",
        is_flag=True,
        help="Also send unsafe requests (may change data).",
    ),
    click.option(
        "--websocket",
        is_flag=True,
        help="Also judge a WebSocket handshake from ORIGIN (sent only with --send).",
    ),
    json_option,
    click.option(
        "--browser",
        type=click.Choice(["chromium", "firefox", "webkit", "all"]),
        default="chromium",
        show_default=True,
        help="Whose rules and console wording: one engine, or all three side by side.",
    ),
    click.option(
        "--target-address-space",
        type=click.Choice(ADDRESS_SPACES),
        default=None,
        help="The URL's address space for Local Network Access (default: from its host).",
    ),
)


def finish(
    results: CheckResult | list[CheckResult],
    as_json: bool,
    writes: Sequence[WriteCheck] = (),
) -> NoReturn:
    """Print the result(s), then what happens to the *writes* CORS cannot stop, and exit 0
    when every engine allows, 1 when any blocks."""
    if isinstance(results, CheckResult):
        results = [results]
    color = sys.stdout.isatty()
    if as_json:
        shown = render_json(results[0]) if len(results) == 1 else render_engines_json(results)
        shown["protection"] = [render_write_json(write) for write in writes]
        output = json.dumps(shown, indent=2)
    else:
        output = (
            render_text(results[0], color=color)
            if len(results) == 1
            else render_engines_text(results, color=color)
        )
        output += render_writes_text(writes)
    click.echo(output)
    allowed = all(result.verdict.allowed for result in results)
    sys.exit(EXIT_ALLOWED if allowed else EXIT_BLOCKED)


@url_command(
    "check",
    (
        "crossgate check http://localhost:5000/api/items --origin http://localhost:3000",
        "crossgate check https://api.example.com/items --origin https://app.example.com \\\n"
        "      -X PUT -H 'Content-Type: application/json' --credentials",
    ),
    allowed="the browser would allow the request (with --browser all: every engine)",
    blocked="the browser would block it (the console error and the fix are printed)",
)
@request_options
@timeout_option
def check_command(url: str, given: CheckArgs, timeout: float) -> None:
    """Send what a browser on ORIGIN would send to URL, and say whether it would allow it.

    For a POST (and with --websocket, a WebSocket handshake) it also says what happens to the
    write a page on ORIGIN can send without CORS's consent: with --send the form POST or the
    handshake is sent to URL, as the browser sends it, and the answer read.
    """
    request = given.request(url)
    results = check_live(
        request,
        send_unsafe=given.send_unsafe,
        body=given.body,
        timeout=timeout,
        browser=given.browser,
        target_address_space=given.target_address_space,
    )
    writes = live_writes(request, given.send_unsafe, given.websocket, given.body, timeout)
    finish(results, given.as_json, writes)


main.add_command(check_command)
main.add_command(audit_command)
main.add_command(headers_command)
main.add_command(export_command)
