"""What a Content-Security-Policy lets an attacker do, in the spirit of Google's CSP Evaluator.

The Observatory scores a policy with one word; this says, directive by directive, what is weak
and what to write instead: inline script and ``eval``, sources that admit any host, missing
``object-src`` and ``base-uri``, nonces too short to be unguessable, ``'strict-dynamic'``
without a nonce, plain-http sources, a policy that only reports. Every check is crossgate's own
reading of the CSP Level 3 rules; none of CSP Evaluator's host lists (JSONP endpoints, script
gadgets) is reproduced, so a host-based allow-list is judged by its shape only.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass

from crossgate.headers._csp import read_policy, split_policies

_ANY_HOST = frozenset({"*", "http:", "https:", "data:", "blob:", "filesystem:"})
_SCRIPT_FALLBACK = ("script-src", "default-src")
_NONCE_BYTES = 16  # what crossgate's csp_nonce() makes: 128 random bits
_DEPRECATED = {
    "report-uri": "report-uri is superseded by report-to (csp_report_to='endpoint')",
    "block-all-mixed-content": "block-all-mixed-content is obsolete: use upgrade-insecure-requests",
    "plugin-types": "plugin-types is obsolete: object-src 'none' disables plugins",
    "referrer": "the referrer directive is obsolete: use the Referrer-Policy header",
    "prefetch-src": "prefetch-src is obsolete and ignored",
}


@dataclass(frozen=True, slots=True)
class CspNote:
    """One weakness: how bad (``high``, ``medium``, ``info``), where, what, and the fix."""

    severity: str
    directive: str
    message: str
    fix: str


def _parse(policy: str) -> dict[str, list[str]]:
    # Sources are compared in lowercase: keywords and schemes are case-insensitive.
    return {
        name: [source.lower() for source in sources]
        for name, sources in read_policy(policy).items()
    }


def _nonces(sources: Sequence[str]) -> list[str]:
    return [source[7:-1] for source in sources if source.startswith("'nonce-")]


def _hashes(sources: Sequence[str]) -> bool:
    return any(source.startswith(("'sha256-", "'sha384-", "'sha512-")) for source in sources)


def evaluate_csp(enforced: Sequence[str], report_only: Sequence[str] = ()) -> list[CspNote]:
    """The weaknesses of the enforced policies (each header line may hold several, separated
    by commas); with none enforced, of the report-only ones, plus the fact that nothing is
    enforced."""
    policies = [policy for policy in split_policies(enforced) if policy]
    notes: list[CspNote] = []
    if not policies:
        reported = [policy for policy in split_policies(report_only) if policy]
        notes.append(
            CspNote(
                "high",
                "(policy)",
                "no Content-Security-Policy is enforced"
                + (": the report-only policy blocks nothing" if reported else ""),
                "enforce a policy: Headers(app, preset='web') (or 'api', 'strict'); keep "
                "csp_report_only=True only while you watch the reports",
            )
        )
        policies = reported
    for policy in policies:
        notes += _evaluate(_parse(policy))
    unique: dict[tuple[str, str, str], CspNote] = {}
    for note in notes:
        unique.setdefault((note.severity, note.directive, note.message), note)
    order = {"high": 0, "medium": 1, "info": 2}
    return sorted(unique.values(), key=lambda note: order[note.severity])


def _evaluate(policy: dict[str, list[str]]) -> list[CspNote]:
    notes: list[CspNote] = []
    script_name = next((name for name in _SCRIPT_FALLBACK if name in policy), None)
    script = policy.get(script_name, []) if script_name else []
    if script_name is None:
        notes.append(
            CspNote(
                "high",
                "script-src",
                "neither script-src nor default-src is set: scripts from anywhere run",
                "csp={'script-src': \"'self'\"} or start from default-src 'self'",
            )
        )
    else:
        notes += _script_notes(script_name, script)
    objects = policy.get("object-src", policy.get("default-src"))
    if objects is None or (set(objects) & _ANY_HOST):
        notes.append(
            CspNote(
                "high",
                "object-src",
                "plugins (<object>, <embed>) may load from "
                + ("anywhere" if objects is None else "any host")
                + ", and a plugin can run script",
                "csp={'object-src': \"'none'\"}",
            )
        )
    if "base-uri" not in policy:
        relies = bool(_nonces(script)) or _hashes(script)
        notes.append(
            CspNote(
                "medium" if relies else "info",
                "base-uri",
                "base-uri is not set: an injected <base href> changes where relative script URLs "
                "point" + (", which defeats the nonces" if relies else ""),
                "csp={'base-uri': \"'none'\"} (or \"'self'\")",
            )
        )
    if "frame-ancestors" not in policy:
        notes.append(
            CspNote(
                "info",
                "frame-ancestors",
                "frame-ancestors is not set: only X-Frame-Options protects against clickjacking",
                "csp={'frame-ancestors': \"'none'\"} (or \"'self'\"); every preset sets it",
            )
        )
    for name, sources in policy.items():
        plain = [source for source in sources if source.startswith(("http:", "ftp:"))]
        if plain and name not in ("report-uri", "report-to"):
            notes.append(
                CspNote(
                    "medium",
                    name,
                    f"{name} allows plain-http sources ({', '.join(plain[:3])}): anyone on the "
                    "network can replace what they serve",
                    "list https:// sources only, and add upgrade-insecure-requests",
                )
            )
        if name in _DEPRECATED:
            notes.append(CspNote("info", name, _DEPRECATED[name], "remove it"))
    style = policy.get("style-src", policy.get("default-src", []))
    if "'unsafe-inline'" in style and not (_nonces(style) or _hashes(style)):
        notes.append(
            CspNote(
                "info",
                "style-src",
                "style-src allows inline styles: injected CSS can still restyle the page and "
                "leak attribute values",
                "move styles to files, or give inline <style> a nonce (csp_nonce_directives="
                "['style-src'])",
            )
        )
    return notes


def _script_notes(name: str, script: list[str]) -> list[CspNote]:
    notes: list[CspNote] = []
    nonces, hashes = _nonces(script), _hashes(script)
    strict_dynamic = "'strict-dynamic'" in script
    if "'unsafe-inline'" in script and not (nonces or hashes):
        notes.append(
            CspNote(
                "high",
                name,
                f"{name} allows 'unsafe-inline': any injected <script> or onclick= runs",
                "remove 'unsafe-inline'; give inline scripts a nonce: "
                "csp_nonce_directives=['script-src'] and <script nonce=\"{{ csp_nonce() }}\">",
            )
        )
    if "'unsafe-eval'" in script:
        notes.append(
            CspNote(
                "medium",
                name,
                f"{name} allows 'unsafe-eval': strings reaching eval(), new Function() or "
                "setTimeout('...') run as code",
                "remove 'unsafe-eval' once the code no longer calls eval()",
            )
        )
    broad = sorted(set(script) & _ANY_HOST)
    if broad and not strict_dynamic:
        notes.append(
            CspNote(
                "high",
                name,
                f"{name} allows {', '.join(broad)}: a script from any host (or an injected "
                "data: URL) runs",
                "list the hosts you load scripts from, or use nonces with 'strict-dynamic'",
            )
        )
    if strict_dynamic and not (nonces or hashes):
        notes.append(
            CspNote(
                "high",
                name,
                "'strict-dynamic' without a nonce or hash: browsers that support it run no "
                "script at all, older ones fall back to the rest of the list",
                "add a nonce: csp_nonce_directives=['script-src']",
            )
        )
    for nonce in nonces:
        try:
            size = len(base64.b64decode(nonce + "=" * (-len(nonce) % 4), validate=False))
        except (binascii.Error, ValueError):
            size = 0
        if size < _NONCE_BYTES or len(nonce) < 22:
            notes.append(
                CspNote(
                    "medium",
                    name,
                    f"nonce {nonce[:24]!r} is short ({size} bytes): an attacker can guess it",
                    "use at least 128 random bits per response, as csp_nonce() does",
                )
            )
    if not broad and not strict_dynamic and any("://" in s or s.startswith("*.") for s in script):
        notes.append(
            CspNote(
                "info",
                name,
                f"{name} trusts whole hosts: a JSONP endpoint or an old library on one of them "
                "is enough to run an attacker's script",
                "prefer nonces with 'strict-dynamic' over host lists",
            )
        )
    return notes
