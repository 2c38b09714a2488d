"""A small option table for reader/argv tests, shaped like dnsmasq 2.90's getopt table.

Arg kinds follow dnsmasq's has_arg (read out of the 2.90 binary): e.g. cache-size and
conf-file take an *optional* argument as long options, log-queries and enable-dbus are
plain flags as letters (-q, -1).  `parse` is the identity unless a test supplies one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from lanctl.config.options import Arg, Option, Sub
from lanctl.errors import Where

Parse = Callable[[str, Where], object]


def _identity(raw: str, where: Where) -> object:
    return raw


# (name, short, arg, aliases)
ROWS: tuple[tuple[str, str | None, Arg, tuple[str, ...]], ...] = (
    ("port", "p", Arg.REQUIRED, ()),
    ("cache-size", "c", Arg.OPTIONAL, ()),
    ("no-hosts", "h", Arg.NONE, ()),
    ("no-resolv", "R", Arg.NONE, ()),
    ("no-negcache", "N", Arg.NONE, ()),
    ("log-queries", "q", Arg.OPTIONAL, ()),
    ("domain-needed", "D", Arg.NONE, ()),
    ("selfmx", "e", Arg.NONE, ()),
    ("enable-dbus", "1", Arg.OPTIONAL, ()),
    ("pid-file", "x", Arg.OPTIONAL, ()),
    ("conf-file", "C", Arg.OPTIONAL, ()),
    ("conf-dir", "7", Arg.REQUIRED, ()),
    ("conf-script", None, Arg.REQUIRED, ()),
    ("servers-file", None, Arg.REQUIRED, ()),
    ("server", "S", Arg.REQUIRED, ()),
    ("rev-server", None, Arg.REQUIRED, ()),
    ("dhcp-range", "F", Arg.REQUIRED, ()),
    ("dhcp-leasefile", "l", Arg.OPTIONAL, ("dhcp-lease",)),
    ("domain", "s", Arg.REQUIRED, ("domain-suffix",)),
    ("txt-record", "Y", Arg.REQUIRED, ()),
    ("test", None, Arg.NONE, ()),
)


def make_tables(
    parsers: Mapping[str, Parse] | None = None,
) -> tuple[dict[str, Option], dict[str, Option]]:
    """(names incl. aliases, shorts) for ROWS; `parsers` overrides parse per option name."""
    parsers = parsers or {}
    names: dict[str, Option] = {}
    shorts: dict[str, Option] = {}
    for name, short, arg, aliases in ROWS:
        option = Option(
            name=name,
            short=short,
            arg=arg,
            parse=parsers.get(name, _identity),
            repeat=True,
            consumers=Sub.CORE,
            help="",
            aliases=aliases,
        )
        for key in (name, *aliases):
            names[key] = option
        if short is not None:
            shorts[short] = option
    return names, shorts


NAMES, SHORTS = make_tables()
