"""crossgate.flask.CrossOriginProtection on real Flask apps: what runs, what is refused, and
what a refused page and the log get."""

from __future__ import annotations

import logging
from urllib.parse import unquote

import pytest
from flask import Blueprint, Flask, request
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.test import create_environ, run_wsgi_app

from crossgate.errors import ConfigError
from crossgate.flask import CORS, CrossOriginProtection, Headers, cross_origin

TRUSTED = "https://app.example.com"
READER = "https://reader.example"
EVIL = "https://evil.example"
CROSS = {"Origin": EVIL, "Sec-Fetch-Site": "cross-site"}


def bank(*, cors: bool = True, **protection: object) -> tuple[Flask, list[str]]:
    """An app whose views record that they ran, and whose before_request hook records too."""
    app = Flask("crossgate_protection")
    ran: list[str] = []

    @app.before_request
    def hook() -> None:
        ran.append("hook")

    hooks = Blueprint("hooks", __name__, url_prefix="/hooks")
    inner = Blueprint("inner", __name__, url_prefix="/inner")

    @hooks.post("/payment")
    def payment() -> str:
        ran.append("payment")
        return "payment"

    @inner.post("/deep")
    def deep() -> str:
        ran.append("deep")
        return "deep"

    hooks.register_blueprint(inner)
    app.register_blueprint(hooks)

    @app.post("/transfer")
    def transfer() -> str:
        ran.append("transfer")
        return "transfer"

    @app.post("/<path:rest>")
    def anything(rest: str) -> str:
        ran.append("anything")
        return "anything"

    @app.route("/ws")
    def ws() -> str:
        ran.append("ws")
        return "ws"

    @app.put("/public")
    @cross_origin(origins=[READER], supports_credentials=False)
    def public() -> str:
        ran.append("public")
        return "public"

    if cors:
        CORS(app, origins=[TRUSTED], supports_credentials=True)
    CrossOriginProtection(app, **protection)  # type: ignore[arg-type]
    return app, ran


def test_a_cross_site_post_is_refused_before_hooks_and_view():
    app, ran = bank()
    response = app.test_client().post("/transfer", headers=CROSS, data={"amount": "100"})
    assert response.status_code == 403
    assert response.data == b"Cross-origin request refused.\n"
    assert response.content_type == "text/plain; charset=utf-8"
    assert ran == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"},
        {"Sec-Fetch-Site": "none"},
        {},
        {"Origin": "http://localhost"},
        {"Origin": TRUSTED, "Sec-Fetch-Site": "cross-site"},
    ],
)
def test_own_pages_clients_and_credentialed_origins_write(headers: dict[str, str]):
    app, ran = bank()
    response = app.test_client().post("/transfer", headers=headers)
    assert response.status_code == 200
    assert ran == ["hook", "transfer"]


def test_safe_methods_pass_but_a_websocket_handshake_is_a_write():
    app, ran = bank()
    client = app.test_client()
    assert client.get("/ws", headers=CROSS).status_code == 200
    upgrade = {**CROSS, "Upgrade": "websocket", "Connection": "Upgrade"}
    assert client.get("/ws", headers=upgrade).status_code == 403
    assert ran == ["hook", "ws"]


def test_trusted_origins_are_trusted_everywhere():
    app, _ = bank(cors=False, trusted_origins=["https://*.partner.example"])
    client = app.test_client()
    headers = {"Origin": "https://a.partner.example", "Sec-Fetch-Site": "cross-site"}
    assert client.post("/transfer", headers=headers).status_code == 200
    assert client.post("/transfer", headers=CROSS).status_code == 403


def test_a_refusal_carries_the_cors_headers_the_route_gives_that_origin():
    # READER may read /public (no credentials), so it is not trusted to write, but its page
    # can read why: the 403 carries the CORS headers and Vary.
    app, ran = bank()
    response = app.test_client().put(
        "/public", headers={"Origin": READER, "Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 403
    assert response.headers["Access-Control-Allow-Origin"] == READER
    assert "Origin" in response.headers["Vary"]
    assert ran == []
    evil = app.test_client().put("/public", headers=CROSS)
    assert "Access-Control-Allow-Origin" not in evil.headers


def test_a_refusal_gets_the_header_policy_too():
    app, _ = bank()
    Headers(app, headers={"X-Frame-Options": "DENY"})
    response = app.test_client().post("/transfer", headers=CROSS)
    assert response.status_code == 403
    assert response.headers["X-Frame-Options"] == "DENY"


def test_debug_mode_explains_the_refusal_in_the_body():
    app, _ = bank()
    app.debug = True
    body = app.test_client().post("/transfer", headers=CROSS).get_data(as_text=True)
    assert body.startswith("[protection-cross-site] cross-origin write refused: ")
    assert "add 'https://evil.example' to trusted_origins" in body


def test_each_refusal_is_logged_once_and_rate_limited(caplog: pytest.LogCaptureFixture):
    app, _ = bank()
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="crossgate"):
        for _ in range(25):
            client.post("/transfer", headers=CROSS)
    lines = [r.getMessage() for r in caplog.records if r.name == "crossgate"]
    assert len(lines) == 20
    assert lines[0].startswith("'POST' '/transfer' [protection-cross-site]")


@pytest.mark.parametrize(
    ("exempt", "path", "view"),
    [
        (["hooks.payment"], "/hooks/payment", "payment"),
        (["hooks"], "/hooks/payment", "payment"),
        (["hooks"], "/hooks/inner/deep", "deep"),
        (["hooks.inner"], "/hooks/inner/deep", "deep"),
        (["hooks.inner.deep"], "/hooks/inner/deep", "deep"),
    ],
)
def test_exempt_endpoints_and_blueprints_accept_writes_from_anywhere(
    exempt: list[str], path: str, view: str
):
    app, ran = bank(exempt=exempt)
    response = app.test_client().post(path, headers=CROSS)
    assert response.status_code == 200
    assert ran == ["hook", view]


@pytest.mark.parametrize(
    "path",
    [
        "/hooks/payment/../../transfer",
        "/hooks/payment/x",
        "/hooks/payment/",
        "/hooks/payment%2F..%2F..%2Ftransfer",
        "/hooks/payment%2fx",
        "/hooks%2Fpayment",
        "/hooks/payment/.",
        "/hooks/./payment",
        "//hooks/payment",
        "/HOOKS/payment",
        "/hooks/payment;x",
        "/hooks/payment%00",
        "/hooks/paymen%74/x",
        "/transfer",
    ],
)
def test_an_exemption_is_not_widened_by_path_spelling(path: str):
    app, ran = bank(exempt=["hooks.payment"])
    response = app.test_client().post(path, headers=CROSS)
    assert ran in ([], ["hook", "payment"])
    if response.status_code != 403:
        # Only the exempt view may run; a redirect (no view) may be answered too.
        assert ran == ["hook", "payment"] or response.status_code in (308, 404)


SEGMENTS = ["hooks", "payment", "inner", "deep", "transfer", "..", ".", "", "x", "%2F", "%2e%2e"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=6))
def test_only_the_view_an_exemption_names_runs_for_any_path(segments: list[str]):
    path = "/" + "/".join(segments)
    app, ran = bank(exempt=["hooks.payment"])
    twin, twin_ran = bank()  # the same app: which view would Flask run for this path?
    status = post_raw(app, path, CROSS)
    post_raw(twin, path, {"Sec-Fetch-Site": "same-origin"})
    dispatched = [view for view in twin_ran if view != "hook"]
    if dispatched == ["payment"]:
        assert status == "200 OK"
        assert ran == ["hook", "payment"]
    else:
        assert ran == []
        assert status == "403 FORBIDDEN"


def post_raw(app: Flask, path: str, headers: dict[str, str]) -> str:
    """POST with *path* handed over as a WSGI server does: percent-decoded, not normalized."""
    environ = create_environ("/", method="POST", headers=headers)
    environ["PATH_INFO"] = unquote(path, encoding="latin-1")
    _, status, _ = run_wsgi_app(app, environ, buffered=True)
    return status


def test_unknown_exempt_names_fail_at_the_first_request():
    app, _ = bank(exempt=["hooks.paymnet", "/hooks/payment"])
    with pytest.raises(ConfigError) as raised:
        app.test_client().get("/ws")
    message = str(raised.value)
    assert "exempt='hooks.paymnet': is not an endpoint or a blueprint of this app" in message
    assert "exempt='/hooks/payment'" in message
    assert "paths are never matched" in message


def test_exempt_must_be_a_list_of_names():
    with pytest.raises(ConfigError, match="is not a list of names"):
        CrossOriginProtection(exempt="hooks")
    with pytest.raises(ConfigError, match="is not an endpoint or a blueprint"):
        CrossOriginProtection(exempt=[3])  # type: ignore[list-item]


def test_init_app_protects_several_apps_once_each():
    protection = CrossOriginProtection(trusted_origins=[TRUSTED])
    apps = [Flask("one"), Flask("two")]
    for app in apps:

        @app.post("/w")
        def write() -> str:
            return request.method

        protection.init_app(app)
        assert app.test_client().post("/w", headers=CROSS).status_code == 403
        assert app.test_client().post("/w").status_code == 200
    with pytest.raises(RuntimeError, match="already set up"):
        protection.init_app(apps[0])


def test_protection_set_up_before_cors_still_runs_inside_the_edge():
    app = Flask("order")

    @app.post("/w")
    def write() -> str:
        return "w"

    CrossOriginProtection(app)
    CORS(app, origins=[READER])
    response = app.test_client().post(
        "/w", headers={"Origin": READER, "Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 403
    assert response.headers["Access-Control-Allow-Origin"] == READER


def test_a_preflight_is_still_answered_by_the_edge():
    app, ran = bank()
    response = app.test_client().options(
        "/transfer", headers={"Origin": TRUSTED, "Access-Control-Request-Method": "POST"}
    )
    assert response.status_code == 204
    assert ran == []


def test_where_refused_requests_went_is_remembered_per_url():
    app, ran = bank(exempt=["hooks.payment"])
    client = app.test_client()
    for _ in range(3):
        assert client.post("/transfer", headers=CROSS).status_code == 403
    assert client.post("/hooks/payment", headers=CROSS).status_code == 200
    layer = app.extensions["crossgate.protection"]
    assert len(layer.routes) == 2
    assert ran == ["hook", "payment"]


def test_an_app_without_exemptions_or_credentials_never_routes_a_refusal():
    app = Flask("plain")

    @app.post("/w")
    def write() -> str:
        return "w"

    CrossOriginProtection(app, trusted_origins=[TRUSTED])
    client = app.test_client()
    assert client.post("/w", headers=CROSS).status_code == 403
    assert (
        client.post("/w", headers={"Origin": TRUSTED, "Sec-Fetch-Site": "cross-site"}).status_code
        == 200
    )
    assert len(app.extensions["crossgate.protection"].routes) == 0


def test_very_long_urls_are_routed_but_not_remembered():
    app, ran = bank(exempt=["hooks.payment"])
    long_path = "/x" * 1500
    assert post_raw(app, long_path, CROSS) == "403 FORBIDDEN"
    assert len(app.extensions["crossgate.protection"].routes) == 0
    assert ran == []
