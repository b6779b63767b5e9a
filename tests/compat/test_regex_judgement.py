"""The flask-cors drop-in keeps flask-cors's guessed regexes, judged as crossgate judges its own:
one that admits a registrable domain it does not name is kept, with a warning naming the site."""

from __future__ import annotations

import flask
import pytest

from crossgate.compat.flask_cors import CORS, FlaskCorsCompatWarning


@pytest.mark.parametrize(
    ("pattern", "attack"),
    [
        # Each with a port, so flask-cors's start-only match admits nothing more of the same host
        # (that difference has its own warning, in test_origin_readings.py).
        (r"https://.*example\.com(:[0-9]+)?", "https://xexample.com"),
        (r"https://app.example\.com(:[0-9]+)?", "https://appxexample.com"),
        (r"https://[a-z]+\.github\.io(:[0-9]+)?", "https://x.github.io"),
    ],
)
def test_a_guessed_regex_admitting_a_foreign_domain_is_kept_with_a_warning(
    pattern: str, attack: str
) -> None:
    app = flask.Flask(__name__)
    app.add_url_rule("/", view_func=lambda: "ok")
    with pytest.warns(FlaskCorsCompatWarning, match=f"also lets in '{attack}'"):
        CORS(app, origins=[pattern])
    answer = app.test_client().get("/", headers={"Origin": attack})
    assert answer.headers["Access-Control-Allow-Origin"] == attack  # as flask-cors would


def test_a_guessed_regex_naming_its_domain_gets_no_warning() -> None:
    app = flask.Flask(__name__)
    CORS(
        app, origins=[r"https://[a-z0-9-]+\.example\.com(:[0-9]+)?"]
    )  # -W error: any warning fails
