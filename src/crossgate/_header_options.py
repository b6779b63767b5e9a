"""The response-header options an adapter accepts, checked and compiled the same way by each.

``crossgate.flask.Headers``, ``@headers`` and ``crossgate.asgi.HeadersMiddleware`` take the
options of ``compile_headers``, and the Flask adapter one of its own (``https_redirect``). An
unknown name is a problem naming the closest valid one; every problem, the adapter's and
``compile_headers``'s, is raised together in one ``ConfigError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from crossgate.errors import ConfigError, Problem, closest_name
from crossgate.headers import HeaderPolicy, compile_headers

#: The options ``compile_headers`` takes, as the adapters accept them.
HEADER_OPTIONS = (
    "preset",
    "headers",
    "override",
    "hsts",
    "csp",
    "csp_report_only",
    "csp_report_to",
    "csp_nonce_directives",
)

#: Checks the value of an option of the adapter's own: the problem, or None when it is valid.
OptionCheck = Callable[[object], Problem | None]


def compile_header_options(
    options: Mapping[str, object],
    *,
    owner: str,
    where: str,
    context: str = "app",
    own: Mapping[str, OptionCheck] = MappingProxyType({}),
) -> HeaderPolicy:
    """The header policy of *options*, or one ``ConfigError`` (in *where*) with every problem.

    *owner* is the adapter's name in the problem of an unknown option (``Headers``); *context*
    is the level the policy is declared at (``"blueprint 'admin'"``); *own* checks the
    adapter's own options, which ``compile_headers`` does not take.
    """
    valid = (*HEADER_OPTIONS, *own)
    problems: list[Problem] = []
    for name, value in options.items():
        check = own.get(name)
        if check is not None:
            problem = check(value)
            if problem is not None:
                problems.append(problem)
        elif name not in HEADER_OPTIONS:
            close = closest_name(name, valid)
            fix = f"write {close!r}" if close else f"use one of {', '.join(valid)}"
            problems.append(Problem(name, value, f"is not an option of {owner}", fix))
    known: dict[str, Any] = {
        name: value for name, value in options.items() if name in HEADER_OPTIONS
    }
    try:
        policy = compile_headers(**known, context=context)
    except ConfigError as error:
        raise ConfigError([*problems, *error.problems], context=where) from None
    if problems:
        raise ConfigError(problems, context=where)
    return policy
