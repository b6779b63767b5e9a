"""The page of the browser tests, and what the protected apps record about it.

The page, loaded from any origin, does what a forger's page does against the app: it submits a
form POST into an iframe, sends a ``no-cors`` fetch POST with credentials and opens a WebSocket,
then reports what it saw to a collector with a ``no-cors`` POST. Every request carries a
``label`` (the scenario) and an ``action`` in its query string, so the app can record, per
scenario, what arrived (with ``Sec-Fetch-Site``) and which views ran (the side effect).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from html import escape
from typing import Any
from urllib.parse import parse_qs

__all__ = ["Ledger", "page"]

_PAGE = """<!doctype html><meta charset=utf-8><title>crossgate protection page</title><body>
<iframe name=sink></iframe>
<form id=form method=post target=sink action="{form}"><input name=amount value=100></form>
<script>
const settings = {settings};
async function run() {{
  const out = {{}};
  out.form = await new Promise((resolve) => {{
    document.querySelector("iframe").onload = () => resolve("loaded");
    setTimeout(() => resolve("timeout"), 5000);
    document.getElementById("form").submit();
  }});
  try {{
    const response = await fetch(settings.fetch, {{
      method: "POST", mode: "no-cors", credentials: "include", body: "amount=100",
      headers: {{"Content-Type": "text/plain"}}}});
    out.fetch = response.type + ":" + response.status;
  }} catch (error) {{ out.fetch = String(error); }}
  out.ws = await new Promise((resolve) => {{
    let socket;
    try {{ socket = new WebSocket(settings.ws); }}
    catch (error) {{ resolve(String(error)); return; }}
    socket.onmessage = (event) => {{ resolve("message:" + event.data); socket.close(); }};
    socket.onclose = (event) => resolve("closed:" + event.code);
    setTimeout(() => resolve("timeout"), 5000);
  }});
  await fetch(settings.report, {{method: "POST", mode: "no-cors", body: JSON.stringify(out)}});
  if (settings.back) location.href = settings.back;
}}
run();
</script>"""


def page(query: Mapping[str, str]) -> bytes:
    """The page for the query ``target`` (the app's http origin), ``label``, ``report`` (the
    collector's URL), ``prefix`` (``''`` or an exempt prefix) and ``back`` (where to go after)."""
    target, label = query["target"], query["label"]
    prefix = query.get("prefix", "")
    ws_target = "ws" + target.removeprefix("http")

    def url(base: str, path: str, action: str) -> str:
        return f"{base}{prefix}{path}?label={label}&action={action}"

    settings = {
        "fetch": url(target, "/transfer", "fetch"),
        "ws": url(ws_target, "/ws", "ws"),
        "report": f"{query['report']}?label={label}",
        "back": query.get("back", ""),
    }
    form = escape(url(target, "/transfer", "form"))
    return _PAGE.format(form=form, settings=json.dumps(settings)).encode()


def query_of(query_string: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(query_string).items()}


class Ledger:
    """What an app saw, per label: the requests that arrived (refused or not) and the views
    that ran. Thread-safe: gunicorn's threads and uvicorn's loop share one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, list[dict[str, Any]]] = {}
        self._effects: dict[str, list[dict[str, Any]]] = {}

    def arrived(self, query_string: str, headers: Mapping[str, str]) -> None:
        query = query_of(query_string)
        if "label" in query:
            entry = {
                "action": query.get("action", ""),
                "site": headers.get("sec-fetch-site"),
                "mode": headers.get("sec-fetch-mode"),
                "origin": headers.get("origin"),
            }
            with self._lock:
                self._seen.setdefault(query["label"], []).append(entry)

    def effect(self, query_string: str, cookie: bool) -> None:
        query = query_of(query_string)
        entry = {"action": query.get("action", ""), "cookie": cookie}
        with self._lock:
            self._effects.setdefault(query.get("label", ""), []).append(entry)

    def report(self, query_string: str) -> bytes:
        label = query_of(query_string).get("label", "")
        with self._lock:
            answer = {
                "seen": self._seen.get(label, []),
                "effects": self._effects.get(label, []),
            }
        return json.dumps(answer).encode()
