"""Run the real CORScanner (PyPI ``cors``) on URLs and print its findings as JSON.

Run in its own process: CORScanner imports gevent and monkey-patches the whole interpreter.
Before it sends anything, every host name is made to resolve to 127.0.0.1 (so its requests can
reach nothing else) and tldextract is kept offline (its bundled suffix list, no download).

    python tests/audit/corscanner_driver.py https://api.example.com:8443/ ...

prints ``{url: [{"type": "reflect_origin", "origin": ..., "credentials": ...}, ...]}``.
"""

from __future__ import annotations

import json
import socket
import sys
import tempfile
from typing import Any

import CORScanner  # type: ignore[import-untyped]  # noqa: F401  (puts `common` on sys.path)
from common import corscheck  # type: ignore[import-not-found]
from common.logger import Log  # type: ignore[import-not-found]


def main() -> None:
    resolve = socket.getaddrinfo  # gevent's, by now

    def loopback(host: object, *args: Any, **kwargs: Any) -> Any:
        return resolve("127.0.0.1", *args, **kwargs)

    socket.getaddrinfo = loopback
    found = {}
    with tempfile.TemporaryDirectory() as cache:
        extract = corscheck.tldextract.TLDExtract(cache_dir=cache, suffix_list_urls=())
        corscheck.tldextract.extract = extract
        for url in sys.argv[1:]:
            config = {"logger": Log(None, 4), "headers": None, "timeout": 5}
            found[url] = corscheck.CORSCheck(url, config).check_all_in_parallel()
    print(json.dumps(found))


if __name__ == "__main__":
    main()
