"""What compiling flask-cors options found, and how a user sees it.

Problems are raised together; warnings are ``warnings.warn``-ed as ``FlaskCorsCompatWarning``
and logged on ``flask_cors.core`` (flask-cors only logged unknown options, on a logger with no
handler, so misspelt options went unnoticed: corydolphin/flask-cors#197), each once, both
pointing at the user's line. Messages that need no fix (a string read as its author meant it, an
unsafe behaviour kept on purpose) are ``Logged`` only, so an app's tests under ``-W error`` pass.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import CodeType
from typing import Any

from crossgate._callsite import user_frame
from crossgate.compat.flask_cors._log import core_logger
from crossgate.compat.flask_cors.core import CONFIG_OPTIONS, DEFAULT_OPTIONS
from crossgate.errors import Problem, closest_name, describe

_REGISTRY = "__warningregistry__"


class FlaskCorsCompatWarning(UserWarning):
    """A flask-cors configuration that works, but not the way its author most likely meant.

    Filter it like any warning, e.g. ``warnings.filterwarnings("ignore",
    category=FlaskCorsCompatWarning)``, or under pytest ``-W error`` with
    ``pytest.warns(FlaskCorsCompatWarning)``.
    """


@dataclass(frozen=True, slots=True)
class Logged:
    """A message for the ``flask_cors.core`` log alone, without a ``FlaskCorsCompatWarning``."""

    text: str
    level: int = logging.INFO


def emit(
    messages: Iterable[str | Logged], *, seen: set[str] | None = None, at: CodeType | None = None
) -> None:
    """Warn (and log) each distinct message once, skipping and then adding to *seen* (an app's
    messages so far), at the user's line: the first frame outside crossgate, or the start of
    *at* (a view's code, when a request compiles its policy)."""
    unique = [text for text in dict.fromkeys(messages) if seen is None or str(text) not in seen]
    if not unique:
        return
    if seen is not None:
        seen.update(map(str, unique))
    if at is not None:
        filename, line, module_globals = at.co_filename, at.co_firstlineno, None
    else:
        frame = user_frame()
        filename, line, module_globals = frame.f_code.co_filename, frame.f_lineno, frame.f_globals
    registry = None if module_globals is None else module_globals.setdefault(_REGISTRY, {})
    for message in unique:
        note = message if isinstance(message, Logged) else Logged(message, logging.WARNING)
        if core_logger.isEnabledFor(note.level):
            where = (core_logger.name, note.level, filename, line, "%s", (note.text,), None)
            core_logger.handle(core_logger.makeRecord(*where))
        if note is not message:
            category = FlaskCorsCompatWarning
            warnings.warn_explicit(note.text, category, filename, line, registry=registry)


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
