"""The requests ``crossgate audit`` sends: attack origins derived from the origins a server
trusts, one per known way of matching origins wrongly.

Each trusted origin (``--origin``; without one, the audited URL's own origin, as scanners do)
yields the origins an attacker could register or obtain that a careless check would still
accept. For ``https://app.example.com``:

======================  ==========================================================
class                   attack origins
======================  ==========================================================
prefix-match            ``https://app.example.com.evil.test``
suffix-match            ``https://evilapp.example.com``, ``https://evilexample.com``
substring-match         ``https://pp.example.com``, ``https://xample.com``, ``https://example.co``
unescaped-dot           ``https://appxexample.com``, ``https://app.examplexcom``
special-characters      ``https://app.example.com_.evil.test`` and 21 more characters
https-trusts-http       ``http://app.example.com``
any-subdomain           ``https://evil.app.example.com``
upper-case-origin       ``https://APP.EXAMPLE.COM`` (a note: browsers send lower case)
======================  ==========================================================

plus, once: ``https://evil.test`` (reflect-any-origin), ``null``, six sites where anyone can
publish a page (third-party-origin), the trusted origins themselves and a request without
``Origin`` (controls), and three preflights. The set is fixed: at most ``MAX_TRUSTED`` trusted
origins, at most :data:`PER_ORIGIN` probes each, :data:`SHARED` others. Origins that equal a
trusted origin are never sent as attacks.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from crossgate._public_suffixes import registrable_domain

#: An origin no one can own: ``.test`` is reserved (RFC 2606).
EVIL = "evil.test"
MAX_TRUSTED = 4
#: Sites where anyone can publish a page under the site's own origin.
THIRD_PARTY_ORIGINS = (
    "https://whatever.github.io",
    "http://jsbin.com",
    "https://codepen.io",
    "https://jsfiddle.net",
    "http://www.webdevout.net",
    "https://repl.it",
)
#: Characters a hand-written check may stop at: ``app.example.com<char>.evil.test``.
_SPECIAL: tuple[str, ...] = ("_", "-", '"', "{", "}", "+", "^", "%60", "!", "~", "`", ";")
_SPECIAL += ("|", "&", "'", "(", ")", "*", ",", "$", "=", "%0b")
_MAX_DOTS = 3
#: Most probes one trusted origin adds: 1 + 2 + 3 + 3 + 22 + 1 + 1 + 1 + 1 (the control).
PER_ORIGIN = 35
#: Probes sent once: reflect, null, the third parties, no Origin, three preflights.
SHARED = 2 + len(THIRD_PARTY_ORIGINS) + 1 + 3

#: Every class of finding an attack origin can reveal, in the order they are reported.
ATTACK_CLASSES = (
    "reflect-any-origin",
    "null-origin",
    "prefix-match",
    "suffix-match",
    "substring-match",
    "unescaped-dot",
    "special-characters",
    "https-trusts-http",
    "any-subdomain",
    "third-party-origin",
)


@dataclass(frozen=True, slots=True)
class Probe:
    """One request of the audit.

    :param case: the class it tests (an attack class, ``upper-case-origin``) or its role:
        ``trusted`` and ``no-origin`` (controls), ``fingerprint`` (a refused preflight, which
        tells a crossgate server), ``preflight-any-method``, ``preflight-any-header``.
    :param origin: the ``Origin`` sent (``None``: none).
    :param based_on: the trusted origin it was derived from.
    :param method: ``GET`` (what the page reads) or ``OPTIONS`` (a preflight).
    :param request_method: a preflight's ``Access-Control-Request-Method``.
    :param request_headers: a preflight's ``Access-Control-Request-Headers``.
    """

    case: str
    origin: str | None
    based_on: str | None = None
    method: str = "GET"
    request_method: str | None = None
    request_headers: str | None = None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _derived(base: str) -> list[tuple[str, str]]:
    """(class, attack origin) for one trusted origin."""
    parts = urlsplit(base)
    scheme, host = parts.scheme, (parts.hostname or "")
    port = f":{parts.port}" if parts.port else ""
    site = host if _is_ip(host) else registrable_domain(host)
    # The port stays where the attack keeps the end of the host, and goes where it extends it.
    found = [
        ("prefix-match", f"{scheme}://{host}.{EVIL}"),
        ("suffix-match", f"{scheme}://evil{host}{port}"),
    ]
    if site != host:
        found.append(("suffix-match", f"{scheme}://evil{site}{port}"))
    found.append(("substring-match", f"{scheme}://{host[1:]}{port}"))
    if site != host:
        found.append(("substring-match", f"{scheme}://{site[1:]}{port}"))
    if "." in site:
        found.append(("substring-match", f"{scheme}://{site[:-1]}{port}"))
    dots = [index for index, char in enumerate(host) if char == "."][:_MAX_DOTS]
    for index in dots:
        found.append(("unescaped-dot", f"{scheme}://{host[:index]}x{host[index + 1 :]}{port}"))
    found += [("special-characters", f"{scheme}://{host}{char}.{EVIL}") for char in _SPECIAL]
    if scheme == "https":
        found.append(("https-trusts-http", f"http://{host}{port}"))
    found.append(("any-subdomain", f"{scheme}://evil.{host}{port}"))
    if host.upper() != host:
        found.append(("upper-case-origin", f"{scheme}://{host.upper()}{port}"))
    return found


def derive_probes(url: str, trusted: tuple[str, ...]) -> tuple[Probe, ...]:
    """The first round of the audit of *url*: every attack origin, the controls and the
    fingerprint preflight, each once. *trusted* holds serialized origins (``--origin``)."""
    if len(trusted) > MAX_TRUSTED:
        raise ValueError(
            f"{len(trusted)} trusted origins given; audit at most {MAX_TRUSTED} per run"
        )
    parts = urlsplit(url)
    # The API's port says nothing about the pages that call it: derive from the bare host.
    own = f"{parts.scheme}://{parts.hostname}"
    bases = trusted or (own,)
    scheme = urlsplit(bases[0]).scheme
    candidates: list[tuple[str, str, str | None]] = [
        ("reflect-any-origin", f"{scheme}://{EVIL}", None),
        ("null-origin", "null", None),
    ]
    for base in bases:
        candidates += [(case, origin, base) for case, origin in _derived(base)]
    candidates += [("third-party-origin", origin, None) for origin in THIRD_PARTY_ORIGINS]
    trusted_lower = {origin.lower() for origin in trusted}
    sent: set[str] = set()
    probes: list[Probe] = []
    for case, origin, derived_from in candidates:
        spelled_as_trusted = case != "upper-case-origin" and origin.lower() in trusted_lower
        if origin in sent or spelled_as_trusted:
            continue
        sent.add(origin)
        probes.append(Probe(case, origin, derived_from))
    probes += [Probe("trusted", origin, origin) for origin in trusted]
    probes.append(Probe("no-origin", None))
    probes.append(Probe("fingerprint", f"https://{EVIL}", method="OPTIONS", request_method="GET"))
    return tuple(probes)


def preflight_probes(origin: str) -> tuple[Probe, ...]:
    """The second round: preflights from *origin* (an origin the server accepts) asking for a
    method and a header no server lists, to see whether it echoes whatever is asked."""
    return (
        Probe("preflight-any-method", origin, method="OPTIONS", request_method="XAUDIT"),
        Probe(
            "preflight-any-header",
            origin,
            method="OPTIONS",
            request_method="GET",
            request_headers="x-crossgate-audit",
        ),
    )
