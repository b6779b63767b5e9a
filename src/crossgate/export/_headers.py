"""What a header policy (``Headers``/``@headers``) says that a proxy can say too.

The app keeps applying its header policy to every response it sends, so behind the proxy its
lines are already there; the proxy adds a policy's static lines only where the app did not send
them (the responses the proxy answers itself: preflights) and replaces them where the policy
says ``override``. A CSP nonce is made per response by the app, so a line with a nonce is never
replaced at the proxy: nonces stay in the app. ``Vary`` is merged by the CORS part of the export
(:func:`preflight_vary` on the preflights the proxy answers).
"""

from __future__ import annotations

from typing import NamedTuple

from crossgate._engine import PREFLIGHT_VARY
from crossgate._http import merge_vary
from crossgate._policy import ACAC, ACAH, ACAM, ACAO, ACAPN, ACEH, ACMA
from crossgate.export._table import Location

#: The headers a CORS policy sends; the proxy owns them on the routes it answers for.
CORS_HEADERS = (ACAO, ACAC, ACAM, ACAH, ACMA, ACEH, ACAPN)


class StaticLine(NamedTuple):
    """One header a location's policy sends: its value over https and over plain http (None:
    not sent), and whether it replaces the app's (``override``) or is added only when absent."""

    name: str
    https: str | None
    http: str | None
    replace: bool


def static_lines(location: Location) -> list[StaticLine]:
    """The lines of *location*'s header policy, as the edge would send them on a response that
    no view wrote (the relaxed Cross-Origin-Resource-Policy where CORS applies)."""
    policy = location.headers
    if policy is None:
        return []
    cross_origin = location.cross_origin
    lines = []
    for setting in policy.settings:
        if setting.value is None or setting.name.lower() == "vary":
            continue
        https, http = setting.value, setting.http_value
        if cross_origin and setting.cross_origin_value is not None:
            https = setting.cross_origin_value
            http = None if http is None else setting.cross_origin_value
        replace = setting.override and not setting.nonce_directives
        lines.append(StaticLine(setting.name, https, http, replace))
    return lines


def preflight_vary(location: Location) -> str:
    """The ``Vary`` of a preflight the proxy answers on *location*: the engine's, with the header
    policy's ``Vary`` merged as the edge merges it (each token once, ``*`` absorbing the rest)."""
    headers = [("Vary", PREFLIGHT_VARY)]
    for setting in location.headers.settings if location.headers is not None else ():
        if setting.name.lower() == "vary" and setting.value is not None:
            merge_vary(headers, setting.value)
    return headers[0][1]
