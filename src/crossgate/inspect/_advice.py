"""What each class of ``crossgate audit`` finding gives an attacker, and its fix: worded in
crossgate's options when the server is crossgate, generic otherwise."""

from __future__ import annotations

_MATCHING = (
    "write exact origins, origins=['https://app.example.com'], or a real subdomain pattern, "
    "'https://*.example.com'; crossgate refuses a regex that admits other domains unless "
    "allow_regex_wildcards=True: remove that and fix the regex"
)
_GENERIC_MATCHING = (
    "parse the Origin and compare scheme, host and port with an exact allow-list; never "
    "startswith/endswith/in, and a regex must be anchored (fullmatch) with its dots escaped"
)
#: class -> (what an attacker gains, the fix with crossgate, the fix elsewhere).
ADVICE = {
    "reflect-any-origin": (
        "any website can read this response in its visitors' browsers",
        "list the origins that may read it, origins=['https://app.example.com']; an origins "
        "callable that returns True, or a catch-all regex, is the usual cause",
        "echo the Origin only when it is in an exact allow-list",
    ),
    "null-origin": (
        "any site can read it from a sandboxed iframe or a data: URL, whose origin is 'null'",
        "remove allow_null_origin=True and 'null' from origins",
        "never allow the origin 'null'",
    ),
    "prefix-match": (
        "anyone who registers a domain that starts with the trusted name can read it",
        _MATCHING,
        _GENERIC_MATCHING,
    ),
    "suffix-match": (
        "anyone who registers a domain that ends with the trusted name can read it",
        _MATCHING,
        _GENERIC_MATCHING,
    ),
    "substring-match": (
        "anyone who registers a domain contained in the trusted name can read it",
        _MATCHING,
        _GENERIC_MATCHING,
    ),
    "unescaped-dot": (
        "anyone who registers the trusted name with a dot replaced by a letter can read it",
        _MATCHING,
        _GENERIC_MATCHING,
    ),
    "special-characters": (
        "an origin with a special character after the trusted host passes the check",
        _MATCHING,
        _GENERIC_MATCHING,
    ),
    "https-trusts-http": (
        "a network attacker (public Wi-Fi) who injects a page into the http site can read "
        "the https responses",
        "remove the http:// origin from origins (and allow_insecure_http_origins=True)",
        "allow only https origins to read an https API",
    ),
    "any-subdomain": (
        "whoever controls any subdomain (a dangling DNS record, user content, an XSS on a "
        "minor site) can read it",
        "replace the subdomain pattern in origins with the subdomains that serve your pages",
        "allow the subdomains that serve your pages, not every subdomain",
    ),
    "third-party-origin": (
        "anyone can publish a page on that site and read this response from it",
        "remove that origin from origins",
        "do not trust origins where other people publish pages",
    ),
    "vary-origin-missing": (
        "a shared cache (CDN, proxy) that stores this answer serves one origin's permission, "
        "and with credentials one user's data, to every other request for the URL; other "
        "trusted pages break meanwhile",
        "crossgate adds Vary: Origin to every response whose CORS headers depend on Origin: "
        "something after it (a proxy, a CDN rule, a middleware) removes it; keep it there",
        "send Vary: Origin on every response whose Access-Control-Allow-Origin depends on the "
        "request's Origin",
    ),
    "preflight-any-method": (
        "the attacker's page may also send any method (PUT, DELETE...) with the user's "
        "cookies: it can change data, not only read it",
        "methods=['GET', 'POST'] lists what pages may send",
        "answer a preflight with a fixed list of methods, never the one asked for",
    ),
    "preflight-any-header": (
        "the attacker's page may also send any request header (Authorization, X-CSRF-Token...)",
        "allow_headers=['Content-Type'] lists what pages may send",
        "answer a preflight with a fixed list of headers, never the ones asked for",
    ),
    "write-without-read": (
        "its page may send this URL requests a form cannot (a DELETE, a JSON POST) that the "
        "preflight lets through; the browser hides the answer, but the server acts on them",
        "crossgate answers a preflight and the request that follows from the same policy: "
        "something in front of it (a proxy, a hook or a hand-set header) answers this "
        "preflight; let crossgate answer it",
        "answer a preflight with the same origin check as the request itself: allow only the "
        "origins in an exact allow-list, and Access-Control-Allow-Credentials only to them",
    ),
}
