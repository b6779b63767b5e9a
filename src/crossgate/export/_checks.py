"""What a proxy cannot do with a CORS policy as the app does, whatever the app's framework: an
``origins`` callable, a regex its engine cannot run. Each is a :class:`Refusal` naming the route
and the option. (A ``$`` in a header name is written by each dialect's escaping: nginx's
``${crossgate_dollar}``, HAProxy's single-quoted words, Caddy's tokens.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crossgate._origin_matcher import callable_name
from crossgate.export._regex import Engine, origin_regex_problem
from crossgate.export._table import Refusal

if TYPE_CHECKING:
    from crossgate._policy import CORSPolicy


def check_policy(route: str, policy: CORSPolicy, engine: Engine, refusals: list[Refusal]) -> None:
    """Append to *refusals* what *engine*'s proxy cannot do with *policy* on *route*."""
    for check in policy.origins.predicates:
        refusals.append(
            Refusal(
                route,
                "origins",
                f"includes the callable {callable_name(check)}(), which only the app can call; "
                "list the origins, or keep CORS in the app for this route",
            )
        )
    for regex in policy.origins.regexes:
        problem = origin_regex_problem(regex)  # written canonically, alike for both engines
        if problem is not None:
            refusals.append(
                Refusal(route, "origins", f"re.compile({regex.pattern!r}) {problem}; rewrite it")
            )
