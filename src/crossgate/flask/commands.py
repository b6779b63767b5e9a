"""``flask crossgate ...``: inspect an app's crossgate configuration from the command line.

Registered through the ``flask.commands`` entry point, so every Flask app sees the group.
"""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup
from werkzeug.routing import Rule

from crossgate.browser import BrowserRequest, HttpResponse
from crossgate.cli.check import Reply, run_check
from crossgate.cli.command import finish, parse_header_options, request_options
from crossgate.errors import ConfigError
from crossgate.flask.state import AppState, Resolved
from crossgate.headers import HeaderPolicy, HeaderSetting

__all__ = ["crossgate_group"]

crossgate_group = AppGroup("crossgate", help="Inspect crossgate's CORS and header policies.")


def _resolved() -> Resolved:
    state = current_app.extensions.get("crossgate")
    if not isinstance(state, AppState):
        raise click.ClickException(
            "crossgate is not set up on this app: call CORS(app, origins=[...]) or "
            "Headers(app), or use @cross_origin"
        )
    try:
        return state.resolved or state.resolve(current_app)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


def _rules() -> list[Rule]:
    return sorted(current_app.url_map.iter_rules(), key=lambda rule: (rule.rule, rule.endpoint))


def _methods(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - {"OPTIONS"})


@crossgate_group.command("routes")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def routes_command(as_json: bool) -> None:
    """Every route, its methods and its effective CORS policy (and where it came from)."""
    resolved = _resolved()
    rows = []
    for rule in _rules():
        policy = resolved.for_endpoint(rule.endpoint, rule.rule)
        rows.append(
            {
                "rule": rule.rule,
                "endpoint": rule.endpoint,
                "methods": _methods(rule),
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


@crossgate_group.command("headers")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def headers_command(as_json: bool) -> None:
    """Every route's response headers: the value, and where each came from.

    The source is the option that set it (preset:<name>, headers, hsts, csp) and the level
    (app, blueprint '<name>', view). Headers a view sets itself win unless marked override.
    """
    resolved = _resolved()
    rows = []
    for rule in _rules():
        policy, header_policy = resolved.lookup(rule.endpoint, rule.rule)
        sent, removed = _header_rows(header_policy, cross_origin=policy is not None)
        rows.append(
            {
                "rule": rule.rule,
                "endpoint": rule.endpoint,
                "methods": _methods(rule),
                "headers": sent,
                "removed": removed,
            }
        )
    if as_json:
        click.echo(
            json.dumps({"https_redirect": resolved.https_redirect, "routes": rows}, indent=2)
        )
        return
    if resolved.https_redirect:
        click.echo("https redirect: plain-http requests get a 308 to their https URL")
    for row in rows:
        click.echo(f"{row['rule']}  [{', '.join(row['methods'])}]  endpoint={row['endpoint']}")
        if not row["headers"] and not row["removed"]:
            click.echo("    no response headers from crossgate")
        for header in row["headers"]:
            notes = [f"{header['source']} @ {header['level']}"]
            if header["override"]:
                notes.append("override: replaces the view's own")
            if header["http_value"] is None:
                notes.append("https only")
            elif header["http_value"] != header["value"]:
                notes.append(f"on http: {header['http_value']}")
            if header["nonce_directives"]:
                notes.append(f"+ nonce in {', '.join(header['nonce_directives'])}")
            click.echo(f"    {header['name']}: {header['value']}  ({'; '.join(notes)})")
        for header in row["removed"]:
            click.echo(f"    removed: {header['name']}  ({header['source']} @ {header['level']})")


def _header_rows(
    policy: HeaderPolicy | None, *, cross_origin: bool
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The headers a route's policy sends, and those it removes, as JSON-ready rows."""
    sent: list[dict[str, object]] = []
    removed: list[dict[str, object]] = []
    for setting in policy.describe() if policy is not None else ():
        level = setting.context
        if setting.value is None:
            removed.append({"name": setting.name, "source": setting.source, "level": level})
            continue
        sent.append(
            {
                "name": setting.name,
                "value": _value(setting, setting.value, cross_origin),
                "http_value": _value(setting, setting.http_value, cross_origin),
                "source": setting.source,
                "level": level,
                "override": setting.override,
                "nonce_directives": list(setting.nonce_directives),
                "reason": setting.reason,
            }
        )
    return sent, removed


def _value(setting: HeaderSetting, value: str | None, cross_origin: bool) -> str | None:
    # The edge sends the relaxed CORP value on routes with a CORS policy (see docs/headers.md).
    if value is not None and cross_origin and setting.cross_origin_value is not None:
        return setting.cross_origin_value
    return value


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

    def send(method: str, url: str, lines: list[tuple[str, str]], body: bytes | None) -> Reply:
        response = client.open(
            url.removeprefix(base), method=method, headers=lines, data=body, base_url=base
        )
        answer = HttpResponse(response.status_code, tuple(response.headers.items()), url)
        return Reply(answer, response.get_data())

    request = BrowserRequest(
        base + path, origin, method, parse_header_options(headers), credentials
    )
    body = data.encode() if data is not None else None
    finish(run_check(request, send, send_unsafe=send_unsafe, body=body), as_json)
