"""Grammars for DNS names derived from interfaces and addresses.

--interface-name, --dynamic-host and --synth-domain. Names are checked with
`dns_records.canonical_name`. Re-exported by `dns`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from lanctl.config.grammar.basic import is_decimal, parse_ip
from lanctl.config.grammar.dns_records import MAXLABEL, _items, canonical_name
from lanctl.errors import ConfigError, Where

__all__ = [
    "DynamicHost",
    "InterfaceName",
    "SynthDomain",
    "dynamic_host",
    "interface_name",
    "synth_domain",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _iface_family(raw: str, where: Where, message: str) -> tuple[str, int | None]:
    """ "eth0", "eth0/4" or "eth0/6" -> (name, 4 | 6 | None)."""
    name, slash, family = raw.strip().partition("/")
    if not slash:
        return name, None
    if family not in ("4", "6"):
        raise ConfigError(message, where)
    return name, int(family)


@dataclass(frozen=True, slots=True)
class InterfaceName:
    """--interface-name: `name` resolves to the addresses of `interface`."""

    name: str
    interface: str
    family: int | None = None  # 4 or 6 to restrict, None for both


def interface_name(raw: str, where: Where) -> InterfaceName:
    """ "name,interface[/4|/6]"."""
    items = _items(raw)
    if len(items) != 2:
        raise ConfigError("bad interface name", where)
    iface, family = _iface_family(items[1], where, "bad interface name")
    return InterfaceName(canonical_name(items[0], where, "bad interface name"), iface, family)


@dataclass(frozen=True, slots=True)
class DynamicHost:
    """--dynamic-host: host part of an address placed in `interface`'s subnets."""

    name: str
    ipv4: ipaddress.IPv4Address | None
    ipv6: ipaddress.IPv6Address | None
    interface: str


def dynamic_host(raw: str, where: Where) -> DynamicHost:
    """ "name,[ipv4],[ipv6],interface": at least one address, no /4 or /6 on the interface."""
    items = _items(raw)
    if len(items) < 3:
        raise ConfigError("missing address in dynamic host", where)
    v4: ipaddress.IPv4Address | None = None
    v6: ipaddress.IPv6Address | None = None
    for item in items[1:-1]:
        addr = parse_ip(item, where, "address in dynamic host")
        if isinstance(addr, ipaddress.IPv4Address):
            v4 = addr
        else:
            v6 = addr
    if v4 is None and v6 is None:
        raise ConfigError("missing address in dynamic host", where)
    iface = items[-1]
    if "/" in iface:
        raise ConfigError("bad dynamic host", where)
    return DynamicHost(canonical_name(items[0], where, "bad dynamic host"), v4, v6, iface)


@dataclass(frozen=True, slots=True)
class SynthDomain:
    """--synth-domain: names made from addresses in start..end (or `network`)."""

    domain: str
    start: IPAddress
    end: IPAddress
    network: IPNetwork | None = None
    prefix: str | None = None
    star: bool = False  # "prefix*": sequential numbers instead of the address


def synth_domain(raw: str, where: Where) -> SynthDomain:
    """ "domain,start[,end[,prefix[*]]]" or "domain,address/len[,prefix[*]]"."""
    items = _items(raw)
    if len(items) < 2:
        raise ConfigError("error: synth-domain needs an address range", where)
    domain = canonical_name(items[0], where, "bad synth-domain")
    network: IPNetwork | None = None
    if "/" in items[1]:
        addr_text, _, length = items[1].partition("/")
        addr = parse_ip(addr_text, where)
        if not (is_decimal(length) or length == "") or int(length or 0) > addr.max_prefixlen:
            raise ConfigError("bad prefix length", where)
        network = ipaddress.ip_network((addr, int(length or 0)), strict=False)  # "" is /0
        start, end = network[0], network[-1]
        prefix_items = items[2:]
    else:
        start = parse_ip(items[1], where)
        end = parse_ip(items[2], where) if len(items) > 2 else start
        if end.version != start.version:
            raise ConfigError("bad synth-domain range", where)
        prefix_items = items[3:]
    if len(prefix_items) > 1:
        raise ConfigError("bad prefix", where)
    prefix: str | None = None
    star = False
    if prefix_items:
        prefix = canonical_name(prefix_items[0], where, "bad prefix")
        room = MAXLABEL - (16 if start.version == 4 else 46)  # INET(6)_ADDRSTRLEN
        if len(prefix) > room:
            raise ConfigError("bad prefix", where)
        if prefix.endswith("*"):
            prefix, star = prefix[:-1], True
            # dnsmasq: sequential v6 names need a /64 or longer (a start,end range counts as /0)
            if start.version == 6 and (network is None or network.prefixlen < 64):
                raise ConfigError("prefix length too small", where)
    return SynthDomain(domain, start, end, network, prefix, star)
