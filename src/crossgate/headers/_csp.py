"""The Content-Security-Policy grammar: parsing a policy, writing it back, nonces, directive checks.

A policy is kept as a list of ``(directive, sources)`` pairs from the moment it is parsed, so the
checks, the nonce and ``report-to`` see directives rather than text. Problems are appended to
the caller's list, so :func:`~crossgate.headers.compile_headers` reports them with every other
one. Knows CSP and nothing about the other headers.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Iterable, Mapping

from crossgate._http import CONTROL, TOKEN
from crossgate.errors import Problem, closest_name, describe

#: A parsed policy: each directive's name and its sources, in order.
Directives = list[tuple[str, tuple[str, ...]]]

# CSP3 directive-name grammar, restricted to the lowercase spelling every browser documents.
_DIRECTIVE_NAME = re.compile(r"[a-z0-9-]+")
_DIRECTIVE_NAME_ANY_CASE = re.compile(r"[A-Za-z0-9-]+")
#: CSP3 base64-value: standard and URL-safe alphabets, up to two "=" of padding.
NONCE = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")
#: The directive that only makes sense on https responses.
UPGRADE = "upgrade-insecure-requests"

# Directives of CSP level 3 and the ones still in common use; only used to spot misspellings,
# so a directive a future browser adds is never refused for being unknown.
_KNOWN_DIRECTIVES = frozenset(
    {
        "base-uri",
        "block-all-mixed-content",
        "child-src",
        "connect-src",
        "default-src",
        "fenced-frame-src",
        "font-src",
        "form-action",
        "frame-ancestors",
        "frame-src",
        "img-src",
        "manifest-src",
        "media-src",
        "object-src",
        "report-to",
        "report-uri",
        "require-trusted-types-for",
        "sandbox",
        "script-src",
        "script-src-attr",
        "script-src-elem",
        "style-src",
        "style-src-attr",
        "style-src-elem",
        "trusted-types",
        "upgrade-insecure-requests",
        "webrtc",
        "worker-src",
    }
)
# Nonces only ever authorise <script> and <style> elements; -attr directives cannot use them.
_NONCE_DIRECTIVES = ("script-src", "style-src", "script-src-elem", "style-src-elem", "default-src")

_KEYWORDS = frozenset(
    {
        "self",
        "none",
        "unsafe-inline",
        "unsafe-eval",
        "unsafe-hashes",
        "strict-dynamic",
        "report-sample",
        "wasm-unsafe-eval",
        "inline-speculation-rules",
    }
)


def make_nonce() -> str:
    """Return a fresh CSP nonce: 128 random bits from :mod:`secrets`, base64-encoded.

    Make one per response and pass it to :meth:`~crossgate.headers.HeaderPolicy.apply` and to
    the template that renders ``<script nonce="...">``.
    """
    return base64.b64encode(secrets.token_bytes(16)).decode("ascii")


def nonce_segments(csp: str, nonce_directives: tuple[str, ...]) -> tuple[str, ...]:
    """Split *csp* where the nonce goes, so a response needs one ``str.join``."""
    if not nonce_directives:
        return ()
    parts = []
    for name, sources in split_directives(csp):
        if name in nonce_directives:
            # Next to any other source 'none' is ignored, with a console warning in Chromium.
            sources = tuple(source for source in sources if source.lower() != "'none'")
            sources += ("\x00",)
        parts.append(" ".join((name, *sources)))
    # A validated policy never contains NUL, so it is a safe place-holder.
    return tuple("; ".join(parts).split("\x00"))


def split_policies(values: Iterable[str]) -> list[str]:
    """Every policy in the header lines *values*: a comma separates two policies, which the
    browser enforces both. Empty ones are kept; each is stripped of surrounding whitespace."""
    return [policy.strip() for value in values for policy in value.split(",")]


def split_directives(csp: str) -> Directives:
    """The directives of one serialized policy, in order and as written: the CSP grammar.

    Directives are separated by ``;``, a directive's name and sources by whitespace; empty
    directives are skipped. Repeated directives are all kept, and nothing is lowercased: a
    policy crossgate checked has neither, and a reader of received policies decides what a
    repetition means (:func:`read_policy` reads it as a browser does).
    """
    directives: Directives = []
    for part in csp.split(";"):
        words = part.split()
        if words:
            directives.append((words[0], tuple(words[1:])))
    return directives


def read_policy(csp: str) -> dict[str, tuple[str, ...]]:
    """A received policy as a browser reads it (CSP3, "parse a serialized CSP"): directive
    names in lowercase, and a directive already seen ignored."""
    policy: dict[str, tuple[str, ...]] = {}
    for name, sources in split_directives(csp):
        policy.setdefault(name.lower(), sources)
    return policy


def serialize_directives(directives: Directives) -> str:
    """The header value of *directives*."""
    return "; ".join(" ".join((name, *sources)) for name, sources in directives)


def parse_csp(csp: object, option: str, problems: list[Problem]) -> Directives:
    """Parse a CSP given as a string or a mapping; append problems, return the directives."""
    before = len(problems)
    directives: Directives = []
    if isinstance(csp, str):
        problem = _csp_text_problem(csp, option, allow_semicolon=True)
        if problem is not None:
            problems.append(problem)
            return []
        directives = split_directives(csp)
    elif isinstance(csp, Mapping):
        for name, value in csp.items():
            sources = _csp_sources(name, value, f"{option}[{describe(name)}]", problems)
            if isinstance(name, str):
                directives.append((name, sources))
    else:
        problems.append(
            Problem(
                option,
                csp,
                "is not a policy",
                "give a string (\"default-src 'self'\") or a dict "
                "({'default-src': \"'self'\", 'img-src': [\"'self'\", 'data:']})",
            )
        )
        return []
    if not directives and len(problems) == before:
        problems.append(
            Problem(
                option, csp, "has no directives", "give at least one, e.g. \"default-src 'self'\""
            )
        )
    seen: set[str] = set()
    for name, sources in directives:
        problem = _directive_problem(name, option, csp)
        if problem is None and name in seen:
            problem = Problem(
                option,
                csp,
                f"gives the directive {describe(name)} twice (browsers ignore the second)",
                "merge the sources into one directive",
            )
        if problem is not None:
            problems.append(problem)
        seen.add(name)
        problems.extend(
            # Unquoted, a keyword is a host name: "self" allows https://self, not this origin.
            Problem(
                f"{option}[{describe(name)}]",
                source,
                "is a keyword without its quotes",
                f"write \"'{source}'\"",
            )
            for source in sources
            if source.lower() in _KEYWORDS
        )
    return directives if len(problems) == before else []


def _csp_sources(
    name: object, value: object, option: str, problems: list[Problem]
) -> tuple[str, ...]:
    if not isinstance(name, str):
        problems.append(
            Problem(option, value, "is under a key that is not a directive name", "use a str key")
        )
        return ()
    items: list[object]
    if isinstance(value, str):
        items = [value]
    elif isinstance(value, Iterable):
        items = list(value)
    else:
        problems.append(
            Problem(
                option,
                value,
                "is not a source list",
                "give a string (\"'self' data:\") or a list of strings",
            )
        )
        return ()
    sources: list[str] = []
    for item in items:
        if not isinstance(item, str):
            problems.append(Problem(option, item, "is not a string", "give sources as str"))
            continue
        problem = _csp_text_problem(item, option, allow_semicolon=False)
        if problem is None:
            sources.extend(item.split())
        else:
            problems.append(problem)
    return tuple(sources)


def _csp_text_problem(text: str, option: str, *, allow_semicolon: bool) -> Problem | None:
    if CONTROL.search(text):
        return Problem(
            option,
            text,
            "contains a control character (CR, LF or NUL would split the response header)",
            "remove the control characters",
        )
    if not allow_semicolon and ";" in text:
        return Problem(
            option,
            text,
            "contains ';', which ends a directive",
            "give each directive its own key in the csp dict",
        )
    if "," in text:
        return Problem(
            option,
            text,
            "contains ',', which starts a second policy the browser enforces as well",
            "remove the ',' (percent-encode it as %2C inside a URL)",
        )
    if not text.isascii():
        return Problem(
            option,
            text,
            "contains non-ASCII characters, which CSP does not allow",
            "use punycode host names and percent-encoded paths",
        )
    return None


def _directive_problem(name: str, option: str, csp: object) -> Problem | None:
    """The problem of the directive *name* in the policy *csp* (the value the user gave)."""
    shown = describe(name)
    if _DIRECTIVE_NAME.fullmatch(name):
        close = closest_name(name, _KNOWN_DIRECTIVES, cutoff=0.85)
        if name in _KNOWN_DIRECTIVES or close is None:
            return None
        return Problem(
            option,
            csp,
            f"has the directive {shown}, which looks misspelt (browsers ignore unknown ones)",
            f"write {close!r}",
        )
    if _DIRECTIVE_NAME_ANY_CASE.fullmatch(name):
        return Problem(
            option, csp, f"has the directive {shown}, not lowercase", f"write {name.lower()!r}"
        )
    return Problem(
        option,
        csp,
        f"has {shown}, which is not a directive name (letters, digits and '-')",
        "check the spelling, e.g. 'img-src'",
    )


def add_report_to(report_to: object, directives: Directives, problems: list[Problem]) -> None:
    """Add the ``csp_report_to`` endpoint to *directives* as ``report-to``, or the problem."""
    if not isinstance(report_to, str) or TOKEN.fullmatch(report_to) is None:
        problems.append(
            Problem(
                "csp_report_to",
                report_to,
                "is not an endpoint name",
                "give the name defined in Reporting-Endpoints, e.g. 'csp-endpoint'",
            )
        )
    elif any(name == "report-to" for name, _ in directives):
        problems.append(
            Problem(
                "csp_report_to",
                report_to,
                "is also given as a report-to directive in the policy",
                "give the endpoint once",
            )
        )
    else:
        directives.append(("report-to", (report_to,)))


def nonce_names(
    names: list[object], directives: Directives, problems: list[Problem]
) -> tuple[str, ...]:
    """The ``csp_nonce_directives`` that can carry a nonce; a missing one is added to
    *directives* from ``default-src``."""
    chosen: list[str] = []
    sources = dict(directives)
    for name in names:
        if not isinstance(name, str) or name not in _NONCE_DIRECTIVES:
            fix = f"choose from {', '.join(repr(n) for n in _NONCE_DIRECTIVES)}"
            problems.append(Problem("csp_nonce_directives", name, "cannot carry a nonce", fix))
            continue
        # An invalid policy was reported already and has nothing to check against.
        if directives and name not in sources:
            if name == "default-src" or "default-src" not in sources:
                problems.append(
                    Problem(
                        "csp_nonce_directives",
                        name,
                        "is not in the policy, and there is no default-src to start it from",
                        f"add {name!r} to csp with the sources it allows",
                    )
                )
                continue
            # A new directive replaces the default-src fallback for its kind of resource, so it
            # starts from default-src's sources to allow no less than before, plus the nonce.
            sources[name] = sources["default-src"]
            directives.append((name, sources[name]))
        chosen.append(name)
    return tuple(chosen)
