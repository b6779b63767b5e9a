"""Declarative response headers: presets, validation, merging and the per-response step.

:func:`compile_headers` turns options into an immutable :class:`HeaderPolicy` once, at start-up,
reporting every configuration problem at once. The adapter then calls :meth:`HeaderPolicy.apply`
at the WSGI edge with the response's header list, exactly as it is about to be passed to
``start_response``. Policies of nested scopes (app, blueprint, view) are combined with
:meth:`HeaderPolicy.merged_with`.

This package is framework-free: it knows HTTP, CSP and the browsers' rules, nothing about Flask.
Its modules, each importing only the ones listed before it: ``_csp`` (the CSP grammar and
nonces), ``_policy`` (the policy engine), ``_presets``, ``_hsts`` and ``_validation``
(:func:`compile_headers`).

.. code-block:: python

    policy = compile_headers(preset="web", headers={"X-Frame-Options": "DENY"})
    headers = [("Content-Type", "text/html; charset=utf-8")]
    policy.apply(headers, secure=True)
"""

from __future__ import annotations

from crossgate.headers._csp import make_nonce
from crossgate.headers._hsts import HSTS
from crossgate.headers._policy import HeaderPolicy, HeaderSetting
from crossgate.headers._presets import PRESETS, Preset, PresetHeader
from crossgate.headers._validation import compile_headers

__all__ = [
    "HSTS",
    "PRESETS",
    "HeaderPolicy",
    "HeaderSetting",
    "Preset",
    "PresetHeader",
    "compile_headers",
    "make_nonce",
]
