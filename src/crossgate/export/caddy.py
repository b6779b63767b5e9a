"""The Caddy writer: an export table as a Caddyfile site, decided with Caddy's ``map``.

The same decision as the nginx writer (see ``crossgate.export.nginx``), in Caddy's terms: ``map``
blocks compute ``{crossgate_preflight}``, each policy's ``{crossgate_pN_origin}`` and
``{crossgate_pN_headers}``, and each location's ``{crossgate_lN_state}`` (``pre_ok``, ``pre_no``,
``ok``, ``no``); inside the location's ``handle``, ``vars`` matchers on that state choose the
headers, ``respond`` answers preflights, and ``reverse_proxy`` removes the app's own CORS
headers (``header_down -Name``) so a response never carries two. The app's ``Vary`` is merged
with ``Origin`` by two ``header_down`` replacements (append, then drop a repeat).

Regexes are RE2 here: the table refuses what RE2 cannot run. RE2 also bounds repeats at 1000,
so the engine's 4096-character limit on Access-Control-Request-Headers is left to Caddy's own
header limits.
"""

from __future__ import annotations

from crossgate.engine import PREFLIGHT_VARY
from crossgate.export._regex import HEADER_LIST, SERIALIZED_ORIGIN, allowed_names
from crossgate.export._regex import origin_alternatives as _alternatives
from crossgate.export.headers import CORS_HEADERS, static_lines
from crossgate.export.table import ExportTable, Location, method_answers
from crossgate.policy import ACAC, ACAH, ACAM, ACAO, ACAPN, ACEH, ACMA, CORSPolicy

__all__ = ["write_caddy"]

_IN = "\t"
_ORIGIN = "{http.request.header.Origin}"
_ACRM = "{http.request.header.Access-Control-Request-Method}"
_ACRH = "{http.request.header.Access-Control-Request-Headers}"


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


def _map(source: str, target: str, entries: list[tuple[str, str]], default: str) -> list[str]:
    lines = [f"map {_quoted(source)} {{{target}}} {{"]
    lines += [f"{_IN}{_quoted(key)} {value}" for key, value in entries]
    return [*lines, f"{_IN}default {default}", "}"]


def _policy_maps(number: int, policy: CORSPolicy) -> list[str]:
    if policy.origins.any_origin:
        entries: list[tuple[str, str]] = []
        default = "1"
    else:
        exact, patterns = _alternatives(policy.origins)
        entries = []
        if exact:
            entries.append((f"~^[01](?:{'|'.join(exact)})$", "1"))
        if patterns:
            entries.append((f"~^1(?:{'|'.join(patterns)})$", "1"))
        default = "0"
    lines = _map(
        "{crossgate_origin_form}" + _ORIGIN, f"crossgate_p{number}_origin", entries, default
    )
    listed = (
        HEADER_LIST if policy.allowed_headers is None else allowed_names(policy.allowed_headers)
    )
    lines += _map(_ACRH, f"crossgate_p{number}_headers", [("~" + listed, "1")], "0")
    return lines


def _location_maps(location: Location, table: ExportTable) -> list[str]:
    n = location.number
    if location.cors is None:
        return _map("{crossgate_preflight}", f"crossgate_l{n}_state", [("1", "pre_no")], "no")
    policy = table.policies[location.cors]
    answers = method_answers(policy, location.methods)
    lines = _map(_ACRM, f"crossgate_l{n}_method", [("~" + a.regex, "1") for a in answers], "0")
    # Caddy does not expand placeholders in a map's outputs: the browser's own spelling of a
    # method (patch) is sent as a second Access-Control-Allow-Methods line, which HTTP joins.
    acam = [("~" + a.regex, _quoted(a.allow_methods or "-")) for a in answers]
    lines += _map(_ACRM, f"crossgate_l{n}_acam", acam, '"-"')
    spelled = [("~" + a.regex, "1") for a in answers if a.spelled]
    lines += _map(_ACRM, f"crossgate_l{n}_spelled", spelled, "0")
    p = location.cors
    lines += _map(
        f"{{crossgate_preflight}}{{crossgate_p{p}_origin}}{{crossgate_l{n}_method}}"
        f"{{crossgate_p{p}_headers}}",
        f"crossgate_l{n}_state",
        [("1111", "pre_ok"), ("~^1", "pre_no"), ("~^01", "ok")],
        "no",
    )
    return lines


def _header_block(matcher: str, headers: list[tuple[str, str]]) -> list[str]:
    if not headers:
        return []
    lines = [f"header {matcher} {{"]
    lines += [f"{_IN}{name} {_quoted(value)}" for name, value in headers]
    return [*lines, "}"]


def _location(location: Location, table: ExportTable, upstream: str) -> list[str]:
    n = location.number
    name = f"@crossgate_l{n}"
    if location.regex is not None:
        regex = location.regex
    else:
        regex = "^(?:" + "|".join(_escape_path(path) for path in location.exact_paths) + ")$"
    out = [f"# {location.label}", f"{name} path_regexp {_quoted(regex)}", f"handle {name} {{"]
    inner: list[str] = []
    policy = None if location.cors is None else table.policies[location.cors]
    lines = static_lines(location)
    if table.answers_preflights:
        for state in ("pre_ok", "pre_no", "ok"):
            inner.append(f"@{state} vars {{crossgate_l{n}_state}} {state}")
        preflight: list[tuple[str, str]] = [("Vary", PREFLIGHT_VARY)]
        actual: list[tuple[str, str]] = []
        if policy is not None:
            origin = "*" if policy.origins.any_origin else _ORIGIN
            preflight.append((ACAO, origin))
            actual.append((ACAO, origin))
            if policy.supports_credentials:
                preflight.append((ACAC, "true"))
                actual.append((ACAC, "true"))
            if policy.allow_headers_value:
                preflight.append((ACAH, policy.allow_headers_value))
            preflight.append((ACMA, str(policy.max_age)))
            if policy.expose_headers:
                actual.append((ACEH, ", ".join(policy.expose_headers)))
            inner += _header_block("@pre_ok", preflight)
            inner += [
                f"@acam {{\n{_IN}vars {{crossgate_l{n}_state}} pre_ok\n"
                f"{_IN}not vars {{crossgate_l{n}_acam}} -\n}}",
                f"header @acam {ACAM} {{crossgate_l{n}_acam}}",
                f"@spelled {{\n{_IN}vars {{crossgate_l{n}_state}} pre_ok\n"
                f"{_IN}vars {{crossgate_l{n}_spelled}} 1\n}}",
                f"header @spelled +{ACAM} {_ACRM}",
            ]
            if policy.allowed_headers is None:
                inner += [
                    f"@acah {{\n{_IN}vars {{crossgate_l{n}_state}} pre_ok\n"
                    f'{_IN}header_regexp Access-Control-Request-Headers "[^ \\t,]"\n}}',
                    f"header @acah {ACAH} {_ACRH}",
                ]
            if policy.allow_private_network:
                inner += [
                    f"@pna {{\n{_IN}vars {{crossgate_l{n}_state}} pre_ok\n"
                    f"{_IN}header Access-Control-Request-Private-Network true\n}}",
                    f"header @pna {ACAPN} true",
                ]
            inner += _header_block("@ok", actual)
        inner += _header_block("@pre_no", [("Vary", PREFLIGHT_VARY)])
        # Header policy lines on the preflight answers: no app response to find them in.
        static = [(line.name, line.https or "") for line in lines if line.https is not None]
        inner += _header_block("@pre_ok", static) + _header_block("@pre_no", static)
        inner += ["respond @pre_ok 204", 'respond @pre_no "CORS preflight refused." 403']
    proxy = [f"reverse_proxy {upstream} {{"]
    if table.answers_preflights:
        proxy += [f"{_IN}header_down -{header}" for header in CORS_HEADERS]
        if policy is not None and policy.varies:
            proxy += [
                f'{_IN}header_down Vary "^(.+)$" "${{1}}, Origin"',
                f'{_IN}header_down Vary "(?i)^((?:.*[ ,])?origin(?:[ ,].*)?), Origin$" "${{1}}"',
            ]
    proxy += [f"{_IN}header_down -{line.name}" for line in lines if line.replace]
    inner += [*proxy, "}"]
    if policy is not None and policy.varies and table.answers_preflights:
        inner.append("header ?Vary Origin")
    replaced = [(line.name, line.https or "") for line in lines if line.replace and line.https]
    inner += _header_block("", replaced)
    added = [(f"?{line.name}", line.https or "") for line in lines if not line.replace]
    inner += _header_block("", [item for item in added if item[1]])
    out += [_IN + line for block in inner for line in block.split("\n")]
    return [*out, "}"]


def _escape_path(path: str) -> str:
    return "".join(f"\\{char}" if char in r"\.^$|?*+()[]{}" else char for char in path)


def write_caddy(table: ExportTable, *, upstream: str, listen: str, source: str) -> str:
    """The Caddyfile of *table*: one site on ``http://listen`` proxying to *upstream*."""
    out = [
        f"# Generated by `flask crossgate export caddy` from {source}: regenerate, do not edit.",
        "# Caddy answers CORS preflights on the app's routes and adds the CORS headers to every",
        "# response of those routes; the app's own CORS headers are removed (header_down), so a",
        "# response never carries two. Paths no route matches go to the app untouched. Header",
        "# policies: static lines only (over https values); CSP nonces stay in the app.",
        f"http://{listen} {{",
    ]
    body: list[str] = []
    if table.answers_preflights:
        body += _map(_ORIGIN, "crossgate_has_origin", [("~^$", "0")], "1")
        body += _map(_ACRM, "crossgate_has_acrm", [("~^$", "0")], "1")
        body += _map(
            "{method}:{crossgate_has_origin}{crossgate_has_acrm}",
            "crossgate_preflight",
            [("OPTIONS:11", "1")],
            "0",
        )
        body += _map(_ORIGIN, "crossgate_origin_form", [("~" + SERIALIZED_ORIGIN, "1")], "0")
        for number, policy in enumerate(table.policies):
            body += _policy_maps(number, policy)
        for location in table.locations:
            body += _location_maps(location, table)
    for location in table.locations:
        body += _location(location, table, upstream)
    body += ["# Paths no route matches: the app answers them, CORS included.", "handle {"]
    body += [f"{_IN}reverse_proxy {upstream}", "}"]
    out += [_IN + line for line in body]
    out.append("}")
    return "\n".join(out) + "\n"
