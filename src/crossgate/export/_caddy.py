"""The Caddy writer: an export table as a Caddyfile site, decided with Caddy's ``map``.

The same decision as the nginx writer (see ``crossgate.export._nginx``), in Caddy's terms: ``map``
blocks compute ``{crossgate_preflight}``, each policy's ``{crossgate_pN_origin}`` and
``{crossgate_pN_headers}``, and each location's ``{crossgate_lN_state}`` (``pre_ok``, ``pre_no``,
``ok``, ``no``); inside the location's ``handle``, ``vars`` matchers on that state choose the
headers, ``respond`` answers preflights, and ``reverse_proxy`` removes the app's own CORS
headers (``header_down -Name``) so a response never carries two. The app's ``Vary`` is merged
with ``Origin`` by two ``header_down`` replacements (append, then drop a repeat). The requests
another URL rule may serve (``Deferral``) go to a nested ``handle`` that proxies them untouched,
before the one that answers CORS.

Regexes are RE2 here: the table refuses what RE2 cannot run. RE2 also bounds repeats at 1000,
so the engine's 4096-character limit on Access-Control-Request-Headers is left to Caddy's own
header limits.
"""

from __future__ import annotations

import re

from crossgate._engine import PREFLIGHT_VARY
from crossgate._policy import ACAC, ACAH, ACAM, ACAO, ACAPN, ACEH, ACMA, CORSPolicy
from crossgate.export._headers import CORS_HEADERS, static_lines
from crossgate.export._regex import HEADER_LIST, SERIALIZED_ORIGIN, allowed_names
from crossgate.export._regex import origin_alternatives as _alternatives
from crossgate.export._spelling import SPELLED, VARIABLE, caddy_gate
from crossgate.export._table import Deferral, ExportTable, Location, method_answers, method_keys

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


def _selector_maps(location: Location) -> tuple[list[str], str]:
    """The maps choosing a location's variant, and the placeholder (or constant) holding it."""
    choice, n = location.choice, location.number
    if choice is None:
        return [], "0"
    lines: list[str] = []
    path = str(choice.default_path)
    if choice.paths:
        source = "{http.request.uri.path}" + ("{crossgate_slash}" if choice.slash else "")
        entries = [("~" + regex, str(key)) for regex, key in choice.paths]
        lines += _map(source, f"crossgate_l{n}_path", entries, path)
        path = f"{{crossgate_l{n}_path}}"
    method = str(choice.default_method)
    if choice.methods:
        entries = []
        for name, number in choice.methods:
            entries += [(f"~(?i){key}", str(number)) for key in method_keys(re.escape(name))]
        lines += _map(
            "{crossgate_preflight}:{method}:" + _ACRM, f"crossgate_l{n}_verb", entries, method
        )
        method = f"{{crossgate_l{n}_verb}}"
    entries = [(key, str(variant)) for key, variant in choice.variants]
    lines += _map(f"{path}:{method}", f"crossgate_l{n}_variant", entries, "0")
    return lines, f"{{crossgate_l{n}_variant}}"


def _deferral_maps(location: Location, deferral: Deferral, cors: bool) -> list[str]:
    """``{crossgate_lN_pass}``: 1 for the requests of *location* the app answers itself."""
    n = location.number
    names = "|".join(re.escape(method) for method in deferral.methods)
    hit, miss = ("0", "1") if deferral.all_but else ("1", "0")
    entries = [(f"~(?i){key}", hit) for key in method_keys(names)]
    preflight = "{crossgate_preflight}" if cors else "0"
    source = f"{preflight}:{{method}}:{_ACRM}"
    if not deferral.preflights:
        return _map(source, f"crossgate_l{n}_pass", entries, miss)
    lines = _map(source, f"crossgate_l{n}_by_method", entries, miss)
    _, variant = _selector_maps(location)
    chosen = "|".join(str(index) for index in deferral.preflights)
    lines += _map(
        f"{{crossgate_l{n}_by_method}}:{preflight}:{variant}",
        f"crossgate_l{n}_pass",
        [("~^1:", "1"), (f"~^0:1:(?:{chosen})$", "1")],
        "0",
    )
    return lines


def _location_maps(location: Location, table: ExportTable) -> list[str]:
    n = location.number
    lines, variant = _selector_maps(location)
    bits = []
    states: list[tuple[str, str]] = []
    for index, entry in enumerate(location.variants):
        # The source holds every variant's bits, each followed by ':'; skip to this one's.
        head, skip = f"~^{index}:", "[^:]*:" * index
        if entry.cors is None:
            bits.append("-")
            states.append((f"{head}1:", "pre_no"))
            continue
        p, policy = entry.cors, table.policies[entry.cors]
        bits.append(
            f"{{crossgate_p{p}_origin}}{{crossgate_l{n}_v{index}_method}}{{crossgate_p{p}_headers}}"
        )
        answers = method_answers(policy, entry.methods)
        name = f"crossgate_l{n}_v{index}"
        lines += _map(_ACRM, f"{name}_method", [("~" + a.regex, "1") for a in answers], "0")
        # Caddy does not expand placeholders in a map's outputs: the browser's own spelling of
        # a method (patch) is sent as a second Access-Control-Allow-Methods line, which HTTP
        # joins.
        acam = [("~" + a.regex, _quoted(a.allow_methods or "-")) for a in answers]
        lines += _map(_ACRM, f"{name}_acam", acam, '"-"')
        spelled = [("~" + a.regex, "1") for a in answers if a.spelled]
        lines += _map(_ACRM, f"{name}_spelled", spelled, "0")
        states += [
            (f"{head}1:{skip}111", f"pre_ok{index}"),
            (f"{head}1:", "pre_no"),
            (f"{head}0:{skip}1", f"ok{index}"),
        ]
    source = f"{variant}:{{crossgate_preflight}}:" + "".join(f"{item}:" for item in bits)
    lines += _map(source, f"crossgate_l{n}_state", states, "no")
    if location.choice is not None:
        varies = [(str(index), "1") for index in _varying(location, table)]
        lines += _map(variant, f"crossgate_l{n}_varies", varies, "0")
    return lines


def _varying(location: Location, table: ExportTable) -> list[int]:
    """The variants whose answer depends on the Origin (their responses vary on it)."""
    return [
        index
        for index, variant in enumerate(location.variants)
        if variant.cors is not None and table.policies[variant.cors].varies
    ]


def _header_block(matcher: str, headers: list[tuple[str, str]]) -> list[str]:
    if not headers:
        return []
    lines = [f"header {matcher} {{"]
    lines += [f"{_IN}{name} {_quoted(value)}" for name, value in headers]
    return [*lines, "}"]


def _variant_headers(n: int, index: int, policy: CORSPolicy) -> list[str]:
    """The header directives of one variant's allowed preflights and actual requests."""
    state = f"{{crossgate_l{n}_state}}"
    name = f"crossgate_l{n}_v{index}"
    pre_ok, ok = f"@pre_ok{index}", f"@ok{index}"
    inner = [f"{pre_ok} vars {state} pre_ok{index}", f"{ok} vars {state} ok{index}"]
    preflight: list[tuple[str, str]] = []
    actual: list[tuple[str, str]] = []
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
    inner += _header_block(pre_ok, preflight)
    inner += [
        f"@acam{index} {{\n{_IN}vars {state} pre_ok{index}\n{_IN}not vars {{{name}_acam}} -\n}}",
        f"header @acam{index} {ACAM} {{{name}_acam}}",
        f"@spelled{index} {{\n{_IN}vars {state} pre_ok{index}\n{_IN}vars {{{name}_spelled}} 1\n}}",
        f"header @spelled{index} +{ACAM} {_ACRM}",
    ]
    if policy.allowed_headers is None:
        inner += [
            f"@acah{index} {{\n{_IN}vars {state} pre_ok{index}\n"
            f'{_IN}header_regexp Access-Control-Request-Headers "[^ \\t,]"\n}}',
            f"header @acah{index} {ACAH} {_ACRH}",
        ]
    if policy.allow_private_network:
        inner += [
            f"@pna{index} {{\n{_IN}vars {state} pre_ok{index}\n"
            f"{_IN}header Access-Control-Request-Private-Network true\n}}",
            f"header @pna{index} {ACAPN} true",
        ]
    return inner + _header_block(ok, actual)


def _location(location: Location, table: ExportTable, upstream: str) -> list[str]:
    n = location.number
    name = f"@crossgate_l{n}"
    if location.regex is not None:
        regex = location.regex
    else:
        regex = "^(?:" + "|".join(_escape_path(path) for path in location.exact_paths) + ")$"
    if location.unless is not None:
        matcher = [
            f"{name} {{",
            f"{_IN}path_regexp {_quoted(regex)}",
            f"{_IN}not path_regexp {_quoted(location.unless)}",
            "}",
        ]
    else:
        matcher = [f"{name} path_regexp {_quoted(regex)}"]
    out = [f"# {location.label}", *matcher, f"handle {name} {{"]
    if location.passthrough:
        return [*out, f"{_IN}reverse_proxy {upstream}", "}"]
    inner: list[str] = []
    lines = static_lines(location)
    state = f"{{crossgate_l{n}_state}}"
    allowed = [index for index, variant in enumerate(location.variants) if variant.cors is not None]
    varying = _varying(location, table)
    if table.answers_preflights:
        if allowed:
            inner.append(f"@pre_ok vars {state} " + " ".join(f"pre_ok{i}" for i in allowed))
        inner.append(f"@pre_no vars {state} pre_no")
        for index in allowed:
            cors = location.variants[index].cors
            assert cors is not None
            inner += _variant_headers(n, index, table.policies[cors])
        # Header policy lines on the preflight answers: no app response to find them in.
        static = [(line.name, line.https or "") for line in lines if line.https is not None]
        for which in (["@pre_ok"] if allowed else []) + ["@pre_no"]:
            inner += _header_block(which, [("Vary", PREFLIGHT_VARY), *static])
            inner.append(
                f"respond {which} 204"
                if which == "@pre_ok"
                else 'respond @pre_no "CORS preflight refused." 403'
            )
    hidden = [f"{_IN}header_down -{line.name}" for line in lines if line.replace]
    if table.answers_preflights:
        hidden = [f"{_IN}header_down -{header}" for header in CORS_HEADERS] + hidden
    merge = [
        f'{_IN}header_down Vary "^(.+)$" "${{1}}, Origin"',
        f'{_IN}header_down Vary "(?i)^((?:.*[ ,])?origin(?:[ ,].*)?), Origin$" "${{1}}"',
    ]
    if not (varying and table.answers_preflights):
        inner += [f"reverse_proxy {upstream} {{", *hidden, "}"]
    elif location.choice is None:
        inner += [f"reverse_proxy {upstream} {{", *hidden, *merge, "}", "header ?Vary Origin"]
    else:
        inner += [
            f"@merge vars {{crossgate_l{n}_varies}} 1",
            f"reverse_proxy @merge {upstream} {{",
            *hidden,
            *merge,
            "}",
            f"reverse_proxy {upstream} {{",
            *hidden,
            "}",
            "header @merge ?Vary Origin",
        ]
    replaced = [(line.name, line.https or "") for line in lines if line.replace and line.https]
    inner += _header_block("", replaced)
    added = [(f"?{line.name}", line.https or "") for line in lines if not line.replace]
    inner += _header_block("", [item for item in added if item[1]])
    body = [line for block in inner for line in block.split("\n")]
    if location.deferral is not None:
        # Requests another URL rule may serve: the app routes them and answers their CORS.
        body = [
            f"@pass vars {{crossgate_l{n}_pass}} 1",
            "handle @pass {",
            f"{_IN}reverse_proxy {upstream}",
            "}",
            "handle {",
            *(_IN + line for line in body),
            "}",
        ]
    out += [_IN + line for line in body]
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
    body = _map("{http.request.orig_uri}", VARIABLE, [("~" + SPELLED, "1")], "0")
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
        if any(location.choice and location.choice.slash for location in table.locations):
            # The path Werkzeug builds for a rule ending in '/': the request's, slash added.
            body += _map("{http.request.uri.path}", "crossgate_slash", [("~/$", '""')], "/")
        for location in table.locations:
            if not location.passthrough:
                body += _location_maps(location, table)
    for location in table.locations:
        if location.deferral is not None:
            body += _deferral_maps(location, location.deferral, table.answers_preflights)
    body += caddy_gate(upstream, _IN)
    for location in table.locations:
        body += _location(location, table, upstream)
    body += ["# Paths no route matches: the app answers them, CORS included.", "handle {"]
    body += [f"{_IN}reverse_proxy {upstream}", "}"]
    out += [_IN + line for line in body]
    out.append("}")
    return "\n".join(out) + "\n"
