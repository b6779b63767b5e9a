"""The Fetch standard's tables that both sides of CORS need.

The server core uses them to refuse options that can never work (a forbidden method, a header a
page cannot set) and to answer preflights; the browser model uses them to decide what a page
may send and read. They live here so the server core never imports the browser model.
"""

from __future__ import annotations

#: The CORS response headers ("HTTP responses" of the CORS protocol), as crossgate writes them.
ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"
ACEH = "Access-Control-Expose-Headers"
ACMA = "Access-Control-Max-Age"
ACAPN = "Access-Control-Allow-Private-Network"

#: Methods ``fetch()`` upper-cases whatever the page wrote ("normalize a method").
NORMALIZED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})
#: Methods that never need a preflight ("CORS-safelisted method").
SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})
#: Methods a page can never use ("forbidden method").
FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})
#: Header names a page can never set ("forbidden request-header"; also ``Proxy-*``, ``Sec-*``).
FORBIDDEN_REQUEST_HEADERS = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
    }
)
#: Response headers every page may read ("CORS-safelisted response-header name").
SAFELISTED_RESPONSE_HEADERS = frozenset(
    {
        "cache-control",
        "content-language",
        "content-length",
        "content-type",
        "expires",
        "last-modified",
        "pragma",
    }
)


def is_forbidden_header_name(lowered: str) -> bool:
    """Whether a page can never set the header *lowered* (a lower-case name), whatever its
    value: the forbidden list, and every ``Proxy-`` and ``Sec-`` name."""
    return lowered in FORBIDDEN_REQUEST_HEADERS or lowered.startswith(("proxy-", "sec-"))
