"""The presets: named sets of response headers, each header with the reason it is there.

``web`` for HTML applications, ``api`` for JSON APIs, ``strict`` for sensitive applications,
chosen from the OWASP and helmet recommendations. The tables of ``docs/headers-presets.md`` are
generated from :data:`PRESETS`, and a test checks that they agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class PresetHeader:
    """One header of a preset, with the reason it is there."""

    name: str
    value: str
    reason: str


@dataclass(frozen=True, slots=True)
class Preset:
    """A named, documented set of headers chosen from the OWASP and helmet recommendations."""

    name: str
    summary: str
    headers: tuple[PresetHeader, ...]


_HSTS_HEADER = PresetHeader(
    "Strict-Transport-Security",
    "max-age=63072000; includeSubDomains",
    "https only, for two years, subdomains too (OWASP); sent on https responses only",
)
_NOSNIFF = PresetHeader(
    "X-Content-Type-Options",
    "nosniff",
    "browsers must trust Content-Type instead of guessing, so an upload never runs as a script",
)
_FRAME_DENY = PresetHeader(
    "X-Frame-Options", "DENY", "frame-ancestors 'none' for browsers without CSP 2"
)
_CORP_HEADER = PresetHeader(
    "Cross-Origin-Resource-Policy",
    "same-origin",
    "other sites cannot load responses as images, scripts or media (Spectre, XS-Leaks); "
    "cross-origin on routes whose CORS policy lets other origins read them",
)
_COOP_HEADER = PresetHeader(
    "Cross-Origin-Opener-Policy",
    "same-origin",
    "cross-origin windows that open this page, or that it opens, get no handle on it",
)
_ORIGIN_AGENT_CLUSTER = PresetHeader(
    "Origin-Agent-Cluster", "?1", "asks the browser to isolate this origin in its own agent"
)
_NO_ADOBE_POLICIES = PresetHeader(
    "X-Permitted-Cross-Domain-Policies",
    "none",
    "Adobe clients (Acrobat, Flash) may not load cross-domain policy files from this site",
)

PRESETS: Mapping[str, Preset] = MappingProxyType(
    {
        "web": Preset(
            "web",
            "HTML applications: helmet's defaults, with a referrer policy that keeps "
            "Flask-WTF's https referrer check working",
            (
                PresetHeader(
                    "Content-Security-Policy",
                    "default-src 'self'; base-uri 'self'; font-src 'self' https: data:; "
                    "form-action 'self'; frame-ancestors 'self'; img-src 'self' data:; "
                    "object-src 'none'; script-src 'self'; script-src-attr 'none'; "
                    "style-src 'self' https: 'unsafe-inline'; upgrade-insecure-requests",
                    "helmet's policy: scripts from this origin only, no plugins, no inline "
                    "event handlers, forms and framing kept on this origin",
                ),
                _HSTS_HEADER,
                _NOSNIFF,
                PresetHeader(
                    "X-Frame-Options",
                    "SAMEORIGIN",
                    "frame-ancestors 'self' for browsers without CSP 2 (clickjacking)",
                ),
                PresetHeader(
                    "Referrer-Policy",
                    "strict-origin-when-cross-origin",
                    "other sites see the origin only, never the path; same-origin requests "
                    "keep the full URL, which Flask-WTF checks on https (no-referrer breaks it)",
                ),
                _COOP_HEADER,
                _CORP_HEADER,
                _ORIGIN_AGENT_CLUSTER,
                PresetHeader(
                    "Permissions-Policy",
                    "camera=(), geolocation=(), microphone=()",
                    "no page or embedded frame may use the camera, location or microphone",
                ),
                _NO_ADOBE_POLICIES,
            ),
        ),
        "api": Preset(
            "api",
            "JSON APIs: OWASP's REST recommendations; a response opened as a page does nothing",
            (
                PresetHeader(
                    "Content-Security-Policy",
                    "default-src 'none'; frame-ancestors 'none'",
                    "a JSON response rendered as a page loads nothing and cannot be framed",
                ),
                _HSTS_HEADER,
                _NOSNIFF,
                _FRAME_DENY,
                PresetHeader(
                    "Referrer-Policy",
                    "no-referrer",
                    "nothing in an API response should send a referrer anywhere",
                ),
                _CORP_HEADER,
            ),
        ),
        "strict": Preset(
            "strict",
            "Sensitive HTML applications: OWASP's recommendations, cross-origin isolation, "
            "nothing cached",
            (
                PresetHeader(
                    "Content-Security-Policy",
                    "default-src 'self'; form-action 'self'; base-uri 'self'; "
                    "object-src 'none'; frame-ancestors 'none'; upgrade-insecure-requests",
                    "OWASP's policy: everything from this origin only, no plugins, no framing",
                ),
                _HSTS_HEADER,
                _NOSNIFF,
                _FRAME_DENY,
                PresetHeader(
                    "Referrer-Policy",
                    "same-origin",
                    "no referrer ever leaves the site; same-origin requests keep it, which "
                    "Flask-WTF checks on https (no-referrer breaks it)",
                ),
                _COOP_HEADER,
                _CORP_HEADER,
                PresetHeader(
                    "Cross-Origin-Embedder-Policy",
                    "require-corp",
                    "every cross-origin subresource must opt in (CORP or CORS): cross-origin "
                    "isolation (OWASP)",
                ),
                _ORIGIN_AGENT_CLUSTER,
                PresetHeader(
                    "Permissions-Policy",
                    "accelerometer=(), camera=(), display-capture=(), geolocation=(), "
                    "gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()",
                    "no page or embedded frame may use sensors, camera, microphone, screen "
                    "capture, payments or USB",
                ),
                _NO_ADOBE_POLICIES,
                PresetHeader(
                    "X-DNS-Prefetch-Control",
                    "off",
                    "no DNS look-ups for links the user has not followed (OWASP, sensitive pages)",
                ),
                PresetHeader(
                    "Cache-Control",
                    "no-store",
                    "sensitive responses are never stored by the browser or a shared cache "
                    "(OWASP); merged into the directives a view sets",
                ),
            ),
        ),
    }
)
