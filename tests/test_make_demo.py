"""``make demo`` installs only what the demo runs on, so a fresh clone serves it in seconds."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO_EXTRAS = ("flask", "cli")


def extras() -> dict[str, list[str]]:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+, as in the dev toolchain
    with (ROOT / "pyproject.toml").open("rb") as file:
        optional: dict[str, list[str]] = tomllib.load(file)["project"]["optional-dependencies"]
    return optional


def distribution_name(requirement: str) -> str:
    return re.split(r"[<>=!~\[;\s]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_make_demo_installs_the_flask_and_cli_extras_only(tmp_path: Path) -> None:
    # A dry run in a directory without .venv prints the commands a fresh clone would run.
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    make = shutil.which("make")
    assert make is not None, "make is needed: the README's commands are make targets"
    # Run as a user would, not as a sub-make of `make test` (which would print directories).
    environ = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    result = subprocess.run(
        [make, "--no-print-directory", "-n", "demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env=environ,
    )
    installs = [line for line in result.stdout.splitlines() if "pip install" in line]
    assert installs == [".venv/bin/python -m pip install --quiet -e '.[flask,cli]'"], result.stdout
    assert result.stdout.rstrip().splitlines()[-1] == ".venv/bin/python -m examples.demo"


def test_the_demo_imports_nothing_from_the_dev_toolchain() -> None:
    # If the demo started to need a dev-only package, `make demo` on a fresh clone would crash.
    optional = extras()
    demo_needs = {distribution_name(r) for extra in DEMO_EXTRAS for r in optional[extra]}
    dev_only = {distribution_name(r) for r in optional["dev"]} - demo_needs
    code = "import sys, examples.demo; print(' '.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    imported = {name.partition(".")[0] for name in result.stdout.split()}
    owners = packages_distributions()
    used = {dist.lower() for top in imported for dist in owners.get(top, [])}
    assert {"flask", "werkzeug"} <= used  # the mapping works: the demo is a Flask app
    assert not used & dev_only, f"the demo imports dev-only packages: {sorted(used & dev_only)}"
