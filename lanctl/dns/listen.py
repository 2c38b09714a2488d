"""Where the DNS service listens and which queries it admits (dnsmasq 2.90 semantics).

Sockets: --local-service=host binds the loopback addresses; --bind-interfaces and
--bind-dynamic bind every interface address that --interface / --except-interface /
--listen-address allow (net/ifselect.py) plus each --listen-address; --listen-address
alone binds just those addresses (dnsmasq binds the wildcard and filters; binding them
answers the same queries and leaves port 53 on other addresses to other servers);
otherwise the wildcards 0.0.0.0 and ::.
Admission (the `Gate`), checked in namespaces against dnsmasq (tests/dns/
test_interfaces_compat.py): unless --bind-interfaces, a UDP query is answered when
core_allows(arrival interface, destination address) — both read with IP_PKTINFO — and a
TCP connection when core_allows(arrival interface, an address of that interface), the
interface read with IP_PKTOPTIONS as dnsmasq does (so a TCP query sent to a
--listen-address but arriving on another interface is refused, while UDP answers it).
Linux reports the interface owning the destination address for this host's own queries.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import struct
from dataclasses import dataclass, field
from typing import Final

from lanctl.config.model import CoreCfg
from lanctl.errors import NetworkError
from lanctl.net.ifselect import CoreSelection, core_allows, matches, same_address
from lanctl.net.interfaces import IP_PKTINFO, IfAddr, Interfaces, enable_pktinfo, pktinfo

IP_PKTOPTIONS: Final = 9  # Linux <linux/in.h>: the pktinfo of a TCP connection's SYN
_CMSG: Final = struct.Struct("@Nii")  # cmsghdr: len, level, type (size_t len)
_PKTINFO4: Final = struct.Struct("=i4s4s")


@dataclass
class Gate:
    """Per-query interface checks (None in the adapter when everything is admitted)."""

    sel: CoreSelection
    ifaces: Interfaces
    udp_checks: bool  # wildcard (or --bind-dynamic) UDP sockets read IP_PKTINFO
    refused: int = 0

    def udp(self, ancdata: list[tuple[int, int, bytes]]) -> tuple[bool, str | None]:
        """(admitted, local address) of a datagram from its control messages."""
        ifindex, local = pktinfo(ancdata)
        if not self.udp_checks:
            return True, local
        ok = core_allows(self.sel, self.ifaces.name(ifindex) if ifindex else None, local)
        if not ok:
            self.refused += 1
        return ok, local

    def tcp(self, conn: socket.socket) -> bool:
        """Whether an accepted TCP connection is served."""
        ifname = tcp_arrival(conn, self.ifaces)
        if ifname is None:  # interface unknown: judge by the local address alone
            try:
                ok = core_allows(self.sel, None, str(conn.getsockname()[0]))
            except OSError:
                ok = False
        else:
            ok = self._tcp_allows(ifname, conn)
        if not ok:
            self.refused += 1
        return ok

    def _tcp_allows(self, ifname: str, conn: socket.socket) -> bool:
        # dnsmasq admits the connection when its arrival interface has an address that
        # the rules allow, and the interface is not excepted unless the connection's own
        # local address is a --listen-address (observed: tests/dns/test_interfaces_compat).
        sel = self.sel
        addrs = [a.address for a in self.ifaces.addresses if a.ifname == ifname]
        listed = [a for a in addrs if any(same_address(a, x) for x in sel.listen_address)]
        if not core_allows(sel, ifname, listed[0] if listed else None):
            return False
        try:
            local = str(conn.getsockname()[0])
        except OSError:
            return False
        by_address = any(same_address(local, x) for x in sel.listen_address)
        return by_address or not matches(ifname, sel.except_interface)


def tcp_arrival(conn: socket.socket, ifaces: Interfaces) -> str | None:
    """The interface a TCP connection arrived on: IP_PKTOPTIONS (IPv4), else the owner of
    the connection's local address."""
    if conn.family == socket.AF_INET:
        try:
            raw = conn.getsockopt(socket.IPPROTO_IP, IP_PKTOPTIONS, 256)
        except OSError:
            raw = b""
        pos = 0
        while pos + _CMSG.size <= len(raw):
            length, level, kind = _CMSG.unpack_from(raw, pos)
            if length < _CMSG.size:
                break
            data = raw[pos + _CMSG.size : pos + length]
            if level == socket.IPPROTO_IP and kind == IP_PKTINFO and len(data) >= 12:
                ifindex = _PKTINFO4.unpack_from(data)[0]
                return ifaces.name(ifindex)
            pos += socket.CMSG_SPACE(length - _CMSG.size)
    try:
        return ifaces.owner(str(conn.getsockname()[0]))
    except OSError:
        return None


@dataclass
class Plan:
    """The addresses to bind and whether a gate checks each query."""

    targets: list[tuple[socket.AddressFamily, str, int]] = field(default_factory=list)
    wildcard: bool = False  # the wildcards: a missing IPv6 is tolerated
    gate: Gate | None = None


def _family(address: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def _scope(a: IfAddr) -> int:
    v6 = ":" in a.address
    return a.ifindex if v6 and ipaddress.ip_address(a.address).is_link_local else 0


def bound_addresses(core: CoreCfg, addrs: list[IfAddr]) -> list[tuple[str, int]]:
    """--bind-interfaces / --bind-dynamic: (address, scope) of each socket, in the order
    of the interface list, then the --listen-addresses no interface holds."""
    sel = CoreSelection.of(core)
    out = [(a.address, _scope(a)) for a in addrs if core_allows(sel, a.ifname, a.address)]
    for x in core.listen_address:
        if not any(same_address(x, a) for a, _ in out):
            out.append((x, 0))
    return out


def needs_interfaces(core: CoreCfg) -> bool:
    """Whether the interface list must be read (sockets per address, or a gate)."""
    return bool(
        core.interface
        or core.except_interface
        or core.listen_address
        or core.bind_interfaces
        or core.bind_dynamic
    )


def plan(core: CoreCfg, ifaces: Interfaces | None, loopback: bool = False) -> Plan:
    """Decide sockets and gate (pure apart from the interface list already read)."""
    if loopback:  # --local-service=host
        return Plan([(socket.AF_INET, "127.0.0.1", 0), (socket.AF_INET6, "::1", 0)], True)
    sel = CoreSelection.of(core)
    gate = None
    if ifaces is not None and sel.filters and not (core.bind_interfaces and not core.bind_dynamic):
        udp_checks = core.bind_dynamic or bool(core.interface or core.except_interface)
        gate = Gate(sel, ifaces, udp_checks)
    if (core.bind_interfaces or core.bind_dynamic) and ifaces is not None:
        addrs = bound_addresses(core, ifaces.addresses)
        return Plan([(_family(a), a, s) for a, s in addrs], False, gate)
    if core.listen_address and not (core.interface or core.except_interface):
        return Plan([(_family(a), a, 0) for a in core.listen_address], False, gate)
    return Plan([(socket.AF_INET, "0.0.0.0", 0), (socket.AF_INET6, "::", 0)], True, gate)


def open_socket(
    family: socket.AddressFamily, kind: socket.SocketKind, addr: str, port: int, scope: int = 0
) -> socket.socket:
    sock = socket.socket(family, kind)
    try:
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET:
                sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)  # for IP_PKTOPTIONS
        else:
            enable_pktinfo(sock)
        sock.bind((addr, port, 0, scope) if family == socket.AF_INET6 else (addr, port))
        if kind == socket.SOCK_STREAM:
            sock.listen(64)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def open_sockets(plan_: Plan, port: int) -> tuple[list[socket.socket], list[socket.socket]]:
    """Bind UDP and TCP sockets; NetworkError with dnsmasq's wording when one fails."""
    udp: list[socket.socket] = []
    tcp: list[socket.socket] = []
    try:
        for family, addr, scope in plan_.targets:
            try:
                udp.append(open_socket(family, socket.SOCK_DGRAM, addr, port, scope))
                tcp.append(open_socket(family, socket.SOCK_STREAM, addr, port, scope))
            except OSError as exc:
                missing = exc.errno in (errno.EAFNOSUPPORT, errno.EADDRNOTAVAIL)
                if plan_.wildcard and family == socket.AF_INET6 and missing:
                    continue  # no IPv6 on this host: dnsmasq carries on with IPv4
                what = f"port {port}" if plan_.wildcard else addr
                raise NetworkError(
                    f"failed to create listening socket for {what}: {exc.strerror}"
                ) from exc
    except BaseException:
        for s in udp + tcp:
            s.close()
        raise
    return udp, tcp


__all__ = [
    "Gate",
    "Plan",
    "bound_addresses",
    "needs_interfaces",
    "open_socket",
    "open_sockets",
    "plan",
    "tcp_arrival",
]
