"""Starlette path templates as the export reads them: "may two routes share a path" is never
answered "no" wrongly, and the redirected form of a template holds exactly the paths Starlette's
``redirect_slashes`` sends to it."""

from __future__ import annotations

import re
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.routing import Route

from crossgate.export._route_templates import (
    Piece,
    may_overlap,
    pieces,
    plain,
    redirected,
    regex_body,
)

TEMPLATES = [
    "/a",
    "/a/",
    "/a/{x}",
    "/a/{x}/",
    "/a/{x:int}",
    "/a/{x:float}",
    "/a/{x:uuid}",
    "/a/{x:path}",
    "/a/{x}/b",
    "/a/{x}.json",
    "/a/{x}.xml",
    "/a/1",
    "/a/b/{x:int}",
    "/b/{x}",
    "/{x}",
    "/{x}/a",
    "/{x:path}/a",
]


def parts_of(template: str) -> list[Piece]:
    route = Route(template, lambda request: None)
    return pieces(route.path, route.param_convertors)


def matcher(parts: list[Piece]) -> re.Pattern[str]:
    return re.compile(f"^{regex_body(parts, plain)}$")


PATHS = st.lists(st.sampled_from(["/", "a", "b", "1", ".json", ".xml", "-"]), max_size=6).map(
    "".join
)


@settings(max_examples=300, deadline=None)
@given(path=PATHS)
def test_templates_said_apart_never_share_a_path(path: str) -> None:
    for one, other in combinations(TEMPLATES, 2):
        first, second = parts_of(one), parts_of(other)
        if matcher(first).match(path) and matcher(second).match(path):
            assert may_overlap(first, second), (one, other, path)


def test_what_can_be_told_apart_is() -> None:
    apart = [
        ("/a/{x}", "/b/{x}"),  # their literal starts
        ("/a/{x}.json", "/a/{x}.xml"),  # their literal ends
        ("/a/{x}", "/a/{x}/b"),  # how many slashes
        ("/a/{x:int}", "/a/b/{x:int}"),
    ]
    for one, other in apart:
        assert not may_overlap(parts_of(one), parts_of(other)), (one, other)
    shared = [("/a/{x:int}", "/a/{x}"), ("/a/{x:path}", "/a/{x}/b"), ("/{x}", "/a")]
    for one, other in shared:
        assert may_overlap(parts_of(one), parts_of(other)), (one, other)


def toggled(path: str) -> str:
    return path.rstrip("/") if path.endswith("/") else path + "/"


@settings(max_examples=300, deadline=None)
@given(path=PATHS)
def test_the_redirected_form_holds_only_paths_redirected_to_the_route(path: str) -> None:
    for template in TEMPLATES:
        parts = parts_of(template)
        other = redirected(parts)
        if other is None:
            assert template == "/a/{x:path}"
            continue
        if matcher(other).match(path):
            # Starlette redirects a path no route matches to its other form: the route's.
            assert matcher(parts).match(toggled(path)), (template, path)
            assert not matcher(parts).match(path), (template, path)


def test_the_redirected_forms_are_the_other_slash() -> None:
    forms = {
        template: regex_body(other, plain)
        for template in ("/a", "/a/", "/a/{x}", "/a/{x}/", "/a/{x}.json")
        if (other := redirected(parts_of(template))) is not None
    }
    assert forms == {
        "/a": "/a/",
        "/a/": "/a",
        "/a/{x}": "/a/(?:[^/]+)/",
        "/a/{x}/": "/a/(?:[^/]+)",
        "/a/{x}.json": r"/a/(?:[^/]+)\.json/",
    }


def test_a_path_convertor_last_has_no_redirected_form() -> None:
    # "/a/x/" could be "/a/x" with a slash added, or a path the convertor matches itself.
    assert redirected(parts_of("/a/{x:path}")) is None
    assert redirected(parts_of("/")) is None
    assert redirected(parts_of("/a//")) is None
