"""``flask crossgate ...``: inspect an app's crossgate configuration from the command line.

The commands of the group :mod:`crossgate.flask._commands` registers (on ``app.cli`` at
``init_app``, and through the ``flask.commands`` entry point): that group loads this module the
first time Flask's command line asks it for a command, so a web worker never imports the tools.
It shows the native policies and those of the flask-cors compatibility layer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from werkzeug.routing import Rule

from crossgate._engine import answered_methods
from crossgate.browser import ENGINES, HttpResponse
from crossgate.cli._app_log import app_log, known_cause, with_app_reasons
from crossgate.cli._command import CheckArgs, check_engines, finish, request_options
from crossgate.cli._shared import (
    export_options,
    help_epilog,
    parse_header_options,
    proxy_argument,
)
from crossgate.cli._tools import AuditArgs, audit_options, finish_audit, finish_grade
from crossgate.errors import ConfigError
from crossgate.export import ExportError, export_config
from crossgate.flask._commands import GROUP_HELP
from crossgate.flask._resolved import Resolved
from crossgate.flask._state import AppState, has_decorated_views
from crossgate.grade import GRADES
from crossgate.headers import HeaderPolicy, HeaderSetting
from crossgate.inspect import Reply, Send, WriteCheck, run_audit
from crossgate.inspect._flask_cors import route_header_rows, route_policies, uses_compat_layer
from crossgate.inspect._flask_protection import RouteProtection, predict_in_app, route_protection

crossgate_group = AppGroup("crossgate", help=GROUP_HELP)

Row = dict[str, object]

#: What exit status 2 means for a command run inside the app.
_IN_APP = "a usage error (a bad PATH or option)"
#: Where ``check`` and ``audit`` send PATH, through the app's test client.
_BASE = "http://localhost"


def _app_command(
    name: str,
    examples: tuple[str, ...],
    *,
    allowed: str,
    blocked: str | None = None,
    error: str = _IN_APP,
) -> Callable[[Callable[..., None]], click.Command]:
    """A ``flask crossgate`` command: *name* in the group, its ``--help`` ending with *examples*
    and its exit statuses (:func:`help_epilog`; 2: a usage error, unless *error* says more)."""
    return crossgate_group.command(
        name, epilog=help_epilog(examples, allowed=allowed, blocked=blocked, error=error)
    )


def _path_command(
    name: str, examples: tuple[str, ...], *, allowed: str, blocked: str
) -> Callable[[Callable[..., None]], click.Command]:
    """A ``flask crossgate`` command on one PATH of the app (``check``, ``audit``: the twins of
    the ``crossgate`` commands on a URL): :func:`_app_command` with its PATH argument, which the
    command turns into a URL with :func:`_app_url`."""
    command = _app_command(name, examples, allowed=allowed, blocked=blocked)

    def decorate(function: Callable[..., None]) -> click.Command:
        return command(click.argument("path")(function))

    return decorate


@dataclass(frozen=True, slots=True)
class _Policies:
    """What the commands show of one app: the native policies and/or the flask-cors layer's."""

    resolved: Resolved | None
    #: Whether the flask-cors layer is set up on the app.
    compat: bool

    def cors(self, rule: Rule) -> list[Row]:
        """The CORS policies answering requests to *rule*, the deciding one first."""
        found: list[Row] = []
        if self.resolved is not None:
            policy = self.resolved.for_endpoint(rule.endpoint, rule.rule)
            if policy is not None:
                effective = answered_methods(policy.allowed_methods, rule.methods or ())
                found.append({**policy.summary(), "effective_methods": sorted(effective)})
        if self.compat:
            found += _config_errors(route_policies, rule)
        return found

    def protection(self, rule: Rule) -> RouteProtection:
        """What cross-origin protection does on *rule* (trusting the native CORS policy's
        origins allowed with credentials, as the protection does)."""
        policy = None
        if self.resolved is not None:
            policy = self.resolved.for_endpoint(rule.endpoint, rule.rule)
        try:
            return route_protection(current_app, rule.endpoint, policy)
        except ConfigError as error:
            raise click.ClickException(str(error)) from None

    def headers(self, rule: Rule) -> tuple[HeaderPolicy | None, bool, list[Row]]:
        """The header policy of *rule*, whether CORS applies to it, and the flask-cors layer's
        CORS header rows."""
        header_policy = policy = None
        if self.resolved is not None:
            policy, header_policy = self.resolved.lookup(rule.endpoint, rule.rule)
        compat_rows: list[Row] = []
        if self.compat:
            compat_rows = _config_errors(route_header_rows, rule)
        return header_policy, policy is not None or bool(compat_rows), compat_rows


def _config_errors(inspect: Callable[[Flask, Rule], list[Row]], rule: Rule) -> list[Row]:
    """``inspect(app, rule)``; a configuration error it finds is the command's error."""
    try:
        return inspect(current_app, rule)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


def _policies() -> _Policies:
    state = current_app.extensions.get("crossgate")
    compat = uses_compat_layer(current_app)
    resolved = None
    if state is None and has_decorated_views(current_app):
        state = AppState()  # decorators only: the edge comes with the first request
    if isinstance(state, AppState):
        try:
            resolved = state.resolved or state.resolve(current_app)
        except ConfigError as error:
            raise click.ClickException(str(error)) from None
    elif not compat:
        raise click.ClickException(
            "crossgate is not set up on this app: call CORS(app, origins=[...]) or "
            "Headers(app), or use @cross_origin (or crossgate.compat.flask_cors's CORS)"
        )
    return _Policies(resolved, compat)


def _rules() -> list[Rule]:
    return sorted(current_app.url_map.iter_rules(), key=lambda rule: (rule.rule, rule.endpoint))


def _methods(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - {"OPTIONS"})


@crossgate_group.command("routes")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def routes_command(as_json: bool) -> None:
    """Every route, its methods, its effective CORS policy (and where it came from) and its
    cross-origin protection: protected (with the origins trusted to write), exempt, or not.

    With flask-cors's API (crossgate.compat.flask_cors), several CORS() calls act as a union:
    the other policies that also answer a route are listed under "also".
    """
    policies = _policies()
    rows = []
    for rule in _rules():
        cors = [_with_cached_age(row) for row in policies.cors(rule)]
        rows.append(
            {
                "rule": rule.rule,
                "endpoint": rule.endpoint,
                "methods": _methods(rule),
                "cors": cors[0] if cors else None,
                "also": cors[1:],
                "protection": policies.protection(rule),
            }
        )
    if as_json:
        shown = [{**row, "protection": _protection_row(row)} for row in rows]
        click.echo(json.dumps(shown, indent=2))
        return
    for row in rows:
        click.echo(f"{row['rule']}  [{', '.join(row['methods'])}]  endpoint={row['endpoint']}")
        protection = row["protection"]
        assert isinstance(protection, RouteProtection)
        cors = row["cors"]
        if cors is None:
            click.echo("    no CORS: cross-origin pages cannot read it")
            click.echo(f"    {protection.line}")
            continue
        assert isinstance(cors, dict)
        assert isinstance(row["also"], list)
        _echo_policy(cors)
        for other in row["also"]:
            click.echo("    also (either may allow a request):")
            _echo_policy(other)
        click.echo(f"    {protection.line}")


def _protection_row(row: Row) -> Row:
    protection = row["protection"]
    assert isinstance(protection, RouteProtection)
    return protection.row()


def _with_cached_age(cors: Row) -> Row:
    """The policy row plus how long each engine caches its preflight (each caps max_age)."""
    max_age = cors.get("max_age")
    if not isinstance(max_age, int):
        return cors
    cached = {
        profile.name: min(max(max_age, 0), profile.max_age_cap or max_age) for profile in ENGINES
    }
    return {**cors, "max_age_cached": cached}


def _echo_policy(cors: Row) -> None:
    credentials = "yes" if cors["supports_credentials"] else "no"
    origins = cors["origins"]
    assert isinstance(origins, list)
    click.echo(f"    origins: {', '.join(origins) or '(none)'}")
    shown = _shown_methods(cors["methods"], cors.get("effective_methods"))
    max_age = "none" if cors["max_age"] is None else f"{cors['max_age']}s"
    click.echo(f"    credentials: {credentials}  max-age: {max_age}  methods: {shown}")
    cached = cors.get("max_age_cached")
    if isinstance(cached, dict):
        engines = ", ".join(f"{name} {seconds}s" for name, seconds in cached.items())
        click.echo(f"    preflight cached: {engines}")
    click.echo(f"    from: {cors['source']}")


def _shown_methods(configured: object, effective: object) -> str:
    """The methods a preflight is answered with, and the configured ones when they differ
    (a configured method the route does not accept is refused: ``method-not-routed``)."""
    if not isinstance(effective, list):  # the flask-cors layer answers with what is configured
        assert isinstance(configured, (str, list))
        return configured if isinstance(configured, str) else ", ".join(configured)
    answered = ", ".join(effective) or "none"
    if isinstance(configured, str):
        return f"{answered} (the route's own)"
    assert isinstance(configured, list)
    if configured == effective:
        return answered
    # What differs is what the route does not accept: effective is route ∩ configured.
    refused = ", ".join(sorted(set(configured) - set(effective)))
    return (
        f"{answered} (configured: {', '.join(configured)}; the route does not accept "
        f"{refused}: their preflights are refused)"
    )


@_app_command(
    "headers",
    ("flask --app app crossgate headers", "flask --app app crossgate headers / --grade"),
    allowed="the table was printed (with --min-grade: the grade is at least that)",
    blocked="with --min-grade: the grade is below it",
)
@click.argument("path", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option(
    "--grade",
    "grade_path",
    is_flag=True,
    help="Grade PATH by the MDN HTTP Observatory's scoring (through the test client, https).",
)
@click.option(
    "--min-grade",
    type=click.Choice(GRADES, case_sensitive=False),
    default=None,
    help="With --grade: exit 1 below this grade.",
)
def headers_command(
    as_json: bool, path: str | None = None, grade_path: bool = False, min_grade: str | None = None
) -> None:
    """Every route's response headers: the value, and where each came from.

    The source is the option that set it (preset:<name>, headers, hsts, csp) and the level
    (app, blueprint '<name>', view). Headers a view sets itself win unless marked override.
    With --grade PATH: PATH's grade, each test's modifier and the fix (see docs/audit.md).
    """
    if grade_path or path is not None or min_grade is not None:
        if not grade_path or path is None or not path.startswith("/"):
            raise click.UsageError(
                "grade one path of the app: flask crossgate headers /path --grade"
            )
        base = "https://localhost"  # https: the edge sends HSTS on secure requests only
        finish_grade(
            base + path, _client_send(base), as_json=as_json, min_grade=min_grade, inside_app=True
        )
    policies = _policies()
    rows = []
    for rule in _rules():
        header_policy, cross_origin, compat_rows = policies.headers(rule)
        sent, removed = _header_rows(header_policy, cross_origin=cross_origin)
        sent += compat_rows
        rows.append(
            {
                "rule": rule.rule,
                "endpoint": rule.endpoint,
                "methods": _methods(rule),
                "headers": sent,
                "removed": removed,
            }
        )
    https_redirect = policies.resolved is not None and policies.resolved.https_redirect
    if as_json:
        click.echo(json.dumps({"https_redirect": https_redirect, "routes": rows}, indent=2))
        return
    if https_redirect:
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


def _header_rows(policy: HeaderPolicy | None, *, cross_origin: bool) -> tuple[list[Row], list[Row]]:
    """The headers a route's policy sends, and those it removes, as JSON-ready rows."""
    sent: list[Row] = []
    removed: list[Row] = []
    for setting in policy.settings if policy is not None else ():
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


@_path_command(
    "check",
    (
        "flask --app app crossgate check /api/items --origin http://localhost:3000",
        "flask --app app crossgate check /api/items --origin https://app.example.com \\\n"
        "      -X PUT -H 'Content-Type: application/json' --credentials",
    ),
    allowed="the browser would allow the request (with --browser all: every engine)",
    blocked="the browser would block it (the app's own reason and the fix are printed)",
)
@request_options
def check_command(path: str, given: CheckArgs) -> None:
    """Check PATH inside the app (its test client, no server) the way a browser on ORIGIN would.

    A refusal's cause and fix are the app's own: the reason crossgate logged (the level that
    decided, with the file and line that declared it, the origins it allows, a near miss), and
    a CORS header the app set by hand is named.

    For a POST (and with --websocket, a WebSocket handshake) it also says whether the app's
    CrossOriginProtection would refuse the write a page on ORIGIN can send without CORS's
    consent: the app's protection decides, no view runs.
    """
    url = _app_url(path)
    with app_log() as said:
        results = check_engines(
            given.request(url),
            _client_send(_BASE),
            browser=given.browser,
            target_address_space=given.target_address_space,
            send_unsafe=given.send_unsafe,
            body=given.body,
            # The test client's localhost says nothing about where the app will run.
            guess_address_space=False,
            known_cause=known_cause(said),
        )
    results = with_app_reasons(results, said)
    kinds = [(given.method, False), *([("GET", True)] if given.websocket else [])]
    writes = [
        write
        for method_sent, handshake in kinds
        if (write := _predicted(path, given.origin, method_sent, handshake)) is not None
    ]
    finish(results, given.as_json, writes)


def _predicted(path: str, origin: str, method: str, websocket: bool) -> WriteCheck | None:
    try:
        return predict_in_app(current_app, path, origin, method, websocket=websocket)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


@_app_command(
    "export",
    (
        "flask --app app crossgate export nginx > crossgate-cors.conf",
        "flask --app app crossgate export caddy --upstream http://127.0.0.1:5000",
    ),
    allowed="the configuration was printed",
    error="a usage error (a bad --upstream or --listen), or what the proxy cannot do as "
    "the app does",
)
@proxy_argument
@export_options("gunicorn", 5000)
def export_command(proxy: str, upstream: str, listen: str) -> None:
    """Print PROXY configuration answering CORS as the app does (see docs/deployment.md).

    Exits 2, naming each route and option, when the proxy cannot do what the app does (an
    origins callable, a regex the proxy's engine cannot run), before printing anything.
    """
    try:
        text = export_config(current_app, proxy, upstream=upstream, listen=listen)  # type: ignore[arg-type]
    except ValueError as error:  # a bad --upstream (or --listen: each message names its option)
        raise click.UsageError(str(error)) from None
    except ExportError as error:
        click.echo(f"Error: {error}", err=True)
        click.get_current_context().exit(2)
    click.echo(text, nl=False)


def _app_url(path: str) -> str:
    """PATH's URL under :data:`_BASE`, or a usage error when it does not start with '/'."""
    if not path.startswith("/"):
        raise click.BadParameter(f"{path!r} is not a path starting with '/'", param_hint="PATH")
    return _BASE + path


def _client_send(base: str) -> Send:
    """A ``Send`` through the app's test client, for URLs under *base*. The client keeps no
    cookie jar: Werkzeug's jar would replace a ``Cookie`` header given with ``-H``."""
    client = current_app.test_client(use_cookies=False)

    def send(method: str, url: str, lines: list[tuple[str, str]], body: bytes | None) -> Reply:
        response = client.open(
            url.removeprefix(base) or "/", method=method, headers=lines, data=body, base_url=base
        )
        answer = HttpResponse(response.status_code, tuple(response.headers.items()), url)
        return Reply(answer, response.get_data())

    return send


@_path_command(
    "audit",
    (
        "flask --app app crossgate audit /api/items",
        "flask --app app crossgate audit /api/me --origin https://app.example.com",
    ),
    allowed="no finding: no attack origin could read PATH",
    blocked="findings (each printed with its evidence and fix)",
)
@audit_options
def audit_command(path: str, given: AuditArgs) -> None:
    """Probe PATH inside the app (its test client) with attack origins derived from --origin.

    With --send-writes and a -H 'Cookie: ...': one cross-site form POST too (the view runs).
    """
    url = _app_url(path)
    # One request at a time: the test client runs the app in this thread.
    audit = run_audit(
        url,
        given.origins,
        _client_send(_BASE),
        headers=parse_header_options(given.headers),
        delay=given.delay,
        concurrency=1,
        send_writes=given.send_writes,
    )
    finish_audit(audit, given.as_json)
