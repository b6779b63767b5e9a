"""An app whose route paths and header values try to inject configuration into the export:
a newline ending the comment above a location, then directives of each proxy's language;
placeholders, variables, quotes, braces, backslashes, ``;``, ``#`` and non-ASCII in a header
value. Served by gunicorn behind the exported nginx, Caddy and HAProxy in
test_export_escaping."""

from __future__ import annotations

from flask import Flask

from crossgate.flask import CORS, Headers

ORIGIN = "https://app.example.com"
#: Each ends the ``# ...`` comment the writers put above a location, then opens one of its own.
NGINX_INJECTION = '/n\n}\nlocation /owned { return 200 "owned"; }\nlocation /x {\n#'
CADDY_INJECTION = "/c\n}\nhandle /owned {\n\trespond owned 200\n}\nhandle /x {\n#"
HAPROXY_INJECTION = "/h'\n    http-request return status 200 string owned if { path /owned }\n#"
#: Everything a configuration language may read as syntax or expand.
LITERAL = (
    "{http.request.header.Cookie} {http.request.uri} $http_cookie ${crossgate_dollar} $1 $$ "
    '"quoted" \\ \\" \\{x\\} ; # caf\u00e9 {} it\'s %[req.hdr(cookie)] %% %{+Q}o ${HOME} \\'
)
#: A backtick (Caddy then writes a quoted token) with quotes and placeholders.
TICK = '`{http.request.header.Cookie}` "$http_cookie" \\n'
QUOTED_PATH = '/q"uo;te#$x\\y{a}`b'

app = Flask(__name__)


@app.get(NGINX_INJECTION)
def nginx_injection() -> str:
    return "n"


@app.get(CADDY_INJECTION)
def caddy_injection() -> str:
    return "c"


@app.get(HAPROXY_INJECTION)
def haproxy_injection() -> str:
    return "h"


@app.get(QUOTED_PATH)
def quoted() -> str:
    return "quoted"


@app.get("/caf\u00e9/<name>")
def cafe(name: str) -> str:
    return name


@app.get("/plain")
def plain() -> str:
    return "plain"


CORS(app, origins=[ORIGIN], expose_headers=["X-Literal"])
Headers(app, headers={"X-Literal": LITERAL, "X-Tick": TICK})
