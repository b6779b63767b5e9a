"""Judging compiled regular expressions in ``origins`` before they judge requests.

A ``re.Pattern`` in ``origins`` means exactly what it says, and what it says is often not what was
meant. This module finds, at start-up, the patterns that let in hosts nobody listed, and proves
each finding by building an origin the pattern really allows (so a refusal is never a false
alarm). Three kinds of findings:

- **A loose dot**: an unescaped ``.`` that is not itself quantified (``.*``, ``.+``, ``.?`` and
  ``.{n,m}`` are deliberate wildcards) matches any character, so ``r"https://app.example.com"``
  also allows ``https://appxexample.com``. Found with Python's own regex parser, so groups,
  alternations, flags, verbose whitespace and comments, character classes and escapes are read
  exactly as ``re`` reads them. The fix is the same pattern with those dots escaped.
- **A wildcard across a domain boundary**: a wildcard that can change which registrable domain a
  host belongs to, like ``r"https://.*example\\.com"`` (``https://evilexample.com``) or
  ``r"https://app\\.example\\.com.*"`` (``https://app.example.comevil``). Found by probing:
  from the origins the pattern was written for, add characters inside and around the host and see
  whether the pattern still matches a host of another domain. The fix puts ``\\.`` at the
  boundary.
- **Any host**: a pattern that admits every host of a scheme (``r"https://.*"``,
  ``r"https?://[^/]+"``) is ``'*'`` in effect. That is legitimate without credentials, so it is
  not refused here: ``compile_origins`` records it and ``any_host_problem`` words the refusal the
  policy makes when credentials are on.

The first two are refused unless ``allow_regex_wildcards=True``. What is not judged: the scheme
(``r"https?://..."`` is a choice, and plain http is judged by the policy), ports (a port
wildcard stays on the same host), IP addresses and loopback hosts (a wildcard over them stays on
the network the user named), and callables (calling user code at start-up could reach a database
that is not ready yet, and its answers may change at run time).
"""

from __future__ import annotations

import functools
import importlib
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from crossgate.errors import Problem
from crossgate.origins import (
    _PUBLIC_SUFFIXES,
    MAX_ORIGIN_LENGTH,
    Origin,
    OriginError,
    _parse,
    is_loopback_host,
    parse_request_origin,
    registrable_domain,
)

if TYPE_CHECKING:
    from crossgate.origins import OriginMatcher

__all__ = [
    "OPT_OUT",
    "WideRegex",
    "any_host_problem",
    "regex_problems",
    "show_pattern",
    "string_regex_hint",
    "wide_regex",
]

#: The option that accepts a pattern whose wildcards are meant.
OPT_OUT = "allow_regex_wildcards"

# Python's own parser (re._parser since 3.11, sre_parse before): reading a pattern the way ``re``
# reads it is the only reliable way to tell a wildcard dot from a literal one.
try:
    _PARSER: Any = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - Python 3.10
    _PARSER = importlib.import_module("sre_parse")

_REPEATS = frozenset({"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"})
# Tried in order when an example must pick a character from a class: host characters first.
_CLASS_CANDIDATES = "abcdefghijklmnopqrstuvwxyz0123456789-_.:/ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# What stands for a loose dot in an attack origin, most convincing first.
_DOT_STAND_INS = ("x", "a", "0", "-")
# What is added inside or after a host to look for a wildcard that crosses a domain boundary.
_INSERTIONS = (".evil.com", "evil", "x", "0", "-", "_")
_MAX_EXAMPLES = 8
_MAX_REPEAT_EXAMPLE = 64
# Hosts nobody would list, under TLDs of every kind: a pattern that admits all of them (on
# the scheme's default port) admits any host.
_PROBE_HOSTS = ("zqxjvkw.invalid", "qwpzmrt.test", "xkvdqvz.com", "wjqhzvx.example.org", "vz.co.uk")
_PROBE_SCHEMES = ("https", "http", "wss", "ws")
_FLAG_NAMES = (
    (re.IGNORECASE, "re.IGNORECASE"),
    (re.MULTILINE, "re.MULTILINE"),
    (re.DOTALL, "re.DOTALL"),
    (re.VERBOSE, "re.VERBOSE"),
    (re.ASCII, "re.ASCII"),
)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _quiet(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run *function* without the warnings ``re`` gives while parsing (a "possible nested set"
    in a user's pattern, or in our rewrites of it): the user already saw them when compiling,
    and under ``-W error`` they would turn a judgement into a crash."""

    @functools.wraps(function)
    def quietly(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return function(*args, **kwargs)

    return quietly


@dataclass(frozen=True, slots=True)
class WideRegex:
    """A regex in ``origins`` that admits every host of a scheme: ``'*'`` in effect."""

    pattern: re.Pattern[str]
    #: The scheme of which it admits every host.
    scheme: str
    #: An origin nobody would list that it allows.
    example: str


def show_pattern(source: str, flags: int = 0) -> str:
    """*source* as a ``re.compile(...)`` call a user can paste into their code."""
    odd_tail = (len(source) - len(source.rstrip("\\"))) % 2  # r"...\" cannot end a raw string
    if "\n" in source or not source.isprintable() or odd_tail:
        literal = repr(source)
    elif '"' not in source:
        literal = f'r"{source}"'
    elif "'" not in source:
        literal = f"r'{source}'"
    else:
        literal = repr(source)
    names = [name for flag, name in _FLAG_NAMES if flags & flag]
    return f"re.compile({', '.join([literal, ' | '.join(names)] if names else [literal])})"


def _explicit_flags(pattern: re.Pattern[str]) -> int:
    """The flags passed to ``re.compile``, without those the pattern sets inline."""
    inline: int = _PARSER.parse(pattern.pattern, 0).state.flags
    return pattern.flags & ~inline & ~re.UNICODE


class _Draft:
    """A partial example: text so far, the text of each group it closed, and whether it went
    through the target sentinel."""

    __slots__ = ("groups", "hit", "text")

    def __init__(self, text: str, groups: dict[int, str], hit: bool = False) -> None:
        self.text = text
        self.groups = groups
        self.hit = hit

    def add(self, text: str, hit: bool = False) -> _Draft:
        return _Draft(self.text + text, self.groups, self.hit or hit)


class _Writer:
    """Writes example strings a parsed pattern matches, following the tree ``re`` built.

    *marks* maps sentinel code points (standing in for a loose dot) to the text to write for
    them; drafts that write *target* are marked. With *some*, an optional part is written once
    rather than left out.
    """

    def __init__(self, marks: dict[int, str], *, some: bool, target: int | None = None) -> None:
        self.marks = marks
        self.some = some
        self.target = target

    def sequence(self, items: Iterable[Any], drafts: list[_Draft]) -> list[_Draft]:
        for op, value in items:
            drafts = self.item(str(op), value, drafts)[:_MAX_EXAMPLES]
            drafts = [draft for draft in drafts if len(draft.text) <= MAX_ORIGIN_LENGTH]
            if not drafts:
                break
        return drafts

    def item(self, op: str, value: Any, drafts: list[_Draft]) -> list[_Draft]:
        if op == "LITERAL":
            text = self.marks.get(value, chr(value))
            return [draft.add(text, value == self.target) for draft in drafts]
        if op == "NOT_LITERAL":
            return [draft.add("b" if value == ord("a") else "a") for draft in drafts]
        if op == "ANY":
            return [draft.add("a") for draft in drafts]
        if op == "IN":
            char = _class_char(value)
            return [] if char is None else [draft.add(char) for draft in drafts]
        if op in ("AT", "ASSERT", "ASSERT_NOT"):
            return drafts  # the final fullmatch decides whether the example holds
        if op == "BRANCH":
            return [done for branch in value[1] for done in self.sequence(branch, drafts)]
        if op == "SUBPATTERN":
            return self.group(value[0], value[3], drafts)
        if op == "ATOMIC_GROUP":
            return self.sequence(value, drafts)
        if op in _REPEATS:
            low, high, body = value
            count = low
            if low == 0 and high > 0 and (self.some or _holds(body, self.marks)):
                count = 1
            if count > _MAX_REPEAT_EXAMPLE:
                return []
            for _ in range(count):
                drafts = self.sequence(body, drafts)
            return drafts
        if op == "GROUPREF":
            return [draft.add(draft.groups[value]) for draft in drafts if value in draft.groups]
        if op == "GROUPREF_EXISTS":
            group, yes, no = value
            done: list[_Draft] = []
            for draft in drafts:
                chosen = yes if group in draft.groups else no
                done += self.sequence(chosen or (), [draft])
            return done
        return []

    def group(self, number: int | None, body: Any, drafts: list[_Draft]) -> list[_Draft]:
        done = []
        for draft in drafts:
            for result in self.sequence(body, [draft]):
                if number is not None:
                    groups = dict(result.groups)
                    groups[number] = result.text[len(draft.text) :]
                    result = _Draft(result.text, groups, result.hit)
                done.append(result)
        return done


def _holds(items: Iterable[Any], marks: dict[int, str]) -> bool:
    """Whether a sentinel of *marks* appears anywhere in the parsed *items*."""
    for op, value in items:
        name = str(op)
        if name == "LITERAL" and value in marks:
            return True
        if any(_holds(child, marks) for child in _children(name, value)):
            return True
    return False


def _children(op: str, value: Any) -> list[Any]:
    """The sub-sequences of one parsed item (branches apart)."""
    if op == "SUBPATTERN":
        return [value[3]]
    if op == "ATOMIC_GROUP":
        return [value]
    if op in _REPEATS:
        return [value[2]]
    if op == "GROUPREF_EXISTS":
        return [part for part in value[1:] if part is not None]
    if op in ("ASSERT", "ASSERT_NOT"):
        return [value[1]]
    if op == "BRANCH":
        return list(value[1])
    return []


def _class_char(items: Sequence[Any]) -> str | None:
    """A character the parsed character class *items* accepts, host characters first."""
    negated = bool(items) and str(items[0][0]) == "NEGATE"
    for char in _CLASS_CANDIDATES:
        if _in_class(char, items) != negated:
            return char
    return None


def _in_class(char: str, items: Sequence[Any]) -> bool:
    code = ord(char)
    for op, value in items:
        name = str(op)
        if name == "LITERAL" and value == code:
            return True
        if name == "RANGE" and value[0] <= code <= value[1]:
            return True
        if name == "CATEGORY":
            category = str(value).removeprefix("CATEGORY_")
            test = {
                "DIGIT": char.isdigit(),
                "SPACE": char.isspace(),
                "WORD": char.isalnum() or char == "_",
            }
            if test.get(category):
                return True
            if category.startswith("NOT_") and not test.get(category[4:], True):
                return True
    return False


def _sentinels(source: str, count: int) -> list[int]:
    """*count* private-use code points that do not occur in *source*."""
    found: list[int] = []
    code = 0xE000
    while len(found) < count:
        if chr(code) not in source:
            found.append(code)
        code += 1
    return found


def _pair(first: int) -> str:
    return f"(?:\\u{first:04x}\\u{first + 1:04x})"


def _find_pair(items: Sequence[Any], first: int, *, alone: bool = False) -> bool | None:
    """Where the sentinel pair starting at *first* stands: ``None`` if nowhere in sequence (in a
    class, a comment), else whether it is itself quantified. *alone*: *items* is the whole body
    of a repeat, or of a group that is the whole of such a body."""
    for index, (op, value) in enumerate(items):
        name = str(op)
        if name == "LITERAL" and value == first:
            after = items[index + 1] if index + 1 < len(items) else (None, None)
            if str(after[0]) == "LITERAL" and after[1] == first + 1:
                return alone and len(items) == 2
        for child in _children(name, value):
            inner = name in _REPEATS or (name == "SUBPATTERN" and alone and len(items) == 1)
            found = _find_pair(child, first, alone=inner)
            if found is not None:
                return found
    return None


def _loose_dots(source: str, flags: int) -> list[int]:
    """Positions in *source* of the dots ``re`` reads as an unquantified wildcard."""
    [first, _] = _sentinels(source, 2)
    positions = []
    for index, char in enumerate(source):
        if char != ".":
            continue
        variant = source[:index] + _pair(first) + source[index + 1 :]
        try:
            tree = _PARSER.parse(variant, flags)
        except re.error:
            continue  # an escaped dot, or one inside a comment: not a wildcard
        if _find_pair(tree, first) is False:
            positions.append(index)
    return positions


def _examples(
    pattern: re.Pattern[str], source: str, marks: dict[int, str], target: int | None = None
) -> list[str]:
    """Origins *pattern* fullmatches, written from the parsed *source* (its sentinels
    written as *marks* says; only through *target*, if given)."""
    tree = _PARSER.parse(source, pattern.flags)
    found: list[str] = []
    for some in (False, True):
        writer = _Writer(marks, some=some, target=target)
        for draft in writer.sequence(tree, [_Draft("", {})]):
            if target is not None and not draft.hit:
                continue
            text = draft.text.lower() if pattern.flags & re.IGNORECASE else draft.text
            if text not in found and _is_origin(text) and pattern.fullmatch(text):
                found.append(text)
    return found


def _is_origin(text: str) -> bool:
    parsed = parse_request_origin(text)
    return parsed is not None and parsed.serialize() == text


def _dot_finding(pattern: re.Pattern[str]) -> tuple[str, list[str]] | None:
    """The pattern with its loose dots escaped, and an attack origin per dot proven loose."""
    source = pattern.pattern
    positions = _loose_dots(source, pattern.flags)
    if not positions:
        return None
    codes = _sentinels(source, 2 * len(positions))[::2]
    marked = source
    for index, code in sorted(zip(positions, codes, strict=True), reverse=True):
        marked = marked[:index] + _pair(code) + marked[index + 1 :]
    plain = dict.fromkeys(codes, ".") | dict.fromkeys((code + 1 for code in codes), "")
    proven: list[int] = []
    attacks: list[str] = []
    for index, code in zip(positions, codes, strict=True):
        for stand_in in _DOT_STAND_INS:
            attack = _examples(pattern, marked, plain | {code: stand_in}, code)
            if attack:
                proven.append(index)
                attacks.append(attack[0])
                break
    if not proven:
        return None
    fixed = source
    for index in reversed(proven):
        fixed = fixed[:index] + "\\" + fixed[index:]
    return fixed, attacks


def _host_span(origin: str) -> tuple[int, int]:
    start = origin.index("://") + 3
    end = origin.find(":", start)
    return start, len(origin) if end < 0 else end


def _foreign(origin: str, domains: set[str]) -> bool:
    """Whether *origin*'s host belongs to a registrable domain outside *domains*."""
    parsed = parse_request_origin(origin)
    if parsed is None or parsed.serialize() != origin:
        return False
    host = parsed.host
    if is_loopback_host(host) or host.startswith("[") or host.replace(".", "").isdigit():
        return False
    return registrable_domain(host) not in domains


@dataclass(frozen=True, slots=True)
class _Crossing:
    """A wildcard crossing a domain boundary: the origin it lets in, the host of the origin
    the pattern was written for, and where in that host the characters were added."""

    attack: str
    host: str
    at: int

    @property
    def after_host(self) -> bool:
        return self.at == len(self.host)

    def literal(self, source: str) -> str | None:
        """The longest end of the host, from a label's start, written literally in *source*:
        the domain name the wildcard runs into."""
        for start in range(self.at, len(self.host)):
            tail = self.host[start:]
            if "." in tail and not tail.startswith(".") and source.count(re.escape(tail)) == 1:
                return tail
        return None


def _crossing(pattern: re.Pattern[str]) -> _Crossing | None:
    """Add characters inside and after the host of each origin *pattern* was written for, and
    return the first result of another registrable domain that *pattern* still allows."""
    examples = [
        example
        for example in _examples(pattern, pattern.pattern, {})
        if _foreign(example, set())  # IP addresses and loopback hosts are not judged
    ]
    domains = {registrable_domain(_host_of(example)) for example in examples}
    for example in examples:
        start, end = _host_span(example)
        for added in _INSERTIONS:
            for at in range(start, end + 1):
                attack = example[:at] + added + example[at:]
                if _foreign(attack, domains) and pattern.fullmatch(attack):
                    return _Crossing(attack, example[start:end], at - start)
    return None


def _host_of(origin: str) -> str:
    start, end = _host_span(origin)
    return origin[start:end]


# A wildcard token at the end of a pattern text: ".*", "[a-z]+", "\w*", lazy or not.
_WILDCARD = r"(?:\.|\[(?:\\.|[^\]\\])*\]|\\[wWdDsS])[*+]\??"
_WILDCARD_BEFORE = re.compile(_WILDCARD + r"\Z")
_WILDCARD_AT_END = re.compile(_WILDCARD + r"\$?\Z")


def _boundary_fixes(source: str, crossing: _Crossing) -> list[str]:
    """Rewrites of *source* that put a label boundary where its wildcard crosses one."""
    if crossing.after_host:
        tail = _WILDCARD_AT_END.search(source)
        return [] if tail is None else [source[: tail.start()] + "(?::[0-9]+)?"]
    literal = crossing.literal(source)
    if literal is None or literal in _PUBLIC_SUFFIXES:
        return []
    at = source.index(re.escape(literal))
    fixes = [source[:at] + "\\." + source[at:]]
    wildcard = _WILDCARD_BEFORE.search(source[:at])
    if wildcard is not None:
        # Keeps the apex the pattern allowed: (?:.*\.)?example\.com
        fixes.insert(0, f"{source[: wildcard.start()]}(?:{wildcard[0]}\\.)?{source[at:]}")
    return fixes


def _checked_fix(pattern: re.Pattern[str], crossing: _Crossing) -> str | None:
    """The first boundary fix that compiles, refuses the attack, still allows some origin and
    crosses no boundary itself."""
    flags = _explicit_flags(pattern)
    for fix in _boundary_fixes(pattern.pattern, crossing):
        try:
            compiled = re.compile(fix, flags)
        except re.error:
            continue
        if (
            not compiled.fullmatch(crossing.attack)
            and _examples(compiled, fix, {})
            and _crossing(compiled) is None
        ):
            return show_pattern(fix, flags)
    return None


def _crossing_problem(
    option: str, pattern: re.Pattern[str], judged: re.Pattern[str], crossing: _Crossing
) -> Problem:
    literal = crossing.literal(judged.pattern)
    if crossing.after_host:
        where = "runs on after the host, so a host of another domain can end there"
        advice = "end the host with a literal and allow at most a port after it, like (:[0-9]+)?"
    elif literal in _PUBLIC_SUFFIXES:
        where = f"stands for a whole name under {literal!r}, where every name has its own owner"
        advice = f"list your own names under {literal!r}"
    elif literal is not None:
        where = f"runs into the domain name {literal!r} with no '\\.' before it"
        advice = f"put '\\.' between the wildcard and {re.escape(literal)!r}"
    else:
        where = "stands where the domain name should be"
        advice = r"name your domain after a '\.', like r'https://[a-z0-9-]+\.example\.com'"
    fix = _checked_fix(judged, crossing)
    return Problem(
        option,
        pattern,
        f"a wildcard {where}: this regex also allows {crossing.attack!r}, "
        "a site anyone can register",
        f"{f'write {fix}' if fix else advice}, or pass {OPT_OUT}=True if that is meant",
    )


@_quiet
def regex_problems(
    pattern: re.Pattern[str], *, option: str = "origins", allow_wildcards: bool = False
) -> list[Problem]:
    """What is wrong with one compiled regex in ``origins``: loose dots, then wildcards that
    cross a domain boundary. Each problem names an origin the pattern really allows, and the
    pattern rewritten to refuse it. ``re.compile(r"https://app.example.com")`` gets "an
    unescaped '.' matches any character, so this regex also allows 'https://appxexample.com'"
    and the fix ``re.compile(r"https://app\\.example\\.com")``.
    """
    if allow_wildcards or wide_regex(pattern) is not None:
        return []
    problems = []
    judged = pattern
    dots = _dot_finding(pattern)
    if dots is not None:
        fixed, attacks = dots
        flags = _explicit_flags(pattern)
        many = len(attacks) > 1
        problems.append(
            Problem(
                option,
                pattern,
                f"{f'{len(attacks)} unescaped' if many else 'an unescaped'} '.' "
                f"{'match' if many else 'matches'} any character, so this regex also allows "
                f"{' and '.join(repr(attack) for attack in attacks[:2])}",
                f"escape the dot{'s' if many else ''}: {show_pattern(fixed, flags)}, or pass "
                f"{OPT_OUT}=True if every character is meant",
            )
        )
        judged = re.compile(fixed, flags)
    crossing = _crossing(judged)
    if crossing is not None:
        problems.append(_crossing_problem(option, pattern, judged, crossing))
    return problems


def wide_regex(pattern: re.Pattern[str]) -> WideRegex | None:
    """Whether *pattern* admits every host of some scheme (``r"https://.*"``, ``r".*"``)."""
    for scheme in _PROBE_SCHEMES:
        probes = [f"{scheme}://{host}" for host in _PROBE_HOSTS]
        if all(pattern.fullmatch(probe) for probe in probes):
            return WideRegex(pattern, scheme, probes[0])
    return None


def any_host_problem(matcher: OriginMatcher, *, option: str = "origins") -> Problem | None:
    """The refusal of a regex that admits any host, for a policy with credentials (the same
    refusal as ``'*'``), or ``None`` when *matcher* has no such regex."""
    if not matcher.any_host:
        return None
    wide = matcher.any_host[0]
    return Problem(
        option,
        wide.pattern,
        f"this regex allows every {wide.scheme} origin (even {wide.example!r}): it is '*' in "
        "effect, and with supports_credentials=True every site could read responses made with "
        "the user's cookies",
        "list the trusted origins or a subdomain pattern like 'https://*.example.com' (or a "
        "regex naming your domain), or drop supports_credentials for a public API",
    )


_REGEX_SIGNS = re.compile(r"\\|\A\^|\$\Z|[()|+{}]|\.[*+?]|\[(?![0-9a-fA-F:.%]*\])")
_SUBDOMAIN_WILDCARD = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*)://(?:\.\*|\.\+|\[\^\\?\.\]\+|\[[a-z0-9_\\-]+\]\+|\\w\+)"
    r"\\\.(?P<rest>.+)"
)
_ESCAPED_PUNCTUATION = re.compile(r"\\([.\-:/])")


@_quiet
def string_regex_hint(text: str) -> tuple[str, str] | None:
    """For a string in ``origins`` that failed to parse and looks like a regular expression:
    the message saying strings are never regexes, and the fix (a pattern string if one fits,
    else the ``re.compile`` call). ``None`` if *text* does not look like a regex."""
    if not _REGEX_SIGNS.search(text):
        return None
    message = (
        f"{text!r} looks like a regular expression; strings in origins are never read as "
        "regular expressions"
    )
    core = text.removeprefix("^").removesuffix("$")
    plain = _ESCAPED_PUNCTUATION.sub(r"\1", core)
    for fits in (plain, _subdomain_form(core)):
        if fits is not None and "\\" not in fits:
            try:
                _parse(fits, patterns=True)
            except OriginError:
                continue
            return message, f"write {fits!r}"
    try:
        compiled = re.compile(core)
    except re.error:
        return message, (
            "write the origin itself like 'https://app.example.com', a subdomain pattern like "
            "'https://*.example.com', or pass re.compile(...)"
        )
    dots = _dot_finding(compiled)
    shown = show_pattern(dots[0] if dots else core)
    return message, f"pass {shown} (matched against the whole origin, so no ^ or $ is needed)"


def _subdomain_form(core: str) -> str | None:
    """``'https://*.example.com'`` for a regex that means any subdomain of example.com."""
    form = _SUBDOMAIN_WILDCARD.fullmatch(core)
    if form is None:
        return None
    rest = _ESCAPED_PUNCTUATION.sub(r"\1", form["rest"])
    candidate = f"{form['scheme']}://*.{rest}"
    try:
        compiled = re.compile(core)
        parsed = _parse(candidate, patterns=True)
    except (re.error, OriginError):
        return None
    if isinstance(parsed, Origin):
        return None
    sample = f"{form['scheme']}://app.{rest.replace(':*', '')}"
    return candidate if compiled.fullmatch(sample) else None
