"""The rule of which raw paths the proxy decides on (``_spelling.SPELLED``), against an oracle
written from the rule's words, and the reason for the rule: on every path it admits, the
proxies' reading (decoded, dot segments resolved, slashes merged) and the app's (decoded once)
are the path itself."""

from __future__ import annotations

import re
from urllib.parse import unquote

from hypothesis import given
from hypothesis import strategies as st

from crossgate.export._spelling import SPELLED

PLAIN = set("abcxyzABCXYZ0123456789_.~!$&'()*+,:=@-")


def admitted(target: str) -> bool:
    """The rule in its own words: a path of plain characters, no '%', no empty, '.' or '..'
    segment (a trailing slash aside), then anything after '?'."""
    path = target.split("?", 1)[0]
    if not path.startswith("/") or not set(path) <= PLAIN | {"/"}:
        return False
    segments = path[1:].split("/")
    if segments[-1] == "":
        segments.pop()  # '/' alone, or a trailing slash
    return all(segment not in ("", ".", "..") for segment in segments)


def proxy_reading(path: str) -> str:
    """What nginx's $uri and Caddy's cleaned path make of *path*: decoded, '//' merged, '.' and
    '..' resolved (RFC 3986's remove_dot_segments), a trailing slash kept."""
    decoded = re.sub("/+", "/", unquote(path))
    out: list[str] = []
    parts = decoded.split("/")[1:]
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "..":
            if out:
                out.pop()
            if last:
                out.append("")
        elif part == ".":
            if last:
                out.append("")
        else:
            out.append(part)
    return "/" + "/".join(out)


ALPHABET = [
    "/",
    "/",
    ".",
    "..",
    "%2F",
    "%2e",
    "%25",
    "%41",
    ";",
    "?",
    "\\",
    "#",
    "a",
    "b",
    "~",
    "-",
]
targets = st.lists(st.sampled_from(ALPHABET), max_size=10).map(lambda parts: "".join(parts))


@given(st.one_of(targets, targets.map(lambda text: "/" + text)))
def test_the_rule_admits_what_its_words_say(target: str) -> None:
    assert bool(re.match(SPELLED, target)) is admitted(target)


@given(targets.map(lambda text: "/" + text))
def test_on_an_admitted_path_every_reader_reads_the_path_itself(target: str) -> None:
    if re.match(SPELLED, target):
        path = target.split("?", 1)[0]
        assert unquote(path) == path  # gunicorn's PATH_INFO, uvicorn's path: the app's reading
        assert proxy_reading(path) == path  # nginx's $uri, Caddy's path_regexp


def test_the_issues_spellings_are_left_to_the_app() -> None:
    for target in (
        "/admin/alice/salary%2F..%2F..%2F..%2Fpublic%2Fx",
        "/public/x/../admin",
        "//admin/users",
        "/admin/users;x",
        "/%61dmin/users",
        "/a/%2E%2E/b",
        "/a/b/.",
    ):
        assert not re.match(SPELLED, target), target
    for target in ("/", "/admin/alice/salary.txt", "/a/.b/...", "/items/7/?q=%2F..", "/a~b/c-d/"):
        assert re.match(SPELLED, target), target
