"""URL rules whose paths overlap with different methods: the proxy picks a location by the path
alone, so it passes to the app the methods another rule may serve there (the CORS side is proven
by the overlap scenarios of test_export_equivalence; here the header-policy side and the test of
which rules may overlap)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.routing import Rule

from crossgate.export import export_config
from crossgate.export._overlap import may_overlap
from crossgate.export._routes import build_table
from crossgate.flask import CORS
from tests.export.export_overlap_app import app as headers_app
from tests.export.export_proxies import exported_proxy, gunicorn, send


def rules(*patterns: str) -> list[Rule]:
    app = Flask(__name__)
    for number, pattern in enumerate(patterns):
        app.add_url_rule(pattern, f"view{number}", lambda **_: "")
    found = {rule.rule: rule for rule in app.url_map.iter_rules()}
    return [found[pattern] for pattern in patterns]


@pytest.mark.parametrize(
    ("one", "other", "overlap"),
    [
        ("/api/<name>", "/api/<path:rest>", True),
        ("/api/<name>", "/api2/<path:rest>", False),  # no path begins with both
        ("/a<name>", "/ab/<int:n>", True),  # /ab/1 matches both
        ("/<name>", "/files/<path:rest>", True),
        ("/files/<name>", "/docs/<name>", False),
    ],
)
def test_rules_overlap_unless_their_static_beginnings_differ(
    one: str, other: str, overlap: bool
) -> None:
    first, second = rules(one, other)
    assert may_overlap(first, second) is overlap
    assert may_overlap(second, first) is overlap


def test_disjoint_rules_keep_every_request_at_the_proxy() -> None:
    app = Flask(__name__)
    app.add_url_rule("/a/<name>", "a", lambda **_: "", methods=["GET"])
    app.add_url_rule("/b/<path:rest>", "b", lambda **_: "", methods=["POST"])
    CORS(app, origins=["https://app.example.com"])
    text = export_config(app, "nginx", upstream="http://127.0.0.1:5000", listen="127.0.0.1:8080")
    assert "@crossgate_app" not in text
    assert not re.search(r"crossgate_l[0-9]+_pass", text)


@pytest.fixture(scope="module")
def headers_upstream() -> Iterator[int]:
    with gunicorn("tests.export.export_overlap_app") as port:
        yield port


@pytest.fixture(scope="module", params=["nginx", "caddy", "haproxy"])
def headers_proxy(
    request: pytest.FixtureRequest, headers_upstream: int, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    kind = request.param
    with exported_proxy(kind, tmp_path_factory.mktemp(kind), headers_app, headers_upstream) as port:
        yield port


@pytest.mark.proxies
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/h/x"), ("POST", "/h/x"), ("PUT", "/h/x"), ("POST", "/h/x/y"), ("GET", "/h/x/y")],
)
def test_a_request_another_rule_serves_keeps_that_rules_header_policy(
    method: str, path: str, headers_upstream: int, headers_proxy: int
) -> None:
    def view(port: int) -> tuple[int, list[str], list[str]]:
        status, lines = send(port, method, path, {})
        found = [(name.lower(), value) for name, value in lines]
        frame = [value for name, value in found if name == "x-frame-options"]
        cache = [value for name, value in found if name == "cache-control"]
        return status, frame, cache

    direct = view(headers_upstream)
    assert view(headers_proxy) == direct
    if (method, path) == ("POST", "/h/x"):
        assert direct[1:] == (["DENY"], [])  # the second rule's policy, not the first's


def exact_locations(app: Flask) -> dict[tuple[str, ...], bool]:
    """The exact-path locations of *app*'s export, and whether each is passed to the app."""
    CORS(app, origins=["https://app.example.com"])
    table = build_table(app, "pcre")
    return {loc.exact_paths: loc.passthrough for loc in table.locations if loc.exact_paths}


def test_a_path_werkzeug_only_redirects_joins_its_target() -> None:
    app = Flask(__name__)
    app.add_url_rule("/y/", "y", lambda: "", methods=["GET"])
    app.add_url_rule("/<name>", "n", lambda name: "", methods=["GET"])  # redirected too
    assert exact_locations(app) == {("/y/", "/y"): False}


def test_a_path_werkzeug_redirects_for_some_methods_only_is_the_apps() -> None:
    app = Flask(__name__)
    app.add_url_rule("/y/", "y", lambda: "", methods=["GET"])
    app.add_url_rule("/<name>", "n", lambda name: "", methods=["POST"])  # POST /y is its own
    assert exact_locations(app) == {("/y",): True, ("/y/",): False}


def test_paths_with_a_rule_of_their_own_are_not_joined() -> None:
    app = Flask(__name__)
    app.add_url_rule("/x/", "x", lambda: "")
    app.add_url_rule("/x", "x2", lambda: "", methods=["POST"])
    app.add_url_rule("/q/", "q", lambda: "", strict_slashes=False)  # /q matched, not redirected
    assert exact_locations(app) == {("/x/",): False, ("/x",): False, ("/q/",): False}
