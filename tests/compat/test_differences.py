"""Where crossgate deliberately differs from flask-cors 6.0.5 (docs/migration.md, "Differences").

Each test shows flask-cors's behaviour next to crossgate's on the same app, or, for defects that
flask-cors 6.0.5 has already fixed, that crossgate never had them.
"""

from __future__ import annotations

import gc
import logging
import re
from typing import Any

import flask_cors
import pytest
from flask import Blueprint, Flask, Response, request, session
from werkzeug.test import EnvironBuilder, run_wsgi_app

import crossgate.compat.flask_cors as compat
from crossgate.compat.flask_cors import FlaskCorsCompatWarning

from .differential import (
    ACRH,
    ACRM,
    IMPLEMENTATIONS,
    ORIGIN,
    OTHER,
    CorsModule,
    Req,
    assert_same,
    make_app,
    observe,
    preflight,
    with_cors,
)


def acao(observed: Any) -> tuple[str, ...] | None:
    return dict(observed[1]).get("Access-Control-Allow-Origin")


def test_regex_origins_are_anchored_at_both_ends() -> None:
    requests = [
        Req("subdomain", headers={"Origin": "https://a.example.com"}),
        Req("upper-case", headers={"Origin": "HTTPS://A.EXAMPLE.COM"}),
        Req("suffix", headers={"Origin": "https://a.example.com.evil.net"}),
    ]
    results = assert_same(
        with_cors(origins=r"https://.*\.example\.com"),
        requests,
        differs=["suffix"],
        warns="is matched against the whole origin",
    )
    assert acao(results["flask_cors"]["suffix"]) == ("https://a.example.com.evil.net",)
    assert acao(results["crossgate"]["suffix"]) is None


def test_regex_origins_see_only_origins_as_browsers_send_them() -> None:
    # The core matcher hands a regex only the serialized form (lower-case scheme and host, no
    # path, no default port); an upper-case Origin is then read in lower case, as the regexes
    # that ignore case read it. A case-sensitive regex written in upper case matches no
    # browser's origin, and now no hand-made one either.
    requests = [
        Req("browser", headers={"Origin": "https://a.example.com"}),
        Req("upper-case", headers={"Origin": "HTTPS://A.EXAMPLE.COM"}),
        Req("path", headers={"Origin": "https://a.example.com/x"}),
    ]
    with pytest.warns(FlaskCorsCompatWarning, match="also lets in 'https://a.example.com.mx'"):
        results = assert_same(
            with_cors(origins=[re.compile(r"HTTPS://A\.EXAMPLE\.COM|https://a\.example\.com.*")]),
            requests,
            differs=["upper-case", "path"],
        )
    assert acao(results["flask_cors"]["path"]) == ("https://a.example.com/x",)
    assert acao(results["crossgate"]["path"]) is None
    assert acao(results["crossgate"]["browser"]) == ("https://a.example.com",)
    assert acao(results["flask_cors"]["upper-case"]) == ("HTTPS://A.EXAMPLE.COM",)
    assert acao(results["crossgate"]["upper-case"]) is None


def test_regex_allow_headers_are_anchored_at_both_ends() -> None:
    requests = [
        preflight("exact", **{ACRM: "GET", ACRH: "X-Request-Id"}),
        preflight("longer", **{ACRM: "GET", ACRH: "X-Request-Id-Override"}),
    ]
    results = assert_same(
        with_cors(allow_headers=[r"X-Request-I[dD]"]), requests, differs=["longer"]
    )
    assert "Access-Control-Allow-Headers" in dict(results["flask_cors"]["longer"][1])
    assert "Access-Control-Allow-Headers" not in dict(results["crossgate"]["longer"][1])


def _paths_app() -> Flask:
    app = make_app()
    for path in ("/api", "/apiary", "/api/v2/users", "/api/v2x", "/files/<path:name>"):
        app.add_url_rule(path, path, lambda **_: "ok")
    return app


@pytest.mark.parametrize("requested", ["ET", "T", "GET, HEAD", "E, G"])
def test_methods_are_matched_exactly_not_as_substrings(requested: str) -> None:
    requests = [
        preflight("exact", **{ACRM: "PUT"}),
        preflight("substring", **{ACRM: requested}),
    ]
    results = assert_same(with_cors(), requests, differs=["substring"])
    assert "Access-Control-Allow-Methods" in dict(results["flask_cors"]["substring"][1])
    assert "Access-Control-Allow-Methods" not in dict(results["crossgate"]["substring"][1])


def test_path_is_matched_as_the_app_routes_it_decoded_once() -> None:
    # Werkzeug decodes %25 to "%" once; flask-cors decoded the path a second time.
    requests = [Req("double-encoded", path="/files/a%2541", headers={"Origin": ORIGIN})]
    resources = {"/files/aA": {"origins": [ORIGIN]}, "/files/a%41": {"origins": [OTHER]}}
    results = assert_same(
        with_cors(resources=resources, expose_headers="X-Which"),
        requests,
        differs=["double-encoded"],
        make=_paths_app,
    )
    assert acao(results["flask_cors"]["double-encoded"]) == (ORIGIN,)
    assert acao(results["crossgate"]["double-encoded"]) is None


def test_path_matching_is_case_sensitive_cve_2024_6866() -> None:
    requests = [Req("upper-case", path="/API/ITEMS", headers={"Origin": ORIGIN})]
    make = lambda: _paths_app()  # noqa: E731
    make_app_with_upper = make

    results = assert_same(with_cors(resources={r"/api/*": {}}), requests, make=make_app_with_upper)
    assert acao(results["crossgate"]["upper-case"]) is None


def test_plus_in_the_path_is_kept_cve_2024_6844() -> None:
    requests = [
        Req("plus", path="/files/a+b", headers={"Origin": ORIGIN}),
        Req("space", path="/files/a%20b", headers={"Origin": ORIGIN}),
    ]
    results = assert_same(with_cors(resources={"/files/a+b": {}}), requests, make=_paths_app)
    assert acao(results["crossgate"]["plus"]) == (ORIGIN,)
    assert acao(results["crossgate"]["space"]) is None


def test_more_specific_rules_win_cve_2024_6839() -> None:
    resources = {
        r"/api/.*": {"origins": [OTHER]},
        r"/api/v2/.*": {"origins": [ORIGIN]},
        "/api/v2/users": {},
    }
    requests = [
        Req("literal", path="/api/v2/users", headers={"Origin": OTHER}),
        Req("longer-regex", path="/api/v2/other", headers={"Origin": ORIGIN}),
    ]
    results = assert_same(with_cors(resources=resources), requests, make=_paths_app)
    assert acao(results["crossgate"]["literal"]) == (OTHER,)


def test_dot_dot_paths_do_not_match_other_rules_cve_2020_25032() -> None:
    requests = [Req("dot-dot", path="/public/../api/items", headers={"Origin": ORIGIN})]
    results = assert_same(with_cors(resources={r"/api/*": {}}), requests)
    assert acao(results["crossgate"]["dot-dot"]) is None


def test_private_network_is_true_only_when_allowed_cve_2024_6221() -> None:
    requests = [
        preflight("asks", **{ACRM: "GET", "Access-Control-Request-Private-Network": "true"})
    ]
    results = assert_same(with_cors(), requests)
    headers = dict(results["crossgate"]["asks"][1])
    assert headers["Access-Control-Allow-Private-Network"] == ("false",)


def _debug_app(cors: CorsModule, *, later_hook: bool = False, **options: Any) -> Flask:
    app = make_app()
    app.debug = True
    if later_hook:  # registered before CORS, it runs after CORS's hook, which then stays
        app.after_request(lambda response: response)

    @app.before_request
    def crash() -> None:
        if request.path.startswith("/crash"):
            raise RuntimeError("boom")

    cors.CORS(app, origins=[ORIGIN], **options)
    return app


@pytest.mark.parametrize("later_hook", [False, True], ids=["edge", "hook"])
def test_debug_mode_errors_get_cors_headers(later_hook: bool) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        _debug_app(flask_cors, later_hook=later_hook).test_client().get(
            "/error", headers={"Origin": ORIGIN}
        )
    app = _debug_app(compat, later_hook=later_hook)
    response = app.test_client().get("/error", headers={"Origin": ORIGIN})
    assert response.status_code == 500
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers.getlist("Vary") == []
    assert response.mimetype == "text/plain"
    # The error first: a browser's network preview shows the body's first line.
    assert response.get_data(as_text=True).startswith("RuntimeError: boom\n")


@pytest.mark.parametrize("value", ["https://a.example\r\nSet-Cookie: x=1", "https://a\x00.example"])
def test_an_origin_with_control_characters_is_never_echoed(value: str) -> None:
    """flask-cors echoes it with origins='*' and Werkzeug refuses the header: a 500."""
    app = make_app()
    compat.CORS(app)
    environ = EnvironBuilder(path="/").get_environ()
    environ["HTTP_ORIGIN"] = value
    body, status, headers = run_wsgi_app(app, environ)
    b"".join(body)
    assert status == "200 OK"
    assert "Access-Control-Allow-Origin" not in headers


def test_debug_mode_errors_get_the_headers_of_the_matching_rule() -> None:
    app = make_app()
    app.debug = True
    compat.CORS(
        app, resources={"/error": {"origins": [ORIGIN, OTHER], "expose_headers": "X-Error"}}
    )
    response = app.test_client().get("/error", headers={"Origin": OTHER})
    assert observe(response)[1] == (
        ("Access-Control-Allow-Origin", (OTHER,)),
        ("Access-Control-Expose-Headers", ("X-Error",)),
        ("Vary", ("Origin",)),
    )


@pytest.mark.parametrize(
    ("headers", "options", "testing"),
    [
        pytest.param({"Origin": OTHER}, {}, False, id="origin-not-allowed"),
        pytest.param({}, {}, False, id="no-origin"),
        pytest.param(
            {"Origin": ORIGIN, "Sec-Fetch-Mode": "navigate"}, {}, False, id="page-navigation"
        ),
        pytest.param(
            {"Origin": ORIGIN}, {"intercept_exceptions": False}, False, id="not-intercepting"
        ),
        pytest.param({"Origin": ORIGIN}, {}, True, id="testing"),
    ],
)
def test_debug_mode_errors_propagate_otherwise(
    headers: dict[str, str], options: dict[str, Any], testing: bool
) -> None:
    app = _debug_app(compat, **options)
    app.testing = testing
    with pytest.raises(RuntimeError, match="boom"):
        app.test_client().get("/error", headers=headers)


def test_debug_mode_error_log_line_is_escaped_cve_2024_1681(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = _debug_app(compat)
    app.logger.disabled = False
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/crash/a%0d%0aFORGED", headers={"Origin": ORIGIN})
    assert response.status_code == 500
    (record,) = [record for record in caplog.records if record.name == app.logger.name]
    assert "\r" not in record.getMessage()
    assert "\n" not in record.getMessage()
    assert "FORGED" in record.getMessage()


def _auth_app(cors: CorsModule, config: dict[str, Any] | None = None, **options: Any) -> Flask:
    """An app whose auth hook answers every request it sees with 401."""
    app = make_app()
    app.config.update(config or {})
    calls: list[str] = []
    app.config["calls"] = calls

    @app.before_request
    def require_login() -> Response:
        calls.append("auth")
        return Response("login required", status=401)

    @app.route("/decorated", methods=["PUT"])
    @cors.cross_origin(origins=[ORIGIN], max_age=5)
    def decorated() -> str:
        calls.append("view")
        return "decorated"

    @app.route("/own-options", methods=["GET", "OPTIONS"])
    def own_options() -> str:
        calls.append("view")
        return "own"

    cors.CORS(app, **options)
    return app


AUTH_REQUESTS = [
    preflight("preflight", **{ACRM: "PUT", ACRH: "Authorization"}),
    preflight("decorated-preflight", path="/decorated", **{ACRM: "PUT"}),
    preflight("own-options-preflight", path="/own-options", **{ACRM: "GET"}),
    Req("get", headers={"Origin": ORIGIN}),
    Req("options-not-preflight", "OPTIONS", headers={"Origin": ORIGIN}),
    preflight("missing-route", path="/missing", **{ACRM: "GET"}),
]


def _answers(app: Flask) -> dict[str, int]:
    return {request.name: request.send(app).status_code for request in AUTH_REQUESTS}


def test_preflights_reach_before_request_hooks_by_default() -> None:
    results = {
        name: {request.name: observe(request.send(_auth_app(cors))) for request in AUTH_REQUESTS}
        for name, cors in (("flask_cors", flask_cors), ("crossgate", compat))
    }
    assert results["crossgate"] == results["flask_cors"]
    assert {name: seen[0] for name, seen in results["crossgate"].items()} == dict.fromkeys(
        results["crossgate"], 401
    )


@pytest.mark.parametrize(
    ("config", "options", "covered"),
    [
        pytest.param(
            {},
            {"preflight_before_request": True},
            ["decorated-preflight", "own-options-preflight"],
            id="option",
        ),
        pytest.param(
            {"CORS_PREFLIGHT_BEFORE_REQUEST": True},
            {},
            ["decorated-preflight", "own-options-preflight"],
            id="config",
        ),
        pytest.param(
            {},
            {"resources": {"/api/*": {"preflight_before_request": True}, "/*": {}}},
            [],
            id="resource",
        ),
    ],
)
def test_preflight_before_request_answers_before_auth_hooks(
    config: dict[str, Any], options: dict[str, Any], covered: list[str]
) -> None:
    app = _auth_app(compat, config, origins=[ORIGIN], max_age=60, **options)
    statuses = _answers(app)
    # The opted-in preflights are answered; the auth hook answers everything else, as before.
    assert statuses == {
        **dict.fromkeys(statuses, 401),
        "preflight": 200,
        **dict.fromkeys(covered, 200),
    }
    assert "view" not in app.config["calls"]
    # An early answer is what flask-cors gives when no auth hook is in the way.
    unguarded = make_app()
    flask_cors.CORS(unguarded, origins=[ORIGIN], max_age=60)
    assert observe(AUTH_REQUESTS[0].send(app)) == observe(AUTH_REQUESTS[0].send(unguarded))


def test_preflight_before_request_answers_decorated_views_with_their_options() -> None:
    app = _auth_app(compat, preflight_before_request=True, resources=[])
    response = AUTH_REQUESTS[1].send(app)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Access-Control-Max-Age"] == "5"
    assert app.config["calls"] == []


def test_preflight_before_request_on_a_blueprint() -> None:
    app = make_app()
    app.before_request(lambda: Response("login required", status=401))
    api = Blueprint("api", __name__)
    api.add_url_rule("/things", "things", lambda: "things", methods=["PUT"])
    compat.CORS(api, origins=[ORIGIN], preflight_before_request=True)
    app.register_blueprint(api, url_prefix="/v1")
    assert preflight("p", path="/v1/things", **{ACRM: "PUT"}).send(app).status_code == 200
    assert preflight("p", **{ACRM: "PUT"}).send(app).status_code == 401


@pytest.mark.parametrize("with_extension", [False, True])
def test_preflight_before_request_on_a_decorator_needs_the_app_to_opt_in(
    with_extension: bool,
) -> None:
    app = make_app()

    @app.route("/decorated", methods=["PUT"])
    @compat.cross_origin(preflight_before_request=True)
    def decorated() -> str:
        return "decorated"

    if with_extension:
        compat.CORS(app, resources=[])
    with pytest.warns(FlaskCorsCompatWarning, match="needs the app to opt in"):
        preflight("p", path="/decorated", **{ACRM: "PUT"}).send(app)


def test_decorator_leaves_a_response_with_acao_alone() -> None:
    def setup(cors: CorsModule, app: Flask) -> None:
        @app.route("/decorated-own-acao")
        @cors.cross_origin()
        def decorated_own_acao() -> Response:
            return Response("own", headers={"Access-Control-Allow-Origin": "https://own.example"})

    requests = [Req("own", path="/decorated-own-acao", headers={"Origin": ORIGIN})]
    results = assert_same(setup, requests, differs=["own"])
    assert acao(results["flask_cors"]["own"]) == ("https://own.example", ORIGIN)
    assert acao(results["crossgate"]["own"]) == ("https://own.example",)


@pytest.mark.parametrize("later_hook", [False, True], ids=["edge", "hook"])
def test_a_response_with_an_empty_acao_is_left_alone(later_hook: bool) -> None:
    """flask-cors tests the first value (an empty one is falsy) and adds a second line; the
    layer, like the engine, leaves any response that has the header alone."""

    def setup(cors: CorsModule, app: Flask) -> None:
        if later_hook:  # registered before CORS, it keeps CORS a hook
            app.after_request(lambda response: response)

        @app.route("/empty-acao")
        def empty_acao() -> Response:
            return Response("own", headers={"Access-Control-Allow-Origin": ""})

        @app.route("/decorated-empty-acao")
        @cors.cross_origin()
        def decorated_empty_acao() -> Response:
            return Response("own", headers={"Access-Control-Allow-Origin": ""})

        cors.CORS(app, origins=[ORIGIN])

    requests = [
        Req(name, path=path, headers={"Origin": ORIGIN})
        for name, path in (("view", "/empty-acao"), ("decorated", "/decorated-empty-acao"))
    ]
    results = assert_same(setup, requests, differs=["view", "decorated"])
    for name in ("view", "decorated"):
        assert acao(results["flask_cors"][name]) == ("", ORIGIN)
        assert acao(results["crossgate"][name]) == ("",)


# flask-cors calls the coroutine function and drops the coroutine.
@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
# flask-cors calls the async view without awaiting it: the coroutine's "never awaited" warning
# fires when it is garbage-collected, so collect it here, where the warning is expected.
@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
def test_decorator_supports_async_views() -> None:
    def setup(cors: CorsModule, app: Flask) -> None:
        @app.route("/async")
        @cors.cross_origin(origins=[ORIGIN])
        async def async_view() -> str:
            return "async"

    requests = [
        Req("get", path="/async", headers={"Origin": ORIGIN}),
        preflight("preflight", path="/async", **{ACRM: "GET"}),
    ]
    results = assert_same(setup, requests, differs=["get"])
    assert results["flask_cors"]["get"][0] == 500
    assert results["crossgate"]["get"] == (200, (("Access-Control-Allow-Origin", (ORIGIN,)),))
    gc.collect()


def test_decorator_option_mistakes_are_found_at_decoration_time() -> None:
    flask_cors.cross_origin(origins="(unclosed")  # flask-cors: a 500 on every request instead
    with pytest.raises(ValueError, match="regular expression"):
        compat.cross_origin(origins="(unclosed")


def test_decorator_options_are_compiled_once_per_app(monkeypatch: pytest.MonkeyPatch) -> None:
    from crossgate.compat.flask_cors import _policy, decorator

    compiled: list[object] = []

    def counting(options: Any, notes: Any) -> Any:
        compiled.append(options)
        return _policy.compile_policy(options, notes)

    monkeypatch.setattr(decorator, "compile_policy", counting)
    app = make_app()

    @app.route("/decorated")
    @compat.cross_origin(origins=[ORIGIN])
    def decorated() -> str:
        return "decorated"

    client = app.test_client()
    for _ in range(5):
        assert (
            client.get("/decorated", headers={"Origin": ORIGIN}).headers[
                "Access-Control-Allow-Origin"
            ]
            == ORIGIN
        )
    assert len(compiled) == 1
    app.config["CORS_MAX_AGE"] = 5
    client.options("/decorated", headers={"Origin": ORIGIN, ACRM: "GET"})
    assert len(compiled) == 2


@pytest.mark.parametrize(
    "options",
    [
        {"resources": ["/api/*", 5]},
        {"resources": {"/api/*": None}},
        {"origins": [re.compile(b"https://a.example")]},
    ],
    ids=repr,
)
def test_configuration_mistakes_are_value_errors_at_start_up(options: dict[str, Any]) -> None:
    # flask-cors ignores the first (the rule never matches) and fails later or with a TypeError
    # on the others; crossgate names each mistake at start-up.
    with pytest.raises(ValueError, match=r"resources|bytes pattern"):
        compat.CORS(make_app(), **options)


def test_config_mistakes_seen_by_a_decorated_view_are_value_errors() -> None:
    app = make_app()
    app.config["CORS_ORIGINS"] = "(unclosed"
    app.testing = True

    @app.route("/decorated")
    @compat.cross_origin()
    def decorated() -> str:
        return "decorated"

    with pytest.raises(ValueError, match="regular expression"):
        app.test_client().get("/decorated", headers={"Origin": ORIGIN})


def test_preflight_before_request_respects_a_view_answering_options_itself() -> None:
    app = make_app()
    calls: list[str] = []

    @app.route("/manual", methods=["PUT", "OPTIONS"])
    @compat.cross_origin(automatic_options=False)
    def manual() -> str:
        calls.append("view")
        return "manual"

    compat.CORS(app, resources=[], preflight_before_request=True)
    response = preflight("p", path="/manual", **{ACRM: "PUT"}).send(app)
    assert response.get_data(as_text=True) == "manual"
    assert calls == ["view"]


def test_decorator_options_are_read_once_not_on_every_request() -> None:
    def setup(cors: CorsModule, app: Flask) -> None:
        allowed = [ORIGIN]
        app.config["allowed"] = allowed

        @app.route("/decorated")
        @cors.cross_origin(origins=allowed)
        def decorated() -> str:
            return "decorated"

    request = Req("other", path="/decorated", headers={"Origin": OTHER})
    seen = {}
    for name, cors in IMPLEMENTATIONS.items():
        app = make_app()
        setup(cors, app)
        request.send(app)
        app.config["allowed"].append(OTHER)  # flask-cors re-parses its options per request
        seen[name] = acao(observe(request.send(app)))
    assert seen == {"flask_cors": (OTHER,), "crossgate": None}


def test_cors_lines_come_after_the_session_cookie() -> None:
    def setup(cors: CorsModule, app: Flask) -> None:
        app.secret_key = "secret"

        @app.route("/login")
        def login() -> str:
            session["user"] = "someone"
            return "logged in"

        cors.CORS(app, origins=[ORIGIN])

    names = {}
    sent = {}
    for name, cors in IMPLEMENTATIONS.items():
        app = make_app()
        setup(cors, app)
        response = app.test_client().get("/login", headers={"Origin": ORIGIN})
        names[name] = [header for header, _ in response.headers]
        sent[name] = sorted(
            (header, value) for header, value in response.headers if header != "Set-Cookie"
        )
    assert names["flask_cors"].index("Access-Control-Allow-Origin") < names["flask_cors"].index(
        "Set-Cookie"
    )
    assert names["crossgate"][-1] == "Access-Control-Allow-Origin"
    # The same lines, in another order.
    assert sorted(names["crossgate"]) == sorted(names["flask_cors"])
    assert sent["crossgate"] == sent["flask_cors"]
