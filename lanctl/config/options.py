"""Types of the option registry: what one dnsmasq option declaration holds.

`registry.py` holds the rows (one per dnsmasq option, declared once); this module holds
the shapes, so that `grammar`, `reader` and `values` can import them without the table.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from lanctl.errors import Where


class Sub(enum.Flag):
    """Which part of lanctl consumes an option (the model builders read by consumer)."""

    CORE = enum.auto()
    CONFIG = enum.auto()
    DNS = enum.auto()
    DHCP4 = enum.auto()
    DHCP6 = enum.auto()
    RA = enum.auto()
    TFTP = enum.auto()
    PXE = enum.auto()


class Arg(enum.Enum):
    """getopt's has_arg for the option."""

    NONE = 0  # a flag: "--x"; "--x=v" is an error
    REQUIRED = 1  # "--x=v", "--x v", "-Xv", "-X v"
    OPTIONAL = 2  # value only when attached: "--x=v" / "-Xv" (GNU getopt rule)


class Status(enum.Enum):
    """How lanctl treats the option today."""

    SUPPORTED = "supported"
    ACCEPTED = "accepted-with-warning"  # parsed and checked, but has no effect yet: warns
    REJECTED = "rejected"  # known, but refused with a clear message (exit 1)


Grammar = Callable[[str, Where], object]


@dataclass(frozen=True, slots=True)
class Option:
    """One dnsmasq option, declared once.

    `parse` turns the raw argument into a value (raises ConfigError with `where`);
    for `Arg.NONE` options it is called with "" and returns True.  `repeat` is
    dnsmasq's ARG_DUP (values accumulate) versus ARG_ONE (the last one wins).
    """

    name: str
    short: str | None
    arg: Arg
    parse: Grammar
    repeat: bool
    consumers: Sub
    help: str
    aliases: tuple[str, ...] = ()
    status: Status = Status.SUPPORTED
    metavar: str = ""
    note: str = ""  # why an option is ACCEPTED/REJECTED, shown in warnings

    @property
    def group(self) -> str:
        """The help group: the first service that consumes the option."""
        for sub, title in _GROUP_TITLES:
            if sub in self.consumers:
                return title
        return "General"


_GROUP_TITLES: tuple[tuple[Sub, str], ...] = (
    (Sub.CONFIG, "Configuration files"),
    (Sub.CORE, "General"),
    (Sub.DNS, "DNS"),
    (Sub.DHCP4, "DHCP"),
    (Sub.DHCP6, "DHCP"),
    (Sub.RA, "Router advertisements"),
    (Sub.TFTP, "TFTP"),
    (Sub.PXE, "PXE"),
)

GROUP_ORDER: tuple[str, ...] = (
    "General",
    "Configuration files",
    "DNS",
    "DHCP",
    "Router advertisements",
    "TFTP",
    "PXE",
)


@dataclass(frozen=True, slots=True)
class Setting:
    """One occurrence of an option: as read from a file line or the command line.

    `raw` is None when no argument was given (a flag, or an OPTIONAL option bare).
    """

    option: Option
    raw: str | None
    where: Where

    @property
    def from_command_line(self) -> bool:
        return self.where.file is None
