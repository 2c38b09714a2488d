"""Grammars for file- and log-valued options: --conf-dir, --conf-script, --log-facility.

Each parser is `(raw, where) -> value`, pure, and raises only `ConfigError(msg, where)`.
Acceptance follows dnsmasq 2.90 (`dnsmasq --test` was the oracle).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from lanctl.config.grammar.basic import _split
from lanctl.errors import ConfigError, Where

__all__ = [
    "ConfDir",
    "ConfScript",
    "conf_dir",
    "conf_script",
    "log_facility",
]

# glibc's facilitynames[] (what dnsmasq searches, case-insensitively).
_FACILITIES: Final = frozenset(
    [
        "kern",
        "user",
        "mail",
        "daemon",
        "auth",
        "syslog",
        "lpr",
        "news",
        "uucp",
        "cron",
        "authpriv",
        "ftp",
        "mark",
        "security",
    ]
    + [f"local{i}" for i in range(8)]
)


def log_facility(raw: str, where: Where) -> str:
    """ "-" (stderr), a file name (anything containing "/"), or a syslog facility name.

    Facility names are matched case-insensitively and returned in lower case.
    """
    value = raw.strip()
    if value == "-" or "/" in value:
        return value
    if value.lower() in _FACILITIES:
        return value.lower()
    raise ConfigError("bad log facility", where)


@dataclass(frozen=True, slots=True)
class ConfDir:
    """--conf-dir: read every file of `path`, filtered by suffix.

    `include` are the suffixes a file must end with (given as "*.conf"; stored without
    the "*"); `exclude` are the suffixes that skip a file. `path` "" means the option
    does nothing (dnsmasq accepts "--conf-dir=").
    """

    path: str
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


def conf_dir(raw: str, where: Where) -> ConfDir:
    """ "dir[,.bak][,*.conf]...": suffixes to skip, or with "*" the only ones to read."""
    directory, *rest = _split(raw)
    include: list[str] = []
    exclude: list[str] = []
    for item in rest:
        if not item or item == "*":  # dnsmasq: a bare "*" is a no-op
            continue
        if item.startswith("*"):
            include.append(item[1:])
        else:
            exclude.append(item)
    return ConfDir(directory, tuple(include), tuple(exclude))


@dataclass(frozen=True, slots=True)
class ConfScript:
    """--conf-script: a program whose standard output is read as a configuration file."""

    path: str
    args: tuple[str, ...] = ()


def conf_script(raw: str, where: Where) -> ConfScript:
    """ "file arg1 arg2": split on whitespace (dnsmasq hands the whole text to popen)."""
    parts = raw.split()
    if not parts:
        raise ConfigError("missing script name", where)
    return ConfScript(parts[0], tuple(parts[1:]))
