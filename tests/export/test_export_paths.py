"""The paths the proxy classifies itself are only ones Werkzeug builds back as they were sent
(the first value of each rule below is one); every other path of a value-dependent rule is
passed to the app, which is always right."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from werkzeug.exceptions import NotFound
from werkzeug.routing import BaseConverter, RequestRedirect

from crossgate.export._paths import NEVER, canonical_body

RULES = {
    "/a/<name>": ["x", "a b", "%41", "é", "a;b", "~t"],
    "/a/<string(length=2):code>": ["ab", "a~", "a%"],
    "/p/<path:rest>": ["x/y", "x/y/", "x//y", "x%2Fy", "x y/z"],
    "/i/<int:n>": ["7", "007", "0", "-3"],
    "/s/<int(signed=True):n>": ["-3", "3", "-0", "-03", "0"],
    "/f/<int(fixed_digits=3):n>": ["007", "123"],
    "/u/<uuid:id>": [
        "6f1c2ab4-8b9e-4c1a-9f1e-0123456789ab",
        "6F1C2AB4-8B9E-4C1A-9F1E-0123456789AB",
    ],
    "/k/<any(red, 'dark blue'):colour>": ["red", "dark blue"],
    "/d/<name>/": ["x/", "x"],
}


def built_back(app: Flask, path: str) -> str | None:
    """The path Werkzeug builds back for *path* (what the app's resources rules see)."""
    adapter = app.url_map.bind("localhost")
    try:
        rule, values = adapter.match(path, return_rule=True)
    except (NotFound, RequestRedirect):
        return None  # not this rule's, or redirected (a slash added, slashes merged)
    built = rule.build(values, append_unknown=False)
    assert built is not None
    return built[1]


@pytest.mark.parametrize(("pattern", "values"), RULES.items())
def test_a_canonical_path_is_one_werkzeug_builds_back_unchanged(
    pattern: str, values: list[str]
) -> None:
    app = Flask(__name__)
    app.add_url_rule(pattern, "view", lambda **_: "")
    [rule] = [rule for rule in app.url_map.iter_rules() if rule.endpoint == "view"]
    body = canonical_body(rule)
    assert body
    prefix = pattern.split("<")[0]
    for value in values:
        path = prefix + value
        built = built_back(app, path)
        canonical = bool(re.fullmatch(body, path))
        if value == values[0]:
            assert canonical, path
        if canonical and built is not None:
            assert built == path, path


def test_a_rule_whose_own_text_werkzeug_encodes_is_never_canonical() -> None:
    app = Flask(__name__)
    app.add_url_rule("/caf\u00e9/<name>", "view", lambda **_: "")
    [rule] = [rule for rule in app.url_map.iter_rules() if rule.endpoint == "view"]
    assert canonical_body(rule) == NEVER
    assert built_back(app, "/caf\u00e9/x") == "/caf%C3%A9/x"


def test_a_converter_of_unknown_writing_has_no_canonical_form() -> None:
    class Upper(BaseConverter):
        def to_python(self, value: str) -> str:
            return value.upper()

    app = Flask(__name__)
    app.url_map.converters["upper"] = Upper
    app.add_url_rule("/c/<upper:name>", "view", lambda **_: "")
    [rule] = [rule for rule in app.url_map.iter_rules() if rule.endpoint == "view"]
    assert canonical_body(rule) is None
