"""``crossgate export nginx|caddy|haproxy --app module:attr``: proxy configuration answering
CORS as an ASGI app's ``crossgate.asgi.CORSMiddleware`` does (the Flask twin is ``flask crossgate
export``; see docs/deployment.md).

Exit status: 0 the configuration was printed; 2 a usage error (a bad ``--app`` or
``--upstream``) or something the proxy cannot do as the app does, each named by route and
option on stderr, before anything is printed.

The ASGI adapter and Starlette are imported only when the command runs, so the other
``crossgate`` commands never need them.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Literal

import click

from crossgate.cli._shared import EXIT_ERROR, export_options, help_epilog, proxy_argument


def _import_failed(module_name: str, error: Exception) -> click.ClickException:
    missing = getattr(error, "name", None)
    install = (
        f"; the app needs {missing}: pip install {missing} into this environment"
        if missing in ("starlette", "fastapi")
        else ""
    )
    return click.ClickException(
        f"importing {module_name!r} failed: {type(error).__name__}: {error} (python -c "
        f"'import {module_name}' shows where){install}"
    )


def load_app(target: str) -> object:
    """The object *target* (``module:attribute``, the form uvicorn takes) names, imported with
    the current directory first on the path, as uvicorn imports it; a usage error otherwise."""
    module_name, colon, attribute = target.partition(":")
    if not colon or not module_name or not attribute:
        raise click.BadParameter(
            f"{target!r} is not 'module:attribute': write, for example, 'main:app'",
            param_hint="--app",
        )
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name is not None and f"{module_name}.".startswith(f"{error.name}."):
            raise click.BadParameter(
                f"no module named {error.name!r}: run the command from the directory that "
                f"holds {module_name.split('.')[0]!r}, or put it on PYTHONPATH",
                param_hint="--app",
            ) from None
        raise _import_failed(module_name, error) from None
    except Exception as error:  # the app's own code failed: say so, not "blocked" (exit 1)
        raise _import_failed(module_name, error) from None
    found: object = module
    for name in attribute.split("."):
        if not hasattr(found, name):
            raise click.BadParameter(
                f"{module_name!r} has no attribute {attribute!r}: name the object uvicorn "
                "serves (the CORSMiddleware around the app, or the app)",
                param_hint="--app",
            )
        found = getattr(found, name)
    return found


def _refuse_flask(app: object, target: str, proxy: str) -> None:
    """A usage error naming the command that exports *app* when it is a Flask app."""
    flask = sys.modules.get("flask")  # loaded if the app is one: never imported here
    if flask is None or not isinstance(app, flask.Flask):
        return
    context = click.get_current_context()
    given = [
        f" --{name} {context.params[name]}"
        for name in ("upstream", "listen")
        if context.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE
    ]
    raise click.BadParameter(
        f"{target!r} is a Flask app: export it with "
        f"'flask --app {target} crossgate export {proxy}{''.join(given)}'",
        param_hint="--app",
    )


@click.command(
    "export",
    epilog=help_epilog(
        (
            "crossgate export nginx --app main:app > crossgate-cors.conf",
            "crossgate export caddy --app main:app --upstream http://127.0.0.1:8000",
        ),
        allowed="the configuration was printed",
        error="a usage error (a bad --app or --upstream), or what the proxy cannot do as the app"
        " does",
    ),
)
@proxy_argument
@click.option(
    "--app",
    "target",
    required=True,
    metavar="MODULE:ATTR",
    help="The ASGI app uvicorn serves, e.g. main:app (a Starlette or FastAPI app in "
    "crossgate.asgi.CORSMiddleware).",
)
@export_options("uvicorn", 8000)
def export_command(
    proxy: Literal["nginx", "caddy", "haproxy"], target: str, upstream: str, listen: str
) -> None:
    """Print PROXY configuration answering CORS as the ASGI app's CORSMiddleware does.

    Exits 2, naming each route and option, when the proxy cannot do what the app does (an
    origins callable, a regex the proxy's engine cannot run, a Host route), before printing
    anything.
    """
    app = load_app(target)
    _refuse_flask(app, target, proxy)  # before Starlette is needed: a Flask app may lack it
    try:
        from crossgate.export._asgi_table import export_asgi
        from crossgate.export._table import ExportError
    except ImportError as error:
        raise click.ClickException(
            f"the export reads a Starlette or FastAPI app's routes, and {error.name or 'starlette'}"
            " could not be imported: pip install starlette (or fastapi)"
        ) from None
    try:
        text = export_asgi(app, proxy, upstream=upstream, listen=listen, source=target)
    except ValueError as error:  # a bad --upstream (or --listen: each message names its option)
        raise click.UsageError(str(error)) from None
    except ExportError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(EXIT_ERROR)
    click.echo(text, nl=False)
