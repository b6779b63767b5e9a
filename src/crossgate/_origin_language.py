"""What a regex in ``origins`` admits, decided from its automaton.

The automaton (``crossgate._regex_automata``) holds every string the pattern matches; only
serialized origins are ever matched (``scheme://host[:port]``), so this module walks the
automaton along that shape: the schemes, then the hosts, then the port. Of the hosts, what
matters is the registrable domain each belongs to, which the Public Suffix List decides from
the host's last labels; so the hosts are read backwards, from the right, one label at a time,
until the list has decided, with a breadth-first search that finds the shortest host of a
registrable domain the pattern does not name. The search is finite: before the list decides, the
text read is a piece of the pattern's literal text (or the domain is already not named); after
that, only the automaton's state and the shape of the label read so far matter.

"Named" means the registrable domain is written in the pattern's literal text (its runs of
literal characters, with small finite groups and alternatives written out). Hosts of this
machine (``localhost``), IP addresses and IPv6 literals are not judged (a wildcard over them
stays on the network the user named), nor single labels and suffixes the list names as rules
(nobody registers them); a host that is a suffix only by a wildcard rule is judged.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from crossgate._origin_syntax import is_loopback_host, parse_request_origin
from crossgate._public_suffixes import (
    is_listed_rule,
    is_listed_tld,
    registrable_domain,
    suffix_length,
)
from crossgate._regex_automata import Automaton, TooLarge, automaton, parse

# Host characters, most convincing in an attack origin first.
_LABEL_CHARS = "xabcdefghijklmnopqrstuvwyz0123456789-_"
_HOST_TEXT = frozenset(_LABEL_CHARS + ".")
_SCHEMES = ("https", "http", "wss", "ws")
_MAX_LITERALS = 256
#: The most steps one search of the hosts may take (a step: a host in progress taken up, or
#: a state of the automaton read backwards).
MAX_SEARCH = 200_000
_MAX_LABEL = 63
_MAX_HOST = 253
_NUMERIC = re.compile(r"[0-9]+|0x[0-9a-f]*")


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a pattern admits: an origin of a registrable domain it does not name (``None`` when
    every admitted host is of a named one), that domain, and the scheme of which it admits
    every host (``None`` if none)."""

    attack: str | None
    domain: str | None
    every_host: str | None
    #: Whether it admits any string at all (a rewrite that admits nothing is no fix).
    admits_some: bool


def _finite(items: Iterable[Any]) -> set[str] | None:
    """The strings a literal-only piece of a parse tree matches, if few; else ``None``."""
    found = {""}
    for op, value in items:
        name = str(op)
        if name == "AT":
            continue
        if name == "LITERAL":
            part: set[str] | None = {chr(value).lower()}
        elif name == "IN" and all(str(kind) == "LITERAL" for kind, _ in value):
            # "(?:a|b)" is read as "[ab]". A class that holds '.' names the dotted form only:
            # in "app[.-]example" the other joins two labels into a domain nobody named.
            part = {chr(code).lower() for _, code in value}
            part = {"."} if "." in part else part
        elif name == "ANY":
            part = {"."}  # a loose dot still says which domain was meant ("app.example.com")
        elif name == "SUBPATTERN":
            part = _finite(value[3])
        elif name == "BRANCH":
            branches = [_finite(branch) for branch in value[1]]
            part = None if None in branches else set().union(*branches)  # type: ignore[arg-type]
        elif name in ("MAX_REPEAT", "MIN_REPEAT") and value[1] <= 4:
            body = _finite(value[2])
            part = None
            if body is not None and len(body) ** value[1] <= _MAX_LITERALS:
                part = set()
                for count in range(value[0], value[1] + 1):
                    words = {""}
                    for _ in range(count):
                        words = {word + more for word in words for more in body}
                    part |= words
        else:
            return None
        if part is None or len(found) * len(part) > _MAX_LITERALS:
            return None
        found = {word + more for word in found for more in part}
    return found


def _runs(items: Iterable[Any]) -> Iterator[str]:
    """The pattern's literal text: each run of literal items, small finite groups written out."""
    current = {""}
    for op, value in items:
        name = str(op)
        finite = _finite([(op, value)])
        if finite is not None and len(current) * len(finite) <= _MAX_LITERALS:
            current = {word + more for word in current for more in finite}
            continue
        yield from current
        # A repeat that may match nothing may be skipped: "example" and "\.com" around
        # "[0-9]*" also name "example.com".
        skippable = name in ("MAX_REPEAT", "MIN_REPEAT") and value[0] == 0
        current = {""} | (current if skippable and len(current) < _MAX_LITERALS else set())
        if name == "SUBPATTERN":
            yield from _runs(value[3])
        elif name == "BRANCH":
            for branch in value[1]:
                yield from _runs(branch)
        elif name in ("MAX_REPEAT", "MIN_REPEAT"):
            yield from _runs(value[2])
    yield from current


def literal_runs(pattern: re.Pattern[str]) -> frozenset[str]:
    """The runs of literal text in *pattern*, in lower case: where it names its domains."""
    return frozenset(run for run in _runs(parse(pattern)) if run)


@dataclass(frozen=True, slots=True)
class _Shape:
    """The automaton read along the shape of an origin."""

    machine: Automaton
    #: The state after each scheme and "://", with the shortest such prefix.
    starts: dict[int, str]
    #: The states where a host may end, with the shortest port part ending the match there.
    ends: dict[int, str]
    #: The automaton backwards, on host characters: state -> character -> earlier states.
    back: dict[int, dict[str, set[int]]]


def _schemes(machine: Automaton) -> dict[int, str]:
    starts: dict[int, str] = {}
    for scheme in _SCHEMES:
        state = machine.run(scheme + "://")
        if state is not None and state not in starts:
            starts[state] = scheme + "://"
    # Any other scheme: [a-z][a-z0-9+.-]* then "://", breadth first (shortest first).
    queue = deque([(0, 0, "")])
    seen = {(0, 0)}
    while queue:
        state, step, text = queue.popleft()
        for char, target in sorted(machine.moves[state].items()):
            if (step == 0 and char.isalpha()) or (step == 1 and (char.isalnum() or char in "+.-")):
                after = 1
            elif (step, char) in ((1, ":"), (2, "/"), (3, "/")):
                after = step + 1
            else:
                continue
            if after == 4:
                starts.setdefault(target, text + char)
            elif (target, after) not in seen:
                seen.add((target, after))
                queue.append((target, after, text + char))
    return starts


def _port(machine: Automaton, state: int) -> str | None:
    """The shortest ``:port`` (a number from 1 to 65535) that ends a match from *state*."""
    after = machine.moves[state].get(":")
    if after is None:
        return None
    layer = [(after, ":")]
    for length in range(5):
        following = []
        for current, text in layer:
            for char in "1234567890" if length else "123456789":
                target = machine.moves[current].get(char)
                if target is None or int(text[1:] + char) > 65535:
                    continue
                if target in machine.accepting:
                    return text + char
                following.append((target, text + char))
        layer = list(dict(reversed(following)).items())
    return None


def _shape(pattern: re.Pattern[str]) -> _Shape:
    machine = automaton(pattern)
    ends: dict[int, str] = {}
    back: dict[int, dict[str, set[int]]] = {}
    for state, row in enumerate(machine.moves):
        port = "" if state in machine.accepting else _port(machine, state)
        if port is not None:
            ends[state] = port
        for char, target in row.items():
            if char in _LABEL_CHARS or char == ".":
                back.setdefault(target, {}).setdefault(char, set()).add(state)
    return _Shape(machine, _schemes(machine), ends, back)


def _tld_kind(part: str) -> tuple[int, bool, bool]:
    """What the end of a last label read so far may still become: ``localhost``, a number."""
    localhost = len(part) if "localhost".endswith(part) else -1
    return localhost, bool(re.fullmatch(r"[0-9]*", part)), bool(re.fullmatch(r"[0-9a-fx]*", part))


def _judged_tld(label: str) -> bool:
    return label != "localhost" and not _NUMERIC.fullmatch(label)


def _origin(shape: _Shape, pattern: re.Pattern[str], host: str) -> str | None:
    """An origin with *host* that *pattern* really admits, in serialized form."""
    for start, prefix in shape.starts.items():
        end = shape.machine.run(host, start)
        if end is None or end not in shape.ends:
            continue
        origin = prefix + host + shape.ends[end]
        parsed = parse_request_origin(origin)
        if parsed is not None and parsed.serialize() == origin and pattern.fullmatch(origin):
            return origin
    return None


class _Search:
    """The breadth-first search, backwards over hosts, for a domain the pattern does not name."""

    def __init__(self, pattern: re.Pattern[str], shape: _Shape) -> None:
        self.pattern = pattern
        self.shape = shape
        self.runs = literal_runs(pattern)
        self.starts = frozenset(shape.starts)
        self.sets: list[frozenset[int]] = [frozenset()]
        self.ids: dict[frozenset[int], int] = {frozenset(): 0}
        self.rows: dict[int, dict[str, int]] = {}
        self.work = 0

    def piece(self, text: str, *, whole: bool = False) -> bool:
        """Whether *text* is written in the pattern's literal text where a host ends (and, if
        *whole*, where a label starts)."""
        for run in self.runs:
            at = run.find(text)
            while at >= 0:
                end = at + len(text)
                if (end == len(run) or run[end] not in _HOST_TEXT) and (
                    not whole or at == 0 or run[at - 1] not in _LABEL_CHARS
                ):
                    return True
                at = run.find(text, at + 1)
        return False

    def named(self, domain: str) -> bool:
        return self.piece(domain, whole=True)

    def intern(self, states: frozenset[int]) -> int:
        """A number for a set of states (0 for none): the search's keys stay small."""
        found = self.ids.get(states)
        if found is None:
            found = self.ids[states] = len(self.sets)
            self.sets.append(states)
        return found

    def step(self, states: int, char: str) -> int:
        """The states from which *char* leads into *states*: the automaton read backwards,
        made deterministic as the search goes (each set of states worked out once)."""
        row = self.rows.get(states)
        if row is None:
            members = self.sets[states]
            self.work += len(members) + 1
            if self.work > MAX_SEARCH:
                raise TooLarge(f"searching its hosts would take more than {MAX_SEARCH} steps")
            gathered: dict[str, set[int]] = {}
            for state in members:
                for key, earlier in self.shape.back.get(state, {}).items():
                    gathered.setdefault(key, set()).update(earlier)
            row = {key: self.intern(frozenset(found)) for key, found in gathered.items()}
            self.rows[states] = row
        return row.get(char, 0)

    def starting(self, states: int) -> bool:
        """Whether a host can start at *states* (a scheme and '://' lead there)."""
        return not self.starts.isdisjoint(self.sets[states])

    def steps(self, states: int, text: str) -> Iterator[tuple[str, int]]:
        """The next characters to read before *text*, one per distinct outcome once the
        domain is no longer a piece of the pattern's text."""
        label = text.split(".")[0]
        seen: set[object] = set()
        for char in (*_LABEL_CHARS, "."):
            if char == "." and (not label or label.startswith("-")):
                continue
            if char != "." and (len(label) >= _MAX_LABEL or (not label and char == "-")):
                continue
            if len(text) >= _MAX_HOST:
                continue
            after = self.step(states, char)
            if after:
                first = "." not in text
                kind = (after, char, _tld_kind(char + label) if first and char != "." else None)
                if char not in ".-":
                    kind = (after, "", kind[2])
                if kind not in seen:
                    seen.add(kind)
                    yield char, after

    def attack(self) -> tuple[str, str] | None:
        """The shortest host of a registrable domain not named, as an origin, with its domain."""
        begin = self.intern(frozenset(self.shape.ends))
        queue: deque[tuple[int, str, bool]] = deque([(begin, "", False)])
        seen: set[object] = set()
        found: list[tuple[bool, str, str]] = []
        while queue:
            self.work += 1
            if self.work > MAX_SEARCH:
                raise TooLarge(f"searching its hosts would take more than {MAX_SEARCH} steps")
            states, text, foreign = queue.popleft()
            if found and len(text) > len(found[0][1]) + 4:
                break  # of the shortest few, one under a real top-level domain tells most
            label = text.split(".")[0]
            tld = text.rsplit(".", 1)[-1]
            if (
                self.starting(states)
                and label
                and not label.startswith("-")
                and _judged_tld(tld)
                and "." in text  # a single label is no name anyone can register
                and not is_listed_rule(text)  # nor is a suffix the list names
            ):
                domain = registrable_domain(text)
                if foreign or not self.named(domain):
                    origin = _origin(self.shape, self.pattern, text)
                    if origin is not None:
                        found.append((not is_listed_tld(tld), text, origin))
                        found.sort(key=lambda entry: entry[0])
                        if not found[0][0]:
                            break
            choices = self.steps(states, text) if foreign else self.all_steps(states, text)
            for char, after in choices:
                longer = char + text
                decided = foreign
                if not foreign:
                    if char == ".":
                        if "." not in text and not _judged_tld(text):
                            continue
                        labels = tuple(reversed(text.split(".")))
                        size = suffix_length(labels, complete=False)
                        if size is not None and len(labels) >= size + 1:
                            domain = ".".join(text.split(".")[-size - 1 :])
                            if self.named(domain):
                                continue  # every host from here on is of a named domain
                            decided = True
                    decided = decided or not self.piece(longer)
                first = "." not in longer
                # Once decided, only the automaton's states and the label's shape matter (its
                # length up to 2, whether it starts with '-', what the last label may become).
                shape = (min(len(longer.split(".")[0]), 2), longer[0] == "-")
                last = _tld_kind(longer) if first else is_listed_tld(longer.rsplit(".", 1)[1])
                key: object = (after, shape, last) if decided else (after, longer)
                if key not in seen:
                    seen.add(key)
                    queue.append((after, longer, decided))
        if not found:
            return None
        _, host, origin = found[0]
        return origin, registrable_domain(host)

    def all_steps(self, states: int, text: str) -> Iterator[tuple[str, int]]:
        label = text.split(".")[0]
        for char in (*_LABEL_CHARS, "."):
            if char == "." and (not label or label.startswith("-")):
                continue
            if char != "." and (len(label) >= _MAX_LABEL or (not label and char == "-")):
                continue
            after = self.step(states, char)
            if after:
                yield char, after


def _every_host(machine: Automaton) -> str | None:
    """The first scheme of which the automaton admits every host, or ``None``."""
    for scheme in _SCHEMES:
        start = machine.run(scheme + "://")
        if start is not None and _all_hosts(machine, start):
            return scheme
    return None


def _all_hosts(machine: Automaton, start: int) -> bool:
    """Whether every host name anyone can register (labels of letters, digits and '-', not
    starting or ending with '-') ends a match from *start*: the product of the automaton and
    the hosts' shape."""
    # Shape states: 0 a label must start, 1 after a label character, 2 after a '-'.
    seen = {(start, 0)}
    stack = [(start, 0)]
    while stack:
        state, where = stack.pop()
        if where == 1 and state not in machine.accepting:
            return False
        for char in (*_LABEL_CHARS.removesuffix("_"), "."):
            if char == "." and where != 1:
                continue
            if char == "-" and where == 0:
                continue
            target = machine.moves[state].get(char)
            if target is None:
                return False
            pair = (target, 0 if char == "." else 2 if char == "-" else 1)
            if pair not in seen:
                seen.add(pair)
                stack.append(pair)
    return True


def _admits_some(shape: _Shape) -> bool:
    """Whether a host read from a scheme's end reaches a state where an origin may end."""
    seen = set(shape.starts)
    stack = list(seen)
    while stack:
        state = stack.pop()
        if state in shape.ends and state not in shape.starts:
            return True
        for char, target in shape.machine.moves[state].items():
            if (char in _HOST_TEXT or char in "[]") and target not in seen:
                seen.add(target)
                stack.append(target)
    return False


def judge(pattern: re.Pattern[str]) -> Verdict:
    """What *pattern* admits (see :class:`Verdict`). Raises ``Unsupported`` or ``TooLarge``
    from ``crossgate._regex_automata``."""
    shape = _shape(pattern)
    found = _Search(pattern, shape).attack()
    every = _every_host(shape.machine)
    some = _admits_some(shape)
    if found is None:
        return Verdict(None, None, every, some)
    return Verdict(found[0], found[1], every, some)


def _kind(char: str) -> str:
    """What matters of a host character for the shape of a host: '.', '-', a digit (a host of
    digits is an IP address or no host), another, none."""
    return char if char in ("", ".", "-") else "0" if char.isdigit() else "a"


def plain_http_example(pattern: re.Pattern[str]) -> str | None:
    """A plain-http (or ws) origin of a host other than this machine that *pattern* admits."""
    shape = _shape(pattern)
    for scheme in ("http", "ws"):
        start = shape.machine.run(scheme + "://")
        if start is None:
            continue
        queue = deque([(start, "")])
        seen: set[tuple[int, str, str]] = set()
        while queue:
            state, host = queue.popleft()
            if host and host[-1] != "-" and state in shape.machine.accepting:
                origin = f"{scheme}://{host}"
                parsed = parse_request_origin(origin)
                if parsed is not None and not is_loopback_host(parsed.host):
                    return origin
            for char in (*_LABEL_CHARS, "."):  # letters first: a host that is no IP address
                target = shape.machine.moves[state].get(char)
                if target is None or len(host) >= _MAX_HOST:
                    continue
                key = (target, _kind(char), _kind(host[-1:]))
                if key not in seen:
                    seen.add(key)
                    queue.append((target, host + char))
    return None
