"""The fenced code samples of the project's Markdown files, and how a transcript is compared.

A sample is a fenced block. Its language decides what the tests do with it: ``python`` is run,
``sh`` is run with bash, ``console`` is a transcript whose commands (``$ ...``) are run and whose
shown output must appear in the real output. ``text`` and ``html`` are shown, never run; any
other language, or none, is an error, so that no sample hides from the tests.

An HTML comment on the line before the fence (blank lines allowed in between) says more:

- ``<!-- not-run: why -->``: the block is not run (installing packages, a command that never
  returns); the tests name each such block with its reason;
- ``<!-- file: app.py -->``: the Python block is also saved under that name, as a reader would
  save it, for the shell blocks after it in the same document (``flask`` finds ``app.py``);
- ``<!-- server: module:name -->``: the shell block talks to the WSGI app ``module.name``
  (``module:name()`` calls it to get the app), served on 127.0.0.1 for the block; the address
  ``127.0.0.1:5001`` written in the block stands for the live server's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN_LANGUAGES = frozenset({"python", "sh", "console"})
SHOWN_LANGUAGES = frozenset({"text", "html"})
#: The address a document writes for a live server; replaced with the real one when run.
DOC_ADDRESS = "127.0.0.1:5001"

_FENCE = re.compile(r"^```(?P<info>[^`]*)$")
_DIRECTIVE = re.compile(r"^<!--\s*(?P<key>not-run|file|server):\s*(?P<value>.*?)\s*-->$")
_ANY_DIRECTIVE = re.compile(r"^<!--\s*[\w-]+:")


@dataclass(frozen=True)
class Sample:
    """One fenced block of a Markdown document."""

    document: str  # relative to the repository root
    line: int  # of the opening fence, 1-based
    language: str
    code: str
    not_run: str | None = None
    file: str | None = None
    server: str | None = None

    @property
    def where(self) -> str:
        return f"{self.document}:{self.line}"


class MarkdownError(ValueError):
    """A document breaks the sample rules (unknown language, misplaced directive...)."""


def documents() -> list[Path]:
    """README.md and every page under docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def parse(path: Path) -> list[Sample]:
    """Every fenced block of the document *path*, with the directives written before it."""
    return parse_markdown(path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8"))


def parse_markdown(name: str, text: str) -> list[Sample]:
    """Every fenced block of *text*, the document called *name*."""
    lines = text.splitlines()
    samples: list[Sample] = []
    pending: dict[str, str] = {}
    pending_line = 0
    index = 0
    while index < len(lines):
        line = lines[index]
        directive = _DIRECTIVE.match(line.strip())
        if directive:
            pending[directive["key"]] = directive["value"]
            pending_line = index + 1
        elif _ANY_DIRECTIVE.match(line.strip()):
            raise MarkdownError(f"{name}:{index + 1}: malformed directive {line.strip()!r}")
        elif (fence := _FENCE.match(line)) is not None:
            language = fence["info"].strip()
            end = index + 1
            while end < len(lines) and lines[end] != "```":
                end += 1
            if end == len(lines):
                raise MarkdownError(f"{name}:{index + 1}: the fence is never closed")
            if language not in RUN_LANGUAGES | SHOWN_LANGUAGES:
                raise MarkdownError(
                    f"{name}:{index + 1}: fenced block with language {language!r}; write one of "
                    f"{sorted(RUN_LANGUAGES | SHOWN_LANGUAGES)}"
                )
            if pending and language not in RUN_LANGUAGES:
                raise MarkdownError(f"{name}:{pending_line}: a directive before a {language} block")
            if "not-run" in pending and not pending["not-run"]:
                raise MarkdownError(f"{name}:{pending_line}: not-run needs a reason")
            samples.append(
                Sample(
                    document=name,
                    line=index + 1,
                    language=language,
                    code="\n".join(lines[index + 1 : end]) + "\n",
                    not_run=pending.get("not-run"),
                    file=pending.get("file"),
                    server=pending.get("server"),
                )
            )
            pending = {}
            index = end
        elif line.strip() and pending:
            raise MarkdownError(
                f"{name}:{pending_line}: a directive must come right before a fence"
            )
        index += 1
    if pending:
        raise MarkdownError(f"{name}:{pending_line}: a directive after the last fence")
    return samples


@dataclass(frozen=True)
class Command:
    """One ``$ command`` of a console transcript and the output shown after it."""

    command: str
    shown: tuple[str, ...]


def transcript(code: str) -> list[Command]:
    """The commands of a ``console`` block; ``\\`` at a line's end continues the command."""
    commands: list[Command] = []
    lines = code.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.startswith("$ "):
            raise MarkdownError(f"console output before any command: {line!r}")
        parts = [line[2:]]
        while parts[-1].endswith("\\"):
            index += 1
            parts.append(lines[index])
        index += 1
        shown = []
        while index < len(lines) and not lines[index].startswith("$ "):
            shown.append(lines[index])
            index += 1
        commands.append(Command("\n".join(parts), tuple(shown)))
    return commands


def missing_output(shown: tuple[str, ...], real: str) -> str | None:
    """The first part of *shown* not found in *real*, or None when all of it is there.

    A ``...`` line stands for lines left out; each run of lines between them must appear in the
    real output, in order. Runs of whitespace compare equal, so a long line may be wrapped.
    """
    text = " ".join(real.split())
    position = 0
    chunk: list[str] = []
    for line in [*shown, "..."]:
        if line.strip() != "...":
            chunk.append(line)
            continue
        wanted = " ".join(" ".join(chunk).split())
        chunk = []
        if not wanted:
            continue
        found = text.find(wanted, position)
        if found < 0:
            return wanted
        position = found + len(wanted)
    return None
