"""The commands as clients of a server that cannot be trusted: ``crossgate check``, ``audit``
and ``headers`` run against hand-written servers on 127.0.0.1.

- a body that never ends, or a small gzip body that inflates to 256 MiB, is read up to
  ``BODY_LIMIT`` and no further: the command ends, says the body was cut, and the process's
  peak of Python allocations stays a few times the limit;
- control characters a server puts in header values, status reasons and bodies never reach the
  terminal: they are shown escaped (``\\u001B``);
- a ``-H 'Cookie: ...'`` or ``Authorization`` given for one origin never follows a redirect to
  another, and the output names the header withheld.
"""

from __future__ import annotations

import time
import tracemalloc
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner

from crossgate.cli._command import main
from crossgate.cli._shared import read_capped
from crossgate.inspect import BODY_LIMIT
from tests.cli.hostile import bomb, endless, hostile, inflating, raw
from tests.live_server import served

PAGE = "https://app.example.com"
COMMANDS = {
    "check": lambda url: ["check", url, "--origin", PAGE],
    "audit": lambda url: ["audit", url, "--concurrency", "4"],
    "headers": lambda url: ["headers", url],
}
CUT = (
    "was cut: crossgate reads at most 2 MiB of a response, for at most 20 s, "
    "and closed the connection there"
)


def run(args: list[str]) -> tuple[int, str, float, int]:
    """Exit status, what the terminal shows (stdout and stderr), seconds, peak bytes."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result.exit_code, result.output, time.monotonic() - started, peak


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    "answer",
    [endless, inflating(bomb(256 * 1024 * 1024))],
    ids=["endless-chunked-body", "gzip-bomb-256MiB"],
)
def test_a_body_is_read_up_to_the_limit_and_no_further(
    command: str, answer: Callable[[Any], None]
) -> None:
    with hostile(answer) as base:
        code, out, seconds, peak = run(COMMANDS[command](base + "/"))
    assert code in (0, 1), out
    assert CUT in out
    assert seconds < 60
    # At most four requests in flight (audit), each holding at most the limit and, for a
    # moment, its joined copy: a bound that does not grow with what the server sends.
    assert peak < 10 * BODY_LIMIT, f"{peak / 2**20:.1f} MiB"


def dripping(handler: Any) -> None:
    """A body of one byte every 50 ms, each read well inside any read timeout, for 40 s: longer
    than the test allows (a client without a deadline fails it rather than hanging the run)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    try:
        for _ in range(800):
            handler.wfile.write(b"1\r\nx\r\n")
            handler.wfile.flush()
            time.sleep(0.05)
        handler.wfile.write(b"0\r\n\r\n")
    except OSError:
        handler.close_connection = True


@pytest.mark.parametrize("command", COMMANDS)
def test_a_body_that_drips_forever_is_cut_at_the_deadline(
    command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("crossgate.cli._shared.BODY_SECONDS", 0.5)
    with hostile(dripping) as base:
        code, out, seconds, _ = run(COMMANDS[command](base + "/"))
    assert code in (0, 1), out
    assert "was cut: crossgate reads at most 2 MiB of a response" in out
    # audit sends its probes four at a time: each one cut after half a second.
    assert seconds < 30


CONTROLS = {
    "escape-sequences-in-a-header": b"HTTP/1.1 200 OK\r\nX-Evil: \x1b[31mred\x1b]0;title\x07\r\n",
    "bidi-controls-in-a-header": (
        b"HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: \xe2\x80\xaemoc.elpmaxe\r\n"
    ),
    "c1-controls-in-a-header": b"HTTP/1.1 200 OK\r\nServer: \x9b2J\x85\r\n",
    "escape-in-the-status-reason": b"HTTP/1.1 200 \x1b[2JOK\r\n",
    "bidi-in-the-status-reason": b"HTTP/1.1 200 O\xe2\x80\xaeK\r\n",
    "nul-in-a-header": b"HTTP/1.1 200 OK\r\nX-Evil: a\x00b\r\n",
    "bare-cr-in-a-header": b"HTTP/1.1 200 OK\r\nX-Evil: a\rb\x1b[1A\r\n",
}
BODY = b"\x1b[31mCORS preflight refused.\x00\xe2\x80\xae [origin-not-allowed] \x1b]0;t\x07"


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("head", CONTROLS.values(), ids=CONTROLS.keys())
def test_no_control_character_reaches_the_terminal(command: str, head: bytes) -> None:
    with hostile(raw(head, BODY)) as base:
        code, out, _, _ = run(COMMANDS[command](base + "/"))
    if b"\x00" in head or b"\rb" in head:  # a header line HTTP itself forbids: httpx refuses it
        assert code == 2
        assert "Error: could not reach 127.0.0.1:" in out
    else:  # the command read the answer and judged it
        assert code in (0, 1), out
    shown = out.replace("\n", "")
    assert shown.isprintable(), repr([char for char in shown if not char.isprintable()])


def test_an_escape_sequence_is_shown_as_written() -> None:
    with hostile(raw(CONTROLS["escape-sequences-in-a-header"])) as base:
        _, out, _, _ = run(COMMANDS["check"](base + "/"))
    assert "< x-evil: \\u001B[31mred\\u001B]0;title\\u0007" in out


def cors_app(label: str, seen: list[dict[str, str]], *, to: str | None = None) -> Any:
    """Answers preflights and requests from PAGE, with credentials; with *to*, a GET of /go is
    a 307 there. Records the headers of each request it gets."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(
            {
                key[5:].replace("_", "-").lower(): value
                for key, value in environ.items()
                if key.startswith("HTTP_")
            }
        )
        headers = [
            # After a redirect to another origin the browser sends Origin: null.
            ("Access-Control-Allow-Origin", environ.get("HTTP_ORIGIN", PAGE)),
            ("Access-Control-Allow-Credentials", "true"),
            ("Access-Control-Allow-Headers", "authorization"),
            ("Vary", "Origin"),
        ]
        if environ["REQUEST_METHOD"] == "GET" and to is not None and environ["PATH_INFO"] == "/go":
            start_response("307 Temporary Redirect", [*headers, ("Location", to)])
            return [b""]
        start_response("200 OK", [*headers, ("Content-Type", "text/plain")])
        return [label.encode()]

    return app


def test_a_cookie_never_follows_a_redirect_to_another_origin() -> None:
    there: list[dict[str, str]] = []
    here: list[dict[str, str]] = []
    with (
        served(cors_app("there", there)) as other,
        served(cors_app("here", here, to=other.url + "/landing")) as first,
    ):
        args = ["check", first.url + "/go", "--origin", PAGE, "--credentials"]
        code, out, _, _ = run([*args, "-H", "Cookie: session=s3cret"])
    assert code == 0, out
    assert here[0]["cookie"] == "session=s3cret"
    assert there
    assert all("cookie" not in seen for seen in there)
    assert (
        f"note: Cookie was not sent to {other.url} after the redirect: the value given with -H "
        f"is for {first.url}, and a browser sends each site only the cookies that site set"
    ) in out


def test_authorization_never_follows_a_redirect_to_another_origin_even_as_webkit() -> None:
    there: list[dict[str, str]] = []
    here: list[dict[str, str]] = []
    with (
        served(cors_app("there", there)) as other,
        served(cors_app("here", here, to=other.url + "/landing")) as first,
    ):
        args = ["check", first.url + "/go", "--origin", PAGE, "--browser", "webkit"]
        code, out, _, _ = run([*args, "-H", "Authorization: Bearer t0ken"])
    assert [seen.get("authorization") for seen in here] == [None, "Bearer t0ken"]  # preflight
    assert there
    assert all("authorization" not in seen for seen in there)
    assert f"note: Authorization was not sent to {other.url} after the redirect" in out
    assert "WebKit would send it; crossgate does not send your token to another host" in out
    assert code in (0, 1)


def test_every_engine_says_what_it_withheld() -> None:
    there: list[dict[str, str]] = []
    with (
        served(cors_app("there", there)) as other,
        served(cors_app("here", [], to=other.url + "/landing")) as first,
    ):
        args = ["check", first.url + "/go", "--origin", PAGE, "--browser", "all"]
        _, out, _, _ = run([*args, "-H", "Authorization: Bearer t0ken"])
    assert all("authorization" not in seen for seen in there)
    verdicts = out.split("* verdict per engine", 1)[1]
    # Chromium and Firefox drop it themselves; only WebKit's exchange needed withholding.
    assert verdicts.count("note: Authorization was not sent to") == 1


def test_a_redirect_on_the_same_origin_keeps_the_cookie() -> None:
    here: list[dict[str, str]] = []
    with served(cors_app("here", here, to="/landing")) as server:
        code, out, _, _ = run(
            ["check", server.url + "/go", "--origin", PAGE, "-H", "Cookie: a=1", "--credentials"]
        )
    assert code == 0, out
    assert [seen["cookie"] for seen in here] == ["a=1", "a=1"]
    assert "was not sent" not in out


def test_a_body_that_cannot_be_inflated_keeps_what_came_before() -> None:
    packed = zlib.compress(b"<title>t</title>" * 4)
    assert read_capped([packed[:10], packed[10:]], "deflate", 1000) == (
        b"<title>t</title>" * 4,
        False,
    )
    assert read_capped([packed, b"not zlib at all"], "gzip", 1000)[0] == b"<title>t</title>" * 4
    assert read_capped([b"not gzip"], "gzip", 1000) == (b"", False)
    assert read_capped([b"br bytes"], "br", 4) == (b"br b", True)
