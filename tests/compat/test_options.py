"""One differential test per row of flask-cors's options table (reference/flask-cors-compat.md).

Each builds the same app with flask-cors 6.0.5 and with crossgate's layer, for several values of
the option, and compares every request of ``REQUESTS``: status, CORS headers and Vary lines.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from .differential import (
    ACRH,
    ACRM,
    IMPLEMENTATIONS,
    ORIGIN,
    OTHER,
    REQUESTS,
    CorsModule,
    Req,
    assert_same,
    make_app,
    preflight,
    run_both,
    with_cors,
)

#: A regex-looking origins value that a full match and flask-cors's prefix match agree on for
#: every request in REQUESTS, and on every port, so it draws no warning (the difference has its
#: own tests in test_differences.py and test_origin_readings.py).
ORIGIN_REGEX = r"https?://(example|other)\.(com|org)(:\d+)?"


@pytest.mark.parametrize(
    "origins",
    [
        "*",
        ORIGIN,
        [ORIGIN],
        [ORIGIN, OTHER],
        {ORIGIN, OTHER},
        ["https://b.example", "https://a.example"],
        ORIGIN_REGEX,
        [ORIGIN, ORIGIN_REGEX],
        re.compile(r"http://example\.com(:\d+)?"),
        ["*", ORIGIN],
        ".*",
        "null",
        [],
        None,
        [None, 5],
    ],
    ids=repr,
)
def test_option_origins(origins: Any) -> None:
    assert_same(with_cors(origins=origins))


@pytest.mark.parametrize(
    "options",
    [
        {"send_wildcard": True},
        {"send_wildcard": True, "origins": [ORIGIN, OTHER]},
        {"send_wildcard": True, "origins": ["*", ORIGIN]},
        {"send_wildcard": True, "origins": [ORIGIN], "supports_credentials": True},
        {"send_wildcard": False},
    ],
    ids=repr,
)
def test_option_send_wildcard(options: dict[str, Any]) -> None:
    assert_same(with_cors(**options))


@pytest.mark.parametrize(
    "options",
    [
        {"always_send": False},
        {"always_send": False, "origins": [ORIGIN]},
        {"always_send": True, "origins": ["https://b.example", "https://a.example", ORIGIN_REGEX]},
        {"always_send": True, "origins": [ORIGIN_REGEX]},
        {"always_send": True, "origins": [ORIGIN], "supports_credentials": True},
    ],
    ids=repr,
)
def test_option_always_send(options: dict[str, Any]) -> None:
    assert_same(with_cors(**options))


@pytest.mark.parametrize(
    "options",
    [
        {"supports_credentials": True, "origins": [ORIGIN]},
        {"supports_credentials": True, "origins": [ORIGIN, OTHER], "always_send": False},
        {"supports_credentials": False, "origins": [ORIGIN]},
    ],
    ids=repr,
)
def test_option_supports_credentials(options: dict[str, Any]) -> None:
    assert_same(with_cors(**options))


def test_option_supports_credentials_with_any_origin_gives_credentials_to_no_one() -> None:
    # The drop-in rule: the same answers, without Access-Control-Allow-Credentials for the
    # origins only '*' admits (here, every origin), and a warning with the fix.
    # An Origin no browser sends (upper case) keeps flask-cors's answer: only what a page can
    # send needs the safe reading.
    results = run_both(with_cors(supports_credentials=True), warns="any site could read")
    for name, (status, lines) in results["flask_cors"].items():
        if name == "upper-case":
            assert results["crossgate"][name] == (status, lines), name
            continue
        without = tuple(line for line in lines if line[0] != "Access-Control-Allow-Credentials")
        assert results["crossgate"][name] == (status, without), name
    assert any(
        line[0] == "Access-Control-Allow-Credentials"
        for _, lines in results["flask_cors"].values()
        for line in lines
    )


def test_option_supports_credentials_with_any_origin_kept_on_purpose_behaves_the_same() -> None:
    assert_same(with_cors(supports_credentials=True, unsafe_any_origin_with_credentials=True))


@pytest.mark.parametrize(
    "cors",
    [pytest.param(name, id=name) for name in ("flask_cors", "crossgate")],
)
def test_option_supports_credentials_refused_with_send_wildcard(cors: str) -> None:
    with pytest.raises(ValueError, match="supports_credentials"):
        IMPLEMENTATIONS[cors].CORS(make_app(), supports_credentials=True, send_wildcard=True)


@pytest.mark.parametrize(
    "methods",
    [
        ["GET", "PUT"],
        "GET, POST",
        "put",
        ["put", "GET"],
        ["get", "POST"],
        ("DELETE",),
        [],
        None,
        "GET,PUT",
    ],
    ids=repr,
)
def test_option_methods(methods: Any) -> None:
    assert_same(with_cors(methods=methods))


@pytest.mark.parametrize(
    "allow_headers",
    [
        "*",
        "Content-Type",
        ["X-Custom", "content-type"],
        [r"X-.*"],
        r"x-cust[a-z]+",
        [re.compile("x-custom")],
        [re.compile("X-CUSTOM", re.IGNORECASE)],
        ["Authorization"],
        [],
    ],
    ids=repr,
)
def test_option_allow_headers(allow_headers: Any) -> None:
    assert_same(with_cors(allow_headers=allow_headers))


@pytest.mark.parametrize(
    "expose_headers",
    ["X-Total", ["X-Total", "X-Page"], {"X-B", "X-A"}, [], "", None],
    ids=repr,
)
def test_option_expose_headers(expose_headers: Any) -> None:
    assert_same(with_cors(expose_headers=expose_headers))


@pytest.mark.parametrize(
    "max_age",
    [600, "600", timedelta(minutes=10), timedelta(seconds=1.5), timedelta(0), 0, "", None, 1.5],
    ids=repr,
)
def test_option_max_age(max_age: Any) -> None:
    assert_same(with_cors(max_age=max_age))


@pytest.mark.parametrize(
    "options",
    [
        {"vary_header": True, "origins": ORIGIN},
        {"vary_header": True, "origins": [ORIGIN, OTHER]},
        {"vary_header": True, "origins": ORIGIN_REGEX},
        {"vary_header": True, "origins": [ORIGIN, ORIGIN]},
        {"vary_header": True, "send_wildcard": True},
        {"vary_header": False},
        {"vary_header": False, "origins": [ORIGIN, OTHER]},
    ],
    ids=repr,
)
def test_option_vary_header(options: dict[str, Any]) -> None:
    assert_same(with_cors(**options))


def test_option_vary_header_is_a_separate_line() -> None:
    results = assert_same(with_cors(origins=[ORIGIN, OTHER]))
    _, headers = results["crossgate"]["existing-vary"]
    assert ("Vary", ("Accept-Encoding", "Origin")) in headers


def _decorated_app(**options: Any) -> Any:
    def setup(cors: CorsModule, app: Flask) -> None:
        @app.route("/decorated", methods=["GET", "POST"])
        @cors.cross_origin(**options)
        def decorated() -> str:
            return "decorated"

        @app.route("/decorated-options", methods=["GET", "OPTIONS"])
        @cors.cross_origin(**options)
        def decorated_options() -> str:
            return "view ran"

    return setup


DECORATED_REQUESTS = [
    Req("get", path="/decorated", headers={"Origin": ORIGIN}),
    Req("no-origin", path="/decorated"),
    Req("options-no-origin", "OPTIONS", "/decorated"),
    preflight("preflight", path="/decorated", **{ACRM: "POST", ACRH: "X-Custom"}),
    preflight("preflight-own-options", path="/decorated-options", **{ACRM: "GET"}),
    Req("own-options", "OPTIONS", "/decorated-options", {"Origin": ORIGIN}),
]


@pytest.mark.parametrize("automatic_options", [True, False, None])
def test_option_automatic_options(automatic_options: bool | None) -> None:
    options = {} if automatic_options is None else {"automatic_options": automatic_options}
    assert_same(_decorated_app(**options), DECORATED_REQUESTS)


def test_option_automatic_options_from_config() -> None:
    def setup(cors: CorsModule, app: Flask) -> None:
        app.config["CORS_AUTOMATIC_OPTIONS"] = False
        _decorated_app()(cors, app)

    assert_same(setup, DECORATED_REQUESTS)


def test_option_automatic_options_is_ignored_by_the_extension() -> None:
    assert_same(with_cors(automatic_options=False))


def _raising_after_request(intercept: bool) -> Any:
    def setup(cors: CorsModule, app: Flask) -> None:
        cors.CORS(app, origins=[ORIGIN, OTHER], intercept_exceptions=intercept)

        @app.after_request
        def breaks(response: Any) -> Any:
            raise RuntimeError("after_request failed")

    return setup


@pytest.mark.parametrize("intercept", [True, False])
def test_option_intercept_exceptions(intercept: bool) -> None:
    # An after_request hook that raises skips every later hook, CORS's included; only the
    # intercepting wrapper of handle_exception then puts CORS headers on the 500.
    results = assert_same(_raising_after_request(intercept))
    status, headers = results["crossgate"]["allowed"]
    assert status == 500
    assert (("Access-Control-Allow-Origin", (ORIGIN,)) in headers) is intercept


@pytest.mark.parametrize("intercept", [True, False])
def test_option_intercept_exceptions_on_errors(intercept: bool) -> None:
    assert_same(with_cors(intercept_exceptions=intercept))


@pytest.mark.parametrize(
    "options",
    [{"allow_private_network": True}, {"allow_private_network": False}],
    ids=repr,
)
def test_option_allow_private_network(options: dict[str, Any]) -> None:
    results = assert_same(with_cors(**options))
    _, headers = results["crossgate"]["private-network"]
    expected = "true" if options["allow_private_network"] else "false"
    assert ("Access-Control-Allow-Private-Network", (expected,)) in headers


RESOURCE_REQUESTS = [
    *REQUESTS,
    Req("v1", path="/api/v1/users", headers={"Origin": ORIGIN}),
    Req("v1-other", path="/api/v1/users", headers={"Origin": OTHER}),
    Req("upper-case-path", path="/API/items", headers={"Origin": ORIGIN}),
    Req("plus-path", path="/api/a+b", headers={"Origin": ORIGIN}),
    Req("encoded-path", path="/api/it%65ms", headers={"Origin": ORIGIN}),
]


@pytest.mark.parametrize(
    "resources",
    [
        r"/*",
        "*",
        r"/api/*",
        [r"/api/items", "/public"],
        r"/api/items",
        re.compile(r"/api/.*"),
        {r"/api/*": {"origins": ORIGIN}, r"/*": {"origins": OTHER}},
        {r"/*": {"origins": OTHER}, r"/api/*": {"origins": ORIGIN}},
        {r"/api/items": {"origins": OTHER}, r"/api/*": {"origins": ORIGIN}},
        {r"/api/*": {"origins": ORIGIN}, r"/api/v1/*": {"origins": OTHER}},
        {r"/api/.*": {"origins": ORIGIN}, r"/api/v1/.*": {"origins": OTHER}},
        {re.compile(r"/api/.*"): {"origins": OTHER}, r"/api/.+": {"origins": ORIGIN}},
        {r"/public": {"max_age": 5}, r"/api/items": {"methods": ["GET"]}},
        {"/api/a+b": {}},
        {"/API/*": {}},
        {"*": {"supports_credentials": True, "origins": [ORIGIN]}},
        {},
        [],
        "}",
    ],
    ids=repr,
)
def test_option_resources(resources: Any) -> None:
    assert_same(with_cors(resources=resources, origins=[ORIGIN, OTHER]), RESOURCE_REQUESTS)


def _prefix_paths_app() -> Flask:
    app = make_app()
    for path in ("/api", "/apiary", "/api/v2/users", "/api/v2x", "/test_acl_abort_404"):
        app.add_url_rule(path, path, lambda: "ok")
    return app


PREFIX_REQUESTS = [
    Req(name, path=path, headers={"Origin": ORIGIN})
    for name, path in [
        ("prefix-itself", "/api"),
        ("below", "/api/items"),
        ("longer-word", "/apiary"),
        ("versioned", "/api/v2/users"),
        ("longer-segment", "/api/v2x"),
        ("test-acl", "/test_acl_abort_404"),
        ("elsewhere", "/public"),
    ]
]


@pytest.mark.parametrize(
    ("resources", "covered"),
    [
        (r"/api/*", {"prefix-itself", "below", "longer-word", "versioned", "longer-segment"}),
        (r"/api/v\d+", {"versioned", "longer-segment"}),
        ({r"/api*": {}}, {"prefix-itself", "below", "longer-word", "versioned", "longer-segment"}),
        (re.compile(r"/api/v\d"), {"versioned", "longer-segment"}),
        (r"/test_acl*", {"test-acl"}),
    ],
    ids=repr,
)
def test_option_resources_regexes_match_from_the_start_of_the_path(
    resources: Any, covered: set[str]
) -> None:
    # re.match on the path, as in flask-cors: a regex covers every path it matches a start of.
    results = assert_same(with_cors(resources=resources), PREFIX_REQUESTS, make=_prefix_paths_app)
    assert {
        name
        for name, (_, lines) in results["crossgate"].items()
        if "Access-Control-Allow-Origin" in dict(lines)
    } == covered


@pytest.mark.parametrize("cors", ["flask_cors", "crossgate"])
@pytest.mark.parametrize("resources", [5, None])
def test_option_resources_refuses_what_is_not_a_pattern(cors: str, resources: Any) -> None:
    with pytest.raises(ValueError, match="resources"):
        IMPLEMENTATIONS[cors].CORS(make_app(), resources=resources)


@pytest.mark.parametrize("cors", ["flask_cors", "crossgate"])
@pytest.mark.parametrize(
    "options",
    [{"origins": "(unclosed"}, {"allow_headers": ["[x"]}, {"resources": {"/api/(": {}}}],
    ids=repr,
)
def test_invalid_regex_is_a_value_error_at_start_up(cors: str, options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"regular expression"):
        IMPLEMENTATIONS[cors].CORS(make_app(), **options)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"origins": [ORIGIN, OTHER]},
        {"origins": ORIGIN_REGEX, "send_wildcard": True},
        {"origins": "*", "send_wildcard": True},
        {"origins": [ORIGIN], "always_send": False},
        {"origins": [ORIGIN], "supports_credentials": True},
        {"methods": ["POST"]},
        {"allow_headers": ["X-Custom"]},
        {"expose_headers": ["X-Total", "X-Page"]},
        {"max_age": timedelta(minutes=1)},
        {"vary_header": False, "origins": [ORIGIN, OTHER]},
        {"allow_private_network": True},
        {"intercept_exceptions": False, "resources": "/ignored"},
    ],
    ids=repr,
)
def test_options_on_a_decorated_view(options: dict[str, Any]) -> None:
    requests = [
        *DECORATED_REQUESTS,
        preflight(
            "private-network",
            path="/decorated",
            **{ACRM: "GET", "Access-Control-Request-Private-Network": "true"},
        ),
        Req("other", path="/decorated", headers={"Origin": OTHER}),
    ]
    assert_same(_decorated_app(**options), requests)
