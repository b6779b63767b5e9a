"""Importing the Flask adapters without Flask says which extra to install, not a bare traceback."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.markdown_samples import ROOT, parse

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
    result = import_without("flask", "crossgate.browser, crossgate._policy, crossgate.headers")
    assert result.returncode == 0, result.stderr


def test_the_readme_install_section_names_each_extra() -> None:
    install = [
        sample.code
        for sample in parse(ROOT / "README.md")
        if sample.language == "sh" and "pip install" in sample.code
    ]
    assert len(install) == 1, "the README has one install block"
    named = re.findall(r"pip install 'crossgate\[([a-z,]+)\]'", install[0])
    assert named == ["flask", "cli"]
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+, as in the dev toolchain
    with (ROOT / "pyproject.toml").open("rb") as file:
        extras = tomllib.load(file)["project"]["optional-dependencies"]
    assert set(named) <= set(extras)
    assert "flask" in {name.partition(">")[0] for name in extras["flask"]}
