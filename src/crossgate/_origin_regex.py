r"""Judging compiled regular expressions in ``origins`` by what they admit.

A ``re.Pattern`` in ``origins`` means exactly what it says, and what it says is often not what was
meant. Every pattern is read, at start-up, into a finite automaton exactly as ``re`` reads it
(``crossgate._regex_automata``), and the automaton is searched for the hosts it admits
(``crossgate._origin_language``): the registrable domains of those hosts (by the whole Public
Suffix List) must each be named in the pattern's literal text. A pattern that admits another
one, like ``r"https://app.example.com"`` (``https://appxexample.com``),
``r"https://.*example\.com"`` (``https://xexample.com``) or ``r"https://[a-z]+\.github\.io"``
(``https://x.github.io``, every GitHub Pages site), is refused with the shortest such origin and,
when one is found, a rewrite that the same procedure proves sound and that refuses it.

- Without credentials, ``allow_regex_wildcards=True`` accepts such a pattern knowingly, and a
  pattern that admits every host of a scheme (``r"https://.*"``) is ``'*'`` in effect: legitimate
  for a public API, so not refused here; ``compile_origins`` records it.
- With credentials, the policy refuses both (``any_host_problem``), whatever the consent: every
  site, or a stranger's site, could read responses made with the user's cookies.
- What no finite automaton holds exactly (lookarounds, word boundaries, backreferences,
  conditionals, atomic groups, possessive repeats), a class Python reads differently from PCRE
  and RE2 (``[[:alnum:]]``), and a pattern whose automaton exceeds
  ``crossgate._regex_automata.MAX_STATES`` are refused, with the fix, consent or not.

What is not judged: the scheme (``r"https?://..."`` is a choice; with credentials the policy
refuses plain http unless ``allow_insecure_http_origins=True``, and ``plain_http_example`` finds
it), ports, IP addresses and hosts of this machine (a wildcard over them stays on the network the
user named), and callables (calling user code at start-up could reach a database that is not
ready yet, and its answers may change at run time).
"""

from __future__ import annotations

import functools
import re

from crossgate import _origin_language
from crossgate._origin_language import Verdict
from crossgate._origin_matcher import OriginMatcher, WideRegex
from crossgate._origin_syntax import Origin, OriginError, parse_entry
from crossgate._public_suffixes import is_public_suffix
from crossgate._regex_automata import MAX_STATES, TooLarge, Unsupported
from crossgate._regex_reading import explicit_flags, loose_dots, quiet
from crossgate.errors import Problem

#: The option that accepts a pattern whose wildcards are meant.
OPT_OUT = "allow_regex_wildcards"

_FLAG_NAMES = (
    (re.IGNORECASE, "re.IGNORECASE"),
    (re.MULTILINE, "re.MULTILINE"),
    (re.DOTALL, "re.DOTALL"),
    (re.VERBOSE, "re.VERBOSE"),
    (re.ASCII, "re.ASCII"),
)
_EXAMPLE_HOST = "zqxjvkw.invalid"
# How to write what an automaton cannot hold, by what it is.
_UNSUPPORTED_FIXES = {
    "a lookahead or lookbehind": (
        "name the hosts without a lookaround, like r'https://[a-z0-9-]+\\.example\\.com'"
    ),
    "a negative lookahead or lookbehind": (
        "name the hosts allowed instead of those refused, like "
        "r'https://(?:app|admin)\\.example\\.com'"
    ),
    r"a word boundary (\b or \B)": (
        "drop it: the regex is matched against the whole origin, which is its boundary"
    ),
}
_UNSUPPORTED_FIX = (
    "write the hosts out with plain characters, classes like [a-z0-9] and repeats, or list the "
    "origins"
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


@functools.lru_cache(maxsize=512)
def _verdict(pattern: re.Pattern[str]) -> Verdict | str:
    """The judgement of *pattern*, or why it cannot be judged (memoised: the policy asks for
    every route level)."""
    try:
        return quiet(_origin_language.judge)(pattern)
    except Unsupported as error:
        return error.what
    except TooLarge as error:
        return f"too large to judge: {error} (the limit is {MAX_STATES})"


def _sound(pattern: re.Pattern[str]) -> bool:
    verdict = _verdict(pattern)
    return isinstance(verdict, Verdict) and verdict.attack is None


# A wildcard token at the end of a pattern text: ".*", "[a-z]+", "\w*", lazy or not.
_WILDCARD = r"(?:\.|\[(?:\\.|[^\]\\])*\]|\\[wWdDsS])[*+]\??"
_WILDCARD_BEFORE = re.compile(_WILDCARD + r"\Z")
_WILDCARD_AT_END = re.compile(_WILDCARD + r"\$?\Z")


def _escaped_dots(source: str, flags: int) -> str:
    """*source* with every dot ``re`` reads as an unquantified wildcard escaped."""
    for index in reversed(loose_dots(source, flags)):
        source = source[:index] + "\\" + source[index:]
    return source


def _rewrites(source: str, flags: int, attack: str) -> list[str]:
    """Rewrites of *source* that may refuse *attack*: its loose dots escaped, then a label
    boundary put where a wildcard runs into the domain name or on after the host."""
    escaped = _escaped_dots(source, flags)
    found = [escaped] if escaped != source else []
    host = attack.split("://", 1)[1].split(":")[0]
    for text in dict.fromkeys([escaped, source]):
        tail = _WILDCARD_AT_END.search(text)
        if tail is not None:
            found.append(text[: tail.start()] + "(?::[0-9]+)?")
        for start in range(len(host)):
            literal = re.escape(host[start:])
            if "." in host[start:] and host[start] != "." and text.count(literal) == 1:
                at = text.index(literal)
                if text[:at].endswith("\\."):
                    break  # the boundary is there: the domain is what is wrong
                wildcard = _WILDCARD_BEFORE.search(text[:at])
                if wildcard is not None:
                    found.append(f"{text[: wildcard.start()]}(?:{wildcard[0]}\\.)?{text[at:]}")
                found.append(text[:at] + "\\." + text[at:])
                break
    return list(dict.fromkeys(found))


@quiet
def _proven_fix(pattern: re.Pattern[str], attack: str) -> re.Pattern[str] | None:
    """The first rewrite that compiles, refuses *attack*, still admits some origin and is
    proven to admit only domains it names."""
    flags = explicit_flags(pattern)
    for text in _rewrites(pattern.pattern, pattern.flags, attack):
        try:
            fixed = re.compile(text, flags)
        except re.error:
            continue
        if not fixed.fullmatch(attack) and _admits_some(fixed) and _sound(fixed):
            return fixed
    return None


def _admits_some(pattern: re.Pattern[str]) -> bool:
    verdict = _verdict(pattern)
    return isinstance(verdict, Verdict) and verdict.admits_some


def _unsupported(option: str, pattern: re.Pattern[str], what: str) -> Problem:
    if what.startswith("too large"):
        return Problem(
            option, pattern, f"is {what}", "list the origins, or write a shorter pattern"
        )
    return Problem(
        option,
        pattern,
        f"uses {what}, which crossgate cannot prove safe (it judges a regex by the finite "
        "automaton of what it admits) and which nginx's PCRE and Caddy's RE2 may not read as "
        "Python does",
        _UNSUPPORTED_FIXES.get(what, _UNSUPPORTED_FIX),
    )


def _foreign_problem(option: str, pattern: re.Pattern[str], verdict: Verdict) -> Problem:
    attack, domain = verdict.attack, verdict.domain
    assert attack is not None
    assert domain is not None
    fix = _proven_fix(pattern, attack)
    dots = len(loose_dots(pattern.pattern, pattern.flags))
    parent = domain.split(".", 1)[-1]
    if fix is not None and fix.pattern == _escaped_dots(pattern.pattern, pattern.flags):
        many = dots > 1
        message = (
            f"{f'{dots} unescaped' if many else 'an unescaped'} '.' "
            f"{'match' if many else 'matches'} any character, so this regex also allows "
            f"{attack!r}"
        )
        advice = f"escape the dot{'s' if many else ''}: {show_regex(fix)}"
        return Problem(option, pattern, message, f"{advice}, or pass {OPT_OUT}=True if meant")
    written = any(parent in run for run in _origin_language.literal_runs(pattern))
    if "." in parent and written and is_public_suffix(parent):
        where = f"every name under the public suffix {parent!r}, where each has its own owner"
        advice = f"list your own names under {parent!r}"
    else:
        where = f"the registrable domain {domain!r}, which it does not name"
        advice = r"name your domain after a '\.', like r'https://[a-z0-9-]+\.example\.com'"
    return Problem(
        option,
        pattern,
        f"this regex also allows {attack!r}, of {where}: a site anyone can register",
        f"{f'write {show_regex(fix)}' if fix else advice}, or pass {OPT_OUT}=True "
        "if that is meant (never with credentials)",
    )


def regex_problems(
    pattern: re.Pattern[str], *, option: str = "origins", allow_wildcards: bool = False
) -> list[Problem]:
    """What is wrong with one compiled regex in ``origins``: a construct that cannot be judged,
    or a registrable domain it admits and does not name (unless *allow_wildcards*, or unless
    it admits every host: see ``wide_regex``). ``re.compile(r"https://app.example.com")`` gets
    "an unescaped '.' matches any character, so this regex also allows
    'https://appxexample.com'" and the fix ``re.compile(r"https://app\\.example\\.com")``.
    """
    verdict = _verdict(pattern)
    if not isinstance(verdict, Verdict):
        return [_unsupported(option, pattern, verdict)]
    if verdict.attack is None or verdict.every_host is not None or allow_wildcards:
        return []
    return [_foreign_problem(option, pattern, verdict)]


def wide_regex(pattern: re.Pattern[str]) -> WideRegex | None:
    """Whether *pattern* admits every host of some scheme (``r"https://.*"``, ``r".*"``)."""
    verdict = _verdict(pattern)
    if not isinstance(verdict, Verdict) or verdict.every_host is None:
        return None
    return WideRegex(pattern, verdict.every_host, f"{verdict.every_host}://{_EXAMPLE_HOST}")


def foreign_regex(pattern: re.Pattern[str]) -> WideRegex | None:
    """Whether *pattern* admits a registrable domain it does not name: with the origin it
    admits (its scheme is the origin's)."""
    verdict = _verdict(pattern)
    if not isinstance(verdict, Verdict) or verdict.attack is None:
        return None
    return WideRegex(pattern, verdict.attack.split("://")[0], verdict.attack)


def plain_http_example(pattern: re.Pattern[str]) -> str | None:
    """A plain-http (or ws) origin of a host other than this machine that *pattern* allows."""
    try:
        return quiet(_origin_language.plain_http_example)(pattern)
    except (Unsupported, TooLarge):
        return None


def any_host_problem(matcher: OriginMatcher, *, option: str = "origins") -> Problem | None:
    """The refusal, for a policy with credentials, of a regex that admits any host (the same
    refusal as ``'*'``) or a registrable domain it does not name (accepted without credentials
    by ``allow_regex_wildcards=True``); ``None`` when *matcher* has neither."""
    if matcher.any_host:
        wide = matcher.any_host[0]
        message = (
            f"this regex allows every {wide.scheme} origin (even {wide.example!r}): it is '*' "
            "in effect, and with supports_credentials=True every site could read responses "
            "made with the user's cookies"
        )
        fix = (
            "list the trusted origins or a subdomain pattern like 'https://*.example.com' (or "
            "a regex naming your domain), or drop supports_credentials for a public API"
        )
    elif matcher.foreign:
        wide = matcher.foreign[0]
        message = (
            f"this regex allows {wide.example!r}, a site of a registrable domain it does not "
            "name: with supports_credentials=True that site could read responses made with "
            f"the user's cookies ({OPT_OUT}=True does not consent to that)"
        )
        fix = credentials_fix(wide)
    else:
        return None
    return Problem(option, wide.pattern, message, fix)


def credentials_fix(loose: WideRegex) -> str:
    """The fix for a regex with credentials that admits *loose.example*, a site of a domain it
    does not name: the rewrite proven to refuse it when there is one."""
    fix = _proven_fix(loose.pattern, loose.example)
    advice = (
        f"write {show_regex(fix)}"
        if fix is not None
        else "name your domain after a '\\.', like r'https://[a-z0-9-]+\\.example\\.com'"
    )
    return f"{advice}, or drop supports_credentials for a public API"


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
    verdict = _verdict(compiled)
    fix = None
    if isinstance(verdict, Verdict) and verdict.attack is not None and verdict.every_host is None:
        fix = _proven_fix(compiled, verdict.attack)
    shown = show_regex(fix or compiled)
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
