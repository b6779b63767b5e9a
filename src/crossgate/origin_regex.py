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
  ``r"https://app\\.example\\.com.*"`` (``https://app.example.com.evil.com``). Found by probing:
  from the origins the pattern was written for, add characters inside and around the host and see
  whether the pattern still matches a host of another domain. The fix puts ``\\.`` at the
  boundary.
- **Any host**: a pattern that admits every host of a scheme (``r"https://.*"``,
  ``r"https?://[^/]+"``) is ``'*'`` in effect. That is legitimate without credentials, so it is
  not refused here: ``compile_origins`` records it and ``any_host_problem`` words the refusal the
  policy makes when credentials are on.

The first two are refused unless ``allow_regex_wildcards=True``. What is not judged: the scheme
(``r"https?://..."`` is a choice; with credentials, the policy refuses plain http unless
``allow_insecure_http_origins=True``, and ``plain_http_example`` finds it in a regex), ports (a port
wildcard stays on the same host), IP addresses and loopback hosts (a wildcard over them stays on
the network the user named), and callables (calling user code at start-up could reach a database
that is not ready yet, and its answers may change at run time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crossgate._origin_matcher import OriginMatcher, WideRegex
from crossgate._origin_syntax import (
    Origin,
    OriginError,
    is_loopback_host,
    parse_entry,
    parse_request_origin,
)
from crossgate._public_suffixes import PUBLIC_SUFFIXES, registrable_domain
from crossgate._regex_reading import explicit_flags, loose_dots, marked, quiet, write_examples
from crossgate.errors import Problem

__all__ = [
    "OPT_OUT",
    "WideRegex",
    "any_host_problem",
    "plain_http_example",
    "regex_problems",
    "show_pattern",
    "show_regex",
    "string_regex_hint",
    "wide_regex",
]

#: The option that accepts a pattern whose wildcards are meant.
OPT_OUT = "allow_regex_wildcards"

# What stands for a loose dot in an attack origin, most convincing first.
_DOT_STAND_INS = ("x", "a", "0", "-")
# What is added inside or after a host to look for a wildcard that crosses a domain boundary.
_INSERTIONS = (".evil.com", ".com", "evil", "x", "0", "-", "_")
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


def show_pattern(source: str, flags: int = 0) -> str:
    """*source* as a ``re.compile(...)`` call a user can paste into their code."""
    if "\n" in source or not source.isprintable():
        literal = repr(source)
    elif '"' not in source:
        literal = f'r"{source}"'
    elif "'" not in source:
        literal = f"r'{source}'"
    else:
        literal = repr(source)
    names = [name for flag, name in _FLAG_NAMES if flags & flag]
    return f"re.compile({', '.join([literal, ' | '.join(names)] if names else [literal])})"


def show_regex(pattern: re.Pattern[str]) -> str:
    """*pattern* as the ``re.compile(...)`` call that made it."""
    return show_pattern(pattern.pattern, explicit_flags(pattern))


def _examples(
    pattern: re.Pattern[str],
    source: str,
    marks: dict[int, str],
    target: int | None = None,
    modes: tuple[bool, ...] = (False, True),
) -> list[str]:
    """Origins (in the serialized form browsers send) that *pattern* fullmatches."""
    return write_examples(pattern, source, marks, accept=_is_origin, target=target, modes=modes)


def _is_origin(text: str) -> bool:
    parsed = parse_request_origin(text)
    return parsed is not None and parsed.serialize() == text


def _dot_finding(pattern: re.Pattern[str]) -> tuple[str, int, list[str]] | None:
    """The pattern with its loose dots escaped, how many, and, for each dot that lets in an
    origin the escaped pattern refuses, that origin; ``None`` if no dot does."""
    source = pattern.pattern
    positions = loose_dots(source, pattern.flags)
    if not positions:
        return None
    fixed = source
    for index in reversed(positions):
        fixed = fixed[:index] + "\\" + fixed[index:]
    strict = re.compile(fixed, pattern.flags)
    text, codes = marked(source, positions)
    plain = dict.fromkeys(codes, ".") | dict.fromkeys((code + 1 for code in codes), "")
    attacks = []
    for code in codes:
        for stand_in in _DOT_STAND_INS:
            found = _examples(pattern, text, plain | {code: stand_in}, code)
            # Proven only if the dot is why it gets in: a wildcard elsewhere may let it in too.
            refused = [attack for attack in found if not strict.fullmatch(attack)]
            if refused:
                attacks.append(refused[0])
                break
    return (fixed, len(positions), attacks) if attacks else None


def _host_span(origin: str) -> tuple[int, int]:
    start = origin.index("://") + 3
    end = origin.find(":", start)
    return start, len(origin) if end < 0 else end


def _judged_host(origin: str) -> str | None:
    """The host of *origin*, unless a wildcard over it is not judged (an IP address or this
    machine: a wildcard there stays on the network the user named)."""
    parsed = parse_request_origin(origin)
    if parsed is None or parsed.serialize() != origin:
        return None
    host = parsed.host
    if is_loopback_host(host) or host.startswith("[") or host.replace(".", "").isdigit():
        return None
    return host


def _foreign(origin: str, domains: set[str]) -> bool:
    """Whether *origin*'s host belongs to a registrable domain outside *domains*."""
    host = _judged_host(origin)
    return host is not None and registrable_domain(host) not in domains


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
    # The fewest repeats name the domains meant ("example.com" for r"https://.*example\.com"):
    # more would count a host the wildcard made up ("aexample.com") as meant.
    examples = []
    for modes in ((False,), (True,)):
        examples = [
            example
            for example in _examples(pattern, pattern.pattern, {}, modes=modes)
            if _judged_host(example) is not None
        ]
        if examples:
            break
    domains = {registrable_domain(_host_of(example)) for example in examples}
    for example in examples:
        start, end = _host_span(example)
        for added in _INSERTIONS:
            for at in range(start, end + 1):
                attack = example[:at] + added + example[at:]
                if _foreign(attack, domains) and pattern.fullmatch(attack):
                    if attack.startswith(example[:end]):
                        at = end  # "app.example" + ".com" + ".com" is also the host + ".com"
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
    if literal is None or literal in PUBLIC_SUFFIXES:
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
    flags = explicit_flags(pattern)
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
    elif literal in PUBLIC_SUFFIXES:
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


@quiet
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
        fixed, escaped, attacks = dots
        flags = explicit_flags(pattern)
        many = len(attacks) > 1
        problems.append(
            Problem(
                option,
                pattern,
                f"{f'{len(attacks)} unescaped' if many else 'an unescaped'} '.' "
                f"{'match' if many else 'matches'} any character, so this regex also allows "
                f"{' and '.join(repr(attack) for attack in attacks[:2])}",
                f"escape the dot{'s' if escaped > 1 else ''}: {show_pattern(fixed, flags)}, "
                f"or pass {OPT_OUT}=True if every character is meant",
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


def plain_http_example(pattern: re.Pattern[str]) -> str | None:
    """A plain-http (or ws) origin of a host other than this machine that *pattern* allows."""
    probes = [f"{scheme}://{_PROBE_HOSTS[0]}" for scheme in ("http", "ws")]
    for origin in [*_examples(pattern, pattern.pattern, {}), *probes]:
        parsed = parse_request_origin(origin)
        assert parsed is not None  # examples and probes are serialized origins
        insecure = parsed.scheme in ("http", "ws") and not is_loopback_host(parsed.host)
        if insecure and pattern.fullmatch(origin):
            return origin
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


# An IPv6 literal aside ("[::1]"), the signs of a regular expression in an origin string.
_REGEX_SIGNS = re.compile(r"\\|\A\^|\$\Z|[()|+{}]|\.[*+?]|\[(?=[^\]]*[^0-9a-fA-F:.%\]])")
_SUBDOMAIN_WILDCARD = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*)://(?:\.\*|\.\+|\[\^\\?\.\]\+|\[[a-z0-9_\\-]+\]\+|\\w\+)"
    r"\\\.(?P<rest>.+)"
)
_ESCAPED_PUNCTUATION = re.compile(r"\\([.\-:/])")


@quiet
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
                parse_entry(fits)
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
    # Suggest the regex as it would be accepted: dots escaped, boundaries where they belong.
    dots = _dot_finding(compiled)
    suggested = re.compile(dots[0]) if dots else compiled
    crossing = _crossing(suggested)
    shown = (crossing and _checked_fix(suggested, crossing)) or show_regex(suggested)
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
        parsed = parse_entry(candidate)
    except (re.error, OriginError):
        return None
    if isinstance(parsed, Origin):
        return None
    sample = f"{form['scheme']}://app.{rest.replace(':*', '')}"
    return candidate if compiled.fullmatch(sample) else None
