"""URL rules whose paths may overlap with different methods, and what the proxy leaves to the app.

Werkzeug matches a request by its path *and* its method: with ``/api/<name>`` accepting GET and
``/api/<path:rest>`` accepting POST, both match ``/api/x`` and a POST there reaches the second.
A proxy picks one location by the path alone (nginx: the first regex location that matches;
Caddy: the first ``handle``). So on the location of one rule, a request whose method (for a
preflight, the method it asks for) only another rule accepts may be that rule's: the proxy passes
it to the app, which routes it and answers its CORS itself.

Two more answers of the app depend on every rule matching the path: a method no rule accepts
falls back to the first of the path's methods (sorted), which may be another rule's; and a
preflight lists every method of the path whose rule has the same policy. Where either may happen,
those requests are passed too (:class:`~crossgate.export._table.Deferral`).

Whether two rules may match one path is decided cheaply and safely: rules whose paths begin with
different static text (``/api/`` and ``/files/``) never do; any other pair is taken to overlap.
A static path needs no such guess: its location is an exact one, and the rule serving each of its
methods is asked of Werkzeug itself (``routes``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from typing import TYPE_CHECKING

from crossgate.export._table import Deferral
from crossgate.flask._routing import rule_trace

if TYPE_CHECKING:
    from werkzeug.routing import Rule

    from crossgate._policy import CORSPolicy


def static_prefix(rule: Rule) -> str:
    """The static text *rule*'s path begins with, up to its first variable."""
    parts = []
    for dynamic, data in rule_trace(rule)[1:]:  # the first element is the host part's end marker
        if dynamic:
            break
        parts.append(data)
    return "".join(parts)


def may_overlap(one: Rule, other: Rule) -> bool:
    """Whether some path may match both rules with variables: False only when neither static
    beginning is the start of the other, so no path can begin with both."""
    first, second = static_prefix(one), static_prefix(other)
    return first.startswith(second) or second.startswith(first)


def deferral(
    rules: Sequence[Rule],
    others: Iterable[Rule],
    policies: Callable[[Rule], Collection[CORSPolicy | None]],
    variants: Sequence[CORSPolicy | None],
) -> Deferral | None:
    """What the location of *rules* (one URL rule, one per view) passes to the app, given the
    *others* rules with variables, the *policies* a rule may give a request, and the policy of
    each of the location's variants; None when nothing may be another rule's."""
    own = frozenset(method for rule in rules for method in rule.methods or ())
    overlapping = [rule for rule in others if may_overlap(rules[0], rule)]
    extra = {method for rule in overlapping for method in rule.methods or ()} - own
    if not extra:
        return None
    # Werkzeug's 405 leads to the first of the path's methods: another rule's, when sorted first.
    all_but = min(own | extra) in extra
    shared = {
        id(policy)
        for rule in overlapping
        if set(rule.methods or ()) - own
        for policy in policies(rule)
        if policy is not None
    }
    preflights = tuple(
        index
        for index, policy in enumerate(variants)
        if policy is not None and id(policy) in shared
    )
    methods = sorted(own if all_but else extra)
    return Deferral(tuple(methods), all_but, preflights)
