"""Sockets and host facts for the TFTP adapter (Linux).

Listeners on the IPv4/IPv6 wildcards with IP_PKTINFO / IPV6_RECVPKTINFO, so that each
request's interface and local address are known, or, with --bind-interfaces, one per
interface address that selection.py allows; transfer sockets bound to that address on a
port of --tftp-port-range, each with a twin connected to the client (`peer_socket`); the
interface MTU (blksize bound) and the client's MAC from the neighbour table
(--tftp-unique-root=mac).
"""

from __future__ import annotations

import errno
import ipaddress
import random
import socket

from lanctl.config.model import CoreCfg, TftpCfg
from lanctl.errors import NetworkError
from lanctl.net.interfaces import (
    IP_PKTINFO,
    IfAddr,
)
from lanctl.tftp.paths import mac_dir
from lanctl.tftp.selection import Selection, bind_address, serve_request


def interface_allowed(
    ifname: str | None, tftp: TftpCfg, core: CoreCfg, local: str | None = None
) -> bool:
    """Whether a request that reached a wildcard listener on `ifname` is served."""
    return serve_request(Selection.of(tftp, core), ifname, local)


def bound_addresses(sel: Selection, addrs: list[IfAddr]) -> list[IfAddr]:
    """--bind-interfaces: the interface addresses that get a TFTP listener."""
    return [a for a in addrs if bind_address(sel, a.ifname, a.address)]


def _open_listener(
    family: socket.AddressFamily, port: int, address: str | None = None, scope: int = 0
) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
            sock.bind((address or "::", port, 0, scope))
        else:
            sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
            sock.bind((address or "0.0.0.0", port))
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def open_listeners(port: int) -> list[socket.socket]:
    out: list[socket.socket] = []
    try:
        for family in (socket.AF_INET, socket.AF_INET6):
            try:
                out.append(_open_listener(family, port))
            except OSError as exc:
                if family == socket.AF_INET6 and exc.errno in (
                    errno.EAFNOSUPPORT,
                    errno.EADDRNOTAVAIL,
                ):
                    continue  # no IPv6 here: carry on with IPv4, as dnsmasq
                raise NetworkError(
                    f"failed to create listening socket for port {port}: {exc.strerror}"
                ) from exc
    except BaseException:
        for s in out:
            s.close()
        raise
    return out


def open_bound_listeners(port: int, addrs: list[IfAddr]) -> list[tuple[socket.socket, str]]:
    """--bind-interfaces: a listener on each address, with its interface name."""
    out: list[tuple[socket.socket, str]] = []
    try:
        for a in addrs:
            v6 = ":" in a.address
            family = socket.AF_INET6 if v6 else socket.AF_INET
            scope = a.ifindex if v6 and ipaddress.ip_address(a.address).is_link_local else 0
            try:
                out.append((_open_listener(family, port, a.address, scope), a.ifname))
            except OSError as exc:
                raise NetworkError(
                    f"failed to create listening socket for {a.address} port {port}: {exc.strerror}"
                ) from exc
    except BaseException:
        for s, _name in out:
            s.close()
        raise
    return out


def transfer_socket(
    family: socket.AddressFamily,
    local: str | None,
    ifindex: int,
    port_range: tuple[int, int] | None,
    rng: random.Random,
) -> socket.socket:
    """A socket for one transfer, bound to the request's local address and a port of
    --tftp-port-range (random order) or any port."""
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        addr = local or ("::" if family == socket.AF_INET6 else "0.0.0.0")
        scope = ifindex if family == socket.AF_INET6 and addr.startswith("fe80") else 0
        ports: list[int] = [0]
        if port_range is not None:
            ports = list(range(port_range[0], port_range[1] + 1))
            rng.shuffle(ports)
        for port in ports:
            try:
                sock.bind((addr, port, 0, scope) if family == socket.AF_INET6 else (addr, port))
                break
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE or port == ports[-1]:
                    raise
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def peer_socket(sock: socket.socket, peer: tuple[str, int]) -> socket.socket:
    """A twin of the transfer socket `sock`, on the same address and port, connected to the
    client's transfer ID.

    Linux delivers a datagram to the best-matching socket, and a connected one matches the
    client's datagrams better than `sock` does; so the twin receives exactly the client's
    packets (the kernel checks the TID) and needs no address per send or receive, while
    `sock` still receives every other sender's, to be answered with ERROR 5.  Both need
    SO_REUSEADDR to share the port; `sock` sets it only after its own bind, so the port
    was free when taken and a later bind without SO_REUSEADDR still fails.
    """
    twin = socket.socket(sock.family, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        twin.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        twin.bind(sock.getsockname())
        twin.connect(peer)
    except BaseException:
        twin.close()
        raise
    return twin


def interface_mtu(ifname: str) -> int | None:
    """The MTU of an interface (bounds blksize), None when unknown."""
    try:
        # Binary reads: after the privilege drop the codec modules of a Python installed
        # under /root may no longer be importable.
        with open(f"/sys/class/net/{ifname}/mtu", "rb") as fh:
            return int(fh.read().strip())
    except (OSError, ValueError):
        return None


def arp_mac(ip: str) -> str | None:
    """The client's MAC from the kernel neighbour table (for --tftp-unique-root=mac)."""
    try:
        with open("/proc/net/arp", "rb") as fh:  # binary: see interface_mtu
            for line in fh.read().splitlines()[1:]:
                fields = [f.decode("latin-1") for f in line.split()]
                if len(fields) >= 4 and fields[0] == ip and fields[3] != "00:00:00:00:00:00":
                    return mac_dir(fields[3])
    except OSError:
        return None
    return None
