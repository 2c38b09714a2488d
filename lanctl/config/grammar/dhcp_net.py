"""DHCP/RA/TFTP plumbing values: relays, shared networks, bridges, DUID, ports, RA, TFTP roots.

Implements --dhcp-relay, --shared-network, --bridge-interface, --dhcp-duid (RFC 8415
DUID-EN), --dhcp-alternate-port, --dhcp-proxy, --ra-param (RFC 4861/4191 router
preference), --tftp-root and --tftp-port-range.  Where dnsmasq silently truncates a
number or segfaults (--dhcp-duid with bad hex), lanctl refuses with a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Literal

from lanctl.config.grammar.fields import dequote, parse_hex, parse_uint, split_fields
from lanctl.errors import ConfigError, Where

__all__ = [
    "BridgeInterface",
    "DhcpDuid",
    "DhcpRelay",
    "RaParam",
    "SharedNetwork",
    "TftpRoot",
    "alternate_port",
    "bridge_interface",
    "dhcp_duid",
    "dhcp_proxy",
    "dhcp_relay",
    "port_range",
    "ra_param",
    "shared_network",
    "tftp_root",
]

Address = IPv4Address | IPv6Address


@dataclass(frozen=True, slots=True)
class DhcpRelay:
    """--dhcp-relay: relay from `local` to `server` (None: broadcast/multicast on `interface`)."""

    local: Address
    server: Address | None = None
    port: int | None = None
    interface: str | None = None


@dataclass(frozen=True, slots=True)
class SharedNetwork:
    """--shared-network: `addr`'s subnet is also served via `interface` or `local_addr`."""

    interface: str | None
    local_addr: Address | None
    addr: Address


@dataclass(frozen=True, slots=True)
class BridgeInterface:
    """--bridge-interface: requests on any alias (may end in `*`) count as on `interface`."""

    interface: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DhcpDuid:
    """--dhcp-duid: the server's DUID-EN (enterprise number and identifier octets)."""

    enterprise: int
    uid: bytes


@dataclass(frozen=True, slots=True)
class RaParam:
    """--ra-param: per-interface RA settings; `mtu` is a number, "off" or an interface name."""

    interface: str
    mtu: int | str | None = None
    priority: Literal["high", "low"] | None = None
    interval: int | None = None
    lifetime: int | None = None


@dataclass(frozen=True, slots=True)
class TftpRoot:
    """--tftp-root: the directory served, for every interface or only `interface`."""

    path: str
    interface: str | None = None


def _addr(text: str) -> Address | None:
    try:
        return ip_address(text)
    except ValueError:
        return None


def dhcp_relay(raw: str, where: Where) -> DhcpRelay:
    """`<local>[,<server>[#<port>]][,<interface>]`; a second field that is no address is the
    interface (the server may be omitted, then the interface is required)."""
    bad = "bad dhcp-relay"
    fields = split_fields(raw, where)
    local = _addr(fields[0])
    if local is None or len(fields) < 2 or len(fields) > 3 or not all(fields):
        raise ConfigError(bad, where)
    server_text, _, port_text = fields[1].partition("#")
    server = _addr(server_text)
    if server is None:
        if len(fields) > 2 or port_text:
            raise ConfigError(bad, where)
        return DhcpRelay(local, interface=fields[1])
    if server.version != local.version:
        raise ConfigError("cannot relay between IPv4 and IPv6", where)
    port = parse_uint(port_text, where, "bad port", maximum=65535) if port_text else None
    interface = fields[2] if len(fields) > 2 else None
    return DhcpRelay(local, server, port, interface)


def shared_network(raw: str, where: Where) -> SharedNetwork:
    """`<interface>,<addr>` or `<local addr>,<addr>` (same address family)."""
    fields = split_fields(raw, where)
    if len(fields) != 2 or not fields[0]:
        raise ConfigError("bad shared-network", where)
    addr = _addr(fields[1])
    if addr is None:
        raise ConfigError("bad shared-network", where)
    local = _addr(fields[0])
    if local is None:
        return SharedNetwork(fields[0], None, addr)
    if local.version != addr.version:
        raise ConfigError("bad shared-network", where)
    return SharedNetwork(None, local, addr)


def bridge_interface(raw: str, where: Where) -> BridgeInterface:
    """`<interface>,<alias>[,<alias>...]`."""
    fields = split_fields(raw, where)
    if len(fields) < 2 or not all(fields):
        raise ConfigError("bad bridge-interface", where)
    return BridgeInterface(fields[0], tuple(fields[1:]))


def dhcp_duid(raw: str, where: Where) -> DhcpDuid:
    """`<enterprise-id>,<uid hex>`."""
    fields = split_fields(raw, where)
    if len(fields) != 2:
        raise ConfigError("bad DUID", where)
    enterprise = parse_uint(fields[0], where, "bad DUID")
    try:
        uid = parse_hex(fields[1], where)[0]
    except ConfigError:
        raise ConfigError("bad DUID", where) from None
    return DhcpDuid(enterprise, uid)


def alternate_port(raw: str, where: Where) -> tuple[int, int]:
    """`[<server port>[,<client port>]]`: "" -> (1067, 1068); one port -> (p, p + 1)."""
    if not raw.strip():
        return 1067, 1068
    fields = split_fields(raw, where)
    if len(fields) > 2:
        raise ConfigError("invalid port number", where)
    server = parse_uint(fields[0], where, "invalid port number", maximum=65535)
    if len(fields) == 1:
        if server == 65535:
            raise ConfigError("invalid port number", where)
        return server, server + 1
    return server, parse_uint(fields[1], where, "invalid port number", maximum=65535)


def dhcp_proxy(raw: str, where: Where) -> tuple[IPv4Address, ...]:
    """`[<ip>[,<ip>...]]`: relays whose server-id is overridden; "" -> () (every relay)."""
    if not raw.strip():
        return ()
    out: list[IPv4Address] = []
    for item in split_fields(raw, where):
        try:
            out.append(IPv4Address(item))
        except ValueError:
            raise ConfigError("bad dhcp-proxy address", where) from None
    return tuple(out)


def ra_param(raw: str, where: Where) -> RaParam:
    """`<iface>,[mtu:<n>|<iface>|off,][high,|low,]<interval>[,<router lifetime>]`."""
    bad = "bad RA-params"
    fields = split_fields(raw, where)
    interface = fields.pop(0)
    if not interface:
        raise ConfigError(bad, where)
    if not fields:
        return RaParam(interface)
    mtu: int | str | None = None
    priority: Literal["high", "low"] | None = None
    if fields[0].lower().startswith("mtu:"):
        value = fields.pop(0)[4:]
        if value.isascii() and value.isdigit():
            mtu = parse_uint(value, where, bad, maximum=0xFFFFFFFF)
            if mtu < 1280:
                raise ConfigError(bad, where)
        elif value:
            mtu = value
        else:
            raise ConfigError(bad, where)
    if fields and fields[0] in ("high", "low"):
        priority = "high" if fields.pop(0) == "high" else "low"
    if not fields or len(fields) > 2:
        raise ConfigError(bad, where)
    interval = parse_uint(fields[0], where, bad, maximum=0xFFFFFFFF)
    lifetime = parse_uint(fields[1], where, bad, maximum=0xFFFFFFFF) if len(fields) > 1 else None
    return RaParam(interface, mtu, priority, interval, lifetime)


def tftp_root(raw: str, where: Where) -> TftpRoot:
    """`<directory>[,<interface>]`."""
    fields = split_fields(raw, where)
    if not fields[0] or len(fields) > 2 or (len(fields) == 2 and not fields[1]):
        raise ConfigError("bad tftp-root", where)
    return TftpRoot(dequote(fields[0]), fields[1] if len(fields) == 2 else None)


def port_range(raw: str, where: Where) -> tuple[int, int]:
    """`<start>,<end>` in 1..65535; a reversed pair (accepted by dnsmasq) is put in order."""
    fields = split_fields(raw, where)
    if len(fields) != 2:
        raise ConfigError("bad port range", where)
    start = parse_uint(fields[0], where, "bad port range", maximum=65535)
    end = parse_uint(fields[1], where, "bad port range", maximum=65535)
    if start == 0 or end == 0:
        raise ConfigError("bad port range", where)
    return (start, end) if start <= end else (end, start)
