"""The HTTP vocabulary the server core, the adapters and the browser model share.

One definition each: what a token is (RFC 9110 section 5.6.2), how a comma-separated list
splits, and how ``Vary`` tokens merge into a response's header lines without duplicates.
Escaping untrusted values for messages and logs is ``crossgate.errors.describe``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

#: One header line: name and value.
Header = tuple[str, str]

#: RFC 9110's token: method names, header names, list members. Use with ``fullmatch``.
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: Every C0 control and DEL except HTAB, which RFC 9110 allows inside a field value.
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# A list member: anything but a comma, or a quoted string (which may hold commas).
_LIST_MEMBER = re.compile(r'(?:[^,"]|"(?:[^"\\]|\\.)*"?)+')


def is_token(text: str) -> bool:
    """Whether *text* is an RFC 9110 token."""
    return TOKEN.fullmatch(text) is not None


def split_list(value: str) -> list[str]:
    """The members of an HTTP list (``a, b,,c``), a quoted string kept whole
    (``no-cache="Set-Cookie, X"``): stripped of spaces and tabs, empty ones dropped, as RFC 9110
    section 5.6.1 tells a recipient to."""
    return [member for part in _LIST_MEMBER.findall(value) if (member := part.strip(" \t"))]


def _same(token: str) -> str:
    return token.lower()


def list_members(values: Iterable[str], *, key: Callable[[str], str] = _same) -> dict[str, str]:
    """The members of the list-valued header lines *values*, each once by *key*
    (case-insensitive by default; the first spelling kept). Members holding control characters
    are dropped, so a broken value can never smuggle CR/LF into a line written from them."""
    members: dict[str, str] = {}
    for value in values:
        for member in split_list(value):
            if CONTROL.search(member) is None:
                members.setdefault(key(member), member)
    return members


def join_list(name: str, members: Iterable[str]) -> str:
    """The value of list-valued header *name* made of *members*: ``Vary: *`` absorbs the rest."""
    members = list(members)
    return "*" if name.lower() == "vary" and "*" in members else ", ".join(members)


def merge_list(
    headers: list[Header],
    name: str,
    tokens: Iterable[str],
    *,
    key: Callable[[str], str] = _same,
) -> None:
    """Merge list-valued header *name*'s *tokens* into *headers*, in place: one line placed
    where the first existing line was, each member once (see ``list_members``)."""
    lowered = name.lower()
    lines = [index for index, line in enumerate(headers) if line[0].lower() == lowered]
    members = list_members([headers[index][1] for index in lines], key=key)
    for token in tokens:
        members.setdefault(key(token), token)
    value = join_list(name, members.values())
    if not lines:
        headers.append((name, value))
        return
    headers[lines[0]] = (headers[lines[0]][0], value)
    for index in reversed(lines[1:]):
        del headers[index]


def merge_vary(headers: list[Header], tokens: str) -> None:
    """Merge the ``Vary`` *tokens* (``"Origin"``, ``"Origin, Accept"``) into *headers*."""
    merge_list(headers, "Vary", split_list(tokens))
