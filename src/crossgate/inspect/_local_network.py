"""Chromium's Local Network Access: a page reaching a more private address than its own.

Chromium 142 and later ask the user first; ``crossgate check`` notes it beside the CORS verdict
(``run_checks``), since no response header changes it.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from crossgate.browser import BrowserRequest, Verdict

#: Local Network Access's address spaces, from the most private.
ADDRESS_SPACES = ("loopback", "local", "public")
_LOOPBACK_NAMES = ("localhost",)


def address_space(host: str) -> str:
    """The address space of *host* as Chromium sees it: ``loopback``, ``local`` or ``public``.

    A name that is not an IP literal is taken as public, except ``localhost`` and
    ``*.localhost`` (use ``--target-address-space`` for an intranet name).
    """
    name = host.strip("[]").lower()
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return "loopback"
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return "public"
    if address.is_loopback:
        return "loopback"
    if address.is_private or address.is_link_local:
        return "local"
    return "public"


def local_network_access(
    request: BrowserRequest, target_space: str | None = None, page_space: str | None = None
) -> Verdict | None:
    """Chromium's Local Network Access verdict for *request*, ``None`` when it does not apply.

    Chromium 142 and later ask the user before a page fetches an address more private than its
    own (a public page fetching ``local`` or ``loopback``, a local page fetching ``loopback``);
    in automation, or once the user says no, the fetch fails before any request is sent. No
    response header changes that. The verdict is what happens without the permission; with it,
    the CORS verdict applies.
    """
    if request.origin == "null":
        # An opaque origin's address space is its creator's, which the check cannot know.
        return None
    page_space = page_space or address_space(urlsplit(request.origin).hostname or "")
    target = urlsplit(request.url).hostname or ""
    space = target_space or address_space(target)
    if ADDRESS_SPACES.index(space) >= ADDRESS_SPACES.index(page_space):
        return None
    return Verdict(
        False,
        "local-network-access",
        f"Permission was denied for this request to access the `{space}` address space.",
        f"Chromium 142+ asks the user before a {page_space} page reaches a {space} address "
        "(Local Network Access) and fails the fetch before sending anything when the user or "
        "the browser says no; no response header changes this (Access-Control-Allow-Private-"
        "Network no longer does). What does: serve the page from a secure context (https), "
        f"pass the fetch option targetAddressSpace: '{space}', and for an iframe allow it with "
        'the local-network-access Permissions-Policy (allow="local-network-access")',
        stage="preflight",
        url=request.url,
        origin=request.origin,
        engine="chromium",
    )
