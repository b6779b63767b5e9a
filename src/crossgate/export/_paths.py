"""The paths of a URL rule as the proxies see them, and how a ``resources`` rule is chosen there.

A rule with variables whose paths several ``resources`` rules could cover gets its CORS policy
per request in the app: Werkzeug builds the path back from the request's values and the
``resources`` rules are looked up on that built path (``Resolved.for_rule``). The proxy sees the
path as sent. The two are the same text when the request spells its values the way Werkzeug
writes them back (``7``, not ``007``; no character Werkzeug percent-encodes; no ``//``): on those
*canonical* paths the proxy looks up the rules as the app does, in the app's order (exact paths,
the longest subtree, the regexes in the order given, ``/*``). Every other path of the rule is
passed to the app, which answers its CORS itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from werkzeug.routing import (
    AnyConverter,
    IntegerConverter,
    PathConverter,
    UnicodeConverter,
    UUIDConverter,
)

from crossgate.export._regex import Engine, engine_problem, translated
from crossgate.flask._routing import rule_converters, rule_trace

if TYPE_CHECKING:
    from werkzeug.routing import BaseConverter, Rule

    from crossgate._paths import PathRules

# What Werkzeug leaves as it is when it builds a path (``quote``'s safe characters, and the
# unreserved ones); any other character comes back percent-encoded.
_SAFE = "A-Za-z0-9_.~!$&'()*+,:;=@-"
_SEGMENT = f"[{_SAFE}]"
_STATIC = re.compile(f"[/{_SAFE}]*")
#: ``canonical_body``'s answer for a rule none of whose paths is built back as it was sent.
NEVER = ""


def rule_body(
    rule: Rule, convert: Callable[[str, BaseConverter], str | None], slash: bool = True
) -> str | None:
    """*rule*'s path as an unanchored regex, each variable as *convert* writes it (None if it
    cannot); a trailing slash is optional (Werkzeug redirects) unless *slash* is False."""
    parts = []
    for dynamic, data in rule_trace(rule)[1:]:  # the first element is the host part's end marker
        if not dynamic:
            parts.append(re.escape(data))
            continue
        piece = convert(data, rule_converters(rule)[data])
        if piece is None:
            return None
        parts.append(piece)
    text = "".join(parts)
    if slash and rule.strict_slashes and text.endswith("/") and len(text) > 1:
        text += "?"
    return text


def canonical_value(converter: BaseConverter) -> str | None:
    """The values of *converter* that Werkzeug builds back as they were sent, as a regex; None
    when the export does not know how it writes them back (a float or a custom converter)."""
    kind = type(converter)
    if kind is UnicodeConverter:  # [^/] with a length: the same length of safe characters
        return _SEGMENT + converter.regex.removeprefix("[^/]")
    if kind is PathConverter:
        return f"{_SEGMENT}+(?:/{_SEGMENT}+)*/?"
    if kind is AnyConverter:  # the items come back as they are
        return translated(re.compile(converter.regex))
    if kind is IntegerConverter:
        digits = getattr(converter, "fixed_digits", 0)
        signed = getattr(converter, "signed", False)
        if digits:
            return None if signed else f"[0-9]{{{int(digits)}}}"
        return "(?:0|-?[1-9][0-9]*)" if signed else "(?:0|[1-9][0-9]*)"
    if kind is UUIDConverter:
        return "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    return None


def canonical_body(rule: Rule) -> str | None:
    """The paths of *rule* that Werkzeug builds back unchanged, as an unanchored regex; NEVER
    when its own text has a character Werkzeug percent-encodes; None when a converter's
    written-back form is unknown (a float or a custom converter)."""
    statics = [data for dynamic, data in rule_trace(rule)[1:] if not dynamic]
    if not all(_STATIC.fullmatch(text) for text in statics):
        return NEVER
    return rule_body(rule, lambda _name, converter: canonical_value(converter))


def resource_entries(
    resources: PathRules[int],
    possible: Collection[int],
    engine: Engine,
    problem: Callable[[str], None],
) -> tuple[list[tuple[str, int]], int]:
    """The ``resources`` rules among *possible* as anchored regexes on the built path, in the
    order the app tries them, and the number of the rule covering every other path (0: none).
    A regex the engine cannot run is reported to *problem*."""
    entries = [
        (f"^{re.escape(path)}$", number)
        for path, number in resources.exact.items()
        if number in possible
    ]
    subtrees = sorted(resources.subtrees.items(), key=lambda item: -len(item[0]))
    entries += [
        (f"^{re.escape(prefix)}(?:/|$)", number)
        for prefix, number in subtrees
        if prefix and number in possible
    ]
    for regex, number in resources.regexes:
        why = engine_problem(regex, engine)
        if why is not None:
            problem(f"re.compile({regex.pattern!r}) {why}; rewrite it")
        entries.append((f"^{translated(regex)}$", number))
    rest = resources.subtrees.get("", 0)
    return entries, rest if rest in possible else 0
