"""Starlette's own ``tests/middleware/test_cors.py``, run against crossgate.compat.starlette.

The test file is not part of this repository: it comes from the source distribution of the
installed Starlette version on PyPI, kept in pytest's cache directory between runs, and runs
in a separate pytest process where ``starlette.middleware.cors`` is crossgate's drop-in
(``starlette_suite_shim.py``). Every test must pass except those in ``UNSAFE``, each listed
with its reason in docs/migration-starlette.md; those must still fail, and fail for that
reason, so the list cannot hide a regression.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from packaging.version import Version

import crossgate

VERSION = importlib.metadata.version("starlette")
SDIST = f"starlette-{VERSION}.tar.gz"
FILES = ("tests/__init__.py", "tests/types.py", "tests/middleware/__init__.py")
SUITE = "tests/middleware/test_cors.py"

_STAR_WITH_CREDENTIALS = "allow_origins=['*'] with allow_credentials=True would let every site"
#: Tests that lock in a configuration the drop-in warns about (an error under -W error), and
#: the words of the StarletteCompatWarning each must fail with.
UNSAFE = {
    # allow_origins=["*"] with allow_credentials=True: Starlette then echoes any origin with
    # credentials, so every site can read answers made with the user's cookies.
    "test_cors_allow_all": _STAR_WITH_CREDENTIALS,
    "test_preflight_allows_request_origin_if_origins_wildcard_and_credentials_allowed": (
        _STAR_WITH_CREDENTIALS
    ),
    # allow_origin_regex="https://.*" with credentials: '*' in effect, with cookies.
    "test_cors_allow_origin_regex": "allow_origin_regex='https://.*' with allow_credentials=True",
    # allow_origin_regex=r"https://.*\.example.org": the unescaped dot also lets in
    # 'https://a.examplexorg', a domain nobody listed.
    "test_cors_allow_origin_regex_fullmatch": "an unescaped '.' matches any character",
}
if Version(VERSION) >= Version("1.0"):
    # Since 1.0 this test is about allow_credentials=True with '*' (before, about a request
    # carrying a cookie under '*' without credentials, which the drop-in answers as Starlette).
    UNSAFE["test_cors_vary_header_is_properly_set_for_credentialed_request"] = (
        _STAR_WITH_CREDENTIALS
    )
#: Fewer passing tests than this means the suite was not really run (11 of 15 in 0.40.0).
MINIMUM_PASSED = 11


@pytest.fixture(scope="module")
def sdist(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The installed Starlette's source distribution, downloaded once into pytest's cache."""
    cache = getattr(pytestconfig, "cache", None)
    folder = cache.mkdir("starlette-sdist") if cache is not None else tmp_path_factory.mktemp("s")
    archive = folder / SDIST
    if not archive.exists():
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        command += ["--no-binary", ":all:", f"starlette=={VERSION}", "-d", str(folder)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0:
            pytest.fail(
                f"could not download {SDIST} from PyPI (pip said: {done.stderr.strip()}); "
                f"put the file in {folder} to run offline"
            )
    return archive


@pytest.fixture(scope="module")
def suite(sdist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Starlette's CORS tests unpacked next to the shim (as its conftest.py)."""
    root = tmp_path_factory.mktemp("starlette_suite")
    prefix = f"starlette-{VERSION}/"
    with tarfile.open(sdist) as archive:
        members = [
            member.replace(name=member.name.removeprefix(prefix))
            for member in archive.getmembers()
            if member.name.removeprefix(prefix) in (*FILES, SUITE)
        ]
        archive.extractall(root, members=members, filter="data")
    shutil.copy(Path(__file__).with_name("starlette_suite_shim.py"), root / "conftest.py")
    (root / "pytest.ini").write_text("[pytest]\n")
    return root


def _outcomes(report: Path) -> dict[str, tuple[str, str]]:
    """``test name -> (passed|failed|skipped, failure message)`` from a JUnit XML report."""
    outcomes = {}
    for case in ElementTree.parse(report).iter("testcase"):
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error"):
                outcome, message = "failed", child.attrib.get("message", "") + (child.text or "")
            elif child.tag == "skipped" and outcome == "passed":
                outcome = "skipped"
        outcomes[case.attrib["name"]] = (outcome, message)
    return outcomes


def test_starlette_own_cors_tests_pass_against_the_drop_in(
    suite: Path, pytestconfig: pytest.Config
) -> None:
    report = suite / "report.xml"
    # The warnings this run was told to ignore (an old Starlette's own deprecated calls, in the
    # oldest nox session) are ignored there too; everything else is an error.
    ignored = [
        f"-W{spec}"
        for spec in pytestconfig.known_args_namespace.pythonwarnings or []
        if spec.startswith("ignore")
    ]
    source_root = str(Path(crossgate.__file__).resolve().parents[1])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([source_root, os.environ.get("PYTHONPATH", "")]),
    }
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", "pytest.ini"]
    done = subprocess.run(
        [*command, "-W", "error", *ignored, f"--junitxml={report}", SUITE],
        cwd=suite,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    outcomes = _outcomes(report)
    failed = {name: message for name, (outcome, message) in outcomes.items() if outcome == "failed"}
    assert set(failed) == set(UNSAFE), done.stdout[-4000:]
    for name, words in UNSAFE.items():
        assert "StarletteCompatWarning" in failed[name], failed[name][-2000:]
        assert words in failed[name], failed[name][-2000:]
    passed = [name for name, (outcome, _) in outcomes.items() if outcome == "passed"]
    assert len(passed) >= MINIMUM_PASSED, done.stdout[-4000:]
