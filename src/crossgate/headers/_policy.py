"""The header policy engine: :class:`HeaderPolicy`, its settings, merging, and the response step.

A policy is a tuple of :class:`HeaderSetting` values. On construction each setting becomes a
pre-built rule (header lines for https and plain http, the CSP split where a nonce goes, the
members of a list-valued header), so :meth:`HeaderPolicy.apply`, called for every response,
only compares names and appends tuples.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from crossgate._http import list_members, merge_list
from crossgate.errors import describe
from crossgate.headers._csp import NONCE, nonce_segments

#: Headers whose value is a list the view and the policy can both contribute to.
LIST_VALUED = frozenset({"vary", "cache-control"})

_Line = tuple[str, str]


@dataclass(frozen=True, slots=True)
class HeaderSetting:
    """One header of a policy: its value(s) and where it came from.

    ``value`` is what https responses carry and ``http_value`` what plain-http responses carry
    (``None``: not sent; they differ for Strict-Transport-Security and for a CSP with
    ``upgrade-insecure-requests``). A setting whose ``value`` is ``None`` removes the header a
    less specific scope set. ``source`` is ``"preset:<name>"``, ``"headers"``, ``"hsts"`` or
    ``"csp"``; ``context`` names the scope it was configured in.
    """

    name: str
    value: str | None
    http_value: str | None
    source: str
    reason: str
    context: str = ""
    override: bool = False
    cross_origin_value: str | None = None
    nonce_directives: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Rule:
    """A setting prepared for the per-response path: pre-built lines, lowercase key."""

    key: str
    https_line: _Line | None
    http_line: _Line | None
    cross_origin_line: _Line | None
    https_nonce: tuple[str, ...]
    http_nonce: tuple[str, ...]
    override: bool
    list_tokens: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class HeaderPolicy:
    """The validated, immutable headers of one scope; build it with :func:`compile_headers`."""

    settings: tuple[HeaderSetting, ...] = ()
    context: str = ""
    _rules: tuple[_Rule, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        rules = tuple(_build_rule(s) for s in self.settings if s.value is not None)
        object.__setattr__(self, "_rules", rules)

    def names(self) -> tuple[str, ...]:
        """The names of the headers this policy sends (removals left out), in order."""
        return tuple(setting.name for setting in self.settings if setting.value is not None)

    def merged_with(self, more_specific: HeaderPolicy) -> HeaderPolicy:
        """Return this policy with *more_specific* layered on top, header by header.

        A header of *more_specific* replaces the same header here (with its override flag,
        nonce and CORP behaviour); a removal (``None``) there drops the header here. Removals
        are kept in the result so that merging stays associative:
        ``app.merged_with(blueprint).merged_with(view)`` equals
        ``app.merged_with(blueprint.merged_with(view))``.
        """
        merged = {setting.name.lower(): setting for setting in self.settings}
        for setting in more_specific.settings:
            merged[setting.name.lower()] = setting
        context = " > ".join(part for part in (self.context, more_specific.context) if part)
        return HeaderPolicy(tuple(merged.values()), context)

    def apply(
        self,
        response_headers: list[tuple[str, str]],
        *,
        secure: bool,
        cross_origin_allowed: bool = False,
        nonce: str | None = None,
    ) -> None:
        """Add this policy's headers to *response_headers*, in place.

        *response_headers* is the list passed to WSGI ``start_response``. A header the response
        already carries wins, unless it was named in ``override`` (then every line of it is
        replaced); ``Vary`` and ``Cache-Control`` are merged instead, into one line without
        duplicates. *secure* says the client's connection is https: Strict-Transport-Security
        and CSP ``upgrade-insecure-requests`` are sent only then. *cross_origin_allowed* says
        the route's CORS policy lets other origins read the response, which relaxes a preset's
        ``Cross-Origin-Resource-Policy: same-origin``. *nonce* (see
        :func:`~crossgate.headers.make_nonce`) is added as ``'nonce-...'`` to the CSP directives
        named in ``csp_nonce_directives``.
        """
        if nonce is not None and NONCE.fullmatch(nonce) is None:
            raise ValueError(f"nonce {describe(nonce)} is not base64: create it with make_nonce()")
        present = {name.lower() for name, _ in response_headers}
        for rule in self._rules:
            line = rule.https_line if secure else rule.http_line
            if line is None:
                continue
            if rule.key in present:
                if not rule.override:
                    if rule.list_tokens is not None:
                        merge_list(
                            response_headers,
                            rule.key,
                            rule.list_tokens,
                            key=functools.partial(_list_key, rule.key),
                        )
                    continue
                response_headers[:] = [
                    item for item in response_headers if item[0].lower() != rule.key
                ]
            segments = rule.https_nonce if secure else rule.http_nonce
            if nonce is not None and segments:
                line = (line[0], f"'nonce-{nonce}'".join(segments))
            elif cross_origin_allowed and rule.cross_origin_line is not None:
                line = rule.cross_origin_line
            response_headers.append(line)


def _list_key(header_key: str, token: str) -> str:
    # Cache-Control directives are the same directive whatever their argument.
    if header_key == "cache-control":
        return token.partition("=")[0].strip().lower()
    return token.lower()


def list_tokens(header_key: str, value: str) -> tuple[str, ...]:
    """The members of list-valued header *header_key*'s *value*, each once."""
    return tuple(list_members([value], key=functools.partial(_list_key, header_key)).values())


def _build_rule(setting: HeaderSetting) -> _Rule:
    name = setting.name
    key = name.lower()
    value = setting.value or ""
    http_value = setting.http_value
    cross_origin = setting.cross_origin_value
    return _Rule(
        key=key,
        https_line=(name, value),
        http_line=None if http_value is None else (name, http_value),
        cross_origin_line=None if cross_origin is None else (name, cross_origin),
        https_nonce=nonce_segments(value, setting.nonce_directives),
        http_nonce=()
        if http_value is None
        else nonce_segments(http_value, setting.nonce_directives),
        override=setting.override,
        list_tokens=list_tokens(key, value) if key in LIST_VALUED else None,
    )
