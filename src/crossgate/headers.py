"""Declarative response headers: presets, validation, merging and the per-response step.

:func:`compile_headers` turns options into an immutable :class:`HeaderPolicy` once, at start-up,
reporting every configuration problem at once. The adapter then calls :meth:`HeaderPolicy.apply`
at the WSGI edge with the response's header list, exactly as it is about to be passed to
``start_response``. Policies of nested scopes (app, blueprint, view) are combined with
:meth:`HeaderPolicy.merged_with`.

This module is framework-free: it knows HTTP, CSP and the browsers' rules, nothing about Flask.

.. code-block:: python

    policy = compile_headers(preset="web", headers={"X-Frame-Options": "DENY"})
    headers = [("Content-Type", "text/html; charset=utf-8")]
    policy.apply(headers, secure=True)
"""

from __future__ import annotations

import base64
import difflib
import functools
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from crossgate._http import CONTROL, TOKEN, join_list, list_members, merge_list
from crossgate.errors import ConfigError, Problem, describe

__all__ = [
    "HSTS",
    "PRESETS",
    "HeaderPolicy",
    "HeaderSetting",
    "Preset",
    "PresetHeader",
    "compile_headers",
    "make_nonce",
]

# CSP3 directive-name grammar, restricted to the lowercase spelling every browser documents.
_DIRECTIVE_NAME = re.compile(r"[a-z0-9-]+")
_DIRECTIVE_NAME_ANY_CASE = re.compile(r"[A-Za-z0-9-]+")
# CSP3 base64-value: standard and URL-safe alphabets, up to two "=" of padding.
_NONCE = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")
# One element of a comma-separated list; a quoted string may contain commas (Cache-Control's
# private="Set-Cookie, X") and an unterminated quote runs to the end instead of failing.

_CSP = "content-security-policy"
_CSP_REPORT_ONLY = "content-security-policy-report-only"
_HSTS = "strict-transport-security"
_CORP = "cross-origin-resource-policy"
_UPGRADE = "upgrade-insecure-requests"
# Headers whose value is a list the view and the policy can both contribute to.
_LIST_VALUED = frozenset({"vary", "cache-control"})

# Hop-by-hop headers (RFC 9110 section 7.6.1; PEP 3333 forbids WSGI applications from sending
# them) and the framing headers the server computes from the body it actually sends.
_SERVER_MANAGED = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "content-length",
    }
)
_DEPRECATED = MappingProxyType(
    {
        "expect-ct": "remove it (Certificate Transparency is enforced by default)",
        "feature-policy": (
            "use Permissions-Policy instead (its syntax differs: camera=(), geolocation=(self))"
        ),
        "public-key-pins": "remove it (browsers dropped key pinning; a wrong pin locks users out)",
        "public-key-pins-report-only": "remove it (browsers dropped key pinning)",
    }
)
_XSS_FIX = "remove it (modern browsers ignore it; use Content-Security-Policy)"

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

_Line = tuple[str, str]
_Directives = list[tuple[str, tuple[str, ...]]]


def make_nonce() -> str:
    """Return a fresh CSP nonce: 128 random bits from :mod:`secrets`, base64-encoded.

    Make one per response and pass it to :meth:`HeaderPolicy.apply` and to the template that
    renders ``<script nonce="...">``.
    """
    return base64.b64encode(secrets.token_bytes(16)).decode("ascii")


@dataclass(frozen=True, slots=True)
class HSTS:
    """Strict-Transport-Security options; ``HSTS().value`` is the header value.

    The defaults are OWASP's: two years, subdomains included. ``preload`` asks browsers to ship
    the host in their built-in list, which https://hstspreload.org only accepts with
    ``include_subdomains=True`` and ``max_age`` of at least a year; anything else is a
    :class:`~crossgate.errors.ConfigError`.

    >>> HSTS(max_age=31536000, preload=True).value
    'max-age=31536000; includeSubDomains; preload'
    """

    max_age: int = 63072000
    include_subdomains: bool = True
    preload: bool = False

    @property
    def value(self) -> str:
        """The header value; raises :class:`~crossgate.errors.ConfigError` if invalid."""
        problems = _hsts_problems(self)
        if problems:
            raise ConfigError(problems)
        parts = [f"max-age={self.max_age}"]
        if self.include_subdomains:
            parts.append("includeSubDomains")
        if self.preload:
            parts.append("preload")
        return "; ".join(parts)


_PRELOAD_MIN_AGE = 31536000


def _hsts_problems(hsts: HSTS) -> list[Problem]:
    problems = []
    age = hsts.max_age
    if isinstance(age, bool) or not isinstance(age, int) or age < 0:
        problems.append(
            Problem(
                "hsts.max_age",
                age,
                "is not a number of seconds",
                "give a whole number of seconds, e.g. HSTS(max_age=63072000) for two years",
            )
        )
    elif hsts.preload and age < _PRELOAD_MIN_AGE:
        problems.append(
            Problem(
                "hsts.max_age",
                age,
                "is too short for preload (hstspreload.org requires at least a year)",
                f"use HSTS(max_age={_PRELOAD_MIN_AGE}, ...) or more, or drop preload=True",
            )
        )
    if hsts.preload and not hsts.include_subdomains:
        problems.append(
            Problem(
                "hsts.include_subdomains",
                hsts.include_subdomains,
                "must be True for preload (the preload list covers every subdomain)",
                "use HSTS(include_subdomains=True, preload=True), or drop preload=True",
            )
        )
    return problems


@dataclass(frozen=True, slots=True)
class PresetHeader:
    """One header of a preset, with the reason it is there."""

    name: str
    value: str
    reason: str


@dataclass(frozen=True, slots=True)
class Preset:
    """A named, documented set of headers chosen from the OWASP and helmet recommendations."""

    name: str
    summary: str
    headers: tuple[PresetHeader, ...]


_HSTS_HEADER = PresetHeader(
    "Strict-Transport-Security",
    "max-age=63072000; includeSubDomains",
    "https only, for two years, subdomains too (OWASP); sent on https responses only",
)
_NOSNIFF = PresetHeader(
    "X-Content-Type-Options",
    "nosniff",
    "browsers must trust Content-Type instead of guessing, so an upload never runs as a script",
)
_CORP_HEADER = PresetHeader(
    "Cross-Origin-Resource-Policy",
    "same-origin",
    "other sites cannot load responses as images, scripts or media (Spectre, XS-Leaks); "
    "cross-origin on routes whose CORS policy lets other origins read them",
)
_COOP_HEADER = PresetHeader(
    "Cross-Origin-Opener-Policy",
    "same-origin",
    "cross-origin windows that open this page, or that it opens, get no handle on it",
)
_ORIGIN_AGENT_CLUSTER = PresetHeader(
    "Origin-Agent-Cluster", "?1", "asks the browser to isolate this origin in its own agent"
)
_NO_ADOBE_POLICIES = PresetHeader(
    "X-Permitted-Cross-Domain-Policies",
    "none",
    "Adobe clients (Acrobat, Flash) may not load cross-domain policy files from this site",
)

PRESETS: Mapping[str, Preset] = MappingProxyType(
    {
        "web": Preset(
            "web",
            "HTML applications: helmet's defaults, with a referrer policy that keeps "
            "Flask-WTF's https referrer check working",
            (
                PresetHeader(
                    "Content-Security-Policy",
                    "default-src 'self'; base-uri 'self'; font-src 'self' https: data:; "
                    "form-action 'self'; frame-ancestors 'self'; img-src 'self' data:; "
                    "object-src 'none'; script-src 'self'; script-src-attr 'none'; "
                    "style-src 'self' https: 'unsafe-inline'; upgrade-insecure-requests",
                    "helmet's policy: scripts from this origin only, no plugins, no inline "
                    "event handlers, forms and framing kept on this origin",
                ),
                _HSTS_HEADER,
                _NOSNIFF,
                PresetHeader(
                    "X-Frame-Options",
                    "SAMEORIGIN",
                    "frame-ancestors 'self' for browsers without CSP 2 (clickjacking)",
                ),
                PresetHeader(
                    "Referrer-Policy",
                    "strict-origin-when-cross-origin",
                    "other sites see the origin only, never the path; same-origin requests "
                    "keep the full URL, which Flask-WTF checks on https (no-referrer breaks it)",
                ),
                _COOP_HEADER,
                _CORP_HEADER,
                _ORIGIN_AGENT_CLUSTER,
                PresetHeader(
                    "Permissions-Policy",
                    "camera=(), geolocation=(), microphone=()",
                    "no page or embedded frame may use the camera, location or microphone",
                ),
                _NO_ADOBE_POLICIES,
            ),
        ),
        "api": Preset(
            "api",
            "JSON APIs: OWASP's REST recommendations; a response opened as a page does nothing",
            (
                PresetHeader(
                    "Content-Security-Policy",
                    "default-src 'none'; frame-ancestors 'none'",
                    "a JSON response rendered as a page loads nothing and cannot be framed",
                ),
                _HSTS_HEADER,
                _NOSNIFF,
                PresetHeader(
                    "X-Frame-Options", "DENY", "frame-ancestors 'none' for browsers without CSP 2"
                ),
                PresetHeader(
                    "Referrer-Policy",
                    "no-referrer",
                    "nothing in an API response should send a referrer anywhere",
                ),
                _CORP_HEADER,
            ),
        ),
        "strict": Preset(
            "strict",
            "Sensitive HTML applications: OWASP's recommendations, cross-origin isolation, "
            "nothing cached",
            (
                PresetHeader(
                    "Content-Security-Policy",
                    "default-src 'self'; form-action 'self'; base-uri 'self'; "
                    "object-src 'none'; frame-ancestors 'none'; upgrade-insecure-requests",
                    "OWASP's policy: everything from this origin only, no plugins, no framing",
                ),
                _HSTS_HEADER,
                _NOSNIFF,
                PresetHeader(
                    "X-Frame-Options", "DENY", "frame-ancestors 'none' for browsers without CSP 2"
                ),
                PresetHeader(
                    "Referrer-Policy",
                    "same-origin",
                    "no referrer ever leaves the site; same-origin requests keep it, which "
                    "Flask-WTF checks on https (no-referrer breaks it)",
                ),
                _COOP_HEADER,
                _CORP_HEADER,
                PresetHeader(
                    "Cross-Origin-Embedder-Policy",
                    "require-corp",
                    "every cross-origin subresource must opt in (CORP or CORS): cross-origin "
                    "isolation (OWASP)",
                ),
                _ORIGIN_AGENT_CLUSTER,
                PresetHeader(
                    "Permissions-Policy",
                    "accelerometer=(), camera=(), display-capture=(), geolocation=(), "
                    "gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()",
                    "no page or embedded frame may use sensors, camera, microphone, screen "
                    "capture, payments or USB",
                ),
                _NO_ADOBE_POLICIES,
                PresetHeader(
                    "X-DNS-Prefetch-Control",
                    "off",
                    "no DNS look-ups for links the user has not followed (OWASP, sensitive pages)",
                ),
                PresetHeader(
                    "Cache-Control",
                    "no-store",
                    "sensitive responses are never stored by the browser or a shared cache "
                    "(OWASP); merged into the directives a view sets",
                ),
            ),
        ),
    }
)


@dataclass(frozen=True, slots=True)
class HeaderSetting:
    """One header of a policy: its value(s) and where it came from.

    ``value`` is what https responses carry and ``http_value`` what plain-http responses carry
    (``None``: not sent; they differ for Strict-Transport-Security and for a CSP with
    ``upgrade-insecure-requests``). A setting whose ``value`` is ``None`` removes the header a
    less specific scope set. ``source`` is ``"preset:<name>"``, ``"headers"``, ``"hsts"`` or
    ``"csp"``; ``context`` names the scope it was configured in.
    """

    name: str
    value: str | None
    http_value: str | None
    source: str
    reason: str
    context: str = ""
    override: bool = False
    cross_origin_value: str | None = None
    nonce_directives: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Rule:
    """A setting prepared for the per-response path: pre-built lines, lowercase key."""

    key: str
    https_line: _Line | None
    http_line: _Line | None
    cross_origin_line: _Line | None
    https_nonce: tuple[str, ...]
    http_nonce: tuple[str, ...]
    override: bool
    list_tokens: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class HeaderPolicy:
    """The validated, immutable headers of one scope; build it with :func:`compile_headers`."""

    settings: tuple[HeaderSetting, ...] = ()
    context: str = ""
    _rules: tuple[_Rule, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        rules = tuple(_build_rule(s) for s in self.settings if s.value is not None)
        object.__setattr__(self, "_rules", rules)

    def names(self) -> tuple[str, ...]:
        """The names of the headers this policy sends (removals left out), in order."""
        return tuple(setting.name for setting in self.settings if setting.value is not None)

    def describe(self) -> tuple[HeaderSetting, ...]:
        """Every setting, removals included, with its value, source, reason and scope."""
        return self.settings

    def merged_with(self, more_specific: HeaderPolicy) -> HeaderPolicy:
        """Return this policy with *more_specific* layered on top, header by header.

        A header of *more_specific* replaces the same header here (with its override flag,
        nonce and CORP behaviour); a removal (``None``) there drops the header here. Removals
        are kept in the result so that merging stays associative:
        ``app.merged_with(blueprint).merged_with(view)`` equals
        ``app.merged_with(blueprint.merged_with(view))``.
        """
        merged = {setting.name.lower(): setting for setting in self.settings}
        for setting in more_specific.settings:
            merged[setting.name.lower()] = setting
        context = " > ".join(part for part in (self.context, more_specific.context) if part)
        return HeaderPolicy(tuple(merged.values()), context)

    def apply(
        self,
        response_headers: list[tuple[str, str]],
        *,
        secure: bool,
        cross_origin_allowed: bool = False,
        nonce: str | None = None,
    ) -> None:
        """Add this policy's headers to *response_headers*, in place.

        *response_headers* is the list passed to WSGI ``start_response``. A header the response
        already carries wins, unless it was named in ``override`` (then every line of it is
        replaced); ``Vary`` and ``Cache-Control`` are merged instead, into one line without
        duplicates. *secure* says the client's connection is https: Strict-Transport-Security
        and CSP ``upgrade-insecure-requests`` are sent only then. *cross_origin_allowed* says
        the route's CORS policy lets other origins read the response, which relaxes a preset's
        ``Cross-Origin-Resource-Policy: same-origin``. *nonce* (see :func:`make_nonce`) is added
        as ``'nonce-...'`` to the CSP directives named in ``csp_nonce_directives``.
        """
        if nonce is not None and _NONCE.fullmatch(nonce) is None:
            raise ValueError(f"nonce {describe(nonce)} is not base64: create it with make_nonce()")
        present = {name.lower() for name, _ in response_headers}
        for rule in self._rules:
            line = rule.https_line if secure else rule.http_line
            if line is None:
                continue
            if rule.key in present:
                if not rule.override:
                    if rule.list_tokens is not None:
                        merge_list(
                            response_headers,
                            rule.key,
                            rule.list_tokens,
                            key=functools.partial(_list_key, rule.key),
                        )
                    continue
                response_headers[:] = [
                    item for item in response_headers if item[0].lower() != rule.key
                ]
            segments = rule.https_nonce if secure else rule.http_nonce
            if nonce is not None and segments:
                line = (line[0], f"'nonce-{nonce}'".join(segments))
            elif cross_origin_allowed and rule.cross_origin_line is not None:
                line = rule.cross_origin_line
            response_headers.append(line)


def _list_key(header_key: str, token: str) -> str:
    # Cache-Control directives are the same directive whatever their argument.
    if header_key == "cache-control":
        return token.partition("=")[0].strip().lower()
    return token.lower()


def _list_tokens(header_key: str, value: str) -> tuple[str, ...]:
    return tuple(list_members([value], key=functools.partial(_list_key, header_key)).values())


def _build_rule(setting: HeaderSetting) -> _Rule:
    name = setting.name
    key = name.lower()
    value = setting.value or ""
    http_value = setting.http_value
    cross_origin = setting.cross_origin_value
    return _Rule(
        key=key,
        https_line=(name, value),
        http_line=None if http_value is None else (name, http_value),
        cross_origin_line=None if cross_origin is None else (name, cross_origin),
        https_nonce=_nonce_segments(value, setting.nonce_directives),
        http_nonce=()
        if http_value is None
        else _nonce_segments(http_value, setting.nonce_directives),
        override=setting.override,
        list_tokens=_list_tokens(key, value) if key in _LIST_VALUED else None,
    )


def _nonce_segments(csp: str, nonce_directives: tuple[str, ...]) -> tuple[str, ...]:
    """Split *csp* where the nonce goes, so a response needs one ``str.join``."""
    if not nonce_directives:
        return ()
    parts = []
    for name, sources in _split_directives(csp):
        if name in nonce_directives:
            # Next to any other source 'none' is ignored, with a console warning in Chromium.
            sources = tuple(source for source in sources if source.lower() != "'none'")
            sources += ("\x00",)
        parts.append(" ".join((name, *sources)))
    # A validated policy never contains NUL, so it is a safe place-holder.
    return tuple("; ".join(parts).split("\x00"))


def _split_directives(csp: str) -> _Directives:
    directives: _Directives = []
    for part in csp.split(";"):
        words = part.split()
        if words:
            directives.append((words[0], tuple(words[1:])))
    return directives


def _serialize(directives: _Directives) -> str:
    return "; ".join(" ".join((name, *sources)) for name, sources in directives)


def compile_headers(
    *,
    preset: str | None = None,
    headers: Mapping[str, str | None] | None = None,
    override: Iterable[str] = (),
    hsts: HSTS | bool | None = None,
    csp: Mapping[str, str | Iterable[str]] | str | None = None,
    csp_report_only: bool = False,
    csp_report_to: str | None = None,
    csp_nonce_directives: Iterable[str] = (),
    context: str = "",
) -> HeaderPolicy:
    """Validate header options into a :class:`HeaderPolicy`; raise one error listing every problem.

    Within one call, later options win: ``headers`` replaces or removes (``None``) a preset's
    headers, ``hsts`` replaces the preset's Strict-Transport-Security (``False`` removes it) and
    ``csp`` replaces the preset's Content-Security-Policy. ``csp_report_only``,
    ``csp_report_to`` and ``csp_nonce_directives`` apply to that managed policy (``csp`` or the
    preset's). ``override`` names headers whose policy value replaces the one a view set.
    *context* (``"blueprint 'admin'"``) appears in error messages and in :meth:`describe`.

    >>> compile_headers(preset="api", headers={"Referrer-Policy": None}).names()[:2]
    ('Content-Security-Policy', 'Strict-Transport-Security')

    :raises ~crossgate.errors.ConfigError: with every problem found, each with its fix.
    """
    problems: list[Problem] = []
    settings: dict[str, HeaderSetting] = {}
    chosen = _find_preset(preset, problems)
    if chosen is not None:
        source = f"preset:{chosen.name}"
        for header in chosen.headers:
            settings[header.name.lower()] = _preset_setting(header, source, context)
    preset_csp = settings.get(_CSP)

    raw = _check_headers(headers, context, problems)
    settings.update(raw)

    if hsts is not None:
        hsts_setting = _hsts_setting(hsts, context, problems)
        if hsts_setting is not None:
            settings[_HSTS] = hsts_setting

    nonce_requested = _names_option(csp_nonce_directives, "csp_nonce_directives", problems)
    managed: tuple[str, str, _Directives] | None = None
    if csp is not None:
        managed = ("csp", "from csp=", _parse_csp(csp, "csp", problems))
    elif preset_csp is not None and _CSP not in raw:
        managed = (preset_csp.source, preset_csp.reason, _split_directives(preset_csp.value or ""))
    if managed is None:
        _refuse_csp_options(csp_report_only, csp_report_to, nonce_requested, problems)
    else:
        target = _CSP_REPORT_ONLY if csp_report_only else _CSP
        if target in raw:
            by = "csp=" if csp is not None else "csp_report_only=True with the preset's policy"
            problems.append(
                Problem(
                    f"headers[{describe(raw[target].name)}]",
                    raw[target].value,
                    f"is also set by {by}",
                    "give the policy once, with csp=",
                )
            )
        source, reason, directives = managed
        nonce_names = _nonce_names(nonce_requested, directives, problems)
        if csp_report_to is not None:
            _add_report_to(csp_report_to, directives, problems)
        if target != _CSP and preset_csp is not None and settings.get(_CSP) is preset_csp:
            # One scope has one managed policy: in report-only mode it no longer enforces.
            del settings[_CSP]
        settings[target] = _csp_setting(target, directives, nonce_names, source, reason, context)

    for name in _names_option(override, "override", problems):
        overridden = settings.get(name.lower()) if isinstance(name, str) else None
        if overridden is None or overridden.value is None:
            problems.append(_unknown_override(name, settings))
        else:
            settings[overridden.name.lower()] = replace(overridden, override=True)

    if problems:
        raise ConfigError(problems, context=context)
    return HeaderPolicy(tuple(settings.values()), context)


def _find_preset(preset: object, problems: list[Problem]) -> Preset | None:
    if preset is None:
        return None
    if isinstance(preset, str) and preset in PRESETS:
        return PRESETS[preset]
    valid = ", ".join(repr(name) for name in PRESETS)
    fix = f"choose one of {valid}"
    if isinstance(preset, str):
        close = difflib.get_close_matches(preset.lower(), list(PRESETS), n=1)
        if close:
            fix = f"write {close[0]!r} ({fix})"
    problems.append(Problem("preset", preset, "is not a preset", fix))
    return None


def _preset_setting(header: PresetHeader, source: str, context: str) -> HeaderSetting:
    key = header.name.lower()
    cross_origin = None
    if key == _CORP and header.value == "same-origin":
        # CORS-mode fetches ignore CORP, but no-cors loads (<img>, <script>, <video>) from the
        # origins the route's CORS policy trusts would be blocked by same-origin; only a preset
        # value is relaxed, because a value the user wrote is a decision to keep.
        cross_origin = "cross-origin"
    return HeaderSetting(
        header.name,
        header.value,
        None if key == _HSTS else header.value,
        source,
        header.reason,
        context,
        cross_origin_value=cross_origin,
    )


def _check_headers(
    headers: object, context: str, problems: list[Problem]
) -> dict[str, HeaderSetting]:
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        problems.append(
            Problem(
                "headers",
                headers,
                "is not a mapping of header names to values",
                "give a dict, e.g. headers={'X-Frame-Options': 'DENY'}",
            )
        )
        return {}
    checked: dict[str, HeaderSetting] = {}
    spelled: dict[str, str] = {}
    for name, value in headers.items():
        option = f"headers[{describe(name)}]"
        if not _check_header(name, value, option, problems):
            continue
        key = name.lower()
        if key in spelled:
            problems.append(
                Problem(
                    option,
                    value,
                    f"repeats {spelled[key]!r} (header names ignore case)",
                    "give each header once",
                )
            )
            continue
        spelled[key] = name
        if value is None:
            checked[key] = HeaderSetting(name, None, None, "headers", "removed with None", context)
            continue
        if key in _LIST_VALUED:
            # Sent as is when the view sets none, so it gets the same clean-up as a merge.
            value = join_list(key, _list_tokens(key, value))
        checked[key] = HeaderSetting(name, value, value, "headers", "set in headers=", context)
    return checked


def _check_header(name: object, value: object, option: str, problems: list[Problem]) -> bool:
    """Validate one ``headers`` entry; return whether it may be used."""
    before = len(problems)
    if not isinstance(name, str) or TOKEN.fullmatch(name) is None:
        cleaned = name.strip().rstrip(":").strip() if isinstance(name, str) else ""
        fix = "use letters, digits and '-', e.g. 'X-Frame-Options'"
        if TOKEN.fullmatch(cleaned):
            fix = f"write {cleaned!r}"
        problems.append(Problem(option, name, "is not a header name (RFC 9110 token)", fix))
        return False
    key = name.lower()
    if key in _SERVER_MANAGED:
        problems.append(
            Problem(
                option,
                name,
                "is a hop-by-hop or framing header, which the server manages "
                "(PEP 3333 forbids applications from setting hop-by-hop headers)",
                "remove it",
            )
        )
    elif key.startswith("access-control-"):
        problems.append(
            Problem(
                option,
                name,
                "is a CORS header, which depends on each request's Origin",
                "remove it and use crossgate's CORS options (origins=, methods=, allow_headers=, "
                "expose_headers=, supports_credentials=, max_age=)",
            )
        )
    elif key in _DEPRECATED:
        problems.append(Problem(option, name, "is deprecated", _DEPRECATED[key]))
    elif key == "x-xss-protection" and value not in (None, "0"):
        problems.append(
            Problem(
                option,
                value,
                "turns on the XSS filter browsers removed, which itself leaked data",
                _XSS_FIX,
            )
        )
    elif key == _HSTS:
        problems.append(
            Problem(
                option,
                value,
                "is set as a raw header, so it is neither validated nor kept off http responses",
                _hsts_fix(value),
            )
        )
    if len(problems) > before:
        return False
    if value is None:
        return True
    problem = _value_problem(key, value, option)
    if problem is not None:
        problems.append(problem)
    elif key in (_CSP, _CSP_REPORT_ONLY):
        _parse_csp(value, option, problems)
    return len(problems) == before


def _value_problem(key: str, value: object, option: str) -> Problem | None:
    if not isinstance(value, str):
        return Problem(option, value, "is not a string", "give the value as a str, or None")
    if not value.strip():
        return Problem(
            option, value, "is empty", "give a value, or None to remove an inherited header"
        )
    if CONTROL.search(value):
        return Problem(
            option,
            value,
            "contains a control character (CR, LF or NUL would split the response header)",
            "remove the control characters",
        )
    if not _is_latin_1(value):
        return Problem(
            option,
            value,
            "contains characters outside Latin-1, which WSGI cannot send",
            "use ASCII (percent-encode URLs, punycode host names)",
        )
    if key in _LIST_VALUED and not _list_tokens(key, value):
        return Problem(option, value, "lists nothing", "give at least one member, or None")
    if key == "vary":
        members = [member.strip() for member in value.split(",")]
        if any(m and m != "*" and TOKEN.fullmatch(m) is None for m in members):
            listed = ", ".join(value.replace(",", " ").split())
            return Problem(
                option,
                value,
                "is not a comma-separated list of header names",
                f"write {listed!r}",
            )
    return None


def _is_latin_1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _hsts_fix(value: object) -> str:
    if value is None:
        return "use hsts=False to remove an inherited Strict-Transport-Security"
    if isinstance(value, str):
        parts = [part.strip().lower() for part in value.split(";")]
        ages = [part[len("max-age=") :] for part in parts if part.startswith("max-age=")]
        if ages and ages[0].isdigit():
            return (
                f"use hsts=HSTS(max_age={int(ages[0])}, "
                f"include_subdomains={'includesubdomains' in parts}, "
                f"preload={'preload' in parts}): it is validated and sent on https only"
            )
    return "use hsts=HSTS(...): it is validated and sent on https only"


def _hsts_setting(hsts: object, context: str, problems: list[Problem]) -> HeaderSetting | None:
    name = "Strict-Transport-Security"
    if hsts is False:
        return HeaderSetting(name, None, None, "hsts", "removed with hsts=False", context)
    if hsts is True:
        hsts = HSTS()
    if not isinstance(hsts, HSTS):
        problems.append(
            Problem(
                "hsts",
                hsts,
                "is not HSTS(...), True or False",
                "write hsts=True for the defaults, or hsts=HSTS(max_age=...)",
            )
        )
        return None
    found = _hsts_problems(hsts)
    if found:
        problems.extend(found)
        return None
    scope = " and its subdomains" if hsts.include_subdomains else ""
    reason = f"https only for this host{scope} for {hsts.max_age} s; sent on https responses only"
    return HeaderSetting(name, hsts.value, None, "hsts", reason, context)


def _parse_csp(csp: object, option: str, problems: list[Problem]) -> _Directives:
    """Parse a CSP given as a string or a mapping; append problems, return the directives."""
    before = len(problems)
    directives: _Directives = []
    if isinstance(csp, str):
        problem = _csp_text_problem(csp, option, allow_semicolon=True)
        if problem is not None:
            problems.append(problem)
            return []
        directives = _split_directives(csp)
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
        problem = _directive_problem(name, option)
        if problem is None and name in seen:
            problem = Problem(
                option,
                name,
                "is given twice (browsers ignore the second)",
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
        problems.append(Problem(option, name, "is not a directive name", "use a str key"))
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


def _directive_problem(name: str, option: str) -> Problem | None:
    if _DIRECTIVE_NAME.fullmatch(name):
        close = difflib.get_close_matches(name, _KNOWN_DIRECTIVES, n=1, cutoff=0.85)
        if name in _KNOWN_DIRECTIVES or not close:
            return None
        return Problem(
            option,
            name,
            "looks like a misspelt directive (browsers ignore unknown ones)",
            f"write {close[0]!r}",
        )
    if _DIRECTIVE_NAME_ANY_CASE.fullmatch(name):
        return Problem(option, name, "is not lowercase", f"write {name.lower()!r}")
    return Problem(
        option,
        name,
        "is not a directive name (letters, digits and '-')",
        "check the spelling, e.g. 'img-src'",
    )


def _names_option(names: object, option: str, problems: list[Problem]) -> list[object]:
    if isinstance(names, str):
        problems.append(
            Problem(
                option,
                names,
                "is a single string, not a list of names",
                f"write {option}=[{names!r}]",
            )
        )
        return []
    if not isinstance(names, Iterable):
        problems.append(Problem(option, names, "is not a list of names", "give a list of str"))
        return []
    unique: list[object] = []
    for name in names:
        if name not in unique:
            unique.append(name)
    return unique


def _refuse_csp_options(
    report_only: bool, report_to: object, nonce_directives: list[object], problems: list[Problem]
) -> None:
    fix = "give csp= (or a preset with a Content-Security-Policy), or drop this option"
    if report_only:
        problems.append(Problem("csp_report_only", report_only, "has no policy to report on", fix))
    if report_to is not None:
        problems.append(Problem("csp_report_to", report_to, "has no policy to report on", fix))
    if nonce_directives:
        problems.append(
            Problem(
                "csp_nonce_directives", nonce_directives, "has no policy to add a nonce to", fix
            )
        )


def _add_report_to(report_to: object, directives: _Directives, problems: list[Problem]) -> None:
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


def _nonce_names(
    names: list[object], directives: _Directives, problems: list[Problem]
) -> tuple[str, ...]:
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


def _csp_setting(
    target: str,
    directives: _Directives,
    nonce_names: tuple[str, ...],
    source: str,
    reason: str,
    context: str,
) -> HeaderSetting:
    name = "Content-Security-Policy"
    if target == _CSP_REPORT_ONLY:
        name += "-Report-Only"
    # Upgrading subresources of a plain-http page breaks it wherever https is not served
    # (Safari upgrades even http://localhost), so, like HSTS, the directive is https-only.
    http_directives = [item for item in directives if item[0] != _UPGRADE]
    return HeaderSetting(
        name,
        _serialize(directives),
        _serialize(http_directives) or None,
        source,
        reason,
        context,
        nonce_directives=nonce_names,
    )


def _unknown_override(name: object, settings: Mapping[str, HeaderSetting]) -> Problem:
    sent = [setting.name for setting in settings.values() if setting.value is not None]
    fix = "add the header to headers= (or choose a preset that sets it) first"
    if isinstance(name, str):
        close = difflib.get_close_matches(name, sent, n=1)
        if close:
            fix = f"write {close[0]!r}"
    return Problem("override", name, "is not a header this policy sets", fix)
