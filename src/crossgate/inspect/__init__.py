"""Inspect a server's CORS the way a browser meets it: ``check`` one fetch, ``audit`` an endpoint.

The library behind ``crossgate check``, ``crossgate audit`` and their ``flask crossgate``
twins. Every function takes the transport as a :data:`Send`, a function that sends one request
and returns a :class:`Reply`: httpx for a live server, a Flask app's test client, or anything
else. Nothing here prints; the command line shows the results.

>>> from crossgate.browser import BrowserRequest
>>> page = BrowserRequest("https://api.example.com/items", "https://app.example.com")
>>> result = run_check(page, send)
>>> result.verdict.allowed

:func:`run_check` runs one ``fetch()`` (preflight, request, redirects) and, for a refusal the
browser cannot explain, finds the cause (:class:`Diagnosis`). :func:`run_audit` sends the attack
origins :func:`derive_probes` derives from the trusted ones and judges what each could read.
:func:`check_write` says what happens to the write a page on another site sends without CORS's
consent (a form POST, a WebSocket handshake): reaches the view, or refused by
``CrossOriginProtection``.
"""

from __future__ import annotations

from crossgate.inspect._audit import Audit, Finding, Note, run_audit
from crossgate.inspect._check import (
    BODY_LIMIT,
    BODY_SECONDS,
    CheckResult,
    Exchange,
    KnownCause,
    Prediction,
    Reply,
    Send,
    preflight_headers,
    run_check,
    run_checks,
)
from crossgate.inspect._diagnose import MAX_HEADER_PROBES, Diagnosis, read_server_reason
from crossgate.inspect._local_network import ADDRESS_SPACES, address_space, local_network_access
from crossgate.inspect._probes import (
    ATTACK_CLASSES,
    MAX_TRUSTED,
    PER_ORIGIN,
    SHARED,
    Probe,
    derive_probes,
    preflight_probes,
)
from crossgate.inspect._writes import WriteCheck, check_write, fetch_site

__all__ = [
    "ADDRESS_SPACES",
    "ATTACK_CLASSES",
    "BODY_LIMIT",
    "BODY_SECONDS",
    "MAX_HEADER_PROBES",
    "MAX_TRUSTED",
    "PER_ORIGIN",
    "SHARED",
    "Audit",
    "CheckResult",
    "Diagnosis",
    "Exchange",
    "Finding",
    "KnownCause",
    "Note",
    "Prediction",
    "Probe",
    "Reply",
    "Send",
    "WriteCheck",
    "address_space",
    "check_write",
    "derive_probes",
    "fetch_site",
    "local_network_access",
    "preflight_headers",
    "preflight_probes",
    "read_server_reason",
    "run_audit",
    "run_check",
    "run_checks",
]
