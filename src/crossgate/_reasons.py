"""The catalogue of reasons: why crossgate refused a cross-origin request, and the fix.

Each reason has a stable code (for logs, tests and scripts), a message stating the facts, the fix in
configuration terms, and the text Chromium prints in the console for the answer crossgate gave,
so a user can match what their browser said to what the server decided. Facts taken from the
request are untrusted: they are escaped and truncated before they reach any message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from crossgate.errors import describe


@dataclass(frozen=True, slots=True)
class ReasonSpec:
    """The wording of one reason; templates take the reason's facts as keywords."""

    code: str
    message: str
    fix: str
    #: Sentences added when the reason has the named fact: (fact, after message, before fix).
    extras: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Said:
    """A fact crossgate wrote itself (a level's name, a list of origins): shown as it is, not
    quoted like the request's values, and still escaped (``describe`` escapes any control or
    non-ASCII character of a ``repr``)."""

    text: str

    def __repr__(self) -> str:
        return self.text


_NO_ACAO = "No 'Access-Control-Allow-Origin' header is present on the requested resource."
_PREFLIGHT = "Response to preflight request doesn't pass access control check: "


def chromium_console(*, preflight: bool) -> str:
    """What Chromium prints for a refusal from crossgate (no CORS headers on the answer)."""
    return (_PREFLIGHT + _NO_ACAO) if preflight else _NO_ACAO


_SPECS = (
    ReasonSpec(
        "origin-not-allowed",
        "origin {origin} is not in the allowed origins",
        "if that site should read this response, add {origin} to origins",
        (
            ("level", " of {level}, which decided for this route: {allowed}", " of {level}"),
            ("near", "; it differs from the allowed {near} only in {aspect}", ""),
        ),
    ),
    ReasonSpec(
        "origin-null",
        "origin 'null' (a sandboxed iframe, a file: page or a request after a cross-origin "
        "redirect) is refused",
        "serve the page from a real origin and list it; if any site may read this response, "
        "origins='*' answers 'null' too (without credentials: any site can send Origin: null)",
    ),
    ReasonSpec(
        "origin-malformed",
        "the Origin header {origin} is not a serialized origin (scheme://host[:port])",
        "nothing to change on the server: browsers never send this, so the client is not a browser",
    ),
    ReasonSpec(
        "origin-check-failed",
        "the origins callable {check} did not answer True or False for origin {origin} "
        "(it {error}), so it was refused",
        "make {check} return True or False for every origin; the 'crossgate' log has the details",
    ),
    ReasonSpec(
        "method-invalid",
        "Access-Control-Request-Method {method} is not a single method name",
        "nothing to change on the server: browsers send exactly one method name",
    ),
    ReasonSpec(
        "method-not-allowed",
        "method {method} is not allowed by the CORS policy (allowed: {allowed})",
        "add {method} to methods",
    ),
    ReasonSpec(
        "method-not-routed",
        "the route does not accept method {method} (it accepts: {allowed})",
        "add {method} to the route's methods, e.g. @app.route(..., methods=[...])",
    ),
    ReasonSpec(
        "route-not-covered",
        "no CORS policy covers the route of {path}",
        "cover it: a resources rule in CORS(app, ...), CORS on its blueprint, or "
        "@cross_origin(...) on its view",
    ),
    ReasonSpec(
        "headers-invalid",
        "Access-Control-Request-Headers {headers} is not a list of header names",
        "nothing to change on the server: browsers send lowercase names separated by commas",
    ),
    ReasonSpec(
        "headers-too-large",
        "Access-Control-Request-Headers is {size} bytes, more than the {limit} crossgate reads",
        "send fewer custom headers",
    ),
    ReasonSpec(
        "header-not-allowed",
        "request header {header} is not in allow_headers ({allowed})",
        "add {header} to allow_headers, or leave allow_headers at its default '*'",
    ),
    ReasonSpec(
        "protection-cross-site",
        "a {action} came from another site (Sec-Fetch-Site: {site}, Origin: {origin}) that is "
        "not trusted",
        "if pages of {origin} must send it, add {origin} to trusted_origins (or allow it with "
        "supports_credentials=True in the route's CORS policy); if any site may (a webhook), "
        "add the route's endpoint to exempt",
    ),
    ReasonSpec(
        "protection-origin-not-host",
        "a {action} came from Origin {origin}, which is not the Host {host} it was sent to, "
        "and the origin is not trusted (no Sec-Fetch-Site: an older browser or a proxy that "
        "drops it)",
        "if pages of {origin} must send it, add {origin} to trusted_origins; behind a proxy "
        "that rewrites Host, pass the original Host on (ProxyFix with x_host=1)",
    ),
    ReasonSpec(
        "protection-origin-null",
        "a {action} came with Origin 'null' (a sandboxed iframe, a file: page, a request after "
        "a cross-origin redirect), which any site can send",
        "serve the sending page from a real origin and trust that; 'null' can never be trusted",
    ),
)

#: Every reason crossgate gives, by code. Codes are stable: scripts and log filters use them.
CATALOGUE: Mapping[str, ReasonSpec] = MappingProxyType({spec.code: spec for spec in _SPECS})


@dataclass(frozen=True, slots=True)
class Reason:
    """One refusal: a code from ``CATALOGUE`` and the facts that fill its templates.

    Wording is formatted only when asked for, so a refusal costs nothing when nobody reads it.
    """

    code: str
    facts: tuple[tuple[str, object], ...] = ()
    preflight: bool = False

    def _fill(self, template: str) -> str:
        return template.format(**{name: describe(value) for name, value in self.facts})

    @property
    def message(self) -> str:
        """What happened, with the (escaped) facts."""
        spec = CATALOGUE[self.code]
        return self._fill(spec.message + "".join(self._extras(spec, 1)))

    @property
    def fix(self) -> str:
        """What to change, in configuration terms."""
        spec = CATALOGUE[self.code]
        fix = self._fill(spec.fix + "".join(self._extras(spec, 2)))
        if any(name == "near" for name, _ in self.facts):
            fix = self._fill("if the page is meant to be {near}, open it from there; ") + fix
        return fix

    def _extras(self, spec: ReasonSpec, part: int) -> list[str]:
        named = {name for name, _ in self.facts}
        return [extra[part] for extra in spec.extras if extra[0] in named]

    @property
    def chromium(self) -> str:
        """The text Chromium's console shows for crossgate's answer."""
        return chromium_console(preflight=self.preflight)

    def __str__(self) -> str:
        kind = "preflight" if self.preflight else "request"
        return (
            f"[{self.code}] CORS {kind} refused: {self.message}. Fix: {self.fix}. "
            f"Browser console: {self.chromium}"
        )
