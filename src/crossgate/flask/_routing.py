"""Werkzeug's routing, as crossgate reads it: where a request's path leads, and what a URL rule
is made of.

The edge, the flask-cors layer and the export all ask these questions; the answers are written
here once. Werkzeug has no public API for a rule's parts and converters, so the export reads
``Rule._parts``, ``Rule._trace`` and ``Rule._converters``: they are read here and nowhere else,
and ``tests/flask/test_flask_werkzeug_rules.py`` fails naming this module if a Werkzeug release
changes them.

Which ``resources`` rules can cover a URL rule's paths (``possible_resources``) is decided here
too: the resolution and the export must agree on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import unquote, urlsplit

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RequestRedirect

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment
    from flask import Flask
    from werkzeug.routing import BaseConverter, MapAdapter, Rule
    from werkzeug.routing.rules import RulePart

    from crossgate._paths import PathRules

# Werkzeug redirects for a missing trailing slash, doubled slashes or a rule alias; a real route
# is reached within a few hops, and a bound keeps a redirect loop from looping here too.
_MAX_REDIRECTS = 3


class Route(NamedTuple):
    """Where a request's path leads: the rule, its variables and every method of the path."""

    adapter: MapAdapter
    rule: Rule
    #: The rule's variables, as Werkzeug converted them.
    values: Mapping[str, Any]
    #: Every method the path accepts.
    methods: frozenset[str]
    #: The path of the route, after any redirect.
    path: str


def route(
    app: Flask, environ: WSGIEnvironment, method: str, others: Iterable[str] = ()
) -> Route | None:
    """The rule a request with *method* reaches, following Werkzeug's redirects (merged
    slashes, a missing trailing slash, an alias) as a browser would for the request itself; a
    browser never follows one for a preflight. None when no rule matches the path.

    Werkzeug's answer depends on the method: a rule with other methods is a 405, a redirect
    is offered only for a method its target accepts. To find where the *path* leads whatever
    the method, it is retried with each of *others* (methods some rule accepts). Nothing
    Werkzeug raises here escapes: the app answers the request as it would without crossgate.
    """
    try:
        # populate_request=False: Flask's own request object stays the one in the environ.
        adapter = app.create_url_adapter(app.request_class(environ, populate_request=False))
    except HTTPException:
        return None  # a Host outside TRUSTED_HOSTS: the app answers it
    assert adapter is not None  # always bound when given a request
    path = adapter.path_info
    untried = [other for other in others if other != method]
    for _attempt in range(_MAX_REDIRECTS + len(untried) + 1):
        try:
            rule, values = adapter.match(path, method=method, return_rule=True)
        except RequestRedirect as redirect:
            target = unquote(urlsplit(redirect.new_url).path)
            path = target[len(adapter.script_name.rstrip("/")) :] or "/"
            continue
        except HTTPException as missed:
            # A 405 names the methods the path has; a 404 is only about this method: the path
            # may still have a rule for another of *untried*.
            if isinstance(missed, MethodNotAllowed):
                untried = sorted(missed.valid_methods or ())
        else:
            methods = frozenset(adapter.allowed_methods(path)) or frozenset(rule.methods or ())
            return Route(adapter, rule, values, methods, path)
        if not untried:
            return None
        method = untried.pop(0)
    return None


def possible_resources(rules: PathRules[int], path: str, exact: bool) -> set[int]:
    """The resource rules (0: none) that can cover *path*, or any path starting with it.

    Only these combinations are compiled: a blueprint under ``/admin`` is never checked against a
    rule for ``/public/*``, so options that conflict only on paths it cannot serve are accepted.
    """
    if exact:
        return {rules.lookup(path) or 0}
    found = {number for pattern, number in rules.exact.items() if pattern.startswith(path)}
    found.update(number for _, number in rules.regexes)
    covered = False
    for subtree, number in rules.subtrees.items():
        if path.startswith(subtree + "/"):
            found.add(number)
            covered = True  # every path starting with *path* falls under some rule
        elif subtree.startswith(path):
            found.add(number)
    if not covered:
        found.add(0)
    return found


def rule_parts(rule: Rule) -> Sequence[RulePart]:
    """*rule*'s parts as Werkzeug's matcher orders them (``static``, ``weight``) (private
    ``Rule._parts``; the rule must be bound to a map)."""
    return rule._parts


def rule_trace(rule: Rule) -> Sequence[tuple[bool, str]]:
    """*rule*'s pieces, host part's end marker first: ``(True, variable name)`` or ``(False,
    static text)`` (private ``Rule._trace``; the rule must be bound to a map)."""
    return rule._trace


def rule_converters(rule: Rule) -> Mapping[str, BaseConverter]:
    """*rule*'s converter of each variable (private ``Rule._converters``; the rule must be
    bound to a map)."""
    return rule._converters
