"""The paths of a Starlette router as the proxies see them.

A Starlette route's path is a template (``/items/{item_id:int}``): literal text and parameters,
each matched by its convertor's regex; a ``Mount`` puts its own template before its routes'
and catches every path under it. Here a template becomes a list of :class:`Piece` s, and from
them: the anchored regex a proxy location matches with, whether two templates may match one
path (decided conservatively: "maybe" when it cannot be proved otherwise), and the paths
Starlette's ``redirect_slashes`` sends to a route (the same path with its trailing slash added
or removed).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from starlette.convertors import (
    FloatConvertor,
    IntegerConvertor,
    StringConvertor,
    UUIDConvertor,
)

from crossgate.export._regex import translated

# The parameter syntax of Starlette's path templates: {name} or {name:convertor}.
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::[A-Za-z_][A-Za-z0-9_]*)?\}")
# Convertors whose values are never empty and never hold a '/': one path segment, or part of it.
_SEGMENT = (StringConvertor, IntegerConvertor, FloatConvertor, UUIDConvertor)


@dataclass(frozen=True, slots=True)
class Piece:
    """One part of a path template: literal ``text``, or a parameter whose values are one
    segment at most (``segment``: never empty, never a ``/``) or anything (``any``: a ``path``
    or custom convertor), matched by the regex ``text``."""

    kind: Literal["literal", "segment", "any"]
    text: str
    name: str = ""


def pieces(template: str, convertors: Mapping[str, Any]) -> list[Piece]:
    """*template* (a route's or mount's ``path``) as pieces, each parameter with the regex of
    its convertor in *convertors* (the route's ``param_convertors``)."""
    found: list[Piece] = []
    start = 0
    for match in _PARAM.finditer(template):
        if match.start() > start:
            found.append(Piece("literal", template[start : match.start()]))
        name = match.group(1)
        convertor = convertors[name]
        kind = type(convertor)
        segment = kind in _SEGMENT and convertor.regex == kind.regex
        found.append(Piece("segment" if segment else "any", convertor.regex, name))
        start = match.end()
    if start < len(template):
        found.append(Piece("literal", template[start:]))
    return found


def joined(parts: Sequence[Piece]) -> list[Piece]:
    """*parts* with neighbouring literals merged (a mount's text followed by its route's)."""
    out: list[Piece] = []
    for part in parts:
        if out and part.kind == "literal" and out[-1].kind == "literal":
            out[-1] = Piece("literal", out[-1].text + part.text)
        else:
            out.append(part)
    return out


def regex_body(parts: Sequence[Piece], convert: Callable[[Piece], str]) -> str:
    """The unanchored regex of *parts*: literals escaped, each parameter as *convert* writes
    it (the convertor's regex, translated for the proxies' engines)."""
    return "".join(
        re.escape(part.text) if part.kind == "literal" else convert(part) for part in parts
    )


def convertor_regex(part: Piece) -> re.Pattern[str]:
    """The compiled regex of a parameter piece."""
    return re.compile(part.text)


def plain(part: Piece) -> str:
    """A parameter as a group both proxies read (for a regex the engine was checked to run)."""
    return translated(convertor_regex(part))


def _literal_prefix(parts: Sequence[Piece]) -> str:
    return parts[0].text if parts and parts[0].kind == "literal" else ""


def _literal_suffix(parts: Sequence[Piece]) -> str:
    return parts[-1].text if parts and parts[-1].kind == "literal" else ""


def slash_count(parts: Sequence[Piece]) -> int | None:
    """How many ``/`` every path of *parts* holds, or None when a parameter may hold some."""
    if any(part.kind == "any" for part in parts):
        return None
    return sum(part.text.count("/") for part in parts if part.kind == "literal")


def _segments(parts: Sequence[Piece]) -> list[list[Piece]]:
    """*parts* cut at each ``/`` (valid when no parameter holds one)."""
    segments: list[list[Piece]] = [[]]
    for part in parts:
        if part.kind != "literal":
            segments[-1].append(part)
            continue
        first, *rest = part.text.split("/")
        if first:
            segments[-1].append(Piece("literal", first))
        for text in rest:
            segments.append([Piece("literal", text)] if text else [])
    return segments


def _segments_differ(one: list[Piece], other: list[Piece]) -> bool:
    """Whether no text is matched by both segments (False when that cannot be told)."""
    one_text = _only_literal(one)
    other_text = _only_literal(other)
    if one_text is not None and other_text is not None:
        return one_text != other_text
    for text, parts in ((one_text, other), (other_text, one)):
        if text is not None and len(parts) == 1 and parts[0].kind == "segment":
            return convertor_regex(parts[0]).fullmatch(text) is None
    return False


def _only_literal(segment: list[Piece]) -> str | None:
    if not segment:
        return ""
    if len(segment) == 1 and segment[0].kind == "literal":
        return segment[0].text
    return None


def may_overlap(one: Sequence[Piece], other: Sequence[Piece]) -> bool:
    """Whether some path may match both templates: False only when proved (their literal
    starts or ends differ, they hold different numbers of ``/``, or a segment differs)."""
    start, other_start = _literal_prefix(one), _literal_prefix(other)
    if not (start.startswith(other_start) or other_start.startswith(start)):
        return False
    end, other_end = _literal_suffix(one), _literal_suffix(other)
    if not (end.endswith(other_end) or other_end.endswith(end)):
        return False
    slashes, other_slashes = slash_count(one), slash_count(other)
    if slashes is None or other_slashes is None:
        return True
    if slashes != other_slashes:
        return False
    return not any(
        _segments_differ(a, b) for a, b in zip(_segments(one), _segments(other), strict=True)
    )


def redirected(parts: Sequence[Piece]) -> list[Piece] | None:
    """The pieces of the paths Starlette's ``redirect_slashes`` leads to *parts*: with its
    trailing slash when the template ends with none, without it when it ends with one; None
    when that cannot be written exactly (a parameter that may end with ``/`` last, or a path
    whose other form would itself end with ``/``)."""
    last = parts[-1]
    if last.kind == "segment":
        return [*parts, Piece("literal", "/")]
    if last.kind == "any":
        return None
    if not last.text.endswith("/"):
        return joined([*parts, Piece("literal", "/")])
    rest = last.text[:-1]
    if rest:
        return None if rest.endswith("/") else [*parts[:-1], Piece("literal", rest)]
    before = parts[:-1]
    if not before or before[-1].kind != "segment":
        return None
    return list(before)
