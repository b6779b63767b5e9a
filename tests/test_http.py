"""The shared HTTP vocabulary: lists, the one list merge (Vary, Cache-Control), and apply()."""

from __future__ import annotations

import pytest

from crossgate._engine import Decision, apply
from crossgate._http import Header, merge_list, merge_vary, split_list


@pytest.mark.parametrize(
    ("value", "members"),
    [
        ("a, b,,c", ["a", "b", "c"]),
        (" \t,", []),
        ('no-cache="Set-Cookie, X", max-age=0', ['no-cache="Set-Cookie, X"', "max-age=0"]),
    ],
)
def test_split_list_keeps_quoted_strings_whole(value: str, members: list[str]) -> None:
    assert split_list(value) == members


def test_merge_vary_makes_one_line_where_the_first_was() -> None:
    headers: list[Header] = [("Vary", "Accept"), ("X", "1"), ("vary", "origin, Cookie")]
    merge_vary(headers, "Origin, Accept-Language")
    assert headers == [("Vary", "Accept, origin, Cookie, Accept-Language"), ("X", "1")]


def test_merge_vary_star_absorbs_everything() -> None:
    headers: list[Header] = [("Vary", "*")]
    merge_vary(headers, "Origin")
    assert headers == [("Vary", "*")]


def test_merge_list_drops_members_with_control_characters() -> None:
    headers: list[Header] = [("Cache-Control", "no-store, x\r\nSet-Cookie: a=b")]
    merge_list(headers, "Cache-Control", ["max-age=0"])
    assert headers == [("Cache-Control", "no-store, max-age=0")]


def test_merge_list_with_a_key_keeps_the_first_argument() -> None:
    headers: list[Header] = [("Cache-Control", "max-age=60")]
    merge_list(headers, "Cache-Control", ["max-age=0", "private"], key=lambda t: t.split("=")[0])
    assert headers == [("Cache-Control", "max-age=60, private")]


def test_apply_adds_headers_and_merges_vary() -> None:
    headers: list[Header] = [("Vary", "Accept")]
    apply(
        headers, Decision(True, (("Access-Control-Allow-Origin", "https://a.example"),), "Origin")
    )
    assert headers == [
        ("Vary", "Accept, Origin"),
        ("Access-Control-Allow-Origin", "https://a.example"),
    ]


def test_apply_never_adds_a_second_allow_origin() -> None:
    headers: list[Header] = [("access-control-allow-origin", "https://view.example")]
    apply(
        headers, Decision(True, (("Access-Control-Allow-Origin", "https://a.example"),), "Origin")
    )
    assert headers == [
        ("access-control-allow-origin", "https://view.example"),
        ("Vary", "Origin"),
    ]
