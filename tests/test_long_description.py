"""The README is the package's long description: it renders on the package index, and every
link and image in it works there, away from the repository."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOME = "https://github.com/crossgate/crossgate"
# The repository's files as the index links them: pages on the project's home, raw images.
FILE_URL = re.compile(
    r"^(?:https://github\.com/crossgate/crossgate/blob/main/"
    r"|https://raw\.githubusercontent\.com/crossgate/crossgate/main/)(?P<path>[^#?]+)"
)


class Links(HTMLParser):
    """Every link target and image source of an HTML page, and its element ids."""

    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        target = values.get("href") if tag == "a" else values.get("src") if tag == "img" else None
        if target is not None:
            self.targets.append(target)


def pyproject() -> dict[str, object]:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+, as in the dev toolchain
    with (ROOT / "pyproject.toml").open("rb") as file:
        project: dict[str, object] = tomllib.load(file)["project"]
    return project


@pytest.fixture(scope="module")
def rendered() -> Links:
    markdown = pytest.importorskip("readme_renderer.markdown")
    assert pyproject()["readme"] == "README.md"
    # The index renders Markdown descriptions with readme_renderer, GitHub-flavoured; None
    # means it would refuse to show the description.
    html = markdown.render((ROOT / "README.md").read_text(encoding="utf-8"), variant="GFM")
    assert html is not None
    links = Links()
    links.feed(html)
    return links


def test_the_long_description_has_no_relative_link_or_image(rendered: Links) -> None:
    relative = [
        target
        for target in rendered.targets
        if not target.startswith("#") and urlsplit(target).scheme != "https"
    ]
    assert relative == [], "the package index cannot follow these; write absolute URLs"
    assert any(target.endswith("docs/demo.png") for target in rendered.targets)


def test_in_page_links_point_at_a_heading(rendered: Links) -> None:
    fragments = [target for target in rendered.targets if target.startswith("#")]
    assert fragments
    assert [target for target in fragments if target[1:] not in rendered.ids] == []


def test_links_to_the_repository_name_files_that_exist(rendered: Links) -> None:
    paths = [m["path"] for t in rendered.targets if (m := FILE_URL.match(t)) is not None]
    assert "docs/design.md" in paths
    assert [path for path in paths if not (ROOT / path).is_file()] == []
    outside = [t for t in rendered.targets if t.startswith(HOME) and not FILE_URL.match(t)]
    assert outside == []


def test_the_project_urls_are_in_the_metadata() -> None:
    urls = pyproject()["urls"]
    assert isinstance(urls, dict)
    assert urls["Homepage"] == HOME
    for url in urls.values():
        match = FILE_URL.match(url)
        assert url == HOME or (match is not None and (ROOT / match["path"]).is_file()), url
