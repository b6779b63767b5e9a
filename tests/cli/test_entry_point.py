"""The ``crossgate`` console script without its extra: the install command and exit 2.

Each run is a fresh interpreter in which one module cannot be imported (``sys.modules[name] =
None`` makes ``import name`` fail as if it were not installed), entering through the function
the console script calls.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import crossgate
from crossgate.cli import main

SRC = str(Path(crossgate.__file__).resolve().parents[1])
ARGS = ["check", "http://127.0.0.1:9/a", "--origin", "http://localhost:3000"]


def run_without(module: str) -> subprocess.CompletedProcess[str]:
    program = (
        f"import sys; sys.modules[{module!r}] = None; sys.argv[0] = 'crossgate'; "
        "from crossgate.cli import main; main()"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-c", program, *ARGS],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("module", "named"), [("click", "click"), ("httpx", "httpx"), ("h11", "httpcore")]
)
def test_missing_extra_says_what_to_install_and_exits_two(module, named):
    finished = run_without(module)
    assert finished.returncode == 2
    assert "Traceback" not in finished.stderr
    assert "pip install 'crossgate[cli]'" in finished.stderr
    assert f"needs {named}," in finished.stderr
    assert repr(module) in finished.stderr
    assert finished.stdout == ""


def test_entry_point_runs_the_command_when_the_extra_is_there(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["crossgate", "--version"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 0
    assert crossgate.__version__ in capsys.readouterr().out


def test_missing_extra_in_process(monkeypatch, capsys):
    # The same path, measured by coverage: httpcore "not installed" in this interpreter.
    monkeypatch.setitem(sys.modules, "httpcore", None)
    monkeypatch.setattr(sys, "argv", ["crossgate", "--version"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    assert "pip install 'crossgate[cli]'" in capsys.readouterr().err


DECORATED_APP = """
from flask import Flask
from crossgate.flask import cross_origin

app = Flask(__name__)

@app.get("/api/items")
@cross_origin(origins=["https://app.example.com"])
def items():
    return "items"
"""


def test_flask_crossgate_works_through_the_installed_entry_point_alone(tmp_path):
    # The app only decorates a view: nothing is registered on app.cli, so `flask crossgate`
    # is found through the flask.commands entry point (pyproject.toml), and its commands load.
    (tmp_path / "decorated.py").write_text(DECORATED_APP, encoding="utf-8")
    flask = Path(sys.executable).with_name("flask")
    finished = subprocess.run(
        [str(flask), "--app", "decorated", "crossgate", "routes"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), SRC])},
        timeout=60,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    assert "/api/items  [GET, HEAD]  endpoint=items" in finished.stdout
    assert "origins: https://app.example.com" in finished.stdout
