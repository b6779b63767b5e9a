"""Where the native edge writes what CORS's ``after_request`` hook decides, and where it must not.

When the app's last hook to run is a ``CORS(app)`` call's, that hook only decides, and the edge
adds the headers as the response is sent (docs/migration.md, "What it costs"). Wherever
something could see the headers between the hook and the server, it must see what it sees with
flask-cors: each test builds such an app with flask-cors and with this layer, and compares what
that something saw (``X-Saw-Acao``) and what the client got."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from flask import Flask, Request, Response, session
from flask.signals import request_finished
from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder

import crossgate.compat.flask_cors as compat

from .differential import (
    ACRM,
    IMPLEMENTATIONS,
    ORIGIN,
    OTHER,
    REQUESTS,
    CorsModule,
    Observed,
    Req,
    Setup,
    build,
    make_app,
    observe,
    preflight,
)

ACAO = "Access-Control-Allow-Origin"
SEEN = "X-Saw-Acao"


def saw_acao(headers: Iterable[tuple[str, str]]) -> str:
    return str(any(name.lower() == ACAO.lower() for name, _ in headers))


def lines(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Every header line, in no particular order (a signed cookie's value has a timestamp)."""
    return sorted((name, "..." if name == "Set-Cookie" else value) for name, value in headers)


def assert_seen_alike(
    setup: Setup, requests: Iterable[Req] = REQUESTS, make: Callable[[], Flask] = make_app
) -> dict[str, tuple[Observed, list[str]]]:
    """Each request's observation and ``X-Saw-Acao`` lines: the same with both, and so is
    every header line (only their order may differ, see docs/migration.md)."""
    requests = tuple(requests)
    results = {}
    sent = {}
    for name, module in IMPLEMENTATIONS.items():
        app = build(module, setup, app=make())
        responses = [(request.name, request.send(app)) for request in requests]
        results[name] = {
            request: (observe(response), response.headers.getlist(SEEN))
            for request, response in responses
        }
        sent[name] = {request: lines(response.headers) for request, response in responses}
    assert results["crossgate"] == results["flask_cors"]
    assert sent["crossgate"] == sent["flask_cors"]
    return results["crossgate"]


def two_origins(cors: CorsModule, app: Flask) -> None:
    cors.CORS(app, origins=[ORIGIN, OTHER], expose_headers="X-Total")


def test_the_edge_writes_what_the_hook_decides_in_the_plain_set_up() -> None:
    made: list[Response] = []

    class Recorded(Response):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    app = make_app()
    app.response_class = Recorded
    compat.CORS(app, origins=[ORIGIN, OTHER])
    hooks = list(app.after_request_funcs[None])
    response = app.test_client().get("/api/items", headers={"Origin": ORIGIN})
    assert response.headers.getlist(ACAO) == [ORIGIN]
    assert response.headers.getlist("Vary") == ["Origin"]
    # The lines never went through werkzeug's Headers (what makes the layer fast): the edge
    # wrote them as the response left; the hook, where flask-cors puts it, only decided.
    assert ACAO not in made[0].headers  # the view's response; the client makes one too
    assert app.after_request_funcs[None] == hooks
    assert len(hooks) == 1


def test_a_hook_that_runs_after_cors_keeps_cors_a_hook() -> None:
    def setup(cors: CorsModule, app: Flask) -> None:
        @app.after_request
        def registered_before(response: Response) -> Response:
            response.headers[SEEN] = saw_acao(response.headers)
            return response

        two_origins(cors, app)

    results = assert_seen_alike(setup)
    assert results["allowed"][1] == ["True"]


def test_request_finished_receivers_see_the_headers() -> None:
    def saw(sender: Flask, response: Response, **extra: Any) -> None:
        response.headers[SEEN] = saw_acao(response.headers)

    with request_finished.connected_to(saw):
        results = assert_seen_alike(two_origins)
    assert results["allowed"][1] == ["True"]


def test_request_finished_receivers_connected_after_the_first_request() -> None:
    def saw(sender: Flask, response: Response, **extra: Any) -> None:
        response.headers[SEEN] = saw_acao(response.headers)

    seen = {}
    for name, module in IMPLEMENTATIONS.items():
        app = build(module, two_origins)
        app.test_client().get("/api/items", headers={"Origin": ORIGIN})
        with request_finished.connected_to(saw):
            response = app.test_client().get("/api/items", headers={"Origin": ORIGIN})
        seen[name] = (observe(response), response.headers.getlist(SEEN))
    assert seen["crossgate"] == seen["flask_cors"]
    assert seen["crossgate"][1] == ["True"]


def _seeing_process_response(cors: CorsModule, app: Flask) -> None:
    two_origins(cors, app)
    process_response = app.process_response

    def seeing(response: Response) -> Response:
        response = process_response(response)
        response.headers[SEEN] = saw_acao(response.headers)
        return response

    app.process_response = seeing  # type: ignore[method-assign]


def test_an_app_that_wraps_process_response_sees_the_headers() -> None:
    results = assert_seen_alike(_seeing_process_response)
    assert results["allowed"][1] == ["True"]


class _SeeingProcessResponse(Flask):
    def process_response(self, response: Response) -> Response:
        response = super().process_response(response)
        response.headers[SEEN] = saw_acao(response.headers)
        return response


class _SeeingWsgiApp(Flask):
    def wsgi_app(self, environ: Any, start_response: Any) -> Any:
        def seeing(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.append((SEEN, saw_acao(headers)))
            return start_response(status, headers, exc_info)

        return super().wsgi_app(environ, seeing)


@pytest.mark.parametrize("flask_class", [_SeeingProcessResponse, _SeeingWsgiApp])
def test_a_flask_subclass_that_overrides_the_response_cycle_sees_the_headers(
    flask_class: type[Flask],
) -> None:
    def make() -> Flask:
        app = flask_class("seeing")
        app.logger.disabled = True
        app.add_url_rule("/api/items", "items", lambda: "items", methods=["GET", "PUT"])
        return app

    requests = [
        Req("allowed", headers={"Origin": ORIGIN}),
        Req("other", headers={"Origin": "https://third.example"}),
        preflight("preflight", **{ACRM: "PUT"}),
        Req("not-found", path="/missing", headers={"Origin": ORIGIN}),
    ]
    results = assert_seen_alike(two_origins, requests, make=make)
    assert results["allowed"][1] == ["True"]


def test_middleware_inside_the_edge_sees_the_headers() -> None:
    def setup(cors: CorsModule, app: Flask) -> None:
        flask_wsgi_app = app.wsgi_app

        def middleware(environ: Any, start_response: Any) -> Any:
            def seeing(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                headers.append((SEEN, saw_acao(headers)))
                return start_response(status, headers, exc_info)

            return flask_wsgi_app(environ, seeing)

        app.wsgi_app = middleware  # type: ignore[method-assign]
        two_origins(cors, app)

    results = assert_seen_alike(setup)
    assert results["allowed"][1] == ["True"]


class _SeeingResponse(Response):
    def get_wsgi_headers(self, environ: Any) -> Headers:
        headers = super().get_wsgi_headers(environ)
        headers[SEEN] = saw_acao(headers)
        return headers


@pytest.mark.parametrize("everywhere", [False, True], ids=["one-view", "response-class"])
def test_a_response_class_that_sends_its_own_way_sees_the_headers(everywhere: bool) -> None:
    def setup(cors: CorsModule, app: Flask) -> None:
        if everywhere:
            app.response_class = _SeeingResponse
        app.add_url_rule("/seeing", "seeing", lambda: _SeeingResponse("seeing"))
        two_origins(cors, app)

    results = assert_seen_alike(
        setup, [*REQUESTS, Req("seeing", path="/seeing", headers={"Origin": ORIGIN})]
    )
    assert results["seeing"][1] == ["True"]


class _UnlistedRequest(Request):
    """A request class that does not put itself in the environ."""

    def __init__(self, environ: Any, populate_request: bool = True, shallow: bool = False) -> None:
        super().__init__(environ, populate_request=False, shallow=shallow)


def _served(app: Flask, environ: dict[str, Any]) -> list[tuple[str, str]]:
    """The header lines *app* sends, called as a WSGI server calls it."""
    started: list[list[tuple[str, str]]] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], object]:
        started.append(headers)
        return lambda data: None

    body = app(dict(environ), start_response)
    assert b"".join(body) == b"items"
    return started[0]


def test_a_request_class_that_keeps_out_of_the_environ() -> None:
    # Werkzeug's test client puts a request of its own in the environ: call the app as a WSGI
    # server does.
    environ = EnvironBuilder("/api/items", headers=[("Origin", ORIGIN)]).get_environ()
    sent = {}
    for name, module in IMPLEMENTATIONS.items():
        app = make_app()
        app.request_class = _UnlistedRequest
        two_origins(module, app)
        sent[name] = lines(_served(app, environ))
    assert sent["crossgate"] == sent["flask_cors"]
    assert (ACAO, ORIGIN) in sent["crossgate"]


def _session_routes(cors: CorsModule, app: Flask, origins: list[str], secret: str | None) -> None:
    app.secret_key = secret

    @app.route("/read")
    def read() -> str:
        return str(session.get("visits"))

    @app.route("/write")
    def write() -> str:
        session["visits"] = 1
        return "written"

    @app.route("/own-vary")
    def own_vary() -> Response:
        session.get("visits")
        return Response("own", headers={"Vary": "Accept-Encoding"})

    cors.CORS(app, origins=origins)


SESSION_REQUESTS = [
    Req("read", path="/read", headers={"Origin": ORIGIN}),
    Req("write", path="/write", headers={"Origin": ORIGIN}),
    Req("own-vary", path="/own-vary", headers={"Origin": ORIGIN}),
    Req("no-session", path="/public", headers={"Origin": ORIGIN}),
    Req("other", path="/read", headers={"Origin": OTHER}),
]


@pytest.mark.parametrize("secret", [None, "secret"], ids=["no-secret-key", "secret-key"])
@pytest.mark.parametrize("origins", [[ORIGIN], [ORIGIN, OTHER]], ids=["one", "two"])
def test_sessions_merge_vary_cookie_as_with_flask_cors(
    origins: list[str], secret: str | None
) -> None:
    # Flask's session adds Vary: Cookie to the first Vary line, which may be CORS's own.
    results = assert_seen_alike(
        lambda cors, app: _session_routes(cors, app, origins, secret), SESSION_REQUESTS
    )
    if secret and len(origins) == 2:
        assert ("Vary", ("Origin, Cookie",)) in results["read"][0][1]


def test_process_response_called_outside_a_request_gets_the_headers() -> None:
    # As a test calling full_dispatch_request does, after the app has served requests.
    seen = {}
    for name, module in IMPLEMENTATIONS.items():
        app = build(module, two_origins)
        app.test_client().get("/api/items", headers={"Origin": ORIGIN})
        with app.test_request_context("/api/items", headers={"Origin": ORIGIN}):
            seen[name] = observe(app.full_dispatch_request())
    assert seen["crossgate"] == seen["flask_cors"]
    assert (ACAO, (ORIGIN,)) in seen["crossgate"][1]


def test_a_request_of_another_app_in_between() -> None:
    # A view of one app that runs a request of a second app in its own context: the second
    # app's response is not one the first app's edge sends.
    def setup(cors: CorsModule, app: Flask) -> None:
        inner = make_app()
        cors.CORS(inner, origins=[OTHER])
        inner.test_client().get("/api/items")

        @app.route("/through")
        def through() -> Response:
            with inner.test_request_context("/api/items", headers={"Origin": OTHER}):
                response = inner.full_dispatch_request()
            return Response(headers={SEEN: saw_acao(response.headers)})

        two_origins(cors, app)

    results = assert_seen_alike(
        setup, [Req("through", path="/through", headers={"Origin": ORIGIN})]
    )
    assert results["through"][1] == ["True"]
    assert (ACAO, (ORIGIN,)) in results["through"][0][1]


def test_several_cors_calls_the_first_one_runs_last() -> None:
    def setup(cors: CorsModule, app: Flask) -> None:
        cors.CORS(app, resources={r"/api/*": {"origins": [ORIGIN]}}, max_age=1)

        @app.after_request
        def between(response: Response) -> Response:
            response.headers[SEEN] = saw_acao(response.headers)
            return response

        cors.CORS(app, resources={r"/public": {}, r"/api/items": {"origins": [OTHER]}})

    results = assert_seen_alike(setup, [*REQUESTS, Req("api-other", headers={"Origin": OTHER})])
    assert results["api-other"][1] == ["True"]
    assert results["allowed"][1] == ["False"]


@pytest.fixture
def first_requests() -> Iterator[threading.Barrier]:
    barrier = threading.Barrier(8)
    yield barrier
    barrier.abort()


def test_first_requests_in_several_threads_all_get_the_headers(
    first_requests: threading.Barrier,
) -> None:
    app = make_app()
    compat.CORS(app, origins=[ORIGIN, OTHER])
    seen: list[list[str]] = []

    def get() -> None:
        client = app.test_client()
        first_requests.wait()
        seen.append(client.get("/api/items", headers={"Origin": ORIGIN}).headers.getlist(ACAO))

    threads = [threading.Thread(target=get) for _ in range(first_requests.parties)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [[ORIGIN]] * first_requests.parties
    response = app.test_client().get("/api/items", headers={"Origin": ORIGIN})
    assert response.headers.getlist(ACAO) == [ORIGIN]
