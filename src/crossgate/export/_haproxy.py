"""The HAProxy writer: an export plan (``crossgate.export._plan``) as a whole ``haproxy.cfg``
(``global``, ``defaults``, one ``frontend``, one ``backend`` per location and the app's own).

The frontend copies the request headers the maps read (``txn.crossgate_in_*``, the first line of
each), computes the gate (``SPELLED`` on ``url``, the raw target: HAProxy normalises nothing)
and chooses the location with ``use_backend`` rules in the plan's order, on ``path`` (the path
as sent); a request the gate refuses, and the paths of a location the app answers, go to
``crossgate_app`` untouched. Each location's backend is where its decisions are made, for its
requests only (HAProxy computes nothing lazily): each map the location reads is a run of
``http-request`` rules in the plan's dependency order, the default, then each entry (last
first, so the first entry that matches is the one left) setting ``txn.crossgate_NAME`` under an
ACL on the map's source (``-m str`` for an exact key, ``-m reg`` for a regex; an empty value
unsets the variable, which then reads as empty). ``http-request return`` answers its preflights
(204, 403); ``http-after-response`` rules, which see HAProxy's own answers and the app's alike,
remove the app's CORS headers, set each CORS header that has a value, merge ``Origin`` into
``Vary`` and add a header policy's static lines, all skipped for the requests another URL rule
may serve (``Deferral``), which thus reach the app and come back untouched.

Escaping, one primitive (:func:`_quoted`): every value is a single-quoted word, in which HAProxy
reads nothing (no escape, no ``${VAR}``, no ``#``), a quote written ``'\\''`` and a control
character ``'\\xNN'`` between quoted parts (HAProxy joins them). Values HAProxy reads as
log-format (``set-var-fmt``, ``set-header``) have their ``%`` doubled; an empty format is never
written (HAProxy 2.6 crashes on one). Regexes are PCRE2 without UTF mode, as nginx's
(``pcre_bytes``).
"""

from __future__ import annotations

import re
from functools import partial

from crossgate.export import _plan
from crossgate.export._headers import CORS_HEADERS, preflight_vary, static_lines
from crossgate.export._spelling import MAP as SPELLED_MAP
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
#: The backend of the requests the app answers untouched.
_APP = "crossgate_app"


def _quoted(text: str, option: str = "headers") -> str:
    """*text* as one HAProxy word read back exactly: single-quoted, a quote written ``\\'`` and
    a control character ``\\xNN`` between quoted parts (HAProxy joins them); NUL refused."""
    if "\0" in text:
        raise _plan.Unwritable(option, f"{text!r} contains a NUL character")
    escaped = re.sub(r"[\x01-\x1f\x7f']", _outside, text)
    return f"'{escaped}'"


def _outside(found: re.Match[str]) -> str:
    char = found.group()
    return "'\\''" if char == "'" else f"'\\x{ord(char):02x}'"


def _sample(part: _plan.In | _plan.Var) -> str:
    if isinstance(part, _plan.Var):
        return f"var(txn.crossgate_{part.name})"
    if part.name in _HEADERS:
        return f"var(txn.crossgate_in_{part.name})"
    return _FETCHES[part.name]


def _format(expr: _plan.Expr) -> str:
    """*expr* as a log-format text (literal text with ``%`` doubled), unquoted."""
    return "".join(
        _plan.header_value(part).replace("%", "%%")
        if isinstance(part, str)
        else f"%[{_sample(part)}]"
        for part in expr
    )


def _regex(text: str) -> str:
    """*text* (a regex) as a word HAProxy's PCRE2 compiles as Python reads it."""
    return _quoted(_plan.pcre_bytes(text, "HAProxy"))


def _acl(sample: str, key: _plan.Key) -> str:
    """The condition that *sample* matches *key*."""
    if not key.regex:
        if not key.text:
            return f"!{{ {sample} -m len gt 0 }}"
        return f"{{ {sample} -m str -- {_quoted(key.text)} }}"
    return f"{{ {sample} -m reg -- {_regex(_plan.limited(key))} }}"


def _assign(target: str, value: _plan.Expr, condition: str = "") -> str:
    """The rule setting ``txn.crossgate_<target>`` to *value* (unset when empty)."""
    when = f" if {condition}" if condition else ""
    text = _format(value)
    if not text:
        return f"{_REQ} unset-var(txn.crossgate_{target}){when}"
    return f"{_REQ} set-var-fmt(txn.crossgate_{target}) {_quoted(text)}{when}"


def _map(item: _plan.Map) -> list[str]:
    """The rules computing *item*: its default, then each entry, the first entry last."""
    lines = []
    if len(item.source) == 1 and not isinstance(item.source[0], str):
        sample = _sample(item.source[0])
    else:  # a composite source: computed once, into its own variable
        lines.append(_assign(f"{item.target}_in", item.source))
        sample = f"var(txn.crossgate_{item.target}_in)"
    lines.append(_assign(item.target, item.default))
    for key, value in reversed(item.entries):  # the last rule applied wins: the first entry
        lines.append(_assign(item.target, value, _acl(sample, key)))
    return lines


def _names(expr: _plan.Expr) -> set[str]:
    return {part.name for part in expr if isinstance(part, _plan.Var)}


def _reads(item: _plan.Map) -> set[str]:
    """The maps *item* reads (not itself)."""
    reads = _names(item.source) | _names(item.default)
    reads |= {name for _, value in item.entries for name in _names(value)}
    return reads - {item.target}


def ordered(maps: tuple[_plan.Map, ...]) -> list[_plan.Map]:
    """*maps* in an order where each comes after the maps it reads (the plan's order where it
    already is: rules run in order, a map read before it is set would read empty)."""
    pending, out = list(maps), []
    while pending:
        for item in pending:
            if not _reads(item) & {other.target for other in pending}:
                break
        else:
            raise ValueError(f"the export's maps read each other in a cycle: {pending}")
        pending.remove(item)
        out.append(item)
    return out


def _needed(spot: _plan.Spot, maps: list[_plan.Map]) -> list[_plan.Map]:
    """The maps *spot*'s location reads (and the maps they read), in *maps*' order."""
    by_target = {item.target: item for item in maps}
    wanted = [spot.state, spot.passes, *(target for _, target in spot.headers)]
    if isinstance(spot.varies, _plan.Var):
        wanted.append(spot.varies.name)
    found: set[str] = set()
    pending = [name for name in wanted if name is not None]
    while pending:
        name = pending.pop()
        if name not in found and name in by_target:
            found.add(name)
            pending += _reads(by_target[name])
    return [item for item in maps if item.target in found]


def _inputs() -> list[str]:
    """The request headers the maps read, copied once (the first line of each)."""
    return [
        f"{_REQ} set-var-fmt(txn.crossgate_in_{name}) '%[req.fhdr({header},1)]'"
        for name, header in _HEADERS.items()
    ]


def _backend_name(spot: _plan.Spot) -> str:
    return _APP if spot.location.passthrough else f"crossgate_l{spot.location.number}"


def _choose(spot: _plan.Spot) -> list[str]:
    """The frontend rule sending the requests of *spot*'s location to its backend (the first
    rule that matches wins, in the plan's order; the catch-all is the default backend)."""
    location = spot.location
    rule = f"use_backend {_backend_name(spot)} if"
    if location.regex is not None:
        rule += f" {{ path -m reg -- {_regex(location.regex)} }}"
        if location.unless is not None:
            rule += f" !{{ path -m reg -- {_regex(location.unless)} }}"
    else:
        paths = " ".join(_quoted(path, "path") for path in location.exact_paths)
        rule += f" {{ path -m str -- {paths} }}"
    return [f"# {_plan.shown(location.label)}", rule]


def _if(*conditions: str) -> str:
    """`` if`` and the *conditions* (ANDed) that are not empty, or nothing."""
    given = " ".join(condition for condition in conditions if condition)
    return f" if {given}" if given else ""


def _answers(spot: _plan.Spot, kept: str) -> list[str]:
    """The preflights *spot*'s location answers itself (those it keeps: *kept*)."""
    if spot.state is None or spot.location.fallback:
        return []
    state = f"var(txn.crossgate_{spot.state})"
    return [
        f"{_REQ} return status 204{_if(kept, f'{{ {state} -m beg pre_ok }}')}",
        f"{_REQ} return status 403 content-type 'text/plain; charset=utf-8' "
        f"string 'CORS preflight refused.'{_if(kept, f'{{ {state} -m str pre_no }}')}",
    ]


def _decorations(spot: _plan.Spot, plan: _plan.Plan, kept: str) -> list[str]:
    """The response rules of *spot*'s location: the app's CORS headers removed, the CORS
    headers of its state set, Vary merged, the header policy's static lines added."""
    location = spot.location
    lines = static_lines(location)
    hidden = list(CORS_HEADERS) if plan.table.answers_preflights else []
    hidden += [line.name for line in lines if line.replace]
    out = [f"{_RES} del-header {_plan.header_name(name)}{_if(kept)}" for name in hidden]
    for name, target in spot.headers:
        value = f"var(txn.crossgate_{target})"
        sent = _if(kept, f"{{ {value} -m len gt 0 }}")
        out.append(f"{_RES} set-header {_plan.header_name(name)} '%[{value}]'{sent}")
    if spot.state is not None:
        answered = f"{{ var(txn.crossgate_{spot.state}) -m beg pre_ }}"
        if not location.fallback:  # a preflight the proxy answered: no app response
            vary = _quoted(_format((preflight_vary(location),)))
            out.append(f"{_RES} set-header Vary {vary}{_if(kept, answered)}")
        if spot.varies != "0":
            varies = ""
            if isinstance(spot.varies, _plan.Var):
                varies = f"{{ var(txn.crossgate_{spot.varies.name}) -m str 1 }}"
            origin = "!{ res.hdr(vary) -m str -i origin * }"
            out.append(f"{_RES} add-header Vary Origin{_if(kept, '!' + answered, varies, origin)}")
    for line in lines:
        name = _plan.header_name(line.name)
        absent = "" if line.replace else f"!{{ res.hdr({name}) -m found }}"
        for scheme, text in (("{ ssl_fc }", line.https), ("!{ ssl_fc }", line.http)):
            if text is not None:
                value = _quoted(_format((text,)))
                out.append(f"{_RES} set-header {name} {value}{_if(kept, scheme, absent)}")
    return out


def _backend(spot: _plan.Spot, plan: _plan.Plan, maps: list[_plan.Map], server: str) -> list[str]:
    """*spot*'s location as a backend: the maps it reads, its preflight answers, its response
    rules; the requests another URL rule may serve (``passes``) reach the app untouched."""
    lines = [f"# {_plan.shown(spot.location.label)}", f"backend {_backend_name(spot)}"]
    rules: list[str] = []
    for item in _needed(spot, maps):
        rules += _map(item)
    # Requests another URL rule may serve: the app routes them and answers their CORS.
    kept = "" if spot.passes is None else f"!{{ var(txn.crossgate_{spot.passes}) -m str 1 }}"
    rules += _answers(spot, kept)
    rules += _decorations(spot, plan, kept)
    return lines + [_IN + line for line in [*rules, server]] + [""]


def _server(upstream: str) -> str:
    scheme, _, host = upstream.partition("://")
    if scheme == "https":
        name = re.sub(r":[0-9]+$", "", host).strip("[]")
        return f"server app {host} ssl verify required ca-file @system-ca sni str({name})"
    return f"server app {host}"


def write_haproxy(table: ExportTable, *, upstream: str, listen: str, source: str) -> str:
    """The ``haproxy.cfg`` of *table*: a frontend on *listen* choosing each request's location,
    one backend per location answering CORS as the app does, in front of *upstream*
    (``http://host:port``). Raises ExportError for a value HAProxy cannot be given as it is."""
    _plan.listen_address(listen)
    upstream = _plan.address(upstream, "--upstream")
    plan = _plan.build_plan(table)
    server = _server(upstream)
    refusals: list[Refusal] = []
    maps = ordered(plan.maps)
    gate = [item for item in maps if item.target == SPELLED_MAP]
    rules = _inputs() + [line for item in gate for line in _map(item)]
    rules += [
        "# A path HAProxy may read otherwise than the app (%-encoded, //, . or ..): to the app",
        "# untouched, before any location (docs/deployment.md).",
        f"use_backend {_APP} unless {{ var(txn.{SPELLED_VARIABLE}) -m str 1 }}",
    ]
    default = _APP
    backends: list[str] = []
    for spot in plan.spots:
        label = spot.location.label
        if spot.location.fallback and spot.location.regex is None:
            default = _backend_name(spot)  # the paths no other location matches
        else:
            rules += _plan.written(label, refusals, partial(_choose, spot))
        if not spot.location.passthrough:
            backends += _plan.written(label, refusals, partial(_backend, spot, plan, maps, server))
    if refusals:
        raise ExportError(dict.fromkeys(refusals))
    out = [
        f"# Generated by `flask crossgate export haproxy` from {_plan.shown(source)}: regenerate, "
        "do not edit.",
        "# A whole haproxy.cfg. HAProxy answers CORS preflights on the app's routes and adds the",
        "# CORS headers to every response of those routes (its own answers and errors too); the",
        "# app's own CORS headers are removed there, so a response never carries two. Each",
        "# location is a backend; paths no route matches: the last ones. Header policies: static",
        "# lines added where the app did not send them; CSP nonces stay in the app.",
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
        f"{_IN}default_backend {default}",
        "",
        "# The app, untouched: the requests no location decides.",
        f"backend {_APP}",
        f"{_IN}{server}",
        "",
        *backends,
    ]
    return "\n".join(out).rstrip("\n") + "\n"
