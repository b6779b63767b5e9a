"""README, docs and the images they show carry no path of the machine that built them
(a build's /work/..., a pytest tmp directory, a home directory)."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD_PATH = re.compile(r"/work/|/tmp/pytest|/root/|/home/|/Users/")
PAGES = sorted([*ROOT.glob("*.md"), *(ROOT / "docs").glob("**/*.md")])
IMAGES = sorted((ROOT / "docs").glob("**/*.png"))


@pytest.mark.parametrize("page", PAGES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_page_shows_a_build_machine_path(page: Path) -> None:
    found = [
        f"{page.name}:{number}: {line.strip()}"
        for number, line in enumerate(page.read_text().splitlines(), 1)
        if BUILD_PATH.search(line)
    ]
    assert not found, "\n".join(found)


def png_metadata(data: bytes) -> str:
    """Every chunk of a PNG but its pixels (IDAT): where tools record paths and comments."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        if data[at + 4 : at + 8] != b"IDAT":
            chunks.append(data[at + 4 : at + 8 + length].decode("latin-1"))
        at += 12 + length
    return "\n".join(chunks)


@pytest.mark.parametrize("image", IMAGES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_image_records_a_build_machine_path(image: Path) -> None:
    assert BUILD_PATH.search(png_metadata(image.read_bytes())) is None


def test_the_check_catches_the_paths_a_build_leaves() -> None:
    for line in (
        'File "/work/wt/h22a/examples/demo.py", line 113',
        "/tmp/pytest-of-root/pytest-7/test_x0/app.py",
        "/root/.cache/pip",
        "/home/ci/project/README.md",
    ):
        assert BUILD_PATH.search(line), line
    assert BUILD_PATH.search("flask crossgate export nginx > /tmp/crossgate.conf") is None
