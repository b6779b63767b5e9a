"""Every value written to a proxy's configuration is escaped for its language or refused: a route
path cannot end a comment and inject directives, a header value comes back exactly as configured
(no Caddy placeholder, no environment variable, no nginx variable, no HAProxy sample is
expanded), and what a
language cannot hold is refused with the route and the option named."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from werkzeug.routing import BaseConverter

from crossgate.cli._shared import EXPORT_PROXIES
from crossgate.errors import ConfigError
from crossgate.export import PROXIES as WRITTEN
from crossgate.export import ExportError, export_config
from crossgate.export._plan import Unwritable, header_value
from crossgate.flask import CORS, Headers
from tests.export.export_fixture_app import app as fixture
from tests.export.export_hostile_app import LITERAL, ORIGIN, TICK, app
from tests.export.export_proxies import (
    KINDS,
    Proxy,
    assert_answered_alike,
    dead_port,
    exported_proxy,
    free_port,
    gunicorn,
    haproxy_check,
    nginx_check,
    run_proxy,
    send,
)

pytestmark = pytest.mark.proxies

PREFLIGHT = {"Origin": ORIGIN, "Access-Control-Request-Method": "GET", "Cookie": "secret=1"}


@pytest.fixture(scope="module")
def upstream() -> Iterator[int]:
    with gunicorn("tests.export.export_hostile_app") as port:
        yield port


@pytest.fixture(scope="module", params=KINDS)
def proxy(
    request: pytest.FixtureRequest, upstream: int, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    kind = request.param
    # run_proxy asserts `nginx -t` / `caddy validate` / `haproxy -c` first.
    with exported_proxy(kind, tmp_path_factory.mktemp(kind), app, upstream) as port:
        yield port


def served(lines: list[tuple[str, str]]) -> dict[str, str]:
    """Header values as sent (http.client reads the bytes as Latin-1; the proxies send UTF-8)."""
    return {name.lower(): value.encode("latin-1").decode() for name, value in lines}


def test_a_path_with_a_newline_injects_no_location(proxy: int, upstream: int) -> None:
    direct, _ = send(upstream, "GET", "/owned", {})
    status, lines = send(proxy, "GET", "/owned", {})
    assert (status, direct) == (404, 404)  # the app's answer, not the injected one
    assert "owned" not in str(lines)


def test_header_values_come_back_exactly_as_configured(proxy: int) -> None:
    status, lines = send(proxy, "OPTIONS", "/plain", PREFLIGHT)
    assert status == 204  # answered by the proxy: its own header lines
    values = served(lines)
    assert values["x-literal"] == LITERAL
    assert values["x-tick"] == TICK
    assert "secret" not in str(lines)  # no placeholder read the visitor's cookie


@pytest.mark.parametrize(
    "path",
    ["/q%22uo;te%23$x%5Cy%7Ba%7D%60b", "/caf%C3%A9/x", "/n%0A%7D", "/plain"],
)
@pytest.mark.parametrize("method", ["OPTIONS", "GET"])
def test_hostile_paths_are_answered_as_the_app_answers(
    proxy: int, upstream: int, path: str, method: str
) -> None:
    headers = dict(PREFLIGHT) if method == "OPTIONS" else {"Origin": ORIGIN}
    assert_answered_alike(upstream, proxy, (method, path, headers))


def header_app(values: dict[str, str]) -> Flask:
    hostile = Flask(__name__)

    @hostile.get("/v")
    def view() -> str:
        return "v"

    CORS(hostile, origins=[ORIGIN])
    Headers(hostile, headers=values)
    return hostile


def test_an_environment_reference_is_refused_for_caddy_naming_route_and_option() -> None:
    with pytest.raises(ExportError) as raised:
        export_config(
            header_app({"X-Env": "{$HOME}"}),
            "caddy",
            upstream="http://127.0.0.1:1",
            listen="127.0.0.1:2",
        )
    assert any(
        refusal.route.startswith("/v") and refusal.option == "headers" and "{$" in refusal.message
        for refusal in raised.value.refusals
    )


def test_a_backtick_with_a_backslash_before_a_quote_is_refused_for_caddy() -> None:
    with pytest.raises(ExportError, match="backslash before a quote"):
        export_config(
            header_app({"X-Odd": 'a`b\\"c'}),
            "caddy",
            upstream="http://127.0.0.1:1",
            listen="127.0.0.1:2",
        )


def test_a_header_name_a_configuration_reads_as_syntax_is_refused() -> None:
    for proxy in KINDS:
        with pytest.raises(ExportError, match="name 'X#Y' is not written"):
            export_config(
                header_app({"X#Y": "1"}),
                proxy,
                upstream="http://127.0.0.1:1",
                listen="127.0.0.1:2",
            )


def test_a_refused_route_is_shown_on_one_line() -> None:
    hostile = Flask(__name__)

    @hostile.get("/r\nx")
    def view() -> str:
        return "v"

    CORS(hostile, origins=[ORIGIN])
    Headers(hostile, headers={"X-Env": "{$HOME}"})
    with pytest.raises(ExportError) as raised:
        export_config(hostile, "caddy", upstream="http://127.0.0.1:1", listen="127.0.0.1:2")
    assert "/r\\u000Ax" in str(raised.value)
    assert all(line.startswith(("the proxy", "  - ")) for line in str(raised.value).splitlines())


def caddy_cannot_hold(value: str) -> bool:
    """What no Caddyfile holds literally: ``{$`` (an environment variable, even in quotes), a
    lone brace (a block's), a backtick with a backslash before a quote or at the end."""
    tick = "`" in value and (value.endswith("\\") or '\\"' in value)
    return "{$" in value or value in ("{", "}") or tick


# Values a configuration language may read as syntax, with any other text around them.
SYNTAX = st.sampled_from(
    [
        "{",
        "}",
        "$",
        "`",
        '"',
        "'",
        "\\",
        ";",
        "#",
        "{$HOME}",
        "{http.request.header.Cookie}",
        "$http_cookie",
        "${x}",
        "$1",
        "\u00e9",
        " ",
        "%",
        "%[req.hdr(cookie)]",
        "%%",
        "${HOME}",
    ]
)
VALUE = (
    st.lists(SYNTAX | st.text(st.characters(max_codepoint=0xFF, exclude_categories=["Cc"])))
    .map("".join)
    .map(str.strip)
    .filter(bool)
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(values=st.lists(VALUE, min_size=1, max_size=10))
@example(values=[LITERAL, TICK, "{$HOME}", 'a`b\\"c', "\u00ff$", "}", "\\}", "a}\\", "100%"])
@pytest.mark.parametrize("kind", KINDS)
def test_a_served_value_is_the_configured_value_byte_for_byte_or_refused(
    kind: Proxy, values: list[str], tmp_path: Path
) -> None:
    configured = {f"X-V{index}": value for index, value in enumerate(values)}
    try:
        hostile = header_app(configured)
    except ConfigError:
        return  # refused at start-up: never exported
    port = free_port()
    with dead_port() as nowhere:  # preflights never reach the app
        refused: ExportError | None = None
        try:
            config = export_config(
                hostile, kind, upstream=f"http://127.0.0.1:{nowhere}", listen=f"127.0.0.1:{port}"
            )
        except ExportError as error:
            refused = error
        if refused is not None:
            assert kind == "caddy"  # nginx and HAProxy hold every value
            assert all(refusal.option == "headers" for refusal in refused.refusals)
            assert any(caddy_cannot_hold(value) for value in values)
            return
        root = tmp_path / f"{kind}-{len(list(tmp_path.iterdir()))}"
        root.mkdir()
        with run_proxy(kind, root, config, port):
            status, lines = send(port, "OPTIONS", "/v", PREFLIGHT)
    assert status == 204
    got = served(lines)
    assert {name: got.get(name.lower()) for name in configured} == configured


@pytest.mark.parametrize(
    ("listen", "upstream"),
    [
        ("127.0.0.1:8080; location /owned {", "http://127.0.0.1:5000"),
        ("127.0.0.1:8080 {\n\trespond owned\n}", "http://127.0.0.1:5000"),
        ("127.0.0.1:8080", "http://127.0.0.1:5000;return 200"),
        ("127.0.0.1:8080", "http://127.0.0.1:5000 {"),
    ],
)
@pytest.mark.parametrize("kind", KINDS)
def test_an_address_that_is_not_host_and_port_is_refused(
    kind: Proxy, listen: str, upstream: str
) -> None:
    with pytest.raises(ValueError, match="is not a host and port"):
        export_config(app, kind, upstream=upstream, listen=listen)


@pytest.mark.parametrize("listen", ["http://127.0.0.1:8080", "127.0.0.1:65536", "[::1]:0"])
@pytest.mark.parametrize("kind", KINDS)
def test_a_listen_address_with_a_scheme_or_no_tcp_port_is_refused(kind: Proxy, listen: str) -> None:
    # Each proxy would refuse `listen http://...` or port 65536 itself, at start-up only.
    with pytest.raises(ValueError, match="is not a host and a port"):
        export_config(app, kind, upstream="http://127.0.0.1:5000", listen=listen)


def test_nginx_checks_the_exported_file_without_a_warning(tmp_path: Path) -> None:
    # The file declares many variables: it sizes nginx's variables hash itself.
    config = export_config(
        fixture, "nginx", upstream="http://127.0.0.1:5000", listen="127.0.0.1:8080"
    )
    checked = nginx_check(tmp_path, config)
    assert checked.returncode == 0, checked.stderr
    assert "[warn]" not in checked.stderr
    assert "[emerg]" not in checked.stderr


class Letters(BaseConverter):
    regex = "[a-z\u00e9]+"


def converter_app(path: str) -> Flask:
    hostile = Flask(__name__)
    hostile.url_map.converters["letters"] = Letters

    @hostile.get(path)
    def view(name: str) -> str:
        return name

    CORS(hostile, origins=[ORIGIN])
    return hostile


def test_a_non_ascii_character_in_a_regex_class_is_refused_where_pcre_reads_bytes() -> None:
    hostile = converter_app("/w/<letters:name>")
    with pytest.raises(ExportError, match="in a class, which nginx reads as bytes"):
        export_config(hostile, "nginx", upstream="http://127.0.0.1:1", listen="127.0.0.1:2")
    with pytest.raises(ExportError, match="in a class, which HAProxy reads as bytes"):
        export_config(hostile, "haproxy", upstream="http://127.0.0.1:1", listen="127.0.0.1:2")
    caddy = export_config(hostile, "caddy", upstream="http://127.0.0.1:1", listen="127.0.0.1:2")
    assert "[a-z\\x{e9}]+" in caddy  # RE2 reads characters


def test_a_control_character_in_a_regex_is_written_as_an_escape() -> None:
    hostile = converter_app("/w\n}\n/<name>")
    for kind in KINDS:
        text = export_config(hostile, kind, upstream="http://127.0.0.1:1", listen="127.0.0.1:2")
        assert "/w\\x0a" in text or "/w\\x{a}" in text
        assert "\n}\n/" not in text


def test_a_value_with_a_control_character_is_never_written() -> None:
    with pytest.raises(Unwritable, match="control character"):
        header_value("a\r\nSet-Cookie: x=1")
    assert header_value("a\tb") == "a\tb"


PATH_PIECES = st.sampled_from(
    ["\n", "\r", "}", "{", ";", "#", '"', "'", "\\", "`", "$", " ", "\t", "{$HOME}", "é", "/",
     "location /owned { return 200 owned; }", "handle /owned {\nrespond owned 200\n}", "a",
     "'\nhttp-request return status 200 string owned if { path /owned }\n#", "%[url]", "%"]
)  # fmt: skip


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(pieces=st.lists(PATH_PIECES, min_size=1, max_size=8))
@pytest.mark.parametrize("kind", KINDS)
def test_a_generated_route_path_injects_nothing(
    kind: Proxy, pieces: list[str], tmp_path: Path
) -> None:
    hostile = Flask(__name__)
    hostile.add_url_rule("/p" + "".join(pieces), "view", lambda: "v")
    CORS(hostile, origins=[ORIGIN])
    root = tmp_path / f"{kind}-{len(list(tmp_path.iterdir()))}"
    root.mkdir()
    with dead_port() as nowhere, exported_proxy(kind, root, hostile, nowhere) as port:
        status, _ = send(port, "GET", "/owned", {})  # the file passed each proxy's own check
    # Proxied to the (dead) app (HAProxy says 503): no injected location answered it.
    assert status == (503 if kind == "haproxy" else 502)


def test_the_proxy_answers_every_host_name_on_its_address(proxy: int) -> None:
    # A Caddy site address's host is a Host matcher: a site written `http://127.0.0.1:PORT`
    # answered only requests for that name (an empty 200 for `Host: api.example.com`) and
    # listened on every interface. The site takes every Host, bound to the address given.
    direct = send(proxy, "OPTIONS", "/plain", PREFLIGHT)
    named = send(proxy, "OPTIONS", "/plain", {**PREFLIGHT, "Host": "api.example.com"})
    assert named[0] == direct[0] == 204
    assert served(named[1]).get("access-control-allow-origin") == ORIGIN


def test_haproxy_checks_the_exported_file_without_a_warning(tmp_path: Path) -> None:
    config = export_config(
        fixture, "haproxy", upstream="http://127.0.0.1:5000", listen="127.0.0.1:8080"
    )
    checked = haproxy_check(tmp_path, config)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "WARNING" not in checked.stdout + checked.stderr
    assert "ALERT" not in checked.stdout + checked.stderr


def test_haproxy_binds_the_address_it_is_given() -> None:
    config = export_config(app, "haproxy", upstream="http://[::1]:5000", listen="[::1]:8080")
    assert "\n    bind [::1]:8080\n" in config
    assert "\n    server app [::1]:5000\n" in config
    with pytest.raises(ValueError, match="has no port"):
        export_config(app, "haproxy", upstream="http://127.0.0.1:5000", listen="127.0.0.1")


def test_caddy_binds_the_host_it_is_given() -> None:
    config = export_config(app, "caddy", upstream="http://127.0.0.1:5000", listen="[::1]:8080")
    assert "http://:8080 {\n\tbind ::1\n" in config


@pytest.mark.parametrize("kind", KINDS)
def test_every_writer_needs_the_port_it_listens_on(kind: Proxy) -> None:
    with pytest.raises(ValueError, match="has no port"):
        export_config(app, kind, upstream="http://127.0.0.1:5000", listen="127.0.0.1")


def test_the_command_line_offers_every_proxy_the_export_writes() -> None:
    # cli._shared names them without importing the export: the two lists are one.
    assert EXPORT_PROXIES == WRITTEN == KINDS
