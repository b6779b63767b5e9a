"""The MDN HTTP Observatory's Content-Security-Policy test, rewritten in Python.

The Observatory (mdn/mdn-http-observatory, ``src/analyzer/cspParser.js`` and
``src/analyzer/tests/csp.js``) reads every policy a response carries, in headers and in
``<meta http-equiv>`` tags, and combines them into one: a directive's sources are the ones every
policy that names it allows. It then looks for unsafe sources in a fixed order, and the first one
found decides the result. This module reproduces that reading step by step, including its
quirks, because the point is to give the score the Observatory gives (the words of a policy
are crossgate's one CSP grammar, :mod:`crossgate.headers._csp`; what they mean here is the
Observatory's):

- a directive repeated in one policy makes the whole header invalid (``report-uri`` and
  ``report-to`` excepted: they are only noted);
- a source directive without sources means ``'none'``;
- a directive named only by a later policy ends up ``'none'``;
- sources are sorted with a locale collation (``Intl.Collator("en")``) before they are compared,
  which decides which of two overlapping sources is kept; :func:`_collation_key` orders ASCII the
  way that collation does;
- ``script-src`` or ``style-src`` falling back to ``default-src`` is the same set: removing
  ``'unsafe-inline'`` beside a nonce from one removes it from the other, as in the original.

Nothing here decides what is *safe*; :mod:`crossgate.grade._csp_eval` does that, in the spirit of
Google's CSP Evaluator.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from crossgate.headers._csp import split_directives, split_policies

_SHORTEST_POLICY = len("img-src") - 1
_META_FORBIDDEN = ("frame-ancestors", "report-uri", "sandbox")
_DUPLICATES_ALLOWED = frozenset({"report-uri", "report-to"})
_BROAD = frozenset({"ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*"})
_BROAD |= {"https://*.*"}
_INLINE = frozenset({"'unsafe-inline'", "data:"})
_BROAD_OR_INLINE = _BROAD | _INLINE
_PASSIVE = ("img-src", "media-src")
_NONCE_OR_HASH = ("'sha256-", "'sha384-", "'sha512-", "'nonce-")
_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")

# ICU's root collation (which Intl.Collator("en") uses) puts ASCII punctuation and symbols in
# this order, then digits, then letters; lowercase strings compare character by character.
_COLLATION = "_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz"
_RANK = {char: rank for rank, char in enumerate(_COLLATION)}


class InvalidPolicy(ValueError):
    """A policy the Observatory cannot parse: the test's result is ``csp-header-invalid``."""


def _collation_key(text: str) -> tuple[int, ...]:
    # Spaces never occur in a source; other characters follow the ASCII letters by code point.
    return tuple(_RANK.get(char, len(_RANK) + ord(char)) for char in text)


@dataclass(slots=True)
class _Source:
    text: str
    policy: int
    keep: bool


def parse_csp(policies: Sequence[str]) -> tuple[dict[str, set[str]], bool]:
    """The combined policy, directive -> sources, and whether a report directive was repeated.

    :raises InvalidPolicy: an empty or too short policy, a repeated directive, or a path that
        does not percent-decode.
    """
    cleaned = [re.sub(r"[\r\n]", "", policy).strip() for policy in policies]
    if not cleaned:
        return {}, False
    for policy in cleaned:
        if len(policy) < _SHORTEST_POLICY:
            raise InvalidPolicy(f"policy too short: {policy!r}")
    combined: dict[str, list[_Source]] = {}
    repeated_reports = False
    for index, policy in enumerate(cleaned):
        seen: set[str] = set()
        for name, values in split_directives(policy):
            directive = name.lower()
            if directive in seen:
                if directive not in _DUPLICATES_ALLOWED:
                    raise InvalidPolicy(f"directive {directive!r} repeated in policy {index}")
                repeated_reports = True
            seen.add(directive)
            keep = index == 0
            sources = [_Source(value.lower(), index, keep) for value in values]
            if not values and directive.endswith("-src"):
                sources = [_Source("'none'", index, keep)]
            merged = sources if index == 0 else [*combined.get(directive, ()), *sources]
            merged.sort(key=lambda source: _collation_key(source.text))
            for before, source in itertools.pairwise(merged):
                if source.policy == before.policy and source.text.startswith(before.text):
                    source.keep = False  # a longer path under a shorter one adds nothing
                if source.policy != before.policy and _path_part_match(before.text, source.text):
                    source.keep = True  # allowed by both policies
            combined[directive] = [source for source in merged if source.keep]
            if index == 0 and len(cleaned) > 1:
                # A later policy must allow a source again for it to stay.
                for source in combined[directive]:
                    source.keep = False
    parsed = {
        directive: {source.text for source in sources} or {"'none'"}
        for directive, sources in combined.items()
    }
    return parsed, repeated_reports


def _decode(piece: str) -> str:
    """decodeURIComponent: a stray '%', or escapes that are not UTF-8, is an error."""
    if _PERCENT.search(piece):
        raise InvalidPolicy(f"bad percent-encoding in {piece!r}")

    def run(match: re.Match[str]) -> str:
        encoded = bytes(int(pair, 16) for pair in match[0].split("%")[1:])
        try:
            return encoded.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidPolicy(f"bad percent-encoding in {piece!r}") from None

    return _ESCAPES.sub(run, piece)


def _path_part_match(first: str, second: str) -> bool:
    if not first:
        return True
    if first == "/" and not second:
        return True
    exact = not first.endswith("/")
    parts, other = first.split("/"), second.split("/")
    if len(parts) > len(other) or (exact and len(parts) != len(other)):
        return False
    if not exact:
        parts.pop()
    return all(_decode(piece) == _decode(other[i]) for i, piece in enumerate(parts))


@dataclass(slots=True)
class CspOutcome:
    """The CSP test's result and what it found.

    :param result: the Observatory's expectation name (``csp-implemented-with-no-unsafe``...).
    :param policy: the combined policy (empty when not implemented or invalid).
    :param flags: the Observatory's policy analysis: ``unsafeInline``, ``strictDynamic``...
    :param http: a policy came in a header; *meta*: in a ``<meta http-equiv>`` tag.
    """

    result: str
    policy: dict[str, list[str]] = field(default_factory=dict)
    flags: dict[str, bool] = field(default_factory=dict)
    http: bool = False
    meta: bool = False
    passed: bool = False


def _first(csp: dict[str, set[str]], *names: str) -> set[str]:
    # The same set object, not a copy: the original edits script-src and default-src in place.
    for name in names:
        if name in csp:
            return csp[name]
    return {"*"}


def csp_test(
    header_values: Sequence[str],
    meta_values: Sequence[str],
    report_only: bool,
    *,
    https: bool,
) -> CspOutcome:
    """The Observatory's CSP test on a response's ``Content-Security-Policy`` header lines and
    the ``content`` of its ``<meta http-equiv="Content-Security-Policy">`` tags."""
    header_policies = split_policies(header_values)
    meta_policies = split_policies(meta_values)
    try:
        csp, repeated_reports = parse_csp([*header_policies, *meta_policies])
    except InvalidPolicy:
        return CspOutcome("csp-header-invalid")
    try:
        header_only, _ = parse_csp(header_policies)
    except InvalidPolicy:
        header_only = {}
    try:
        meta_only, _ = parse_csp(meta_policies)
        for directive in _META_FORBIDDEN:
            meta_only.pop(directive, None)
    except InvalidPolicy:
        meta_only = {}
    if not header_only and not meta_only:
        missing = "csp-not-implemented-but-reporting-enabled" if report_only else None
        return CspOutcome(missing or "csp-not-implemented")
    outcome = CspOutcome("", http=bool(header_policies), meta=bool(meta_policies))
    result = _csp_result(csp, header_only, outcome.flags, https=https)
    passing = (
        "csp-implemented-with-no-unsafe",
        "csp-implemented-with-no-unsafe-default-src-none",
        "csp-implemented-with-unsafe-inline-in-style-src-only",
        "csp-implemented-with-insecure-scheme-in-passive-content-only",
    )
    if result in passing:
        outcome.passed = True
        if repeated_reports:
            result = "csp-implemented-but-duplicate-directives"
    outcome.result = result
    outcome.policy = {name: sorted(sources) for name, sources in csp.items()}
    return outcome


def _csp_result(
    csp: dict[str, set[str]],
    header_only: dict[str, set[str]],
    flags: dict[str, bool],
    *,
    https: bool,
) -> str:
    """The first unsafe thing found decides; *flags* gets the Observatory's whole analysis."""
    base_uri = _first(csp, "base-uri")
    frame_ancestors = _first(header_only, "frame-ancestors")
    form_action = _first(csp, "form-action")
    object_src = _first(csp, "object-src", "default-src")
    script_src = _first(csp, "script-src", "default-src")
    style_src = _first(csp, "style-src", "default-src")
    for sources in (script_src, style_src):
        if _has_nonce_or_hash(sources):
            sources.discard("'unsafe-inline'")  # browsers ignore it beside a nonce or hash
    result: str | None = None
    flags["strictDynamic"] = False
    if _has_nonce_or_hash(script_src) and "'strict-dynamic'" in script_src:
        for source in list(script_src):
            if source.startswith(tuple(_BROAD)) or source in ("'self'", "'unsafe-inline'"):
                script_src.discard(source)
        flags["strictDynamic"] = True
    elif "'strict-dynamic'" in script_src:
        result = "csp-header-invalid"
    active = [
        source
        for directive, sources in csp.items()
        if directive not in _PASSIVE and directive != "script-src"
        for source in sources
    ]
    active += script_src
    passive = [source for name in _PASSIVE for source in csp.get(name, csp.get("default-src", ()))]
    checks = (
        (
            "unsafeInline",
            "csp-implemented-with-unsafe-inline",
            bool(script_src & _BROAD_OR_INLINE) or bool(object_src & _BROAD),
        ),
        (
            "insecureSchemeActive",
            "csp-implemented-with-insecure-scheme",
            https and any(source.startswith(("http:", "ftp:")) for source in active),
        ),
        (
            "unsafeEval",
            "csp-implemented-with-unsafe-eval",
            "'unsafe-eval'" in script_src | style_src,
        ),
        (
            "insecureSchemePassive",
            "csp-implemented-with-insecure-scheme-in-passive-content-only",
            https and any(source.startswith(("http:", "ftp:")) for source in passive),
        ),
        (
            "unsafeInlineStyle",
            "csp-implemented-with-unsafe-inline-in-style-src-only",
            bool(style_src & _BROAD_OR_INLINE),
        ),
        (
            "defaultNone",
            "csp-implemented-with-no-unsafe-default-src-none",
            csp.get("default-src") == {"'none'"},
        ),
    )
    for flag, expectation, found in checks:
        flags[flag] = found
        if found and result is None:
            result = expectation
    flags["antiClickjacking"] = not frame_ancestors & _BROAD
    flags["insecureBaseUri"] = bool(base_uri & _BROAD_OR_INLINE)
    flags["insecureFormAction"] = bool(form_action & _BROAD)
    flags["unsafeObjects"] = bool(object_src & _BROAD)
    return result or "csp-implemented-with-no-unsafe"


def _has_nonce_or_hash(sources: set[str]) -> bool:
    return any(source.startswith(_NONCE_OR_HASH) for source in sources)
