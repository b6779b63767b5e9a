"""The Caddy writer: an export plan (``crossgate.export._plan``) as a Caddyfile site.

Each map of the plan is a Caddy ``map``; in a location's ``handle``, ``vars`` matchers on its
state answer preflights (``respond``) and each CORS header is a ``header`` of its map's value,
matched only when that value is not empty. ``reverse_proxy`` removes the app's own CORS headers
(``header_down -Name``) so a response never carries two; the app's ``Vary`` is merged with
``Origin`` by two ``header_down`` replacements (append, then drop a repeat). Requests another URL
rule may serve (``Deferral``) go to a nested ``handle`` that proxies them untouched.

Escaping (Caddy 2.6 reads a Caddyfile in three layers, each handled once; one map output is
special):

- the file: ``{$NAME}`` is replaced by an environment variable before anything is read, even in
  quotes, so a value containing ``{$`` is refused (regexes write ``{`` as ``\\x7b``);
- tokens (:func:`_token`): a backtick token holds anything but a backtick; a value with a
  backtick is a quoted token (``\\"``), refused when it has a backslash before a quote or at its
  end, which no quoted token can hold;
- placeholders: header values, map sources and the values of exactly-matched map entries expand
  ``{...}``, so their literal ``{`` and ``}`` are written ``\\{``, ``\\}``; a regex entry's value
  expands ``$1`` instead, so its ``$`` is written ``$$``. Map keys and regexes are read as they
  are;
- a map output of exactly ``-`` (quoted or not) is "no value" to Caddy's ``map``: refused
  (:func:`_output`).

Regexes are RE2 here: the table refuses what RE2 cannot run. RE2 has no lookahead, so a key's
limit (``_plan.limited``) is not written: the engine's 4096-character limit on
Access-Control-Request-Headers and its 512-character limit on an Origin (no browser sends one
that long: a host name has at most 253) are left to Caddy's own limits.
"""

from __future__ import annotations

import re
from functools import partial

from crossgate.export import _plan
from crossgate.export._headers import CORS_HEADERS, preflight_vary, static_lines
from crossgate.export._spelling import caddy_gate
from crossgate.export._table import ExportError, ExportTable, Refusal

_IN = "\t"
_INPUTS = {
    "origin": "{http.request.header.Origin}",
    "acrm": "{http.request.header.Access-Control-Request-Method}",
    "acrh": "{http.request.header.Access-Control-Request-Headers}",
    "acrpn": "{http.request.header.Access-Control-Request-Private-Network}",
    "method": "{method}",
    "path": "{http.request.uri.path}",
    "target": "{http.request.orig_uri}",
}


def _no_environment(text: str, option: str = "headers") -> str:
    """*text*, or Unwritable when it holds ``{$``, which no Caddyfile can hold literally."""
    if "{$" in text:
        raise _plan.Unwritable(
            option, f"{text!r} contains '{{$', which Caddy replaces by an environment variable"
        )
    return text


def _token(text: str, option: str = "headers") -> str:
    """*text* as one Caddyfile token read back exactly, or Unwritable."""
    _no_environment(text, option)
    if text in ("{", "}"):
        raise _plan.Unwritable(option, f"{text!r} alone is read by Caddy as a block's brace")
    if "`" not in text:
        return f"`{text}`"
    if text.endswith("\\") or '\\"' in text:
        raise _plan.Unwritable(option, f"{text!r} has a backtick and a backslash before a quote")
    return '"' + text.replace('"', '\\"') + '"'


def _placeholder(part: _plan.In | _plan.Var) -> str:
    return _INPUTS[part.name] if isinstance(part, _plan.In) else f"{{crossgate_{part.name}}}"


def _placeholders(expr: _plan.Expr) -> str:
    """*expr* as text Caddy expands placeholders in. The replacer reads a text without any
    ``{`` as it is; in one with a ``{``, a backslash before a brace is dropped, so there every
    literal brace is written ``\\{``, ``\\}``."""
    for part in expr:
        if isinstance(part, str):
            _no_environment(_plan.header_value(part))
    escape = any(not isinstance(part, str) or "{" in part for part in expr)
    return "".join(
        _placeholder(part)
        if not isinstance(part, str)
        else (re.sub(r"[{}]", r"\\\g<0>", part) if escape else part)
        for part in expr
    )


def _regex_value(expr: _plan.Expr, source: _plan.Expr) -> str:
    """*expr* as the value of a regex entry: Caddy expands ``$1`` there, not placeholders; the
    whole source (the only input such a value reads) is ``${0}``."""
    parts = []
    for part in expr:
        if isinstance(part, str):
            parts.append(_plan.header_value(part).replace("$", "$$"))
        else:
            assert (part,) == source, "a regex entry's value reads only its source"
            parts.append("${0}")
    return "".join(parts)


def _re2_unit(unit: str, _in_class: bool, rest: str) -> str | None:
    if unit == "\\{" or (unit == "{" and not rest[:1].isdigit() and rest[:1] != ","):
        return "\\x7b"  # never '{$' in the file; a literal brace either way
    if unit == "`":
        return "\\x60"
    if len(unit) > 1 or (unit.isascii() and unit.isprintable()):
        return None
    return f"\\x{{{ord(unit):x}}}"


def _regex(text: str) -> str:
    return _token(_plan.respelled(text, _re2_unit), "path")


def _output(text: str) -> str:
    """*text* as a map's output token, or Unwritable: Caddy reads an output of exactly ``-``
    (quoted or not) as "no value" and skips the entry."""
    if text == "-":
        raise _plan.Unwritable(
            "headers", "value '-' alone is read by Caddy's map as no value: it would not be sent"
        )
    return _token(text)


def _map(item: _plan.Map) -> list[str]:
    lines = [f"map {_token(_placeholders(item.source))} {{crossgate_{item.target}}} {{"]
    for key, value in item.entries:
        if key.regex:
            entry = f"{_regex('~' + key.text)} {_output(_regex_value(value, item.source))}"
        else:
            entry = f"{_token(key.text)} {_output(_placeholders(value))}"
        lines.append(_IN + entry)
    return [*lines, f"{_IN}default {_output(_placeholders(item.default))}", "}"]


def _header_block(matcher: str, headers: list[tuple[str, str]], operator: str = "") -> list[str]:
    """A ``header`` block setting each header (with *operator*: ``?`` sets only when absent)."""
    if not headers:
        return []
    lines = [f"header {matcher} {{"]
    for name, value in headers:
        lines.append(f"{_IN}{operator}{_plan.header_name(name)} {_token(_placeholders((value,)))}")
    return [*lines, "}"]


def _cors(spot: _plan.Spot, plan: _plan.Plan) -> list[str]:
    """A location's preflight answers and CORS headers, from its state and header maps."""
    state = f"{{crossgate_{spot.state}}}"
    inner = []
    for index, (name, target) in enumerate(spot.headers):
        inner += [
            f'@h{index} not vars {{crossgate_{target}}} ""',
            f"header @h{index} {_plan.header_name(name)} {{crossgate_{target}}}",
        ]
    if spot.location.fallback:  # preflights too are decorated, as the app's 404
        return inner
    if spot.allowed:
        inner.append(f"@pre_ok vars {state} " + " ".join(f"pre_ok{i}" for i in spot.allowed))
    inner.append(f"@pre_no vars {state} pre_no")
    # Header policy lines on the preflight answers: no app response to find them in.
    lines = static_lines(spot.location)
    static = [(line.name, line.https) for line in lines if line.https is not None]
    for which in (["@pre_ok"] if spot.allowed else []) + ["@pre_no"]:
        inner += _header_block(which, [("Vary", preflight_vary(spot.location)), *static])
        inner.append(
            f"respond {which} 204"
            if which == "@pre_ok"
            else 'respond @pre_no "CORS preflight refused." 403'
        )
    return inner


def _proxying(spot: _plan.Spot, plan: _plan.Plan, upstream: str) -> list[str]:
    """The ``reverse_proxy`` of a location: the app's CORS headers removed, Vary merged."""
    lines = static_lines(spot.location)
    hidden = [f"{_IN}header_down -{_plan.header_name(line.name)}" for line in lines if line.replace]
    if plan.table.answers_preflights:
        hidden = [f"{_IN}header_down -{header}" for header in CORS_HEADERS] + hidden
    merge = [
        f'{_IN}header_down Vary "^(.*)$" "${{1}}, Origin"',
        f'{_IN}header_down Vary "(?i)^((?:.*[ ,])?(?:origin|[*])(?:[ ,].*)?), Origin$" "${{1}}"',
    ]
    if spot.varies == "0":
        inner = [f"reverse_proxy {upstream} {{", *hidden, "}"]
    elif spot.varies == "1":
        inner = [f"reverse_proxy {upstream} {{", *hidden, *merge, "}", "header ?Vary Origin"]
    else:
        assert isinstance(spot.varies, _plan.Var)
        inner = [
            f"@merge vars {{crossgate_{spot.varies.name}}} 1",
            f"reverse_proxy @merge {upstream} {{",
            *hidden,
            *merge,
            "}",
            f"reverse_proxy {upstream} {{",
            *hidden,
            "}",
            "header @merge ?Vary Origin",
        ]
    replaced = [(line.name, line.https) for line in lines if line.replace and line.https]
    inner += _header_block("", replaced)
    added = [(line.name, line.https) for line in lines if not line.replace and line.https]
    return inner + _header_block("", added, "?")


def _location(spot: _plan.Spot, plan: _plan.Plan, upstream: str) -> list[str]:
    location = spot.location
    name = f"@crossgate_l{location.number}"
    if location.fallback and location.regex is None:  # the last handle: every other path
        return [
            f"# {_plan.shown(location.label)}",
            "handle {",
            *_handled(spot, plan, upstream),
            "}",
        ]
    if location.regex is not None:
        regex = location.regex
    else:
        regex = "^(?:" + "|".join(re.escape(path) for path in location.exact_paths) + ")$"
    if location.unless is not None:
        matcher = [
            f"{name} {{",
            f"{_IN}path_regexp {_regex(regex)}",
            f"{_IN}not path_regexp {_regex(location.unless)}",
            "}",
        ]
    else:
        matcher = [f"{name} path_regexp {_regex(regex)}"]
    out = [f"# {_plan.shown(location.label)}", *matcher, f"handle {name} {{"]
    if location.passthrough:
        return [*out, f"{_IN}reverse_proxy {upstream}", "}"]
    return [*out, *_handled(spot, plan, upstream), "}"]


def _handled(spot: _plan.Spot, plan: _plan.Plan, upstream: str) -> list[str]:
    """The inside of a location's ``handle`` block."""
    inner = _cors(spot, plan) if spot.state is not None else []
    inner += _proxying(spot, plan, upstream)
    body = [line for block in inner for line in block.split("\n")]
    if spot.passes is not None:
        # Requests another URL rule may serve: the app routes them and answers their CORS.
        body = [
            f"@pass vars {{crossgate_{spot.passes}}} 1",
            "handle @pass {",
            f"{_IN}reverse_proxy {upstream}",
            "}",
            "handle {",
            *(_IN + line for line in body),
            "}",
        ]
    return [_IN + line for line in body]


def write_caddy(table: ExportTable, *, upstream: str, listen: str, source: str) -> str:
    """The Caddyfile of *table*: one site on ``http://listen`` proxying to *upstream*. Raises
    ExportError for a value Caddy cannot be given as it is."""
    (host, port), upstream = _plan.listen_address(listen), _plan.address(upstream, "--upstream")
    plan = _plan.build_plan(table)
    out = [
        f"# Generated by `flask crossgate export caddy` from {_plan.shown(source)}: regenerate, do "
        "not edit.",
        "# Caddy answers CORS preflights on the app's routes and adds the CORS headers to every",
        "# response of those routes; the app's own CORS headers are removed (header_down), so a",
        "# response never carries two. Paths no route matches: the last handle blocks. Header",
        "# policies: static lines only (over https values); CSP nonces stay in the app.",
        # A site address's host would be a Host matcher (and Caddy would bind every interface):
        # the site takes every Host on the port, bound to the host given.
        f"http://:{port} {{",
        f"{_IN}bind {host}",
    ]
    body: list[str] = []
    refusals: list[Refusal] = []
    for item in plan.maps:
        body += _plan.written(item.route, refusals, partial(_map, item))
    body += caddy_gate(upstream, _IN)
    for spot in plan.spots:
        body += _plan.written(
            spot.location.label, refusals, partial(_location, spot, plan, upstream)
        )
    if refusals:
        raise ExportError(dict.fromkeys(refusals))
    if not any(spot.location.fallback and spot.location.regex is None for spot in plan.spots):
        body += ["# Paths no route matches: the app answers them, CORS included.", "handle {"]
        body += [f"{_IN}reverse_proxy {upstream}", "}"]
    out += [_IN + line for line in body]
    out.append("}")
    return "\n".join(out) + "\n"
