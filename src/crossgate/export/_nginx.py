"""The nginx writer: an export plan (``crossgate.export._plan``) as ``map`` blocks and a
``server`` block for ``http {}``.

Each map of the plan is an nginx ``map``, computed lazily; in a location, ``if`` on its state
answers preflights (204, 403) and each CORS header is an ``add_header`` of its map (empty: nginx
skips it), added ``always`` so error responses carry it too. The app's own CORS headers are
hidden there (``proxy_hide_header``), so a response never carries two; its ``Vary`` is merged
with ``Origin`` by a map of ``$upstream_http_vary``. Requests a location passes to the app
(``Deferral``) jump to ``location @crossgate_app`` (``return 418`` with ``error_page 418``).

Escaping, one primitive for every value written (:func:`_quoted`): a quoted string with ``\\``
and ``"`` escaped; where nginx expands variables (map sources and values, header values), a
literal ``$`` is written ``${crossgate_dollar}`` (a ``geo`` holding "$"). Regexes are written in
printable ASCII: a control character as ``\\xNN``, any other character as its UTF-8 bytes (PCRE
without UTF mode matches the bytes of ``$uri``); such a character inside a class is refused.
"""

from __future__ import annotations

from functools import partial

from crossgate.export import _plan
from crossgate.export._headers import CORS_HEADERS, preflight_vary, static_lines
from crossgate.export._spelling import nginx_gate
from crossgate.export._table import ExportError, ExportTable, Location, Refusal

_INDENT = "    "
#: The named location the requests another rule may serve are passed to, untouched.
_APP = "@crossgate_app"
# The status a location returns to jump there (with error_page); never sent to a client.
_JUMP = 418
_INPUTS = {
    "origin": "$http_origin",
    "acrm": "$http_access_control_request_method",
    "acrh": "$http_access_control_request_headers",
    "acrpn": "$http_access_control_request_private_network",
    "method": "$request_method",
    "path": "$uri",
    "target": "$request_uri",
}
# nginx's reserved map keys, written with a leading backslash to be read as text.
_SPECIAL_KEYS = ("default", "hostnames", "include", "volatile")


def _quoted(text: str) -> str:
    """*text* as an nginx quoted string (nginx then reads ``\\\\`` and ``\\"`` back)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _expanded(expr: _plan.Expr) -> str:
    """*expr* as a quoted string where nginx expands variables: text kept literally."""
    parts = []
    for part in expr:
        if isinstance(part, _plan.In):
            parts.append(_INPUTS[part.name])
        elif isinstance(part, _plan.Var):
            parts.append(f"${{crossgate_{part.name}}}")
        else:
            parts.append(_plan.header_value(part).replace("$", "${crossgate_dollar}"))
    return _quoted("".join(parts))


def _regex(text: str) -> str:
    """*text* (a regex) as a quoted string nginx compiles as Python reads it."""
    return _quoted(_plan.pcre_bytes(text, "nginx"))


def _key(key: _plan.Key) -> str:
    if not key.regex:
        special = key.text in _SPECIAL_KEYS or key.text.startswith(("~", "\\"))
        return _quoted("\\" + key.text if special else key.text)
    return '"~' + _regex(_plan.limited(key))[1:]


def _map(item: _plan.Map) -> list[str]:
    lines = [f"map {_expanded(item.source)} $crossgate_{item.target} {{"]
    lines.append(f"{_INDENT}default {_expanded(item.default)};")
    lines += [f"{_INDENT}{_key(key)} {_expanded(value)};" for key, value in item.entries]
    return [*lines, "}"]


def _vary_map(spot: _plan.Spot) -> list[str]:
    """``$crossgate_lN_vary``: the app's Vary merged with Origin when the answer varies."""
    varies = spot.varies if isinstance(spot.varies, str) else f"${{crossgate_{spot.varies.name}}}"
    n = spot.location.number
    preflight = "0" if spot.location.fallback else "$crossgate_preflight"  # decorated as actual
    return [
        f"map {preflight}:{varies}:$upstream_http_vary $crossgate_l{n}_vary {{",
        f'{_INDENT}default "$upstream_http_vary, Origin";',
        f'{_INDENT}"~^1:" {_expanded((preflight_vary(spot.location),))};',
        f'{_INDENT}"~^0:0:" "$upstream_http_vary";',
        f'{_INDENT}"~^0:1:$" "Origin";',
        f'{_INDENT}"~*^0:1:(?:.*[ ,])?(?:origin|[*])(?:[ ,].*)?$" "$upstream_http_vary";',
        "}",
    ]


def _header_maps(location: Location) -> list[str]:
    """The static lines of a header policy: added where the app did not send them (or always,
    with ``override``), by scheme."""
    lines: list[str] = []
    n = location.number
    for index, (name, https, http, replace) in enumerate(static_lines(location)):
        var = _plan.header_name(name).lower().replace("-", "_")
        entries = []
        if https is not None:
            entries.append(f'{_INDENT}"~^https:$" {_expanded((https,))};')
        if http is not None:
            entries.append(f'{_INDENT}"~^http:$" {_expanded((http,))};')
        source = "$scheme:" if replace else f"$scheme:$upstream_http_{var}"
        lines += [f"map {source} $crossgate_l{n}_h{index} {{", f'{_INDENT}default "";']
        lines += [*entries, "}"]
    return lines


def _location(spot: _plan.Spot, plan: _plan.Plan, upstream: str) -> list[str]:
    location, table = spot.location, plan.table
    n = location.number
    body = [f"# {_plan.shown(location.label)}"]
    pass_line = f"proxy_pass {upstream};"
    if location.regex is not None:
        regex = location.regex
        if location.passthrough and location.unless is not None:
            regex = f"^(?!{location.unless[1:]}){regex[1:]}"
        heads = [f"location ~ {_regex(regex)} {{"]
    elif location.fallback:  # the paths no route (nor blueprint prefix) matches
        heads = ["location / {"]
    else:
        heads = [f"location = {_quoted(path)} {{" for path in location.exact_paths]
    if location.passthrough:
        return [*body, *(line for head in heads for line in [head, _INDENT + pass_line, "}"])]
    inner: list[str] = []
    if spot.passes is not None:
        # Requests another URL rule may serve: the app routes them and answers their CORS.
        inner += [
            f"error_page {_JUMP} = {_APP};",
            f"if ($crossgate_{spot.passes}) {{ return {_JUMP}; }}",
        ]
    if spot.state is not None and not location.fallback:
        inner += [
            f"if ($crossgate_{spot.state} ~ ^pre_ok) {{ return 204; }}",
            f'if ($crossgate_{spot.state} = pre_no) {{ return 403 "CORS preflight refused.\\n"; }}',
        ]
    inner += [pass_line, 'default_type "text/plain; charset=utf-8";']
    hidden = [*CORS_HEADERS, "Vary"] if table.answers_preflights else []
    lines = static_lines(location)
    hidden += [name for name, _, _, replace in lines if replace]
    inner += [f"proxy_hide_header {_plan.header_name(name)};" for name in hidden]
    inner += [f"add_header {name} $crossgate_{target} always;" for name, target in spot.headers]
    if spot.state is not None:
        inner.append(f"add_header Vary $crossgate_l{n}_vary always;")
    inner += [
        f"add_header {name} $crossgate_l{n}_h{index} always;"
        for index, (name, _, _, _) in enumerate(lines)
    ]
    for head in heads:
        body += [head, *(_INDENT + line for line in inner), "}"]
    return body


def _variables_hash(plan: _plan.Plan) -> int:
    """A variables_hash_max_size that holds every variable the file declares (a power of two,
    at least nginx's default), so nginx builds its hash without a warning."""
    count = 64 + len(plan.maps) + 2 * len(plan.spots)
    for spot in plan.spots:
        count += len(spot.headers) + len(static_lines(spot.location))
    size = 1024
    while size < 8 * count:
        size *= 2
    return size


def write_nginx(table: ExportTable, *, upstream: str, listen: str, source: str) -> str:
    """The nginx configuration of *table* for the ``http {}`` context: the ``map`` blocks and a
    ``server`` listening on *listen* that proxies to *upstream* (``http://host:port``). Raises
    ExportError for a value nginx cannot be given as it is."""
    _plan.listen_address(listen)
    upstream = _plan.address(upstream, "--upstream")
    plan = _plan.build_plan(table)
    out = [
        f"# Generated by `flask crossgate export nginx` from {_plan.shown(source)}: regenerate, do "
        "not edit.",
        "# For the http {} context. nginx answers CORS preflights on the app's routes and adds",
        "# the CORS headers to every response of those routes (always: errors too); the app's",
        "# own CORS headers are hidden there (proxy_hide_header), so a response never carries",
        "# two. Paths no route matches: the last locations. Header policies: their static",
        "# lines are added where the app did not send them; CSP nonces stay in the app.",
        "# The file declares many variables: it sizes nginx's variables hash itself (do not",
        "# set variables_hash_max_size or variables_hash_bucket_size in your http {} block).",
        f"variables_hash_max_size {_variables_hash(plan)};",
        "variables_hash_bucket_size 128;",
    ]
    if table.https_redirect:
        out.append("# https_redirect stays in the app (it needs the client's scheme).")
    out += ['geo $crossgate_dollar { default "$"; }']
    refusals: list[Refusal] = []
    for item in plan.maps:
        out += _plan.written(item.route, refusals, partial(_map, item))
    for spot in plan.spots:
        if not spot.location.passthrough:
            out += _plan.written(spot.location.label, refusals, partial(_spot_maps, spot))
    server = [
        "server {",
        f"{_INDENT}listen {listen};",
        f"{_INDENT}proxy_http_version 1.1;",
        f"{_INDENT}proxy_set_header Host $http_host;",
        f"{_INDENT}proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        f"{_INDENT}proxy_set_header X-Forwarded-Proto $scheme;",
        *nginx_gate(upstream, _INDENT),
    ]
    if not any(spot.location.fallback and spot.location.regex is None for spot in plan.spots):
        server += [
            f"{_INDENT}# Paths no route matches: the app answers them, CORS included.",
            f"{_INDENT}location / {{",
            f"{_INDENT * 2}proxy_pass {upstream};",
            f"{_INDENT}}}",
        ]
    if any(spot.passes is not None for spot in plan.spots):
        server += [
            f"{_INDENT}# Requests another URL rule may serve: the app answers them, CORS included.",
            f"{_INDENT}location {_APP} {{",
            f"{_INDENT * 2}proxy_pass {upstream};",
            f"{_INDENT}}}",
        ]
    for spot in plan.spots:
        lines = _plan.written(
            spot.location.label, refusals, partial(_location, spot, plan, upstream)
        )
        server += [_INDENT + line for line in lines]
    if refusals:
        raise ExportError(dict.fromkeys(refusals))
    out += [*server, "}"]
    return "\n".join(out) + "\n"


def _spot_maps(spot: _plan.Spot) -> list[str]:
    lines = _vary_map(spot) if spot.state is not None else []
    return lines + _header_maps(spot.location)
