"""The DHCPv4 adapter's view of local interfaces, and ARP entries for unicast replies (Linux).

`Interfaces` maps an IP_PKTINFO interface index to (name, every IPv4 address, primary
first: lanctl.net.addresses), cached for ADDR_TTL seconds, and applies the selection of
lanctl.dhcp4.selection (--interface, --except-interface, --listen-address,
--no-dhcp-interface); `owner()` finds the interface that has an address (relay replies).
`add_arp` is dnsmasq's SIOCSARP trick: an ARP entry for a client that has no address
yet, so the reply can be unicast to it (needs CAP_NET_ADMIN, kept after the drop).
"""

from __future__ import annotations

import fcntl
import logging
import socket
import struct
from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Interface
from typing import Final

from lanctl.dhcp4.selection import DhcpSelection, serves
from lanctl.net.addresses import ipv4_addresses

log = logging.getLogger("lanctl.dhcp4")

SIOCSARP: Final = 0x8955
SIOCGIFADDR: Final = 0x8915
SIOCGIFNETMASK: Final = 0x891B
ATF_COM: Final = 0x02
ADDR_TTL: Final = 5.0  # seconds interface addresses stay cached


def _ioctl_addr(sock: socket.socket, request: int, name: str) -> IPv4Address | None:
    try:
        raw = fcntl.ioctl(sock.fileno(), request, struct.pack("256s", name.encode()[:15]))
    except OSError:
        return None
    return IPv4Address(raw[20:24])


def _primary(sock: socket.socket, name: str) -> tuple[IPv4Interface, ...]:
    addr = _ioctl_addr(sock, SIOCGIFADDR, name)
    mask = _ioctl_addr(sock, SIOCGIFNETMASK, name)
    return (IPv4Interface(f"{addr}/{mask}"),) if addr and mask else ()


def addresses(sock: socket.socket, name: str) -> tuple[IPv4Interface, ...]:
    """Every IPv4 address of `name`, primary first (rtnetlink; SIOCGIFADDR if that fails)."""
    try:
        return tuple(ipv4_addresses().get(socket.if_nametoindex(name), ()))
    except OSError:
        return _primary(sock, name)


def local_interfaces(sock: socket.socket) -> dict[str, tuple[str, ...]]:
    """Every interface of this namespace with its IPv4 addresses."""
    try:
        table: dict[int, list[IPv4Interface]] | None = ipv4_addresses()
    except OSError:
        table = None
    out: dict[str, tuple[str, ...]] = {}
    for index, name in socket.if_nameindex():
        found = table.get(index, []) if table is not None else _primary(sock, name)
        out[name] = tuple(str(a.ip) for a in found)
    return out


class Interfaces:
    """ifindex -> (name, IPv4 addresses), cached; filtered by lanctl.dhcp4.selection."""

    def __init__(
        self, sock: socket.socket, selection: DhcpSelection, clock: Callable[[], float]
    ) -> None:
        self.sock = sock
        self.selection = selection
        self.clock = clock
        self._cache: dict[int, tuple[float, str, tuple[IPv4Interface, ...]]] = {}
        # ifindex -> (the cached addresses it was decided for, served?): one decision per
        # refresh of the address cache, not one per packet
        self._served: dict[int, tuple[str, tuple[IPv4Interface, ...], bool]] = {}
        self._index: dict[str, tuple[float, int]] = {}
        self.owners: dict[str, tuple[str, ...]] = {}
        self._owners_at = -ADDR_TTL

    def served(self, name: str, addrs: tuple[IPv4Interface, ...] = ()) -> bool:
        return serves(self.selection, name, (str(a.ip) for a in addrs))

    def lookup(self, index: int) -> tuple[str, tuple[IPv4Interface, ...]] | None:
        """The interface a request arrived on, or None when it is not served."""
        hit = self.lookup_any(index)
        if hit is None:
            return None
        memo = self._served.get(index)
        if memo is None or memo[1] is not hit[1] or memo[0] != hit[0]:
            memo = self._served[index] = (hit[0], hit[1], self.served(*hit))
        return hit if memo[2] else None

    def lookup_any(self, index: int) -> tuple[str, tuple[IPv4Interface, ...]] | None:
        hit = self._cache.get(index)
        now = self.clock()
        if hit is None or hit[0] < now:
            try:
                name = socket.if_indextoname(index)
            except OSError:
                return None
            hit = (now + ADDR_TTL, name, addresses(self.sock, name))
            self._cache[index] = hit
        return hit[1], hit[2]

    def owner(self, address: str) -> str | None:
        """The interface that has `address` (re-read when not found in the cache)."""
        for name, addrs in self.owners.items():
            if address in addrs:
                return name
        now = self.clock()
        if now >= self._owners_at + ADDR_TTL:
            self._owners_at = now
            self.owners = local_interfaces(self.sock)
            return next((n for n, a in self.owners.items() if address in a), None)
        return None

    def index(self, name: str) -> int:
        """The ifindex of `name`, cached for ADDR_TTL (one system call per reply otherwise)."""
        hit = self._index.get(name)
        now = self.clock()
        if hit is None or hit[0] < now:
            hit = self._index[name] = (now + ADDR_TTL, socket.if_nametoindex(name))
        return hit[1]


def add_arp(sock: socket.socket, iface: str, addr: str, hwaddr: bytes) -> bool:
    """Put `addr` -> `hwaddr` in the ARP table of `iface` (dnsmasq's unicast to new clients)."""
    pa = struct.pack("=H2x4s8x", socket.AF_INET, socket.inet_aton(addr))
    ha = struct.pack("=H14s", 1, hwaddr[:14])  # ARPHRD_ETHER, host byte order family
    req = pa + ha + struct.pack("=i", ATF_COM) + bytes(16) + iface.encode()[:15].ljust(16, b"\0")
    try:
        fcntl.ioctl(sock.fileno(), SIOCSARP, req)
    except OSError as exc:
        log.debug("SIOCSARP %s on %s: %s", addr, iface, exc)
        return False
    return True


__all__ = ["Interfaces", "add_arp", "addresses", "local_interfaces"]
