"""The map plan of an export table, written once for every proxy: what each request is decided
by, as lookup tables (maps) from a source text to a value, and what each location does with
the result. The dialect writers (``_nginx``, ``_caddy``, ``_haproxy``) only spell it; each
imports this module whole (``_plan.Map``, ``_plan.written``), so its own helpers read apart.

A source or a value is an :data:`Expr`, a sequence of literal text, request inputs (:class:`In`)
and other maps' results (:class:`Var`); a key is a text compared exactly or a regex. The maps:

- ``preflight``: OPTIONS with Origin and Access-Control-Request-Method (Fetch);
- per policy, ``pN_origin`` (the Origin is allowed) and ``pN_headers`` (the requested headers
  pass the policy's check);
- per location, its variant (``lN_variant``, see ``Choice``), the engine's own answer for each
  requested method (``lN_vI_method``, ``lN_vI_acam``), and its **state** (``lN_state``):
  ``pre_okI`` (answer 204 under variant I), ``pre_no`` (answer 403), ``okI`` (proxy, add the
  CORS headers of variant I) or ``no`` (proxy, Vary only);
- per location, one map per CORS header from the state to its value, empty when not sent;
- per location with a ``Deferral``, ``lN_pass``: 1 for the requests the app answers itself.

The state map (:func:`_state_map`) is the one place a further per-request condition is ANDed
into a location's decision: its source begins with the variant, and a request whose state is
``no`` gets no CORS headers from the proxy.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from crossgate._engine import MAX_REQUEST_HEADERS_LENGTH
from crossgate._origins import MAX_ORIGIN_LENGTH
from crossgate._policy import ACAC, ACAH, ACAM, ACAO, ACAPN, ACEH, ACMA, CORSPolicy
from crossgate.export._regex import HEADER_LIST, SERIALIZED_ORIGIN, allowed_names, caseless
from crossgate.export._regex import origin_alternatives as _alternatives
from crossgate.export._spelling import MAP as SPELLED_VAR
from crossgate.export._spelling import SPELLED
from crossgate.export._table import (
    Deferral,
    ExportTable,
    Location,
    Refusal,
    Variant,
    method_answers,
    method_keys,
)

#: The request values a map may read: the headers named so, the method, the (decoded) path, and
#: the request target as the client sent it (path and query, nothing decoded).
Input = Literal["origin", "acrm", "acrh", "acrpn", "method", "path", "target"]


@dataclass(frozen=True, slots=True)
class In:
    """A value of the request."""

    name: Input


@dataclass(frozen=True, slots=True)
class Var:
    """The result of the map named so (``crossgate_`` + name in the configuration)."""

    name: str


Part = str | In | Var
Expr = tuple[Part, ...]


@dataclass(frozen=True, slots=True)
class Key:
    """A map key: *text* compared exactly, or a regex (caseless: ``_regex.caseless``); *limit*:
    longer sources never match (where the engine can say so)."""

    text: str
    regex: bool = False
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class Map:
    """``target`` = the value of the first entry whose key matches ``source``, else default."""

    target: str
    source: Expr
    entries: tuple[tuple[Key, Expr], ...]
    default: Expr
    #: The route it decides for (named in a refusal).
    route: str = "app"


@dataclass(frozen=True, slots=True)
class Spot:
    """What one location does with the maps."""

    location: Location
    #: The state map's name; None on a location the proxy passes untouched.
    state: str | None = None
    #: The variants whose preflights are answered 204.
    allowed: tuple[int, ...] = ()
    #: Each CORS header it may send and the map holding its value (empty: not sent).
    headers: tuple[tuple[str, str], ...] = ()
    #: Whether its responses vary on Origin: "0", "1", or a map's name.
    varies: Part = "0"
    #: The map saying 1 for the requests it passes to the app untouched, if any.
    passes: str | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    table: ExportTable
    maps: tuple[Map, ...]
    spots: tuple[Spot, ...]
    #: Whether a rule ending in '/' is chosen by the path with the slash added (``slash``).
    slash: bool


PREFLIGHT = Var("preflight")


def _regex(text: str, limit: int | None = None) -> Key:
    return Key(text, regex=True, limit=limit)


def _policy_maps(number: int, policy: CORSPolicy) -> list[Map]:
    entries: list[tuple[Key, Expr]] = []
    default = "1"
    if not policy.origins.any_origin:
        exact, patterns = _alternatives(policy.origins)
        if exact:
            entries.append((_regex(f"^[01](?:{'|'.join(exact)})$"), ("1",)))
        if patterns:
            entries.append((_regex(f"^1(?:{'|'.join(patterns)})$"), ("1",)))
        default = "0"
    listed = (
        HEADER_LIST if policy.allowed_headers is None else allowed_names(policy.allowed_headers)
    )
    return [
        Map(f"p{number}_origin", (Var("origin_form"), In("origin")), tuple(entries), (default,)),
        Map(
            f"p{number}_headers",
            (In("acrh"),),
            # Absent is allowed in so many words (nginx never tries a regex on an empty value).
            ((Key(""), ("1",)), (_regex(listed, MAX_REQUEST_HEADERS_LENGTH), ("1",))),
            ("0",),
        ),
    ]


def _by_method(methods: str, value: str) -> list[tuple[Key, Expr]]:
    return [(_regex(key), (value,)) for key in method_keys(caseless(methods))]


def _selector_maps(location: Location) -> tuple[list[Map], Part]:
    """The maps choosing a location's variant, and the map (or constant) holding it."""
    choice, n = location.choice, location.number
    if choice is None:
        return [], "0"
    maps: list[Map] = []
    path: Part = str(choice.default_path)
    if choice.paths:
        source: Expr = (In("path"), Var("slash")) if choice.slash else (In("path"),)
        entries = tuple((_regex(regex), (str(key),)) for regex, key in choice.paths)
        maps.append(Map(f"l{n}_path", source, entries, (path,)))
        path = Var(f"l{n}_path")
    method: Part = str(choice.default_method)
    if choice.methods:
        verbs = [
            item for name, key in choice.methods for item in _by_method(re.escape(name), str(key))
        ]
        maps.append(
            Map(
                f"l{n}_verb",
                (PREFLIGHT, ":", In("method"), ":", In("acrm")),
                tuple(verbs),
                (method,),
            )
        )
        method = Var(f"l{n}_verb")
    variants = tuple((Key(key), (str(variant),)) for key, variant in choice.variants)
    maps.append(Map(f"l{n}_variant", (path, ":", method), variants, ("0",)))
    return maps, Var(f"l{n}_variant")


def _deferral_maps(location: Location, deferral: Deferral, cors: bool) -> list[Map]:
    n = location.number
    names = "|".join(re.escape(method) for method in deferral.methods)
    hit, miss = ("0", "1") if deferral.all_but else ("1", "0")
    preflight: Part = PREFLIGHT if cors else "0"
    source: Expr = (preflight, ":", In("method"), ":", In("acrm"))
    if not deferral.preflights:
        return [Map(f"l{n}_pass", source, tuple(_by_method(names, hit)), (miss,))]
    _, variant = _selector_maps(location)
    chosen = "|".join(str(index) for index in deferral.preflights)
    return [
        Map(f"l{n}_by_method", source, tuple(_by_method(names, hit)), (miss,)),
        Map(
            f"l{n}_pass",
            (Var(f"l{n}_by_method"), ":", preflight, ":", variant),
            ((_regex("^1:"), ("1",)), (_regex(f"^0:1:(?:{chosen})$"), ("1",))),
            ("0",),
        ),
    ]


def _cors_values(policy: CORSPolicy, name: str) -> dict[str, tuple[Expr, tuple[str, ...]]]:
    """Each CORS header an allowed request of a variant gets: its value and the states (of
    ``pre_ok``, ``ok``) it is sent on. *name*: the variant's map prefix (``lN_vI``)."""
    both = ("pre_ok", "ok")
    values: dict[str, tuple[Expr, tuple[str, ...]]] = {
        ACAO: (("*",) if policy.origins.any_origin else (In("origin"),), both)
    }
    if policy.supports_credentials:
        values[ACAC] = (("true",), both)
    values[ACAM] = ((Var(f"{name}_acam"),), ("pre_ok",))
    if policy.allowed_headers is None:
        values[ACAH] = ((In("acrh"),), ("pre_ok",))
    elif policy.allow_headers_value:
        values[ACAH] = ((policy.allow_headers_value,), ("pre_ok",))
    values[ACMA] = ((str(policy.max_age),), ("pre_ok",))
    if policy.expose_headers:
        values[ACEH] = ((", ".join(policy.expose_headers),), ("ok",))
    return values


def _acam_map(name: str, policy: CORSPolicy, methods: frozenset[str]) -> list[Map]:
    answers = method_answers(policy, methods)
    found = tuple((_regex(answer.regex), ("1",)) for answer in answers)
    values: list[tuple[Key, Expr]] = []
    for answer in answers:
        if answer.spelled:  # the browser's own spelling is appended (see decide_preflight)
            head = f"{answer.allow_methods}, " if answer.allow_methods else ""
            values.append((_regex(answer.regex), (head, In("acrm"))))
        elif answer.allow_methods:
            values.append((_regex(answer.regex), (answer.allow_methods,)))
    return [
        Map(f"{name}_method", (In("acrm"),), found, ("0",)),
        Map(f"{name}_acam", (In("acrm"),), tuple(values), ("",)),
    ]


def _state_map(
    n: int, variant: Part, preflight: Part, bits: list[Expr], states: list[tuple[Key, Expr]]
) -> Map:
    """``lN_state`` from the variant, whether it is a preflight and each variant's checks."""
    source: Expr = (variant, ":", preflight, ":")
    for item in bits:
        source += (*item, ":")
    return Map(f"l{n}_state", source, tuple(states), ("no",))


def _location_plan(location: Location, table: ExportTable) -> tuple[list[Map], Spot]:
    n = location.number
    maps, variant = _selector_maps(location)
    bits: list[Expr] = []
    states: list[tuple[Key, Expr]] = []
    sent: dict[str, list[tuple[Key, Expr]]] = {}
    allowed = []
    for index, entry in enumerate(location.variants):
        # The source holds every variant's bits, each followed by ':'; skip to this one's.
        head, skip = f"^{index}:", "[^:]*:" * index
        if entry.cors is None:
            bits.append(("-",))
            states.append((_regex(f"{head}1:"), ("pre_no",)))
            continue
        p, policy = entry.cors, table.policies[entry.cors]
        name = f"l{n}_v{index}"
        values = _cors_values(policy, name)
        if location.fallback:  # decorated as an actual request: only the Origin decides
            bits.append((Var(f"p{p}_origin"), "11"))
            values = {
                header: (value, ("ok",))
                for header, (value, kinds) in values.items()
                if "ok" in kinds
            }
        else:
            allowed.append(index)
            bits.append((Var(f"p{p}_origin"), Var(f"{name}_method"), Var(f"p{p}_headers")))
            maps += _acam_map(name, policy, entry.methods)
        states += [
            (_regex(f"{head}1:{skip}111"), (f"pre_ok{index}",)),
            (_regex(f"{head}1:"), ("pre_no",)),
            (_regex(f"{head}0:{skip}1"), (f"ok{index}",)),
        ]
        for header, (value, kinds) in values.items():
            sent.setdefault(header, []).extend((Key(f"{kind}{index}"), value) for kind in kinds)
        if policy.allow_private_network and not location.fallback:
            key = _regex(f"^pre_ok{index}:true$")
            sent.setdefault(ACAPN, []).append((key, ("true",)))
    preflight: Part = "0" if location.fallback else PREFLIGHT
    maps.append(_state_map(n, variant, preflight, bits, states))
    state = Var(f"l{n}_state")
    headers = []
    for header, entries in sent.items():
        target = f"l{n}_{''.join(word[0] for word in header.lower().split('-'))}"
        source: Expr = (state, ":", In("acrpn")) if header == ACAPN else (state,)
        maps.append(Map(target, source, tuple(entries), ("",)))
        headers.append((header, target))
    varies = [str(index) for index, entry in enumerate(location.variants) if _varies(entry, table)]
    merged: Part = "1" if varies else "0"
    if location.choice is not None:
        keys = tuple((Key(key), ("1",)) for key in varies)
        maps.append(Map(f"l{n}_varies", (variant,), keys, ("0",)))
        merged = Var(f"l{n}_varies")
    spot = Spot(location, f"l{n}_state", tuple(allowed), tuple(headers), merged)
    return maps, spot


def _varies(variant: Variant, table: ExportTable) -> bool:
    return variant.cors is not None and table.policies[variant.cors].varies


def build_plan(table: ExportTable) -> Plan:
    """The maps and what each location does with them, for every dialect."""
    # Which raw paths the proxy decides on at all (crossgate.export._spelling): the gate.
    maps: list[Map] = [Map(SPELLED_VAR, (In("target"),), ((_regex(SPELLED), ("1",)),), ("0",))]
    spots: list[Spot] = []
    slash = False
    if table.answers_preflights:
        maps += [
            Map("has_origin", (In("origin"),), ((Key(""), ("0",)),), ("1",)),
            Map("has_acrm", (In("acrm"),), ((Key(""), ("0",)),), ("1",)),
            Map(
                "preflight",
                (In("method"), ":", Var("has_origin"), Var("has_acrm")),
                ((_regex("^OPTIONS:11$"), ("1",)),),
                ("0",),
            ),
            Map(
                "origin_form",
                (In("origin"),),
                ((_regex(SERIALIZED_ORIGIN, MAX_ORIGIN_LENGTH), ("1",)),),
                ("0",),
            ),
        ]
        for number, policy in enumerate(table.policies):
            maps += _policy_maps(number, policy)
        slash = any(location.choice and location.choice.slash for location in table.locations)
        if slash:
            # The path Werkzeug builds for a rule ending in '/': the request's, slash added.
            maps.append(Map("slash", (In("path"),), ((_regex("/$"), ("",)),), ("/",)))
    for location in table.locations:
        if location.passthrough or not table.answers_preflights:
            spot = Spot(location)
        else:
            more, spot = _location_plan(location, table)
            maps += [dataclasses.replace(item, route=location.label) for item in more]
        if location.deferral is not None:
            more = _deferral_maps(location, location.deferral, table.answers_preflights)
            maps += [dataclasses.replace(item, route=location.label) for item in more]
            spot = dataclasses.replace(spot, passes=f"l{location.number}_pass")
        spots.append(spot)
    return Plan(table, tuple(maps), tuple(spots), slash)


class Unwritable(Exception):
    """A value a dialect can neither escape nor write (a writer turns it into a Refusal)."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option} {message}")
        self.option = option
        self.message = message


#: Header names every dialect writes as they are (RFC 9110 tokens without the characters the
#: configuration languages read as syntax).
_HEADER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def header_name(name: str) -> str:
    """*name*, which every dialect writes as it is, or Unwritable."""
    if not _HEADER_NAME.fullmatch(name):
        raise Unwritable(
            "headers",
            f"name {name!r} is not written to a proxy's configuration: use letters, "
            "digits, '-' and '_' only",
        )
    return name


def header_value(value: str) -> str:
    """*value*, which a dialect then escapes, or Unwritable (a control character)."""
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value if char != "\t"):
        raise Unwritable("headers", f"value {value!r} contains a control character")
    return value


def shown(text: str) -> str:
    """*text* for a comment line: printable ASCII kept, except what a configuration language
    may read inside a comment (``{``, ``}``, ``$``, backslash, backtick, quotes), which is
    written as ``\\xNN``/``\\uNNNN`` like every other character."""
    out = []
    for char in text:
        if " " <= char <= "~" and char not in "{}$\\`\"'":
            out.append(char)
        else:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    return "".join(out)


def respelled(regex: str, spell: Callable[[str, bool, str], str | None]) -> str:
    """*regex* with each unit *spell* rewrites replaced. A unit is one character or one escape
    sequence (``\\.``; an escaped character that is not printable ASCII is given as the
    character: ``\\é`` is the literal é); *spell* gets it, whether it is inside a class and the
    text after it, and answers its replacement or None (kept)."""
    out = []
    in_class = False
    index = 0
    while index < len(regex):
        unit = regex[index]
        if unit == "\\" and index + 1 < len(regex):
            escaped = regex[index + 1]
            unit = unit + escaped if escaped.isascii() and escaped.isprintable() else escaped
            index += 2
        else:
            index += 1
            if unit == "[" and not in_class:
                in_class = True
                for literal in "^]":  # '[^' and a leading ']' (literal) open the class
                    if regex[index : index + 1] == literal:
                        unit += literal
                        index += 1
                out.append(unit)
                continue
            if unit == "]" and in_class:
                in_class = False
        written = spell(unit, in_class, regex[index:])
        out.append(unit if written is None else written)
    return "".join(out)


def limited(key: Key) -> str:
    """A regex *key*'s text, its limit (if any) a lookahead after the anchor (PCRE): values
    over the limit never match."""
    if key.limit is None:
        return key.text
    head, _, rest = key.text.partition("^")
    return f"{head}^(?=.{{0,{key.limit}}}$){rest}"


def pcre_bytes(regex: str, proxy: str) -> str:
    """*regex* for a PCRE matching bytes (no UTF mode: nginx, HAProxy), in printable ASCII: a
    control character as ``\\xNN``, another character as its UTF-8 bytes; such a character
    inside a class is Unwritable (*proxy* named: it would match one byte of it)."""

    def unit(unit: str, in_class: bool, _rest: str) -> str | None:
        if len(unit) > 1 or (unit.isascii() and unit.isprintable()):
            return None
        if unit.isascii():
            return f"\\x{ord(unit):02x}"
        if in_class:
            raise Unwritable("path", f"regex has {unit!r} in a class, which {proxy} reads as bytes")
        return "(?:" + "".join(f"\\x{byte:02x}" for byte in unit.encode()) + ")"

    return respelled(regex, unit)


def written(route: str, refusals: list[Refusal], write: Callable[[], list[str]]) -> list[str]:
    """The lines *write* makes, or none, its Unwritable value appended to *refusals*."""
    try:
        return write()
    except Unwritable as problem:
        refusals.append(Refusal(route, problem.option, problem.message))
        return []


_ADDRESS = re.compile(r"(?:https?://)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::[0-9]{1,5})?")


_LISTEN = re.compile(r"\[?([^\]]*?)\]?:([0-9]+)")


def listen_address(text: str) -> tuple[str, str]:
    """``--listen`` checked as :func:`address` does, with a TCP port and no scheme: its host (an
    IPv6 one without brackets) and port, for the writers that spell them apart."""
    parts = _LISTEN.fullmatch(address(text, "--listen"))
    if parts is None:
        raise ValueError(f"--listen {text!r} has no port: write it as '127.0.0.1:8080'")
    if "/" in parts[1] or not 0 < int(parts[2]) < 0x10000:  # a scheme; no TCP port
        raise ValueError(f"--listen {text!r} is not a host and a port: write '127.0.0.1:8080'")
    return parts[1], parts[2]


def address(text: str, option: str) -> str:
    """*text* (``--listen`` host:port, ``--upstream`` http://host:port), written as it is, or
    ValueError: only a host (name, IPv4, [IPv6]) and a port, nothing a configuration reads."""
    if not _ADDRESS.fullmatch(text):
        raise ValueError(
            f"{option} {text!r} is not a host and port: write it as '127.0.0.1:8080' "
            "(letters, digits, '.', '-', an [IPv6] address, ':port')"
        )
    return text
