"""dnsmasq configuration files: includes and the whole read order, as `Setting`s.

dnsmasq 2.90's behaviour, checked against `dnsmasq --test`: --conf-file ("-" is stdin, read
once), --conf-dir=<dir>[,<ext>...] (strcmp order; "~", ".", "#...#" names skipped; "*<ext>"
selects, "<ext>" skips) and --conf-script (its stdout through /bin/sh) are followed as they
are met; a file already read is skipped silently (by device and inode), so include cycles
end.  --servers-file is read on demand by `read_servers_file`: dnsmasq reads it when DNS
starts and on SIGHUP, logging bad lines.  The line syntax lives in `lexer`.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Sequence
from typing import IO

from lanctl.config.argv import OptionTable, arg_kind, parse_argv, tables, unknown_option
from lanctl.config.lexer import (
    LINE_PIECE,
    lex_config,
    lex_data,
    lex_line,
    pieces,
    quoted_chars,
    unquote,
)
from lanctl.config.options import Arg, Setting
from lanctl.errors import ConfigError, FileSystemError, LanctlError, ScriptError, Where

__all__ = [
    "lex_config",
    "parse_argv",
    "quoted_chars",
    "read_all",
    "read_file",
    "read_servers_file",
    "unquote",
]

MAX_DEPTH = 32  # dnsmasq has no bound; only a conf-script that includes itself can loop
_SERVERS_FILE_OPTIONS = ("server", "rev-server")


def _setting(
    names: OptionTable, file: str, line: int, name: str, raw: str | None, continued: bool
) -> Setting:
    """Look the name up and check dnsmasq's argument-presence rules."""
    where = Where(file, line, name)
    option = names.get(name)
    if option is None:
        error = unknown_option(name, names, where)
        if continued:
            note = f" (dnsmasq reads lines longer than {LINE_PIECE} bytes in pieces)"
            error = ConfigError(error.detail + note, where)
        raise error
    kind = arg_kind(name, option)
    if kind is Arg.NONE and raw is not None:
        raise ConfigError("extraneous parameter", where)
    if kind is Arg.REQUIRED and raw is None:
        raise ConfigError("missing parameter", where)
    return Setting(option, raw, where)


def _os_error(template: str, path: str, error: OSError) -> FileSystemError:
    reason = os.strerror(error.errno) if error.errno else str(error)
    return FileSystemError(template.format(path=path, reason=reason))


def _split_values(raw: str, from_file: bool) -> list[str]:
    """dnsmasq's split() over a list value: commas outside quotes, blanks next to them."""
    chars = quoted_chars(raw) if from_file else [(c, False) for c in raw]
    parts: list[list[tuple[str, bool]]] = [[]]
    for c, quoted in chars:
        if c == "," and not quoted:
            parts.append([])
        else:
            parts[-1].append((c, quoted))
    out: list[str] = []
    for index, part in enumerate(parts):
        lo, hi = 0, len(part)
        if index > 0:
            while lo < hi and part[lo] == (" ", False):
                lo += 1
        if index < len(parts) - 1:
            while hi > lo and part[hi - 1] == (" ", False):
                hi -= 1
        out.append("".join(c for c, _ in part[lo:hi]))
    return out


class _Reader:
    """One read of the configuration: the files seen, stdin used, settings in read order."""

    def __init__(self, names: OptionTable, stdin: IO[str] | None) -> None:
        self.names = names
        self.stdin = stdin
        self.stdin_used = False
        self.seen: set[tuple[int, int]] = set()
        self.settings: list[Setting] = []

    def act(self, setting: Setting, depth: int) -> None:
        """Follow an include setting (conf-file, conf-dir, conf-script) right away."""
        name = setting.option.name
        if name not in ("conf-file", "conf-dir", "conf-script") or not setting.raw:
            return
        from_file = not setting.from_command_line
        value = unquote(setting.raw) if from_file else setting.raw
        if not value:
            return  # dnsmasq: an empty value (conf-file="") names nothing
        if depth >= MAX_DEPTH:
            raise ConfigError(
                f"configuration files nested too deeply (more than {MAX_DEPTH} levels)",
                setting.where,
            )
        if name == "conf-file":
            self.read_path(value, depth + 1)
        elif name == "conf-script":
            self.run_script(value, depth + 1)
        else:
            self.read_dir(setting.raw, from_file, depth + 1)

    def first_time(self, path: str) -> bool:
        """dnsmasq reads each file once: later includes of it (cycles too) are skipped."""
        try:
            st = os.stat(path)
        except OSError:
            return True  # the open() that follows reports the problem
        key = (st.st_dev, st.st_ino)
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    def read_path(self, path: str, depth: int, missing_ok: bool = False) -> None:
        if path == "-":
            if self.stdin_used:
                return
            self.stdin_used = True
            stream = self.stdin if self.stdin is not None else sys.stdin
            text = stream.read()
            self.read_data(text.encode("utf-8", "surrogateescape"), "stdin", depth)
            return
        if not self.first_time(path):
            return
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except IsADirectoryError:
            return  # dnsmasq's fopen() succeeds and fgets() reads nothing
        except FileNotFoundError as error:
            if missing_ok:
                return
            raise _os_error("cannot read {path}: {reason}", path, error) from None
        except OSError as error:
            raise _os_error("cannot read {path}: {reason}", path, error) from None
        self.read_data(data, path, depth)

    def read_data(self, data: bytes, file: str, depth: int) -> None:
        for line, name, raw, continued in lex_data(data, file):
            setting = _setting(self.names, file, line, name, raw, continued)
            self.settings.append(setting)
            self.act(setting, depth)

    def read_dir(self, raw: str, from_file: bool, depth: int) -> None:
        """--conf-dir=<dir>[,<ext>...]: "*<ext>" selects, "<ext>" skips; strcmp order."""
        directory, *rules = _split_values(raw, from_file)
        if not directory:
            return
        wanted = [rule[1:] for rule in rules if rule.startswith("*") and len(rule) > 1]
        skipped = [rule for rule in rules if rule and not rule.startswith("*")]
        try:
            entries = os.listdir(directory)
        except OSError as error:
            raise _os_error("cannot access directory {path}: {reason}", directory, error) from None

        def ends(name: str, suffix: str) -> bool:
            return len(name) > len(suffix) and name.endswith(suffix)

        chosen: list[str] = []
        for entry in entries:
            if entry.endswith("~") or entry.startswith("."):
                continue  # editor backups and dot-files
            if entry.startswith("#") and entry.endswith("#"):
                continue  # emacs autosave files
            if wanted and not any(ends(entry, s) for s in wanted):
                continue
            if any(ends(entry, s) for s in skipped):
                continue
            path = f"{directory}/{entry}"
            try:
                mode = os.stat(path).st_mode
            except OSError as error:
                raise _os_error("cannot access {path}: {reason}", path, error) from None
            if stat.S_ISREG(mode):
                chosen.append(path)
        for path in sorted(chosen, key=os.fsencode):
            self.read_path(path, depth)

    def run_script(self, command: str, depth: int) -> None:
        """--conf-script: run through /bin/sh like popen(); its stdout is a config file."""
        if not self.first_time(command):
            return
        done = subprocess.run(["/bin/sh", "-c", command], stdout=subprocess.PIPE, check=False)
        self.read_data(done.stdout, f"output from {command}", depth)
        if done.returncode != 0:
            raise ScriptError(f"{command} returns non-zero error code", 0)


def read_file(
    path: str, *, names: OptionTable | None = None, stdin: IO[str] | None = None
) -> list[Setting]:
    """Settings of one configuration file ("-" is stdin) and everything it includes."""
    reader = _Reader(tables(names, {})[0], stdin)
    reader.read_path(path, 0)
    return reader.settings


def read_all(
    argv: Sequence[str],
    *,
    names: OptionTable | None = None,
    shorts: OptionTable | None = None,
    default_conf: str = "/etc/dnsmasq.conf",
    stdin: IO[str] | None = None,
) -> list[Setting]:
    """The command line, then the configuration files, in dnsmasq's order.

    dnsmasq reads the *first* non-empty -C file last: later -C files, --conf-dir and
    --conf-script given on the command line are read while the command line is parsed.
    Without any -C, `default_conf` is read if it exists.  Command-line settings come
    first in the result, then file settings in read order (includes in place).
    """
    names, shorts = tables(names, shorts)
    command_line = parse_argv(argv, names, shorts)
    reader = _Reader(names, stdin)
    main: str | None = None
    for setting in command_line:
        if setting.option.name == "conf-file" and main is None:
            main = setting.raw or None  # "--conf-file=" does not count (dnsmasq crashes)
            continue
        reader.act(setting, 0)
    if main is None:
        reader.read_path(default_conf, 0, missing_ok=True)
    else:
        reader.read_path(main, 0)
    return command_line + reader.settings


def read_servers_file(
    path: str, *, names: OptionTable | None = None
) -> tuple[list[Setting], list[LanctlError]]:
    """--servers-file: only server= and rev-server= lines; problems do not stop the read.

    dnsmasq reads this file when DNS starts and again on SIGHUP (not under --test); an
    unreadable file or a bad line is logged and skipped.  Returns (settings, problems).
    """
    table = tables(names, {})[0]
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        return [], [_os_error("cannot read {path}: {reason}", path, error)]
    settings: list[Setting] = []
    problems: list[LanctlError] = []
    for lineno, (line, continued) in enumerate(pieces(data), start=1):
        try:
            try:
                found = lex_line(line)
            except ValueError as error:
                raise ConfigError(str(error), Where(path, lineno)) from None
            if found is None:
                continue
            setting = _setting(table, path, lineno, found[0], found[1], continued)
            if setting.option.name not in _SERVERS_FILE_OPTIONS:
                raise ConfigError(
                    "illegal option: a servers-file may hold only server and rev-server",
                    setting.where,
                )
            settings.append(setting)
        except ConfigError as error:
            problems.append(error)
    return settings, problems
