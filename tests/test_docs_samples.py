"""Every Python and shell sample in README.md and docs/ runs, and shows what it really does.

The rules for samples (languages, ``not-run``, ``file:`` and ``server:`` comments) are in
tests/markdown_samples.py. Python samples run in this process, each in a fresh namespace and an
empty directory; shell samples run with bash in such a directory, with this interpreter's
``flask`` and ``crossgate`` commands first on PATH.
"""

from __future__ import annotations

import importlib
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.live_server import served
from tests.markdown_samples import (
    DOC_ADDRESS,
    MarkdownError,
    Sample,
    documents,
    missing_output,
    parse,
    parse_markdown,
    transcript,
)


def load_samples() -> tuple[list[Sample], dict[str, str]]:
    """Every document's samples, and the rule each document that breaks one breaks."""
    samples: list[Sample] = []
    broken: dict[str, str] = {}
    for path in documents():
        try:
            samples += parse(path)
        except MarkdownError as error:
            broken[path.name] = str(error)
    return samples, broken


SAMPLES, BROKEN = load_samples()
RUNNABLE = [sample for sample in SAMPLES if sample.language in {"python", "sh", "console"}]
PYTHON = [sample for sample in RUNNABLE if sample.language == "python"]
SHELL = [sample for sample in RUNNABLE if sample.language != "python"]


def ids(samples: list[Sample]) -> list[str]:
    return [sample.where for sample in samples]


def skip_if_not_run(sample: Sample) -> None:
    # pytest -ra lists each skipped block with its reason: the count and the names.
    if sample.not_run is not None:
        pytest.skip(f"not run, marked in {sample.where}: {sample.not_run}")


@pytest.fixture
def logging_state() -> Iterator[None]:
    """Samples may configure logging, as an app does; the rest of the suite must not see it."""
    loggers = [logging.getLogger(name) for name in (None, "crossgate", "flask_cors")]
    saved = [(logger.level, list(logger.handlers)) for logger in loggers]
    try:
        yield
    finally:
        for logger, (level, handlers) in zip(loggers, saved, strict=True):
            logger.setLevel(level)
            logger.handlers[:] = handlers


@pytest.mark.usefixtures("logging_state")
@pytest.mark.parametrize("sample", PYTHON, ids=ids(PYTHON))
def test_python_sample_runs(
    sample: Sample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    skip_if_not_run(sample)
    monkeypatch.chdir(tmp_path)
    # Not "__main__", so that `if __name__ == "__main__": app.run()` does not start a server.
    namespace: dict[str, Any] = {"__name__": "docs_sample"}
    exec(compile(sample.code, sample.where, "exec"), namespace)


@pytest.mark.parametrize("sample", SHELL, ids=ids(SHELL))
def test_shell_sample_runs(sample: Sample, tmp_path: Path) -> None:
    skip_if_not_run(sample)
    save_files_before(sample, tmp_path)
    with serving(sample.server) as address:
        if sample.language == "sh":
            result = run_shell(sample.code.replace(DOC_ADDRESS, address), tmp_path)
            assert result.returncode == 0, f"{sample.where} failed:\n{result.stdout}"
            return
        for command in transcript(sample.code):
            result = run_shell(command.command.replace(DOC_ADDRESS, address), tmp_path)
            shown = tuple(line.replace(DOC_ADDRESS, address) for line in command.shown)
            missing = missing_output(shown, result.stdout)
            assert missing is None, (
                f"{sample.where}: `{command.command}` did not print\n  {missing}\n"
                f"It printed:\n{result.stdout}"
            )


def save_files_before(sample: Sample, directory: Path) -> None:
    """The files the document's earlier blocks asked the reader to save (a later one wins)."""
    for earlier in SAMPLES:
        if earlier.document == sample.document and earlier.line < sample.line and earlier.file:
            (directory / earlier.file).write_text(earlier.code, encoding="utf-8")


@contextmanager
def serving(target: str | None) -> Iterator[str]:
    """Serve the ``server:`` app on a free port of 127.0.0.1 and give its host:port."""
    if target is None:
        yield DOC_ADDRESS
        return
    module_name, _, attribute = target.partition(":")
    app = getattr(importlib.import_module(module_name), attribute.removesuffix("()"))
    if attribute.endswith("()"):
        app = app()
    with served(app) as server:
        yield server.url.removeprefix("http://")


def run_shell(script: str, directory: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    for inherited in ("FLASK_APP", "FLASK_DEBUG"):
        env.pop(inherited, None)
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=directory,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=60,
        check=False,
    )


def test_python_samples_define_every_name_they_use(tmp_path: Path) -> None:
    # Running a sample only proves the code at its top level; a name used inside a function
    # (a view calling `load()`) is proven defined by pyflakes' check, through ruff.
    for number, sample in enumerate(PYTHON):
        (tmp_path / f"sample_{number}.py").write_text(sample.code, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--isolated",
            "--select",
            "F821,E9",
            "--output-format",
            "concise",
            "--no-cache",
            ".",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    problems = []
    for line in result.stdout.splitlines():
        file_name, _, rest = line.partition(":")
        if file_name.startswith("sample_"):
            sample = PYTHON[int(file_name.removeprefix("sample_").removesuffix(".py"))]
            line_number, _, message = rest.partition(":")
            # The fence is on sample.line, so the sample's first line is the one after it.
            problems.append(f"{sample.document}:{sample.line + int(line_number)}:{message}")
    assert not problems, "\n".join(problems)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("document", [path.name for path in documents()])
def test_document_follows_the_sample_rules(document: str) -> None:
    # An unknown language, a misplaced directive or an unclosed fence would hide a sample.
    assert document not in BROKEN, BROKEN.get(document)


def test_the_documents_have_samples_of_every_kind() -> None:
    languages = {sample.language for sample in SAMPLES}
    assert {"python", "sh", "console"} <= languages
    assert any(sample.server for sample in SAMPLES)
    assert any(sample.file for sample in SAMPLES)


@pytest.mark.parametrize(
    ("markdown", "message"),
    [
        ("```\ncode\n```\n", "language ''"),
        ("```js\ncode\n```\n", "language 'js'"),
        ("```python\ncode\n", "never closed"),
        ("<!-- not-run: -->\n```sh\nls\n```\n", "not-run needs a reason"),
        ("<!-- not-run: why -->\ntext\n```sh\nls\n```\n", "right before a fence"),
        ("<!-- file: app.py -->\n```text\nx\n```\n", "before a text block"),
        ("<!-- notrun: why -->\n```sh\nls\n```\n", "malformed directive"),
        ("```sh\nls\n```\n<!-- not-run: why -->\n", "after the last fence"),
    ],
)
def test_broken_sample_rules_are_reported(markdown: str, message: str) -> None:
    with pytest.raises(MarkdownError, match=message):
        parse_markdown("page.md", markdown)


def test_console_output_is_compared_in_order_with_gaps() -> None:
    real = "one\ntwo  three\nfour\nfive\n"
    assert missing_output(("one", "two three"), real) is None
    assert missing_output(("one", "...", "five"), real) is None
    assert missing_output(("two", "three four"), real) is None  # a wrapped line still matches
    assert missing_output(("five", "...", "one"), real) == "one"
    assert missing_output(("one", "five"), real) == "one five"  # a gap needs its "..."
    assert [c.command for c in transcript("$ a \\\n  b\nout\n$ c\n")] == ["a \\\n  b", "c"]
    with pytest.raises(MarkdownError, match="before any command"):
        transcript("out\n$ a\n")
