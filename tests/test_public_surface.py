"""The public surface: the names each public package exports, pinned.

A change here is a deliberate change to what users may import; every other module is private
(``_name``, or inside a private package).
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

import crossgate

PUBLIC: dict[str, list[str]] = {
    "crossgate": [
        "ConfigError",
        "Problem",
        "__version__",
    ],
    "crossgate.errors": [
        "ConfigError",
        "MAX_SHOWN",
        "Problem",
        "describe",
        "show",
    ],
    "crossgate.flask": [
        "CORS",
        "ConfigError",
        "CrossOriginProtection",
        "HSTS",
        "Headers",
        "cross_origin",
        "csp_nonce",
        "headers",
    ],
    "crossgate.asgi": [
        "CORSMiddleware",
        "CrossOriginProtection",
        "HeadersMiddleware",
        "csp_nonce",
    ],
    "crossgate.headers": [
        "HSTS",
        "HeaderPolicy",
        "HeaderSetting",
        "PRESETS",
        "Preset",
        "PresetHeader",
        "compile_headers",
        "make_nonce",
    ],
    "crossgate.browser": [
        "BrowserRequest",
        "CHROMIUM",
        "ENGINES",
        "EngineProfile",
        "FIREFOX",
        "Hop",
        "HttpResponse",
        "PROFILES",
        "STANDARD",
        "Verdict",
        "WEBKIT",
        "console_lines",
        "console_message",
        "cors_check",
        "evaluate",
        "first_hop",
        "follow_redirect",
        "get_profile",
        "is_redirect",
        "is_safelisted_request_header",
        "needs_preflight",
        "normalize_method",
        "preflight_check",
        "readable_response_headers",
        "resolve_redirect",
        "unsafe_request_header_names",
        "url_origin",
    ],
    "crossgate.inspect": [
        "ADDRESS_SPACES",
        "ATTACK_CLASSES",
        "Audit",
        "BODY_LIMIT",
        "BODY_SECONDS",
        "CheckResult",
        "Diagnosis",
        "Exchange",
        "Finding",
        "KnownCause",
        "MAX_HEADER_PROBES",
        "MAX_TRUSTED",
        "Note",
        "PER_ORIGIN",
        "Prediction",
        "Probe",
        "Reply",
        "SHARED",
        "Send",
        "WriteCheck",
        "address_space",
        "check_write",
        "derive_probes",
        "fetch_site",
        "local_network_access",
        "preflight_headers",
        "preflight_probes",
        "read_server_reason",
        "run_audit",
        "run_check",
        "run_checks",
    ],
    "crossgate.grade": [
        "CspNote",
        "GRADES",
        "Graded",
        "MAX_REDIRECTS",
        "OBSERVATORY_ORIGIN",
        "OBSERVATORY_VERSION",
        "Observed",
        "Report",
        "SCORE_TABLE",
        "TEST_NAMES",
        "Tested",
        "evaluate_csp",
        "grade",
        "grade_for",
        "grade_report",
        "observe",
        "reaches",
        "render_json",
        "render_text",
    ],
    "crossgate.export": [
        "ExportError",
        "PROXIES",
        "Refusal",
        "check_upstream",
        "export_config",
    ],
    "crossgate.compat": [],
    "crossgate.compat.flask_cors": [
        "CORS",
        "FlaskCorsCompatWarning",
        "__version__",
        "cross_origin",
    ],
    "crossgate.compat.flask_cors.core": [
        "ACL_ALLOW_HEADERS",
        "ACL_CREDENTIALS",
        "ACL_EXPOSE_HEADERS",
        "ACL_MAX_AGE",
        "ACL_METHODS",
        "ACL_ORIGIN",
        "ACL_REQUEST_HEADERS",
        "ACL_REQUEST_HEADER_PRIVATE_NETWORK",
        "ACL_REQUEST_METHOD",
        "ACL_RESPONSE_PRIVATE_NETWORK",
        "ALL_METHODS",
        "CONFIG_OPTIONS",
        "CorsOptionsInput",
        "CrossOriginOptionsInput",
        "DEFAULT_OPTIONS",
        "FLASK_CORS_EVALUATED",
    ],
    "crossgate.compat.flask_cors.decorator": [
        "cross_origin",
    ],
    "crossgate.compat.flask_cors.extension": [
        "CORS",
    ],
    "crossgate.compat.starlette": [
        "ALL_METHODS",
        "CORSMiddleware",
        "SAFELISTED_HEADERS",
        "StarletteCompatWarning",
        "UNSAFE_KEYWORD",
    ],
    "crossgate.cli": [
        "main",
    ],
}


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_each_public_package_exports_exactly_its_pinned_names(name: str) -> None:
    module = importlib.import_module(name)
    assert sorted(getattr(module, "__all__", [])) == PUBLIC[name]
    for exported in PUBLIC[name]:
        assert hasattr(module, exported), f"{name}.__all__ names {exported}, which is missing"


def _modules() -> list[str]:
    root = Path(crossgate.__file__).parent
    found = []
    for info in pkgutil.walk_packages([str(root)], prefix="crossgate."):
        found.append(info.name)
    return found


def test_every_other_module_is_private() -> None:
    # A module users may import is listed in PUBLIC; any other is underscored, or lives in an
    # underscored module's package.
    public_looking = [
        name
        for name in _modules()
        if not any(part.startswith("_") for part in name.split(".")) and name not in PUBLIC
    ]
    assert public_looking == []


def test_private_modules_leave_all_to_the_packages() -> None:
    # __all__ says what users import from; a private module that re-exports on behalf of its
    # package keeps one only where its imports would otherwise look unused.
    root = Path(crossgate.__file__).parent
    with_all = sorted(
        str(path.relative_to(root))
        for path in root.rglob("_*.py")
        if path.name != "__init__.py" and "__all__ =" in path.read_text(encoding="utf-8")
    )
    assert with_all == KEPT_ALL


#: Private modules that keep ``__all__`` because they re-export for their package.
KEPT_ALL = [
    "_origins.py",
    "_policy.py",
]
