"""The public suffixes users write, and the registrable domain of a host.

A pattern like ``https://*.github.io`` would trust every GitHub Pages site, and a regex wildcard
that moves a host into another registrable domain lets in a stranger; both judgements need to
know where one party's names end. A full public-suffix list would be a runtime dependency; this
covers the single-label suffixes (every TLD) and the multi-label ones users actually write.
"""

from __future__ import annotations

__all__ = ["PUBLIC_SUFFIXES", "registrable_domain"]

#: Registrable suffixes under which unrelated parties own names.
PUBLIC_SUFFIXES = frozenset(
    {
        "co.uk",
        "org.uk",
        "ac.uk",
        "gov.uk",
        "ltd.uk",
        "plc.uk",
        "me.uk",
        "net.uk",
        "com.au",
        "net.au",
        "org.au",
        "edu.au",
        "gov.au",
        "co.nz",
        "org.nz",
        "net.nz",
        "co.jp",
        "ne.jp",
        "or.jp",
        "ac.jp",
        "go.jp",
        "co.kr",
        "or.kr",
        "com.cn",
        "net.cn",
        "org.cn",
        "com.tw",
        "com.hk",
        "co.in",
        "net.in",
        "org.in",
        "com.br",
        "net.br",
        "org.br",
        "com.mx",
        "com.ar",
        "com.tr",
        "com.sg",
        "com.my",
        "co.za",
        "org.za",
        "com.ua",
        "co.il",
        "com.pl",
        "com.ru",
        "github.io",
        "gitlab.io",
        "herokuapp.com",
        "vercel.app",
        "netlify.app",
        "pages.dev",
        "workers.dev",
        "web.app",
        "firebaseapp.com",
        "appspot.com",
        "azurewebsites.net",
        "cloudfront.net",
        "blogspot.com",
        "s3.amazonaws.com",
        "amplifyapp.com",
        "onrender.com",
        "fly.dev",
        "glitch.me",
        "repl.co",
        "ngrok.io",
        "ngrok-free.app",
        "trycloudflare.com",
    }
)


def registrable_domain(host: str) -> str:
    """The part of a DNS *host* that one party registers: ``example.com`` for
    ``app.example.com``, ``example.co.uk`` for ``www.example.co.uk``, ``me.github.io`` for
    ``me.github.io`` (every name under a public suffix belongs to someone else)."""
    labels = host.split(".")
    for size in (3, 2):
        if len(labels) > size and ".".join(labels[-size:]) in PUBLIC_SUFFIXES:
            return ".".join(labels[-size - 1 :])
    return ".".join(labels[-2:])
