"""dnsmasq's command line, read with GNU getopt_long rules, as a list of `Setting`s.

dnsmasq 2.90 is built with GNU getopt: options and positional arguments may be mixed
(argv is permuted), "--" ends the options, long names may be abbreviated to any
unambiguous prefix, short flags cluster ("-qhp53").  A positional argument that is not
pure whitespace is "junk found in command line".  Values are not parsed here; only the
presence rules of each option's `Arg` are checked.  Also home of the option-table
lookups (lazy registry import, did-you-mean) shared with `reader`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

from lanctl.config.options import Arg, Option, Setting
from lanctl.errors import ConfigError, Where

__all__ = ["arg_kind", "parse_argv", "short_arg_kind", "tables", "unknown_option"]

OptionTable = Mapping[str, Option]

# C isspace() in the "C" locale: what dnsmasq accepts as an empty positional argument.
C_SPACE = " \t\n\v\f\r"

# Facts from dnsmasq 2.90's getopt tables (read out of the installed binary):
# - the alias "dhcp-lease" is has_arg=1 (REQUIRED) while "dhcp-leasefile" is 2 (OPTIONAL);
#   because they differ, getopt also treats "--dhcp-leas" as ambiguous.
_ALIAS_ARG: Mapping[str, Arg] = {"dhcp-lease": Arg.REQUIRED}
# - OPTSTRING gives no short option an optional argument ("q" and "1" are plain flags,
#   every other letter of an optional-argument long option requires its argument: "-C").
_SHORT_FLAGS_OF_OPTIONAL = frozenset("q1")


def tables(
    names: OptionTable | None = None, shorts: OptionTable | None = None
) -> tuple[OptionTable, OptionTable]:
    """The option tables to use: the ones given, else the registry's (imported lazily)."""
    if names is None or shorts is None:
        from lanctl.config import registry

        names = registry.BY_NAME if names is None else names
        shorts = registry.BY_SHORT if shorts is None else shorts
    return names, shorts


def arg_kind(name: str, option: Option) -> Arg:
    """The argument rule for `option` when written under the long name `name`."""
    return _ALIAS_ARG.get(name, option.arg)


def short_arg_kind(option: Option) -> Arg:
    """The argument rule of the option's one-letter form (never OPTIONAL in dnsmasq)."""
    if option.arg is Arg.NONE:
        return Arg.NONE
    if option.arg is Arg.OPTIONAL and option.short in _SHORT_FLAGS_OF_OPTIONAL:
        return Arg.NONE
    return Arg.REQUIRED


def unknown_option(name: str, names: OptionTable, where: Where) -> ConfigError:
    """'unknown option "dhcp-rnage" (did you mean dhcp-range?)'."""
    close = difflib.get_close_matches(name, list(names), n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return ConfigError(f'unknown option "{name}"{hint}', where)


def _resolve_long(name: str, names: OptionTable) -> tuple[str, Option]:
    """Exact name, else getopt_long's unambiguous-prefix rule."""
    exact = names.get(name)
    if exact is not None:
        return name, exact
    candidates = [n for n in names if n.startswith(name)]
    if not candidates:
        raise unknown_option(name, names, Where(None, None, name))
    # getopt_long accepts several prefix matches when they are the same option with the
    # same has_arg (an option and its alias); anything else is ambiguous.
    first = candidates[0]
    key = (id(names[first]), arg_kind(first, names[first]))
    for other in candidates[1:]:
        if (id(names[other]), arg_kind(other, names[other])) != key:
            listed = ", ".join(sorted(candidates))
            raise ConfigError(
                f'ambiguous option "{name}" (could be {listed})', Where(None, None, name)
            )
    canonical = names[first].name
    return (canonical if canonical in candidates else first), names[first]


def parse_argv(
    argv: Sequence[str],
    names: OptionTable | None = None,
    shorts: OptionTable | None = None,
) -> list[Setting]:
    """Read a dnsmasq command line (without the program name) into settings, in order.

    Raises ConfigError (exit 1) for an unknown or ambiguous option, a missing or
    extraneous argument, and any positional argument that is not blank.
    """
    names, shorts = tables(names, shorts)
    settings: list[Setting] = []
    junk: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            junk.extend(argv[i:])
            break
        if arg.startswith("--"):
            body = arg[2:]
            name, eq, value = body.partition("=")
            full, option = _resolve_long(name, names)
            where = Where(None, None, full)
            kind = arg_kind(full, option)
            raw: str | None = value if eq else None
            if kind is Arg.NONE and eq:
                raise ConfigError(f'extraneous parameter for "{full}"', where)
            if kind is Arg.REQUIRED and not eq:
                if i >= len(argv):
                    raise ConfigError(f'missing parameter for "{full}"', where)
                raw = argv[i]  # getopt takes the next word whatever it looks like
                i += 1
            settings.append(Setting(option, raw, where))
        elif arg.startswith("-") and arg != "-":
            i = _short_cluster(arg, argv, i, shorts, settings)
        else:
            junk.append(arg)  # getopt permutes positionals to the end; checked last
    for word in junk:
        if word.strip(C_SPACE):
            raise ConfigError(f'junk found in command line: "{word}"', Where())
    return settings


def _short_cluster(
    arg: str, argv: Sequence[str], i: int, shorts: OptionTable, out: list[Setting]
) -> int:
    """One "-abc" word: flags, then at most one letter that takes the rest (or next word)."""
    pos = 1
    while pos < len(arg):
        letter = arg[pos]
        pos += 1
        option = shorts.get(letter)
        if option is None:
            raise ConfigError(f'unknown option "-{letter}"', Where(None, None, f"-{letter}"))
        where = Where(None, None, option.name)
        if short_arg_kind(option) is Arg.NONE:
            out.append(Setting(option, None, where))
            continue
        if pos < len(arg):
            out.append(Setting(option, arg[pos:], where))
        elif i < len(argv):
            out.append(Setting(option, argv[i], where))
            i += 1
        else:
            raise ConfigError(f'missing parameter for "-{letter}"', where)
        break
    return i
