"""Regular expressions for the proxies: what each origin entry becomes, and what an engine lacks.

nginx matches with PCRE, Caddy with RE2. A regex in ``origins`` is never carried over as the user
wrote it: the export writes the canonical regex of its automaton (``crossgate._automaton_regex``:
literals, classes, groups, alternation and ``*`` only), which both engines read as Python does,
for every serialized origin. Path regexes (``resources``, route converters) are carried over as
written, inside an anchored group, and what differs is refused by name: RE2 has no lookaround,
backreference, conditional, atomic group or possessive repeat; ``\\Z`` means "end" in Python and
"before a final newline" in PCRE, so it becomes ``\\z``, which both read as Python's ``\\Z``.
"""

from __future__ import annotations

import importlib
import re
from typing import Any, Literal

from crossgate._automaton_regex import write_regex
from crossgate._origin_matcher import OriginMatcher
from crossgate._origin_syntax import DEFAULT_PORTS, HostPattern
from crossgate._regex_automata import REFUSED_CONSTRUCTS, TooLarge, Unsupported, automaton
from crossgate._regex_reading import explicit_flags, quiet

Engine = Literal["pcre", "re2"]

try:
    _PARSER: Any = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - Python 3.10
    _PARSER = importlib.import_module("sre_parse")

# One header-name character (RFC 9110 tchar), written so no proxy quoting can break it: the
# backtick is \x60, which both engines read.
_TCHAR = r"[!#$%&'*+.^_\x60|~0-9A-Za-z-]"
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
#: An Origin header as a browser serializes it (what crossgate's patterns and regexes are ever
#: shown): lowercase scheme and host, a port without leading zero. Exact origins need no such
#: check: they are compared as strings.
SERIALIZED_ORIGIN = (
    rf"^[a-z][a-z0-9+.-]*://(?:\[[0-9a-f:]+\]|{_LABEL}(?:\.{_LABEL})*)(?::[1-9][0-9]{{0,4}})?$"
)
#: An ``Access-Control-Request-Headers`` value crossgate accepts: a list of tokens, empty
#: elements allowed (proxies join lines with them).
HEADER_LIST = rf"^[ \t]*(?:{_TCHAR}+[ \t]*)?(?:,[ \t]*(?:{_TCHAR}+[ \t]*)?)*$"

_FLAGS = {re.IGNORECASE: "i", re.MULTILINE: "m", re.DOTALL: "s", re.VERBOSE: "x"}
_END = re.compile(r"(\\\\)|\\Z")


def _constructs(parsed: Any) -> set[str]:
    """The names of the constructs (opcodes) a parsed pattern uses, at any depth."""
    found: set[str] = set()
    stack: list[Any] = [parsed]
    while stack:
        item = stack.pop()
        if isinstance(item, int) and type(item) is not int and type(item) is not bool:
            found.add(str(item))  # an opcode: a named int constant
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif hasattr(item, "data"):
            stack.extend(item.data)
    return found


def engine_problem(pattern: re.Pattern[str], engine: Engine) -> str | None:
    """Why *engine* cannot run *pattern* as Python does, or ``None`` when it can."""
    if engine == "re2":
        if pattern.flags & re.VERBOSE:
            return "uses re.VERBOSE, which RE2 (Caddy) does not read"
        used = _constructs(quiet(_PARSER.parse)(pattern.pattern, pattern.flags))
        for name, what in REFUSED_CONSTRUCTS.items():
            if name in used:
                return f"uses {what}, which RE2 (Caddy) cannot run"
    return None


def translated(pattern: re.Pattern[str]) -> str:
    """*pattern* as an unanchored group both engines read as Python reads it (see
    ``engine_problem`` for what RE2 refuses)."""
    text = _END.sub(lambda found: found.group(1) or r"\z", pattern.pattern)
    explicit = explicit_flags(pattern)  # inline flags are in the text already
    flags = "".join(letter for flag, letter in _FLAGS.items() if explicit & flag)
    return f"(?{flags}:{text})" if flags else f"(?:{text})"


def origin_regex(pattern: re.Pattern[str]) -> str:
    """The canonical regex of *pattern*'s automaton, as a group both engines read alike."""
    return f"(?:{write_regex(quiet(automaton)(pattern))})"


def origin_regex_problem(pattern: re.Pattern[str]) -> str | None:
    """Why no canonical regex can be written for *pattern* (start-up already refused what an
    automaton cannot hold), or ``None``."""
    try:
        origin_regex(pattern)
    except (Unsupported, TooLarge) as error:
        return f"cannot be written for the proxies: {error}"
    return None


def _digits(low: str, high: str) -> list[str]:
    """Regex alternatives for the numbers from *low* to *high*, written with as many digits."""
    if not low:
        return [""]
    if low[0] == high[0]:
        return [low[0] + rest for rest in _digits(low[1:], high[1:])]
    width = len(low) - 1
    if low[1:] == "0" * width and high[1:] == "9" * width:
        return [f"[{low[0]}-{high[0]}]" + ("[0-9]" * width)]
    parts = [low[0] + rest for rest in _digits(low[1:], "9" * width)]
    if int(high[0]) - int(low[0]) > 1:
        parts.append(f"[{int(low[0]) + 1}-{int(high[0]) - 1}]" + "[0-9]" * width)
    parts += [high[0] + rest for rest in _digits("0" * width, high[1:])]
    return parts


def number_range(low: int, high: int) -> list[str]:
    """Regex alternatives for the decimal numbers from *low* to *high* (1 or more), without a
    leading zero, as a browser serializes a port."""
    parts = []
    while low <= high:
        top = min(high, 10 ** len(str(low)) - 1)  # the largest number with as many digits
        parts += _digits(str(low), str(top))
        low = top + 1
    return parts


def port_regex(scheme: str) -> str:
    """``:port`` as a serialized origin of *scheme* can end: 1 to 65535, never the scheme's
    default port (a browser leaves it out), with no leading zero."""
    default = DEFAULT_PORTS.get(scheme)
    if default is None:
        numbers = number_range(1, 65535)
    else:
        numbers = number_range(1, default - 1) + number_range(default + 1, 65535)
    return f":(?:{'|'.join(numbers)})"


def _host_pattern(pattern: HostPattern) -> str:
    host = re.escape(pattern.host)
    if pattern.subdomains:
        host = rf"(?:{_LABEL}\.)+{host}"
    if pattern.any_port:
        port = f"(?:{port_regex(pattern.scheme)})?"
    else:
        port = "" if pattern.port is None else f":{pattern.port}"
    return f"{re.escape(pattern.scheme)}://{host}{port}"


def origin_alternatives(matcher: OriginMatcher) -> tuple[list[str], list[str]]:
    """The allowed origins as regex alternatives: those compared exactly (exact origins and
    ``null``), and those that apply only to a serialized origin (patterns and regexes).
    Callables are the caller's to refuse."""
    exact = [re.escape(origin) for origin in sorted(matcher.exact)]
    if matcher.allow_null:
        exact.append("null")
    patterns = [_host_pattern(pattern) for pattern in matcher.host_patterns]
    patterns += [origin_regex(regex) for regex in matcher.regexes]
    return exact, patterns


def allowed_names(names: frozenset[str]) -> str:
    """A caseless regex (ASCII: :func:`caseless`) for a header list whose every element is one
    of *names*."""
    if not names:
        # Nothing allowed: only a list of empty elements passes. (No lookahead: RE2 reads it.)
        return r"^[ \t,]*$"
    element = "(?:" + "|".join(caseless(re.escape(name)) for name in sorted(names)) + ")"
    return rf"^[ \t]*(?:{element}[ \t]*)?(?:,[ \t]*(?:{element}[ \t]*)?)*$"


def caseless(names: str) -> str:
    """*names* (escaped tokens, ``|`` between: ``re.escape`` never escapes a letter) with each
    ASCII letter a class of its two cases: caseless on ASCII only, as crossgate compares, where
    RE2's ``(?i)`` also matches the Kelvin sign for ``k`` and the long s for ``s``."""
    return re.sub(r"[A-Za-z]", lambda letter: f"[{letter[0].upper()}{letter[0].lower()}]", names)
