"""The HAProxy writer: an export plan (``crossgate.export._plan``) as a whole ``haproxy.cfg``
(``global``, ``defaults``, one ``frontend`` and the app's ``backend``).

HAProxy computes nothing lazily, so each map of the plan is a run of ``http-request`` rules in
the plan's dependency order: the default, then each entry (last first, so the first entry that
matches is the one left) set ``txn.crossgate_NAME`` under an ACL on the map's source (``-m str``
for an exact key, ``-m reg`` for a regex; an empty value unsets the variable, which then reads
as empty). The request headers a map reads are copied first (``txn.crossgate_in_*``, the first
line of each); the path is ``path`` and the raw target ``url`` (HAProxy normalises nothing).

Then ``txn.crossgate_at`` names the location deciding the request: ``app`` for a request the
gate (``SPELLED``) or a ``Deferral`` leaves to the app, else the first location whose path
matches, in the plan's order. ``http-request return`` answers its preflights (204, 403);
``http-after-response`` rules, which see the proxy's own answers and the app's alike, remove
the app's CORS headers, set each CORS header that has a value, merge ``Origin`` into ``Vary``
and add a header policy's static lines.

Escaping, one primitive (:func:`_quoted`): every value is a single-quoted word, in which HAProxy
reads nothing (no escape, no ``${VAR}``, no ``#``), a quote written ``'\\''``. Values HAProxy
reads as log-format (``set-var-fmt``, ``set-header``) have their ``%`` doubled; an empty format
is never written (HAProxy 2.6 crashes on one). Regexes are PCRE2 without UTF mode, as nginx's:
a control character as ``\\xNN``, another character as its UTF-8 bytes, refused in a class.
"""

from __future__ import annotations

import re
from functools import partial

from crossgate._engine import PREFLIGHT_VARY
from crossgate.export._headers import CORS_HEADERS, static_lines
from crossgate.export._plan import (
    Expr,
    In,
    Key,
    Map,
    Plan,
    Spot,
    Unwritable,
    Var,
    address,
    build_plan,
    header_name,
    header_value,
    limited,
    pcre_bytes,
    shown,
    written,
)
from crossgate.export._spelling import VARIABLE as SPELLED_VARIABLE
from crossgate.export._table import ExportError, ExportTable, Refusal

_IN = "    "
_REQ = "http-request"
_RES = "http-after-response"
#: The request headers a map may read, copied to ``txn.crossgate_in_<input>``.
_HEADERS = {
    "origin": "origin",
    "acrm": "access-control-request-method",
    "acrh": "access-control-request-headers",
    "acrpn": "access-control-request-private-network",
}
#: The other inputs, read as HAProxy samples: the raw path and the raw request target.
_FETCHES = {"method": "method", "path": "path", "target": "url"}
_AT = "txn.crossgate_at"
#: ``txn.crossgate_at`` of a request the app answers untouched.
_APP = "app"


def _quoted(text: str, option: str = "headers") -> str:
    """*text* as one HAProxy word read back exactly: single-quoted, a quote written ``\\'`` and
    a control character ``\\xNN`` between quoted parts (HAProxy joins them); NUL refused."""
    if "\0" in text:
        raise Unwritable(option, f"{text!r} contains a NUL character")
    escaped = re.sub(r"[\x01-\x1f\x7f']", _outside, text)
    return f"'{escaped}'"


def _outside(found: re.Match[str]) -> str:
    char = found.group()
    return "'\\''" if char == "'" else f"'\\x{ord(char):02x}'"


def _sample(part: In | Var) -> str:
    if isinstance(part, Var):
        return f"var(txn.crossgate_{part.name})"
    if part.name in _HEADERS:
        return f"var(txn.crossgate_in_{part.name})"
    return _FETCHES[part.name]


def _format(expr: Expr) -> str:
    """*expr* as a log-format text (literal text with ``%`` doubled), unquoted."""
    return "".join(
        header_value(part).replace("%", "%%") if isinstance(part, str) else f"%[{_sample(part)}]"
        for part in expr
    )


def _regex(text: str) -> str:
    """*text* (a regex) as a word HAProxy's PCRE2 compiles as Python reads it."""
    return _quoted(pcre_bytes(text, "HAProxy"))


def _acl(sample: str, key: Key) -> str:
    """The condition that *sample* matches *key*."""
    if not key.regex:
        if not key.text:
            return f"!{{ {sample} -m len gt 0 }}"
        return f"{{ {sample} -m str -- {_quoted(key.text)} }}"
    return f"{{ {sample} -m reg -- {_regex(limited(key))} }}"


def _assign(target: str, value: Expr, condition: str = "") -> str:
    """The rule setting ``txn.crossgate_<target>`` to *value* (unset when empty)."""
    when = f" if {condition}" if condition else ""
    text = _format(value)
    if not text:
        return f"{_REQ} unset-var(txn.crossgate_{target}){when}"
    return f"{_REQ} set-var-fmt(txn.crossgate_{target}) {_quoted(text)}{when}"


def _map(item: Map, guard: str = "") -> list[str]:
    """The rules computing *item*, each under *guard* (a condition) when one is given."""
    lines = []
    if len(item.source) == 1 and not isinstance(item.source[0], str):
        sample = _sample(item.source[0])
    else:  # a composite source: computed once, into its own variable
        lines.append(_assign(f"{item.target}_in", item.source, guard))
        sample = f"var(txn.crossgate_{item.target}_in)"
    lines.append(_assign(item.target, item.default, guard))
    for key, value in reversed(item.entries):  # the last rule applied wins: the first entry
        lines.append(_assign(item.target, value, f"{guard} {_acl(sample, key)}".strip()))
    return lines


def _names(expr: Expr) -> set[str]:
    return {part.name for part in expr if isinstance(part, Var)}


def ordered(maps: tuple[Map, ...]) -> list[Map]:
    """*maps* in an order where each comes after the maps it reads (the plan's order where it
    already is: rules run in order, a map read before it is set would read empty)."""
    pending, out = list(maps), []
    while pending:
        for item in pending:
            reads = _names(item.source) | _names(item.default)
            reads |= {name for _, value in item.entries for name in _names(value)}
            if not (reads - {item.target}) & {other.target for other in pending}:
                break
        else:
            raise ValueError(f"the export's maps read each other in a cycle: {pending}")
        pending.remove(item)
        out.append(item)
    return out


def _inputs() -> list[str]:
    """The request headers the maps read, copied once (the first line of each)."""
    return [
        f"{_REQ} set-var-fmt(txn.crossgate_in_{name}) '%[req.fhdr({header},1)]'"
        for name, header in _HEADERS.items()
    ]


def _at(number: int | str) -> str:
    return f"{{ var({_AT}) -m str {number} }}"


def _choose(spot: Spot) -> list[str]:
    """The rule naming *spot*'s location the request's, when no earlier one matched."""
    location = spot.location
    value = _APP if location.passthrough else str(location.number)
    rule = f"{_REQ} set-var({_AT}) str({value}) if !{{ var({_AT}) -m found }}"
    if location.regex is not None:
        regex = location.regex
        rule += f" {{ path -m reg -- {_regex(regex)} }}"
        if location.unless is not None:
            rule += f" !{{ path -m reg -- {_regex(location.unless)} }}"
    elif not location.fallback:
        paths = " ".join(_quoted(path, "path") for path in location.exact_paths)
        rule += f" {{ path -m str -- {paths} }}"
    return [f"# {shown(location.label)}", rule]


def _answers(spot: Spot) -> list[str]:
    """The preflights *spot*'s location answers itself, and the requests it passes on."""
    n = spot.location.number
    lines = []
    if spot.passes is not None:
        # Requests another URL rule may serve: the app routes them and answers their CORS.
        passes = f"{{ var(txn.crossgate_{spot.passes}) -m str 1 }}"
        lines.append(f"{_REQ} set-var({_AT}) str({_APP}) if {_at(n)} {passes}")
    if spot.state is not None and not spot.location.fallback:
        state = f"var(txn.crossgate_{spot.state})"
        lines += [
            f"{_REQ} return status 204 if {_at(n)} {{ {state} -m beg pre_ok }}",
            f"{_REQ} return status 403 content-type 'text/plain; charset=utf-8' "
            f"string 'CORS preflight refused.' if {_at(n)} {{ {state} -m str pre_no }}",
        ]
    return lines


def _decorations(spot: Spot, plan: Plan) -> list[str]:
    """The response rules of *spot*'s location: the app's CORS headers removed, the CORS
    headers of its state set, Vary merged, the header policy's static lines added."""
    location = spot.location
    at = _at(location.number)
    lines = static_lines(location)
    hidden = list(CORS_HEADERS) if plan.table.answers_preflights else []
    hidden += [line.name for line in lines if line.replace]
    out = [f"{_RES} del-header {header_name(name)} if {at}" for name in hidden]
    for name, target in spot.headers:
        value = f"var(txn.crossgate_{target})"
        out.append(
            f"{_RES} set-header {header_name(name)} '%[{value}]' if {at} {{ {value} -m len gt 0 }}"
        )
    if spot.state is not None:
        answered = f"{{ var(txn.crossgate_{spot.state}) -m beg pre_ }}"
        if not location.fallback:  # a preflight the proxy answered: no app response
            vary = _quoted(_format((PREFLIGHT_VARY,)))
            out.append(f"{_RES} set-header Vary {vary} if {at} {answered}")
        if spot.varies != "0":
            varies = ""
            if isinstance(spot.varies, Var):
                varies = f" {{ var(txn.crossgate_{spot.varies.name}) -m str 1 }}"
            out.append(
                f"{_RES} add-header Vary Origin if {at} !{answered}{varies} "
                "!{ res.hdr(vary) -m str -i origin }"
            )
    for line in lines:
        name = header_name(line.name)
        absent = "" if line.replace else f" !{{ res.hdr({name}) -m found }}"
        for scheme, text in (("", line.https), ("!", line.http)):
            if text is not None:
                value = _quoted(_format((text,)))
                out.append(f"{_RES} set-header {name} {value} if {at} {scheme}{{ ssl_fc }}{absent}")
    return out


def _server(upstream: str) -> str:
    scheme, _, host = upstream.partition("://")
    if scheme == "https":
        name = re.sub(r":[0-9]+$", "", host).strip("[]")
        return f"server app {host} ssl verify required ca-file @system-ca sni str({name})"
    return f"server app {host}"


def write_haproxy(table: ExportTable, *, upstream: str, listen: str, source: str) -> str:
    """The ``haproxy.cfg`` of *table*: a frontend on *listen* answering CORS as the app does,
    in front of the backend *upstream* (``http://host:port``). Raises ExportError for a value
    HAProxy cannot be given as it is."""
    listen, upstream = address(listen, "--listen"), address(upstream, "--upstream")
    if not re.search(r":[0-9]+$", listen):
        raise ValueError(f"--listen {listen!r} has no port: write it as '127.0.0.1:8080'")
    plan = build_plan(table)
    refusals: list[Refusal] = []
    maps = ordered(plan.maps)
    rules = _inputs()
    for item in maps:  # the gate and the maps every request may read
        if item.location is None:
            rules += written(item.route, refusals, partial(_map, item))
    rules += [
        "# A path HAProxy may read otherwise than the app (%-encoded, //, . or ..): to the app",
        "# untouched, before any location (docs/deployment.md).",
        f"{_REQ} set-var({_AT}) str({_APP}) unless {{ var(txn.{SPELLED_VARIABLE}) -m str 1 }}",
    ]
    for spot in plan.spots:
        rules += written(spot.location.label, refusals, partial(_choose, spot))
    # A location's own maps: computed only for the requests it decides.
    for item in maps:
        if item.location is not None:
            rules += written(item.route, refusals, partial(_map, item, _at(item.location)))
    responses: list[str] = []
    for spot in plan.spots:
        if not spot.location.passthrough:
            rules += written(spot.location.label, refusals, partial(_answers, spot))
            responses += written(spot.location.label, refusals, partial(_decorations, spot, plan))
    if refusals:
        raise ExportError(dict.fromkeys(refusals))
    out = [
        f"# Generated by `flask crossgate export haproxy` from {shown(source)}: regenerate, do "
        "not edit.",
        "# A whole haproxy.cfg. HAProxy answers CORS preflights on the app's routes and adds the",
        "# CORS headers to every response of those routes (its own answers and errors too); the",
        "# app's own CORS headers are removed there, so a response never carries two. Paths no",
        "# route matches: the last locations. Header policies: static lines added where the",
        "# app did not send them; CSP nonces stay in the app.",
    ]
    if table.https_redirect:
        out.append("# https_redirect stays in the app (it needs the client's scheme).")
    out += [
        "global",
        f"{_IN}maxconn 4096",
        "",
        "defaults",
        f"{_IN}mode http",
        f"{_IN}option forwardfor",
        f"{_IN}timeout connect 5s",
        f"{_IN}timeout client 60s",
        f"{_IN}timeout server 60s",
        f"{_IN}timeout http-request 10s",
        "",
        "frontend crossgate",
        f"{_IN}bind {listen}",
        f"{_IN}http-request set-header X-Forwarded-Proto https if {{ ssl_fc }}",
        f"{_IN}http-request set-header X-Forwarded-Proto http if !{{ ssl_fc }}",
        *(_IN + line for line in rules),
        *(_IN + line for line in responses),
        f"{_IN}default_backend crossgate_app",
        "",
        "backend crossgate_app",
        f"{_IN}{_server(upstream)}",
    ]
    return "\n".join(out) + "\n"
