"""Local interfaces and the arrival facts of a datagram (Linux), shared by the adapters.

`interface_addresses()` lists every usable address of every interface (`ip -j addr`;
tentative and DAD-failed IPv6 addresses left out); `Interfaces` keeps that list and
re-reads it, at most once a second, when a packet names an interface index it does not
know.  `enable_pktinfo()` asks the kernel for IP_PKTINFO / IPV6_RECVPKTINFO on a wildcard
socket and `pktinfo()` reads (interface index, local address) back from recvmsg's control
messages, which is how a wildcard listener applies --interface / --except-interface as
dnsmasq does.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import struct
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from lanctl.errors import NetworkError

IP_PKTINFO: Final = 8  # Linux <linux/in.h>; missing from Python 3.11's socket module
_PKTINFO4: Final = struct.Struct("=i4s4s")  # ifindex, spec_dst, addr
_PKTINFO6: Final = struct.Struct("=16sI")  # addr, ifindex
CMSG_SIZE: Final = socket.CMSG_SPACE(_PKTINFO6.size) + socket.CMSG_SPACE(_PKTINFO4.size)
REREAD: Final = 1.0  # seconds between two reads of the interface list on unknown indexes


@dataclass(frozen=True, slots=True)
class IfAddr:
    """One address of a local interface."""

    ifname: str
    address: str
    ifindex: int
    prefixlen: int = 0


def parse_ip_addr(text: bytes | str) -> list[IfAddr]:
    """The addresses in the JSON printed by `ip -j addr show` (pure, for tests)."""
    links = json.loads(text)
    out: list[IfAddr] = []
    for link in links if isinstance(links, list) else ():
        if not isinstance(link, dict):
            continue
        name, index = str(link.get("ifname", "")), link.get("ifindex", 0)
        for info in link.get("addr_info", ()):
            if not isinstance(info, dict) or info.get("tentative") or info.get("dadfailed"):
                continue
            try:
                addr = ipaddress.ip_address(str(info.get("local", "")))
            except ValueError:
                continue
            plen = info.get("prefixlen", 0)
            out.append(
                IfAddr(
                    name,
                    str(addr),
                    index if isinstance(index, int) else 0,
                    plen if isinstance(plen, int) else 0,
                )
            )
    return out


def interface_addresses() -> list[IfAddr]:
    """Every usable interface address; NetworkError when `ip` cannot be run."""
    try:
        proc = subprocess.run(
            ["ip", "-j", "addr", "show"], capture_output=True, check=True, timeout=10
        )
        return parse_ip_addr(proc.stdout)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        raise NetworkError(f"cannot list interface addresses: {exc}") from exc


class Interfaces:
    """Interface index → (name, addresses), re-read on an unknown index (≤ once a second)."""

    def __init__(
        self,
        read: Callable[[], list[IfAddr]] = interface_addresses,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read, self._clock = read, clock
        self._names: dict[int, str] = {}
        self._by_address: dict[str, str] = {}
        self.addresses: list[IfAddr] = []
        self._read_at = -REREAD
        self.refresh()

    def refresh(self) -> None:
        self._read_at = self._clock()
        try:
            self.addresses = self._read()
        except NetworkError:
            return
        self._names = {a.ifindex: a.ifname for a in self.addresses}
        self._by_address = {a.address: a.ifname for a in self.addresses}

    def name(self, ifindex: int) -> str | None:
        """The name of an interface index, re-reading the list once when unknown."""
        name = self._names.get(ifindex)
        if name is None and self._clock() - self._read_at >= REREAD:
            self.refresh()
            name = self._names.get(ifindex)
        return name

    def owner(self, address: str) -> str | None:
        """The interface holding a local address (TCP: the local end of a connection)."""
        address = address.split("%", 1)[0]
        name = self._by_address.get(address)
        if name is None and self._clock() - self._read_at >= REREAD:
            self.refresh()
            name = self._by_address.get(address)
        return name


def enable_pktinfo(sock: socket.socket) -> None:
    """Ask for the arrival interface and local address of each datagram."""
    if sock.family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
    else:
        sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)


def pktinfo(ancdata: list[tuple[int, int, bytes]]) -> tuple[int, str | None]:
    """(interface index, local address) from the control messages of recvmsg."""
    for level, kind, data in ancdata:
        if level == socket.IPPROTO_IP and kind == IP_PKTINFO and len(data) >= _PKTINFO4.size:
            ifindex, spec_dst, _dst = _PKTINFO4.unpack_from(data)
            return ifindex, socket.inet_ntop(socket.AF_INET, spec_dst)
        ipv6 = level == socket.IPPROTO_IPV6 and kind == socket.IPV6_PKTINFO
        if ipv6 and len(data) >= _PKTINFO6.size:
            addr, ifindex = _PKTINFO6.unpack_from(data)
            return ifindex, socket.inet_ntop(socket.AF_INET6, addr)
    return 0, None


__all__ = [
    "CMSG_SIZE",
    "IP_PKTINFO",
    "IfAddr",
    "Interfaces",
    "enable_pktinfo",
    "interface_addresses",
    "parse_ip_addr",
    "pktinfo",
]
