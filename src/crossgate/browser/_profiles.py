"""The engine profiles: Chromium, Firefox, WebKit as measured, and the Fetch standard's own rules.

Every field was observed in the engine named (``tests/browser/test_engines.py`` runs each
scenario in all three and holds the model with that engine's profile to what the engine did),
except the preflight-cache caps, which are the engines' source constants (Chromium's
``kMaxCacheAge`` 7200 s, Firefox's 86400 s, WebKit's ``CrossOriginPreflightResultCache`` 600 s):
waiting them out is no test.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from crossgate.browser._values import EngineProfile

#: Chromium 156 (Chrome, Edge, Opera, Brave...).
CHROMIUM = EngineProfile(
    name="chromium",
    version="156",
    max_age_cap=7200,
    dropped_request_headers=frozenset({"user-agent"}),
    safelists_client_hints=True,
)

#: Firefox ESR 153.
FIREFOX = EngineProfile(
    name="firefox",
    version="153",
    max_age_cap=86400,
    max_age_invalid=0,
    max_age_overflow_to_default=False,
    combines_repeated_headers=False,
    safelisted_total_limit=None,
    preflight_order=("cors", "redirect", "status"),
    multiple_origins="lines",
    reports_invalid_origin=False,
    redirect_repeats_preflight=True,
    wording="firefox",
)

#: WebKitGTK 2.50 (the engine of Safari, and of every iOS browser).
WEBKIT = EngineProfile(
    name="webkit",
    version="2.50",
    max_age_cap=600,
    preflight_order=("status", "cors"),
    multiple_origins="comma",
    reports_invalid_origin=False,
    redirect_drops_authorization=False,
    redirect_drops_body_headers=False,
    redirect_repeats_preflight=True,
    wording="webkit",
)

#: The WHATWG Fetch standard's rules, where no engine is quoted: ``*`` never covers
#: ``Authorization``, repeated headers are checked one by one, no cache cap.
STANDARD = EngineProfile(
    name="standard",
    version="Fetch (WHATWG)",
    max_age_cap=None,
    max_age_overflow_to_default=False,
    wildcard_covers_authorization=False,
    combines_repeated_headers=False,
)

#: Every profile by name.
PROFILES: Mapping[str, EngineProfile] = MappingProxyType(
    {profile.name: profile for profile in (CHROMIUM, FIREFOX, WEBKIT, STANDARD)}
)
#: The real engines, in the order ``--browser all`` shows them.
ENGINES = (CHROMIUM, FIREFOX, WEBKIT)


def get_profile(name: str) -> EngineProfile:
    """The profile called *name*; a :class:`ValueError` naming the choices otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        choices = ", ".join(sorted(PROFILES))
        raise ValueError(f"{name!r} is no browser engine profile: use one of {choices}") from None
