"""``make demo``: a crossgate-powered API and a page on another origin that calls it.

The API runs on http://127.0.0.1:5001 and the page on http://127.0.0.1:5002 (another port is
another origin, same site, so the cookie of the credentialed example is sent); ``make demo
PORT=8002 API_PORT=8001`` chooses others. Each button on the
page makes one typical cross-origin request; the page shows what the browser let it see, and the
API's terminal shows crossgate's explanation of every refusal.
"""

from __future__ import annotations

import argparse
import logging
import socket
import threading

from flask import Flask, Response, jsonify, request
from werkzeug.serving import BaseWSGIServer, make_server

from crossgate.flask import CORS, cross_origin

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>crossgate demo</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 52rem; color: #1b1f24; }
h1 { font-size: 1.4rem; } code { background: #f1f3f5; padding: 0 .25rem; border-radius: 3px; }
.case { border: 1px solid #d0d7de; border-radius: 6px; padding: .7rem 1rem; margin: .6rem 0; }
.case button { font: inherit; padding: .25rem .8rem; cursor: pointer; }
.out { white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: 13px;
       margin-top: .4rem; }
.ok { color: #116329; } .blocked { color: #a40e26; }
</style></head><body>
<h1>crossgate demo</h1>
<p>This page is served from <code>__PAGE__</code>; the API from <code>__API__</code>.
Each button makes one cross-origin request. The terminal running <code>make demo</code> prints
crossgate's explanation of every refusal.</p>
<div id="cases"></div>
<script>
const API = "__API__";
const cases = [
  ["allowed-get", "Allowed GET", "A simple request from an allowed origin: no preflight.",
   () => fetch(API + "/api/greeting")],
  ["json-post", "JSON POST (preflighted)",
   "Content-Type: application/json is not CORS-safelisted, so the browser asks first (OPTIONS).",
   () => fetch(API + "/api/items", {method: "POST", headers: {"Content-Type": "application/json"},
                                     body: JSON.stringify({name: "demo"})})],
  ["credentialed", "Credentialed request (cookie)",
   "credentials: 'include' sends the cookie; needs an exact origin and Allow-Credentials.",
   () => fetch(API + "/api/me", {credentials: "include"})],
  ["refused-origin", "Refused origin",
   "This route only trusts https://partner.example.com: the browser blocks the page.",
   () => fetch(API + "/api/partner-only")],
  ["view-raises", "A view that raises",
   "The API runs in debug mode: crossgate turns the crash into a readable 500 with CORS headers.",
   () => fetch(API + "/api/boom")],
];
const root = document.getElementById("cases");
for (const [id, title, text, run] of cases) {
  const box = document.createElement("div");
  box.className = "case";
  box.innerHTML = `<button id="${id}">${title}</button> ${text}`
                + `<div class="out" id="${id}-out"></div>`;
  root.appendChild(box);
  box.querySelector("button").addEventListener("click", async () => {
    const out = document.getElementById(id + "-out");
    out.className = "out";
    delete out.dataset.outcome;
    out.textContent = "…";
    try {
      const response = await run();
      const lines = (await response.text()).trim().split("\\n");
      // A traceback's last lines name the error; a short body is shown whole. Its file names
      // keep their last two parts: where this machine keeps the project is nobody's business.
      const body = (lines.length > 6 ? ["…", ...lines.slice(-5)] : lines)
        .map((line) => line.replace(/File "(?:[^"]*\\/)?([^"\\/]+\\/[^"\\/]+)"/, 'File "…/$1"'))
        .join("\\n");
      out.classList.add("ok");
      out.dataset.outcome = "allowed";
      out.textContent = `read by the page: HTTP ${response.status}\\n${body}`;
    } catch (error) {
      out.classList.add("blocked");
      out.dataset.outcome = "blocked";
      out.textContent = `blocked by the browser: ${error}\\n`
                      + "(the console says why; the API terminal says what to change)";
    }
  });
}
</script></body></html>
"""


def create_api(page_origin: str = "http://127.0.0.1:5002") -> Flask:
    """The API: one app-wide policy for the page's origin, one route with its own."""
    api = Flask("crossgate-demo-api")
    api.config["DEBUG"] = True

    @api.get("/api/greeting")
    def greeting() -> Response:
        return jsonify(message="Hello from the API")

    @api.post("/api/items")
    def create_item() -> tuple[Response, int]:
        return jsonify(created=request.get_json(silent=True)), 201

    @api.get("/api/me")
    def me() -> Response:
        response = jsonify(user=request.cookies.get("demo_session", "(no cookie)"))
        response.set_cookie("demo_session", "alice", samesite="Lax")
        return response

    @api.get("/api/partner-only")
    @cross_origin(origins=["https://partner.example.com"])
    def partner_only() -> Response:
        return jsonify(secret="only for the partner")

    @api.get("/api/boom")
    def boom() -> Response:
        raise RuntimeError("the database is down (a deliberate demo error)")

    CORS(api, origins=[page_origin], supports_credentials=True)
    return api


def create_page(api_origin: str, page_origin: str) -> Flask:
    page = Flask("crossgate-demo-page")

    @page.get("/")
    def index() -> Response:
        html = PAGE.replace("__API__", api_origin).replace("__PAGE__", page_origin)
        return Response(html, mimetype="text/html")

    return page


def serve(host: str, api_port: int, page_port: int) -> list[BaseWSGIServer]:
    """Start both servers in background threads; ``shutdown()`` each to stop them."""
    api_origin = f"http://{host}:{api_port}"
    page_origin = f"http://{host}:{page_port}"
    servers = [
        make_server(host, api_port, create_api(page_origin), threaded=True),
        make_server(host, page_port, create_page(api_origin, page_origin), threaded=True),
    ]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    return servers


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (1-65535)")
    return int(text)


def _taken(host: str, port: int) -> bool:
    """Whether *port* on *host* cannot be listened on (Werkzeug would exit without the fix)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Werkzeug binds
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--api-port", type=_port, default=5001, help="make demo API_PORT=...")
    parser.add_argument("--page-port", type=_port, default=5002, help="make demo PORT=...")
    args = parser.parse_args()
    if args.api_port == args.page_port:
        parser.error(
            f"the page and the API need two ports, both are {args.api_port}: "
            f"make demo PORT={args.page_port} API_PORT={args.page_port - 1}"
        )
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    taken = [
        f"{port} ({role})"
        for port, role in ((args.page_port, "page"), (args.api_port, "API"))
        if _taken(args.host, port)
    ]
    if taken:
        parser.exit(
            2,
            f"cannot listen on {args.host} port {' and '.join(taken)}: another program uses it. "
            "Choose free ports: make demo PORT=8002 API_PORT=8001\n",
        )
    servers = serve(args.host, args.api_port, args.page_port)
    api = f"http://{args.host}:{args.api_port}"
    page = f"http://{args.host}:{args.page_port}"
    print(
        f"""
crossgate demo
  page (open it in a browser): {page}/
  API:                          {api}

Try it from a terminal too:
  curl -i -H 'Origin: {page}' {api}/api/greeting
  curl -i -X OPTIONS -H 'Origin: {page}' -H 'Access-Control-Request-Method: POST' \\
       -H 'Access-Control-Request-Headers: content-type' {api}/api/items
  curl -i -H 'Origin: https://evil.example' {api}/api/greeting      # refused: no CORS headers
  .venv/bin/crossgate check {api}/api/items -X POST -H 'Content-Type: application/json' \\
       --origin {page} --send -d '{{"name": "curl"}}'
  .venv/bin/crossgate check {api}/api/partner-only --origin {page}    # blocked: why, and the fix
  .venv/bin/flask --app examples.demo:create_api crossgate routes

Ctrl-C stops the demo.
""",
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        for server in servers:
            server.shutdown()
        print("bye")


if __name__ == "__main__":
    main()
