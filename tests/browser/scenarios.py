"""Raw servers that send whatever headers a scenario says, and the scenarios themselves.

No CORS library answers here: each scenario spells out the preflight answer and the response
of every hop, mistakes included (two ``Access-Control-Allow-Origin`` values, a trailing slash,
``*`` with credentials, ``True``, a preflight answered 301 or 403...). Every engine runs every
scenario; the test then holds the engine, the browser model (with that engine's profile) and the
console line to one outcome.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["LATER_SCENARIOS", "SCENARIOS", "Answer", "Hop", "RawApi", "Scenario"]

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Answer:
    """A status and header lines; ``{origin}`` is the request's ``Origin``, ``{next}`` the next
    hop's URL, ``{page}`` the page's origin."""

    status: int = 200
    headers: Headers = ()


@dataclass(frozen=True, slots=True)
class Hop:
    """One URL of a scenario: which server, what it answers to a preflight and to the request."""

    response: Answer
    preflight: Answer = Answer(404)
    server: str = "api"


@dataclass(frozen=True, slots=True)
class Scenario:
    """One ``fetch()`` from a page to the first hop, and everything the servers answer."""

    id: str
    hops: tuple[Hop, ...]
    method: str = "GET"
    headers: Headers = ()
    credentials: bool = False
    body: str | None = None
    read: str | None = None
    sandboxed: bool = False
    repeat: int = 1
    why: str = field(default="", compare=False)


def ACAO(value: str = "{origin}") -> tuple[str, str]:
    return ("Access-Control-Allow-Origin", value)


def ACAC(value: str = "true") -> tuple[str, str]:
    return ("Access-Control-Allow-Credentials", value)


def ACAM(value: str) -> tuple[str, str]:
    return ("Access-Control-Allow-Methods", value)


def ACAH(value: str) -> tuple[str, str]:
    return ("Access-Control-Allow-Headers", value)


def MAX_AGE(value: str) -> tuple[str, str]:
    return ("Access-Control-Max-Age", value)


TEXT = ("Content-Type", "text/plain")
ECHO = (ACAO(),)
ECHO_CRED = (ACAO(), ACAC())
STAR = (ACAO("*"),)
JSON = (("Content-Type", "application/json"),)
CUSTOM = (("X-Custom", "1"),)
BEARER = (("Authorization", "Bearer t0k3n"),)


def simple(*headers: tuple[str, str], status: int = 200, **options: object) -> tuple[Hop, ...]:
    """One hop answering the request with *headers*."""
    return (Hop(Answer(status, (*headers, TEXT)), **options),)  # type: ignore[arg-type]


def preflighted(
    preflight: Iterable[tuple[str, str]],
    response: Iterable[tuple[str, str]] = ECHO,
    *,
    status: int = 204,
) -> tuple[Hop, ...]:
    """One hop answering the preflight (with *status*) and then the request."""
    return (Hop(Answer(200, (*response, TEXT)), Answer(status, tuple(preflight))),)


def redirect(
    first: Iterable[tuple[str, str]],
    then: Hop,
    *,
    status: int = 302,
    first_preflight: Answer = Answer(404),
) -> tuple[Hop, ...]:
    """A redirect (with *first*'s headers) to a second hop."""
    hop = Hop(Answer(status, (*first, ("Location", "{next}"))), first_preflight)
    return (hop, then)


def _s(id: str, hops: tuple[Hop, ...], **options: object) -> Scenario:
    return Scenario(id, hops, **options)  # type: ignore[arg-type]


PUT = {"method": "PUT", "headers": JSON, "body": "{}"}
CRED = {"credentials": True}
OK_PREFLIGHT = (ACAO(), ACAM("PUT, PATCH, DELETE"), ACAH("content-type, x-custom"))
OK_PREFLIGHT_CRED = (*OK_PREFLIGHT, ACAC())
LONG = "a" * 129

SCENARIOS: list[Scenario] = [
    # The CORS check on a simple GET.
    _s("no-acao", simple()),
    _s("acao-star", simple(ACAO("*"))),
    _s("acao-echo", simple(ACAO())),
    _s("acao-two-lines", simple(ACAO(), ACAO())),
    _s("acao-two-values", simple(ACAO("{origin}, http://other.example"))),
    _s("acao-star-and-echo", simple(ACAO("*"), ACAO())),
    _s("acao-trailing-slash", simple(ACAO("{origin}/"))),
    _s("acao-other-origin", simple(ACAO("http://other.example"))),
    _s("acao-null", simple(ACAO("null"))),
    _s("acao-not-a-url", simple(ACAO("not a url"))),
    _s("acao-uppercase", simple(ACAO("{ORIGIN}"))),
    _s("acao-padded", simple(ACAO(" {origin} "))),
    _s("acao-empty", simple(ACAO(""))),
    _s("acao-star-quoted", simple(ACAO('"*"'))),
    _s("status-500-no-cors", simple(status=500)),
    _s("status-404-with-cors", simple(ACAO(), status=404)),
    _s("status-500-with-cors", simple(ACAO("*"), status=500)),
    # Credentials.
    _s("cred-star", simple(ACAO("*"), ACAC()), **CRED),
    _s("cred-echo-no-acac", simple(ACAO()), **CRED),
    _s("cred-acac-capital-true", simple(ACAO(), ACAC("True")), **CRED),
    _s("cred-acac-one", simple(ACAO(), ACAC("1")), **CRED),
    _s("cred-acac-true", simple(ACAO(), ACAC()), **CRED),
    _s("cred-acac-two-lines", simple(ACAO(), ACAC(), ACAC()), **CRED),
    _s("cred-no-acao", simple(ACAC()), **CRED),
    _s("nocred-acac-false", simple(ACAO(), ACAC("false"))),
    # Which response headers the page reads.
    _s(
        "expose-listed",
        simple(ACAO(), ("X-Foo", "1"), ("Access-Control-Expose-Headers", "X-Foo")),
        read="X-Foo",
    ),
    _s("expose-missing", simple(ACAO(), ("X-Foo", "1")), read="X-Foo"),
    _s(
        "expose-star",
        simple(ACAO(), ("X-Foo", "1"), ("Access-Control-Expose-Headers", "*")),
        read="X-Foo",
    ),
    _s(
        "expose-star-cred",
        simple(ACAO(), ACAC(), ("X-Foo", "1"), ("Access-Control-Expose-Headers", "*")),
        read="X-Foo",
        **CRED,
    ),
    _s("expose-safelisted", simple(ACAO(), ("Content-Language", "en")), read="Content-Language"),
    _s(
        "expose-bad-list",
        simple(ACAO(), ("X-Foo", "1"), ("Access-Control-Expose-Headers", "X-Foo;")),
        read="X-Foo",
    ),
    # Simple POSTs.
    _s(
        "post-text",
        simple(ACAO()),
        method="POST",
        headers=(("Content-Type", "text/plain"),),
        body="hi",
    ),
    _s(
        "post-form",
        simple(ACAO()),
        method="POST",
        headers=(("Content-Type", "application/x-www-form-urlencoded"),),
        body="a=1",
    ),
    _s(
        "post-multipart",
        simple(ACAO()),
        method="POST",
        headers=(("Content-Type", "multipart/form-data; boundary=x"),),
        body="--x--",
    ),
    _s(
        "post-text-no-acao",
        simple(),
        method="POST",
        headers=(("Content-Type", "text/plain"),),
        body="hi",
    ),
    # Preflights: status, redirects, CORS headers.
    _s("put-204", preflighted(OK_PREFLIGHT), **PUT),
    _s("put-200", preflighted(OK_PREFLIGHT, status=200), **PUT),
    _s("preflight-403", preflighted(OK_PREFLIGHT, status=403), **PUT),
    _s("preflight-403-bare", preflighted((), status=403), **PUT),
    _s(
        "preflight-301", preflighted((*OK_PREFLIGHT, ("Location", "/elsewhere")), status=301), **PUT
    ),
    _s(
        "preflight-302", preflighted((*OK_PREFLIGHT, ("Location", "/elsewhere")), status=302), **PUT
    ),
    _s("preflight-307-no-cors", preflighted((("Location", "/elsewhere"),), status=307), **PUT),
    _s("preflight-500", preflighted(OK_PREFLIGHT, status=500), **PUT),
    _s("preflight-no-acao", preflighted((ACAM("PUT"), ACAH("content-type"))), **PUT),
    _s(
        "preflight-acao-mismatch",
        preflighted((ACAO("http://other.example"), ACAM("PUT"), ACAH("content-type"))),
        **PUT,
    ),
    _s(
        "preflight-two-acao",
        preflighted((ACAO(), ACAO(), ACAM("PUT"), ACAH("content-type"))),
        **PUT,
    ),
    _s("method-not-listed", preflighted((ACAO(), ACAM("GET, POST"), ACAH("content-type"))), **PUT),
    _s("method-lowercase-listed", preflighted((ACAO(), ACAM("put"), ACAH("content-type"))), **PUT),
    _s("method-star", preflighted((ACAO(), ACAM("*"), ACAH("content-type"))), **PUT),
    _s(
        "method-star-cred",
        preflighted((*ECHO_CRED, ACAM("*"), ACAH("content-type")), ECHO_CRED),
        **PUT,
        **CRED,
    ),
    _s(
        "method-star-cred-listed",
        preflighted((*ECHO_CRED, ACAM("*, PUT"), ACAH("content-type")), ECHO_CRED),
        **PUT,
        **CRED,
    ),
    _s("method-unparsable", preflighted((ACAO(), ACAM("PUT DELETE"), ACAH("content-type"))), **PUT),
    _s("method-empty-items", preflighted((ACAO(), ACAM("PUT,,GET"), ACAH("content-type"))), **PUT),
    _s("delete-no-acam", preflighted((ACAO(),)), method="DELETE"),
    _s("delete-listed", preflighted((ACAO(), ACAM("DELETE"))), method="DELETE"),
    _s("lowercase-delete", preflighted((ACAO(), ACAM("DELETE"))), method="delete"),
    _s("lowercase-patch-upper-listed", preflighted((ACAO(), ACAM("PATCH"))), method="patch"),
    _s("lowercase-patch-lower-listed", preflighted((ACAO(), ACAM("patch"))), method="patch"),
    _s("uppercase-patch", preflighted((ACAO(), ACAM("PATCH"))), method="PATCH"),
    _s(
        "lowercase-post-simple",
        simple(ACAO()),
        method="post",
        headers=(("Content-Type", "text/plain"),),
        body="x",
    ),
    _s("header-not-listed", preflighted((ACAO(), ACAM("PUT"))), **PUT),
    _s("header-listed-uppercase", preflighted((ACAO(), ACAH("X-CUSTOM"))), headers=CUSTOM),
    _s("header-star", preflighted((ACAO(), ACAH("*"))), headers=CUSTOM),
    _s("header-star-cred", preflighted((*ECHO_CRED, ACAH("*")), ECHO_CRED), headers=CUSTOM, **CRED),
    _s("header-star-authorization", preflighted((ACAO(), ACAH("*"))), headers=BEARER),
    _s(
        "header-star-and-authorization",
        preflighted((ACAO(), ACAH("*, Authorization"))),
        headers=BEARER,
    ),
    _s(
        "header-authorization-listed-cred",
        preflighted((*ECHO_CRED, ACAH("authorization")), ECHO_CRED),
        headers=BEARER,
        **CRED,
    ),
    _s("header-unparsable", preflighted((ACAO(), ACAH("x-custom; x-other"))), headers=CUSTOM),
    _s("preflight-ok-response-no-acao", preflighted(OK_PREFLIGHT, ()), **PUT),
    _s(
        "preflight-ok-response-mismatch",
        preflighted(OK_PREFLIGHT, (ACAO("http://other.example"),)),
        **PUT,
    ),
    _s("cred-preflight-ok", preflighted(OK_PREFLIGHT_CRED, ECHO_CRED), **PUT, **CRED),
    _s("cred-preflight-no-acac", preflighted(OK_PREFLIGHT, ECHO_CRED), **PUT, **CRED),
    _s(
        "cred-preflight-star",
        preflighted((ACAO("*"), ACAC(), ACAM("PUT"), ACAH("content-type")), ECHO_CRED),
        **PUT,
        **CRED,
    ),
    # Which request headers need a preflight (the servers answer no preflight: 404, no CORS).
    _s("json-no-preflight-answer", simple(ACAO()), **PUT),
    _s("accept-128", simple(ACAO()), headers=(("Accept", "a" * 128),)),
    _s("accept-129", simple(ACAO()), headers=(("Accept", LONG),)),
    _s("accept-unsafe-byte", simple(ACAO()), headers=(("Accept", "text/(x)"),)),
    _s("language-unsafe", simple(ACAO()), headers=(("Content-Language", "en/us"),)),
    _s(
        "safelisted-over-1024",
        simple(ACAO()),
        headers=tuple(
            (name, "a" * 128) for name in ("Accept", "Accept-Language", "Content-Language")
        )
        + (("Accept", "b" * 128),) * 6,
    ),
    _s("range-simple", simple(ACAO()), headers=(("Range", "bytes=0-1"),)),
    _s("range-two", simple(ACAO()), headers=(("Range", "bytes=0-1,3-4"),)),
    _s("user-agent", simple(ACAO()), headers=(("User-Agent", "crossgate-test"),)),
    _s("client-hint-dpr", simple(ACAO()), headers=(("DPR", "2"),)),
    _s("client-hint-save-data", simple(ACAO()), headers=(("Save-Data", "on"),)),
    _s("client-hint-ect", simple(ACAO()), headers=(("ECT", "4g"),)),
    _s("client-hint-width", simple(ACAO()), headers=(("Width", "100"),)),
    _s("client-hint-device-memory", simple(ACAO()), headers=(("Device-Memory", "8"),)),
    _s("client-hint-rtt", simple(ACAO()), headers=(("RTT", "50"),)),
    _s("client-hint-dpr-bad", simple(ACAO()), headers=(("DPR", "two"),)),
    _s(
        "two-text-plain",
        simple(ACAO()),
        method="POST",
        headers=(("Content-Type", "text/plain"), ("Content-Type", "text/plain")),
        body="x",
    ),
    _s("cookie-dropped", simple(ACAO()), headers=(("Cookie", "a=b"),)),
    _s("method-override-trace", simple(ACAO()), headers=(("X-HTTP-Method-Override", "TRACE"),)),
    # Redirects: every hop is checked; a cross-origin hop makes the origin null.
    _s("redirect-same-server-cors", redirect(ECHO, Hop(Answer(200, ECHO)))),
    _s("redirect-hop-no-cors", redirect((), Hop(Answer(200, ECHO)))),
    _s("redirect-cross-echo", redirect(ECHO, Hop(Answer(200, ECHO), server="api2"))),
    _s("redirect-cross-star", redirect(ECHO, Hop(Answer(200, STAR), server="api2"))),
    _s(
        "redirect-cross-page-origin",
        redirect(ECHO, Hop(Answer(200, (ACAO("{page}"),)), server="api2")),
    ),
    _s("redirect-cross-no-cors", redirect(ECHO, Hop(Answer(200), server="api2"))),
    _s(
        "redirect-cross-twice",
        (
            *redirect(ECHO, Hop(Answer(302, (*ECHO, ("Location", "{next}"))), server="api2")),
            Hop(Answer(200, ECHO)),
        ),
    ),
    _s(
        "redirect-307-put",
        redirect(
            OK_PREFLIGHT,
            Hop(Answer(200, ECHO), Answer(204, OK_PREFLIGHT)),
            status=307,
            first_preflight=Answer(204, OK_PREFLIGHT),
        ),
        **PUT,
    ),
    _s(
        "redirect-307-put-second-preflight-fails",
        redirect(
            OK_PREFLIGHT,
            Hop(Answer(200, ECHO), Answer(204, ECHO)),
            status=307,
            first_preflight=Answer(204, OK_PREFLIGHT),
        ),
        **PUT,
    ),
    _s(
        "redirect-303-post-json",
        redirect(
            OK_PREFLIGHT,
            Hop(Answer(200, ECHO)),
            status=303,
            first_preflight=Answer(204, OK_PREFLIGHT),
        ),
        method="POST",
        headers=JSON,
        body="{}",
    ),
    _s(
        "redirect-cross-cred",
        redirect(ECHO_CRED, Hop(Answer(200, ECHO_CRED), server="api2")),
        **CRED,
    ),
    _s(
        "redirect-cross-cred-null-acao",
        redirect(ECHO_CRED, Hop(Answer(200, (ACAO("null"), ACAC())), server="api2")),
        **CRED,
    ),
    _s(
        "redirect-cross-authorization",
        redirect(
            (*ECHO, ACAH("authorization")),
            Hop(Answer(200, ECHO), server="api2"),
            first_preflight=Answer(204, (ACAO(), ACAH("authorization"))),
        ),
        headers=BEARER,
    ),
    # Sandboxed iframes send Origin: null.
    _s("sandbox-star", simple(ACAO("*")), sandboxed=True),
    _s("sandbox-null", simple(ACAO("null")), sandboxed=True),
    _s("sandbox-page-origin", simple(ACAO("{page}")), sandboxed=True),
    _s("sandbox-no-acao", simple(), sandboxed=True),
    _s("sandbox-cred-null", simple(ACAO("null"), ACAC()), sandboxed=True, **CRED),
    _s(
        "sandbox-put-null",
        preflighted((ACAO("null"), ACAM("PUT"), ACAH("content-type")), (ACAO("null"),)),
        sandboxed=True,
        **PUT,
    ),
    _s(
        "redirect-303-delete",
        redirect(
            ECHO,
            Hop(Answer(200, ECHO)),
            status=303,
            first_preflight=Answer(204, (ACAO(), ACAM("DELETE"))),
        ),
        method="DELETE",
    ),
    # The preflight cache: a second identical fetch right away. Last, because Firefox forgets
    # the next entry it stores after one it did not cache.
    _s("cache-max-age-600", preflighted((*OK_PREFLIGHT, MAX_AGE("600"))), repeat=2, **PUT),
    _s("cache-no-max-age", preflighted(OK_PREFLIGHT), repeat=2, **PUT),
    _s("cache-max-age-20-digits", preflighted((*OK_PREFLIGHT, MAX_AGE("9" * 20))), repeat=2, **PUT),
    _s("cache-max-age-abc", preflighted((*OK_PREFLIGHT, MAX_AGE("abc"))), repeat=2, **PUT),
    _s("cache-max-age-0", preflighted((*OK_PREFLIGHT, MAX_AGE("0"))), repeat=2, **PUT),
    _s("cache-max-age-negative", preflighted((*OK_PREFLIGHT, MAX_AGE("-1"))), repeat=2, **PUT),
]

#: Fetched twice, six seconds apart: is the preflight still cached? (Firefox's odd "forgets
#: the next entry" is why the uncached "abc" comes last.)
LATER_SCENARIOS: list[Scenario] = [
    _s(f"later-{name}", preflighted((*OK_PREFLIGHT, *((MAX_AGE(value),) if value else ()))), **PUT)
    for name, value in (("600", "600"), ("none", ""), ("20-digits", "9" * 20), ("abc", "abc"))
]


class RawApi:
    """A WSGI app answering ``/s/<scenario>/<hop>`` exactly as the scenario says."""

    def __init__(self, name: str, bases: dict[str, str]) -> None:
        self.name = name
        # The base URL of each server, filled in once they all listen.
        self.bases = bases
        self._hops = {scenario.id: scenario.hops for scenario in (*SCENARIOS, *LATER_SCENARIOS)}

    def url(self, scenario: str, hop: int, query: str) -> str:
        server = self._hops[scenario][hop].server
        return f"{self.bases[server]}/s/{scenario}/{hop}?{query}"

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
        parts = environ.get("PATH_INFO", "").split("/")
        origin = environ.get("HTTP_ORIGIN", "")
        query = environ.get("QUERY_STRING", "")
        page = parse_qs(query).get("page", [""])[0]
        if len(parts) != 4 or parts[2] not in self._hops:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            yield b"no such scenario"
            return
        scenario, index = parts[2], int(parts[3])
        hop = self._hops[scenario][index]
        is_preflight = environ["REQUEST_METHOD"] == "OPTIONS" and (
            "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ
        )
        answer = hop.preflight if is_preflight else hop.response
        following = (
            self.url(scenario, index + 1, query) if index + 1 < len(self._hops[scenario]) else ""
        )
        headers = [
            (
                name,
                value.replace("{origin}", origin)
                .replace("{ORIGIN}", origin.upper())
                .replace("{next}", following)
                .replace("{page}", page),
            )
            for name, value in answer.headers
        ]
        start_response(f"{answer.status} Scenario", headers)
        yield f"{scenario} {index} {environ['REQUEST_METHOD']}".encode()
