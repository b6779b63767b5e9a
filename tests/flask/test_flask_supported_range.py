"""The https redirect on every supported Flask and Werkzeug: Flask 3.0 has no TRUSTED_HOSTS key
(its request class carries the trusted hosts), and Werkzeug checks a Host's characters only
from 3.1.7 on."""

from __future__ import annotations

import pytest
from flask import Flask, Request

from crossgate.flask import Headers


@pytest.fixture
def app() -> Flask:
    app = Flask("range")
    app.add_url_rule("/page", "page", lambda: "page")
    return app


def test_the_redirect_works_without_a_trusted_hosts_key(app: Flask) -> None:
    app.config.pop("TRUSTED_HOSTS", None)  # as in Flask 3.0, where the key does not exist
    Headers(app, https_redirect=True)
    response = app.test_client().get("/page?q=1", base_url="http://api.example.com")
    assert response.status_code == 308
    assert response.headers["Location"] == "https://api.example.com/page?q=1"


def test_the_request_classs_trusted_hosts_are_honoured(app: Flask) -> None:
    class TrustedRequest(Request):
        trusted_hosts = ["api.example.com"]  # noqa: RUF012 - Werkzeug's own attribute

    app.request_class = TrustedRequest  # Flask 3.1's TRUSTED_HOSTS default, None, defers to it
    Headers(app, https_redirect=True)
    client = app.test_client()
    trusted = client.get("/page", base_url="http://api.example.com")
    assert trusted.headers["Location"] == "https://api.example.com/page"
    # An untrusted Host is never named in a redirect: the app answers it as it would.
    untrusted = client.get("/page", base_url="http://evil.example")
    assert untrusted.status_code != 308
    assert "Location" not in untrusted.headers


@pytest.mark.parametrize("host", ["bad host", "evil.example/x", "a@b.example"])
def test_a_host_with_characters_no_host_has_is_never_redirected_to(app: Flask, host: str) -> None:
    Headers(app, https_redirect=True)
    response = app.test_client().get("/page", headers={"Host": host})
    assert response.status_code != 308
    assert "Location" not in response.headers
