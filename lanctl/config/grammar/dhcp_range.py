"""--dhcp-range values: DHCPv4 pools (dynamic, static, proxy) and DHCPv6/RA ranges.

v4: `[tag:<t>,...][set:<t>,]<start>,<end>|static|proxy[,<netmask>[,<broadcast>]][,<lease>]`
v6: `[tags,]<start>[,<end>|constructor:<iface>][,<mode>...][,<prefix-len>][,<lease>]`.
As in dnsmasq, leading fields that cannot be an address are tags (a bare word sets a tag,
"tag:"/"net:" match one, only one tag may be set); start and end are swapped when given in
reverse; leases below two minutes become 120 s; IPv6 prefixes are at least /64.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from ipaddress import IPv4Address, IPv6Address, IPv6Network
from typing import Final, Literal

from lanctl.config.grammar.fields import INFINITE, lease_seconds, split_fields
from lanctl.config.grammar.tags import TagRef, tag_ref
from lanctl.errors import ConfigError, Where

__all__ = ["Dhcp4Range", "Dhcp6Range", "dhcp_range"]

DEFAULT_LEASE4: Final = 3600
DEFAULT_LEASE6: Final = 86400
MIN_LEASE: Final = 120
V6_MODES: Final = frozenset(
    {"static", "ra-only", "ra-names", "ra-stateless", "slaac", "ra-advrouter", "off-link"}
)
_ADDRESS_CHARS: Final = frozenset(" .:0123456789abcdefABCDEF")
_MAX_FIELDS: Final = 8  # dnsmasq reads at most 8 fields after the tags
_BAD = "bad dhcp-range"


@dataclass(frozen=True, slots=True)
class Dhcp4Range:
    """A DHCPv4 address pool.  `end` equals `start` for "static" and "proxy" ranges."""

    start: IPv4Address
    end: IPv4Address
    netmask: IPv4Address | None = None
    broadcast: IPv4Address | None = None
    lease: int = DEFAULT_LEASE4
    mode: Literal["dynamic", "static", "proxy"] = "dynamic"
    set_tag: str | None = None
    match_tags: tuple[TagRef, ...] = ()
    lease_given: bool = False
    deprecated: bool = False


@dataclass(frozen=True, slots=True)
class Dhcp6Range:
    """A DHCPv6 range or RA prefix.

    With `constructor` (an interface name, maybe ending in `*`), `start`/`end` hold only
    the host part and the network part comes from that interface's addresses.  `end` is
    None for a single-address template such as "::,constructor:eth0" or "1234::,ra-only".
    """

    start: IPv6Address
    end: IPv6Address | None
    constructor: str | None = None
    prefix_len: int = 64
    lease: int = DEFAULT_LEASE6
    modes: frozenset[str] = field(default_factory=frozenset)
    set_tag: str | None = None
    match_tags: tuple[TagRef, ...] = ()
    lease_given: bool = False
    deprecated: bool = False


def _split_tags(fields: list[str], where: Where) -> tuple[str | None, list[TagRef], list[str]]:
    """dnsmasq's rule: a field with a character that cannot be in an address is a tag."""
    set_tag: str | None = None
    refs: list[TagRef] = []
    while len(fields) > 1 and not set(fields[0]) <= _ADDRESS_CHARS:
        item = fields.pop(0)
        prefix = item[:4].lower()
        if prefix in ("tag:", "net:"):
            if item[4:]:
                refs.append(tag_ref(item[4:]))
        elif set_tag is not None:
            raise ConfigError("only one tag allowed", where)
        else:
            set_tag = item[4:] if prefix == "set:" else item
    return set_tag, refs, fields


def _lease(fields: list[str], where: Where) -> tuple[int | None, bool]:
    """The optional last field: (seconds or None, deprecated)."""
    if not fields:
        return None, False
    if len(fields) > 1:
        raise ConfigError(_BAD, where)
    text = fields[0]
    if text == "deprecated":
        return None, True
    if text == "":
        return None, False
    if text[-1] in "smhdwSMHDW" and text[:-1] == "":
        return MIN_LEASE, False  # a lone unit letter reads as 0, raised to the minimum
    seconds = lease_seconds(text)
    if seconds is None:
        raise ConfigError(_BAD, where)
    return (seconds if seconds == INFINITE else max(seconds, MIN_LEASE)), False


def _v4(text: str) -> IPv4Address | None:
    try:
        return IPv4Address(text)
    except ValueError:
        return None


def _v6(text: str) -> IPv6Address | None:
    try:
        return IPv6Address(text)
    except ValueError:
        return None


def _range4(start: IPv4Address, fields: list[str], where: Where) -> Dhcp4Range:
    mode: Literal["dynamic", "static", "proxy"] = "dynamic"
    second = fields[1]
    end = start
    if second in ("static", "proxy"):
        mode = "static" if second == "static" else "proxy"
    else:
        parsed = _v4(second)
        if parsed is None:
            raise ConfigError(_BAD, where)
        end = parsed
    if end < start:
        start, end = end, start
    netmask = broadcast = None
    pos = 2
    if len(fields) > 2 and "." in fields[2] and (mask := _v4(fields[2])) is not None:
        netmask = mask
        pos = 3
        if (int(start) & int(mask)) != (int(end) & int(mask)):
            raise ConfigError("inconsistent DHCP range", where)
        if len(fields) > 3 and "." in fields[3] and (bcast := _v4(fields[3])) is not None:
            broadcast = bcast
            pos = 4
    lease, deprecated = _lease(fields[pos:], where)
    return Dhcp4Range(
        start=start,
        end=end,
        netmask=netmask,
        broadcast=broadcast,
        lease=DEFAULT_LEASE4 if lease is None else lease,
        mode=mode,
        lease_given=lease is not None,
        deprecated=deprecated,
    )


def _range6(start: IPv6Address, fields: list[str], where: Where) -> Dhcp6Range:
    end: IPv6Address | None = None
    constructor: str | None = None
    modes: set[str] = set()
    pos = 1
    while pos < len(fields):
        item = fields[pos]
        if item in V6_MODES:
            modes.add(item)
        elif pos == 1 and (parsed := _v6(item)) is not None:
            end = parsed
        elif item.startswith("constructor:"):
            constructor = item[len("constructor:") :]
        else:
            break
        pos += 1
    prefix_len = 64
    number = fields[pos] if pos < len(fields) else ""
    if number.isascii() and number.isdigit() and int(number) <= 128:
        prefix_len = int(number)
        pos += 1
    if prefix_len < 64:
        raise ConfigError("prefix length must be at least 64", where)
    lease, deprecated = _lease(fields[pos:], where)
    if end is not None and end < start:
        start, end = end, start
    net = IPv6Network((start, prefix_len), strict=False)
    if end is not None and end not in net:
        raise ConfigError("inconsistent DHCPv6 range", where)
    if constructor is not None and int(start) >> (128 - prefix_len):
        raise ConfigError('prefix must be zero with "constructor:" argument', where)
    if constructor is None and start == IPv6Address(0) and end is None:
        prefix_len = 0  # "::": the catch-all for stateless DHCPv6 on any subnet
    return Dhcp6Range(
        start=start,
        end=end,
        constructor=constructor,
        prefix_len=prefix_len,
        lease=DEFAULT_LEASE6 if lease is None else lease,
        modes=frozenset(modes),
        lease_given=lease is not None,
        deprecated=deprecated,
    )


def dhcp_range(raw: str, where: Where) -> Dhcp4Range | Dhcp6Range:
    """Parse one --dhcp-range into its v4 or v6 variant."""
    set_tag, refs, fields = _split_tags(split_fields(raw, where), where)
    if len(fields) > _MAX_FIELDS or len(fields) < 2:
        raise ConfigError(_BAD, where)
    result: Dhcp4Range | Dhcp6Range
    if (start4 := _v4(fields[0])) is not None:
        result = _range4(start4, fields, where)
    elif (start6 := _v6(fields[0])) is not None:
        result = _range6(start6, fields, where)
    else:
        raise ConfigError(_BAD, where)
    return replace(result, set_tag=set_tag, match_tags=tuple(refs))
