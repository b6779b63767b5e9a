"""Strict-Transport-Security: the :class:`HSTS` options, their checks, and the policy setting.

HSTS is configured through its own option rather than as a raw header, so that it is validated
(hstspreload.org's rules for ``preload``) and sent on https responses only.
"""

from __future__ import annotations

from dataclasses import dataclass

from crossgate.errors import ConfigError, Problem
from crossgate.headers._policy import HeaderSetting


@dataclass(frozen=True, slots=True)
class HSTS:
    """Strict-Transport-Security options; ``HSTS().value`` is the header value.

    The defaults are OWASP's: two years, subdomains included. ``preload`` asks browsers to ship
    the host in their built-in list, which https://hstspreload.org only accepts with
    ``include_subdomains=True`` and ``max_age`` of at least a year; anything else is a
    :class:`~crossgate.errors.ConfigError`.

    >>> HSTS(max_age=31536000, preload=True).value
    'max-age=31536000; includeSubDomains; preload'
    """

    max_age: int = 63072000
    include_subdomains: bool = True
    preload: bool = False

    @property
    def value(self) -> str:
        """The header value; raises :class:`~crossgate.errors.ConfigError` if invalid."""
        problems = _hsts_problems(self)
        if problems:
            raise ConfigError(problems)
        parts = [f"max-age={self.max_age}"]
        if self.include_subdomains:
            parts.append("includeSubDomains")
        if self.preload:
            parts.append("preload")
        return "; ".join(parts)


_PRELOAD_MIN_AGE = 31536000


def _hsts_problems(hsts: HSTS) -> list[Problem]:
    problems = []
    age = hsts.max_age
    if isinstance(age, bool) or not isinstance(age, int) or age < 0:
        problems.append(
            Problem(
                "hsts.max_age",
                age,
                "is not a number of seconds",
                "give a whole number of seconds, e.g. HSTS(max_age=63072000) for two years",
            )
        )
    elif hsts.preload and age < _PRELOAD_MIN_AGE:
        problems.append(
            Problem(
                "hsts.max_age",
                age,
                "is too short for preload (hstspreload.org requires at least a year)",
                f"use HSTS(max_age={_PRELOAD_MIN_AGE}, ...) or more, or drop preload=True",
            )
        )
    if hsts.preload and not hsts.include_subdomains:
        problems.append(
            Problem(
                "hsts.include_subdomains",
                hsts.include_subdomains,
                "must be True for preload (the preload list covers every subdomain)",
                "use HSTS(include_subdomains=True, preload=True), or drop preload=True",
            )
        )
    return problems


def hsts_fix(value: object) -> str:
    """The fix for Strict-Transport-Security given in ``headers``: the ``hsts=`` it means."""
    if value is None:
        return "use hsts=False to remove an inherited Strict-Transport-Security"
    if isinstance(value, str):
        parts = [part.strip().lower() for part in value.split(";")]
        ages = [part[len("max-age=") :] for part in parts if part.startswith("max-age=")]
        if ages and ages[0].isdigit():
            return (
                f"use hsts=HSTS(max_age={int(ages[0])}, "
                f"include_subdomains={'includesubdomains' in parts}, "
                f"preload={'preload' in parts}): it is validated and sent on https only"
            )
    return "use hsts=HSTS(...): it is validated and sent on https only"


def hsts_setting(hsts: object, context: str, problems: list[Problem]) -> HeaderSetting | None:
    """The setting for the ``hsts`` option (``False`` removes the header), or ``None`` with the
    problems appended."""
    name = "Strict-Transport-Security"
    if hsts is False:
        return HeaderSetting(name, None, None, "hsts", "removed with hsts=False", context)
    if hsts is True:
        hsts = HSTS()
    if not isinstance(hsts, HSTS):
        problems.append(
            Problem(
                "hsts",
                hsts,
                "is not HSTS(...), True or False",
                "write hsts=True for the defaults, or hsts=HSTS(max_age=...)",
            )
        )
        return None
    found = _hsts_problems(hsts)
    if found:
        problems.extend(found)
        return None
    scope = " and its subdomains" if hsts.include_subdomains else ""
    reason = f"https only for this host{scope} for {hsts.max_age} s; sent on https responses only"
    return HeaderSetting(name, hsts.value, None, "hsts", reason, context)
