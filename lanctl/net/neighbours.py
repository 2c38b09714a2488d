"""The kernel's neighbour table (ARP and IPv6 ND) through one rtnetlink dump (Linux).

`read_neighbours()` dumps RTM_GETNEIGH for every family and keeps what dnsmasq's
netlink.c keeps for --script-arp: entries with both an address (NDA_DST) and a
link-layer address (NDA_LLADDR) whose state is none of NUD_NOARP, NUD_INCOMPLETE,
NUD_FAILED.  No privilege is needed, so it works after the drop to nobody.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from lanctl.net.rtnl import attributes, dump

RTM_NEWNEIGH: Final = 28
RTM_GETNEIGH: Final = 30
NDA_DST: Final = 1
NDA_LLADDR: Final = 2
NUD_INCOMPLETE: Final = 0x01
NUD_FAILED: Final = 0x20
NUD_NOARP: Final = 0x40
NDMSG: Final = struct.Struct("=BxxxiHBB")  # family, pad, ifindex, state, flags, type


@dataclass(frozen=True, slots=True)
class Neighbour:
    """One usable neighbour entry: an address and its link-layer address."""

    address: str
    hwaddr: bytes


def parse_neighbours(msgs: Iterable[tuple[int, bytes]]) -> list[Neighbour]:
    """The usable entries among RTM_NEWNEIGH message bodies."""
    out: list[Neighbour] = []
    for kind, body in msgs:
        if kind != RTM_NEWNEIGH or len(body) < NDMSG.size:
            continue
        family, _ifindex, state, _flags, _type = NDMSG.unpack_from(body, 0)
        attrs = attributes(body, NDMSG.size)
        dst, lladdr = attrs.get(NDA_DST), attrs.get(NDA_LLADDR)
        usable = not state & (NUD_NOARP | NUD_INCOMPLETE | NUD_FAILED)
        if usable and dst and lladdr and family in (socket.AF_INET, socket.AF_INET6):
            out.append(Neighbour(str(ipaddress.ip_address(dst)), lladdr))
    return out


def read_neighbours() -> list[Neighbour]:
    """The kernel's current neighbour entries (IPv4 and IPv6)."""
    return parse_neighbours(dump(RTM_GETNEIGH, NDMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0)))


__all__ = ["Neighbour", "parse_neighbours", "read_neighbours"]
