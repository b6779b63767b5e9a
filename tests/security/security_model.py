"""The security probe's model: apps built from declared policies, and an oracle written from the
rules of issue 9, not from crossgate's code.

An app is described by a ``Spec``: CORS options at every level (``app.config``, ``CORS(app)``,
``init_app``, ``resources`` rules, an outer and a nested blueprint, ``@cross_origin`` on views)
over a fixed set of routes that exercise Werkzeug's routing (trailing-slash redirects, merged
slashes, ``strict_slashes=False``, converters, a ``redirect_to`` alias, blueprint prefixes and,
in one variant, host matching). ``build_app`` turns a spec into a crossgate app, ``build_bare``
into the same app without crossgate. ``Oracle`` answers, for a request, which levels apply and
what they allow, using Werkzeug's own routing to find the route Flask dispatches to.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from flask import Blueprint, Flask, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RequestRedirect
from werkzeug.test import EnvironBuilder

from crossgate.flask import CORS, cross_origin

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

Options = dict[str, Any]

APP = "https://app.example.com"
OTHER = "https://other.example.com"
PARTNER_HTTP = "http://partner.example.com"
LOCAL = "http://localhost:3000"
CALLBACK = "https://cb.example.net"
MAIN_HOST = "example.test"
API_HOST = "api.example.test"

PERMISSIONS = ("allow_null_origin", "allow_insecure_http_origins", "allow_regex_wildcards")
CONFIG_KEYS = {
    "origins": "CORS_ORIGINS",
    "supports_credentials": "CORS_SUPPORTS_CREDENTIALS",
    "methods": "CORS_METHODS",
    "max_age": "CORS_MAX_AGE",
    "allow_null_origin": "CROSSGATE_ALLOW_NULL_ORIGIN",
    "allow_insecure_http_origins": "CROSSGATE_ALLOW_INSECURE_HTTP_ORIGINS",
}


def grant_callback(origin: str) -> bool:
    """An ``origins`` callable that grants one origin."""
    return origin == CALLBACK


def truthy_string(origin: str) -> object:
    """An ``origins`` callable that answers ``"false"``: truthy, but not ``True``."""
    return "false"


def raising_check(origin: str) -> bool:
    """An ``origins`` callable whose look-up fails for every origin."""
    raise LookupError(f"no tenant for {origin[:20]!r}")


@dataclass(frozen=True)
class RegexEntry:
    """A compiled origin regex of the pool, with what the oracle must know about it."""

    regex: re.Pattern[str]
    #: Has an unescaped ``.`` (outside a character class): valid only with allow_regex_wildcards.
    loose: bool
    #: Matches any host of a scheme: counts as ``'*'`` for credentials.
    any_host: bool


REGEXES = {
    "safe": RegexEntry(re.compile(r"https://[a-z]+\.example\.org"), loose=False, any_host=False),
    "dotted": RegexEntry(re.compile(r"https://api.example.org"), loose=True, any_host=False),
    "group": RegexEntry(re.compile(r"https://(www.)?acme\.com"), loose=True, any_host=False),
    # Admits any host: it counts as "*" (refused with credentials), it is not a loose dot.
    "any": RegexEntry(re.compile(r"https://.*"), loose=False, any_host=True),
    "any-class": RegexEntry(re.compile(r"https://[^/]+"), loose=False, any_host=True),
}
_REGEX_BY_ID = {id(entry.regex): entry for entry in REGEXES.values()}

#: Every origin form a level may list (``'*'`` is drawn separately: it stands alone).
ORIGIN_POOL: list[object] = [
    APP,
    OTHER,
    PARTNER_HTTP,
    LOCAL,
    "https://*.example.com",
    "http://localhost:*",
    "null",
    *(entry.regex for entry in REGEXES.values()),
    grant_callback,
    truthy_string,
    raising_check,
]

#: Origins a request may carry, chosen to hit every form above, and near misses of each.
REQUEST_ORIGINS = [
    APP,
    OTHER,
    PARTNER_HTTP,
    LOCAL,
    "http://localhost:8080",
    "http://localhost",
    "https://deep.sub.example.com",
    "https://example.com",
    "https://evilexample.com",
    "https://app.example.com.evil.com",
    "https://foo.example.org",
    "https://api.example.org",
    "https://apixexample.org",
    "https://www.acme.com",
    "https://wwwxacme.com",
    CALLBACK,
    "https://evil.com",
    "http://evil.com",
    "null",
    "https://APP.example.com",
    "https://app.example.com/",
    "https://app.example.com:443",
    "https://app.example.com\r\nSet-Cookie: x=y",
    "https://app.example.com\n",
    "*",
    "",
    "https://" + "a" * 5000 + ".com",
]


@dataclass(frozen=True)
class Route:
    """One route of the probe's apps: ``rule`` under ``blueprint`` (None: the app)."""

    endpoint: str
    rule: str
    methods: tuple[str, ...]
    blueprint: str | None = None
    strict_slashes: bool = True
    host: str = MAIN_HOST


ROUTES = (
    Route("items", "/items/", ("GET",)),
    Route("api_items", "/api/items", ("GET", "PUT")),
    Route("secret", "/api/secret", ("GET", "POST")),
    Route("public", "/public/<path:name>", ("GET",)),
    Route("loose", "/loose/", ("GET", "DELETE"), strict_slashes=False),
    Route("number", "/n/<int:number>", ("GET", "PUT")),
    Route("outer.data", "/data", ("GET", "PUT"), blueprint="outer"),
    Route("outer.inner.deep", "/deep", ("GET", "DELETE"), blueprint="inner"),
)
#: Only in the host-matching variant: the same path as ``api_items``, on another host.
HOST_ROUTE = Route("api_host", "/api/items", ("GET", "DELETE"), host=API_HOST)
DECORATABLE = tuple(route.endpoint for route in (*ROUTES, HOST_ROUTE))
OUTER_PREFIX = "/bp"
INNER_PREFIX = "/inner"
ALIAS = ("/old", "/api/items")

#: Canonical paths requests start from; the strategies spell them in other ways.
REQUEST_PATHS = [
    "/items/",
    "/items",
    "/api/items",
    "/api/secret",
    "/public/a/b",
    "/loose",
    "/loose/",
    "/n/5",
    "/n/x",
    "/old",
    "/bp/data",
    "/bp/inner/deep",
    "/bp/inner",
    "/bp/nothing",
    "/nothing",
    "/",
]
RESOURCE_PATTERNS: list[object] = ["/api/*", "/api/secret", "/public/*", "/bp/*", "/*"]


@dataclass
class Spec:
    """Every level's declared CORS options, and the shape of the app."""

    config: Options = field(default_factory=dict)
    constructor: Options = field(default_factory=dict)
    init_app: Options = field(default_factory=dict)
    #: Whether ``CORS(app)`` is called at all (without it, config declares nothing).
    app_cors: bool = True
    resources: dict[str, Options] | None = None
    outer: Options | None = None
    inner: Options | None = None
    views: dict[str, Options] = field(default_factory=dict)
    host_matching: bool = False

    @property
    def uses_cors(self) -> bool:
        """Whether any level declares CORS (else crossgate has no say in CORS)."""
        return self.app_cors or bool(self.outer or self.inner or self.views)

    @property
    def app_level(self) -> Options:
        """The app level: config < ``CORS(...)`` < ``init_app(...)``, merged."""
        if not self.app_cors:
            return {}
        merged: Options = {}
        for key, value in self.config.items():
            merged[key] = value
        merged.update(self.constructor)
        merged.update(self.init_app)
        return merged


class Recorder:
    """A ``before_request`` hook that remembers every request it saw and, like an auth check
    that forgot about preflights, refuses OPTIONS."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def __call__(self) -> tuple[str, int] | None:
        self.seen.append((request.method, request.path))
        if request.method == "OPTIONS":
            return "hook refused the OPTIONS request\n", 401
        return None


def _view(name: str) -> Callable[..., str]:
    def view(**_: object) -> str:
        return f"{name}\n"

    view.__name__ = name.replace(".", "_")
    return view


def _shape(spec: Spec, *, crossgate: bool) -> tuple[Flask, Recorder]:
    """The app of *spec*, with crossgate's decorators and blueprint policies when *crossgate*."""
    if spec.host_matching:
        app = Flask("security_probe", host_matching=True, static_host=MAIN_HOST)
    else:
        app = Flask("security_probe")
    hook = Recorder()
    app.before_request(hook)
    blueprints = {
        "outer": Blueprint("outer", "security_probe"),
        "inner": Blueprint("inner", "security_probe"),
    }
    routes = (*ROUTES, HOST_ROUTE) if spec.host_matching else ROUTES
    for route in routes:
        short = route.endpoint.rpartition(".")[2]
        view = _view(route.endpoint)
        decorated = spec.views.get(route.endpoint)
        if crossgate and decorated is not None:
            view = cross_origin(**decorated)(view)
        target: Flask | Blueprint = app if route.blueprint is None else blueprints[route.blueprint]
        extra: dict[str, Any] = {"host": route.host} if spec.host_matching else {}
        target.add_url_rule(
            route.rule,
            short,
            view,
            methods=list(route.methods),
            strict_slashes=route.strict_slashes,
            **extra,
        )
    alias_extra: dict[str, Any] = {"host": MAIN_HOST} if spec.host_matching else {}
    app.add_url_rule(ALIAS[0], "old", redirect_to=ALIAS[1], **alias_extra)
    if crossgate and spec.outer is not None:
        CORS(blueprints["outer"], **spec.outer)
    if crossgate and spec.inner is not None:
        CORS(blueprints["inner"], **spec.inner)
    blueprints["outer"].register_blueprint(blueprints["inner"], url_prefix=INNER_PREFIX)
    app.register_blueprint(blueprints["outer"], url_prefix=OUTER_PREFIX)
    return app, hook


def build_app(spec: Spec) -> tuple[Flask, Recorder]:
    """*spec* as a crossgate app, with its recording hook. Raises ConfigError."""
    app, hook = _shape(spec, crossgate=True)
    if spec.app_cors:
        for key, value in spec.config.items():
            app.config[CONFIG_KEYS[key]] = value
        options = dict(spec.constructor)
        if spec.resources is not None:
            options["resources"] = spec.resources
        if spec.init_app:
            CORS(None, **options).init_app(app, **spec.init_app)
        else:
            CORS(app, **options)
    return app, hook


def build_bare(spec: Spec) -> Flask:
    """*spec*'s routes and hook as a plain Flask app: what the app answers without crossgate."""
    return _shape(spec, crossgate=False)[0]


# ---------------------------------------------------------------------------------------------
# The oracle


@dataclass(frozen=True)
class Effective:
    """What the levels that apply to one request allow, by the rules of issue 9."""

    #: The origins of the level that supplies them (the highest one naming ``origins``).
    origins: tuple[object, ...]
    #: That level's options (its permissions are never inherited).
    supplier: Mapping[str, object]
    credentials: bool

    @property
    def literal_any(self) -> bool:
        """``origins='*'``: the answer is a static ``*``."""
        return "*" in self.origins

    @property
    def admits_any(self) -> bool:
        """Origins that admit any origin: ``'*'`` or a regex matching any host of a scheme."""
        return self.literal_any or any(
            _REGEX_BY_ID[id(item)].any_host for item in self.origins if isinstance(item, re.Pattern)
        )

    def permits(self, name: str) -> bool:
        """Whether the supplying level itself grants the permission *name*."""
        return self.supplier.get(name) is True

    def reflects(self, origin: str) -> bool:
        """Whether these origins may answer *origin* with ``ACAO: <origin>``."""
        if origin == "null":
            return "null" in self.origins and self.permits("allow_null_origin")
        for item in self.origins:
            if isinstance(item, re.Pattern):
                entry = _REGEX_BY_ID[id(item)]
                usable = not entry.loose or self.permits("allow_regex_wildcards")
                if usable and item.fullmatch(origin):
                    return True
            elif callable(item):
                try:
                    if item(origin) is True:
                        return True
                except Exception:  # a failing check grants nothing
                    continue
            elif isinstance(item, str) and _pattern_matches(item, origin):
                return True
        return False


_LABELS = r"(?:[a-z0-9_-]+\.)+"


def _pattern_matches(pattern: str, origin: str) -> bool:
    """Exact, subdomain and port-wildcard entries, matched as the README defines them."""
    if pattern in ("*", "null"):
        return False
    if "*." in pattern:
        scheme, _, host = pattern.partition("://*.")
        return (
            re.fullmatch(re.escape(scheme) + "://" + _LABELS + re.escape(host), origin) is not None
        )
    if pattern.endswith(":*"):
        return re.fullmatch(re.escape(pattern[:-2]) + r"(?::[0-9]{1,5})?", origin) is not None
    return origin == pattern


def effective(levels: Iterable[Mapping[str, object]]) -> Effective | None:
    """Combine *levels* (lowest first) by the rules; None when no level names origins."""
    chain = list(levels)
    supplier_index = None
    for index, level in enumerate(chain):
        if level.get("origins") is not None:
            supplier_index = index
    if supplier_index is None:
        return None
    supplier = chain[supplier_index]
    raw = supplier["origins"]
    if isinstance(raw, (str, re.Pattern)) or callable(raw):
        origins: tuple[object, ...] = (raw,)
    else:
        assert isinstance(raw, Iterable)
        origins = tuple(raw)
    partial = Effective(origins, supplier, credentials=False)
    # Credentials are inherited, but not into origins that admit anyone: there only a level at
    # or above the supplier can name them.
    start = supplier_index if partial.admits_any else 0
    credentials = False
    for level in chain[start:]:
        if "supports_credentials" in level:
            credentials = level["supports_credentials"] is True
    return Effective(origins, supplier, credentials)


def is_insecure(origin: str) -> bool:
    """A plain-http origin that is not the local machine."""
    host = urlsplit(origin).hostname or ""
    return origin.startswith("http://") and host not in ("localhost", "127.0.0.1", "[::1]")


@dataclass(frozen=True)
class Found:
    """Where Werkzeug sends a request: the route's endpoint and the path it serves (built back
    from the rule and the request's values)."""

    endpoint: str
    path: str


def _follow(adapter: Any, path: str, method: str | None) -> Found | None:
    """Werkzeug's match for *method* (None: by path alone, whatever the method), following its
    redirects; None when no route matches."""
    methods = [method] if method is not None else ["OPTIONS", "GET"]
    for _ in range(5):
        try:
            rule, args = adapter.match(path, method=methods[0], return_rule=True)
        except RequestRedirect as redirect:
            target = unquote(urlsplit(redirect.new_url).path)
            path = target[len(adapter.script_name.rstrip("/")) :]
            continue
        except MethodNotAllowed as refused:
            others = sorted(set(refused.valid_methods or ()) - set(methods))
            if not others:
                return None
            methods = others
            continue
        except HTTPException:
            return None
        # The path the route serves, however the request spelt it (//api/x is /api/x).
        built = rule.build(args, append_unknown=False)
        return Found(rule.endpoint, built[1] if built is not None else path)
    return None


class Oracle:
    """The levels that apply to a request to an app built from *spec*, found with Werkzeug."""

    def __init__(self, spec: Spec, bare: Flask) -> None:
        self.spec = spec
        self.bare = bare

    def adapter(self, environ: WSGIEnvironment) -> Any:
        return self.bare.create_url_adapter(self.bare.request_class(environ))

    def route(self, environ: WSGIEnvironment, method: str | None) -> Found | None:
        """The route a request reaches with *method* (None: by path alone)."""
        try:
            adapter = self.adapter(environ)
        except HTTPException:
            return None
        return _follow(adapter, adapter.path_info, method)

    def _resource(self, path: str) -> Options | None:
        rules = self.spec.resources
        if rules is None:
            return None
        if path in rules:
            return rules[path]
        best: tuple[int, Options] | None = None
        for pattern, options in rules.items():
            if pattern.endswith("/*"):
                prefix = pattern[:-2]
                covered = path == prefix or path.startswith(prefix + "/") or not prefix
                if covered and (best is None or len(prefix) > best[0]):
                    best = len(prefix), options
        return None if best is None else best[1]

    def chain(
        self, endpoint: str | None, path: str, blueprints: Iterable[str] = ()
    ) -> list[Options]:
        """The levels, lowest first, of a request for *endpoint* serving *path*."""
        spec = self.spec
        levels: list[Options] = []
        upper: list[Options] = []
        scopes = list(blueprints)
        if endpoint is not None and endpoint.startswith("outer."):
            scopes = ["outer"] + (["inner"] if endpoint.startswith("outer.inner.") else [])
        for name in scopes:
            options = spec.outer if name == "outer" else spec.inner
            if options is not None:
                upper.append(options)
        if endpoint is not None and endpoint in spec.views:
            upper.append(spec.views[endpoint])
        if spec.app_cors:
            if spec.resources is None:
                levels.append(spec.app_level)
            else:
                rule = self._resource(path)
                if rule is not None:
                    levels += [spec.app_level, rule]
                elif upper:
                    levels.append(spec.app_level)
        return levels + upper

    def candidates(self, environ: WSGIEnvironment, method: str | None) -> list[Effective | None]:
        """Every policy that may rightly apply to the request (one when Flask routes it)."""
        found = self.route(environ, method)
        if found is not None:
            return [effective(self.chain(found.endpoint, found.path))]
        path = environ.get("PATH_INFO", "")
        options: list[Effective | None] = [None, effective(self.chain(None, path))]
        by_path = self.route(environ, None)
        if by_path is not None:
            options.append(effective(self.chain(by_path.endpoint, by_path.path)))
        for scopes in (["outer"], ["outer", "inner"]):
            options.append(effective(self.chain(None, path, scopes)))
        return options


def make_environ(
    path: str,
    method: str,
    headers: Mapping[str, str],
    *,
    host: str = MAIN_HOST,
) -> WSGIEnvironment:
    """A WSGI environ as a server would pass it: *path* is ``PATH_INFO`` as is (latin-1 text),
    header values are given raw (CR/LF included)."""
    environ: WSGIEnvironment = EnvironBuilder(path="/", method=method).get_environ()
    environ["PATH_INFO"] = path
    environ["HTTP_HOST"] = host
    environ["SERVER_NAME"] = host
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


@dataclass
class Answer:
    """A response as the WSGI server received it."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def get_all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def get(self, name: str) -> str | None:
        found = self.get_all(name)
        return found[0] if found else None


def call_wsgi(app: Any, environ: WSGIEnvironment) -> Answer:
    """Call *app* as a WSGI server would; any exception escapes to the caller."""
    captured: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured[:] = [status, headers]
        return lambda data: None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status, headers = captured
    return Answer(int(status.split(" ", 1)[0]), list(headers), body)
