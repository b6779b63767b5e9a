"""The nginx writer: an export table as ``map`` blocks and a ``server`` block for ``http {}``.

How a request is decided, with variables nginx computes lazily from ``map`` blocks:

- ``$crossgate_preflight``: OPTIONS with Origin and Access-Control-Request-Method (Fetch);
- per policy, ``$crossgate_pN_origin`` (the Origin is allowed) and ``$crossgate_pN_headers``
  (Access-Control-Request-Headers passes the policy's check, with the engine's size limit);
- per location, ``$crossgate_lN_method`` (the engine's own answer for each requested method) and
  ``$crossgate_lN_state``: ``pre_ok`` (answer 204), ``pre_no`` (answer 403), ``ok`` (proxy and
  add the CORS headers) or ``no`` (proxy, Vary only);
- each response header is a map of the state, empty when not sent (nginx skips an empty
  ``add_header``), added ``always`` so error responses carry it too.

The app's own CORS headers are hidden on the routes nginx answers for (``proxy_hide_header``),
so a response never carries two Access-Control-Allow-Origin lines; its ``Vary`` is merged with
``Origin``. Paths no route matches are proxied untouched: the app answers them, CORS included.

A location whose requests another URL rule may serve (``Deferral``: the rules overlap and accept
different methods) sends those to ``location @crossgate_app``, which proxies them untouched:
``$crossgate_lN_pass`` decides, ``return 418`` with ``error_page 418 = @crossgate_app`` jumps.
"""

from __future__ import annotations

import re

from crossgate._engine import MAX_REQUEST_HEADERS_LENGTH, PREFLIGHT_VARY
from crossgate._origins import MAX_ORIGIN_LENGTH
from crossgate._policy import ACAC, ACAH, ACAM, ACAO, ACAPN, ACEH, ACMA, CORSPolicy
from crossgate.export._headers import CORS_HEADERS, static_lines
from crossgate.export._regex import HEADER_LIST, SERIALIZED_ORIGIN, allowed_names
from crossgate.export._regex import origin_alternatives as _alternatives
from crossgate.export._spelling import SPELLED, VARIABLE, nginx_gate
from crossgate.export._table import (
    Deferral,
    ExportTable,
    Location,
    Variant,
    method_answers,
    method_keys,
)

_INDENT = "    "
#: The named location the requests another rule may serve are passed to, untouched.
_APP = "@crossgate_app"
# The status a location returns to jump there (with error_page); never sent to a client.
_JUMP = 418


def _quoted(text: str) -> str:
    """*text* as an nginx quoted string, variables in it left to nginx."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _literal(text: str) -> str:
    """*text* as an nginx quoted string meaning exactly *text* (a ``$`` stays a dollar)."""
    return _quoted(text.replace("$", "${crossgate_dollar}"))


def _bounded(regex: str, limit: int) -> str:
    """*regex* (starting with ``^``, maybe after ``(?i)``) refusing values over *limit*."""
    head, _, rest = regex.partition("^")
    return f"{head}^(?=.{{0,{limit}}}$){rest}"


def _map(source: str, target: str, entries: list[tuple[str, str]], default: str) -> list[str]:
    lines = [f"map {_quoted(source)} ${target} {{", f"{_INDENT}default {default};"]
    lines += [f"{_INDENT}{key} {value};" for key, value in entries]
    return [*lines, "}"]


def _regex_key(regex: str) -> str:
    return _quoted("~" + regex)


def _policy_maps(number: int, policy: CORSPolicy) -> list[str]:
    lines: list[str] = []
    if policy.origins.any_origin:
        entries: list[tuple[str, str]] = []
        default = "1"
    else:
        exact, patterns = _alternatives(policy.origins)
        entries = []
        if exact:
            entries.append((_regex_key(f"^[01](?:{'|'.join(exact)})$"), "1"))
        if patterns:
            entries.append((_regex_key(f"^1(?:{'|'.join(patterns)})$"), "1"))
        default = "0"
    lines += _map(
        "$crossgate_origin_form$http_origin", f"crossgate_p{number}_origin", entries, default
    )
    listed = (
        HEADER_LIST if policy.allowed_headers is None else allowed_names(policy.allowed_headers)
    )
    check = _bounded(listed, MAX_REQUEST_HEADERS_LENGTH)
    lines += _map(
        "$http_access_control_request_headers",
        f"crossgate_p{number}_headers",
        # nginx never tries a regex on an empty value: absent is allowed in so many words.
        [('""', "1"), (_regex_key(check), "1")],
        "0",
    )
    return lines


def _selector_maps(location: Location) -> tuple[list[str], str]:
    """The maps choosing a location's variant, and the variable (or constant) holding it."""
    choice, n = location.choice, location.number
    if choice is None:
        return [], "0"
    lines: list[str] = []
    path = str(choice.default_path)
    if choice.paths:
        source = "$uri$crossgate_slash" if choice.slash else "$uri"
        entries = [(_regex_key(regex), str(key)) for regex, key in choice.paths]
        lines += _map(source, f"crossgate_l{n}_path", entries, path)
        path = f"$crossgate_l{n}_path"
    method = str(choice.default_method)
    if choice.methods:
        entries = []
        for name, number in choice.methods:
            entries += [(_quoted(f"~*{key}"), str(number)) for key in method_keys(re.escape(name))]
        source = "$crossgate_preflight:$request_method:$http_access_control_request_method"
        lines += _map(source, f"crossgate_l{n}_verb", entries, method)
        method = f"$crossgate_l{n}_verb"
    entries = [(_quoted(key), str(variant)) for key, variant in choice.variants]
    lines += _map(f"{path}:{method}", f"crossgate_l{n}_variant", entries, "0")
    return lines, f"$crossgate_l{n}_variant"


def _deferral_maps(location: Location, deferral: Deferral, cors: bool) -> list[str]:
    """``$crossgate_lN_pass``: 1 for the requests of *location* the app answers itself."""
    n = location.number
    names = "|".join(re.escape(method) for method in deferral.methods)
    hit, miss = ("0", "1") if deferral.all_but else ("1", "0")
    entries = [(_quoted(f"~*{key}"), hit) for key in method_keys(names)]
    preflight = "$crossgate_preflight" if cors else "0"
    source = f"{preflight}:$request_method:$http_access_control_request_method"
    if not deferral.preflights:
        return _map(source, f"crossgate_l{n}_pass", entries, miss)
    lines = _map(source, f"crossgate_l{n}_by_method", entries, miss)
    _, variant = _selector_maps(location)
    chosen = "|".join(str(index) for index in deferral.preflights)
    lines += _map(
        f"$crossgate_l{n}_by_method:{preflight}:{variant}",
        f"crossgate_l{n}_pass",
        [(_quoted("~^1:"), "1"), (_quoted(f"~^0:1:(?:{chosen})$"), "1")],
        "0",
    )
    return lines


def _location_maps(location: Location, table: ExportTable) -> list[str]:
    n = location.number
    lines, variant = _selector_maps(location)
    bits = []
    states: list[tuple[str, str]] = []
    values: dict[str, list[tuple[str, str]]] = {}
    for index, entry in enumerate(location.variants):
        # The source holds every variant's bits, each followed by ':'; skip to this one's.
        head, skip = f"~^{index}:", "[^:]*:" * index
        if entry.cors is None:
            bits.append("-")
            states.append((_quoted(f"{head}1:"), "pre_no"))
            continue
        p, policy = entry.cors, table.policies[entry.cors]
        bits.append(f"$crossgate_p{p}_origin$crossgate_l{n}_v{index}_method$crossgate_p{p}_headers")
        answers = method_answers(policy, entry.methods)
        source = "$http_access_control_request_method"
        lines += _map(
            source,
            f"crossgate_l{n}_v{index}_method",
            [(_regex_key(a.regex), "1") for a in answers],
            "0",
        )
        lines += _map(
            source,
            f"crossgate_l{n}_v{index}_acam",
            [
                (_regex_key(a.regex), _acam(a.allow_methods, a.spelled))
                for a in answers
                if a.allow_methods or a.spelled
            ],
            '""',
        )
        states += [
            (_quoted(f"{head}1:{skip}111"), f"pre_ok{index}"),
            (_quoted(f"{head}1:"), "pre_no"),
            (_quoted(f"{head}0:{skip}1"), f"ok{index}"),
        ]
        for name, value in _cors_values(policy, n, index).items():
            sent = ["pre_ok", "ok"] if name in (ACAO, ACAC) else ["pre_ok"]
            if name == ACEH:
                sent = ["ok"]
            values.setdefault(name, []).extend((f"{state}{index}", value) for state in sent)
        if policy.allow_private_network:
            values.setdefault(ACAPN, []).append((_quoted(f"~^pre_ok{index}:true$"), '"true"'))
    source = f"{variant}:$crossgate_preflight:" + "".join(f"{item}:" for item in bits)
    lines += _map(source, f"crossgate_l{n}_state", states, "no")
    for name, entries in values.items():
        state = f"$crossgate_l{n}_state"
        if name == ACAPN:
            state += ":$http_access_control_request_private_network"
        lines += _map(state, _variable(n, name), entries, '""')
    varies = [str(index) for index, entry in enumerate(location.variants) if _varies(entry, table)]
    if location.choice is None:
        merged = "1" if varies else "0"
    else:
        lines += _map(variant, f"crossgate_l{n}_varies", [(key, "1") for key in varies], "0")
        merged = f"$crossgate_l{n}_varies"
    lines += _map(
        f"$crossgate_preflight:{merged}:$upstream_http_vary",
        f"crossgate_l{n}_vary",
        [
            ('"~^1:"', _literal(PREFLIGHT_VARY)),
            ('"~^0:0:"', _vary()),
            ('"~^0:1:$"', '"Origin"'),
            ('"~*^0:1:(?:.*[ ,])?origin(?:[ ,].*)?$"', _vary()),
        ],
        '"$upstream_http_vary, Origin"',
    )
    return lines + _header_maps(location, table)


def _varies(variant: Variant, table: ExportTable) -> bool:
    return variant.cors is not None and table.policies[variant.cors].varies


def _vary() -> str:
    return '"$upstream_http_vary"'


def _acam(value: str, spelled: bool) -> str:
    if not spelled:
        return _literal(value)
    joined = f"{value}, " if value else ""
    return _quoted(
        joined.replace("$", "${crossgate_dollar}") + "$http_access_control_request_method"
    )


def _var_name(header: str) -> str:
    return header.lower().replace("-", "_")


def _variable(number: int, header: str) -> str:
    # The initials (acao, acapn...): nginx's default variables_hash_bucket_size (64) refuses
    # to start with names as long as crossgate_l10_access_control_allow_private_network.
    initials = "".join(word[0] for word in header.lower().split("-"))
    return f"crossgate_l{number}_{initials}"


def _cors_values(policy: CORSPolicy, number: int, variant: int) -> dict[str, str]:
    """The value of each CORS header an allowed request of *variant* gets (its map decides
    when)."""
    values = {ACAO: '"*"' if policy.origins.any_origin else '"$http_origin"'}
    if policy.supports_credentials:
        values[ACAC] = '"true"'
    values[ACAM] = f'"$crossgate_l{number}_v{variant}_acam"'
    if policy.allowed_headers is None:
        values[ACAH] = '"$http_access_control_request_headers"'
    elif policy.allow_headers_value:
        values[ACAH] = _literal(policy.allow_headers_value)
    values[ACMA] = f'"{policy.max_age}"'
    if policy.expose_headers:
        values[ACEH] = _literal(", ".join(policy.expose_headers))
    return values


def _location(location: Location, table: ExportTable, upstream: str) -> list[str]:
    n = location.number
    body = [f"# {location.label}"]
    pass_line = f"proxy_pass {upstream};"
    if location.regex is not None:
        regex = location.regex
        if location.passthrough and location.unless is not None:
            regex = f"^(?!{location.unless[1:]}){regex[1:]}"
        heads = [f"location ~ {_quoted(regex)} {{"]
    else:
        heads = [f"location = {_literal(path)} {{" for path in location.exact_paths]
    if location.passthrough:
        return [*body, *(line for head in heads for line in [head, _INDENT + pass_line, "}"])]
    inner: list[str] = []
    if location.deferral is not None:
        # Requests another URL rule may serve: the app routes them and answers their CORS.
        inner += [
            f"error_page {_JUMP} = {_APP};",
            f"if ($crossgate_l{n}_pass) {{ return {_JUMP}; }}",
        ]
    if table.answers_preflights:
        inner += [
            f"if ($crossgate_l{n}_state ~ ^pre_ok) {{ return 204; }}",
            f'if ($crossgate_l{n}_state = pre_no) {{ return 403 "CORS preflight refused.\\n"; }}',
        ]
    inner += [f"proxy_pass {upstream};", 'default_type "text/plain; charset=utf-8";']
    hidden = [*CORS_HEADERS, "Vary"] if table.answers_preflights else []
    lines = static_lines(location)
    hidden += [name for name, _, _, replace in lines if replace]
    inner += [f"proxy_hide_header {name};" for name in hidden]
    if table.answers_preflights:
        names: dict[str, None] = {}
        for index, variant in enumerate(location.variants):
            if variant.cors is not None:
                policy = table.policies[variant.cors]
                names.update(dict.fromkeys(_cors_values(policy, n, index)))
                if policy.allow_private_network:
                    names[ACAPN] = None
        inner += [f"add_header {name} ${_variable(n, name)} always;" for name in names]
        inner.append(f"add_header Vary $crossgate_l{n}_vary always;")
    inner += [
        f"add_header {name} $crossgate_l{n}_h{index} always;"
        for index, (name, _, _, _) in enumerate(lines)
    ]
    for head in heads:
        body += [head, *(_INDENT + line for line in inner), "}"]
    return body


def write_nginx(table: ExportTable, *, upstream: str, listen: str, source: str) -> str:
    """The nginx configuration of *table* for the ``http {}`` context: the ``map`` blocks and a
    ``server`` listening on *listen* that proxies to *upstream* (``http://host:port``)."""
    out = [
        f"# Generated by `flask crossgate export nginx` from {source}: regenerate, do not edit.",
        "# For the http {} context. nginx answers CORS preflights on the app's routes and adds",
        "# the CORS headers to every response of those routes (always: errors too); the app's",
        "# own CORS headers are hidden there (proxy_hide_header), so a response never carries",
        "# two. Paths no route matches go to the app untouched. Header policies: their static",
        "# lines are added where the app did not send them; CSP nonces stay in the app.",
    ]
    if table.https_redirect:
        out.append("# https_redirect stays in the app (it needs the client's scheme).")
    out += ['geo $crossgate_dollar { default "$"; }']
    out += _map("$request_uri", VARIABLE, [(_regex_key(SPELLED), "1")], "0")
    if table.answers_preflights:
        out += _map("$http_origin", "crossgate_has_origin", [('""', "0")], "1")
        out += _map("$http_access_control_request_method", "crossgate_has_acrm", [('""', "0")], "1")
        out += _map(
            "$request_method:$crossgate_has_origin$crossgate_has_acrm",
            "crossgate_preflight",
            [('"~^OPTIONS:11$"', "1")],
            "0",
        )
        out += _map(
            "$http_origin",
            "crossgate_origin_form",
            [(_regex_key(_bounded(SERIALIZED_ORIGIN, MAX_ORIGIN_LENGTH)), "1")],
            "0",
        )
        for number, policy in enumerate(table.policies):
            out += _policy_maps(number, policy)
        if any(location.choice and location.choice.slash for location in table.locations):
            # The path Werkzeug builds for a rule ending in '/': the request's, slash added.
            out += _map("$uri", "crossgate_slash", [('"~/$"', '""')], '"/"')
        for location in table.locations:
            if not location.passthrough:
                out += _location_maps(location, table)
    else:
        for location in table.locations:
            out += _header_maps(location, table)
    for location in table.locations:
        if location.deferral is not None:
            out += _deferral_maps(location, location.deferral, table.answers_preflights)
    out += [
        "server {",
        f"{_INDENT}listen {listen};",
        f"{_INDENT}proxy_http_version 1.1;",
        f"{_INDENT}proxy_set_header Host $http_host;",
        f"{_INDENT}proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        f"{_INDENT}proxy_set_header X-Forwarded-Proto $scheme;",
        *nginx_gate(upstream, _INDENT),
        f"{_INDENT}# Paths no route matches: the app answers them, CORS included.",
        f"{_INDENT}location / {{",
        f"{_INDENT * 2}proxy_pass {upstream};",
        f"{_INDENT}}}",
    ]
    if any(location.deferral is not None for location in table.locations):
        out += [
            f"{_INDENT}# Requests another URL rule may serve: the app answers them, CORS included.",
            f"{_INDENT}location {_APP} {{",
            f"{_INDENT * 2}proxy_pass {upstream};",
            f"{_INDENT}}}",
        ]
    for location in table.locations:
        out += [_INDENT + line for line in _location(location, table, upstream)]
    out.append("}")
    return "\n".join(out) + "\n"


def _header_maps(location: Location, table: ExportTable) -> list[str]:
    lines: list[str] = []
    n = location.number
    for index, (name, https, http, replace) in enumerate(static_lines(location)):
        entries = []
        if https is not None:
            entries.append((_quoted("~^https:$"), _literal(https)))
        if http is not None:
            entries.append((_quoted("~^http:$"), _literal(http)))
        source = "$scheme:" if replace else f"$scheme:$upstream_http_{_var_name(name)}"
        lines += _map(source, f"crossgate_l{n}_h{index}", entries, '""')
    return lines
