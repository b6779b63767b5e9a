"""crossgate audit against an independent oracle: the real CORScanner (PyPI ``cors``).

Both scan the same TLS servers on 127.0.0.1 (named api.example.com): raw WSGI apps with one
known misconfiguration each, flask-cors set up unsafely, crossgate, and known-safe servers.
crossgate audit must report every class CORScanner reports, report classes it cannot see
(missing ``Vary: Origin``, preflights that echo any method or header, a suffix check on the
page's own name), and report nothing on the safe servers.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from crossgate.cli._command import main
from crossgate.inspect import ATTACK_CLASSES
from tests.audit.conftest import TlsServer, WSGIApp, resolve_test_names
from tests.audit.cors_fixtures import FIXTURES

DRIVER = Path(__file__).with_name("corscanner_driver.py")
#: CORScanner's finding types, in crossgate's class names.
THEIR_CLASSES = {
    "reflect_origin": "reflect-any-origin",
    "prefix_match": "prefix-match",
    "suffix_match": "suffix-match",
    "trust_null": "null-origin",
    "include_match": "substring-match",
    "not_escape_dot": "unescaped-dot",
    "custom_third_parties": "third-party-origin",
    "special_characters_bypass": "special-characters",
    "trust_any_subdomain": "any-subdomain",
    "https_trust_http": "https-trusts-http",
}
MISSED_BY_CORSCANNER = {"vary-origin-missing", "preflight-any-method", "preflight-any-header"}


@pytest.fixture(scope="module")
def servers(tls_serve: Callable[[WSGIApp], TlsServer]) -> dict[str, TlsServer]:
    return {name: tls_serve(app) for name, (app, _, _) in FIXTURES.items()}


@pytest.fixture(scope="module")
def corscanner(servers: dict[str, TlsServer]) -> dict[str, set[str]]:
    """CORScanner's classes per fixture, from one run over every server."""
    if importlib.util.find_spec("CORScanner") is None:
        message = "CORScanner is missing: pip install 'cors==1.0.1' (in the dev extra)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)  # under CI a missing oracle is a failure, not a skip
        pytest.skip(message)
    environment = {key: value for key, value in os.environ.items() if "proxy" not in key.lower()}
    urls = [server.url for server in servers.values()]
    ran = subprocess.run(
        [sys.executable, str(DRIVER), *urls],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
        check=True,
    )
    found = json.loads(ran.stdout.strip().splitlines()[-1])
    return {
        name: {THEIR_CLASSES[item["type"]] for item in found[server.url]}
        for name, server in servers.items()
    }


def audit(url: str, origins: tuple[str, ...]) -> dict[str, Any]:
    arguments = ["audit", url, "--insecure", "--json", "--concurrency", "8"]
    for origin in origins:
        arguments += ["--origin", origin]
    result = CliRunner().invoke(main, arguments, catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    report: dict[str, Any] = json.loads(result.stdout)
    assert result.exit_code == (1 if report["findings"] else 0)
    return report


@pytest.fixture(scope="module")
def ours(servers: dict[str, TlsServer]) -> dict[str, set[str]]:
    """crossgate audit's classes per fixture."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        resolve_test_names(monkeypatch)
        return {
            name: {finding["class"] for finding in audit(servers[name].url, origins)["findings"]}
            for name, (_, origins, _) in FIXTURES.items()
        }


def covers(ours: set[str], theirs: set[str]) -> set[str]:
    """What of *theirs* *ours* misses; echoing any origin covers every matching class."""
    if "reflect-any-origin" in ours:
        ours = ours | (set(ATTACK_CLASSES) - {"null-origin"})
    return theirs - ours


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_audit_finds_what_corscanner_finds_and_nothing_on_safe_servers(
    name: str, ours: dict[str, set[str]], corscanner: dict[str, set[str]]
) -> None:
    expected = FIXTURES[name][2]
    assert covers(ours[name], corscanner[name]) == set()
    assert ours[name] == expected
    if not expected:
        assert corscanner[name] == set()


def test_corscanner_sees_the_misconfigurations_it_knows(corscanner: dict[str, set[str]]) -> None:
    # The oracle is only worth something if it finds what it claims to find.
    assert corscanner["reflect-all"] >= {"reflect-any-origin", "null-origin"}
    assert "prefix-match" in corscanner["prefix"]
    assert "suffix-match" in corscanner["suffix"]
    assert "null-origin" in corscanner["null"]
    assert "unescaped-dot" in corscanner["unescaped-dot"]
    assert "special-characters" in corscanner["special-characters"]
    assert "https-trusts-http" in corscanner["http-trusted"]
    assert "any-subdomain" in corscanner["any-subdomain"]
    assert "third-party-origin" in corscanner["third-party"]
    assert "substring-match" in corscanner["substring"]


def test_audit_finds_classes_corscanner_cannot_see(
    ours: dict[str, set[str]], corscanner: dict[str, set[str]]
) -> None:
    theirs = set().union(*corscanner.values())
    assert set().union(*ours.values()) - theirs >= MISSED_BY_CORSCANNER
    # A check on the page's own name: only origins derived from --origin reach it.
    assert corscanner["page-suffix"] == set()
    assert corscanner["no-vary"] == set()
