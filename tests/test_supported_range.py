"""The supported range is declared in one place (pyproject.toml) and tested at both ends:
``make test`` runs the noxfile's sessions, and the oldest one pins each declared floor."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import nox
import noxfile
import pytest

ROOT = Path(__file__).resolve().parent.parent


def pyproject() -> dict[str, object]:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the newest session runs this
    with (ROOT / "pyproject.toml").open("rb") as file:
        project: dict[str, object] = tomllib.load(file)["project"]
    return project


def floors() -> dict[str, str]:
    """Each framework's floor in the flask, asgi and fastapi extras: {'flask': '3.0', ...}."""
    extras = pyproject()["optional-dependencies"]
    assert isinstance(extras, dict)
    found: dict[str, str] = {}
    for extra in ("flask", "asgi", "fastapi"):
        for requirement in extras[extra]:
            name, floor = re.fullmatch(r"([a-z]+)>=([0-9.]+)", requirement).groups()  # type: ignore[union-attr]
            assert found.setdefault(name, floor) == floor, f"{name} has two floors"
    return found


def version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def test_the_oldest_session_pins_each_declared_floor() -> None:
    pins = dict(pin.split("==") for pin in noxfile.OLDEST_PINS)
    declared = floors()
    assert set(pins) == set(declared) == {"flask", "werkzeug", "starlette", "fastapi"}
    for name, floor in declared.items():
        # The pin is the oldest release of the declared series that the others allow (FastAPI
        # 0.115.0 and 0.115.1 need Starlette < 0.39).
        assert version(pins[name])[:2] == version(floor)[:2], name
    assert pins["flask"] == "3.0.0"
    assert pins["werkzeug"] == "3.0.0"
    assert pins["starlette"] == "0.40.0"


def test_the_sessions_run_the_oldest_and_newest_python_the_classifiers_declare() -> None:
    project = pyproject()
    assert project["requires-python"] == f">={noxfile.OLDEST_PYTHON}"
    declared = [
        classifier.rpartition(" :: ")[2]
        for classifier in project["classifiers"]  # type: ignore[attr-defined]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", classifier)
    ]
    assert declared[0] == noxfile.OLDEST_PYTHON
    assert declared[-1] == noxfile.NEWEST_PYTHON
    assert [version(v)[1] for v in declared] == list(
        range(version(declared[0])[1], version(declared[-1])[1] + 1)
    )


def test_make_test_runs_every_session_and_fails_on_a_missing_python(tmp_path: Path) -> None:
    assert nox.options.sessions == ["oldest", "newest", "package"]
    assert nox.options.error_on_missing_interpreters
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    make = shutil.which("make")
    assert make is not None
    environ = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    result = subprocess.run(
        [make, "--no-print-directory", "-n", "test"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env=environ,
    )
    assert ".venv/bin/nox --error-on-missing-interpreters" in result.stdout.splitlines()
    assert "make test" in (ROOT / ".ci" / "run").read_text().splitlines()


def test_the_sessions_find_a_python_that_runs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # pyenv's shims on PATH fail for versions pyenv has not selected: the noxfile looks past
    # them, into pyenv's versions folder.
    shim = tmp_path / "shims" / "python3.99"
    shim.parent.mkdir()
    shim.write_text("#!/bin/sh\nexit 127\n")
    shim.chmod(0o755)
    real = tmp_path / "versions" / "3.99.2" / "bin" / "python3.99"
    real.parent.mkdir(parents=True)
    real.write_text("#!/bin/sh\nexit 0\n")
    real.chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    assert noxfile.interpreter("3.99") == str(real)
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "nowhere"))
    assert noxfile.interpreter("3.99") == "3.99"  # nox then reports it missing, and fails
