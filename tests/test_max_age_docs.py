"""The preflight cache lifetime the docs state is the one crossgate sends: the default
``max_age`` read from a real preflight answer, and each engine's cap from the browser model."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from crossgate.browser import ENGINES
from crossgate.flask import CORS

ROOT = Path(__file__).resolve().parents[1]
PAGE = "https://app.example.com"


def sent_max_age() -> int:
    """``Access-Control-Max-Age`` of a preflight answered with no ``max_age`` configured."""
    app = Flask(__name__)
    CORS(app, origins=[PAGE])

    @app.put("/items")
    def items() -> str:
        return "ok"

    answer = app.test_client().options(
        "/items", headers={"Origin": PAGE, "Access-Control-Request-Method": "PUT"}
    )
    assert answer.status_code == 204
    return int(answer.headers["Access-Control-Max-Age"])


# (file, a pattern whose group is the default max_age the sentence states)
STATED_DEFAULTS = [
    ("docs/deployment.md", r"cache them for `max_age` seconds \((\d+) by default"),
    ("README.md", r"\| `max_age` \| `(\d+)` \|"),
    ("docs/browsers.md", r"crossgate's default, (\d+), is Chromium's cap"),
    ("docs/migration.md", r"Default `(\d+)` \(Chromium's cap\)"),
    ("docs/migration.md", r"\| `max_age` default \(none\) \| default (\d+) \|"),
]


@pytest.mark.parametrize(("name", "pattern"), STATED_DEFAULTS)
def test_each_stated_default_is_the_max_age_a_preflight_carries(name: str, pattern: str) -> None:
    stated = re.findall(pattern, (ROOT / name).read_text())
    assert stated, f"{name} no longer says {pattern!r}"
    assert {int(seconds) for seconds in stated} == {sent_max_age()}


def test_the_readme_routes_sample_shows_the_default_and_each_engine_cap() -> None:
    readme = (ROOT / "README.md").read_text()
    default = sent_max_age()
    ages = re.findall(r"max-age: (\d+)s", readme)
    cached = re.findall(r"preflight cached: (.+)", readme)
    assert ages
    assert cached
    assert {int(age) for age in ages} == {default}
    kept = [default if e.max_age_cap is None else min(default, e.max_age_cap) for e in ENGINES]
    expected = ", ".join(f"{e.name} {s}s" for e, s in zip(ENGINES, kept, strict=True))
    assert set(cached) == {expected}


def test_the_browsers_table_lists_each_engine_cap() -> None:
    row = re.search(
        r"\| longest preflight cache \(`max_age` cap\) \|(.*)\|",
        ROOT.joinpath("docs/browsers.md").read_text(),
    )
    assert row is not None
    caps = [int(cell) for cell in re.findall(r"(\d+) s", row[1])]
    assert caps == [engine.max_age_cap for engine in ENGINES]


def test_routes_prints_the_cache_lifetimes_the_readme_shows() -> None:
    app = Flask(__name__)
    CORS(app, origins=[PAGE])

    @app.put("/items")
    def items() -> str:
        return "ok"

    printed = app.test_cli_runner().invoke(args=["crossgate", "routes"]).output
    readme = (ROOT / "README.md").read_text()
    shown = set(re.findall(r"preflight cached: (.+)", printed))
    assert shown
    assert shown == set(re.findall(r"preflight cached: (.+)", readme))
