"""A bad URL argument to ``crossgate check|audit|headers``: a usage error (exit status 2) that
shows what was given, escaped, and the URL to type instead."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from crossgate.cli._command import main
from crossgate.cli._url import url_problem

PAGE = "https://app.example.com"
COMMANDS = [["check", "--origin", PAGE], ["audit"], ["headers"]]

# (given, what the error shows of it, the fix it names)
BAD_URLS = [
    ("localhost:5000", "'localhost:5000'", "did you mean http://localhost:5000?"),
    ("127.0.0.1:8000/api", "'127.0.0.1:8000/api'", "did you mean http://127.0.0.1:8000/api?"),
    ("api.example.com/items", "'api.example.com/items'", "did you mean https://api.example.com/"),
    (":5000", "':5000'", "did you mean http://localhost:5000?"),
    ("htp://localhost:5000/a", "'htp://localhost:5000/a'", "did you mean http://localhost:5000/a?"),
    ("htps://api.example.com", "'htps://api.example.com'", "did you mean https://api.example.com?"),
    ("http:/localhost/a", "'http:/localhost/a'", "did you mean http://localhost/a?"),
    ("http//localhost/a", "'http//localhost/a'", "did you mean http://localhost/a?"),
    ("ws://localhost/ws", "'ws://localhost/ws'", "did you mean http://localhost/ws?"),
    (" http://localhost/a ", "' http://localhost/a '", "did you mean http://localhost/a?"),
    ("http://localhost/my page", "'http://localhost/my page'", "http://localhost/my%20page?"),
    ("http://localhost/caf\u00e9", "'http://localhost/caf\u00e9'", "http://localhost/caf%C3%A9?"),
    ("http://caf\u00e9.example/", "'http://caf\u00e9.example/'", "http://xn--caf-dma.example/?"),
    ("http://x/\x1b[31m", "'http://x/\\u001B[31m'", "did you mean http://x/%1B[31m?"),
    ("ftp://x/a", "'ftp://x/a'", "write http:// or https:// and the host"),
    ("http://", "'http://'", "write the host after ://"),
    ("http://local host/", "'http://local host/'", "no spaces"),
    ("http://localhost:99999/", "'http://localhost:99999/'", "a port is 1-65535"),
    ("http://user:pw@localhost/", "'http://user:pw@localhost/'", "send -H instead"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize(("url", "shown", "fix"), BAD_URLS)
def test_a_bad_url_is_a_usage_error_that_shows_it_and_the_fix(
    command: list[str], url: str, shown: str, fix: str
) -> None:
    result = CliRunner().invoke(main, [command[0], url, *command[1:]])
    assert result.exit_code == 2
    assert f"Invalid value for 'URL': {shown} " in result.output
    assert fix in result.output
    assert "\x1b" not in result.output


def test_valid_urls_are_taken_as_they_are() -> None:
    for url in (
        "https://api.example.com/items?page=2",
        "http://127.0.0.1:5000/",
        "HTTP://LOCALHOST",
        "http://[::1]:8000/a",
        "https://xn--caf-dma.example/a%20b#top",
    ):
        assert url_problem(url) is None


_LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
_HOST = st.lists(_LABEL, min_size=1, max_size=3).map(".".join)
_PATH = st.from_regex(r"(/[A-Za-z0-9._~-]{0,6}){0,3}", fullmatch=True)


@given(
    scheme=st.sampled_from(["http", "https"]),
    host=_HOST,
    port=st.none() | st.integers(1, 65535),
    path=_PATH,
)
def test_every_well_formed_url_is_accepted(
    scheme: str, host: str, port: int | None, path: str
) -> None:
    url = f"{scheme}://{host}{'' if port is None else f':{port}'}{path}"
    assert url_problem(url) is None


@given(st.text(max_size=40))
def test_a_suggested_url_is_itself_accepted_and_the_error_stays_on_one_line(text: str) -> None:
    problem = url_problem(text)
    if problem is None:
        return
    assert problem.isprintable()
    if "did you mean " in problem:
        suggestion = problem.rsplit("did you mean ", 1)[1][:-1]
        assert url_problem(suggestion) is None


def test_a_unicode_host_with_no_punycode_form_is_named_without_a_guess() -> None:
    problem = url_problem("http://caf\u00e9..example/")
    assert problem is not None
    assert "which is not a host name" in problem
    assert "did you mean" not in problem


_PIECES = st.fixed_dictionaries(
    {
        "scheme": st.sampled_from(
            ["http://", "https://", "HTTP://", "htp://", "http:/", "", "ws://"]
        ),
        "user": st.sampled_from(["", "", "user@", "u:p@"]),
        "host": _HOST
        | st.sampled_from(["localhost", "127.0.0.1", "[::1]", "caf\u00e9.example", ""]),
        "port": st.sampled_from(["", ":", ":0", ":80", ":65535", ":65536", ":x"]),
        "path": _PATH | st.text(max_size=6).map(lambda text: "/" + text),
    }
)


@given(_PIECES)
def test_an_accepted_url_is_one_httpx_and_urllib_read_as_the_same_http_host_and_port(
    pieces: dict[str, str],
) -> None:
    url = "".join(pieces[part] for part in ("scheme", "user", "host", "port", "path"))
    problem = url_problem(url)
    if problem is not None and "did you mean " in problem:
        url = problem.rsplit("did you mean ", 1)[1][:-1]
    elif problem is not None:
        return
    sent, split = httpx.URL(url), urlsplit(url)
    host = sent.raw_host.decode("ascii")  # as looked up: punycode
    assert sent.scheme in ("http", "https")
    assert split.scheme.lower() == sent.scheme
    assert host
    assert split.hostname is not None
    assert host == split.hostname.strip("[]")
    default = {"http": 80, "https": 443}[sent.scheme]  # httpx drops a default port
    assert (sent.port or default) == (default if split.port is None else split.port)
    assert not sent.userinfo
    if pieces["host"] and not pieces["user"] and pieces["port"] not in (":0", ":65536", ":x"):
        assert host == pieces["host"].encode("idna").decode().lower().strip("[]")
