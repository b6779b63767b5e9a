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
"""

from __future__ import annotations

from crossgate.engine import MAX_REQUEST_HEADERS_LENGTH, PREFLIGHT_VARY
from crossgate.export._regex import HEADER_LIST, SERIALIZED_ORIGIN, allowed_names
from crossgate.export._regex import origin_alternatives as _alternatives
from crossgate.export.headers import CORS_HEADERS, static_lines
from crossgate.export.table import ExportTable, Location, method_answers
from crossgate.origins import MAX_ORIGIN_LENGTH
from crossgate.policy import ACAC, ACAH, ACAM, ACAO, ACAPN, ACEH, ACMA, CORSPolicy

__all__ = ["write_nginx"]

_INDENT = "    "


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


def _location_maps(location: Location, table: ExportTable) -> list[str]:
    n = location.number
    lines: list[str] = []
    policy = None if location.cors is None else table.policies[location.cors]
    if policy is None:
        lines += _map("$crossgate_preflight", f"crossgate_l{n}_state", [('"~^1"', "pre_no")], "no")
    else:
        answers = method_answers(policy, location.methods)
        source = "$http_access_control_request_method"
        lines += _map(
            source, f"crossgate_l{n}_method", [(_regex_key(a.regex), "1") for a in answers], "0"
        )
        lines += _map(
            source,
            f"crossgate_l{n}_acam",
            [
                (_regex_key(a.regex), _acam(a.allow_methods, a.spelled))
                for a in answers
                if a.allow_methods or a.spelled
            ],
            '""',
        )
        p = location.cors
        lines += _map(
            f"$crossgate_preflight$crossgate_p{p}_origin$crossgate_l{n}_method"
            f"$crossgate_p{p}_headers",
            f"crossgate_l{n}_state",
            [('"~^1111$"', "pre_ok"), ('"~^1"', "pre_no"), ('"~^01"', "ok")],
            "no",
        )
        for name, value in _cors_values(policy, n).items():
            states = ["pre_ok", "ok"] if name in (ACAO, ACAC) else ["pre_ok"]
            if name == ACEH:
                states = ["ok"]
            entries = [(state, value) for state in states]
            lines += _map(f"$crossgate_l{n}_state", _variable(n, name), entries, '""')
        if policy.allow_private_network:
            lines += _map(
                f"$crossgate_l{n}_state:$http_access_control_request_private_network",
                _variable(n, ACAPN),
                [('"~^pre_ok:true$"', '"true"')],
                '""',
            )
    merged = policy is not None and policy.varies
    lines += _map(
        "$crossgate_preflight:$upstream_http_vary",
        f"crossgate_l{n}_vary",
        [
            ('"~^1:"', _literal(PREFLIGHT_VARY)),
            *(
                [('"~^0:$"', '"Origin"'), ('"~*^0:(?:.*[ ,])?origin(?:[ ,].*)?$"', _vary())]
                if merged
                else []
            ),
        ],
        '"$upstream_http_vary, Origin"' if merged else _vary(),
    )
    return lines + _header_maps(location, table)


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
    return f"crossgate_l{number}_{_var_name(header)}"


def _cors_values(policy: CORSPolicy, number: int) -> dict[str, str]:
    """The value of each CORS header an allowed request gets (its map decides when)."""
    values = {ACAO: '"*"' if policy.origins.any_origin else '"$http_origin"'}
    if policy.supports_credentials:
        values[ACAC] = '"true"'
    values[ACAM] = f'"$crossgate_l{number}_acam"'
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
    if location.regex is not None:
        heads = [f"location ~ {_quoted(location.regex)} {{"]
    else:
        heads = [f"location = {_literal(path)} {{" for path in location.exact_paths]
    inner: list[str] = []
    if table.answers_preflights:
        inner += [
            f"if ($crossgate_l{n}_state = pre_ok) {{ return 204; }}",
            f'if ($crossgate_l{n}_state = pre_no) {{ return 403 "CORS preflight refused.\\n"; }}',
        ]
    inner += [f"proxy_pass {upstream};", 'default_type "text/plain; charset=utf-8";']
    policy = None if location.cors is None else table.policies[location.cors]
    hidden = [*CORS_HEADERS, "Vary"] if table.answers_preflights else []
    lines = static_lines(location)
    hidden += [name for name, _, _, replace in lines if replace]
    inner += [f"proxy_hide_header {name};" for name in hidden]
    if table.answers_preflights:
        if policy is not None:
            names = list(_cors_values(policy, n))
            if policy.allow_private_network:
                names.append(ACAPN)
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
        for location in table.locations:
            out += _location_maps(location, table)
    else:
        for location in table.locations:
            out += _header_maps(location, table)
    out += [
        "server {",
        f"{_INDENT}listen {listen};",
        f"{_INDENT}proxy_http_version 1.1;",
        f"{_INDENT}proxy_set_header Host $http_host;",
        f"{_INDENT}proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        f"{_INDENT}proxy_set_header X-Forwarded-Proto $scheme;",
        f"{_INDENT}# Paths no route matches: the app answers them, CORS included.",
        f"{_INDENT}location / {{",
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
