"""Decorator and extension together, blueprints, several ``CORS()`` calls: as flask-cors does."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort

from .differential import (
    ACRH,
    ACRM,
    ORIGIN,
    OTHER,
    REQUESTS,
    CorsModule,
    Req,
    assert_same,
    preflight,
)

DECORATED = [
    Req("decorated-allowed", path="/decorated", headers={"Origin": ORIGIN}),
    Req("decorated-other", path="/decorated", headers={"Origin": OTHER}),
    Req("decorated-no-origin", path="/decorated"),
    preflight("decorated-preflight", path="/decorated", **{ACRM: "GET", ACRH: "X-Custom"}),
    preflight("decorated-preflight-other", OTHER, path="/decorated", **{ACRM: "GET"}),
    Req("decorated-abort", path="/decorated-abort", headers={"Origin": ORIGIN}),
    Req("decorated-error", path="/decorated-error", headers={"Origin": ORIGIN}),
    Req("decorated-own-acao", path="/decorated-own-vary", headers={"Origin": ORIGIN}),
    Req("stacked", path="/stacked", headers={"Origin": OTHER}),
]


def _decorated_routes(cors: CorsModule, app: Flask) -> None:
    @app.route("/decorated")
    @cors.cross_origin(origins=[ORIGIN], max_age=5)
    def decorated() -> str:
        return "decorated"

    @app.route("/decorated-abort")
    @cors.cross_origin(origins=[ORIGIN])
    def decorated_abort() -> str:
        abort(418)

    @app.route("/decorated-error")
    @cors.cross_origin(origins=[ORIGIN])
    def decorated_error() -> str:
        raise RuntimeError("boom")

    @app.route("/decorated-own-vary")
    @cors.cross_origin(origins=[ORIGIN, OTHER])
    def decorated_own_vary() -> Response:
        return Response("own", headers={"Vary": "Cookie"})

    @app.route("/stacked")
    @cors.cross_origin(origins=[OTHER])
    @cors.cross_origin(origins=[ORIGIN])
    def stacked() -> str:
        return "stacked"


def test_decorator_alone() -> None:
    assert_same(_decorated_routes, [*REQUESTS, *DECORATED])


def test_decorator_wins_on_its_route_over_the_extension() -> None:
    def setup(cors: CorsModule, app: Flask) -> None:
        _decorated_routes(cors, app)
        cors.CORS(app, origins=[ORIGIN, OTHER], expose_headers="X-Extension")

    results = assert_same(setup, [*REQUESTS, *DECORATED])
    # The decorator refused OTHER; the extension, which allows it, does not step in.
    _, headers = results["crossgate"]["decorated-other"]
    assert "Access-Control-Allow-Origin" not in dict(headers)
    # A decorated view that raises gets the extension's headers on its error response.
    _, headers = results["crossgate"]["decorated-error"]
    assert dict(headers)["Access-Control-Expose-Headers"] == ("X-Extension",)


def test_extension_leaves_a_response_with_acao_alone() -> None:
    results = assert_same(lambda cors, app: cors.CORS(app, expose_headers="X-Extension"))
    _, headers = results["crossgate"]["view-sets-acao"]
    assert dict(headers) == {"Access-Control-Allow-Origin": ("https://own.example",)}


def test_two_cors_calls_act_as_a_union() -> None:
    def setup(cors: CorsModule, app: Flask) -> None:
        cors.CORS(app, resources={r"/api/*": {"origins": [ORIGIN]}}, max_age=1)
        cors.CORS(app, resources={r"/public": {}, r"/api/items": {"origins": [OTHER]}}, max_age=2)

    assert_same(setup, [*REQUESTS, Req("api-other", headers={"Origin": OTHER})])


def test_two_cors_calls_on_error_responses() -> None:
    def setup(cors: CorsModule, app: Flask) -> None:
        cors.CORS(app, origins=[ORIGIN], expose_headers="X-First")
        cors.CORS(app, origins=[ORIGIN, OTHER], expose_headers="X-Second")

    assert_same(setup, [*REQUESTS, Req("error-other", path="/error", headers={"Origin": OTHER})])


def _blueprint_app() -> Flask:
    app = Flask("blueprints")
    app.logger.disabled = True
    return app


BLUEPRINT_REQUESTS = [
    Req("bp-get", path="/bp/items", headers={"Origin": ORIGIN}),
    Req("bp-other", path="/bp/items", headers={"Origin": OTHER}),
    preflight("bp-preflight", path="/bp/items", **{ACRM: "GET"}),
    Req("bp-abort", path="/bp/abort", headers={"Origin": ORIGIN}),
    Req("bp-error", path="/bp/error", headers={"Origin": ORIGIN}),
    Req("bp-not-found", path="/bp/missing", headers={"Origin": ORIGIN}),
    Req("nested", path="/bp/inner/thing", headers={"Origin": ORIGIN}),
    Req("renamed", path="/again/items", headers={"Origin": ORIGIN}),
    Req("app-route", path="/plain", headers={"Origin": ORIGIN}),
]


def _blueprints(cors: CorsModule, app: Flask, *, with_app_cors: bool) -> None:
    bp = Blueprint("bp", __name__)
    inner = Blueprint("inner", __name__)

    @bp.route("/items")
    def items() -> str:
        return "items"

    @bp.route("/abort")
    def aborts() -> str:
        abort(409)

    @bp.route("/error")
    def error() -> str:
        raise RuntimeError("boom")

    @inner.route("/thing")
    def thing() -> str:
        return "thing"

    @app.route("/plain")
    def plain() -> str:
        return "plain"

    cors.CORS(bp, origins=[ORIGIN], max_age=7)
    cors.CORS(inner, origins=[ORIGIN, OTHER], expose_headers="X-Inner")
    bp.register_blueprint(inner, url_prefix="/inner")
    app.register_blueprint(bp, url_prefix="/bp")
    app.register_blueprint(bp, url_prefix="/again", name="again")
    if with_app_cors:
        cors.CORS(app, origins=[OTHER], expose_headers="X-App")


def test_blueprint_cors() -> None:
    assert_same(
        lambda cors, app: _blueprints(cors, app, with_app_cors=False),
        BLUEPRINT_REQUESTS,
        make=_blueprint_app,
    )


def test_blueprint_and_app_cors() -> None:
    assert_same(
        lambda cors, app: _blueprints(cors, app, with_app_cors=True),
        BLUEPRINT_REQUESTS,
        make=_blueprint_app,
    )


def test_blueprint_config_is_not_read() -> None:
    def setup(cors: CorsModule, app: Flask) -> None:
        app.config["CORS_ORIGINS"] = [OTHER]
        _blueprints(cors, app, with_app_cors=False)

    assert_same(setup, BLUEPRINT_REQUESTS, make=_blueprint_app)


def test_user_after_request_hooks_see_the_same_headers() -> None:
    def setup(cors: CorsModule, app: Flask) -> None:
        @app.after_request
        def registered_before(response: Response) -> Response:
            response.headers["X-Saw-Acao"] = str("Access-Control-Allow-Origin" in response.headers)
            return response

        cors.CORS(app, origins=[ORIGIN])

        @app.after_request
        def registered_after(response: Response) -> Response:
            response.headers["X-Saw-Acao-Late"] = str(
                "Access-Control-Allow-Origin" in response.headers
            )
            return response

    from .differential import IMPLEMENTATIONS, build, make_app

    seen = []
    for cors in IMPLEMENTATIONS.values():
        app = build(cors, setup, app=make_app())
        client = app.test_client()
        seen.append(
            [
                (response.headers["X-Saw-Acao"], response.headers["X-Saw-Acao-Late"])
                for response in (
                    client.get("/api/items", headers={"Origin": ORIGIN}),
                    client.get("/abort", headers={"Origin": ORIGIN}),
                )
            ]
        )
    assert seen[0] == seen[1] == [("True", "False"), ("True", "True")]
