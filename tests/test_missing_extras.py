"""Importing the Flask adapters without Flask says which extra to install, not a bare traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Runs in a fresh interpreter in which the named module cannot be imported, as when the extra
# was never installed: a ``None`` entry in sys.modules makes every ``import`` of it fail.
WITHOUT = """
import sys
sys.modules[{missing!r}] = None
import {module}
"""


def import_without(missing: str, module: str) -> subprocess.CompletedProcess[str]:
    code = WITHOUT.format(missing=missing, module=module)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("module", ["crossgate.flask", "crossgate.compat.flask_cors"])
@pytest.mark.parametrize("missing", ["flask", "werkzeug"])
def test_import_without_flask_says_what_to_install(module: str, missing: str) -> None:
    result = import_without(missing, module)
    assert result.returncode == 1
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("ImportError: "), result.stderr
    assert f"{module} needs Flask" in last_line
    assert f"({missing}" in last_line  # which module was missing, e.g. werkzeug.local
    assert "pip install 'crossgate[flask]'" in last_line


def test_core_imports_without_flask() -> None:
    # The framework-free core must stay importable without any extra.
    result = import_without("flask", "crossgate.browser, crossgate.policy, crossgate.headers")
    assert result.returncode == 0, result.stderr
