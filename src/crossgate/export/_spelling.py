"""Which request paths the proxy may decide on: the spellings nginx, Caddy and the app read alike.

nginx picks a location on ``$uri``: the path percent-decoded, ``.`` and ``..`` segments
resolved, ``//`` merged. Caddy's ``path_regexp`` matches the decoded path cleaned the same way.
The app routes the path its server decoded (gunicorn's ``PATH_INFO``, uvicorn's ``path``) with
no dot segment resolved and no slash merged. ``/admin/x%2F..%2F..%2Fpublic%2Fy`` is
``/public/y`` to the proxy and a value under ``/admin/`` to the app: a policy chosen on the
proxy's reading would be another route's.

The proxy reads the three alike when the raw request target (nginx ``$request_uri``, Caddy
``{http.request.orig_uri}``: the text the client sent, before any decoding) is ``SPELLED``:

- a path starting with ``/``, made of the characters Werkzeug writes back as they are
  (letters, digits and ``_.~!$&'()*+,:=@-``), minus ``;``;
- no ``%`` at all: decoding leaves such a path as it is, so every reading is the same text;
- no empty segment (``//``) and no ``.`` or ``..`` segment, so nothing is merged or resolved;
- then anything after ``?`` (neither proxy nor app routes on the query).

Every other request goes to the app untouched: the proxy answers no preflight and adds no
header, and the app's own headers reach the client as the app wrote them (with crossgate in
the app, its answer; without, no CORS header at all: the browser refuses, which is closed).

What the rule gives up, on purpose: a ``%XX`` that decodes alike everywhere (``%20``, a
non-ASCII character, an encoded letter) is decided by the app. The Flask export already leaves
such values to the app (a value with a character Werkzeug encodes is not canonical), browsers
never encode a letter, a digit or ``/``, and proving each encoding for two proxies and two
servers buys nothing the app does not already answer. ``;`` reads alike in nginx, Caddy,
gunicorn and uvicorn, but a server or proxy between them may take it for a path parameter
(Tomcat, Jetty, older proxies): left to the app too.
"""

from __future__ import annotations

# Werkzeug's safe characters without ';' and '.', as a class for PCRE and RE2 alike.
_PLAIN = "A-Za-z0-9_~!$&'()*+,:=@"
_ANY = f"[{_PLAIN}.-]"
_NO_DOT = f"[{_PLAIN}-]"
# A segment that is not '.' or '..' (RE2 has no lookahead): one character not a dot, two
# characters not both dots, or three and more of any.
_SEGMENT = f"(?:{_NO_DOT}{_ANY}?|\\.{_NO_DOT}|{_ANY}{_ANY}{_ANY}+)"

#: The raw request targets (path and query, as sent) the proxy decides on, anchored; the same
#: text is a PCRE and an RE2 regex.
SPELLED = f"^/(?:{_SEGMENT}(?:/{_SEGMENT})*/?)?(?:\\?.*)?$"

#: The plan's map holding 1 for a request the proxy decides; its variable (nginx) or
#: placeholder name (Caddy) in the configuration.
MAP = "spelled"
VARIABLE = f"crossgate_{MAP}"
_NAMED = "@crossgate_respelled"
# nginx: the status a server-level return jumps with (error_page); never sent to a client.
_JUMP = 418


def nginx_gate(upstream: str, indent: str) -> list[str]:
    """The ``server`` block's lines sending every request not ``SPELLED`` to the app untouched,
    before nginx picks a location (server rewrite phase); $crossgate_spelled is a map of
    ``$request_uri`` on ``SPELLED``."""
    return [
        f"{indent}# A path nginx may read otherwise than the app (%-encoded, //, . or ..): to",
        f"{indent}# the app untouched, before a location is chosen (docs/deployment.md).",
        f"{indent}error_page {_JUMP} = {_NAMED};",
        f"{indent}if (${VARIABLE} = 0) {{ return {_JUMP}; }}",
        f"{indent}location {_NAMED} {{",
        f"{indent * 2}proxy_pass {upstream};",
        f"{indent}}}",
    ]


def caddy_gate(upstream: str, indent: str) -> list[str]:
    """The site's first ``handle``: every request not ``SPELLED`` to the app untouched;
    {crossgate_spelled} is a map of ``{http.request.orig_uri}`` on ``SPELLED``."""
    return [
        "# A path Caddy may read otherwise than the app (%-encoded, //, . or ..): to the app",
        "# untouched, before any location (docs/deployment.md).",
        f"{_NAMED} vars {{{VARIABLE}}} 0",
        f"handle {_NAMED} {{",
        f"{indent}reverse_proxy {upstream}",
        "}",
    ]
