"""The ``flask crossgate`` command group, registered without loading the tools.

``CORS(app)``, ``Headers(app)`` and crossgate.compat.flask_cors's ``CORS`` add the group to
``app.cli``, as Flask extensions do, and the ``flask.commands`` entry point names it, so
``flask crossgate`` works for every app. Its commands (:mod:`crossgate.cli._flask_commands`)
import the browser model and the inspection and grading tools, which a web worker never runs:
the group loads them the first time Flask's command line asks it for a command (click's lazy
loading of subcommands), never at ``init_app``.
"""

from __future__ import annotations

import importlib

import click
from flask import Flask
from flask.cli import AppGroup

GROUP_HELP = "Inspect crossgate's CORS and header policies."

# Where the commands are; imported on first use only.
_COMMANDS = "crossgate.cli._flask_commands"


class _LazyGroup(AppGroup):
    """An ``AppGroup`` whose commands are those of the group in :data:`_COMMANDS`."""

    def _commands(self) -> click.Group:
        group = importlib.import_module(_COMMANDS).crossgate_group
        assert isinstance(group, click.Group)
        return group

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._commands().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._commands().get_command(ctx, cmd_name)


crossgate_group = _LazyGroup("crossgate", help=GROUP_HELP)


def register_commands(app: Flask) -> None:
    """Add ``crossgate`` to ``app.cli`` (Flask's extension convention); again is harmless."""
    app.cli.add_command(crossgate_group)
