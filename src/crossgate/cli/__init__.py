"""The ``crossgate`` command-line tool: check an endpoint the way a browser would.

The console script enters through :func:`main`, which imports nothing beyond the standard
library until it knows the ``cli`` extra (click and httpx) is installed: without it the user gets
the install command and exit status 2, not a traceback with the status that means "blocked".
The command itself lives in :mod:`crossgate.cli._command`.
"""

from __future__ import annotations

import importlib
import sys

__all__ = ["main"]

#: The modules the command needs beyond the standard library (the ``cli`` extra). httpx loads
#: its transport, httpcore, only when a client is made: it is imported here to fail early.
CLI_REQUIREMENTS = ("click", "httpx", "httpcore")
_INSTALL = "pip install 'crossgate[cli]'"


def main() -> None:
    """Run the ``crossgate`` command; exit 2 with the install command if its extra is missing."""
    for name in CLI_REQUIREMENTS:
        try:
            importlib.import_module(name)
        except ImportError as error:
            # A missing dependency of click or httpx (h11, idna...) lands here too.
            missing = getattr(error, "name", None) or name
            sys.stderr.write(
                f"crossgate: the command needs {name}, which could not be imported "
                f"(module {missing!r} is missing).\n"
                f"Install the command-line extra: {_INSTALL}\n"
            )
            sys.exit(2)
    from crossgate.cli._command import main as command

    command()
