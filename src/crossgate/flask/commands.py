"""``flask crossgate ...``: inspect an app's crossgate configuration from the command line.

Registered through the ``flask.commands`` entry point, so every Flask app sees the group.
"""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup

from crossgate.browser import BrowserRequest, HttpResponse
from crossgate.cli import finish, parse_header_options, request_options
from crossgate.cli.check import run_check
from crossgate.errors import ConfigError
from crossgate.flask.state import AppState

__all__ = ["crossgate_group"]

crossgate_group = AppGroup("crossgate", help="Inspect crossgate's CORS and header policies.")


def _state() -> AppState:
    state = current_app.extensions.get("crossgate")
    if not isinstance(state, AppState):
        raise click.ClickException(
            "crossgate is not set up on this app: "
            "call CORS(app, origins=[...]) or use @cross_origin"
        )
    return state


@crossgate_group.command("routes")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def routes_command(as_json: bool) -> None:
    """Every route, its methods and its effective CORS policy (and where it came from)."""
    state = _state()
    try:
        resolved = state.resolved or state.resolve(current_app)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    rows = []
    for rule in sorted(
        current_app.url_map.iter_rules(), key=lambda rule: (rule.rule, rule.endpoint)
    ):
        policy = resolved.for_endpoint(rule.endpoint, rule.rule)
        methods = sorted((rule.methods or set()) - {"OPTIONS"})
        rows.append(
            {
                "rule": rule.rule,
                "endpoint": rule.endpoint,
                "methods": methods,
                "cors": policy.summary() if policy is not None else None,
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(f"{row['rule']}  [{', '.join(row['methods'])}]  endpoint={row['endpoint']}")
        cors = row["cors"]
        if cors is None:
            click.echo("    no CORS: cross-origin pages cannot read it")
            continue
        assert isinstance(cors, dict)
        credentials = "yes" if cors["supports_credentials"] else "no"
        click.echo(f"    origins: {', '.join(cors['origins']) or '(none)'}")
        methods = cors["methods"]
        shown = methods if isinstance(methods, str) else ", ".join(methods)
        click.echo(f"    credentials: {credentials}  max-age: {cors['max_age']}s  methods: {shown}")
        click.echo(f"    from: {cors['source']}")


@crossgate_group.command("check")
@click.argument("path")
@request_options
def check_command(
    path: str,
    origin: str,
    method: str,
    headers: tuple[str, ...],
    credentials: bool,
    data: str | None,
    send_unsafe: bool,
    as_json: bool,
) -> None:
    """Check PATH inside the app (its test client, no server) the way a browser on ORIGIN would."""
    if not path.startswith("/"):
        raise click.BadParameter(f"{path!r} is not a path starting with '/'", param_hint="PATH")
    client = current_app.test_client()
    base = "http://localhost"

    def send(
        method: str, url: str, lines: list[tuple[str, str]], body: bytes | None
    ) -> HttpResponse:
        response = client.open(
            url.removeprefix(base), method=method, headers=lines, data=body, base_url=base
        )
        return HttpResponse(response.status_code, tuple(response.headers.items()), url)

    request = BrowserRequest(
        base + path, origin, method, parse_header_options(headers), credentials
    )
    body = data.encode() if data is not None else None
    finish(run_check(request, send, send_unsafe=send_unsafe, body=body), as_json)
