"""The split modules keep their shape: small, imports at the top, pointing one way.

The order of each group is the order ``docs/design.md`` lists them in: a module may import only
the modules before it, so no import cycle can come back. The adapters and the core never import
the tools, the browser model or the command line, statically or at run time.
"""

from __future__ import annotations

import ast
import subprocess
import sys
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
        "crossgate._origin_regex",
        "crossgate._origins",
    ],
    "headers": [
        "crossgate.headers._csp",
        "crossgate.headers._policy",
        "crossgate.headers._presets",
        "crossgate.headers._hsts",
        "crossgate.headers._validation",
        "crossgate.headers",
    ],
    "inspect": [
        "crossgate.inspect._diagnose",
        "crossgate.inspect._local_network",
        "crossgate.inspect._check",
        "crossgate.inspect._probes",
        "crossgate.inspect._writes",
        "crossgate.inspect._advice",
        "crossgate.inspect._audit",
        "crossgate.inspect._flask_protection",
        "crossgate.inspect._flask_cors",
        "crossgate.inspect",
    ],
    "grade": [
        "crossgate.grade._observatory_table",
        "crossgate.grade._observatory_cookies",
        "crossgate.grade._observatory_csp",
        "crossgate.grade._observatory",
        "crossgate.grade._csp_eval",
        "crossgate.grade._report",
        "crossgate.grade",
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
#: What a web worker never needs: the command line, the client model, the tools.
TOOLS = (
    "crossgate.cli",
    "crossgate.browser",
    "crossgate.inspect",
    "crossgate.grade",
    "crossgate.export",
)
ADAPTER_PACKAGES = ("flask", "asgi", "compat")


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


def reaching(names: set[str], banned: tuple[str, ...]) -> list[str]:
    return sorted(
        name
        for name in names
        for package in banned
        if name == package or name.startswith(package + ".")
    )


def test_adapters_and_core_never_import_the_tools() -> None:
    package = SRC / "crossgate"
    server_side = [
        path
        for path in sorted(package.rglob("*.py"))
        if path.parent == package
        or path.relative_to(package).parts[0] in ("headers", *ADAPTER_PACKAGES)
    ]
    assert len(server_side) > 40
    found = {
        str(path.relative_to(SRC)): names
        for path in server_side
        if (names := reaching(imported(ast.parse(path.read_text(encoding="utf-8"))), TOOLS))
    }
    assert found == {}


def test_the_static_check_sees_an_import_of_the_tools() -> None:
    tree = ast.parse("from crossgate.inspect import run_check\nimport crossgate.cli._command\n")
    assert reaching(imported(tree), TOOLS) == [
        "crossgate.cli._command",
        "crossgate.inspect",
        "crossgate.inspect.run_check",
    ]


#: Each adapter set up the way an app sets it up, in a fresh interpreter.
SETUPS = {
    "crossgate.flask": (
        "from flask import Flask\n"
        "from crossgate.flask import CORS, Headers\n"
        "app = Flask('a')\n"
        "CORS(app, origins=['https://app.example.com'])\n"
        "Headers(app, preset='api')\n"
        "app.test_client().get('/', headers={'Origin': 'https://app.example.com'})\n"
    ),
    "crossgate.asgi": (
        "from crossgate.asgi import CORSMiddleware, HeadersMiddleware\n"
        "async def app(scope, receive, send): pass\n"
        "HeadersMiddleware(CORSMiddleware(app, origins=['https://app.example.com']))\n"
    ),
    "crossgate.compat.flask_cors": (
        "from flask import Flask\n"
        "from crossgate.compat.flask_cors import CORS\n"
        "app = Flask('a')\n"
        "CORS(app)\n"
        "app.test_client().get('/', headers={'Origin': 'https://app.example.com'})\n"
    ),
    "crossgate.compat.starlette": (
        "from starlette.applications import Starlette\n"
        "from crossgate.compat.starlette import CORSMiddleware\n"
        "CORSMiddleware(Starlette(), allow_origins=['https://app.example.com'])\n"
    ),
}
_REPORT = (
    "\nimport sys\n"
    "print('\\n'.join(sorted(name for name in sys.modules if name.startswith('crossgate'))))\n"
)


def loaded_modules(program: str) -> list[str]:
    finished = subprocess.run(
        [sys.executable, "-c", program + _REPORT],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(SRC)},
        timeout=60,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    return finished.stdout.split()


@pytest.mark.parametrize("adapter", SETUPS)
def test_importing_and_setting_up_an_adapter_loads_no_tool(adapter: str) -> None:
    loaded = loaded_modules(SETUPS[adapter])
    assert adapter in loaded
    assert [name for name in loaded if reaching({name}, TOOLS)] == []


def test_the_subprocess_check_sees_a_tool_loaded() -> None:
    loaded = loaded_modules("import crossgate.flask\nimport crossgate.inspect\n")
    assert "crossgate.inspect._check" in [name for name in loaded if reaching({name}, TOOLS)]
