"""The supported range, tested at both ends, and the packages users install, checked.

``make test`` runs the three sessions: ``oldest`` (the oldest Python with the floor of every
framework range pyproject.toml declares), ``newest`` (the newest Python with the newest
releases, browsers and the coverage gate included) and ``package`` (the wheel and the sdist
built, passed through ``twine check`` and the wheel installed and imported).
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess

import nox

nox.options.sessions = ["oldest", "newest", "package"]
# A session whose Python is missing fails instead of being skipped: a skipped end of the range
# would look like a green run.
nox.options.error_on_missing_interpreters = True
nox.options.reuse_venv = "yes"

OLDEST_PYTHON = "3.10"
NEWEST_PYTHON = "3.13"

#: The floor of each range pyproject.toml declares, pinned. FastAPI 0.115.0 and 0.115.1 require
#: Starlette < 0.39, so 0.115.2 is the oldest FastAPI 0.115 that runs on Starlette 0.40.
OLDEST_PINS = ("flask==3.0.0", "werkzeug==3.0.0", "starlette==0.40.0", "fastapi==0.115.2")

#: Warnings the oldest releases give with today's versions of what they depend on; each is
#: theirs, not crossgate's (pytest runs with -W error, and a later -W wins).
OLDEST_IGNORED = (
    # Starlette 0.40's test client names anyio.abc.BlockingPortal, which newer anyio deprecates.
    "-W",
    "ignore:The anyio.abc.BlockingPortal alias is deprecated:DeprecationWarning",
)


def _patch(path: str) -> int:
    match = re.search(r"/versions/\d+\.\d+\.(\d+)/", path)
    return int(match.group(1)) if match else -1


def interpreter(version: str) -> str:
    """A ``python{version}`` that runs: the one on PATH, else the newest patch release in
    pyenv's versions folder (pyenv's shims on PATH answer only for the versions pyenv has
    selected, and fail for the others), else *version* for nox to report as missing.
    """
    on_path = shutil.which(f"python{version}")
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    installed = glob.glob(os.path.join(root, "versions", f"{version}.*", "bin", f"python{version}"))
    candidates = ([on_path] if on_path else []) + sorted(installed, key=_patch, reverse=True)
    for candidate in candidates:
        if subprocess.run([candidate, "-c", ""], capture_output=True, check=False).returncode == 0:
            return candidate
    return version


@nox.session(python=interpreter(OLDEST_PYTHON))
def oldest(session: nox.Session) -> None:
    """The suite on the oldest Python with Flask 3.0.0, Werkzeug 3.0.0, Starlette 0.40.0 and
    FastAPI 0.115.2; the browser tests run once, in ``newest``."""
    session.install("-e", ".[dev]", *OLDEST_PINS)
    session.run("pytest", "-m", "not browser", *OLDEST_IGNORED, *session.posargs)


@nox.session(python=interpreter(NEWEST_PYTHON))
def newest(session: nox.Session) -> None:
    """The whole suite, browsers included, on the newest Python with the newest releases, and
    the coverage gate."""
    session.install("--upgrade", "--upgrade-strategy", "eager", "-e", ".[dev]")
    session.run("pytest", "--cov", "--cov-report=term-missing", *session.posargs)


@nox.session(python=interpreter(NEWEST_PYTHON))
def package(session: nox.Session) -> None:
    """The wheel and the sdist build and pass ``twine check --strict``; the wheel installs
    without any extra and imports."""
    session.install("build", "twine")
    out = session.create_tmp()
    dist = os.path.join(out, "dist")
    shutil.rmtree(dist, ignore_errors=True)
    session.run("python", "-m", "build", "--outdir", dist)
    built = sorted(glob.glob(os.path.join(dist, "*")))
    session.run("twine", "check", "--strict", *built)
    wheels = [path for path in built if path.endswith(".whl")]
    session.install("--force-reinstall", "--no-deps", *wheels)
    session.run("python", "-c", "import crossgate, crossgate.browser; print(crossgate.__version__)")
