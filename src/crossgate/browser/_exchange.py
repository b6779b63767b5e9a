"""One whole ``fetch()``: the preflight, every redirect hop, and the final response, in order.

:func:`evaluate` walks the exchange the way the browser does, asking ``_redirects`` what the
request becomes after each hop and ``_checks`` what each answer is worth; it stops at the first
failure the browser would stop at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from crossgate.browser._checks import (
    cors_failure,
    exposed_headers,
    preflight_verdict,
    present_headers,
)
from crossgate.browser._profiles import CHROMIUM
from crossgate.browser._redirects import first_hop, follow_redirect, is_redirect, resolve_redirect
from crossgate.browser._safelist import needs_preflight
from crossgate.browser._values import BrowserRequest, EngineProfile, HttpResponse, Verdict
from crossgate.errors import show


def evaluate(
    request: BrowserRequest,
    *,
    preflight: HttpResponse | None,
    response: HttpResponse | None,
    redirects: Sequence[HttpResponse] = (),
    redirect_preflights: Sequence[HttpResponse | None] = (),
    profile: EngineProfile = CHROMIUM,
) -> Verdict:
    """Decide the whole ``fetch()``: preflight, every redirect hop, and the final response.

    :param preflight: the answer to the preflight sent to ``request.url``, or ``None`` when the
        server was not asked (a needed but missing preflight yields ``preflight-missing``).
    :param response: the final response, ``None`` if not available (``response-missing``).
    :param redirects: the redirect responses (3xx with ``Location``) met on the way, in order.
    :param redirect_preflights: ``redirect_preflights[i]`` answers the preflight sent to the
        URL that ``redirects[i]`` points to; the browser preflights again at every new URL
        while the request still needs it.
    :param profile: the engine whose rules and wording apply (Chromium's by default).
    :raises ValueError: if an item of *redirects* is not a redirect.

    Every hop's URL is worked out from the ``Location`` headers. The CORS check runs on every
    cross-origin hop; after a hop to another origin from a URL not of the page's origin, the
    browser sends ``Origin: null`` for the rest of the chain; ``Authorization`` is dropped when a
    redirect changes origin; a 301/302 turns ``POST`` into ``GET`` and a 303 turns anything but
    ``GET``/``HEAD`` into ``GET``, without the body headers; the 21st redirect fails. Firefox
    preflights a once-preflighted request again at every new URL; WebKit keeps
    ``Authorization`` and the body headers (see :class:`EngineProfile`).
    """
    for index, redirect in enumerate(redirects):
        if not is_redirect(redirect):
            raise ValueError(
                f"redirects[{index}] is not a redirect (status {redirect.status}, Location "
                f"{redirect.get('Location')!r}): pass the last response as response="
            )
    state = first_hop(request)
    answers = [preflight, *redirect_preflights]
    preflight_needed = False
    first_preflight: Verdict | None = None
    index = 0
    while True:
        last = index == len(redirects)
        hop: HttpResponse | None = response if last else redirects[index]
        stage = "response" if last else "redirect"
        origin = state.origin
        if state.cors and (
            needs_preflight(state.method, state.headers, profile)
            or (preflight_needed and profile.redirect_repeats_preflight)
        ):
            preflight_needed = True
            answer = answers[index] if index < len(answers) else None
            if answer is None:
                return Verdict(
                    False,
                    "preflight-missing",
                    f"No preflight response was given for {show(state.url)}, which needs one.",
                    "pass the OPTIONS response as preflight= (or redirect_preflights= for a "
                    "redirect target)",
                    stage="preflight",
                    url=state.url,
                    preflight_needed=True,
                    max_age=first_preflight.max_age if first_preflight else None,
                    engine=profile.name,
                )
            checked = preflight_verdict(
                origin,
                request.credentials,
                state.method,
                state.headers,
                answer,
                state.url,
                profile=profile,
            )
            if not checked.allowed:
                return replace(checked, preflight_needed=True)
            first_preflight = first_preflight or checked
        max_age = first_preflight.max_age if first_preflight else None
        if hop is None:
            return Verdict(
                False,
                "response-missing",
                f"No response was given for {show(state.url)}.",
                "pass the response to the actual request as response=",
                url=state.url,
                preflight_needed=preflight_needed,
                max_age=max_age,
                engine=profile.name,
            )
        if state.cors:
            failure = cors_failure(
                origin, request.credentials, hop, state.url, stage, profile=profile
            )
            if failure is not None:
                location = "" if last else resolve_redirect(state.url, hop.get("Location") or "")
                return replace(
                    failure,
                    preflight_needed=preflight_needed,
                    max_age=max_age,
                    location=location or "",
                )
        if last:
            return Verdict(
                True,
                "ok" if state.cors else "same-origin",
                fix=first_preflight.fix if first_preflight else "",
                url=state.url,
                preflight_needed=preflight_needed,
                max_age=max_age,
                readable_headers=(
                    exposed_headers(request.credentials, hop)
                    if state.cors
                    else present_headers(hop)
                ),
                status=hop.status,
                engine=profile.name,
            )
        followed = follow_redirect(request, state, hop, index, profile=profile)
        if isinstance(followed, Verdict):
            return replace(
                followed, preflight_needed=preflight_needed, max_age=max_age, engine=profile.name
            )
        state = followed
        index += 1
