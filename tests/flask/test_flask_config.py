"""Configuration: required origins, validation at start-up, config keys, and precedence."""

from __future__ import annotations

import re

import pytest
from flask import Blueprint, Flask

from crossgate.flask import CORS, ConfigError, cross_origin

ORIGIN = "https://app.example.com"
OTHER = "https://other.example.com"


def _add_routes(app: Flask) -> None:
    @app.route("/items", methods=["GET", "PUT"])
    def items() -> str:
        return "items"

    @app.put("/api/things")
    def things() -> str:
        return "things"


def _max_age(app: Flask, path: str, origin: str = ORIGIN) -> str | None:
    response = app.test_client().options(
        path, headers={"Origin": origin, "Access-Control-Request-Method": "PUT"}
    )
    assert response.status_code == 204
    return response.headers.get("Access-Control-Max-Age")


def test_no_origins_anywhere_says_how_to_choose(app: Flask) -> None:
    with pytest.raises(ConfigError) as raised:
        CORS(app)
    message = str(raised.value)
    assert "no origins were given" in message
    assert "origins=['https://app.example.com']" in message  # how to choose
    assert "origins='*'" in message  # and how to allow every site


def test_empty_origins_means_no_app_wide_policy(app: Flask) -> None:
    CORS(app, origins=[])
    _add_routes(app)
    client = app.test_client()
    response = client.get("/items", headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Vary" not in response.headers
    answer = client.options(
        "/items", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
    )
    assert answer.status_code == 200  # Flask's own OPTIONS answer, not crossgate's
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_empty_origins_still_allows_blueprints_and_decorators(app: Flask) -> None:
    CORS(app, origins=[], supports_credentials=True)
    api = Blueprint("api", __name__)
    CORS(api, origins=[ORIGIN])

    @api.get("/data")
    def data() -> str:
        return "data"

    @app.get("/open")
    @cross_origin(origins=[OTHER])
    def open_view() -> str:
        return "open"

    app.register_blueprint(api, url_prefix="/api")
    client = app.test_client()
    response = client.get("/api/data", headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Access-Control-Allow-Credentials"] == "true"  # inherited
    assert (
        client.get("/open", headers={"Origin": OTHER}).headers["Access-Control-Allow-Origin"]
        == OTHER
    )


def test_a_level_above_an_empty_app_level_must_name_its_origins(app: Flask) -> None:
    CORS(app, origins=[])

    @app.get("/x")
    @cross_origin(max_age=5)
    def view() -> str:
        return "x"

    with pytest.raises(ConfigError, match=r"origins \(in decorator on 'view'\)"):
        app.test_client().get("/")  # the edge resolves every level at the first request


def test_every_invalid_value_is_reported_at_once(app: Flask) -> None:
    with pytest.raises(ConfigError) as raised:
        CORS(app, origins=["localhost:3000"], max_age=-1, methods=["TRACE"], origin="x")  # type: ignore[call-arg]
    error = raised.value
    assert {problem.option.split()[0] for problem in error.problems} == {
        "origins",
        "max_age",
        "methods",
        "origin",
    }
    assert "'http://localhost:3000'" in str(error)  # the fix, not just the complaint
    assert "did you mean 'origins'?" in str(error)


def test_the_factory_constructor_validates_before_any_app(app: Flask) -> None:
    with pytest.raises(ConfigError, match="max_age"):
        CORS(origins=[ORIGIN], max_age="two hours")  # type: ignore[arg-type]
    cors = CORS(origins=[ORIGIN])
    with pytest.raises(ConfigError, match="supports_credentials"):
        cors.init_app(app, supports_credentials="yes")  # type: ignore[arg-type]
    assert "Access-Control-Allow-Origin" not in app.test_client().get("/").headers


def test_config_keys_are_read_at_init_app(app: Flask) -> None:
    app.config.update(CORS_ORIGINS=[ORIGIN], CORS_MAX_AGE=600, CORS_METHODS=None)
    CORS(app)
    app.config["CORS_ORIGINS"] = [OTHER]  # too late: read once, at init_app
    _add_routes(app)
    assert _max_age(app, "/items") == "600"
    other = app.test_client().get("/items", headers={"Origin": OTHER})
    assert "Access-Control-Allow-Origin" not in other.headers


@pytest.mark.parametrize(
    ("key", "fix"),
    [
        ("CORS_HEADERS", "set CORS_ALLOW_HEADERS"),
        ("CORS_SUPORTS_CREDENTIALS", "did you mean 'CORS_SUPPORTS_CREDENTIALS'?"),
        ("CORS_SEND_WILDCARD", "crossgate.compat.flask_cors"),
        ("CORS_ALWAYS_SEND", "crossgate.compat.flask_cors"),
        ("CORS_XYZZY_QUUX_FROB", "use one of CORS_ORIGINS"),
    ],
)
def test_unknown_and_flask_cors_only_config_keys_are_errors(app: Flask, key: str, fix: str) -> None:
    app.config[key] = "Content-Type"
    with pytest.raises(ConfigError) as raised:
        CORS(app, origins=[ORIGIN])
    assert key in str(raised.value)
    assert fix in str(raised.value)


def test_config_and_argument_problems_come_in_one_error(app: Flask) -> None:
    app.config.update(CORS_HEADERS="Content-Type", CORS_MAX_AGE=-5)
    with pytest.raises(ConfigError) as raised:
        CORS(app, origins=["ftp//nope"])
    assert len(raised.value.problems) == 3


def test_config_is_the_base_even_without_cors_app(app: Flask) -> None:
    app.config.update(CORS_ORIGINS=[ORIGIN], CORS_SUPPORTS_CREDENTIALS=True, CORS_RESOURCES="/x")

    @app.get("/view")
    @cross_origin(max_age=60)
    def view() -> str:
        return "view"

    client = app.test_client()
    client.get("/")  # the edge exists from the first request on
    response = client.get("/view", headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Access-Control-Allow-Origin" not in client.get("/x", headers={"Origin": ORIGIN}).headers


def test_config_problems_surface_at_the_first_request_without_cors_app(app: Flask) -> None:
    app.config.update(CORS_HEADERS="Content-Type", TESTING=True)

    @app.get("/view")
    @cross_origin(origins=[ORIGIN])
    def view() -> str:
        return "view"

    with pytest.raises(ConfigError, match="CORS_HEADERS"):
        app.test_client().get("/view")


def test_init_app_twice_is_an_error(app: Flask) -> None:
    cors = CORS(origins=[ORIGIN])
    cors.init_app(app)
    with pytest.raises(RuntimeError, match="already set up"):
        cors.init_app(app)
    with pytest.raises(RuntimeError, match="already set up"):
        CORS(app, origins=[OTHER])


def test_a_failed_init_app_can_be_retried(app: Flask) -> None:
    with pytest.raises(ConfigError):
        CORS(app, origins=["nope"])
    CORS(app, origins=[ORIGIN])
    _add_routes(app)
    assert (
        app.test_client()
        .get("/items", headers={"Origin": ORIGIN})
        .headers["Access-Control-Allow-Origin"]
        == ORIGIN
    )


def test_the_application_factory() -> None:
    cors = CORS(origins=[ORIGIN], max_age=60)

    def create_app(max_age: int) -> Flask:
        app = Flask("factory")
        _add_routes(app)
        cors.init_app(app, max_age=max_age)
        return app

    first, second = create_app(10), create_app(20)
    assert _max_age(first, "/items") == "10"
    assert _max_age(second, "/items") == "20"


def test_resources_belong_to_the_app_level() -> None:
    with pytest.raises(ConfigError, match="app-level option"):
        CORS(Blueprint("bp", __name__), origins=[ORIGIN], resources="/api/*")
    with pytest.raises(ConfigError, match="app-level option"):
        cross_origin(resources="/api/*")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("resources", "complaint"),
    [
        ({"api/*": {}}, "does not start with '/'"),
        ({"/api/*": ["origins"]}, "are not a dict"),
        ({"/api/*": {"resources": "/x"}}, "cannot nest"),
        ({"/api/*": {"max_age": -1}}, r"max_age \(in resource '/api/\*'\)"),
        (
            {"/api/*": {"origins": ["*"], "supports_credentials": True}},
            "'\\*' with supports_credentials",
        ),
        (42, "is not a path"),
    ],
)
def test_invalid_resources_are_config_errors(app: Flask, resources: object, complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        CORS(app, origins=[ORIGIN], resources=resources)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "resources",
    ["/api/*", ["/api/*"], re.compile(r"/api/.*"), {"/api/*": {}}],
)
def test_resources_forms_limit_cors_to_their_paths(app: Flask, resources: object) -> None:
    CORS(app, origins=[ORIGIN], resources=resources)  # type: ignore[arg-type]
    _add_routes(app)
    client = app.test_client()
    covered = client.put("/api/things", headers={"Origin": ORIGIN})
    assert covered.headers["Access-Control-Allow-Origin"] == ORIGIN
    outside = client.get("/items", headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in outside.headers
    assert "Vary" not in outside.headers


def test_resources_work_without_app_wide_origins(app: Flask) -> None:
    CORS(app, origins=[], resources={"/api/*": {"origins": [OTHER]}})
    _add_routes(app)
    assert _max_age(app, "/api/things", OTHER) == "7200"


def test_resources_match_non_ascii_paths_as_flask_routes_them(app: Flask) -> None:
    CORS(app, origins=[ORIGIN], resources={"/caf\u00e9/*": {}})

    @app.get("/caf\u00e9/menu")
    def menu() -> str:
        return "menu"

    client = app.test_client()
    for path in ("/caf%C3%A9/menu", "/caf\u00e9/menu", "/caf%C3%A9/missing"):
        assert (
            client.get(path, headers={"Origin": ORIGIN}).headers["Access-Control-Allow-Origin"]
            == ORIGIN
        )
    assert (
        "Access-Control-Allow-Origin"
        not in client.get("/cafe/menu", headers={"Origin": ORIGIN}).headers
    )


def test_resources_covering_every_path_of_a_blueprint_give_it_origins(app: Flask) -> None:
    CORS(app, origins=[], resources={"/api/*": {"origins": [ORIGIN]}})
    api = Blueprint("api", __name__)
    CORS(api, supports_credentials=True)  # no origins of its own: every path is under /api/*

    @api.get("/items/<int:id>")
    def item(id: int) -> str:
        return str(id)

    app.register_blueprint(api, url_prefix="/api")
    for path in ("/api/items/1", "/api/missing"):
        response = app.test_client().get(path, headers={"Origin": ORIGIN})
        assert response.headers["Access-Control-Allow-Credentials"] == "true"


# Precedence, one step at a time: each level overrides what it names and inherits the rest.


def test_constructor_overrides_config(app: Flask) -> None:
    app.config.update(CORS_MAX_AGE=100, CORS_SUPPORTS_CREDENTIALS=True)
    CORS(app, origins=[ORIGIN], max_age=200)
    _add_routes(app)
    response = app.test_client().get("/items", headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Credentials"] == "true"  # inherited
    assert _max_age(app, "/items") == "200"


def test_init_app_overrides_constructor(app: Flask) -> None:
    cors = CORS(origins=[ORIGIN], max_age=200, supports_credentials=True)
    cors.init_app(app, max_age=300)
    _add_routes(app)
    response = app.test_client().get("/items", headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Credentials"] == "true"  # inherited
    assert _max_age(app, "/items") == "300"


def test_resource_overrides_init_app(app: Flask) -> None:
    cors = CORS(origins=[ORIGIN], supports_credentials=True)
    cors.init_app(app, max_age=300, resources={"/api/*": {"max_age": 400}, "/items": {}})
    _add_routes(app)
    response = app.test_client().get("/api/things", headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Credentials"] == "true"  # inherited
    assert _max_age(app, "/api/things") == "400"
    assert _max_age(app, "/items") == "300"


def test_blueprint_overrides_resource(app: Flask) -> None:
    CORS(
        app, origins=[ORIGIN], resources={"/api/*": {"max_age": 400, "expose_headers": ["X-Total"]}}
    )
    api = Blueprint("api", __name__)
    CORS(api, max_age=500)

    @api.put("/list")
    def listing() -> str:
        return "list"

    app.register_blueprint(api, url_prefix="/api")
    assert _max_age(app, "/api/list") == "500"
    response = app.test_client().put("/api/list", headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Expose-Headers"] == "X-Total"  # from the resource


def test_decorator_overrides_blueprint(app: Flask) -> None:
    CORS(app, origins=[ORIGIN])
    api = Blueprint("api", __name__)
    CORS(api, max_age=500, supports_credentials=True)

    @api.put("/one")
    @cross_origin(max_age=600)
    def one() -> str:
        return "one"

    app.register_blueprint(api, url_prefix="/api")
    assert _max_age(app, "/api/one") == "600"
    response = app.test_client().put("/api/one", headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Credentials"] == "true"  # from the blueprint


def test_a_blueprint_may_be_registered_before_init_app(app: Flask) -> None:
    api = Blueprint("api", __name__)
    CORS(api, supports_credentials=True)  # origins come from the app, declared later

    @api.put("/x")
    def x() -> str:
        return "x"

    app.register_blueprint(api, url_prefix="/api")
    CORS(app, origins=[ORIGIN])
    response = app.test_client().put("/api/x", headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


def test_a_blueprint_conflicting_with_the_app_fails_at_registration(app: Flask) -> None:
    CORS(app, origins="*")
    api = Blueprint("api", __name__)
    CORS(api, supports_credentials=True)
    with pytest.raises(ConfigError, match=r"origins \(in blueprint 'api'\)"):
        app.register_blueprint(api, url_prefix="/api")


def test_conflicts_only_on_paths_a_blueprint_cannot_serve_are_accepted(app: Flask) -> None:
    CORS(app, origins=[ORIGIN], resources={"/public/*": {"origins": "*"}, "/admin/x/y": {}})
    admin = Blueprint("admin", __name__)
    CORS(admin, supports_credentials=True)

    @admin.put("/users/<int:id>")
    def user(id: int) -> str:
        return str(id)

    app.register_blueprint(admin, url_prefix="/admin")
    response = app.test_client().put("/admin/users/1", headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


def test_a_conflict_on_a_path_a_blueprint_can_serve_is_an_error(app: Flask) -> None:
    CORS(app, origins=[ORIGIN], resources={"/api/v1/*": {"origins": "*"}})
    api = Blueprint("api", __name__)
    CORS(api, supports_credentials=True)

    @api.get("/<path:rest>")
    def anything(rest: str) -> str:
        return rest

    with pytest.raises(ConfigError, match=r"resource '/api/v1/\*' \+ blueprint 'api'"):
        app.register_blueprint(api, url_prefix="/api")
