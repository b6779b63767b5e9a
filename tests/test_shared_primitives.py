"""The pieces every adapter shares, written once: the walk through middleware layers, the
bounded cache, the check of the response-header options, the closest valid name a fix
suggests, the user's frame a declaration or warning points at, and the type of one
``origins`` entry (a static check keeps each in its one home)."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from starlette.applications import Starlette
from werkzeug.middleware.proxy_fix import ProxyFix

from crossgate._bounded import BoundedCache
from crossgate._layers import MAX_LAYERS, layers
from crossgate.asgi import HeadersMiddleware
from crossgate.asgi._routes import find_router
from crossgate.errors import ConfigError
from crossgate.flask import Headers
from crossgate.flask._edge import proxy_fix_after


class Wrapper:
    """Middleware that keeps the app it wraps in ``.app``, as WSGI and ASGI middleware do."""

    def __init__(self, app: object) -> None:
        self.app = app


def wrapped(app: object, depth: int) -> object:
    for _ in range(depth):
        app = Wrapper(app)
    return app


def test_the_walk_goes_from_the_outside_in_and_ends_at_the_innermost_app() -> None:
    inner = object()
    walked = list(layers(wrapped(inner, 3)))
    assert len(walked) == 4
    assert walked[-1] is inner
    assert all(isinstance(layer, Wrapper) for layer in walked[:-1])


def test_the_walk_is_bounded_so_a_loop_of_app_references_ends() -> None:
    loop = Wrapper(None)
    loop.app = loop
    assert len(list(layers(loop))) == MAX_LAYERS


@pytest.mark.parametrize(
    ("depth", "found"), [(0, True), (MAX_LAYERS - 1, True), (MAX_LAYERS, False)]
)
def test_the_edge_and_the_asgi_middleware_look_equally_deep(depth: int, found: bool) -> None:
    flask_app = Flask(__name__)
    assert proxy_fix_after(wrapped(ProxyFix(flask_app.wsgi_app), depth)) is found
    starlette = Starlette()
    assert (find_router(wrapped(starlette, depth)) is starlette.router) is found


def test_a_bounded_cache_forgets_the_oldest_and_can_start_afresh() -> None:
    cache: BoundedCache[str, int] = BoundedCache(2)
    for index, key in enumerate("abc"):
        cache.put(key, index)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, 1, 2)
    cache.put("b", 10)  # a key it holds: nothing is forgotten
    assert (len(cache), cache["c"]) == (2, 2)
    cache.clear()
    assert len(cache) == 0


async def asgi_app(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError("never called")  # pragma: no cover


@pytest.mark.parametrize(
    ("make", "owner"),
    [
        (lambda **options: Headers(Flask(__name__), **options), "Headers"),
        (lambda **options: HeadersMiddleware(asgi_app, **options), "HeadersMiddleware"),
    ],
)
def test_both_adapters_check_header_options_alike(make: Any, owner: str) -> None:
    with pytest.raises(ConfigError) as raised:
        make(presets="web", hsts="yes")
    problems = {problem.option: problem for problem in raised.value.problems}
    assert problems["presets"].message == f"is not an option of {owner}"
    assert problems["presets"].fix == "write 'preset'"
    assert "hsts" in problems  # compile_headers's own problems come in the same error


def test_only_the_flask_adapter_has_https_redirect() -> None:
    with pytest.raises(ConfigError) as raised:
        HeadersMiddleware(asgi_app, https_redirect=True)  # type: ignore[call-arg]
    (problem,) = raised.value.problems
    assert problem.message == "is not an option of HeadersMiddleware"


SRC = Path(__file__).resolve().parent.parent / "src" / "crossgate"


def _modules_where(found: Callable[[ast.AST], bool]) -> set[str]:
    """The modules of the package with a node *found* says yes to, as paths under src/crossgate."""
    return {
        path.relative_to(SRC).as_posix()
        for path in SRC.rglob("*.py")
        if any(found(node) for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))))
    }


def _imports(module: str) -> Callable[[ast.AST], bool]:
    def check(node: ast.AST) -> bool:
        if isinstance(node, ast.Import):
            return any(alias.name == module for alias in node.names)
        return isinstance(node, ast.ImportFrom) and node.module == module

    return check


def _assigns(pattern: str) -> Callable[[ast.AST], bool]:
    """An assignment to a module-level name matching *pattern*, or of a value written so."""

    def check(node: ast.AST) -> bool:
        if not isinstance(node, ast.Assign | ast.AnnAssign):
            return False
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [target.id for target in targets if isinstance(target, ast.Name)]
        value = "" if node.value is None else ast.unparse(node.value)
        return any(re.fullmatch(pattern, text) for text in [*names, value])

    return check


def _reads(attribute: str) -> Callable[[ast.AST], bool]:
    def check(node: ast.AST) -> bool:
        return isinstance(node, ast.Attribute) and ast.unparse(node) == attribute

    return check


@pytest.mark.parametrize(
    ("what", "found", "home"),
    [
        ("the walk to the user's frame", _reads("sys._getframe"), {"_callsite.py"}),
        ("the closest valid name (difflib)", _imports("difflib"), {"errors.py"}),
        ("the bound of the middleware walk", _assigns(r"_?MAX_LAYERS"), {"_layers.py"}),
        (
            "the type of one origins entry",
            _assigns(r"str \| re\.Pattern\[str\] \| Callable\[\[str\], bool\]"),
            {"_options.py"},
        ),
    ],
)
def test_each_primitive_is_written_once(
    what: str, found: Callable[[ast.AST], bool], home: set[str]
) -> None:
    assert _modules_where(found) == home, f"{what} is written outside {home}"
