"""What compiling flask-cors options found: problems (raised together) and warnings (emitted
once each), and the names they are checked against: the options and the ``CORS_*`` config keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from crossgate._policy import closest_name
from crossgate.compat.flask_cors._warnings import Logged
from crossgate.compat.flask_cors.core import CONFIG_OPTIONS, DEFAULT_OPTIONS
from crossgate.errors import Problem, describe

#: Every option name flask-cors knows, plus ``preflight_before_request``.
KNOWN_OPTIONS = frozenset(DEFAULT_OPTIONS)

#: ``app.config`` key -> option name.
CONFIG_KEYS: Mapping[str, str] = {
    **{key: key.removeprefix("CORS_").lower() for key in CONFIG_OPTIONS},
    "CORS_PREFLIGHT_BEFORE_REQUEST": "preflight_before_request",
    "CORS_UNSAFE_ANY_ORIGIN_WITH_CREDENTIALS": "unsafe_any_origin_with_credentials",
}


def config_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """The flask-cors options set in an app's config (a value of ``None`` is ignored)."""
    return {
        option: value
        for key, option in CONFIG_KEYS.items()
        if (value := config.get(key)) is not None
    }


def _is_any(value: Any) -> bool:
    """Whether an ``origins``/``allow_headers`` value lets everything through."""
    return any(item in ("*", ".*") for item in ensure_iterable(value))


def what_applies(option: str, value: Any, subject: str) -> str:
    """What *subject* does with *value* for *option*: the consequence of a misspelt name."""
    if option == "origins":
        if _is_any(value):
            return f"{subject} allows every origin (origins={describe(value)})"
        return f"{subject} allows only origins={describe(value)}"
    if option == "allow_headers" and _is_any(value):
        return f"{subject} allows every requested header (allow_headers={describe(value)})"
    if option == "supports_credentials" and not value:
        return f"{subject} does not allow credentials (supports_credentials=False)"
    return f"{subject} uses {option}={describe(value)}"


@dataclass(slots=True)
class Notes:
    """What compiling found: errors (raised together) and warnings (emitted once each)."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[str | Logged] = field(default_factory=list)

    def unknown_options(
        self,
        options: Mapping[str, Any],
        where: str,
        effective: Mapping[str, Any],
        subject: str,
        *,
        config_may_change: bool = False,
    ) -> None:
        """Warn about names flask-cors does not know, saying what *subject* does instead, given
        the *effective* options (``config_may_change``: the app's ``CORS_*`` keys, read later,
        may still change them)."""
        for name in options:
            if name in KNOWN_OPTIONS:
                continue
            head = f"{where}: flask-cors ignores the unknown option {describe(name)}"
            key = closest_name(str(name).upper(), sorted(CONFIG_KEYS))
            if str(name).upper().startswith("CORS_") and key is not None:
                # A config key passed as a keyword: the option, or the key in app.config.
                option = CONFIG_KEYS[key]
                effect = what_applies(option, effective.get(option), subject)
                self.warnings.append(
                    f"{head}, so {effect}; did you mean {option!r}, or app.config[{key!r}]?"
                )
                continue
            guess = closest_name(str(name), sorted(KNOWN_OPTIONS))
            if guess is None:
                self.warnings.append(f"{head}; see the options in docs/migration.md")
                continue
            effect = what_applies(guess, effective.get(guess), subject)
            if config_may_change and guess not in options:
                effect += f" unless app.config['CORS_{guess.upper()}'] is set"
            self.warnings.append(f"{head}, so {effect}; did you mean {guess!r}?")

    def unknown_config_keys(self, config: Mapping[str, Any]) -> None:
        for key in config:
            if isinstance(key, str) and key.startswith("CORS_") and key not in CONFIG_KEYS:
                guess = closest_name(key, sorted(CONFIG_KEYS))
                head = f"app.config[{describe(key)}] is not a flask-cors setting"
                if guess is None:
                    self.warnings.append(
                        f"{head} and has no effect; see the CORS_* keys in docs/migration.md"
                    )
                    continue
                option = CONFIG_KEYS[guess]
                value = config.get(guess)
                effect = what_applies(
                    option, DEFAULT_OPTIONS[option] if value is None else value, "CORS"
                )
                self.warnings.append(
                    f"{head}: flask-cors ignores it, so {effect}; did you mean {guess!r}?"
                )


def ensure_iterable(value: Any) -> list[Any]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        return [value]
    return list(value)
