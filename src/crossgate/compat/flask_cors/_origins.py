"""How the layer reads a regex-looking string of ``origins``: as its author meant it.

flask-cors takes a string containing any of ``* \\ ] ? $ ^ [ ( )`` for a regular expression and
tries it from the start of the Origin (``re.match``). The layer matches the whole origin, which
closes the attacks the prefix reading let in, and reads the two glob-like forms as written:

- ``'scheme://host:*'`` (``'http://localhost:*'``) is a port wildcard: the host on any port. As
  a regex it is the host followed by any number of ``:``: flask-cors admitted every port, and
  ``http://localhost.evil.example`` too; a full match would admit only the portless origin.
- ``'https://*.example.com'`` is a subdomain pattern. As a regex, ``/*`` repeats the slash and
  ``.`` is any character: flask-cors admitted no subdomain, but did admit ``https://xexample.com``.

Each reading is noted once. For every other regex, the full match can refuse an origin of a host
it admits that the prefix reading let through (a port added to the origin, or digits to its
port): that is warned at start-up, naming one, with a fix that is checked under full match (it
admits both origins and refuses the other host the prefix reading let in).
"""

from __future__ import annotations

import re

from crossgate._origin_regex import show_regex, wide_regex
from crossgate._origin_syntax import (
    HostPattern,
    OriginError,
    parse_entry,
    parse_origin,
    parse_request_origin,
)
from crossgate._regex_automata import TooLarge, Unsupported, automaton
from crossgate._regex_reading import quiet
from crossgate.errors import describe

# Added to an origin the pattern admits, to find one of the same host that only its start
# matches: a port, or more digits of the port it has.
_TAILS = (":8080", "000", "0")
_ANY_PORT = "(?::[0-9]+)?"
_MORE_DIGITS = "[0-9]*"


def _prefix_admits(source: str, origin: str) -> bool:
    """Whether flask-cors 6.0.5 admitted *origin* for the regex string *source*."""
    return re.match(source, origin, re.IGNORECASE) is not None


def _other_hosts(scheme: str, host: str, port: int | None) -> list[str]:
    """Origins of hosts nobody listed that share the start of *host*'s origin."""
    shown_port = "" if port is None else f":{port}"
    return [
        f"{scheme}://{host}.evil.example{shown_port}",
        f"{scheme}://x{host}{shown_port}",
        f"{scheme}://{host}x.example{shown_port}",
    ]


def unmatchable(text: str) -> str | None:
    """The warning for a literal of ``origins`` that no Origin a browser sends can equal (even
    ignoring case, as flask-cors compares), with the fix the native API gives; ``None`` if one
    can."""
    if text == "null":
        return None
    try:
        written = parse_origin(text).serialize()
    except OriginError as error:
        why, fix = error.message, error.fix
    else:
        if written == text.casefold():
            return None
        why, fix = f"{text!r} is not written as browsers send it", f"write {written!r}"
    return f"origins: {why}, so it never matches and is never allowed. Fix: {fix}"


def glob_reading(text: str) -> tuple[HostPattern, str] | None:
    """``'http://localhost:*'`` and ``'https://*.example.com'`` as the host patterns they were
    meant to be, with the note that says so; ``None`` for any other string."""
    if "*" not in text:
        return None
    try:
        entry = parse_entry(text)
    except OriginError:
        return None
    if not isinstance(entry, HostPattern):
        return None
    if entry.subdomains:
        reading = f"a subdomain pattern: every subdomain of {entry.host} over {entry.scheme}"
        if entry.any_port:
            reading += ", on any port"
    else:
        reading = f"a port wildcard: {entry.scheme}://{entry.host} on any port"
    sample = f"{entry.scheme}://{entry.host}"
    others = _other_hosts(entry.scheme, entry.host, None)
    admitted = [origin for origin in others if _prefix_admits(text, origin)]
    note = f"origins={describe(text)} is read as {reading}; flask-cors read it as a regular "
    note += "expression matched from the start"
    if entry.subdomains and not _prefix_admits(text, sample.replace("://", "://app.", 1)):
        note += ", which admitted no subdomain"
        if admitted:
            note += f" but did admit {admitted[0]!r}"
    elif admitted:
        note += f", which also admitted {admitted[0]!r}"
    return entry, note + ("" if not admitted else " (refused here)")


# How many origins _examples returns at most.
_EXAMPLES = 12


def _syntax(state: int, char: str) -> int | None:
    """One step of an origin's shape, ``scheme://label(.label)*(:digits)?``: 0 start, 1 in the
    scheme, 2-4 after ':', '/', '/', 5 in a label, 6 after a dot, 7 after ':', 8 in the port.
    Ends in 5 or 8; ``None`` leaves the shape."""
    if state in (0, 1) and (char.isalpha() or (state == 1 and (char.isdigit() or char in "+.-"))):
        return 1
    if state == 1 and char == ":":
        return 2
    if state in (2, 3) and char == "/":
        return state + 1
    if state in (4, 5, 6) and (char.isalnum() or (state == 5 and char == "-")):
        return 5
    if state == 5 and char in ".:":
        return 6 if char == "." else 7
    if state in (7, 8) and char.isdigit():
        return 8
    return None


def _readable_first(move: tuple[str, int]) -> tuple[bool, bool, bool, str]:
    """Characters in the order an example reads best: '.', letters, digits, the rest."""
    char = move[0]
    return char != ".", not char.isalpha(), not char.isdigit(), char


def _examples(pattern: re.Pattern[str]) -> list[str]:
    """Short origins *pattern* fully matches, read from its automaton: the shortest string to
    each pair of (automaton state, place in an origin's shape), breadth first, characters in a
    fixed order; none if no automaton holds *pattern*."""
    try:
        machine = quiet(automaton)(pattern)
    except (Unsupported, TooLarge):
        return []
    found: list[str] = []
    seen = {(0, 0)}
    queue = [("", 0, 0)]
    for text, state, shape in queue:
        if state in machine.accepting and shape in (5, 8) and _is_origin(text):
            found.append(text)
            if len(found) >= _EXAMPLES:
                break
        for char, target in sorted(machine.moves[state].items(), key=_readable_first):
            step = _syntax(shape, char)
            if step is not None and (target, step) not in seen:
                seen.add((target, step))
                queue.append((text + char, target, step))
    return found


def _same_host_pair(pattern: re.Pattern[str]) -> tuple[str, str, str] | None:
    """An origin *pattern* fully matches, one of the same host that only its start matches,
    and the tail between them."""
    for example in _examples(pattern):
        parsed = parse_request_origin(example)
        assert parsed is not None  # accepted as an origin
        for tail in _TAILS:
            longer = example + tail
            other = parse_request_origin(longer)
            if (
                other is not None
                and other.serialize() == longer
                and other.host == parsed.host
                and pattern.match(longer)
                and not pattern.fullmatch(longer)
            ):
                return example, longer, tail
    return None


def _is_origin(text: str) -> bool:
    parsed = parse_request_origin(text)
    return parsed is not None and parsed.serialize() == text


def _fixes(source: str, tail: str) -> list[str]:
    """Rewrites of *source* that also admit the *tail* it dropped, shortest first."""
    added = _ANY_PORT if tail.startswith(":") else _MORE_DIGITS
    fixes = []
    if tail.startswith(":") and source.endswith(":*") and not source.endswith("\\:*"):
        fixes.append(source[:-2] + added)
    fixes.append(f"(?:{source}){added}")
    return fixes


def _checked_fix(pattern: re.Pattern[str], example: str, longer: str, tail: str) -> str | None:
    """The first fix that admits *example* and *longer* and refuses the other hosts."""
    parsed = parse_request_origin(longer)
    assert parsed is not None
    # Other hosts that the pattern refuses (on their default port) must stay refused.
    attacks = [
        attack
        for portless, ported in zip(
            _other_hosts(parsed.scheme, parsed.host, None),
            _other_hosts(parsed.scheme, parsed.host, parsed.port),
            strict=True,
        )
        if not pattern.fullmatch(portless)
        for attack in (portless, ported)
    ]
    for fix in _fixes(pattern.pattern, tail):
        try:
            compiled = re.compile(fix, pattern.flags)
        except re.error:  # pragma: no cover - the rewrites only add a group and a repeat
            continue
        if (
            compiled.fullmatch(example)
            and compiled.fullmatch(longer)
            and not any(compiled.fullmatch(attack) for attack in attacks)
        ):
            return fix
    return None


@quiet
def prefix_warning(pattern: re.Pattern[str], written: str | re.Pattern[str]) -> str | None:
    """The warning for a regex whose full match refuses an origin of a host it admits that
    flask-cors's ``re.match`` admitted, or ``None``."""
    pair = _same_host_pair(pattern)
    if pair is None:
        return None
    example, longer, tail = pair
    shown = describe(written if isinstance(written, str) else written.pattern)
    message = (
        f"origins={shown} is matched against the whole origin: it admits {example!r} but not "
        f"{longer!r}, which flask-cors admitted (it matched the start only)"
    )
    fix = _checked_fix(pattern, example, longer, tail)
    if fix is None:
        return message + ". If that origin is yours, list it"
    what = "any port" if tail.startswith(":") else "the longer ports too"
    if isinstance(written, str):
        shown_fix = f"r'{fix}'" if "'" not in fix and fix.isprintable() else repr(fix)
    else:
        shown_fix = show_regex(re.compile(fix, written.flags))
    return f"{message}. For {what}, write {shown_fix}"


def admits_any_host(pattern: re.Pattern[str]) -> str | None:
    """An origin nobody would list that *pattern* admits when it admits every host of a scheme
    (``'*'`` in effect), else ``None``."""
    wide = wide_regex(pattern)
    return None if wide is None else wide.example
