"""What only the HAProxy writer has to get right: its rules run in order (a map read before it
is set reads empty), its words hold any value (``\\xNN`` between quoted parts, NUL refused), and
its backend speaks to the upstream as given. The replay through a real HAProxy is in the shared
tests (equivalence, spellings, escaping, overlap, ASGI)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from crossgate.export import ExportError, export_config
from crossgate.export._haproxy import ordered
from crossgate.export._plan import In, Key, Map, Var, build_plan
from crossgate.export._routes import build_table
from crossgate.flask import CORS
from tests.export.export_fixture_app import app as fixture
from tests.export.export_proxies import haproxy_check

ORIGIN = "https://app.example.com"


def reads(item: Map) -> set[str]:
    parts = [*item.source, *item.default, *(part for _, value in item.entries for part in value)]
    return {part.name for part in parts if isinstance(part, Var)} - {item.target}


def assert_each_after_what_it_reads(maps: list[Map]) -> None:
    seen: set[str] = set()
    targets = {item.target for item in maps}
    for item in maps:
        assert reads(item) & targets <= seen, item.target
        seen.add(item.target)


def test_the_plans_maps_are_set_before_they_are_read() -> None:
    plan = build_plan(build_table(fixture, "pcre"))
    assert ordered(plan.maps) == list(plan.maps)  # the plan's own order already is
    assert_each_after_what_it_reads(ordered(plan.maps))
    # Given in the reverse order, each still comes after the maps it reads.
    assert_each_after_what_it_reads(ordered(tuple(reversed(plan.maps))))


def test_maps_reading_each_other_in_a_cycle_are_not_written() -> None:
    one = Map("one", (Var("two"),), (), ("0",))
    two = Map("two", (Var("one"), In("origin")), ((Key("x"), ("1",)),), ("0",))
    with pytest.raises(ValueError, match="cycle"):
        ordered((one, two))


def route_app(path: str) -> Flask:
    app = Flask(__name__)
    app.add_url_rule(path, "v", lambda: "v")
    CORS(app, origins=[ORIGIN])
    return app


def test_a_control_character_in_a_path_is_written_between_quoted_parts(tmp_path: Path) -> None:
    text = export_config(
        route_app("/a\nb'c"), "haproxy", upstream="http://127.0.0.1:1", listen="127.0.0.1:2"
    )
    assert "'/a'\\x0a'b'\\''c'" in text  # one word to HAProxy: /a, LF, b, quote, c
    checked = haproxy_check(tmp_path, text)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_nul_in_a_path_is_refused_naming_the_route() -> None:
    with pytest.raises(ExportError) as raised:
        export_config(
            route_app("/a\x00b"), "haproxy", upstream="http://127.0.0.1:1", listen="127.0.0.1:2"
        )
    [refusal] = raised.value.refusals
    assert (refusal.route, refusal.option) == ("/a\x00b (v)", "path")
    assert "NUL" in refusal.message


def test_an_https_upstream_is_verified_against_the_system_cas(tmp_path: Path) -> None:
    text = export_config(
        route_app("/v"), "haproxy", upstream="https://api.internal:8443", listen="127.0.0.1:2"
    )
    assert "server app api.internal:8443 ssl verify required ca-file @system-ca" in text
    assert "sni str(api.internal)" in text
