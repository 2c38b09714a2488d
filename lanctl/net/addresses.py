"""Every IPv4 address of every interface, primary first, through one rtnetlink dump (Linux).

dnsmasq serves DHCP from all the addresses of the arrival interface (its contexts match
secondary addresses too) and --listen-address may name a secondary address; SIOCGIFADDR
only gives the primary one.  `ipv4_addresses()` dumps RTM_GETADDR (AF_INET) and returns
interface index -> addresses in kernel order (the primary address of a subnet first).
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Interface
from typing import Final

from lanctl.net.rtnl import attributes, dump

RTM_NEWADDR: Final = 20
RTM_GETADDR: Final = 22
IFA_ADDRESS: Final = 1
IFA_LOCAL: Final = 2
IFADDRMSG: Final = struct.Struct("=BBBBI")  # family, prefixlen, flags, scope, index

__all__ = ["ipv4_addresses", "parse_addresses"]


def parse_addresses(msgs: Iterable[tuple[int, bytes]]) -> dict[int, list[IPv4Interface]]:
    """Interface index -> IPv4 addresses, from RTM_NEWADDR message bodies."""
    out: dict[int, list[IPv4Interface]] = {}
    for kind, body in msgs:
        if kind != RTM_NEWADDR or len(body) < IFADDRMSG.size:
            continue
        family, prefixlen, _flags, _scope, index = IFADDRMSG.unpack_from(body, 0)
        if family != socket.AF_INET:
            continue
        attrs = attributes(body, IFADDRMSG.size)
        raw = attrs.get(IFA_LOCAL) or attrs.get(IFA_ADDRESS)  # LOCAL differs on p2p links
        if raw is not None and len(raw) == 4:
            out.setdefault(index, []).append(IPv4Interface((IPv4Address(raw), prefixlen)))
    return out


def ipv4_addresses() -> dict[int, list[IPv4Interface]]:
    """The current IPv4 addresses of this network namespace, by interface index."""
    return parse_addresses(dump(RTM_GETADDR, IFADDRMSG.pack(socket.AF_INET, 0, 0, 0, 0)))
