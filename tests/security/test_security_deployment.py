"""Deployment: a crossgate app under gunicorn, behind nginx with ``proxy_cache``.

A shared cache is where a missing ``Vary: Origin`` turns into a leak: the response made for
origin A, with A's Access-Control-Allow-Origin (and credentials), served from the cache to
origin B's page. Real components, started and stopped here, on 127.0.0.1 only: gunicorn from
PyPI (the ``dev`` extra) and Debian's nginx. Without nginx the test is skipped on a workstation
and fails under CI (``CI`` set): a CI run that never reached the cache has proved nothing.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.export.export_proxies import free_port, nginx, stop, wait_for

pytestmark = pytest.mark.deployment

ORIGIN_A = "https://a.example.com"
ORIGIN_B = "https://b.example.com"
ORIGIN_EVIL = "https://evil.example.net"

APP_SOURCE = f"""
from flask import Flask

from crossgate.flask import CORS

app = Flask(__name__)
CACHEABLE = {{"Cache-Control": "public, max-age=300"}}


@app.get("/account")
def account():
    return "account data", 200, CACHEABLE


@app.get("/public")
def public():
    return "public data", 200, CACHEABLE


CORS(
    app,
    origins=[{ORIGIN_A!r}, {ORIGIN_B!r}],
    supports_credentials=True,
    resources={{
        "/account": {{}},
        "/public": {{"origins": "*", "supports_credentials": False}},
    }},
)
"""

# For the http {} context; export_proxies.nginx puts it inside its minimal main file.
NGINX_CONF = """
proxy_cache_path {root}/cache levels=1:2 keys_zone=crossgate:1m inactive=10m;
server {{
    listen 127.0.0.1:{port};
    location / {{
        proxy_pass http://127.0.0.1:{upstream};
        proxy_cache crossgate;
        proxy_cache_key $scheme$proxy_host$request_uri;
        proxy_cache_valid 200 10m;
        add_header X-Cache-Status $upstream_cache_status always;
    }}
}}
"""


@pytest.fixture
def cached_proxy(tmp_path: Path) -> Iterator[int]:
    """gunicorn serving the app, nginx caching in front of it: yields nginx's port."""
    (tmp_path / "deployed_app.py").write_text(APP_SOURCE)
    env = dict(os.environ)
    # The same crossgate the test process imports (a worktree's src/ when it comes first).
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), *(p for p in sys.path if p)])
    upstream = free_port()
    gunicorn = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{upstream}",
            "--workers",
            "1",
            "--chdir",
            str(tmp_path),
            "deployed_app:app",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(upstream, gunicorn, "gunicorn")
        port = free_port()
        config = NGINX_CONF.format(root=tmp_path, port=port, upstream=upstream)
        with nginx(tmp_path, config, port):
            yield port
    finally:
        stop(gunicorn, signal.SIGTERM)


def get(port: int, path: str, origin: str | None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {} if origin is None else {"Origin": origin}
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_no_response_from_the_cache_carries_another_origins_acao(cached_proxy: int) -> None:
    sequence = [ORIGIN_A, ORIGIN_A, ORIGIN_B, None, ORIGIN_EVIL, ORIGIN_A, ORIGIN_B, None]
    statuses = []
    for origin in sequence:
        response = get(cached_proxy, "/account", origin)
        assert response.status == 200
        statuses.append(response.getheader("X-Cache-Status"))
        allowed = response.getheader("Access-Control-Allow-Origin")
        expected = origin if origin in (ORIGIN_A, ORIGIN_B) else None
        assert allowed == expected, f"Origin {origin} got ACAO {allowed} ({statuses[-1]})"
        credentials = response.getheader("Access-Control-Allow-Credentials")
        assert credentials == ("true" if expected else None)
        assert "Origin" in (response.getheader("Vary") or "")
    # The cache was really in the path: repeated requests were answered from it.
    assert "HIT" in statuses, statuses


def test_a_static_answer_is_shared_safely(cached_proxy: int) -> None:
    statuses = []
    for origin in [ORIGIN_A, ORIGIN_B, None, ORIGIN_EVIL, ORIGIN_A]:
        response = get(cached_proxy, "/public", origin)
        assert response.status == 200
        statuses.append(response.getheader("X-Cache-Status"))
        assert response.getheader("Access-Control-Allow-Origin") in (None, "*")
        assert response.getheader("Access-Control-Allow-Credentials") is None
    assert "HIT" in statuses, statuses
