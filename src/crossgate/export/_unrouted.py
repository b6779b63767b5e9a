"""The paths no URL rule matches, covered at the proxy as the app's edge covers them.

A request Flask routes nowhere gets the app's 404 with the CORS headers of its path's policy
(``Resolved.for_unrouted``): the blueprint whose URL prefix covers the path, else the app's,
with the ``resources`` rule covering the path. A preflight there is not answered (no route has
the path): its 404 is decorated like an actual request's. So the proxy has one fallback location
per blueprint prefix (longest first) and one for the rest (``location /``, Caddy's last
``handle``), each choosing its variant by the path as a route location does, after every route
location: nginx tries regex locations in order and ``location /`` last, Caddy the ``handle``
blocks in order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from crossgate.export._paths import resource_entries
from crossgate.export._table import Choice, Location, Refusal, Variant

if TYPE_CHECKING:
    from crossgate._policy import CORSPolicy
    from crossgate.export._regex import Engine
    from crossgate.flask._resolved import Coverage, Resolved


def _location(
    number: int,
    regex: str | None,
    label: str,
    scope: Coverage,
    resolved: Resolved,
    index: Callable[[str, CORSPolicy | None], int | None],
    paths: tuple[list[tuple[str, int]], int],
) -> Location:
    entries, rest = paths
    keys = sorted({key for _, key in entries} | {rest})
    variants: list[Variant] = []
    chosen = []
    for key in keys:
        policy = resolved.policies.get((key, scope.cors)) if resolved.policies else None
        variant = Variant(index(label, policy), frozenset())
        if variant not in variants:
            variants.append(variant)
        chosen.append((f"{key}:0", variants.index(variant)))
    choice = None
    if len(variants) > 1:
        choice = Choice(False, tuple(entries), rest, (), 0, tuple(chosen))
    return Location(number, (), regex, label, tuple(variants), scope.headers, choice, fallback=True)


def unrouted_locations(
    resolved: Resolved,
    engine: Engine,
    index: Callable[[str, CORSPolicy | None], int | None],
    first: int,
    refusals: list[Refusal],
) -> list[Location]:
    """The fallback locations, numbered from *first*: each blueprint prefix's, the app's last
    (its ``regex`` None: the writers make it their catch-all)."""
    resources = resolved.resources
    numbers = set(resources.exact.values())
    numbers |= set(resources.subtrees.values()) | {number for _, number in resources.regexes}
    paths = resource_entries(
        resources,
        numbers | {0},
        engine,
        lambda why: refusals.append(Refusal("paths no route matches", "resources", why)),
    )
    scopes = dict(resolved.prefix_scopes.subtrees)
    rest = scopes.pop("", None) or resolved.app_scope  # a blueprint without a prefix: every path
    locations: list[Location] = []
    for prefix, scope in sorted(scopes.items(), key=lambda item: -len(item[0])):
        label = f"{prefix}/... (no route: the blueprint's policy)"
        regex = f"^{re.escape(prefix)}(?:/|$)"
        number = first + len(locations)
        locations.append(_location(number, regex, label, scope, resolved, index, paths))
    label = "paths no route matches (the app's policy)"
    number = first + len(locations)
    locations.append(_location(number, None, label, rest, resolved, index, paths))
    return locations
