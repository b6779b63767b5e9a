"""The split modules keep their shape: small, imports at the top, pointing one way.

The order of each group is the order ``docs/design.md`` lists them in: a module may import only
the modules before it, so no import cycle can come back.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
MAX_LINES = 500

LAYERS = {
    "origins": [
        "crossgate._public_suffixes",
        "crossgate._origin_syntax",
        "crossgate._origin_matcher",
        "crossgate._regex_reading",
        "crossgate.origin_regex",
        "crossgate.origins",
    ],
    "headers": [
        "crossgate.headers._csp",
        "crossgate.headers._policy",
        "crossgate.headers._presets",
        "crossgate.headers._hsts",
        "crossgate.headers._validation",
        "crossgate.headers",
    ],
    "browser": [
        "crossgate.browser._values",
        "crossgate.browser._safelist",
        "crossgate.browser._wording",
        "crossgate.browser._redirects",
        "crossgate.browser._checks",
        "crossgate.browser._exchange",
        "crossgate.browser",
    ],
}
MODULES = sorted({name for layer in LAYERS.values() for name in layer})


def source(module: str) -> Path:
    path = SRC.joinpath(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def imported(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("module", MODULES)
def test_modules_stay_small(module: str) -> None:
    assert len(source(module).read_text(encoding="utf-8").splitlines()) <= MAX_LINES


@pytest.mark.parametrize("module", MODULES)
def test_imports_are_at_module_level(module: str) -> None:
    tree = ast.parse(source(module).read_text(encoding="utf-8"))
    functions = [
        node
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    ]
    nested = [
        f"{function.name}:{node.lineno}"
        for function in functions
        for node in ast.walk(function)
        if isinstance(node, (ast.Import, ast.ImportFrom))
    ]
    assert nested == []


@pytest.mark.parametrize(("group", "layer"), LAYERS.items())
def test_imports_point_one_way(group: str, layer: list[str]) -> None:
    backwards = []
    for position, module in enumerate(layer):
        found = imported(ast.parse(source(module).read_text(encoding="utf-8")))
        backwards += [
            f"{module} imports {later}" for later in layer[position + 1 :] if later in found
        ]
    assert backwards == [], group


def test_every_module_of_the_package_stays_small() -> None:
    too_long = {
        str(path.relative_to(SRC)): count
        for path in sorted((SRC / "crossgate").rglob("*.py"))
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}


#: What the server core must never import: frameworks, adapters, the tools, the client model.
OUTSIDE_THE_CORE = ("flask", "werkzeug", "starlette", "click", "httpx", "crossgate.browser")
ADAPTERS = ("crossgate.flask", "crossgate.asgi", "crossgate.compat", "crossgate.cli")


def test_the_server_core_imports_no_framework_no_adapter_and_not_the_browser_model() -> None:
    core = [
        path
        for path in sorted((SRC / "crossgate").rglob("*.py"))
        if path.parent.name in ("crossgate", "headers")
    ]
    assert len(core) > 15
    for path in core:
        names = imported(ast.parse(path.read_text(encoding="utf-8")))
        reaching = sorted(
            name
            for name in names
            for banned in (*OUTSIDE_THE_CORE, *ADAPTERS)
            if name == banned or name.startswith(banned + ".")
        )
        assert reaching == [], path.name
