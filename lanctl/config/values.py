"""Parsed option values with dnsmasq's repeat and precedence rules.

`collect(settings)` parses each raw argument through its option's grammar and applies the
rules dnsmasq 2.90 follows (checked with `dnsmasq --test`):
- an option that takes a value and is single-valued (ARG_ONE) may appear once in all the
  files together ("illegal repeated keyword at line N of F") and once on the command line
  ("illegal repeated flag"); the files are read after the command line, so a file's
  value replaces a command-line value (dnsmasq does it silently; lanctl warns);
- repeatable options (ARG_DUP) accumulate, command line first, then files in read order;
- flags may be repeated freely;
- REJECTED options are errors; ACCEPTED (not yet implemented) options become warnings,
  or errors under `--strict`.
Builders read values only through `for_consumer(sub)`, which refuses undeclared reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Final

from lanctl.config.options import Arg, Option, Setting, Status, Sub
from lanctl.errors import ConfigError, Where


@dataclass(frozen=True, slots=True)
class Parsed:
    """One option occurrence after its grammar ran."""

    option: Option
    value: object
    where: Where
    raw: str | None


@dataclass(slots=True)
class Values:
    """All parsed occurrences, in effective order, plus warnings."""

    parsed: list[Parsed] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def occurrences(self, name: str) -> list[Parsed]:
        return [p for p in self.parsed if p.option.name == name]

    def has(self, name: str) -> bool:
        return any(p.option.name == name for p in self.parsed)

    def get(self, name: str, default: object = None) -> object:
        found = self.occurrences(name)
        return found[-1].value if found else default

    def all(self, name: str) -> list[object]:
        return [p.value for p in self.occurrences(name)]

    def for_consumer(self, sub: Sub) -> ConsumerView:
        return ConsumerView(self, sub)

    def __iter__(self) -> Iterator[Parsed]:
        return iter(self.parsed)


class ConsumerView:
    """Read access to the options one consumer declared (ARCHITECTURE §2.4 rule 2)."""

    def __init__(self, values: Values, sub: Sub, reads: set[str] | None = None) -> None:
        self._values = values
        self._sub = sub
        self.reads: set[str] = reads if reads is not None else set()

    def _check(self, name: str) -> None:
        from lanctl.config.registry import BY_NAME

        opt = BY_NAME[name]
        if not opt.consumers & self._sub:
            raise KeyError(f"{self._sub} reads option {name!r} it did not declare")
        self.reads.add(name)

    def has(self, name: str) -> bool:
        self._check(name)
        return self._values.has(name)

    def get(self, name: str, default: object = None) -> object:
        self._check(name)
        return self._values.get(name, default)

    def all(self, name: str) -> list[object]:
        self._check(name)
        return self._values.all(name)

    def occurrences(self, name: str) -> list[Parsed]:
        self._check(name)
        return self._values.occurrences(name)


# Grammars that split fields themselves with dnsmasq's quote rules (a quoted comma is
# not a separator; `66,"1.2.3.4"` is text).  Every other grammar gets the value with
# quotes removed and escapes resolved, as dnsmasq's reader stores it.
_QUOTE_AWARE_MODULES: Final = frozenset(
    f"lanctl.config.grammar.{m}"
    for m in ("dhcp_range", "dhcp_host", "dhcp_boot", "dhcp_net", "dhcp_option", "tags")
)


def _file_value(opt: Option, raw: str) -> str:
    if '"' not in raw:
        return raw
    module = getattr(opt.parse, "__module__", "")
    if module in _QUOTE_AWARE_MODULES or getattr(opt.parse, "__name__", "") == "txt_record":
        return raw
    from lanctl.config.lexer import unquote

    return unquote(raw)


def _parse_one(setting: Setting) -> Parsed:
    opt = setting.option
    where = setting.where
    if opt.status is Status.REJECTED:
        raise ConfigError(f"{opt.name} is not supported: {opt.note}", where)
    raw = setting.raw
    if opt.arg is Arg.NONE and raw is not None:
        raise ConfigError(f"option {opt.name} takes no argument", where)
    if opt.arg is Arg.REQUIRED and raw is None:
        raise ConfigError(f"option {opt.name} needs an argument", where)
    if raw is None:
        raw_value = ""
    elif setting.from_command_line:
        raw_value = raw  # quotes mean nothing on a command line (the shell took them)
    else:
        raw_value = _file_value(opt, raw)
    value = opt.parse(raw_value, where)
    return Parsed(opt, value, where, raw)


def collect(settings: Iterable[Setting]) -> Values:
    """Parse every setting and apply dnsmasq's repeat and precedence rules."""
    values = Values()
    cmdline_single: dict[str, Parsed] = {}
    file_single: dict[str, Parsed] = {}
    order: list[Parsed] = []
    for setting in settings:
        parsed = _parse_one(setting)
        opt = parsed.option
        single = not opt.repeat and opt.arg is not Arg.NONE
        if single:
            table = cmdline_single if setting.from_command_line else file_single
            if opt.name in table:
                if setting.from_command_line:
                    raise ConfigError(f"illegal repeated flag --{opt.name}", setting.where)
                raise ConfigError(
                    f"illegal repeated keyword {opt.name} (first at {table[opt.name].where})",
                    setting.where,
                )
            table[opt.name] = parsed
        order.append(parsed)
    for parsed in order:
        opt = parsed.option
        single = not opt.repeat and opt.arg is not Arg.NONE
        if single and parsed.where.file is None and opt.name in file_single:
            # dnsmasq reads the files after the command line, so the file's value wins.
            winner = file_single[opt.name]
            values.warnings.append(
                f"warning: --{opt.name}={parsed.raw or ''} on the command line is overridden by "
                f"{opt.name}={winner.raw or ''} at {winner.where} (as in dnsmasq)"
            )
            continue
        values.parsed.append(parsed)
        if opt.status is Status.ACCEPTED:
            note = opt.note or "not implemented yet: it is accepted but has no effect"
            values.warnings.append(f"warning: {opt.name} at {parsed.where}: {note}")
    return values
