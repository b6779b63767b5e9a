"""Option validation: :func:`compile_headers` turns header options into a :class:`HeaderPolicy`.

Every option is checked here, at start-up, and every problem is collected, each with its fix,
into one :class:`~crossgate.errors.ConfigError`. The CSP grammar is ``_csp``'s, HSTS is
``_hsts``'s; this module decides how the options of one call combine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from types import MappingProxyType

from crossgate._http import CONTROL, TOKEN, join_list
from crossgate.errors import ConfigError, Problem, closest_name, describe
from crossgate.headers._csp import (
    UPGRADE,
    Directives,
    add_report_to,
    nonce_names,
    parse_csp,
    serialize_directives,
    split_directives,
)
from crossgate.headers._hsts import HSTS, hsts_fix, hsts_setting
from crossgate.headers._policy import LIST_VALUED, HeaderPolicy, HeaderSetting, list_tokens
from crossgate.headers._presets import PRESETS, Preset, PresetHeader

_CSP = "content-security-policy"
_CSP_REPORT_ONLY = "content-security-policy-report-only"
_HSTS = "strict-transport-security"
_CORP = "cross-origin-resource-policy"

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
    *context* (``"blueprint 'admin'"``) appears in error messages and in each setting's ``context``.

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
        chosen_hsts = hsts_setting(hsts, context, problems)
        if chosen_hsts is not None:
            settings[_HSTS] = chosen_hsts

    nonce_requested = _names_option(csp_nonce_directives, "csp_nonce_directives", problems)
    managed: tuple[str, str, Directives] | None = None
    if csp is not None:
        managed = ("csp", "from csp=", parse_csp(csp, "csp", problems))
    elif preset_csp is not None and _CSP not in raw:
        managed = (preset_csp.source, preset_csp.reason, split_directives(preset_csp.value or ""))
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
        nonced = nonce_names(nonce_requested, directives, problems)
        if csp_report_to is not None:
            add_report_to(csp_report_to, directives, problems)
        if target != _CSP and preset_csp is not None and settings.get(_CSP) is preset_csp:
            # One scope has one managed policy: in report-only mode it no longer enforces.
            del settings[_CSP]
        settings[target] = _csp_setting(target, directives, nonced, source, reason, context)

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
        close = closest_name(preset.lower(), PRESETS)
        if close is not None:
            fix = f"write {close!r} ({fix})"
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
        if key in LIST_VALUED:
            # Sent as is when the view sets none, so it gets the same clean-up as a merge.
            value = join_list(key, list_tokens(key, value))
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
        problems.append(
            Problem(
                option, value, "is set under a name that is not a header name (RFC 9110 token)", fix
            )
        )
        return False
    key = name.lower()
    if key in _SERVER_MANAGED:
        problems.append(
            Problem(
                option,
                value,
                "is for a hop-by-hop or framing header, which the server manages "
                "(PEP 3333 forbids applications from setting hop-by-hop headers)",
                "remove it",
            )
        )
    elif key.startswith("access-control-"):
        problems.append(
            Problem(
                option,
                value,
                "is for a CORS header, which depends on each request's Origin",
                "remove it and use crossgate's CORS options (origins=, methods=, allow_headers=, "
                "expose_headers=, supports_credentials=, max_age=)",
            )
        )
    elif key in _DEPRECATED:
        problems.append(Problem(option, value, "is for a deprecated header", _DEPRECATED[key]))
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
                hsts_fix(value),
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
        parse_csp(value, option, problems)
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
    if key in LIST_VALUED and not list_tokens(key, value):
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


def _csp_setting(
    target: str,
    directives: Directives,
    nonced: tuple[str, ...],
    source: str,
    reason: str,
    context: str,
) -> HeaderSetting:
    name = "Content-Security-Policy"
    if target == _CSP_REPORT_ONLY:
        name += "-Report-Only"
    # Upgrading subresources of a plain-http page breaks it wherever https is not served
    # (Safari upgrades even http://localhost), so, like HSTS, the directive is https-only.
    http_directives = [item for item in directives if item[0] != UPGRADE]
    return HeaderSetting(
        name,
        serialize_directives(directives),
        serialize_directives(http_directives) or None,
        source,
        reason,
        context,
        nonce_directives=nonced,
    )


def _unknown_override(name: object, settings: Mapping[str, HeaderSetting]) -> Problem:
    sent = [setting.name for setting in settings.values() if setting.value is not None]
    fix = "add the header to headers= (or choose a preset that sets it) first"
    if isinstance(name, str):
        close = closest_name(name, sent)
        if close is not None:
            fix = f"write {close!r}"
    return Problem("override", name, "is not a header this policy sets", fix)
